"""`sft`: Chinese instruction and response pairs from COIG-CQIA, for supervised fine-tuning."""

from ..chat import one_message
from .base import BOOL, STRING, STRINGS, TWIN_DOCS, Config, Export, LlamaFactoryEntry, TrlRecipe, Twin

SFT_CODE = """from datasets import load_dataset
from trl import SFTConfig, SFTTrainer

model = "{model}"
train = load_dataset("{repo_id}", "{config}", split="train")
trainer = SFTTrainer(model=model, train_dataset=train, args=SFTConfig(output_dir="{config}"))
trainer.train()
"""
# The fields of the instruction configs: `sft` and `ruozhiba` share them.
FIELDS = (
    ("prompt", STRING),
    ("response", STRING),
    ("source", STRING),
    ("task_type", STRING),
    ("id", STRING),
    ("domain", STRINGS),
    ("answer_from", STRING),
    ("human_verified", BOOL),
    ("quality_flags", STRINGS),
)
UNIFIED = ("prompt", "response", "source", "task_type")
CHECKS = ("short_response", "duplicate", "duplicate_prompt", "test_overlap", "contaminated")
# Every row is one turn (an instruction and its answer): alpaca's prompt and response are the whole dialogue.
LLAMA_FACTORY = (LlamaFactoryEntry(columns={"prompt": "prompt", "response": "response"}, trains="the response"),)
SEQUENCES = (("prompt", "response"),)


def messages(table):
    """The twin's message columns: the prompt as one user message, the response as one assistant message."""
    return {"prompt": one_message("user", table["prompt"]), "completion": one_message("assistant", table["response"])}


def instruction_twin() -> Twin:
    """The twin of an instruction config (`sft`, `ruozhiba`), trained with TRL's SFTTrainer."""
    return Twin(
        messages=("prompt", "completion"),
        turned=("prompt", "response"),
        build=messages,
        docs=TWIN_DOCS | {"prompt": "one user message: the instruction, then the upstream `input` after a blank line"},
        trl=(TrlRecipe(trainer="SFTTrainer", trains="the completion: the response", code=SFT_CODE),),
        reason="SFTTrainer reads `prompt` and `completion` (or `messages`), and on `response` it stops with "
        "`KeyError: 'completion'`.",
        sequences=(("prompt", "completion"),),
    )


CONFIG = Config(
    name="sft",
    stage="SFT",
    purpose="Chinese instruction and response pairs for supervised fine-tuning.",
    tags=("sft", "instruction-tuning"),
    fields=FIELDS,
    unified=UNIFIED,
    docs={"prompt": "the instruction, then the upstream `input` after a blank line when there is one"},
    duplicate=("prompt", "response"),
    trimmed=("prompt", "response"),
    checks=CHECKS,
    export=Export(fields=("prompt", "response", "source"), per_source=True),
    twin=instruction_twin(),
    custom=("prompt", "response"),
    llama_factory=LLAMA_FACTORY,
    sequences=SEQUENCES,
)
