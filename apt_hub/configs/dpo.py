"""`dpo`: preference pairs from hh-rlhf and UltraFeedback, for DPO; their prompts also feed GRPO."""

from ..chat import one_message
from .base import FLOAT, STRING, STRINGS, TWIN_DOCS, Config, Export, TrlRecipe, Twin

DPO_CODE = """from datasets import load_dataset
from trl import DPOConfig, DPOTrainer

model = "{model}"
data = load_dataset("{repo_id}", "dpo_chat")
args = DPOConfig(output_dir="dpo")
trainer = DPOTrainer(model=model, train_dataset=data["train"], eval_dataset=data["test"], args=args)
trainer.train()
"""


def messages(table):
    """The twin's message columns: the prompt turns the source recorded (one user message when it recorded none),
    the responses as one assistant message each."""
    import pyarrow as pa
    import pyarrow.compute as pc

    single = one_message("user", table["prompt"])
    prompt = pc.coalesce(table["prompt_messages"], single) if "prompt_messages" in table.column_names else single
    prompt = prompt.combine_chunks() if isinstance(prompt, pa.ChunkedArray) else prompt
    return {
        "prompt": prompt,
        "chosen": one_message("assistant", table["chosen"]),
        "rejected": one_message("assistant", table["rejected"]),
    }


CONFIG = Config(
    name="dpo",
    stage="DPO and GRPO",
    purpose="Preference pairs (a prompt, a chosen and a rejected response) for DPO, whose prompts also feed GRPO.",
    tags=("dpo", "preference"),
    fields=(
        ("prompt", STRING),
        ("chosen", STRING),
        ("rejected", STRING),
        ("source", STRING),
        ("id", STRING),
        ("score_chosen", FLOAT),
        ("score_rejected", FLOAT),
        ("quality_flags", STRINGS),
    ),
    unified=("prompt", "chosen", "rejected", "source"),
    docs={
        "prompt": "the user's request: one turn as bare text; a longer hh-rlhf history keeps its transcript format, "
        "`Human: ...\\n\\nAssistant: ...\\n\\nHuman: ...`"
    },
    duplicate=("prompt", "chosen", "rejected"),
    pair=("chosen", "rejected"),
    trimmed=("prompt", "chosen", "rejected"),
    checks=(
        "response_role_prefix",
        "response_extra_turn",
        "prompt_role_artefact",
        "prefix_pair",
        "duplicate",
        "duplicate_prompt",
        "test_overlap",
        "contaminated",
    ),
    export=Export(fields=("prompt", "chosen", "rejected", "source"), per_source=True),
    twin=Twin(
        messages=("prompt", "chosen", "rejected"),
        turned=("prompt", "chosen", "rejected"),
        build=messages,
        recorded=("prompt_messages",),
        docs=TWIN_DOCS,
        trl=TrlRecipe(trainer="DPOTrainer", code=DPO_CODE),
    ),
    custom=("prompt", "chosen", "rejected"),
    llama_factory={"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"},
)
