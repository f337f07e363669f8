"""The results of `make train-check` as Markdown tables: one row per config and trainer, then the row shapes that
LLaMA-Factory reads as turns (`llamafactory_formats.py`).

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
        losses = " → ".join(f"{loss:.4f}" for loss in r["loss"])
        lines.append(
            f"| {r['framework']} | `{r['config']}` | {r['trainer']} | {r['steps']} | {losses} | {r['seconds']:.1f} "
            f"| {r['check']} |"
        )
    return lines


def formats_table(results: list[dict]) -> list[str]:
    lines = ["| rows | shape | kept | rendered as TRL does |", "|---|---|---|---|"]
    for r in results:
        seen = f"{r['as_trl']} of {r['rows']}" if "as_trl" in r else "-"
        trained = f", up to {r['most_trained_turns']} turns trained" if r.get("most_trained_turns", 1) > 1 else ""
        rows = f"{r['source']} ({r['rows']}, {r['multi_turn']} multi-turn)"
        lines.append(f"| {rows} | {r['shape']} | {r['kept']} | {seen}{trained} |")
    return lines


def main() -> None:
    runs = Path(sys.argv[1])
    results = [r for name in ("trl", "llamafactory") for r in json.loads((runs / name / "results.json").read_text())]
    print("\n".join(runs_table(results)))
    formats = runs / "formats" / "results.json"
    if formats.exists():
        print()
        print("\n".join(formats_table(json.loads(formats.read_text(encoding="utf-8")))))


if __name__ == "__main__":
    main()
