"""`storm`: hard problems from s1K-1.1 with an explicit reasoning trace and a final answer, for Storm."""

from ..chat import THINK_CLOSE, THINK_OPEN, one_message
from .base import STRING, STRINGS, TWIN_DOCS, Config, Derived, Export, LlamaFactoryEntry, TrlRecipe, Twin
from .sft import SFT_CODE

GRPO_CODE = """from datasets import load_dataset
from trl import GRPOConfig, GRPOTrainer

from apt_hub.rewards import storm_reward  # pip install '.[rewards]' in an apt-hub checkout

model = "{model}"
# GRPO generates the completion: the reference one is left out; `solution`, `answer`, `answer_kind` and `grade`
# reach the reward, which pays 1.0 for a correct final answer after a <think> block (math-verify), else 0.0.
train = load_dataset("{repo_id}", "storm_chat", split="train").remove_columns("completion")
args = GRPOConfig(output_dir="storm")
trainer = GRPOTrainer(model=model, reward_funcs=storm_reward, train_dataset=train, args=args)
trainer.train()
"""

EXPLICIT = "the `<think>` trace, then the attempt: the reasoning made explicit"


def completion(table):
    """The flat rows' `completion`: the trace inside think tags, a blank line, then the attempt."""
    import pyarrow.compute as pc

    joined = pc.binary_join_element_wise(
        THINK_OPEN, table["cot_explicit"], THINK_CLOSE, table["attempt"], "", null_handling="replace"
    )
    return {"completion": joined}


def messages(table):
    """The twin's message columns: the problem as one user message, the flat `completion` as one assistant
    message."""
    return {
        "prompt": one_message("user", table["problem"]),
        "completion": one_message("assistant", table["completion"]),
    }


CONFIG = Config(
    name="storm",
    stage="Storm (CoT internalisation)",
    purpose="Hard math and science problems with an explicit reasoning trace and a final answer.",
    tags=("reasoning", "chain-of-thought"),
    fields=(
        ("problem", STRING),
        ("cot_explicit", STRING),
        ("answer", STRING),
        ("solution", STRING),
        ("source", STRING),
        ("id", STRING),
        ("answer_kind", STRING),
        ("attempt", STRING),
        ("grade", STRING),
        ("trace_model", STRING),
        ("cot_type", STRING),
        ("source_type", STRING),
        ("quality_flags", STRINGS),
        ("completion", STRING),
    ),
    unified=("problem", "cot_explicit", "answer", "solution", "source"),
    docs={
        "completion": "what the Storm stage trains on, as TRL does on `storm_chat`: `<think>\\n` `cot_explicit` "
        "`\\n</think>\\n\\n` `attempt`"
    },
    duplicate=("problem", "cot_explicit", "answer"),
    prompt="problem",
    trimmed=("problem", "answer"),
    checks=(
        "empty_box",
        "several_boxes",
        "graded_wrong",
        "duplicate",
        "duplicate_prompt",
        "test_overlap",
        "contaminated",
    ),
    export=Export(fields=("problem", "cot_explicit", "answer", "source"), per_source=True),
    twin=Twin(
        messages=("prompt", "completion"),
        turned=("problem", "cot_explicit", "attempt"),
        build=messages,
        docs=TWIN_DOCS
        | {
            "prompt": "one user message: the problem statement",
            "completion": "one assistant message: `<think>\\n`, the trace, `\\n</think>\\n\\n`, then the attempt",
        },
        trl=(
            TrlRecipe(trainer="SFTTrainer", trains=EXPLICIT, code=SFT_CODE),
            TrlRecipe(
                trainer="GRPOTrainer",
                trains="the model's own `<think>` reasoning and answer, paid for a correct final answer",
                how="rewarded with `apt_hub.rewards.storm_reward`",
                code=GRPO_CODE,
            ),
        ),
        reason="SFTTrainer and GRPOTrainer read `prompt` and `completion`: `storm` holds the problem, trace and "
        "attempt apart, `storm_chat` the problem as the prompt and the `<think>` completion as one assistant message.",
        sequences=(("prompt", "completion"),),
    ),
    custom=("problem", "cot_explicit", "answer"),
    llama_factory=(
        LlamaFactoryEntry(
            columns={"prompt": "problem", "response": "completion"},
            trains=f"{EXPLICIT} (the Storm stage's first step; TRL's SFTTrainer on `storm_chat` trains the same)",
        ),
        LlamaFactoryEntry(
            columns={"prompt": "problem", "response": "attempt"},
            trains="the attempt alone, without the trace: the reasoning carried implicitly (the Storm stage's second "
            "step)",
            suffix="attempt",
        ),
    ),
    derived=Derived(fields=("completion",), build=completion),
    sequences=(("problem", "cot_explicit", "attempt"),),
)
