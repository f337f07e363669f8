"""The per-row measures of a build: taken while its shards are written, kept beside them (hidden, never published)
and read back by `stats`, which then need not read a text again.

Each split's measures are an Arrow file of small per-row numbers (lengths, emptiness, the keys of the duplicate
rule, pair and answer flags) and a JSON file that ties it to the shards measured and to its own digest: measures are
used only with the very file written for those very shards. polars alone reads them; pyarrow is imported only where
shards are read or written.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from . import __version__
from .chat.stats import ROLES, TURNS_PREFIX, as_text, message_columns, roles_in
from .clean.text import combined_key, text_fields, with_keys
from .folder import MEASURES_DIR, replacing_file
from .layout import batch_groups, write_json
from .tokens import estimate

if TYPE_CHECKING:
    import pyarrow as pa

# The measures taken from the text keys (`key_measures`).
_KEY_MEASURES = ("_row_key", "_prompt_key", "_pair_identical", "_pair_prefix")
# The per-row measures a build writes beside its shards (in `MEASURES_DIR`, hidden: never published) are an Arrow
# file per config and split and a JSON file that ties it to the shards measured. The layout of the measures is part
# of that tie: a change in what they hold leaves older ones aside.
MEASURES_LAYOUT = 3  # 2: answer_kind instead of whether a row has an answer; 3: estimated tokens per text field
# Rows measured at once while a build writes its shards (`measuring`).
MEASURED_ROWS = 16_384
PROMPT_FIELDS = ("prompt", "problem")


@dataclass(frozen=True)
class SplitMeasures:
    """What the build wrote for `stats` of one split: the per-row measures and the Arrow bytes of its shards."""

    rows: pl.DataFrame
    num_bytes: int


def shard_digest(root: Path, paths: list[str]) -> str:
    """A digest of a split's shards: their paths and content."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.encode())
        digest.update(bytes.fromhex(_file_digest(root / path)))
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    """The SHA-256 of a file's content."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def compared(schema: Collection[str], text: list[str]) -> bool:
    """Whether rows are compared (duplicates, train overlap, preference pairs): not those of message lists, which
    are the rows of their flat config, compared there; normalising every text again would double the cost."""
    return bool(text) and not any(name.startswith(TURNS_PREFIX) for name in schema)


def measure_rows(frame: pl.LazyFrame, schema: pl.Schema, text: list[str]) -> pl.DataFrame:
    """One pass over a split's text: the small per-row numbers that every measure is computed from.

    Lengths, estimated tokens (`apt_hub.tokens`) and emptiness of each text field; keys of the normalised row and
    prompt with first-occurrence flags (duplicates); pair, answer and loyalty flags where the schema has them;
    `source` and `grade`.
    """
    # Collected before the first-occurrence flags, which need every row: the text then streams past in batches.
    measured = with_text_keys(frame, schema, text).select(row_measures(schema, text, keyed=True))
    return first_occurrences(measured.collect(engine="streaming"), schema, text)


def with_text_keys(frame: pl.LazyFrame, schema: pl.Schema, text: list[str]) -> pl.LazyFrame:
    """The frame with the text keys the measures compare (`apt_hub.clean.text.with_keys`), when it compares rows."""
    if not compared(schema, text):
        return frame
    return with_keys(frame, text, ("chosen", "rejected") if {"chosen", "rejected"} <= set(schema) else None)


def row_measures(schema: pl.Schema, text: list[str], *, keyed: bool) -> list[pl.Expr]:
    """The per-row numbers of `measure_rows`, each taken from its own row only; with `keyed`, those taken from the
    text keys (`with_text_keys`) too."""
    carried = ("source", "grade", "answer_kind", "is_owner", "reward_bonus")
    columns = [pl.col(name) for name in carried if name in schema]
    columns += [pl.col(name) for name in schema if name.startswith(TURNS_PREFIX)]
    for field in text:
        columns += [pl.col(field).str.len_chars().alias(f"_len_{field}"), is_empty(field).alias(f"_empty_{field}")]
        columns.append(estimate(pl.col(field)).cast(pl.Float32).alias(f"_tok_{field}"))
    return columns + (key_measures(schema, text) if keyed else [])


def key_measures(schema: Collection[str], text: list[str]) -> list[pl.Expr]:
    """The measures taken from the text keys: the row and prompt keys and, for a preference pair, whether its
    sides are identical or one begins with the other (an empty side is counted among the empty fields)."""
    if not compared(schema, text):
        return []
    prompt = next((f for f in PROMPT_FIELDS if f in text), text[0])
    columns = [combined_key(text).alias("_row_key"), combined_key([prompt]).alias("_prompt_key")]
    if {"chosen", "rejected"} <= set(schema):
        identical = pl.col("_pair_identical")
        columns += [identical, (~identical & ~pl.col("_pair_empty") & pl.col("_pair_starts")).alias("_pair_prefix")]
    return columns


def first_occurrences(measured: pl.DataFrame, schema: Collection[str], text: list[str]) -> pl.DataFrame:
    """The per-row numbers with the duplicate flags, which compare each row with the rows before it."""
    if not compared(schema, text):
        return measured
    return measured.with_columns(
        (~pl.col("_row_key").is_first_distinct()).alias("_dup_row"),
        (~pl.col("_prompt_key").is_first_distinct()).alias("_dup_prompt"),
    )


def is_empty(field: str) -> pl.Expr:
    """Whether a text value is null or only white space."""
    return pl.col(field).is_null() | (pl.col(field).str.strip_chars() == "")


def measuring(
    batches: Iterable[pa.RecordBatch], sink: list[pl.DataFrame], *, keyed: bool = False
) -> Iterator[pa.RecordBatch]:
    """Pass record batches through, adding the per-row measures of each to `sink` (see `write_measures`).

    Batches are measured together, `MEASURED_ROWS` rows or more at a time, which costs far less than one at a
    time. With `keyed`, the measures taken from the text keys are left out: `write_measures` takes them from the keys
    the build's split checks computed. The message lists of a group of batches are read as text for the roles
    that occur in it; `read_measures` gives the rows of other groups the text of the roles they lack (empty), as
    reading the whole config would.
    """
    for group in batch_groups(batches, MEASURED_ROWS, lambda batch: batch.num_rows):
        sink.append(_measured(group, keyed=keyed))
        yield from group


def _measured(batches: list[pa.RecordBatch], *, keyed: bool) -> pl.DataFrame:
    """The per-row measures of some record batches taken together (see `measuring`)."""
    import pyarrow as pa

    frame = pl.DataFrame(pl.from_arrow(pa.Table.from_batches(batches)))
    schema = frame.schema
    roles = {name: roles_in(frame.lazy(), name) for name in message_columns(schema)}
    shaped, schema = as_text(frame.lazy(), schema, roles)
    text = text_fields(schema)
    keys = shaped if keyed else with_text_keys(shaped, schema, text)
    return _owned(keys.select(row_measures(schema, text, keyed=not keyed)).collect())


def _owned(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with its own copy of each string column: polars shares Arrow's string buffers, and those of a
    batch read from a file are slices of the whole batch, which a measure of every batch would keep alive."""
    return frame.with_columns(
        pl.Series(name, frame[name].to_list(), dtype=pl.String)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


def write_measures(
    root: Path,
    config: str,
    split: str,
    files: list[str],
    frames: list[pl.DataFrame],
    keys: pl.DataFrame | None = None,
) -> None:
    """Write the per-row measures of a split, with its duplicate flags, beside its shards, under the digest of
    those shards.

    `stats` then takes them instead of reading every text again, as long as the shards are the ones measured.

    Args:
        root: the build folder.
        config: the config written.
        split: the split written.
        files: its shards, relative to `root`, as written.
        frames: the measures of its batches, in order (`measuring`); none (an empty split) writes nothing, and
            `stats` reads that split.
        keys: the text keys of its rows, in order (`apt_hub.clean.dedup.row_keys`), when `measuring` left out
            the measures taken from them.
    """
    if not frames:
        return
    # A role that only some batches hold: the rows of the others have it empty, as in `chat.stats.as_text`.
    fields = sorted({c.removeprefix("_len_") for frame in frames for c in frame.columns if c.startswith("_len_")})
    frames = [with_all_roles(frame, fields) for frame in frames]
    measured = pl.concat(frames, how="diagonal_relaxed")
    if keys is not None:
        if keys.height != measured.height:
            raise ValueError(f"{config}/{split}: {keys.height} text keys for {measured.height} rows")
        taken = measured.hstack(keys).with_columns(key_measures(fields, fields))
        measured = taken.drop([c for c in keys.columns if c not in measured.columns and c not in _KEY_MEASURES])
    # The duplicate flags compare each row with every row before it in the split: taken once, here, for `stats`.
    measured = first_occurrences(measured, measured.columns, fields)
    path = root / MEASURES_DIR / config / f"{split}.arrow"
    with replacing_file(path, mode="wb") as file:
        measured.write_ipc(file, compression="zstd")
    # The Arrow bytes are read back now, while the shards are fresh in memory, so that `stats` need not decode them.
    tie = _measures_tie(shard_digest(root, files), _file_digest(path)) | {"num_bytes": arrow_bytes(root, files)}
    write_json(path.with_suffix(".json"), tie)


def forget_measures(root: Path, config: str) -> None:
    """Remove the measures of a config about to be written again."""
    shutil.rmtree(root / MEASURES_DIR / config, ignore_errors=True)


def read_measures(root: Path, config: str, digests: dict[str, str]) -> dict[str, SplitMeasures] | None:
    """The measures the build wrote for every split of a config, or `None` when any is missing or was taken from
    other shards (a config made by `merge`, replaced shards, a folder of an older version).

    Each split's measures are an Arrow file and a JSON file (`<split>.arrow`, `<split>.json`); the JSON holds the
    digest of the shards measured and the digest of the Arrow file itself, so that measures are taken only with
    the very file written for those very shards.

    Args:
        root: the build folder.
        config: the config.
        digests: the `shard_digest` of each of its splits, as the shards are now.
    """
    measured = {}
    for split, digest in digests.items():
        found = _split_measures(root / MEASURES_DIR / config / f"{split}.arrow", digest)
        if found is None:
            return None
        measured[split] = found
    return measured


def _split_measures(path: Path, digest: str) -> SplitMeasures | None:
    """The measures of one split (`read_measures`), or `None`."""
    try:
        data = path.read_bytes()
        tie = json.loads(path.with_suffix(".json").read_bytes())
    except (OSError, ValueError):
        return None
    num_bytes = tie.pop("num_bytes", None) if isinstance(tie, dict) else None
    if tie != _measures_tie(digest, hashlib.sha256(data).hexdigest()) or type(num_bytes) is not int:
        return None
    return SplitMeasures(pl.read_ipc(data), num_bytes)


def _measures_tie(shards: str, measures: str) -> dict[str, Any]:
    """What ties measures to the shards they were taken from (`shard_digest`), to their own Arrow file (its
    SHA-256) and to the code that reads them."""
    return {
        "version": __version__,
        "measures_layout": MEASURES_LAYOUT,
        "shards": shards,
        "measures": measures,
    }


def measured_schema(schema: Mapping[str, pl.DataType], measured: Iterable[pl.DataFrame]) -> pl.Schema:
    """The schema `_frames` gives a config (message lists as text per role), from its parquet schema and the
    roles its measures hold."""
    columns = {name for frame in measured for name in frame.columns}
    roles = {}
    for name in message_columns(schema):
        found = [c.removeprefix(f"_len_{name}[").removesuffix("]") for c in columns if c.startswith(f"_len_{name}[")]
        roles[name] = sorted(found, key=lambda role: (ROLES.index(role) if role in ROLES else len(ROLES), role))
    return as_text(pl.LazyFrame(schema=schema), schema, roles)[1]


def with_all_roles(frame: pl.DataFrame, text: list[str]) -> pl.DataFrame:
    """Measures with every text field of `text`: a role that none of their rows has is empty in each row."""
    missing = [field for field in text if f"_len_{field}" not in frame.columns]
    return frame.with_columns(
        *(pl.lit(0, pl.UInt32).alias(f"_len_{field}") for field in missing),
        *(pl.lit(True).alias(f"_empty_{field}") for field in missing),
        *(pl.lit(0.0, pl.Float32).alias(f"_tok_{field}") for field in missing),
    )


def arrow_bytes(root: Path, paths: list[str]) -> int:
    """The bytes of the shards' rows in Arrow, as `datasets` counts them."""
    import pyarrow.parquet as pq

    num_bytes = 0
    for path in paths:
        parquet = pq.ParquetFile(root / path)
        # One row group at a time: the Arrow size without holding a whole shard.
        num_bytes += sum(parquet.read_row_group(i).nbytes for i in range(parquet.num_row_groups))
    return num_bytes
