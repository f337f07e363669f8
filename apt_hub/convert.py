"""Turning upstream files into unified Arrow tables, counting every row kept or dropped, by reason."""

import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pyarrow as pa
from datasets import Features

from .errors import BadRowError, ConfigError, Problem, RowProblem
from .read.readers import read_rows
from .read.upstream import InputFile
from .sources import ColumnCheck, Context, Drop, Row, Source

# A table is yielded every BATCH_ROWS rows or BATCH_CHARS characters of text, whichever comes first, so that
# long reasoning traces do not pile up in memory.
BATCH_ROWS = 2_000
BATCH_CHARS = 8_000_000
# counts[(split, source tag)] is a Counter of "rows", "kept", "dropped_<reason>" and "sampled_out", and of
# EMPTY_FILE + "<repo>/<path>" for each upstream file without a row (the counts survive worker processes), and
# "noted_<what>": kept rows a mapper changed in a way worth counting (it lists them under `NOTES`).
NOTES = "_notes"
Counts = dict[tuple[str, str], Counter]
EMPTY_FILE = "empty_file:"


def convert_file(
    source: Source,
    item: InputFile,
    features: Features,
    counts: Counts,
    *,
    context: Context,
    skip_bad_rows: bool,
    screen: Callable[[Row, Counter], bool] | None = None,
) -> Iterator[pa.Table]:
    """Yield the unified rows of one upstream file as tables of at most `BATCH_ROWS` rows or about `BATCH_CHARS`
    characters. A source with its own `read` (a file checked whole, such as a loyalty file) is read with it.

    `screen` (the quality checks, `apt_hub.clean.checks.screen`) may change a unified row in place and counts it
    when it returns false, which drops the row.

    Raises:
        BadRowError: a row is not valid JSON or Unicode, lacks a field, has a wrong type at any depth, or its
            mapper rejects it, and `skip_bad_rows` is false.
        UpstreamError: the file is not data (a Git LFS pointer) or unreadable as a whole.
    """
    counter = counts.setdefault((item.split, context.tag), Counter())
    batch, chars = [], 0
    name = f"{source.repo_id}/{item.path}" if source.repo_id else item.local
    read = counter["rows"]
    check, row_id = ColumnCheck(source.columns), _row_ids(source, item.path)
    for line, row in _rows(source, item, name):
        counter["rows"] += 1
        unified = _convert(source, check, line, row, context, name)
        if isinstance(unified, Problem):
            if not skip_bad_rows:
                raise BadRowError(
                    source=source.name,
                    file=item.path,
                    line=line,
                    field=unified.field,
                    problem=unified.message,
                    name=name,
                )
            counter["dropped_bad_row"] += 1
            continue
        if isinstance(unified, Drop):
            counter[f"dropped_{unified.reason}"] += 1
            continue
        if screen is not None and not screen(unified, counter):
            continue
        unified["id"] = row_id(line)
        if NOTES in unified:
            for note in unified.pop(NOTES):
                counter[f"noted_{note}"] += 1
        batch.append(unified)
        chars += sum([len(value) for value in unified.values() if isinstance(value, str)])
        if len(batch) >= BATCH_ROWS or chars >= BATCH_CHARS:
            yield _table(batch, features)
            batch, chars = [], 0
    if batch:
        yield _table(batch, features)
    if counter["rows"] == read:
        counter[EMPTY_FILE + name] = 1


def _convert(
    source: Source, check: ColumnCheck, line: int, row: Row | Problem, context: Context, name: str
) -> Row | Drop | Problem:
    """The unified row, a `Drop`, or the `Problem` of a row that cannot be read, typed or mapped (`check` is the
    source's `ColumnCheck`).

    Raises:
        ConfigError: the mapper's code is at fault whatever the row (see `RowProblem.skippable`).
    """
    if isinstance(row, Problem):
        return row
    if (found := check(row)) is not None:
        return Problem(line, *found)
    try:
        return source.convert(row, context)
    except RowProblem as error:
        if error.skippable:
            return Problem(line, error.field, error.message)
        raise ConfigError(
            Problem(line, error.field, error.message, name, f"source {source.name!r}").format()
        ) from None


def input_notes(config: str, counts: Counts, splits: dict[str, dict]) -> list[str]:
    """What a build summary must say besides the counts: each upstream file without a row, each empty split.

    >>> from collections import Counter
    >>> input_notes("sft", {("train", "x"): Counter({"empty_file:org/x/a.jsonl": 1})}, {"train": {"rows": 0}})
    ['org/x/a.jsonl: empty file (no rows)', 'sft/train: 0 rows']
    """
    notes = [
        f"{key.removeprefix(EMPTY_FILE)}: empty file (no rows)"
        for counter in counts.values()
        for key in sorted(counter)
        if key.startswith(EMPTY_FILE)
    ]
    return notes + [f"{config}/{split}: 0 rows" for split, info in splits.items() if not info["rows"]]


def sample_rows(tables: Iterable[pa.Table], features: Features, max_samples: int, seed: str) -> pa.Table:
    """At most `max_samples` rows of the tables, drawn with `seed`, in their original order."""
    table = pa.concat_tables([*tables, features.arrow_schema.empty_table()])
    if table.num_rows <= max_samples:
        return table
    chosen = sorted(random.Random(seed).sample(range(table.num_rows), max_samples))
    return table.take(chosen)


def finish_counts(counts: Counts) -> dict[str, dict[str, dict[str, int]]]:
    """Counts as `{split: {tag: {rows, kept, dropped_<reason>..., sampled_out, trimmed, flagged_<check>...}}}`,
    sorted for stable output; `trimmed` and `flagged_<check>` count kept rows and only when not zero."""
    result: dict[str, dict[str, dict[str, int]]] = {}
    for (split, tag), counter in sorted(counts.items()):
        dropped = sum(n for key, n in counter.items() if key.startswith("dropped_"))
        sampled_out = counter["rows"] - dropped - counter["kept"]
        entry = {"rows": counter["rows"], "kept": counter["kept"]}
        entry |= {key: counter[key] for key in sorted(counter) if key.startswith(("dropped_", "noted_"))}
        if sampled_out:
            entry["sampled_out"] = sampled_out
        entry |= {key: counter[key] for key in sorted(counter) if _is_note(key) and counter[key]}
        result.setdefault(split, {})[tag] = entry
    return result


def _rows(source: Source, item: InputFile, name: str) -> Iterable[tuple[int, Any]]:
    """The `(line, row)` pairs of a file: the source's own reader, else the build's readers."""
    if source.read:
        return source.read(item.local)
    # Only the declared columns: the mapper reads no other (UltraFeedback's `messages` repeats `chosen`).
    return read_rows(item.local, name=name, columns=list(source.columns) or None)


def _row_ids(source: Source, path: str) -> Callable[[int], str]:
    """The `id` of each line of a file: `source.row_id` formatted once up to a final `{line}`, which is the common
    case, so that a row costs a concatenation instead of parsing the template again."""
    template = source.row_id
    if template.endswith("{line}"):
        try:  # a head that refers to `line` too, or ends in a lone brace, is left to `format`
            head = template.removesuffix("{line}").format(source=source.name, path=path)
        except (KeyError, IndexError, ValueError):
            pass
        else:
            return lambda line: f"{head}{line}"
    return lambda line: template.format(source=source.name, path=path, line=line)


def _is_note(key: str) -> bool:
    return key == "trimmed" or key.startswith("flagged_")


def _table(rows: list[dict], features: Features) -> pa.Table:
    try:
        return pa.Table.from_pylist(rows, schema=features.arrow_schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # A value `datasets` coerces, such as a custom mapper's 5 for a string: encoding each row is 2x slower.
        return pa.Table.from_pylist([features.encode_example(row) for row in rows], schema=features.arrow_schema)
