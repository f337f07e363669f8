"""The measures of conversational configs: message lists read as text per role, and turns per message list.

`stats` measures text columns; a message column (a list of `{role, content}`) becomes one text column per role
that occurs in it (`prompt[user]`, `prompt[assistant]`, `chosen[assistant]`: the contents of that role joined by a
blank line) and a `_turns_<column>` count, so that lengths, empties, duplicates, histograms and pair checks are
taken as for the flat configs, and `turns` says how many messages each list holds.
"""

from collections.abc import Mapping

import polars as pl

TURNS_PREFIX = "_turns_"
ROLES = ("system", "user", "assistant")


def message_columns(schema: Mapping[str, pl.DataType]) -> list[str]:
    """The columns holding lists of `{role, content}` messages.

    >>> message_columns({"prompt": pl.List(pl.Struct({"role": pl.String, "content": pl.String})), "id": pl.String})
    ['prompt']
    """
    message = pl.List(pl.Struct({"role": pl.String, "content": pl.String}))
    return [name for name, dtype in schema.items() if dtype == message]


def roles_in(frame: pl.LazyFrame, column: str) -> list[str]:
    """The roles that occur in a message column, in conversation order (system, user, assistant, then others)."""
    found = (
        frame.select(pl.col(column).list.eval(pl.element().struct.field("role")).explode().drop_nulls().unique())
        .collect(engine="streaming")
        .to_series()
        .to_list()
    )
    return sorted(found, key=lambda role: (ROLES.index(role) if role in ROLES else len(ROLES), role))


def as_text(
    frame: pl.LazyFrame, schema: Mapping[str, pl.DataType], roles: dict[str, list[str]]
) -> tuple[pl.LazyFrame, pl.Schema]:
    """The frame with each message column replaced by its text per role and its number of messages.

    Args:
        frame: the rows of a split.
        schema: their parquet schema.
        roles: the roles of each message column (`roles_in`), the same for every split of a config.

    Returns:
        The new frame and its schema: `<column>[<role>]` strings in place of the column, `_turns_<column>` counts.
    """
    if not roles:
        return frame, pl.Schema(schema)
    exprs = []
    for name in schema:
        if name not in roles:
            exprs.append(pl.col(name))
            continue
        messages = pl.col(name)
        for role in roles[name]:
            contents = messages.list.eval(
                pl.element().filter(pl.element().struct.field("role") == role).struct.field("content")
            )
            exprs.append(contents.list.join("\n\n").alias(f"{name}[{role}]"))
        exprs.append(messages.list.len().alias(f"{TURNS_PREFIX}{name}"))
    frame = frame.select(exprs)
    return frame, frame.collect_schema()


def turn_exprs(schema: pl.Schema) -> list[pl.Expr]:
    """Messages per list: mean, median, max, and the lists of more than one message."""
    exprs = []
    for name in [n for n in schema if n.startswith(TURNS_PREFIX)]:
        turns, label = pl.col(name), f"turns.{name.removeprefix(TURNS_PREFIX)}"
        exprs += [
            turns.mean().alias(f"{label}.mean"),
            turns.median().alias(f"{label}.median"),
            turns.max().alias(f"{label}.max"),
            (turns > 1).sum().alias(f"{label}.multi"),
        ]
    return exprs
