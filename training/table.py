"""The results of `make train-check` as Markdown tables: one row per config and trainer, then the token estimate
against the real tokenizer (`tokens_check.py`) where it ran.

Usage: `python training/table.py .train/runs` (the folder the check scripts wrote their results to).
"""

import json
import sys
from pathlib import Path


def runs_table(results: list[dict]) -> list[str]:
    lines = [
        "| framework | config | trainer | steps | loss per step | seconds | check |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        losses = " → ".join(f"{loss:.4f}" for loss in r["loss"]) or "-"
        lines.append(
            f"| {r['framework']} | `{r['config']}` | {r['trainer']} | {r['steps']} | {losses} | {r['seconds']:.1f} "
            f"| {r['check']} |"
        )
    return lines


def tokens_table(result: dict) -> list[str]:
    costs = ", ".join(f"{k} {v} (fitted {result['fitted'][k]})" for k, v in result["package"].items())
    lines = [
        f"Tokens per character class, {result['tokenizer']}: {costs}",
        "",
        "| texts | n | estimate / real (sum) | 10th-90th percentile per text | over 128/256/512/1024, real → est. |",
        "|---|---|---|---|---|",
    ]
    for name, entry in result["corpora"].items():
        shares = ", ".join(
            f"{real:.1%} → {guess:.1%}" for real, guess in entry["share_over_real_vs_estimate"].values()
        )
        low, high = entry["ratio_p10_p90"]
        lines.append(f"| {name} | {entry['texts']:,} | {entry['sum_ratio']:.3f} | {low:.3f}-{high:.3f} | {shares} |")
    return lines


def main() -> None:
    runs = Path(sys.argv[1])
    results = [r for name in ("trl", "llamafactory") for r in json.loads((runs / name / "results.json").read_text())]
    print("\n".join(runs_table(results)))
    tokens = runs / "tokens" / "results.json"
    if tokens.exists():
        print()
        print("\n".join(tokens_table(json.loads(tokens.read_text(encoding="utf-8")))))


if __name__ == "__main__":
    main()
