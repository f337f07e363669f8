"""The config registry: every config a build writes, by name, declared once (one module a flat config here; each
twin is made from its flat config's `Twin` recipe).

A flat config and its twin are one unit: both are written from the same converted rows, in the same build.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..chat import form_problem
from ..errors import AptHubError, check_choice
from . import dpo, loyalty, ruozhiba, sft, storm
from .base import (
    MESSAGES,
    Config,
    Derived,
    Export,
    LlamaFactoryEntry,
    TrlRecipe,
    Twin,
    converted_features,
    features_of,
    twin_of,
    with_derived,
    with_recorded,
)

if TYPE_CHECKING:
    import pyarrow as pa

FLAT: tuple[Config, ...] = tuple(module.CONFIG for module in (sft, ruozhiba, dpo, storm, loyalty))
CONFIGS: dict[str, Config] = {
    config.name: config for config in (*FLAT, *(twin_of(flat) for flat in FLAT if flat.twin is not None))
}


def get_config(name: str) -> Config:
    """The config of that name; the error lists the available ones.

    Raises:
        UsageError: no config has that name; the message names the closest.
    """
    return CONFIGS[check_choice(name, CONFIGS, "config")]


def flat_of(name: str) -> Config:
    """The flat config a config is made from: itself for a flat config.

    >>> flat_of("dpo_chat").name, flat_of("dpo").name
    ('dpo', 'dpo')
    """
    config = get_config(name)
    return CONFIGS[config.flat] if config.flat else config


def unit_of(name: str) -> tuple[Config, ...]:
    """A flat config and its twin, which are always written together from the same rows.

    >>> [config.name for config in unit_of("sft_chat")], [config.name for config in unit_of("loyalty")]
    (['sft', 'sft_chat'], ['loyalty'])
    """
    flat = flat_of(name)
    return (flat, CONFIGS[f"{flat.name}_chat"]) if flat.twin else (flat,)


def of_columns(columns: Iterable[str], *, messages: Iterable[str] | None = None) -> Config | None:
    """The first config whose files have exactly these columns, in this order (`sft` for `ruozhiba`'s); with
    `messages`, the columns that hold message lists, exactly those of the config (the columns of a `dpo` folder of
    an older version, without `history`, are the names of `dpo_chat`'s).

    >>> columns = ["prompt", "chosen", "rejected", "source", "id", "score_chosen", "score_rejected", "quality_flags"]
    >>> of_columns(columns).name, of_columns(columns, messages=[])
    ('dpo_chat', None)
    >>> of_columns([*columns, "history", "last_turn"]).name
    'dpo'
    """
    columns = tuple(columns)
    wanted = None if messages is None else set(messages)
    return next(
        (
            config
            for config in CONFIGS.values()
            if config.field_names == columns
            and (wanted is None or {name for name, kind in config.fields if kind == MESSAGES} == wanted)
        ),
        None,
    )


def of_schema(schema: pa.Schema) -> Config | None:
    """The config whose files have this Arrow schema's columns, message lists where it has them (`of_columns`)."""
    from ..chat import is_message_list

    return of_columns(schema.names, messages=[f.name for f in schema if is_message_list(f.type)])


def shape(config: Config, table: pa.Table) -> pa.Table:
    """A converted table (a flat config's fields, then the columns recorded for its twin) as `config` stores it:
    the flat rows without the recorded columns, or the twin, made over whole columns.

    Example:
        >>> import pyarrow as pa
        >>> t = pa.table({"prompt": ["Hi"], "response": ["Hello"], "source": ["s"], "task_type": [""], "id": ["s:1"],
        ...               "domain": [[]], "answer_from": [""], "human_verified": [True], "quality_flags": [[]]})
        >>> shape(CONFIGS["sft_chat"], t).to_pylist()[0]["completion"]
        [{'role': 'assistant', 'content': 'Hello'}]
    """
    import pyarrow as pa

    flat = flat_of(config.name)
    recipe = flat.twin
    if not config.is_twin:
        recorded = recipe.recorded if recipe else ()
        return table.drop_columns([name for name in recorded if name in table.column_names])
    assert recipe is not None
    messages = recipe.build(table)
    columns = [messages[name] if name in messages else table[name] for name in config.field_names]
    twin = pa.table(columns, schema=config.arrow_schema)
    if (problem := form_problem(twin)) is not None:  # every row of every build: a twin TRL cannot read is a bug
        row, what = problem
        raise AptHubError(
            f"{config.name}: row {twin['id'][row].as_py()} is not in TRL's conversational form ({what}). This is "
            "a bug of apt-hub: please report it with the command that built this."
        )
    return twin


__all__ = [
    "CONFIGS",
    "FLAT",
    "MESSAGES",
    "Config",
    "Derived",
    "Export",
    "LlamaFactoryEntry",
    "TrlRecipe",
    "Twin",
    "converted_features",
    "features_of",
    "flat_of",
    "get_config",
    "of_columns",
    "of_schema",
    "shape",
    "twin_of",
    "unit_of",
    "with_derived",
    "with_recorded",
]
