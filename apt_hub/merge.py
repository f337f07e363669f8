"""`apt-hub merge`: configs or sources of a build combined into a new config, duplicates removed.

Semantics, in the order they apply, split by split:

1. **Inputs.** Each name is a config of the build (`ruozhiba`), a source within one (`coig-cqia`, by the
   prefix of the row `id`), a source tag (`coig-cqia/ruozhiba`, `hh-rlhf/helpful-base`, by the `source`
   column), or explicitly `CONFIG:SOURCE` (`sft:coig-cqia/ruozhiba`). A source found in several configs is read
   from the config that holds most of its rows (`coig-cqia` from `sft`, not from `ruozhiba`). All inputs must
   share one schema (the `sft` and `ruozhiba` configs do; `sft` and `dpo` do not).
2. **Deduplication.** Two rows are duplicates when their text fields (`prompt` and `response` for `sft`;
   `prompt`, `chosen` and `rejected` for `dpo`; `problem`, `cot_explicit` and `answer` for `storm`; the three
   texts of `loyalty`) are equal after Unicode NFKC normalisation, case folding, and folding every run of
   whitespace into one space with none at the ends (`normalize_text`). Within each split, the first occurrence
   is kept, in the order the names were given (then in row order), so `merge coig-cqia ruozhiba` keeps
   coig-cqia's copy of the 240 ruozhiba rows.
3. **Fractions** (`coig-cqia=0.1`): keep that share (0 to 1) of a source's unique rows, `round(f * n)` of them.
   **Weights** (`coig-cqia=3,ruozhiba=1`): mix the sources in these proportions, as many rows as possible
   without repeating any row, like `datasets.interleave_datasets(probabilities=..., stopping_strategy=
   "first_exhausted")` but with exact counts: with proportions `p_i = w_i / sum(w)`, the output holds
   `floor(T * p_i)` rows of source `i`, `T = min(n_i / p_i)`. An input not named gets weight 1 (or fraction 1);
   an input left with no unique rows in a split takes no part in that split's proportions.
   Rows are drawn with `random.Random(f"{seed}:{name}:{split}")` and keep their original order.
4. **Output.** The kept rows of every input, in the order of the names, become `DIR/data/<output>/` in the
   same parquet layout as the built configs, with an entry in `DIR/build.json` (`merged_from`) and in the card.
"""

import difflib
import math
import os
import random
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from .chat import is_message_list, message_text
from .clean.text import combined_key, with_keys
from .configs import CONFIGS, FLAT, of_schema
from .errors import ConfigError, UsageError, check_choice
from .folder import checkpoint, locked, not_a_build_folder, repair, transaction
from .hashes import HASHES_DIR
from .layout import (
    DEFAULT_OUTPUT_DIR,
    RECORD,
    read_config,
    read_record,
    shards_checked,
    splits_on_disk,
    write_json,
    write_split,
)
from .options import names as parse_names
from .sources import SOURCES

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass
class MergeInput:
    """One name given to `merge`: where its rows come from and what happened to them, per split."""

    name: str
    config: str
    rows: Counter = field(default_factory=Counter)
    duplicates: Counter = field(default_factory=Counter)
    sampled_out: Counter = field(default_factory=Counter)
    kept: Counter = field(default_factory=Counter)
    # For each kept name, how many of this input's rows were duplicates of its rows.
    duplicate_of: Counter = field(default_factory=Counter)


@dataclass
class MergeReport:
    """What `merge` wrote: the new config, its rows per split, and the fate of every input's rows."""

    build_dir: Path
    output: str
    inputs: list[MergeInput]
    splits: dict[str, int]


def merge(
    names: list[str] | tuple[str, ...] | str,
    *,
    output: str,
    build_dir: str | Path = DEFAULT_OUTPUT_DIR,
    weights: dict[str, float] | str | None = None,
    fractions: dict[str, float] | str | None = None,
    seed: int = 42,
) -> MergeReport:
    """Combine configs or sources of a build into a new config of that build, without duplicate rows.

    The new config is written beside the others, recorded in `build.json` with `merged_from`, and listed in the
    card, so `load_dataset(build_dir, output)` loads it. Merging again under the same name replaces it.

    Args:
        names: configs (`ruozhiba`), sources (`coig-cqia`), source tags (`hh-rlhf/helpful-base`) or
            `CONFIG:SOURCE`, as a list or a comma-separated string.
        output: the name of the new config.
        build_dir: the build folder.
        weights: mixing proportions per name (`{"coig-cqia": 3, "ruozhiba": 1}` or `"coig-cqia=3,ruozhiba=1"`).
        fractions: the share of each name's unique rows to keep, 0 to 1 (`"coig-cqia=0.1"`).
        seed: the seed of the weighted or fractional draws.

    Returns:
        A `MergeReport`: rows read, duplicates removed, rows sampled out and kept, per input and split.

    Raises:
        UsageError: an unknown name, a bad weight, or a taken output name (a config, a source, or a `data/`
            folder no merge wrote).
        ConfigError: no build folder, or inputs of different schemas.
        FolderError: another process is writing the build folder, or its `build.json` is damaged.

    Example:
        >>> merge(["coig-cqia", "ruozhiba"], output="sft_all", build_dir="dist/apt")  # doctest: +SKIP
    """
    from .card import check_card

    build_dir = Path(build_dir)
    names = _names(names)
    repair(build_dir)
    with locked(build_dir), shards_checked(build_dir):  # no other writer between the reads and the write
        check_card(build_dir)
        inputs = [_resolve(build_dir, name) for name in names]
        _check_output(build_dir, output, inputs)
        shares = _shares(names, weights, fractions)
        tables = _load(build_dir, inputs)
        merged = {split: _merge_split(split, by_input, inputs, shares, seed) for split, by_input in tables.items()}
        _write(build_dir, output, merged, inputs, shares, seed)
    return MergeReport(build_dir, output, inputs, {split: table.num_rows for split, table in merged.items()})


def _names(given) -> list[str]:
    names = list(parse_names(given) or ())
    if not names:
        raise UsageError("merge needs at least one config or source name (apt-hub merge --help).")
    if len(set(names)) != len(names):
        raise UsageError(f"{_twice(names)!r} is given twice; name each input once.")
    return names


def _twice(names: list[str]) -> str:
    return next(name for name in names if names.count(name) > 1)


def _resolve(build_dir: Path, name: str) -> MergeInput:
    """The config a name reads its rows from."""
    if not (build_dir / RECORD).is_file():
        raise ConfigError(not_a_build_folder(build_dir, "merge"))
    on_disk = splits_on_disk(build_dir)
    config, _, source = name.rpartition(":")
    if config:
        if config not in on_disk:
            check_choice(config, sorted(on_disk), f"the config of {name!r}")
        if not _matching_rows(build_dir, config, source):
            raise UsageError(f"Config {config!r} of {build_dir} has no rows of source {source!r}.")
        return MergeInput(name, config)
    if name in on_disk:
        return MergeInput(name, name)
    found = {config: n for config in on_disk if (n := _matching_rows(build_dir, config, name))}
    if not found:
        known = sorted({tag for config in on_disk for tag in _source_names(build_dir, config)})
        close = difflib.get_close_matches(name, [*on_disk, *known], n=1)
        raise UsageError(
            f"{name!r} is neither a config of {build_dir} ({', '.join(sorted(on_disk))}) nor a source in one "
            f"({', '.join(known)})" + (f" (did you mean {close[0]!r}?)" if close else "")
        )
    return MergeInput(name, max(found, key=lambda config: (found[config], -_config_rank(config))))


def _config_rank(config: str) -> int:
    flat = [c.name for c in FLAT]
    return flat.index(config) if config in flat else len(flat)


def _source_mask(table: pa.Table, source: str) -> pa.ChunkedArray:
    """Rows of `source`: by the source name that prefixes `id`, or by the `source` tag (or its prefix)."""
    tag = table.column("source")
    return pc.or_(
        pc.or_(pc.starts_with(table.column("id"), f"{source}:"), pc.equal(tag, source)),
        pc.starts_with(tag, f"{source}/"),
    )


def _matching_rows(build_dir: Path, config: str, source: str) -> int:
    total = 0
    for split in splits_on_disk(build_dir)[config]:
        table = read_config(build_dir, config, split, columns=["id", "source"])
        total += pc.sum(_source_mask(table, source)).as_py() or 0
    return total


def _source_names(build_dir: Path, config: str) -> set[str]:
    names = set()
    for split in splits_on_disk(build_dir)[config]:
        table = read_config(build_dir, config, split, columns=["id", "source"])
        names |= {value.split(":", 1)[0] for value in pc.unique(table.column("id")).to_pylist()}
        names |= set(pc.unique(table.column("source")).to_pylist())
    return names


def _check_output(build_dir: Path, output: str, inputs: list[MergeInput]) -> None:
    if not isinstance(output, str) or not NAME.fullmatch(output):
        raise UsageError(f"--output must be a config name of letters, digits, '_', '.' or '-'; got {output!r}")
    if output in CONFIGS:
        raise UsageError(f"--output {output!r} is a built config; choose a new name (built: {', '.join(CONFIGS)}).")
    if any(item.config == output for item in inputs):
        raise UsageError(f"--output {output!r} is one of the inputs; choose a new name.")
    configs = read_record(build_dir)["configs"]
    entry = configs.get(output)
    if entry is not None and "merged_from" not in entry:
        raise UsageError(f"--output {output!r} is a config of {build_dir} that no merge wrote; choose a new name.")
    sources = set(SOURCES) | {name for entry in configs.values() for name in entry.get("sources", {})}
    if output in sources:
        # `export` names files after sources: a config named like one would write over that source's files.
        raise UsageError(f"--output {output!r} is the name of a source; choose a new name.")
    if entry is None and os.path.lexists(build_dir / "data" / output):
        raise UsageError(
            f"--output {output!r}: {build_dir / 'data' / output} exists but no merge wrote it; choose a new name."
        )


def _shares(names: list[str], weights, fractions) -> tuple[str, dict[str, float]] | None:
    """`("weights" | "fractions", {name: value})` with a value for every name, or `None` to keep every row."""
    if weights is not None and fractions is not None:
        raise UsageError("Give --weights or --fractions, not both.")
    if weights is None and fractions is None:
        return None
    kind, given = ("weights", weights) if weights is not None else ("fractions", fractions)
    values = _parse_shares(given, kind)
    for name, value in values.items():
        if name not in names:
            raise UsageError(f"--{kind} names {name!r}, which is not among the inputs {', '.join(names)}.")
        if not math.isfinite(value) or value < 0 or (kind == "fractions" and value > 1):
            expected = "a number from 0 to 1" if kind == "fractions" else "a number of 0 or more"
            raise UsageError(f"--{kind} {name}={value!r}: expected {expected}.")
    values = {name: values.get(name, 1.0) for name in names}
    if kind == "weights" and not any(values.values()):
        raise UsageError("--weights are all 0: nothing would be kept.")
    return kind, values


def _parse_shares(given, kind: str) -> dict[str, float]:
    """`{name: value}` from a dict or from `"a=1,b=0.5"` (fire may also hand over a tuple of such strings)."""
    if isinstance(given, dict):
        items = list(given.items())
    else:
        parts = [given] if isinstance(given, str) else list(given)
        items = [part.partition("=")[::2] for text in parts for part in str(text).split(",") if part.strip()]
    values = {}
    for name, value in items:
        try:
            values[str(name).strip()] = float(value)
        except (TypeError, ValueError):
            raise UsageError(f"--{kind} expects NAME=NUMBER pairs, got {name}={value!r}") from None
    return values


def _load(build_dir: Path, inputs: list[MergeInput]) -> dict[str, dict[str, pa.Table]]:
    """`{split: {name: table}}` for every input, after checking that they share one schema."""
    on_disk = splits_on_disk(build_dir)
    tables: dict[str, dict[str, pa.Table]] = {}
    schemas: dict[str, pa.Schema] = {}
    for item in inputs:
        source = item.name.rpartition(":")[2] if item.name != item.config else None
        for split in on_disk[item.config]:
            table = read_config(build_dir, item.config, split)
            if source is not None:
                table = table.filter(_source_mask(table, source))
            schemas.setdefault(item.name, table.schema)
            tables.setdefault(split, {})[item.name] = table
    first_name, first = next(iter(schemas.items()))
    for name, schema in schemas.items():
        if not schema.remove_metadata().equals(first.remove_metadata()):
            raise ConfigError(
                f"Cannot merge {first_name!r} ({_describe(first)}) with {name!r} ({_describe(schema)}): "
                "the inputs of a merge must share one schema."
            )
    return tables


def _describe(schema: pa.Schema) -> str:
    stage = of_schema(schema)
    return f"{stage.name} schema" if stage else f"columns {schema.names}"


def _merge_split(split: str, by_input: dict[str, pa.Table], inputs, shares, seed: int) -> pa.Table:
    seen: dict[tuple, str] = {}
    kept = {}
    for item in inputs:
        table = by_input.get(item.name)
        if table is None:
            continue
        item.rows[split] += table.num_rows
        table = _drop_duplicates(table, item, split, seen)
        kept[item.name] = table
    counts = _draw_counts({name: table.num_rows for name, table in kept.items()}, shares)
    parts = []
    for item in inputs:
        if item.name in kept:
            table = _sample(kept[item.name], counts[item.name], f"{seed}:{item.name}:{split}")
            item.sampled_out[split] += kept[item.name].num_rows - table.num_rows
            item.kept[split] += table.num_rows
            parts.append(table)
    return pa.concat_tables(parts)


def _drop_duplicates(table: pa.Table, item: MergeInput, split: str, seen: dict[tuple, str]) -> pa.Table:
    """The rows of `table` whose text was not seen before; `seen` maps each key to the input that kept it."""
    columns = [table.column(name).to_pylist() for name in dedup_fields(table.schema)]
    columns = [
        [message_text(value) for value in column] if _is_messages(table, c) else column
        for c, column in zip(dedup_fields(table.schema), columns, strict=True)
    ]
    texts = pl.DataFrame({f"t{i}": pl.Series(column, dtype=pl.String) for i, column in enumerate(columns)})
    fields = list(texts.columns)
    keys: list[tuple] = [()] * table.num_rows
    if fields:
        keyed = with_keys(texts.lazy(), fields).select(combined_key(fields).alias("key")).collect()
        keys = keyed.unnest("key").rows()
    keep = []
    for key in keys:
        owner = seen.get(key)
        if owner is None:
            seen[key] = item.name
        else:
            item.duplicates[split] += 1
            item.duplicate_of[owner] += 1
        keep.append(owner is None)
    return table.filter(pa.array(keep, type=pa.bool_()))


def dedup_fields(schema: pa.Schema) -> list[str]:
    """The text fields two rows are compared on: those of the stage, the message lists of a conversational config,
    else every string column but `id`, `source`.

    >>> dedup_fields(CONFIGS["sft"].arrow_schema)
    ['prompt', 'response']
    """
    messages = [f.name for f in schema if is_message_list(f.type)]
    if messages:
        return messages
    stage = of_schema(schema)
    if stage is not None:
        return list(stage.duplicate)
    return [f.name for f in schema if pa.types.is_string(f.type) and f.name not in ("id", "source")]


def _is_messages(table: pa.Table, name: str) -> bool:
    return is_message_list(table.schema.field(name).type)


def _draw_counts(sizes: dict[str, int], shares) -> dict[str, int]:
    if shares is None:
        return sizes
    kind, values = shares
    if kind == "fractions":
        return {name: round(values[name] * n) for name, n in sizes.items()}
    total = sum(values[name] for name, n in sizes.items() if n)
    if not total:
        return dict.fromkeys(sizes, 0)
    proportions = {name: values[name] / total if n else 0.0 for name, n in sizes.items()}
    limit = min((n / proportions[name] for name, n in sizes.items() if proportions[name] > 0), default=0)
    return {name: min(n, math.floor(limit * proportions[name] + 1e-9)) for name, n in sizes.items()}


def _sample(table: pa.Table, count: int, seed: str) -> pa.Table:
    if count >= table.num_rows:
        return table
    return table.take(sorted(random.Random(seed).sample(range(table.num_rows), count)))


def _write(build_dir: Path, output: str, merged: dict[str, pa.Table], inputs, shares, seed: int) -> None:
    """Write the new config, its record and the card as one transaction of the build folder."""
    from .card import write_card
    from .stats import write_stats

    with transaction(build_dir, existing=True) as staging:
        # The staging copy shares the old shards by hard links: unlink them, never write through them.
        shutil.rmtree(staging / "data" / output, ignore_errors=True)
        shutil.rmtree(staging / HASHES_DIR / output, ignore_errors=True)
        files = {split: write_split(table, staging, output, split) for split, table in merged.items()}
        checkpoint(f"written:{output}")
        record = read_record(staging)
        record["configs"][output] = _entry(record, merged, files, inputs, shares, seed)
        write_json(staging / RECORD, record)
        write_card(staging, write_stats(staging))


def _entry(record: dict, merged: dict[str, pa.Table], files, inputs, shares, seed: int) -> dict[str, Any]:
    splits = {split: {"rows": table.num_rows, "files": files[split]} for split, table in merged.items()}
    merged_from = {
        "inputs": [
            {
                "name": item.name,
                "config": item.config,
                "rows": _nonzero(item.rows),
                "duplicates_removed": _nonzero(item.duplicates),
                "duplicate_of": _nonzero(item.duplicate_of),
                "sampled_out": _nonzero(item.sampled_out),
                "kept": _nonzero(item.kept),
            }
            for item in inputs
        ],
        "dedup": "per split, text fields equal after NFKC, case folding and whitespace folding; first occurrence kept",
        "seed": seed,
    }
    if shares is not None:
        merged_from[shares[0]] = shares[1]
    sources = _sources(record, merged, inputs)
    return {"splits": splits, "sources": sources, "counts": _counts(inputs), "merged_from": merged_from}


def _nonzero(counter: Counter) -> dict[str, int]:
    return {key: n for key, n in sorted(counter.items()) if n}


def _sources(record: dict, merged: dict[str, pa.Table], inputs: list[MergeInput]) -> dict[str, dict[str, Any]]:
    """The build records of the sources whose rows the merged config holds, files united across input configs."""
    used = {value.split(":", 1)[0] for table in merged.values() for value in pc.unique(table["id"]).to_pylist()}
    sources: dict[str, dict[str, Any]] = {}
    for item in inputs:
        for name, info in record["configs"].get(item.config, {}).get("sources", {}).items():
            if name in used:
                entry = sources.setdefault(name, dict(info))
                entry["files"] = sorted(set(entry.get("files", [])) | set(info.get("files", [])))
    return sources


def _counts(inputs: list[MergeInput]) -> dict[str, dict[str, dict[str, int]]]:
    """Counts in the shape the built configs use: `{split: {input name: {rows, kept, dropped_duplicate, ...}}}`."""
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for item in inputs:
        for split in sorted(item.rows):
            entry = {"rows": item.rows[split], "kept": item.kept[split]}
            if item.duplicates[split]:
                entry["dropped_duplicate"] = item.duplicates[split]
            if item.sampled_out[split]:
                entry["sampled_out"] = item.sampled_out[split]
            counts.setdefault(split, {})[item.name] = entry
    return counts


def format_merge(report: MergeReport) -> str:
    """A short summary of a merge: rows per split, and per input what was removed and why."""
    lines = [f"Merged {', '.join(item.name for item in report.inputs)} into config {report.output!r}"]
    lines += [f"  {report.output}/{split}: {rows} rows" for split, rows in report.splits.items()]
    for item in report.inputs:
        removed = sum(item.duplicates.values())
        of = ", ".join(f"{n} of {name}" for name, n in item.duplicate_of.items())
        line = f"  {item.name} (from {item.config}): {sum(item.rows.values())} rows, {removed} duplicates removed"
        line += f" ({of})" if removed else ""
        if sampled := sum(item.sampled_out.values()):
            line += f", {sampled} sampled out"
        line += f", {sum(item.kept.values())} kept"
        if len(item.rows) > 1:
            line += " (" + ", ".join(f"{split} {item.kept[split]}" for split in sorted(item.rows)) + ")"
        lines.append(line)
    lines.append(f'Load it: datasets.load_dataset("{report.build_dir}", "{report.output}")')
    return "\n".join(lines)
