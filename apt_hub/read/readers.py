"""Reading upstream files row by row, with the line (or parquet row) each row comes from.

A row that cannot be decoded (invalid JSON or UTF-8, nested too deeply, a lone surrogate, an unreadable parquet
page) arrives as a `Problem` instead of raising, so that the caller decides whether it stops the build or is
counted as dropped. A file that is not data at all (a Git LFS pointer, an unknown format) raises.
"""

import gzip
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import Problem, UpstreamError, one_line
from .jsontext import UNIQUE_KEYS, Text, decode_utf8, loads, parse_json_array, surrogate_lines

__all__ = ["LFS_POINTER", "Problem", "read_rows", "read_tables"]

# What a clone made without Git LFS holds instead of each large file.
LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"
_GZIP_ERRORS = (OSError, EOFError, zlib.error)
# JSON Lines are read in blocks of whole lines of about this size; `bytes.strip` strips these.
_BLOCK_BYTES = 4 << 20
# The longest line a JSON Lines file may hold (its newline not counted): a longer one is a bad row, skipped
# without being held in memory, so that a file of one line of gigabytes is refused, not read whole. At least
# `_BLOCK_BYTES`: a line that fits in a block is never refused.
MAX_LINE_BYTES = 64 << 20
_ASCII_SPACE = " \t\n\r\x0b\x0c"
# Parquet bytes per table of `read_tables`.
_TABLE_BYTES = 8 << 20


def read_rows(
    path: str | Path, *, name: str | None = None, columns: Iterable[str] | None = None
) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    """Yield `(line, row)` for every row of a JSON Lines (`.jsonl`, `.jsonl.gz`), JSON array (`.json`,
    `.json.gz`) or `.parquet` file.

    Rows are numbered by the line they begin on (parquet: by row, from 1); blank JSON Lines keep the numbering.
    JSON Lines are split at `\\n` only and decoded line by line, so a line that is not UTF-8 is one `Problem`;
    a UTF-8 byte order mark is accepted. An empty file (no bytes, or only white space) has no rows.

    Args:
        path: the local file.
        name: how errors name the file (default: the path).
        columns: the columns a parquet file is read for (those it has); `None` reads them all. JSON rows are
            always whole.

    Raises:
        UpstreamError: the file is missing, a Git LFS pointer, of an unknown format, or unreadable as a whole.
    """
    path, name = Path(path), name or str(path)
    suffixes = "".join(Path(path.name).suffixes[-2:])
    reader: Callable[[Path, str, list[str] | None], Iterator[tuple[int, dict[str, Any] | Problem]]]
    if path.suffix == ".parquet":
        reader = _read_parquet
    elif suffixes.endswith((".jsonl", ".jsonl.gz", ".ndjson")):
        reader = _read_json_lines
    elif suffixes.endswith((".json", ".json.gz")):
        reader = _read_json_array
    else:
        raise UpstreamError(f"{name}: unknown file format; expected .jsonl, .jsonl.gz, .json, .json.gz or .parquet.")
    if _first_bytes(path, name, len(LFS_POINTER)) == LFS_POINTER:
        raise UpstreamError(
            f"{name}: a Git LFS pointer file, not the data (the clone was made without Git LFS): run `git lfs pull` "
            "in that clone, or build from the Hub (--upstream hub)."
        )
    if path.stat().st_size == 0:
        return iter(())
    return reader(path, name, None if columns is None else list(columns))


def read_tables(path: str | Path, schema: pa.Schema, *, name: str | None = None) -> Iterator[pa.Table] | None:
    """The columns of `schema` of a parquet file as Arrow tables of about 8 MB each, in order, the rows those
    `read_rows` numbers from 1; `None` when the file is not parquet, lacks a column, has one of another type, or
    cannot be read into valid Arrow data (strings that are UTF-8): then `read_rows` reads it, and names any problem.

    The file is read twice, a batch at a time: once to check it whole, so that a damaged page never stops the
    tables halfway, then for the tables. Memory holds one batch, whatever the size of the file.

    Raises:
        UpstreamError: the file changed between the two readings and can no longer be read.
    """
    path, name = Path(path), name or str(path)
    if path.suffix != ".parquet":
        return None
    try:
        file = pq.ParquetFile(path)
        found = file.schema_arrow
        if not all(f.name in found.names and same_type(found.field(f.name).type, f.type) for f in schema):
            return None
        for batch in _batches(file, schema):
            batch.validate(full=True)  # a damaged page can decode to strings that are not UTF-8
    except Exception:  # pyarrow raises several unrelated types for a damaged file
        return None
    return _tables(file, schema, name)


def _batches(file: pq.ParquetFile, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    batch_size = _batch_rows(file.metadata, _TABLE_BYTES, low=1, high=65_536)
    return file.iter_batches(batch_size=batch_size, columns=schema.names)


def _batch_rows(metadata: pq.FileMetaData, batch_bytes: int, *, low: int, high: int) -> int:
    """Rows per batch of about `batch_bytes`, from the file's own size per row, within `low` and `high`."""
    row_bytes = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    return max(low, min(high, batch_bytes * max(1, metadata.num_rows) // max(1, row_bytes)))


def _tables(file: pq.ParquetFile, schema: pa.Schema, name: str) -> Iterator[pa.Table]:
    try:
        for batch in _batches(file, schema):
            yield pa.Table.from_batches([batch]).cast(schema)  # the names of list items may differ
    except Exception as error:
        raise UpstreamError(f"{name}: cannot read the file: {one_line(error)}") from error


def same_type(found: pa.DataType, expected: pa.DataType) -> bool:
    """Whether two Arrow types are the same but for the names of list items.

    >>> same_type(pa.list_(pa.field("element", pa.string())), pa.list_(pa.string()))
    True
    """
    if pa.types.is_list(found) and pa.types.is_list(expected):
        return same_type(found.value_type, expected.value_type)
    if pa.types.is_struct(found) and pa.types.is_struct(expected):
        return [f.name for f in found] == [f.name for f in expected] and all(
            same_type(a.type, b.type) for a, b in zip(found, expected, strict=True)
        )
    return found.equals(expected)


def _first_bytes(path: Path, name: str, size: int) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read(size)
    except OSError as error:
        raise UpstreamError(f"{name}: cannot read the file: {one_line(error)}") from error


def _open(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def _read_json_lines(
    path: Path, name: str, columns: list[str] | None = None
) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    """The rows of a JSON Lines file, read in blocks of whole lines (`_json_block`)."""
    first = 1
    try:
        with _open(path) as file:
            for block in _line_blocks(file):
                if block is None:
                    message = f"a line of more than {MAX_LINE_BYTES:,} bytes, the most a JSON Lines row may hold"
                    yield first, Problem(first, None, message)
                    first += 1
                    continue
                yield from _json_block(block, first)
                first += block.count(b"\n")
    except _GZIP_ERRORS as error:
        raise UpstreamError(f"{name}:{_failing_line(path)}: cannot read the file: {one_line(error)}") from error


def _line_blocks(file) -> Iterator[bytes | None]:
    """A file as blocks of whole lines of about `_BLOCK_BYTES` (the last may lack its newline), and `None` in
    place of each line longer than `MAX_LINE_BYTES`, whose bytes are dropped as they are read."""
    rest: list[bytes] = []  # the start of a line not yet ended, in pieces
    held, skipping = 0, False
    while data := file.read(_BLOCK_BYTES):
        if rest or skipping:  # a line of an earlier block goes on
            newline = data.find(b"\n")
            if not skipping and held + (len(data) if newline < 0 else newline) > MAX_LINE_BYTES:
                yield None
                rest, held, skipping = [], 0, True
            if newline < 0:
                if not skipping:
                    rest.append(data)
                    held += len(data)
                continue
            if skipping:
                data, skipping = data[newline + 1 :], False
        end = data.rfind(b"\n") + 1
        if not end:  # a line longer than the block: read on
            rest, held = [*rest, data], held + len(data)
            continue
        yield b"".join([*rest, data[:end]])
        rest, held = [data[end:]], len(data) - end
    if (last := b"".join(rest)) and not skipping:
        yield last


def _json_block(block: bytes, first: int) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    """The rows of whole lines of a JSON Lines file, the first being line `first`.

    A block that is valid UTF-8 is decoded at once and searched once for escapes of surrogates; its other lines
    then need only `json.loads`. A line with such an escape or that `json.loads` rejects goes through `loads`,
    and every line of a block that is not UTF-8 through `decode_utf8` too, which say what is wrong.
    """
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        yield from _json_lines_one_by_one(block, first)
        return
    lines = text.split("\n")
    last, escapes = len(lines) - 1, surrogate_lines(text)
    for offset, line in enumerate(lines):
        if line.strip(_ASCII_SPACE):
            line = line.removeprefix("\ufeff")  # as decoding each line with utf-8-sig does
            if offset not in escapes:
                try:
                    value = UNIQUE_KEYS.decode(line)
                except (ValueError, RecursionError):
                    pass
                else:
                    yield first + offset, value
                    continue
            # The line as the file holds it, newline included: the column of an error counts it.
            yield first + offset, loads(line + "\n" if offset < last else line, first + offset, unique_keys=True)


def _json_lines_one_by_one(block: bytes, first: int) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    """The rows of a block of whole lines decoded line by line, so that a line that is not UTF-8 is one `Problem`."""
    lines = block.split(b"\n")
    for offset, raw in enumerate(lines):
        raw = raw + b"\n" if offset < len(lines) - 1 else raw
        if raw.strip():
            text = decode_utf8(raw, first + offset - 1)
            yield first + offset, text if isinstance(text, Problem) else loads(text, first + offset, unique_keys=True)


def _failing_line(path: Path) -> int:
    """The line at which a compressed file stops being readable, counted by reading it again line by line."""
    number = 0
    try:
        with _open(path) as file:
            while data := file.read(1 << 16):  # blocks, not lines: a line may be gigabytes long
                number += data.count(b"\n")
    except _GZIP_ERRORS:
        pass
    return number + 1


def _read_json_array(
    path: Path, name: str, columns: list[str] | None = None
) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    try:
        with _open(path) as file:
            text = decode_utf8(file.read())
    except _GZIP_ERRORS as error:
        raise UpstreamError(f"{name}: cannot read the file: {one_line(error)}") from error
    if isinstance(text, Problem):
        yield text.line or 1, Problem(text.line, None, f"{text.message}; the rest of the array is unreadable")
        return
    if not text.strip():
        return
    values, problem = parse_json_array(Text(text), unique_keys=True)
    for value in values:
        yield value.line, value.value
    if problem is not None:
        message = f"{problem.message}; the rest of the array is unreadable"
        yield problem.line or 1, Problem(problem.line, problem.field, message)


def _read_parquet(
    path: Path, name: str, columns: list[str] | None, batch_bytes: int = 8 << 20
) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several unrelated types for a corrupt file
        raise UpstreamError(f"{name}: not a readable parquet file: {one_line(error)}") from error
    if columns is not None:  # a column the file lacks is left to the caller's check, which names it
        columns = [column for column in columns if column in parquet.schema_arrow.names]
    # Rows per batch from the file's own size per row: 1,024 short rows, or a few dozen long reasoning traces.
    metadata = parquet.metadata
    batch_size = _batch_rows(metadata, batch_bytes, low=16, high=1024)
    first = 1
    for group in range(metadata.num_row_groups):
        yield from _row_group(parquet, group, first, columns, batch_size)
        first += metadata.row_group(group).num_rows


def _row_group(
    parquet: pq.ParquetFile, group: int, first: int, columns: list[str] | None, batch_size: int
) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    """The rows of one row group; from a page that cannot be decoded on, one `Problem` per row of the group, so
    that every row lost is counted."""
    done = 0
    try:
        for batch in parquet.iter_batches(batch_size=batch_size, row_groups=[group], columns=columns):
            # Column by column, then zipped into rows: 1.6x faster than `batch.to_pylist()`, the same dicts.
            data = batch.to_pydict()
            for values in zip(*data.values(), strict=True):
                yield first + done, dict(zip(data, values, strict=True))
                done += 1
    except Exception as error:  # a corrupt page: pyarrow raises OSError, ArrowInvalid or a decoding error
        message = f"unreadable parquet data in row group {group}: {one_line(error)}"
        for offset in range(done, parquet.metadata.row_group(group).num_rows):
            yield first + offset, Problem(first + offset, None, message)
