"""`storm`: hard problems from s1K-1.1 with an explicit reasoning trace and a final answer, for Storm."""

from ..chat import THINK_CLOSE, THINK_OPEN, one_message
from .base import STRING, STRINGS, TWIN_DOCS, Config, Export, TrlRecipe, Twin

# The reward is kept apart from the code, so that a test runs it on built rows.
STORM_REWARD = '''def answer_reward(completions, answer, **kwargs):
    """1.0 when the text after the reasoning holds the reference answer, else 0.0."""
    finals = [completion[0]["content"].rpartition("</think>")[2] for completion in completions]
    return [1.0 if ref and ref in final else 0.0 for final, ref in zip(finals, answer)]
'''
GRPO_CODE = """from datasets import load_dataset
from trl import GRPOConfig, GRPOTrainer

model = "{model}"
# GRPO generates the completion: the reference one is left out, `answer` reaches the reward function.
train = load_dataset("{repo_id}", "storm_chat", split="train").remove_columns("completion")

{reward}


args = GRPOConfig(output_dir="storm")
trainer = GRPOTrainer(model=model, reward_funcs=answer_reward, train_dataset=train, args=args)
trainer.train()
"""


def messages(table):
    """The twin's message columns: the problem as one user message; the trace inside think tags, a blank line,
    then the attempt, as one assistant message."""
    import pyarrow.compute as pc

    completion = pc.binary_join_element_wise(
        THINK_OPEN, table["cot_explicit"], THINK_CLOSE, table["attempt"], "", null_handling="replace"
    )
    return {"prompt": one_message("user", table["problem"]), "completion": one_message("assistant", completion)}


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
    ),
    unified=("problem", "cot_explicit", "answer", "solution", "source"),
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
        trl=TrlRecipe(trainer="GRPOTrainer, rewarded on `answer`", code=GRPO_CODE, reward=STORM_REWARD),
    ),
    custom=("problem", "cot_explicit", "answer"),
    llama_factory={"prompt": "problem", "response": "attempt"},
)
