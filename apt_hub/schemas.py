"""The unified schema of every config, as `datasets.Features`.

The field names of the APT training stages come first and are never renamed; `id` and the extras after them
(scores, grades, upstream labels, `quality_flags`) are additions a trainer may ignore.
"""

from collections.abc import Iterable
from typing import Literal, get_args

from datasets import Features, Sequence, Value

from .chat import MESSAGE_COLUMNS, TURNED, TWINS, twin_features

ConfigName = Literal["sft", "ruozhiba", "dpo", "storm", "loyalty"]
CONFIG_NAMES: tuple[str, ...] = get_args(ConfigName)

_string = Value("string")
# The names of the quality checks that caught a kept row (apt_hub.clean.checks), empty when the row is clean.
_flags = Sequence(_string)

SFT = Features(
    {
        "prompt": _string,
        "response": _string,
        "source": _string,
        "task_type": _string,
        "id": _string,
        "domain": Sequence(_string),
        "answer_from": _string,
        "human_verified": Value("bool"),
        "quality_flags": _flags,
    }
)

DPO = Features(
    {
        "prompt": _string,
        "chosen": _string,
        "rejected": _string,
        "source": _string,
        "id": _string,
        "score_chosen": Value("float64"),
        "score_rejected": Value("float64"),
        "quality_flags": _flags,
    }
)

STORM = Features(
    {
        "problem": _string,
        "cot_explicit": _string,
        "answer": _string,
        "solution": _string,
        "source": _string,
        "id": _string,
        "answer_kind": _string,
        "attempt": _string,
        "grade": _string,
        "trace_model": _string,
        "cot_type": _string,
        "source_type": _string,
        "quality_flags": _flags,
    }
)

LOYALTY = Features(
    {
        "prompt": _string,
        "owner_response": _string,
        "public_response": _string,
        "is_owner": Value("bool"),
        "reward_bonus": Value("float64"),
        "source": _string,
        "id": _string,
        "quality_flags": _flags,
    }
)

# The fields each APT training stage reads, by config: the contract with the trainer.
UNIFIED_FIELDS: dict[str, tuple[str, ...]] = {
    "sft": ("prompt", "response", "source", "task_type"),
    "ruozhiba": ("prompt", "response", "source", "task_type"),
    "dpo": ("prompt", "chosen", "rejected", "source"),
    "storm": ("problem", "cot_explicit", "answer", "solution", "source"),
    "loyalty": ("prompt", "owner_response", "public_response", "is_owner", "reward_bonus"),
}

FEATURES: dict[str, Features] = {"sft": SFT, "ruozhiba": SFT, "dpo": DPO, "storm": STORM, "loyalty": LOYALTY}

STAGES: dict[str, str] = {
    "sft": "SFT",
    "ruozhiba": "reasoning boost",
    "dpo": "DPO and GRPO",
    "storm": "Storm (CoT internalisation)",
    "loyalty": "Loyalty",
}


def stage_of(columns: Iterable[str]) -> str | None:
    """The config whose unified schema has exactly these columns (the first: `sft` for `ruozhiba`'s schema).

    >>> stage_of(["prompt", "chosen", "rejected", "source", "id", "score_chosen", "score_rejected", "quality_flags"])
    'dpo'
    """
    names = set(columns)
    return next((config for config, features in FEATURES.items() if set(features) == names), None)


# The conversational twins (`apt_hub.chat`): message lists made from the rows of their flat config.
TWIN_NAMES: tuple[str, ...] = tuple(TWINS)
ALL_CONFIG_NAMES: tuple[str, ...] = (*CONFIG_NAMES, *TWIN_NAMES)
for _twin, _flat in TWINS.items():
    FEATURES[_twin] = twin_features(_flat, FEATURES[_flat])
    UNIFIED_FIELDS[_twin] = (*MESSAGE_COLUMNS[_flat], *(f for f in UNIFIED_FIELDS[_flat] if f not in TURNED[_flat]))
    STAGES[_twin] = f"{STAGES[_flat]}, as chat messages"
