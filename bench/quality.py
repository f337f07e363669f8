"""What the quality checks cost at full scale: a build without them, with them, and with decontamination.

    python -m bench.quality [--upstream bench/data/scale-1] [--benchmark-rows 10000] [--repeats 3]

The three builds run in turn, `--repeats` rounds, and each figure is the median of its rounds (all runs are
printed: the machines are noisy). Each build starts from an empty `datasets` cache. The build "without checks"
turns the row checks into a no-op and skips the pass over whole splits (duplicates, test overlap, prefix pairs),
in this process only; the decontamination build adds `--decontaminate` with a generated benchmark of
`--benchmark-rows` questions (English and Chinese, about 40 words or 60 characters each) written to a local JSON
Lines file.
"""

import argparse
import contextlib
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import polars as pl
import pyarrow as pa

from apt_hub import pipeline
from apt_hub.build import build
from apt_hub.clean import dedup

CONFIGS = ["sft", "ruozhiba", "dpo", "storm"]
WORDS = "what is the value of sum product integer prime number triangle circle area length find compute".split()


def benchmark_file(path: Path, rows: int, seed: int = 0) -> Path:
    """A benchmark of `rows` questions, a quarter of them Chinese."""
    rng = random.Random(seed)
    chinese = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    with path.open("w", encoding="utf-8") as file:
        for n in range(rows):
            text = "".join(rng.choices(chinese, k=60)) if n % 4 == 0 else " ".join(rng.choices(WORDS, k=40))
            file.write(json.dumps({"question": f"{text} ({n})"}, ensure_ascii=False) + "\n")
    return path


def timed_build(upstream: str, work: Path, name: str, **flags) -> tuple[float, dict]:
    start = time.perf_counter()
    report = build(CONFIGS, upstream=upstream, output_dir=work / name, **flags)
    return time.perf_counter() - start, report.configs


@contextlib.contextmanager
def without_checks():
    """The row checks and the split pass as no-ops, for the baseline."""

    def keep_rows(self, table, counter):
        flags = pa.array([[]] * table.num_rows, table.schema.field("quality_flags").type)
        return table.set_column(table.schema.get_field_index("quality_flags"), "quality_flags", flags), None

    def count_rows(config, split, paths, options, test_prompts, grams, counts):
        rows = pipeline.SplitRows(paths)
        for path in paths:
            for batch in dedup.stream(path):
                rows.rows += batch.num_rows
                for name, column in zip(batch.schema.names, batch.columns, strict=True):
                    rows.column_bytes[name] = rows.column_bytes.get(name, 0) + column.nbytes
        return rows, pl.Series([])

    saved = pipeline.RowScreen.__call__, pipeline._check_split
    pipeline.RowScreen.__call__, pipeline._check_split = keep_rows, count_rows
    try:
        yield
    finally:
        pipeline.RowScreen.__call__, pipeline._check_split = saved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", default="bench/data/scale-1")
    parser.add_argument("--benchmark-rows", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    runs: dict[str, list[float]] = {"checks": [], "decontaminated": [], "plain": []}
    with tempfile.TemporaryDirectory(dir=Path(args.upstream).parent) as tmp:
        work = Path(tmp)
        bench = benchmark_file(work / "bench.jsonl", args.benchmark_rows)
        for path in Path(args.upstream).rglob("*"):  # every build then reads the upstream from the page cache
            if path.is_file():
                path.read_bytes()
        for round_ in range(args.repeats):
            seconds, configs = timed_build(args.upstream, work, f"checks-{round_}")
            runs["checks"].append(seconds)
            flag = {"decontaminate": f"{bench}:question"}
            runs["decontaminated"].append(timed_build(args.upstream, work, f"decontaminated-{round_}", **flag)[0])
            with without_checks():
                runs["plain"].append(timed_build(args.upstream, work, f"plain-{round_}")[0])
    checked, decontaminated, plain = (statistics.median(runs[name]) for name in runs)
    for name, seconds in runs.items():
        print(f"{name} runs: " + ", ".join(f"{s:.1f}" for s in seconds))
    rows = sum(split["rows"] for entry in configs.values() for split in entry["splits"].values())
    print(f"build without checks: {plain:.1f} s")
    print(
        f"build with checks, duplicates and test overlap: {checked:.1f} s ({checked / plain - 1:+.1%}), {rows:,} rows"
    )
    print(
        f"build with checks and a {args.benchmark_rows:,}-row benchmark: {decontaminated:.1f} s "
        f"({decontaminated - checked:+.1f} s)"
    )
    for config, entry in configs.items():
        dropped = {}
        for split in entry["counts"].values():
            for counts in split.values():
                for key, n in counts.items():
                    if key.startswith(("dropped_", "flagged_")):
                        dropped[key] = dropped.get(key, 0) + n
        print(f"  {config}: " + ", ".join(f"{k} {n:,}" for k, n in sorted(dropped.items())))


if __name__ == "__main__":
    main()
