"""Turning upstream files into unified Arrow tables, counting every row kept or dropped, by reason."""

import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import repeat
from typing import Any, cast

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from datasets import Features

from .errors import BadRowError, ConfigError, Problem, RowProblem, short
from .read.readers import read_rows, read_tables
from .read.upstream import InputFile
from .sources import ColumnCheck, Context, Drop, Row, Source, TableMapper

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
# The quality checks of a table of unified rows: the rows kept (maybe changed) and which rows those are.
Screen = Callable[[pa.Table, Counter], tuple[pa.Table, pa.Array]]


def convert_file(
    source: Source,
    item: InputFile,
    features: Features,
    counts: Counts,
    *,
    context: Context,
    skip_bad_rows: bool,
    screen: Screen | None = None,
) -> Iterator[pa.Table]:
    """Yield the unified rows of one upstream file as tables of at most `BATCH_ROWS` rows or about `BATCH_CHARS`
    characters. A source with its own `read` (a file checked whole, such as a loyalty file) is read with it.

    `screen` (the quality checks, `apt_hub.clean.checks.RowScreen.table`) takes each table of unified rows and
    gives the rows it keeps, which it may change, and which rows those are; it counts the rows it drops.

    Raises:
        BadRowError: a row is not valid JSON or Unicode, lacks a field, has a wrong type at any depth, or its
            mapper rejects it, and `skip_bad_rows` is false.
        UpstreamError: the file is not data (a Git LFS pointer) or unreadable as a whole.
    """
    counter = counts.setdefault((item.split, context.tag), Counter())
    batch: list[Row | _Settled] = []
    notes: list[tuple[str, ...]] = []
    chars = 0
    name = f"{source.repo_id}/{item.path}" if source.repo_id else item.local
    read = counter["rows"]
    check, row_id = ColumnCheck(source.columns), _row_ids(source, item.path)
    settled = _settled_rows(source, item, name, context, row_id, features)
    first = True
    for line, row in _rows(source, item, name) if settled is None else settled:
        counter["rows"] += 1
        if isinstance(row, _Settled):  # a row the table mapper settled
            batch.append(row)
            notes.append(())
            chars += row.chars
        else:
            unified = _convert(source, check, line, row, context, name)
            if first and isinstance(unified, Problem) and (error := _unmapped(source, item, name, row, unified)):
                raise error
            first = first and not isinstance(row, dict)
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
            unified["id"] = row_id(line)
            notes.append(unified.pop(NOTES, ()))
            batch.append(unified)
            chars += sum([len(value) for value in unified.values() if isinstance(value, str)])
        if len(batch) >= BATCH_ROWS or chars >= BATCH_CHARS:
            yield _screened(batch, notes, features, counter, screen, mixed=settled is not None)
            batch, notes, chars = [], [], 0
    if batch:
        yield _screened(batch, notes, features, counter, screen, mixed=settled is not None)
    if counter["rows"] == read:
        counter[EMPTY_FILE + name] = 1


@dataclass(frozen=True, slots=True)
class _Settled:
    """A row a source's `TableMapper` settled: row `index` of a table of unified rows, and the characters of its
    strings (what the row path counts of a unified row)."""

    table: pa.Table
    index: int
    chars: int


def _settled_rows(
    source: Source, item: InputFile, name: str, context: Context, row_id: Callable[[int], str], features: Features
) -> Iterator[tuple[int, _Settled | Row]] | None:
    """`(line, row)` for every row of a parquet file, a `_Settled` for the rows the source's `TableMapper` settles,
    the upstream row for the others; `None` when the source has no table mapper or the file cannot be read as
    tables of its columns (then every row takes the row path, which names any problem)."""
    mapper = source.convert_table
    if mapper is None or source.read is not None:
        return None
    tables = read_tables(item.local, mapper.schema, name=name)
    return None if tables is None else _settled_in(tables, mapper, context, row_id, features.arrow_schema)


def _settled_in(
    tables: Iterator[pa.Table], mapper: TableMapper, context: Context, row_id: Callable[[int], str], schema: pa.Schema
) -> Iterator[tuple[int, _Settled | Row]]:
    line = 0
    for table in tables:
        unified, settled = mapper.convert(table, context)
        settled = settled.combine_chunks() if isinstance(settled, pa.ChunkedArray) else settled
        lines = pc.add(pc.indices_nonzero(settled), line + 1).to_pylist()
        unified = unified.append_column("id", pa.array([row_id(n) for n in lines], pa.string()))
        columns = [
            unified[name] if name in unified.column_names else pa.nulls(unified.num_rows, schema.field(name).type)
            for name in schema.names
        ]
        unified = pa.table(columns, schema=schema)
        chars = iter(_text_lengths(unified))
        others = iter(table.filter(pc.invert(settled)).to_pylist())
        index = 0
        for is_settled in settled.to_pylist():
            line += 1
            if is_settled:
                yield line, _Settled(unified, index, next(chars))
                index += 1
            else:
                yield line, next(others)


def _text_lengths(table: pa.Table) -> list[int]:
    """The characters of the strings of each row."""
    lengths = [pc.fill_null(pc.utf8_length(column), 0) for column in table.columns if _is_text(column.type)]
    total = lengths[0] if lengths else pa.array([0] * table.num_rows, pa.int64())
    for length in lengths[1:]:
        total = pc.add(total, length)
    return total.to_pylist()


def _is_text(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def _screened(
    rows: list[Row | _Settled],
    notes: list,
    features: Features,
    counter: Counter,
    screen: Screen | None,
    *,
    mixed: bool,
) -> pa.Table:
    """The table of some unified rows once screened, with the notes of the rows kept counted: dicts, or with
    `mixed` dicts and rows a table mapper settled."""
    table = _merged(rows, features) if mixed else _table(cast(list[Row], rows), features)
    kept = None
    if screen is not None:
        table, kept = screen(table, counter)
    for row_notes, keep in zip(notes, kept.to_pylist() if kept is not None else repeat(True), strict=False):
        if keep:
            for note in row_notes:
                counter[f"noted_{note}"] += 1
    return table


def _merged(rows: list[Row | _Settled], features: Features) -> pa.Table:
    """The table of unified rows given as dicts or as settled rows, in their order: each run of settled rows of one
    table is a slice of it, each run of dicts a table of its own."""
    pieces: list[pa.Table] = []
    run: list[Row | _Settled] = []
    for row in [*rows, None]:
        if run and (row is None or type(row) is not type(run[-1]) or not _follows(run[-1], row)):
            first = run[0]
            if isinstance(first, _Settled):
                pieces.append(first.table.slice(first.index, len(run)))
            else:
                pieces.append(_table(cast(list[Row], run), features))
            run = []
        if row is not None:
            run.append(row)
    if len(pieces) == 1:
        return pieces[0]
    return pa.concat_tables(pieces).combine_chunks()


def _follows(previous: Row | _Settled, row: Row | _Settled) -> bool:
    """Whether `row` goes on a run that ends with `previous`: dicts always, a settled row if it is the next one of
    the same table."""
    if not isinstance(row, _Settled):
        return True
    return isinstance(previous, _Settled) and row.table is previous.table and row.index == previous.index + 1


def _unmapped(source: Source, item: InputFile, name: str, row: Any, problem: Problem) -> ConfigError | None:
    """The error of a column a sources file maps that the first row of a file lacks: the mapping is wrong, not
    every row (a parquet file's rows are read for the mapped columns only, so its own columns are its schema's)."""
    if not isinstance(row, dict) or problem.field is None or problem.field in row:
        return None
    present = pq.read_schema(item.local).names if item.local.endswith(".parquet") else list(row)
    return source.unmapped(problem.field, present, name)


def _convert(
    source: Source, check: ColumnCheck, line: int, row: Row | Problem, context: Context, name: str
) -> Row | Drop | Problem:
    """The unified row, a `Drop`, or the `Problem` of a row that cannot be read, typed or mapped (`check` is the
    source's `ColumnCheck`).

    Raises:
        ConfigError: the mapper's code is at fault whatever the row (see `RowProblem.skippable`), or gave the row
            the `source` of another source: the counts are kept by the file's tag, so its rows must carry it.
    """
    if isinstance(row, Problem):
        return row
    if (found := check(row)) is not None:
        return Problem(line, *found)
    try:
        unified = source.convert(row, context)
    except RowProblem as error:
        if error.skippable:
            return Problem(line, error.field, error.message)
        raise ConfigError(
            Problem(line, error.field, error.message, name, f"source {source.name!r}").format()
        ) from None
    if isinstance(unified, dict) and unified.get("source", context.tag) != context.tag:
        message = (
            f"the row mapper gave the row source {short(unified['source'])}; the rows of this file carry "
            f"{context.tag!r}, the name of their own source (leave 'source' out of what the mapper returns)"
        )
        raise ConfigError(Problem(line, "source", message, name, f"source {source.name!r}").format())
    return unified


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
