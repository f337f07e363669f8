"""Write a full-scale upstream mirror in the Hub layout that `apt-hub build --upstream DIR` reads.

Every source, subset and split gets its real row count (`../shared/UPSTREAM.md`) times `--scale`, with
realistic lengths: multi-turn hh-rlhf transcripts with the measured quirks, Chinese COIG-CQIA rows, UltraFeedback
pairs with long completions, and s1K-1.1 traces of tens of thousands of characters. Rows are made from the bundled
sample rows (`apt_hub/samples`), recombined and stretched; the same seed writes the same bytes.

    python -m bench.mirror --output-dir bench/data/scale-1 --scale 1
"""

import argparse
import gzip
import hashlib
import io
import json
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from apt_hub.read.manifest import folder_manifest, write_copy_manifest
from apt_hub.read.upstream import SAMPLES
from apt_hub.sources import SOURCES

MANIFEST = "bench_manifest.json"
HH_ROWS = {
    "harmless-base": {"train": 42_537, "test": 2_312},
    "helpful-base": {"train": 43_835, "test": 2_354},
    "helpful-online": {"train": 22_007, "test": 1_137},
    "helpful-rejection-sampled": {"train": 52_421, "test": 2_749},
}
UF_ROWS = {"train_prefs": 61_135, "test_prefs": 2_000, "train_sft": 61_135, "test_sft": 1_000}
UF_ROWS |= {"train_gen": 61_135, "test_gen": 1_000}
COIG_ROWS = {
    "chinese_traditional": 1_111,
    "coig_pc": 3_000,
    "douban": 3_086,
    "exam": 4_856,
    "finance": 11_289,
    "human_value": 1_007,
    "logi_qa": 421,
    "ruozhiba": 240,
    "segmentfault": 458,
    "wiki": 10_603,
    "wikihow": 1_485,
    "xhs": 1_508,
    "zhihu": 5_631,
}
S1K_ROWS = 1_000
# Quirk rates measured on hh-rlhf harmless-base/test (UPSTREAM.md): 4, 13, 5 and 445 rows of 2,312.
HH_QUIRKS = {"empty_chosen": 4 / 2312, "double_assistant": 13 / 2312, "continues": 5 / 2312, "same_start": 0.19}
BATCH = 2_000


def scaled(count: int, scale: float) -> int:
    """A real row count times the scale, at least one row."""
    return max(1, round(count * scale))


def write_mirror(output_dir: str | Path, *, scale: float = 1.0, seed: int = 0) -> dict[str, dict[str, int]]:
    """Write the mirror; returns (and writes to `DIR/bench_manifest.json`) the rows of every file, by repository."""
    root = Path(output_dir)
    if root.exists():
        shutil.rmtree(root)
    manifest = {
        "m-a-p/COIG-CQIA": _write_coig(root / "m-a-p/COIG-CQIA", scale, random.Random(f"{seed}:coig")),
        "Anthropic/hh-rlhf": _write_hh(root / "Anthropic/hh-rlhf", scale, random.Random(f"{seed}:hh")),
        "HuggingFaceH4/ultrafeedback_binarized": _write_uf(
            root / "HuggingFaceH4/ultrafeedback_binarized", scale, random.Random(f"{seed}:uf")
        ),
        "simplescaling/s1K-1.1": _write_s1k(root / "simplescaling/s1K-1.1", scale, random.Random(f"{seed}:s1k")),
    }
    (root / MANIFEST).write_text(json.dumps({"scale": scale, "seed": seed, "rows": manifest}, indent=2) + "\n")
    describe(root, scale, seed)
    return manifest


def describe(root: Path, scale: float, seed: int) -> None:
    """The manifest of each repository of the mirror, beside it (`apt_hub.read.manifest`): a build checks the mirror
    against what it was made with, sizes and sha256 of every file read, as it would check a download against the
    Hub's."""
    for source in SOURCES.values():
        if source.repo_id and (root / source.repo_id).is_dir():
            copy = f"the benchmark's mirror: rows made from the bundled samples at the real row counts, scale {scale}"
            remake = f"python -m bench.mirror --output-dir {{root}} --scale {scale} --seed {seed}"
            made = folder_manifest(root / source.repo_id, source.repo_id, source.revision, copy=copy, remake=remake)
            write_copy_manifest(root / source.repo_id, made)


# --- COIG-CQIA -------------------------------------------------------------------------------------------------


def _write_coig(repo: Path, scale: float, rng: random.Random) -> dict[str, int]:
    sample = SAMPLES / "m-a-p/COIG-CQIA"
    shutil.copytree(sample, repo, ignore=shutil.ignore_patterns("*.jsonl"))
    every = [json.loads(line) for path in sorted(sample.glob("*/*.jsonl")) for line in path.open(encoding="utf-8")]
    outputs = [row["output"] for row in every]
    rows, full = {}, []
    for subset, total in COIG_ROWS.items():
        files = sorted((sample / subset).glob("*.jsonl"))
        total = scaled(total, scale)
        for n, path in enumerate(files):
            seeds = [json.loads(line) for line in path.open(encoding="utf-8")]
            count = total // len(files) + (n < total % len(files))
            lines = [_coig_row(rng.choice(seeds), outputs, rng, i) for i in range(count)]
            _write_text(repo / subset / path.name, lines)
            rows[f"{subset}/{path.name}"] = count
            full += lines
    # The root file repeats every row and feeds no config: the build must not read it.
    _write_text(repo / "COIG-CQIA-full.jsonl", full)
    rows["COIG-CQIA-full.jsonl"] = len(full)
    return rows


def _coig_row(seed: dict, outputs: list[str], rng: random.Random, i: int) -> str:
    row = dict(seed)
    row["instruction"] = f"{seed['instruction']}（{rng.choice(_ZH_ASK)}，第{i + 1}则）"
    parts = [seed["output"]] + rng.sample(outputs, k=rng.choice((0, 0, 1, 1, 2, 3)))
    row["output"] = "" if rng.random() < 0.001 else "\n\n".join(parts)
    return json.dumps(row, ensure_ascii=False)


_ZH_ASK = ("请详细回答", "请简要说明", "请举例解释", "请一步一步分析", "用通俗的话讲", "请给出理由")


# --- hh-rlhf ---------------------------------------------------------------------------------------------------


def _write_hh(repo: Path, scale: float, rng: random.Random) -> dict[str, int]:
    sample = SAMPLES / "Anthropic/hh-rlhf"
    shutil.copytree(sample, repo, ignore=shutil.ignore_patterns("train.jsonl.gz", "test.jsonl.gz"))
    pairs = [json.loads(line) for path in sorted(sample.glob("*/t*.jsonl.gz")) for line in gzip.open(path, "rt")]
    humans, assistants = _turns(pairs, "Human"), _turns(pairs, "Assistant")
    rows = {}
    for subset, splits in HH_ROWS.items():
        for split, count in splits.items():
            count = scaled(count, scale)
            tags = (f"{subset} {split} {n + 1}" for n in range(count))
            lines = (json.dumps(_hh_row(humans, assistants, rng, tag)) for tag in tags)
            _write_text(repo / subset / f"{split}.jsonl.gz", lines)
            rows[f"{subset}/{split}.jsonl.gz"] = count
    return rows


def _turns(pairs: list[dict], speaker: str) -> list[str]:
    texts = [t for p in pairs for side in ("chosen", "rejected") for t in p[side].split("\n\n") if t]
    found = [t.removeprefix(f"{speaker}: ") for t in texts if t.startswith(f"{speaker}: ")]
    return sorted(set(t for t in found if t.strip()))


def _hh_row(humans: list[str], assistants: list[str], rng: random.Random, tag: str) -> dict[str, str]:
    """A transcript whose first question is its own (`tag`): upstream repeats few prompts, within a split or
    between train and test, so the mirror's rows are not dropped or flagged as repeats where real ones are not."""
    history = ""
    for turn in range(rng.choice((1, 1, 1, 2, 2, 3, 4))):
        if turn:
            history += f"\n\nAssistant: {_response(assistants, rng)}"
        history += f"\n\nHuman: {rng.choice(humans)}" + ("" if turn else f" (question {tag})")
    if rng.random() < HH_QUIRKS["double_assistant"]:
        history += f"\n\nAssistant: {_response(assistants, rng)}"
    chosen, rejected = _response(assistants, rng), _response(assistants, rng)
    if rng.random() < HH_QUIRKS["same_start"]:
        rejected = " ".join(chosen.split()[: rng.randint(1, 4)] + rejected.split())
    if rng.random() < HH_QUIRKS["continues"]:
        chosen += f"\n\nHuman: {rng.choice(humans)}\n\nAssistant: {rng.choice(assistants)}"
    if rng.random() < HH_QUIRKS["empty_chosen"]:
        chosen = ""
    return {"chosen": f"{history}\n\nAssistant: {chosen}", "rejected": f"{history}\n\nAssistant: {rejected}"}


def _response(assistants: list[str], rng: random.Random) -> str:
    return " ".join(rng.sample(assistants, k=rng.choice((1, 1, 1, 2, 2, 3))))


# --- UltraFeedback binarized -----------------------------------------------------------------------------------

_MESSAGES = pa.list_(pa.struct([("content", pa.string()), ("role", pa.string())]))
_UF_SCHEMA = pa.schema(
    [("prompt", pa.string()), ("prompt_id", pa.string()), ("chosen", _MESSAGES), ("rejected", _MESSAGES)]
    + [("messages", _MESSAGES), ("score_chosen", pa.float64()), ("score_rejected", pa.float64())]
)


def _write_uf(repo: Path, scale: float, rng: random.Random) -> dict[str, int]:
    sample = SAMPLES / "HuggingFaceH4/ultrafeedback_binarized"
    repo.mkdir(parents=True)
    shutil.copy(sample / "README.md", repo / "README.md")
    seeds = [row for path in sorted(sample.glob("data/*_prefs-*.parquet")) for row in pq.read_table(path).to_pylist()]
    prompts = sorted({row["prompt"] for row in seeds})
    completions = sorted(
        {m["content"] for row in seeds for m in row["chosen"] + row["rejected"] if m["role"] != "user"}
    )
    rows = {}
    for path in sorted(sample.glob("data/*.parquet")):
        split = path.name.split("-")[0]
        count = scaled(UF_ROWS[split], scale)
        batches = (
            _uf_batch(prompts, completions, rng, range(start, min(start + BATCH, count)), split)
            for start in range(0, count, BATCH)
        )
        _write_parquet(repo / "data" / path.name, _UF_SCHEMA, batches)
        rows[f"data/{path.name}"] = count
    return rows


def _uf_batch(
    prompts: list[str], completions: list[str], rng: random.Random, numbers: range, split: str
) -> pa.RecordBatch:
    """Rows whose prompts are their own, as upstream's are."""
    rows = []
    for n in numbers:
        prompt = " ".join(rng.sample(prompts, k=rng.choice((1, 1, 2, 3)))) + f" (case {split.split('_')[0]} {n + 1})"
        chosen, rejected = (" ".join(rng.sample(completions, k=rng.randint(2, 8))) for _ in range(2))
        if rng.random() < 0.001:
            rejected = chosen
        user = {"content": prompt, "role": "user"}
        pair = [[user, {"content": text, "role": "assistant"}] for text in (chosen, rejected)]
        score = rng.choice((6.0, 7.0, 7.5, 8.0, 8.5, 9.0))
        rows.append(
            {
                "prompt": prompt,
                "prompt_id": hashlib.sha256(prompt.encode()).hexdigest(),
                "chosen": pair[0],
                "rejected": pair[1],
                "messages": pair[0],
                "score_chosen": score,
                "score_rejected": score - rng.choice((0.0, 0.5, 1.0, 2.0, 3.0)),
            }
        )
    return pa.RecordBatch.from_pylist(rows, schema=_UF_SCHEMA)


# --- s1K-1.1 ---------------------------------------------------------------------------------------------------


def _write_s1k(repo: Path, scale: float, rng: random.Random) -> dict[str, int]:
    sample = SAMPLES / "simplescaling/s1K-1.1"
    (repo / "data").mkdir(parents=True)
    shutil.copy(sample / "README.md", repo / "README.md")
    path = next(sample.glob("data/*.parquet"))
    table = pq.read_table(path)
    seeds = table.to_pylist()
    paragraphs = sorted({p for row in seeds for key in _TRACES for p in row[key].split("\n\n") if p.strip()})
    count = scaled(S1K_ROWS, scale)
    rows = []
    for i in range(count):
        row = dict(rng.choice(seeds))
        row["question"] = f"{row['question']} (Variant {i + 1}.)"
        # Real traces run to tens of thousands of characters: DeepSeek's about twice Gemini's.
        row["deepseek_thinking_trajectory"] = _trace(paragraphs, rng, int(rng.lognormvariate(9.9, 0.5)))
        row["gemini_thinking_trajectory"] = _trace(paragraphs, rng, int(rng.lognormvariate(9.2, 0.5)))
        rows.append(row)
    batches = (pa.RecordBatch.from_pylist(rows[i : i + 100], schema=table.schema) for i in range(0, count, 100))
    _write_parquet(repo / "data" / path.name, table.schema, batches)
    return {f"data/{path.name}": count}


_TRACES = ("deepseek_thinking_trajectory", "gemini_thinking_trajectory")


def _trace(paragraphs: list[str], rng: random.Random, chars: int) -> str:
    parts, size = [], 0
    while size < chars:
        parts.append(rng.choice(paragraphs))
        size += len(parts[-1]) + 2
    return "\n\n".join(parts)


# --- writing ---------------------------------------------------------------------------------------------------


def _write_text(path: Path, lines: Iterator[str] | list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw:
        # mtime=0 and no file name in the header: the same rows give the same bytes.
        stream = gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) if path.suffix == ".gz" else raw
        with io.TextIOWrapper(stream, encoding="utf-8", newline="\n") as text:
            for line in lines:
                text.write(line + "\n")


def _write_parquet(path: Path, schema: pa.Schema, batches: Iterator[pa.RecordBatch]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with pq.ParquetWriter(path, schema, compression="snappy") as writer:
        for batch in batches:
            writer.write_batch(batch, row_group_size=1_000)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every real row count (0.1, 1, 2, ...)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    manifest = write_mirror(args.output_dir, scale=args.scale, seed=args.seed)
    total = sum(n for files in manifest.values() for n in files.values())
    print(f"Wrote {args.output_dir}: {total:,} rows in {sum(map(len, manifest.values()))} files (scale {args.scale})")


if __name__ == "__main__":
    main()
