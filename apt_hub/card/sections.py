"""The prose sections of the card that depend on which sources a build holds: content warning, uses, risks,
personal information, how preferences were made.

Each source module owns what is said of it (`Source.warning`, `risks`, `preferences`, `personal`, `license_note`);
this module only gathers the texts of the sources present, so a build without hh-rlhf carries no hh-rlhf warning
and a build without loyalty rows says nothing of what a loyalty file must not hold.
"""

from typing import Any

from ..sources import SOURCES

UPSTREAM_PERSONAL = (
    "The upstream rows are public conversations, questions and answers; they were not screened for personal "
    "information by apt-hub. hh-rlhf and COIG-CQIA's community subsets may name public figures or include details "
    "people typed about themselves."
)


def source_texts(names: list[str], attribute: str) -> list[dict[str, str]]:
    """`[{name, text}]` for each built-in source among `names` that says something under `attribute`."""
    found = [(name, getattr(SOURCES[name], attribute, "")) for name in names if name in SOURCES]
    return [{"name": name, "text": text} for name, text in found if text]


def sections_context(sources: list[str], *, preference_configs: list[str]) -> dict[str, Any]:
    """The variables of the warning, uses, risks, personal information and preferences sections.

    Args:
        sources: the names of the sources the build holds rows of.
        preference_configs: the configs with `chosen` and `rejected` fields.
    """
    return {
        "warnings": source_texts(sources, "warning"),
        "risks": source_texts(sources, "risks"),
        "preferences": source_texts(sources, "preferences") if preference_configs else [],
        "preference_configs": preference_configs,
        "personal": source_texts(sources, "personal"),
        "upstream_personal": UPSTREAM_PERSONAL,
    }
