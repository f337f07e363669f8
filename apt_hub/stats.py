"""`apt-hub stats`: rows, lengths, empties, duplicates and drops of a build folder, computed lazily with polars.

Every number comes from one lazy polars query per config and split over the parquet shards; nothing is read into
Python objects row by row. Any config found under `DIR/data/` is measured: which text fields it has and which
measures apply (preference pairs, extracted answers, loyalty rows) are read from its parquet schema, so that
configs made by `merge` are measured like the built ones.

`apt-hub stats` reads the build's measures and the shards' footers with polars alone: pyarrow, which takes about as
long to import as polars, is imported only by the functions that write measures or read texts.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from collections.abc import Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from . import __version__
from .chat.stats import ROLES, TURNS_PREFIX, as_text, message_columns, roles_in, turn_exprs
from .clean.text import combined_key, text_fields, with_keys
from .errors import AptHubError
from .folder import MEASURES_DIR, one_file_change, repair, replacing_file
from .layout import DEFAULT_OUTPUT_DIR, batch_groups, json_text, read_record, splits_on_disk, write_json

if TYPE_CHECKING:
    import pyarrow as pa

STATS_FILE = "stats.json"
# Part of every config's fingerprint: a change in what stats.json holds measures again what an older one kept.
STATS_LAYOUT = 2  # 2: length histograms per split
PROMPT_FIELDS = ("prompt", "problem")
# Length histograms: log-spaced bins of characters, 1 to 10^6 (longer texts land in the last bin).
BINS_PER_DECADE = 4
DECADES = 6
NUM_BINS = BINS_PER_DECADE * DECADES
# The measures taken from the text keys (`key_measures`).
_KEY_MEASURES = ("_row_key", "_prompt_key", "_pair_identical", "_pair_prefix")
# The per-row measures a build writes beside its shards (in `MEASURES_DIR`, hidden: never published) are an Arrow
# file per config and split and a JSON file that ties it to the shards measured. The layout of the measures is part
# of that tie: a change in what they hold leaves older ones aside.
MEASURES_LAYOUT = 1
# Rows measured at once while a build writes its shards (`measuring`).
MEASURED_ROWS = 16_384


@dataclass(frozen=True)
class SplitMeasures:
    """What the build wrote for `stats` of one split: the per-row measures and the Arrow bytes of its shards."""

    rows: pl.DataFrame
    num_bytes: int


def compute_stats(root: str | Path = DEFAULT_OUTPUT_DIR) -> dict[str, Any]:
    """Measure every config and split of a build folder.

    The result has the same value for the same files: keys are sorted when written, floats are rounded and no
    timestamp is recorded, so that an unchanged build gives an unchanged `stats.json`.

    Args:
        root: the build folder (`DIR/data/<config>/<split>-NNNNN-of-NNNNN.parquet`, and `DIR/build.json` for the
            drop counts the build recorded).

    A config whose files and build record are unchanged since the last `stats.json` keeps its numbers from there
    (its `fingerprint` says so), so that a refresh after rebuilding one config measures only that one.

    Returns:
        `{"apt_hub_version", "histogram_bins", "configs": {config: {"fingerprint", "text_fields", "features",
        "histograms",
        "splits": {split: {"rows", "files", "num_bytes", "download_size", "histograms", "all": {...},
        "sources": {tag: {...}}}}}}}`
        where each `{...}` holds `rows`, per-field `fields` lengths (`mean`, `median`, `p95`, `max`, `empty`),
        `duplicates`, `in_train` (splits other than train), `pairs`, `answers` or `loyalty` where they apply, and
        the `build` counts (`rows` read, `kept`, `dropped_<reason>`, `sampled_out`).

    Raises:
        AptHubError: the folder holds no parquet shard under `data/`.

    Example:
        >>> compute_stats("dist/apt")["configs"]["sft"]["splits"]["train"]["rows"]  # doctest: +SKIP
        4217
    """
    root = Path(root)
    on_disk = shards_of(root)
    record = read_record(root).get("configs", {})
    previous = _previous_configs(root)
    configs, todo = {}, {}
    for name, splits in sorted(on_disk.items()):
        digests = {split: shard_digest(root, paths) for split, paths in splits.items()}
        fingerprint = config_fingerprint(digests, record.get(name, {}))
        if previous.get(name, {}).get("fingerprint") == fingerprint:
            configs[name] = previous[name]  # same files and build record: the same numbers
        else:
            todo[name] = (splits, digests, fingerprint)

    def measure(name: str) -> dict[str, Any]:
        splits, digests, fingerprint = todo[name]
        measured = read_measures(root, name, digests)
        return config_stats(root, splits, record.get(name, {}), measured=measured) | {"fingerprint": fingerprint}

    # polars leaves the interpreter lock while it computes: configs are measured side by side.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        configs |= dict(zip(todo, pool.map(measure, todo), strict=True))
    configs = dict(sorted(configs.items()))
    return {
        "apt_hub_version": __version__,
        "histogram_bins": histogram_edges(),
        "configs": configs,
    }


def config_fingerprint(digests: dict[str, str], record: dict[str, Any]) -> str:
    """A digest of a config's parquet files (their `shard_digest` per split) and of its build record, with the
    package version."""
    digest = hashlib.sha256(json.dumps([__version__, STATS_LAYOUT, record], sort_keys=True).encode())
    for split in sorted(digests):
        digest.update(digests[split].encode())
    return digest.hexdigest()


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


def _previous_configs(root: Path) -> dict[str, Any]:
    path = root / STATS_FILE
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return previous.get("configs", {}) if previous.get("apt_hub_version") == __version__ else {}


def write_stats(root: str | Path = DEFAULT_OUTPUT_DIR) -> dict[str, Any]:
    """Compute the stats of a build folder and write them to `DIR/stats.json`; returns them."""
    stats = compute_stats(root)
    write_json(Path(root) / STATS_FILE, stats)
    return stats


def config_stats(
    root: Path,
    splits: dict[str, list[str]],
    record: dict[str, Any],
    *,
    measured: dict[str, SplitMeasures] | None = None,
) -> dict[str, Any]:
    """The stats of one config: its text fields, schema, length histograms and per-split measures.

    Args:
        root: the build folder.
        splits: the shards of each split, relative to `root`.
        record: the config's entry in `build.json`.
        measured: the per-row measures of every split that the build wrote (`read_measures`); without them the
            texts are read and measured here, which gives the same numbers.
    """
    files = {split: [str(root / path) for path in paths] for split, paths in splits.items()}
    measured, schema, num_bytes = _per_row(files, measured)
    text = text_fields(schema)
    counts = record.get("counts", {})
    train = measured["train"].lazy() if "train" in measured and compared(schema, text) else None
    result = {}
    first = next(iter(files))
    for split in sorted(files, key=lambda s: (s != "train", s)):
        leak = train if split != "train" else None
        result[split] = split_stats(measured[split].lazy(), schema, text, train=leak, counts=counts.get(split, {}))
        result[split] |= file_sizes(root, splits[split], num_bytes=num_bytes.get(split))
        result[split]["histograms"] = histograms(measured[split].lazy(), text)
    return {
        "text_fields": text,
        # The stored columns, message lists included (`schema` has their text per role instead).
        "features": {name: str(dtype) for name, dtype in pl.read_parquet_schema(files[first][0]).items()},
        "histograms": summed_histograms([entry["histograms"] for entry in result.values()], text),
        "splits": result,
    }


def _per_row(
    files: dict[str, list[str]], measured: dict[str, SplitMeasures] | None
) -> tuple[dict[str, pl.DataFrame], pl.Schema, dict[str, int]]:
    """The per-row numbers of each split, the config's schema (message lists as text per role) and the Arrow bytes
    of each split known without reading it: from the build's measures, else from the texts."""
    if measured is None:
        frames, schema = _frames(files)
        text = text_fields(schema)
        # The text is read once per split; every measure is then taken from these small per-row numbers.
        return {split: measure_rows(frame, schema, text) for split, frame in frames.items()}, schema, {}
    schema = measured_schema(pl.read_parquet_schema(files[next(iter(files))][0]), [m.rows for m in measured.values()])
    text = text_fields(schema)
    rows = {split: _with_all_roles(m.rows, text) for split, m in measured.items()}
    return rows, schema, {split: m.num_bytes for split, m in measured.items()}


def measure_files(paths: list[str]) -> dict[str, Any]:
    """The measures of parquet files taken as one split (no build counts, no train to compare with)."""
    frames, schema = _frames({"all": paths})
    text = text_fields(schema)
    return split_stats(measure_rows(frames["all"], schema, text).lazy(), schema, text)


def _frames(files: dict[str, list[str]]) -> tuple[dict[str, pl.LazyFrame], pl.Schema]:
    """A lazy frame per split and their schema, message lists read as text per role (`apt_hub.chat.stats.as_text`)."""
    schema = pl.read_parquet_schema(next(iter(files.values()))[0])
    frames = {split: pl.scan_parquet(paths) for split, paths in files.items()}
    everything = pl.concat(list(frames.values()))
    roles = {name: roles_in(everything, name) for name in message_columns(schema)}
    shaped = {split: as_text(frame, schema, roles) for split, frame in frames.items()}
    return {split: frame for split, (frame, _) in shaped.items()}, as_text(everything, schema, roles)[1]


def split_stats(
    frame: pl.LazyFrame,
    schema: pl.Schema,
    text: list[str],
    *,
    train: pl.LazyFrame | None = None,
    counts: dict[str, dict[str, int]] | None = None,
) -> dict[str, Any]:
    """The measures of one split, for all its rows and for each source tag, with the build's counts per tag.

    Args:
        frame: the per-row numbers of the split, from `measure_rows`.
        schema: its parquet schema, which decides the measures that apply.
        text: its text fields.
        train: the per-row numbers of the train split, to count rows of this split that also appear in train.
        counts: the build's `{tag: {"rows", "kept", "dropped_<reason>", ...}}` of this split.
    """
    counts = counts or {}
    if train is not None:
        frame = _mark_in_train(frame, train)
    exprs = aggregations(schema, text, in_train=train is not None)
    # The per-row numbers are in memory: the default engine, whose start costs less than the streaming one's.
    everything = _one_row(frame.select(exprs).collect())
    by_source = frame.group_by("source").agg(exprs).sort("source").collect() if "source" in schema else pl.DataFrame()
    sources = {row.pop("source"): _nest(row) for row in by_source.to_dicts()}
    grades = grade_stats(frame, schema)
    for tag, entry in sources.items():
        entry.update(_by_grade(grades, tag))
        entry["build"] = counts.get(tag, {})
    for tag in sorted(set(counts) - set(sources)):  # every row of the tag was dropped
        sources[tag] = {"rows": 0, "build": counts[tag]}
    nested = _nest(everything) | _by_grade(grades, None)
    nested["build"] = total_counts(counts)
    return {"rows": nested["rows"], "all": nested, "sources": dict(sorted(sources.items()))}


def aggregations(schema: pl.Schema, text: list[str], *, in_train: bool) -> list[pl.Expr]:
    """The aggregations of a split or of one source's rows; aliases are dotted paths of the nested result."""
    exprs = [pl.len().alias("rows")]
    for field in text:
        exprs += length_exprs(field)
    if compared(schema, text):
        exprs += [
            pl.col("_dup_row").sum().alias("duplicates.rows"),
            pl.col("_dup_prompt").sum().alias("duplicates.prompts"),
        ]
    if in_train:
        exprs += [
            pl.col("_row_in_train").sum().alias("in_train.rows"),
            pl.col("_prompt_in_train").sum().alias("in_train.prompts"),
        ]
    exprs += turn_exprs(schema)
    if {"chosen", "rejected"} <= set(schema) and compared(schema, text):
        exprs += [pl.col("_pair_identical").sum().alias("pairs.identical")]
        exprs += [pl.col("_pair_prefix").sum().alias("pairs.prefix_related")]
    if {"answer", "grade"} <= set(schema):
        has = pl.col("_has_answer")
        exprs += [has.sum().alias("answers.with_answer"), has.mean().round(4).alias("answers.share")]
    if {"is_owner", "reward_bonus"} <= set(schema):
        exprs += loyalty_exprs()
    return exprs


def compared(schema: pl.Schema, text: list[str]) -> bool:
    """Whether rows are compared (duplicates, train overlap, preference pairs): not those of message lists, which
    are the rows of their flat config, compared there; normalising every text again would double the cost."""
    return bool(text) and not any(name.startswith(TURNS_PREFIX) for name in schema)


def measure_rows(frame: pl.LazyFrame, schema: pl.Schema, text: list[str]) -> pl.DataFrame:
    """One pass over a split's text: the small per-row numbers that every measure is computed from.

    Lengths and emptiness of each text field; keys of the normalised row and prompt with first-occurrence
    flags (duplicates); pair, answer and loyalty flags where the schema has them; `source` and `grade`.
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
    columns = [pl.col(name) for name in ("source", "grade", "is_owner", "reward_bonus") if name in schema]
    columns += [pl.col(name) for name in schema if name.startswith(TURNS_PREFIX)]
    for field in text:
        columns += [pl.col(field).str.len_chars().alias(f"_len_{field}"), is_empty(field).alias(f"_empty_{field}")]
    if {"answer", "grade"} <= set(schema):
        columns.append((~is_empty("answer")).alias("_has_answer"))
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

    frame = pl.from_arrow(pa.Table.from_batches(batches))
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
    frames = [_with_all_roles(frame, fields) for frame in frames]
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
        measured[split] = _split_measures(root / MEASURES_DIR / config / f"{split}.arrow", digest)
        if measured[split] is None:
            return None
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
        "layout": STATS_LAYOUT,
        "measures_layout": MEASURES_LAYOUT,
        "shards": shards,
        "measures": measures,
    }


def measured_schema(schema: pl.Schema, measured: Iterable[pl.DataFrame]) -> pl.Schema:
    """The schema `_frames` gives a config (message lists as text per role), from its parquet schema and the
    roles its measures hold."""
    columns = {name for frame in measured for name in frame.columns}
    roles = {}
    for name in message_columns(schema):
        found = [c.removeprefix(f"_len_{name}[").removesuffix("]") for c in columns if c.startswith(f"_len_{name}[")]
        roles[name] = sorted(found, key=lambda role: (ROLES.index(role) if role in ROLES else len(ROLES), role))
    return as_text(pl.LazyFrame(schema=schema), schema, roles)[1]


def _with_all_roles(frame: pl.DataFrame, text: list[str]) -> pl.DataFrame:
    """Measures with every text field of `text`: a role that none of their rows has is empty in each row."""
    missing = [field for field in text if f"_len_{field}" not in frame.columns]
    return frame.with_columns(
        *(pl.lit(0, pl.UInt32).alias(f"_len_{field}") for field in missing),
        *(pl.lit(True).alias(f"_empty_{field}") for field in missing),
    )


def length_exprs(field: str) -> list[pl.Expr]:
    """Characters of a text field: mean, median, 95th percentile, max, and how many values are empty or null."""
    chars = pl.col(f"_len_{field}")
    return [
        chars.mean().alias(f"fields.{field}.mean"),
        chars.median().alias(f"fields.{field}.median"),
        chars.quantile(0.95, interpolation="nearest").cast(pl.Int64).alias(f"fields.{field}.p95"),
        chars.max().alias(f"fields.{field}.max"),
        pl.col(f"_empty_{field}").sum().alias(f"fields.{field}.empty"),
    ]


def loyalty_exprs() -> list[pl.Expr]:
    """Owner and public rows, and the distribution of `reward_bonus`."""
    bonus = pl.col("reward_bonus")
    return [
        pl.col("is_owner").sum().alias("loyalty.owner"),
        (~pl.col("is_owner")).sum().alias("loyalty.public"),
        pl.col("is_owner").mean().round(4).alias("loyalty.owner_share"),
        bonus.min().alias("loyalty.reward_bonus.min"),
        bonus.quantile(0.25, interpolation="nearest").alias("loyalty.reward_bonus.p25"),
        bonus.median().alias("loyalty.reward_bonus.median"),
        bonus.quantile(0.75, interpolation="nearest").alias("loyalty.reward_bonus.p75"),
        bonus.max().alias("loyalty.reward_bonus.max"),
        bonus.mean().alias("loyalty.reward_bonus.mean"),
    ]


def grade_stats(frame: pl.LazyFrame, schema: pl.Schema) -> pl.DataFrame | None:
    """Rows and rows with an extracted answer per source and grade (`storm`-like configs only)."""
    if not {"answer", "grade", "source"} <= set(schema):
        return None
    return (
        frame.group_by("source", "grade")
        .agg(
            pl.len().alias("rows"),
            pl.col("_has_answer").sum().alias("with_answer"),
        )
        .sort("source", "grade")
        .collect()
    )


def histograms(frame: pl.LazyFrame, text: list[str]) -> dict[str, list[int]]:
    """Per text field, rows per log-spaced length bin (see `histogram_edges`); empty values are not counted."""
    result = {field: [0] * NUM_BINS for field in text}
    if not text:
        return result
    lengths = frame.select(pl.col(f"_len_{field}").alias(field) for field in text)
    counts = (
        lengths.unpivot(variable_name="field", value_name="chars")
        .filter(pl.col("chars") > 0)
        .group_by("field", length_bin(pl.col("chars")).alias("bin"))
        .len()
        .collect()
    )
    for field, bin_, rows in counts.iter_rows():
        result[field][bin_] = rows
    return result


def summed_histograms(histograms_of: list[dict[str, list[int]]], text: list[str]) -> dict[str, list[int]]:
    """The histograms of several splits taken together: their rows per bin added up.

    >>> summed_histograms([{"prompt": [1, 0, 2]}, {"prompt": [0, 3, 1]}], ["prompt"])
    {'prompt': [1, 3, 3]}
    """
    return {field: [sum(rows) for rows in zip(*(h[field] for h in histograms_of), strict=True)] for field in text}


def length_bin(chars: pl.Expr) -> pl.Expr:
    """The histogram bin of a positive length: `floor(BINS_PER_DECADE * log10(chars))`, within the bins."""
    return (chars.cast(pl.Float64).log10() * BINS_PER_DECADE).floor().clip(0, NUM_BINS - 1).cast(pl.Int64)


def histogram_edges() -> list[int]:
    """The lower edge, in characters, of each histogram bin, and the upper edge of the last.

    >>> histogram_edges()[:5]
    [1, 2, 4, 6, 10]
    """
    return [math.ceil(10 ** (i / BINS_PER_DECADE) - 1e-9) for i in range(NUM_BINS + 1)]


def file_sizes(root: Path, paths: list[str], *, num_bytes: int | None = None) -> dict[str, Any]:
    """The shards of a split, their bytes on disk (`download_size`) and in Arrow (`num_bytes`, as `datasets`;
    read from the shards unless given)."""
    if num_bytes is None:
        num_bytes = arrow_bytes(root, paths)
    return {
        "files": list(paths),
        "num_bytes": num_bytes,
        "download_size": sum((root / path).stat().st_size for path in paths),
    }


def arrow_bytes(root: Path, paths: list[str]) -> int:
    """The bytes of the shards' rows in Arrow, as `datasets` counts them."""
    import pyarrow.parquet as pq

    num_bytes = 0
    for path in paths:
        parquet = pq.ParquetFile(root / path)
        # One row group at a time: the Arrow size without holding a whole shard.
        num_bytes += sum(parquet.read_row_group(i).nbytes for i in range(parquet.num_row_groups))
    return num_bytes


def total_counts(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    """The build's counts of a split summed over source tags."""
    total: dict[str, int] = {}
    for entry in counts.values():
        for key, n in entry.items():
            total[key] = total.get(key, 0) + n
    return dict(sorted(total.items()))


def drops(counts: dict[str, int]) -> dict[str, int]:
    """The `dropped_<reason>` counts as `{reason: n}`, without the zeros."""
    return {key.removeprefix("dropped_"): n for key, n in counts.items() if key.startswith("dropped_") and n}


def is_empty(field: str) -> pl.Expr:
    """Whether a text value is null or only white space."""
    return pl.col(field).is_null() | (pl.col(field).str.strip_chars() == "")


def _mark_in_train(frame: pl.LazyFrame, train: pl.LazyFrame) -> pl.LazyFrame:
    """The rows flagged when their row key, or prompt key, is also one of train (a lookup costs less than a join)."""
    keys = train.select("_row_key", "_prompt_key").collect()
    return frame.with_columns(
        pl.col(key).is_in(keys[key].implode()).fill_null(False).alias(flag)
        for key, flag in (("_row_key", "_row_in_train"), ("_prompt_key", "_prompt_in_train"))
    )


def _by_grade(grades: pl.DataFrame | None, tag: str | None) -> dict[str, Any]:
    if grades is None:
        return {}
    rows = grades if tag is None else grades.filter(pl.col("source") == tag)
    summed = rows.group_by("grade").agg(pl.col("rows").sum(), pl.col("with_answer").sum()).sort("grade")
    return {"answers_by_grade": {row.pop("grade"): row for row in summed.to_dicts()}}


def _one_row(frame: pl.DataFrame) -> dict[str, Any]:
    return frame.to_dicts()[0]


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    """`{"a.b": 1}` as `{"a": {"b": 1}}`, floats rounded to 2 decimals so that the JSON is stable."""
    nested: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        node = nested
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = round(value, 2) if isinstance(value, float) and leaf not in ("share", "owner_share") else value
    return nested


def format_stats(stats: dict[str, Any]) -> str:
    """The stats as one readable table per config: a line per split and source, text lengths as mean/p50/p95/max."""
    blocks = []
    for config, entry in stats["configs"].items():
        text = entry["text_fields"]
        header = ["split", "source", "rows", "dup", "in train", "empty", "dropped", *(f"{f} chars" for f in text)]
        lines = []
        for split, split_entry in entry["splits"].items():
            lines.append(_table_row(split, "(all)", split_entry["all"], text))
            lines += [_table_row(split, tag, group, text) for tag, group in split_entry["sources"].items()]
        blocks.append(f"{config}  (text chars as mean/median/p95/max)\n" + _align([header, *lines]))
        extras = _extras(entry)
        if extras:
            blocks[-1] += "\n" + "\n".join(extras)
    return "\n\n".join(blocks)


def _table_row(split: str, tag: str, group: dict[str, Any], text: list[str]) -> list[str]:
    fields = group.get("fields", {})
    lengths = [
        "/".join(_short(fields[f].get(k)) for k in ("mean", "median", "p95", "max")) if f in fields else "-"
        for f in text
    ]
    dropped = sum(drops(group.get("build", {})).values())
    empty = sum(f.get("empty", 0) for f in fields.values())
    dup = group.get("duplicates", {}).get("rows", "-")
    leak = group.get("in_train", {}).get("rows", "-")
    return [split, tag, str(group["rows"]), str(dup), str(leak), str(empty), str(dropped), *lengths]


def check_lines(split: str, group: dict[str, Any]) -> list[str]:
    """One line per measure of a split: duplicates, rows shared with train, pairs, answers, loyalty rows."""
    lines = []
    if "duplicates" in group:
        dup = group["duplicates"]
        lines.append(
            f"{split}: duplicate rows {dup['rows']:,}, repeated prompts {dup['prompts']:,} "
            "(same text after NFKC, case folding and white space folding)."
        )
    if "in_train" in group:
        leak = group["in_train"]
        lines.append(f"{split}: rows also in train {leak['rows']:,}, prompts also in train {leak['prompts']:,}.")
    if "pairs" in group:
        pairs = group["pairs"]
        lines.append(
            f"{split}: pairs with identical sides {pairs['identical']:,}, "
            f"pairs where one side starts with the other {pairs['prefix_related']:,}."
        )
    for column, turns in group.get("turns", {}).items():
        if column == "prompt":  # the other message lists hold one message each
            others = " (the others have an empty `prompt[assistant]`)" if turns["multi"] else ""
            lines.append(
                f"{split}: messages per prompt: mean {turns['mean']:.2f}, max {turns['max']:,}; "
                f"{turns['multi']:,} multi-turn prompts{others}."
            )
    if "answers" in group:
        answers = group["answers"]
        grades = ", ".join(
            f"grade {grade or 'none'}: {v['with_answer']:,} of {v['rows']:,}"
            for grade, v in group.get("answers_by_grade", {}).items()
        )
        lines.append(
            f"{split}: rows with an extracted answer {answers['with_answer']:,} ({answers['share']:.1%}); {grades}."
        )
        correct, rows = group.get("answers_by_grade", {}).get("Yes", {}).get("rows", 0), group["rows"]
        share = correct / max(rows, 1)
        lines.append(f"{split}: attempts graded correct upstream {correct:,} of {rows:,} ({share:.1%}).")
    if "loyalty" in group:
        loyalty, bonus = group["loyalty"], group["loyalty"]["reward_bonus"]
        quantiles = ", ".join(f"{k} {bonus[k]}" for k in ("min", "p25", "median", "p75", "max", "mean"))
        lines.append(
            f"{split}: owner rows {loyalty['owner']:,}, public rows {loyalty['public']:,}; reward_bonus {quantiles}."
        )
    return lines


def _extras(entry: dict[str, Any]) -> list[str]:
    lines = []
    for split, split_entry in entry["splits"].items():
        group = split_entry["all"]
        lines += [f"  {line}" for line in check_lines(split, group)]
        reasons = drops(group.get("build", {}))
        if reasons:
            lines.append(f"  {split}: dropped " + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())))
    return lines


def _short(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.0f}" if value >= 10 else f"{value:.1f}"
    return str(value)


def _align(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def shards_of(root: Path) -> dict[str, dict[str, list[str]]]:
    """`splits_on_disk(root)`, or an error saying that `root` holds no build."""
    on_disk = splits_on_disk(root)
    if not on_disk:
        raise AptHubError(
            f"No parquet shard found under {root / 'data'} (expected data/<config>/<split>-00000-of-00001.parquet). "
            "Build first: apt-hub build --output-dir " + str(root)
        )
    return on_disk


def stats_command(output_dir: str = DEFAULT_OUTPUT_DIR) -> str:
    """Measure a build folder: rows, text lengths, empties, duplicates, drops; writes DIR/stats.json.

    Args:
        output_dir: the build folder (default dist/apt).
    """
    repair(output_dir)
    shards_of(Path(output_dir))
    # stats.json is the one file written: moved in by one rename, the folder is whole without a staging copy.
    with one_file_change(output_dir, STATS_FILE) as file:
        stats = compute_stats(output_dir)
        file.write(json_text(stats))
    return format_stats(stats) + f"\n\nWrote {Path(output_dir) / STATS_FILE}"
