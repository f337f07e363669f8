"""The old way, as a user of the old tooling wrote it: `load_dataset` per source, a Python `.map`, `to_json`.

    python -m bench.old_way INPUTS.json OUTPUT_DIR

INPUTS.json is `{config: {split: [{"source": name, "local": path}, ...]}}` (written by `bench/run.py`).
"""

import json
import sys
from pathlib import Path

from datasets import concatenate_datasets, load_dataset


def coig(row):
    prompt = row["instruction"] + ("\n\n" + row["input"] if row["input"].strip() else "")
    return {"prompt": prompt, "response": row["output"], "keep": bool(prompt.strip() and row["output"].strip())}


def hh(row):
    chosen, rejected = row["chosen"], row["rejected"]
    n = 0
    while n < min(len(chosen), len(rejected)) and chosen[n] == rejected[n]:
        n += 1
    cut = chosen.rfind("\n\nAssistant:", 0, n) + len("\n\nAssistant:")
    good, bad = chosen[cut:].strip(), rejected[cut:].strip()
    return {
        "prompt": chosen[:cut],
        "chosen": good,
        "rejected": bad,
        "keep": bool(cut > 11 and good and bad and good != bad),
    }


def ultrafeedback(row):
    good, bad = row["chosen"][-1]["content"], row["rejected"][-1]["content"]
    return {"prompt": row["prompt"], "chosen": good, "rejected": bad, "keep": bool(good.strip() and good != bad)}


def s1k(row):
    return {
        "problem": row["question"],
        "cot_explicit": row["deepseek_thinking_trajectory"],
        "answer": row["deepseek_attempt"],
    }


CONVERT = {"coig-cqia": coig, "hh-rlhf": hh, "ultrafeedback": ultrafeedback, "s1k": s1k}


def main(inputs_file: str, output_dir: str) -> None:
    plan = json.loads(Path(inputs_file).read_text())
    for config, splits in plan.items():
        for split, files in splits.items():
            parts = []
            for source in dict.fromkeys(f["source"] for f in files):
                paths = [f["local"] for f in files if f["source"] == source]
                kind = "parquet" if paths[0].endswith(".parquet") else "json"
                data = load_dataset(kind, data_files=paths, split="train")
                data = data.map(CONVERT[source], remove_columns=data.column_names)
                if "keep" in data.column_names:
                    data = data.filter(lambda row: row["keep"]).remove_columns("keep")
                parts.append(data)
            out = Path(output_dir) / config / f"{split}.jsonl"
            out.parent.mkdir(parents=True, exist_ok=True)
            concatenate_datasets(parts).to_json(out, force_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:])
