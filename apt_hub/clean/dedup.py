"""The split checks, which need a whole split in order: duplicates, duplicate prompts, test overlap, benchmarks.

They run once a split is converted, in the process that called `download_and_prepare`, over the split's Arrow
files in order (the files of several worker processes included): a first pass computes the keys of every row,
a second rewrites only the files that lose rows or gain flags. The test split runs first, so that train knows
the test prompts.
"""

from collections import Counter
from pathlib import Path

import polars as pl
import pyarrow as pa

from ..schemas import FEATURES
from .decontamination import contaminated
from .text import combined_key, normal_column, text_fields, with_keys

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


def key_fields(config: str) -> list[str]:
    """The fields whose keys the split checks take: those compared for duplicates, the prompt, and every text
    field of the config, whose keys `stats` reuses (`apt_hub.stats.write_measures`)."""
    schema = pl.from_arrow(FEATURES[config].arrow_schema.empty_table()).schema
    return list(dict.fromkeys([*DUPLICATE_FIELDS[config], PROMPT_FIELD.get(config, "prompt"), *text_fields(schema)]))


def pair_of(config: str) -> tuple[str, str] | None:
    """The preference pair of a config, compared as `prefix_pair`."""
    return ("chosen", "rejected") if config == "dpo" else None


def split_marks(
    tables: list[pa.Table], config: str, test_prompts: pl.Series | None, benchmarks: dict[str, pl.Series]
) -> pl.DataFrame:
    """One row per row of the split: `source`, `prompt_key`, the keys of `key_fields` and the pair columns of
    `apt_hub.clean.text.with_keys`, and one boolean column per split check that caught the row
    (`contaminated:<spec>` for each benchmark). Each text is normalised once."""
    fields, prompt, pair = key_fields(config), PROMPT_FIELD.get(config, "prompt"), pair_of(config)
    columns = list(dict.fromkeys([*fields, *(pair or ()), "source"]))
    frame = pl.concat([pl.from_arrow(table.select(columns)) for table in tables]) if tables else pl.DataFrame()
    if frame.is_empty():
        return pl.DataFrame()
    keyed = with_keys(frame.lazy(), fields, pair, normal=[prompt] if benchmarks else []).collect()
    marks = keyed.select(
        "source",
        combined_key(DUPLICATE_FIELDS[config]).alias("row_key"),
        combined_key([prompt]).alias("prompt_key"),
        pl.col(r"^_key:.*$"),
        pl.col(r"^_pair_.*$"),
    )
    if pair:
        marks = marks.with_columns(pl.col("_pair_starts").alias("prefix_pair"))
    if benchmarks:
        hits = contaminated(keyed[normal_column(prompt)], benchmarks, normalised=True)
        marks = marks.with_columns(pl.Series(f"contaminated:{spec}", hit) for spec, hit in hits.items())
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


def decide(marks: pl.DataFrame, dropping: frozenset[str]) -> pl.DataFrame:
    """Per row: `reason`, the first check that drops it (null when it stays), and `flags`, the checks that caught
    it without dropping it, in check order."""
    checks = [c for c in ("prefix_pair", "duplicate", "duplicate_prompt", "test_overlap") if c in marks.columns]
    contamination = [c for c in marks.columns if c.startswith("contaminated:")]
    caught = {name: pl.col(name) for name in checks}
    if contamination:
        caught["contaminated"] = pl.any_horizontal(contamination)
    named = {name: pl.when(hit).then(pl.lit(name)) for name, hit in caught.items()}
    drops = [named[name] for name in caught if name in dropping]
    flags = [named[name] for name in caught if name not in dropping]
    return marks.select(
        (pl.coalesce(drops) if drops else pl.lit(None, pl.String)).alias("reason"),
        (pl.concat_list(flags).list.drop_nulls() if flags else pl.lit([], pl.List(pl.String))).alias("flags"),
    )


def rewrite(path: Path, table: pa.Table, decided: pl.DataFrame) -> pa.Table:
    """The table without its dropped rows and with the new flags (`decide`), written over `path` when it
    changed."""
    if decided["reason"].is_null().all() and decided["flags"].list.len().sum() == 0:
        return table
    both = pl.from_arrow(table.select(["quality_flags"])).with_columns(decided["flags"])
    merged = both.select(pl.concat_list("quality_flags", "flags").list.unique(maintain_order=True)).to_series()
    index = table.schema.get_field_index("quality_flags")
    table = table.set_column(index, "quality_flags", merged.to_arrow().cast(pa.list_(pa.string())))
    table = table.filter(decided["reason"].is_null().to_arrow()).cast(table.schema)
    with pa.OSFile(str(path), "wb") as file, pa.ipc.new_stream(file, table.schema) as writer:
        writer.write_table(table)
    return table


def count(marks: pl.DataFrame, decided: pl.DataFrame, tables: list[pa.Table]) -> dict[str, Counter]:
    """`dropped_<check>` of the dropped rows, `kept` and `flagged_<check>` of the final rows, by source tag."""
    counts: dict[str, Counter] = {}
    dropped = pl.DataFrame({"source": marks["source"], "reason": decided["reason"]}).drop_nulls("reason")
    for tag, reason, n in dropped.group_by("source", "reason").len().iter_rows():
        counts.setdefault(tag, Counter())[f"dropped_{reason}"] += n
    final = pl.concat([pl.from_arrow(t.select(["source", "quality_flags"])) for t in tables])
    for tag, n in final.group_by("source").len().iter_rows():
        counts.setdefault(tag, Counter())["kept"] += n
    flagged = final.explode("quality_flags").drop_nulls("quality_flags")
    for tag, flag, n in flagged.group_by("source", "quality_flags").len().iter_rows():
        counts[tag][f"flagged_{flag}"] += n
    return counts


def benchmark_counts(marks: pl.DataFrame) -> dict[str, int]:
    """The rows each benchmark caught among `marks` (a row caught by several counts for each)."""
    return {
        c.removeprefix("contaminated:"): int(marks[c].sum()) for c in marks.columns if c.startswith("contaminated:")
    }
