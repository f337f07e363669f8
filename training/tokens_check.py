"""The card's token estimate (`apt_hub.tokens`) against the real Qwen2.5 tokenizer, on real upstream texts.

The tokenizer is Qwen's byte-level BPE as the `dashscope` package ships it (`resources/qwen.tiktoken`: the 151,643
ranks that Qwen2, Qwen2.5 and Qwen3 share), run by `tiktoken` with Qwen's pre-tokenizer pattern after NFC, as
Qwen2's tokenizer normalises; nothing is downloaded. The texts are the COIG-CQIA prompts and responses (Chinese)
and the hh-rlhf transcripts (English) under `--upstream`. The check fits the three costs again by least squares,
prints them beside the package's, and fails when the package's estimate is off: its sum more than 5% from the real
one, or the share of texts over 128, 256, 512 or 1,024 tokens more than 1 point from the real share.

    python training/tokens_check.py --upstream ../shared/upstream --output .train/runs/tokens
"""

import argparse
import base64
import glob
import gzip
import importlib.util
import json
import unicodedata
from pathlib import Path

import numpy as np
import polars as pl
import tiktoken

from apt_hub.tokens import PER_ASCII, PER_DIGIT, PER_OTHER, character_classes, estimate

# Qwen's pre-tokenizer (`Qwen2Tokenizer`'s `PRETOKENIZE_REGEX`, `dashscope`'s `PAT_STR`).
PATTERN = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)
THRESHOLDS = (128, 256, 512, 1024)
MAX_SUM_ERROR = 0.05
MAX_SHARE_ERROR = 0.01


def qwen() -> tiktoken.Encoding:
    """Qwen's tokenizer from the ranks file `dashscope` ships (found without importing the package)."""
    spec = importlib.util.find_spec("dashscope")
    assert spec is not None and spec.submodule_search_locations, "pip install --no-deps dashscope"
    path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "qwen.tiktoken"
    lines = path.read_bytes().splitlines()
    ranks = {base64.b64decode(token): int(rank) for token, rank in (line.split() for line in lines if line)}
    return tiktoken.Encoding("qwen", pat_str=PATTERN, mergeable_ranks=ranks, special_tokens={})


def texts(upstream: Path) -> dict[str, list[str]]:
    """The real texts, by corpus: COIG-CQIA prompts (instruction, then input) and responses, hh-rlhf transcripts."""
    coig = []
    for path in sorted(glob.glob(str(upstream / "COIG-CQIA" / "*" / "*.jsonl"))):
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            coig += [row["instruction"] + (f"\n\n{row['input']}" if row["input"] else ""), row["output"]]
    hh = []
    with gzip.open(upstream / "hh-rlhf" / "harmless-base" / "test.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            hh += [row["chosen"], row["rejected"]]
    return {"coig-cqia": coig, "hh-rlhf": hh}


def measured(encoding: tiktoken.Encoding, corpus: list[str]) -> pl.DataFrame:
    """Per text: the real tokens, the package's estimate, and the three counts it weighs."""
    real = [len(encoding.encode_ordinary(unicodedata.normalize("NFC", text))) for text in corpus]
    frame = pl.DataFrame({"text": corpus, "real": real})
    digits, ascii_, other = character_classes(pl.col("text"))
    return frame.select(
        "real",
        estimate(pl.col("text")).alias("estimate"),
        digits.alias("digits"),
        ascii_.alias("ascii"),
        other.alias("other"),
    )


def summary(frame: pl.DataFrame) -> dict:
    ratio = (frame["estimate"] / frame["real"].clip(lower_bound=1)).to_numpy()
    shares = {
        str(t): [round(float((frame["real"] > t).mean()), 4), round(float((frame["estimate"] > t).mean()), 4)]
        for t in THRESHOLDS
    }
    return {
        "texts": frame.height,
        "sum_ratio": round(float(frame["estimate"].sum() / frame["real"].sum()), 4),
        "ratio_p10_p90": [round(float(np.percentile(ratio, 10)), 3), round(float(np.percentile(ratio, 90)), 3)],
        "share_over_real_vs_estimate": shares,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    encoding = qwen()
    frames = {name: measured(encoding, corpus) for name, corpus in texts(args.upstream).items()}
    everything = pl.concat(list(frames.values()))
    counts = everything.select("digits", "ascii", "other").to_numpy()
    fitted, *_ = np.linalg.lstsq(counts, everything["real"].to_numpy(), rcond=None)
    result = {
        "tokenizer": "Qwen2.5 (qwen.tiktoken, 151,643 ranks)",
        "package": {"digit": PER_DIGIT, "ascii": PER_ASCII, "other": PER_OTHER},
        "fitted": dict(zip(("digit", "ascii", "other"), (round(float(c), 4) for c in fitted), strict=True)),
        "corpora": {name: summary(frame) for name, frame in {**frames, "all": everything}.items()},
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))
    for name, entry in result["corpora"].items():
        if abs(entry["sum_ratio"] - 1) > MAX_SUM_ERROR:
            raise AssertionError(f"{name}: the estimate sums to {entry['sum_ratio']} of the real tokens")
        for threshold, (real, guess) in entry["share_over_real_vs_estimate"].items():
            if abs(real - guess) > MAX_SHARE_ERROR:
                raise AssertionError(f"{name}: over {threshold} tokens, {guess:.2%} estimated, {real:.2%} real")


if __name__ == "__main__":
    main()
