"""The results of `make train-check` as a Markdown table: one row per config and trainer.

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


def main() -> None:
    runs = Path(sys.argv[1])
    results = [r for name in ("trl", "llamafactory") for r in json.loads((runs / name / "results.json").read_text())]
    print("\n".join(runs_table(results)))


if __name__ == "__main__":
    main()
