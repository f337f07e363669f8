"""`dpo`: preference pairs from hh-rlhf and UltraFeedback, for DPO; their prompts also feed GRPO."""

from ..chat import alpaca_turns, form_problem, one_message
from ..errors import AptHubError
from .base import (
    FLOAT,
    PAIRS,
    STRING,
    STRINGS,
    TWIN_DOCS,
    Config,
    Derived,
    Export,
    LlamaFactoryEntry,
    TrlRecipe,
    Twin,
)

DPO_CODE = """from datasets import load_dataset
from trl import DPOConfig, DPOTrainer

model = "{model}"
data = load_dataset("{repo_id}", "dpo_chat")
args = DPOConfig(output_dir="dpo")
trainer = DPOTrainer(model=model, train_dataset=data["train"], eval_dataset=data["test"], args=args)
trainer.train()
"""

TRAINS = "chosen against rejected, after the prompt turn by turn"


def prompt_turns(table):
    """The prompt turns the source recorded, one user message when it recorded none.

    Raises:
        AptHubError: turns a source's mapper recorded that do not alternate user and assistant from a user turn to
            a user turn (the row named by its `id`).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    single = one_message("user", table["prompt"])
    prompt = pc.coalesce(table["prompt_messages"], single) if "prompt_messages" in table.column_names else single
    prompt = prompt.combine_chunks() if isinstance(prompt, pa.ChunkedArray) else prompt
    if (problem := form_problem(pa.table({"prompt": prompt}))) is not None:
        row, what = problem
        raise AptHubError(
            f"dpo: row {table['id'][row].as_py()}: the prompt_messages its source's mapper recorded are not in "
            f"TRL's conversational form ({what})."
        )
    return prompt


def messages(table):
    """The twin's message columns: the prompt turns, the responses as one assistant message each."""
    return {
        "prompt": prompt_turns(table),
        "chosen": one_message("assistant", table["chosen"]),
        "rejected": one_message("assistant", table["rejected"]),
    }


def alpaca(table):
    """The flat rows' `history` and `last_turn`: the same prompt turns in LLaMA-Factory's alpaca form."""
    return alpaca_turns(prompt_turns(table))


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
        ("history", PAIRS),
        ("last_turn", STRING),
    ),
    unified=("prompt", "chosen", "rejected", "source"),
    docs={
        "prompt": "the user's request: one turn as bare text; a longer hh-rlhf history keeps its transcript format, "
        "`Human: ...\\n\\nAssistant: ...\\n\\nHuman: ...`",
        "history": "the turns of `prompt` before its last user turn, as `[user, assistant]` pairs (LLaMA-Factory's "
        "`history`); empty for a one-turn prompt",
        "last_turn": "the last user turn of `prompt`: the whole prompt when `history` is empty",
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
        trl=(TrlRecipe(trainer="DPOTrainer", trains=TRAINS, code=DPO_CODE),),
        reason="DPOTrainer reads flat string columns as plain text: it would train on prompt and response glued "
        "together, without a chat template and with a multi-turn history as one user text.",
        sequences=(("prompt", "chosen"), ("prompt", "rejected")),
    ),
    custom=("prompt", "chosen", "rejected"),
    llama_factory=(
        LlamaFactoryEntry(
            columns={"prompt": "last_turn", "history": "history", "chosen": "chosen", "rejected": "rejected"},
            trains=TRAINS,
        ),
    ),
    derived=Derived(fields=("history", "last_turn"), build=alpaca),
    sequences=(("prompt", "chosen"), ("prompt", "rejected")),
)
