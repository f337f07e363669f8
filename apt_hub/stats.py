"""The stats of a build folder: rows, lengths, empties, duplicates and drops, computed lazily with polars, written to
`stats.json`.

Every number comes from one lazy polars query per config and split over the parquet shards; nothing is read into
Python objects row by row. Any config found under `DIR/data/` is measured: which text fields it has and which
measures apply (preference pairs, extracted answers, loyalty rows) are read from its parquet schema, so that
configs made by `merge` are measured like the built ones.

The numbers come from the per-row measures the build took while it wrote the shards (`apt_hub.measures`), or from
the texts when there are none (a config made by `merge`). The text a reader sees of them is `apt_hub.report`'s.
`apt-hub stats` reads the measures and the shards' footers with polars alone: pyarrow, which takes about as long to
import as polars, is imported only by the functions that read texts.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import polars as pl

from . import __version__
from .chat.stats import as_text, message_columns, roles_in, turn_exprs
from .clean.text import text_fields
from .configs import CONFIGS, of_columns
from .errors import AptHubError
from .folder import not_a_build_folder
from .layout import DEFAULT_OUTPUT_DIR, read_record, splits_on_disk, write_json
from .measures import (
    SplitMeasures,
    arrow_bytes,
    compared,
    measure_rows,
    measured_schema,
    read_measures,
    shard_digest,
    with_all_roles,
)
from .tokens import CONTEXTS

STATS_FILE = "stats.json"
# Part of every config's fingerprint: a change in what stats.json holds measures again what an older one kept.
STATS_LAYOUT = 4  # 2: length histograms per split; 3: answers by kind; 4: estimated tokens per row
# Length histograms: log-spaced bins of characters, 1 to 10^6 (longer texts land in the last bin).
BINS_PER_DECADE = 4
DECADES = 6
NUM_BINS = BINS_PER_DECADE * DECADES


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
        `duplicates`, `in_train` (splits other than train), `pairs`, `answers_by_grade` and `answers_by_kind`
        (rows), or `loyalty` where they apply, and
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
        sequences = sequences_of(name, root / next(iter(splits.values()))[0])
        stats = config_stats(root, splits, record.get(name, {}), measured=measured, sequences=sequences)
        return stats | {"fingerprint": fingerprint}

    # polars leaves the interpreter lock while it computes: configs are measured side by side.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        configs |= dict(zip(todo, pool.map(measure, todo), strict=True))
    configs = dict(sorted(configs.items()))
    return {
        "apt_hub_version": __version__,
        "histogram_bins": histogram_edges(),
        "configs": configs,
    }


def sequences_of(config: str, shard: Path) -> tuple[tuple[str, ...], ...]:
    """The sequences a trainer sees in a row of a config (`Config.sequences`): as it declares them, or for a
    config made by `merge` (or files of no named config) those of the config whose columns it has; none for other
    columns."""
    if config in CONFIGS:
        return CONFIGS[config].sequences
    schema = pl.read_parquet_schema(shard)
    found = of_columns(schema, messages=message_columns(schema))
    return found.sequences if found else ()


def config_fingerprint(digests: dict[str, str], record: dict[str, Any]) -> str:
    """A digest of a config's parquet files (their `shard_digest` per split) and of its build record, with the
    package version."""
    digest = hashlib.sha256(json.dumps([__version__, STATS_LAYOUT, record], sort_keys=True).encode())
    for split in sorted(digests):
        digest.update(digests[split].encode())
    return digest.hexdigest()


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
    sequences: tuple[tuple[str, ...], ...] = (),
) -> dict[str, Any]:
    """The stats of one config: its text fields, schema, length histograms and per-split measures.

    Args:
        root: the build folder.
        splits: the shards of each split, relative to `root`.
        record: the config's entry in `build.json`.
        measured: the per-row measures of every split that the build wrote (`read_measures`); without them the
            texts are read and measured here, which gives the same numbers.
        sequences: the texts of each sequence a trainer sees in a row (`sequences_of`), for the token counts.
    """
    files = {split: [str(root / path) for path in paths] for split, paths in splits.items()}
    rows, schema, num_bytes = _per_row(files, measured)
    text = text_fields(schema)
    counts = record.get("counts", {})
    train = rows["train"].lazy() if "train" in rows and compared(schema, text) else None
    result = {}
    first = next(iter(files))
    for split in sorted(files, key=lambda s: (s != "train", s)):
        leak = train if split != "train" else None
        result[split] = split_stats(
            rows[split].lazy(), schema, text, train=leak, counts=counts.get(split, {}), sequences=sequences
        )
        result[split] |= file_sizes(root, splits[split], num_bytes=num_bytes.get(split))
        result[split]["histograms"] = histograms(rows[split].lazy(), text)
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
    rows = {split: with_all_roles(m.rows, text) for split, m in measured.items()}
    return rows, schema, {split: m.num_bytes for split, m in measured.items()}


def measure_files(paths: list[str]) -> dict[str, Any]:
    """The measures of parquet files taken as one split (no build counts, no train to compare with); the token
    counts of the config whose columns they have."""
    frames, schema = _frames({"all": paths})
    text = text_fields(schema)
    sequences = sequences_of("", Path(paths[0]))
    return split_stats(measure_rows(frames["all"], schema, text).lazy(), schema, text, sequences=sequences)


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
    sequences: tuple[tuple[str, ...], ...] = (),
) -> dict[str, Any]:
    """The measures of one split, for all its rows and for each source tag, with the build's counts per tag.

    Args:
        frame: the per-row numbers of the split, from `measure_rows`.
        schema: its parquet schema, which decides the measures that apply.
        text: its text fields.
        train: the per-row numbers of the train split, to count rows of this split that also appear in train.
        counts: the build's `{tag: {"rows", "kept", "dropped_<reason>", ...}}` of this split.
        sequences: the texts of each sequence a trainer sees in a row, for the estimated tokens of the rows.
    """
    counts = counts or {}
    if train is not None:
        frame = _mark_in_train(frame, train)
    exprs = aggregations(schema, text, in_train=train is not None) + token_exprs(text, sequences)
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
    if {"is_owner", "reward_bonus"} <= set(schema):
        exprs += loyalty_exprs()
    return exprs


def token_exprs(text: list[str], sequences: tuple[tuple[str, ...], ...]) -> list[pl.Expr]:
    """The estimated tokens of a row (`apt_hub.tokens`): its longest sequence, the texts of each summed (a message
    list's roles together): median, 95th percentile, max, and the share of rows over each of `CONTEXTS`. None when
    a text of a sequence is not among the text fields."""

    def tokens(name: str) -> list[pl.Expr]:
        return [pl.col(f"_tok_{field}") for field in text if field == name or field.startswith(f"{name}[")]

    if not sequences or not all(tokens(name) for sequence in sequences for name in sequence):
        return []
    row = pl.max_horizontal(pl.sum_horizontal(t for name in sequence for t in tokens(name)) for sequence in sequences)
    return [
        row.median().round(1).alias("tokens.median"),
        row.quantile(0.95, interpolation="nearest").round(1).alias("tokens.p95"),
        row.max().round(1).alias("tokens.max"),
        *((row > context).mean().round(4).alias(f"tokens.over_{context}") for context in CONTEXTS),
    ]


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
    """Rows per source, upstream grade and way the answer was found (`storm`-like configs only: every row has an
    answer, since a row without one is dropped as `empty_answer`)."""
    if not {"answer", "grade", "answer_kind", "source"} <= set(schema):
        return None
    return (
        frame.group_by("source", "grade", "answer_kind")
        .agg(pl.len().alias("rows"))
        .sort("source", "grade", "answer_kind")
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
    by = {
        key: dict(rows.group_by(key).agg(pl.col("rows").sum()).sort(key).iter_rows())
        for key in ("grade", "answer_kind")
    }
    return {"answers_by_grade": by["grade"], "answers_by_kind": by["answer_kind"]}


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


def shards_of(root: Path) -> dict[str, dict[str, list[str]]]:
    """`splits_on_disk(root)`, or an error saying that `root` holds no build."""
    on_disk = splits_on_disk(root)
    if not on_disk:
        raise AptHubError(not_a_build_folder(root, "stats"))
    return on_disk
