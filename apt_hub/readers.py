"""Reading upstream files row by row, with the line (or parquet row) each row comes from.

A row that cannot be decoded arrives as a `Problem` instead of raising, so that the caller decides whether it
stops the build or is counted as dropped.
"""

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from .errors import UpstreamError


@dataclass(frozen=True)
class Problem:
    """A row that could not be decoded: which field, if any, and what was wrong."""

    field: str | None
    message: str


def read_rows(path: str | Path, *, name: str | None = None) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    """Yield `(line, row)` for every row of a `.jsonl`, `.jsonl.gz`, `.json` (array) or `.parquet` file.

    Lines and parquet rows are numbered from 1; blank JSON Lines are skipped but keep the numbering.

    Args:
        path: the local file.
        name: how errors name the file (default: the path).

    Raises:
        UpstreamError: the file is missing, of an unknown format, or unreadable as a whole.
    """
    path, name = Path(path), name or str(path)
    suffixes = "".join(Path(path.name).suffixes[-2:])
    if path.suffix == ".parquet":
        return _read_parquet(path, name)
    if suffixes.endswith((".jsonl", ".jsonl.gz", ".json.gz", ".ndjson")) or path.suffix == ".json":
        return _read_json_lines(path, name)
    raise UpstreamError(f"{name}: unknown file format; expected .jsonl, .jsonl.gz or .parquet.")


def _read_json_lines(path: Path, name: str) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as error:
                    yield number, Problem(None, f"invalid JSON ({error.msg} at column {error.colno})")
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise UpstreamError(f"{name}: cannot read the file: {error}") from error


def _read_parquet(path: Path, name: str, batch_size: int = 1024) -> Iterator[tuple[int, dict[str, Any] | Problem]]:
    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises several unrelated types for a corrupt file
        raise UpstreamError(f"{name}: not a readable parquet file: {error}") from error
    number = 0
    for batch in parquet.iter_batches(batch_size=batch_size):
        for row in batch.to_pylist():
            number += 1
            yield number, row
