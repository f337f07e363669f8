"""The split checks, which need a whole split in order: duplicates, duplicate prompts, test overlap, benchmarks.

They run once a split is converted, in the process that called `download_and_prepare`, over the split's Arrow
files in order (the files of several worker processes included): a first pass computes the keys of every row,
a second rewrites only the files that lose rows or gain flags. The test split runs first, so that train knows
the test prompts. Both passes stream the files about `CHUNK_BYTES` of rows at a time: what stays in memory is
a few numbers per row, whatever the size of the split.
"""

import contextlib
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa

from ..configs import Config
from ..folder import writing
from ..layout import batch_groups
from .checks import CHECKS, decide
from .decontamination import contaminated
from .text import combined_key, normal_column, text_fields, with_keys

# The Arrow bytes of rows keyed at once: enough that polars' per-call costs vanish, little beside a large split.
CHUNK_BYTES = 16 << 20


def stream(path: Path) -> Iterator[pa.RecordBatch]:
    """The record batches of an Arrow stream file, read one at a time."""
    with pa.OSFile(str(path)) as file:
        yield from pa.ipc.open_stream(file)


def chunks(paths: list[Path], columns: list[str]) -> Iterator[pa.Table]:
    """The rows of the files in order, `columns` only and `file`, the index of each row's file in `paths`, about
    `CHUNK_BYTES` at a time."""

    def selected() -> Iterator[pa.RecordBatch]:
        for index, path in enumerate(paths):
            for batch in stream(path):
                file = pa.array([index] * batch.num_rows, pa.uint32())
                yield batch.select(columns).append_column("file", file)

    for group in batch_groups(selected(), CHUNK_BYTES, lambda batch: batch.nbytes):
        yield pa.Table.from_batches(group)


def key_fields(config: Config) -> list[str]:
    """The fields whose keys the split checks take: those compared for duplicates, the prompt, and every text
    field of the config, whose keys `stats` reuses (`apt_hub.measures.write_measures`)."""
    schema = pl.DataFrame(pl.from_arrow(config.arrow_schema.empty_table())).schema
    return list(dict.fromkeys([*config.duplicate, config.prompt, *text_fields(schema)]))


def split_marks(
    paths: list[Path], config: Config, test_prompts: pl.Series | None, benchmarks: dict[str, pl.Series]
) -> pl.DataFrame:
    """One row per row of the split's files: `source`, `prompt_key`, the keys of `key_fields` and the pair
    columns of `apt_hub.clean.text.with_keys`, and one boolean column per split check that caught the row
    (`contaminated:<spec>` for each benchmark), with `file`, the index in `paths` of the row's file. Each text is
    normalised once."""
    fields, prompt, pair = key_fields(config), config.prompt, config.pair
    columns = list(dict.fromkeys([*fields, *(pair or ()), "source"]))
    parts = []
    for table in chunks(paths, columns):
        frame = pl.DataFrame(pl.from_arrow(table))
        keyed = with_keys(frame.lazy(), fields, pair, normal=[prompt] if benchmarks else []).collect()
        part = keyed.select(
            "file",
            # A copy: polars shares Arrow's string buffers, and this one is a slice of the whole batch read.
            pl.Series("source", keyed["source"].to_list(), dtype=pl.String),
            combined_key(config.duplicate).alias("row_key"),
            combined_key([prompt]).alias("prompt_key"),
            pl.col(r"^_key:.*$"),
            pl.col(r"^_pair_.*$"),
        )
        if pair:
            part = part.with_columns(pl.col("_pair_starts").alias("prefix_pair"))
        if benchmarks:
            hits = contaminated(keyed[normal_column(prompt)], benchmarks, normalised=True)
            part = part.with_columns(pl.Series(f"contaminated:{spec}", hit) for spec, hit in hits.items())
        parts.append(part)
    if not parts or not sum(part.height for part in parts):
        return pl.DataFrame()
    marks = pl.concat(parts)
    overlap = pl.col("prompt_key").is_in(test_prompts.implode()) if test_prompts is not None else pl.lit(False)
    duplicate = ~pl.col("row_key").is_first_distinct()
    return marks.with_columns(
        duplicate.alias("duplicate"),
        (~pl.col("prompt_key").is_first_distinct() & ~duplicate).alias("duplicate_prompt"),
        overlap.alias("test_overlap"),
    )


def row_keys(marks: pl.DataFrame) -> pl.DataFrame:
    """The per-field keys and pair columns of some rows' marks, which `stats` measures reuse."""
    return marks.select(pl.col(r"^_key:.*$"), pl.col(r"^_pair_.*$"))


def decisions(marks: pl.DataFrame, dropping: frozenset[str]) -> pl.DataFrame:
    """Per row: `reason`, the check that drops it (null when it stays), and `flags`, the checks that caught it, by the
    one rule of every check (`apt_hub.clean.checks.decide`), the split checks taken in the order of `CHECKS`.

    Only the rows some check caught are decided one at a time: a few in most splits."""
    contamination = [c for c in marks.columns if c.startswith("contaminated:")]
    caught = {name: marks[name] for name, check in CHECKS.items() if check.kind == "split" and name in marks.columns}
    if contamination:
        caught["contaminated"] = marks.select(pl.any_horizontal(contamination)).to_series()
    reasons: list[str | None] = [None] * marks.height
    flags: list[list[str]] = [[] for _ in range(marks.height)]
    if caught:
        frame = pl.DataFrame(caught)
        where = frame.select(pl.any_horizontal(pl.all()).arg_true()).to_series().to_list()
        for index, row in zip(where, frame[where].iter_rows(), strict=True):
            reason, names = decide([name for name, hit in zip(caught, row, strict=True) if hit], dropping)
            reasons[index], flags[index] = reason, [] if reason else names
    return pl.DataFrame(
        {"reason": pl.Series(reasons, dtype=pl.String), "flags": pl.Series(flags, dtype=pl.List(pl.String))}
    )


@dataclass
class Rewritten:
    """A split file once checked: its rows, their Arrow bytes per column, and the rows kept and flagged by each
    check, by source tag."""

    rows: int
    column_bytes: dict[str, int]
    kept: Counter
    flagged: Counter


def rewrite(path: Path, decided: pl.DataFrame) -> Rewritten:
    """Drop the file's dropped rows and add the new flags (`decisions`, one row per row of the file), about
    `CHUNK_BYTES` of rows at a time, each batch written as the batch it was without its dropped rows; the file is
    replaced only when it changes."""
    changes = not (decided["reason"].is_null().all() and decided["flags"].list.len().sum() == 0)
    temporary = path.with_name(f"{path.name}.checked")
    rows = start = 0
    column_bytes: Counter = Counter()
    kept: Counter = Counter()
    flagged: Counter = Counter()
    writer = None
    with writing(temporary), contextlib.ExitStack() as stack:
        for group in batch_groups(stream(path), CHUNK_BYTES, lambda batch: batch.nbytes):
            read = sum(batch.num_rows for batch in group)
            if changes:
                group = _checked(group, decided.slice(start, read))
                if writer is None:
                    file = stack.enter_context(pa.OSFile(str(temporary), "wb"))
                    writer = stack.enter_context(pa.ipc.new_stream(file, group[0].schema))
                for batch in group:
                    writer.write_batch(batch)
            start += read
            rows += sum(batch.num_rows for batch in group)
            for batch in group:
                column_bytes.update(dict(zip(batch.schema.names, (c.nbytes for c in batch.columns), strict=True)))
            labels = pl.DataFrame(pl.from_arrow(pa.Table.from_batches(group).select(["source", "quality_flags"])))
            kept.update(dict(labels.group_by("source").len().iter_rows()))
            flags = labels.explode("quality_flags").drop_nulls("quality_flags")
            flagged.update(
                {(tag, flag): n for tag, flag, n in flags.group_by("source", "quality_flags").len().iter_rows()}
            )
    if writer is not None:
        os.replace(temporary, path)
    return Rewritten(rows, dict(column_bytes), kept, flagged)


def _checked(batches: list[pa.RecordBatch], decided: pl.DataFrame) -> list[pa.RecordBatch]:
    """Batches without their dropped rows and with the new flags after their own, each batch on its own."""
    own = pl.DataFrame(pl.from_arrow(pa.Table.from_batches(batches).select(["quality_flags"])))
    own = own.with_columns(decided["flags"])
    merged = own.select(pl.concat_list("quality_flags", "flags").list.unique(maintain_order=True)).to_series()
    merged, keep = merged.to_arrow().cast(pa.list_(pa.string())), decided["reason"].is_null().to_arrow()
    index = batches[0].schema.get_field_index("quality_flags")
    checked, offset = [], 0
    for batch in batches:
        n = batch.num_rows
        batch = batch.set_column(index, batch.schema.field(index), merged.slice(offset, n))
        checked.append(batch.filter(keep.slice(offset, n)))
        offset += n
    return checked


def count(marks: pl.DataFrame, decided: pl.DataFrame, files: list[Rewritten]) -> dict[str, Counter]:
    """`dropped_<check>` of the dropped rows, `kept` and `flagged_<check>` of the final rows, by source tag."""
    counts: dict[str, Counter] = {}
    dropped = pl.DataFrame({"source": marks["source"], "reason": decided["reason"]}).drop_nulls("reason")
    for tag, reason, n in dropped.group_by("source", "reason").len().iter_rows():
        counts.setdefault(tag, Counter())[f"dropped_{reason}"] += n
    for file in files:
        for tag, n in file.kept.items():
            counts.setdefault(tag, Counter())["kept"] += n
        for (tag, flag), n in file.flagged.items():
            counts[tag][f"flagged_{flag}"] += n
    return counts


def benchmark_counts(marks: pl.DataFrame) -> dict[str, int]:
    """The rows each benchmark caught among `marks` (a row caught by several counts for each)."""
    return {
        c.removeprefix("contaminated:"): int(marks[c].sum()) for c in marks.columns if c.startswith("contaminated:")
    }
