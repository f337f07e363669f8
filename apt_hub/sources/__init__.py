"""The source registry: every upstream the build can read, by name.

Built-in sources live one module each in this package; `register` adds a user's own.
"""

from ..errors import ConfigError, check_choice
from . import coig_cqia, hh_rlhf, loyalty, s1k, ultrafeedback
from .base import ColumnCheck, Context, Drop, Option, Row, Source, TableMapper, check_columns, matches

SOURCES: dict[str, Source] = {}


def register(source: Source, *, replace: bool = False) -> Source:
    """Add a source to the registry so that builds read it.

    Args:
        source: the source to add.
        replace: allow replacing a source of the same name.

    Raises:
        ConfigError: a source of that name exists and `replace` is false.
    """
    if source.name in SOURCES and not replace:
        raise ConfigError(f"A source named {source.name!r} is already registered ({SOURCES[source.name].repo_id}).")
    SOURCES[source.name] = source
    return source


def get_source(name: str) -> Source:
    """The registered source of that name; the error lists the available ones."""
    return SOURCES[check_choice(name, sorted(SOURCES), "a source")]


def sources_for(config: str) -> list[Source]:
    """The registered sources that feed a config, in registration order."""
    return [source for source in SOURCES.values() if config in source.feeds]


def declared_options() -> dict[str, Option]:
    """The options the registered sources declare, by name."""
    return {option.name: option for source in SOURCES.values() for option in source.options}


for _module in (coig_cqia, hh_rlhf, ultrafeedback, s1k, loyalty):
    register(_module.SOURCE)

__all__ = [
    "SOURCES",
    "ColumnCheck",
    "Context",
    "Drop",
    "Option",
    "Row",
    "Source",
    "TableMapper",
    "check_columns",
    "declared_options",
    "get_source",
    "matches",
    "register",
    "sources_for",
]
