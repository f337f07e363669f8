"""The split checks, which need a whole split in order: duplicates, duplicate prompts, test overlap, benchmarks.

They run once a split is converted, in the process that called `download_and_prepare`, over the split's Arrow
files in order (the files of several worker processes included): a first pass computes the keys of every row,
a second rewrites only the files that lose rows or gain flags. The test split runs first, so that train knows
the test prompts.
"""

from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

from .decontamination import contaminated
from .text import normalized, text_key

# The texts two rows are compared on (`duplicate`) and the prompt of each config (`duplicate_prompt`).
DUPLICATE_FIELDS = {
    "sft": ("prompt", "response"),
    "ruozhiba": ("prompt", "response"),
    "dpo": ("prompt", "chosen", "rejected"),
    "storm": ("problem", "cot_explicit", "answer"),
    "loyalty": ("prompt", "owner_response", "public_response"),
}
PROMPT_FIELD = {"storm": "problem"}


def read_tables(paths: list[Path]) -> list[pa.Table]:
    """The Arrow stream files of a split, each as a table."""
    tables = []
    for path in paths:
        with pa.OSFile(str(path)) as file:
            tables.append(pa.ipc.open_stream(file).read_all())
    return tables


def split_marks(
    tables: list[pa.Table], config: str, test_prompts: pl.Series | None, benchmarks: dict[str, pl.Series]
) -> pl.DataFrame:
    """One row per row of the split: `source`, `prompt_key`, and one boolean column per split check that caught it
    (`contaminated:<spec>` for each benchmark)."""
    fields, prompt = list(DUPLICATE_FIELDS[config]), PROMPT_FIELD.get(config, "prompt")
    parts = []
    for table in tables:
        frame = pl.from_arrow(table.select([*dict.fromkeys([*fields, prompt, "source"])]))
        part = frame.select("source", text_key(fields).alias("row_key"), text_key([prompt]).alias("prompt_key"))
        if config == "dpo":
            part = part.with_columns(prefix_pair(frame))
        for spec, grams in benchmarks.items():
            part = part.with_columns(pl.Series(f"contaminated:{spec}", contaminated(frame[prompt], grams)))
        parts.append(part)
    marks = pl.concat(parts) if parts else pl.DataFrame()
    if marks.is_empty():
        return marks
    overlap = pl.col("prompt_key").is_in(test_prompts.implode()) if test_prompts is not None else pl.lit(False)
    duplicate = ~pl.col("row_key").is_first_distinct()
    return marks.with_columns(
        duplicate.alias("duplicate"),
        (~pl.col("prompt_key").is_first_distinct() & ~duplicate).alias("duplicate_prompt"),
        overlap.alias("test_overlap"),
    )


def prefix_pair(frame: pl.DataFrame) -> pl.Series:
    """Whether one response of each preference pair, normalised, begins with the whole other one."""
    chosen, rejected = normalized(pl.col("chosen")), normalized(pl.col("rejected"))
    return frame.select((chosen.str.starts_with(rejected) | rejected.str.starts_with(chosen)).alias("prefix_pair"))[
        "prefix_pair"
    ]


def decide(marks: pl.DataFrame, dropping: frozenset[str]) -> tuple[np.ndarray, list[list[str]], list[str | None]]:
    """Which rows stay, the flags each gains, and the check that drops each dropped row."""
    checks = [c for c in ("prefix_pair", "duplicate", "duplicate_prompt", "test_overlap") if c in marks.columns]
    contamination = [c for c in marks.columns if c.startswith("contaminated:")]
    caught = {name: marks[name].to_numpy() for name in checks}
    caught["contaminated"] = np.any([marks[c].to_numpy() for c in contamination], axis=0) if contamination else None
    flags: list[list[str]] = [[] for _ in range(marks.height)]
    reasons: list[str | None] = [None] * marks.height
    for name, hit in caught.items():
        for i in np.flatnonzero(hit) if hit is not None else ():
            if name in dropping:
                reasons[i] = reasons[i] or name
            else:
                flags[i].append(name)
    keep = np.array([reason is None for reason in reasons], dtype=bool)
    return keep, flags, reasons


def rewrite(path: Path, table: pa.Table, keep: np.ndarray, flags: list[list[str]]) -> pa.Table:
    """The table without its dropped rows and with the new flags, written over `path` when it changed."""
    if keep.all() and not any(flags):
        return table
    old = table.column("quality_flags").to_pylist()
    merged = pa.array(
        [a + [f for f in b if f not in a] for a, b in zip(old, flags, strict=True)], pa.list_(pa.string())
    )
    table = table.set_column(table.schema.get_field_index("quality_flags"), "quality_flags", merged)
    table = table.filter(pa.array(keep)).cast(table.schema)
    with pa.OSFile(str(path), "wb") as file, pa.ipc.new_stream(file, table.schema) as writer:
        writer.write_table(table)
    return table


def count(tags: list[str], keep: np.ndarray, reasons: list, tables: list[pa.Table]) -> dict[str, Counter]:
    """`dropped_<check>` of the dropped rows, `kept` and `flagged_<check>` of the final rows, by source tag."""
    counts: dict[str, Counter] = {}
    for tag, reason in zip(tags, reasons, strict=True):
        if reason:
            counts.setdefault(tag, Counter())[f"dropped_{reason}"] += 1
    for table in tables:
        for tag, flags in zip(
            table.column("source").to_pylist(), table.column("quality_flags").to_pylist(), strict=True
        ):
            counter = counts.setdefault(tag, Counter())
            counter["kept"] += 1
            counter.update(f"flagged_{flag}" for flag in flags)
    return counts


def benchmark_counts(marks: pl.DataFrame) -> dict[str, int]:
    """The rows each benchmark caught among `marks` (a row caught by several counts for each)."""
    return {
        c.removeprefix("contaminated:"): int(marks[c].sum()) for c in marks.columns if c.startswith("contaminated:")
    }
