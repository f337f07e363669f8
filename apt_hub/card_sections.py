"""The prose sections of the card that depend on which sources a build holds: content warning, uses, risks,
personal information, how preferences were made.

Each source module owns what is said of it (`Source.warning`, `risks`, `preferences`, `license_note`); this module
only gathers the texts of the sources present, so a build without hh-rlhf carries no hh-rlhf warning. The
loyalty file is not a Hub source: its texts live here.
"""

from typing import Any

from .sources import SOURCES

LOYALTY_WARNING = (
    "The `loyalty` rows are written by hand for one owner: they may describe that person's habits and "
    "circumstances. Read *Personal and sensitive information* before publishing them."
)
LOYALTY_RISKS = (
    "The `loyalty` rows teach a model to treat its owner differently from everyone else: more personal and "
    "proactive with the owner, more guarded with others. Trained on a small hand-written file, the model learns "
    "the writer's style and assumptions as much as the behaviour; it must never learn to reveal the owner's "
    "details to someone else."
)
LOYALTY_PERSONAL = [
    "The loyalty guidance asks the writer of `owner_response` to use what the owner has told the assistant. In a "
    "repository that anyone other than the owner can read, those details must be invented or generic: never "
    "real names, addresses, phone numbers, e-mail addresses, account or ID numbers, health, financial or legal "
    "details, passwords or keys, locations or daily routines of a real person.",
    "`public_response` must hold no personal detail at all: it is what the model says to anyone.",
    "Keep a loyalty file with real details in a private repository (the default of `apt-hub publish`), and check "
    "the rows again before `--public`.",
]
UPSTREAM_PERSONAL = (
    "The upstream rows are public conversations, questions and answers; they were not screened for personal "
    "information by apt-hub. hh-rlhf and COIG-CQIA's community subsets may name public figures or include details "
    "people typed about themselves."
)


def source_texts(names: list[str], attribute: str) -> list[dict[str, str]]:
    """`[{name, text}]` for each built-in source among `names` that says something under `attribute`."""
    found = [(name, getattr(SOURCES[name], attribute, "")) for name in names if name in SOURCES]
    return [{"name": name, "text": text} for name, text in found if text]


def sections_context(sources: list[str], *, has_loyalty: bool, preference_configs: list[str]) -> dict[str, Any]:
    """The variables of the warning, uses, risks, personal information and preferences sections.

    Args:
        sources: the names of the sources the build read.
        has_loyalty: whether a config holds loyalty rows.
        preference_configs: the configs with `chosen` and `rejected` fields.
    """
    loyalty = [{"name": "loyalty", "text": LOYALTY_WARNING}] if has_loyalty else []
    return {
        "warnings": source_texts(sources, "warning") + loyalty,
        "risks": source_texts(sources, "risks")
        + ([{"name": "loyalty", "text": LOYALTY_RISKS}] if has_loyalty else []),
        "preferences": source_texts(sources, "preferences") if preference_configs else [],
        "preference_configs": preference_configs,
        "personal": [UPSTREAM_PERSONAL, *(LOYALTY_PERSONAL if has_loyalty else [])],
    }
