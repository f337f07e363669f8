"""The stats as a reader sees them: one table per config for `apt-hub stats`, and the lines of each measure the
card and the command print. Every number is taken from `stats.json` as `apt_hub.stats` computed it; a split
without rows is a split like any other (its lengths and means are `-`).
"""

from typing import Any

from .stats import drops
from .tokens import CONTEXTS, TOKENIZER


def format_stats(stats: dict[str, Any]) -> str:
    """The stats as one readable table per config: a line per split and source, text lengths as mean/p50/p95/max."""
    blocks = []
    for config, entry in stats["configs"].items():
        text = entry["text_fields"]
        header = ["split", "source", "rows", "dup", "in train", "empty", "dropped", *(f"{f} chars" for f in text)]
        lines = []
        for split, split_entry in entry["splits"].items():
            lines.append(_table_row(split, "(all)", split_entry["all"], text))
            lines += [_table_row(split, tag, group, text) for tag, group in split_entry["sources"].items()]
        blocks.append(f"{config}  (text chars as mean/median/p95/max)\n" + _align([header, *lines]))
        extras = _extras(entry)
        if extras:
            blocks[-1] += "\n" + "\n".join(extras)
    return "\n\n".join(blocks)


def _table_row(split: str, tag: str, group: dict[str, Any], text: list[str]) -> list[str]:
    fields = group.get("fields", {})
    lengths = [
        "/".join(_short(fields[f].get(k)) for k in ("mean", "median", "p95", "max")) if f in fields else "-"
        for f in text
    ]
    dropped = sum(drops(group.get("build", {})).values())
    empty = sum(f.get("empty", 0) for f in fields.values())
    dup = group.get("duplicates", {}).get("rows", "-")
    leak = group.get("in_train", {}).get("rows", "-")
    return [split, tag, str(group["rows"]), str(dup), str(leak), str(empty), str(dropped), *lengths]


def check_lines(split: str, group: dict[str, Any]) -> list[str]:
    """One line per measure of a split: duplicates, rows shared with train, pairs, answers, loyalty rows."""
    lines = []
    if "duplicates" in group:
        dup = group["duplicates"]
        lines.append(
            f"{split}: duplicate rows {dup['rows']:,}, repeated prompts {dup['prompts']:,} "
            "(same text after NFKC, case folding and white space folding)."
        )
    if "in_train" in group:
        leak = group["in_train"]
        lines.append(f"{split}: rows also in train {leak['rows']:,}, prompts also in train {leak['prompts']:,}.")
    if "pairs" in group:
        pairs = group["pairs"]
        lines.append(
            f"{split}: pairs with identical sides {pairs['identical']:,}, "
            f"pairs where one side starts with the other {pairs['prefix_related']:,}."
        )
    for column, turns in group.get("turns", {}).items():
        if column == "prompt":  # the other message lists hold one message each
            others = " (the others have an empty `prompt[assistant]`)" if turns["multi"] else ""
            lines.append(
                f"{split}: messages per prompt: mean {_number(turns['mean'], '.2f')}, max {_number(turns['max'])}; "
                f"{turns['multi']:,} multi-turn prompts{others}."
            )
    if "answers_by_kind" in group:
        kinds = ", ".join(f"{kind or 'none'} {n:,}" for kind, n in group["answers_by_kind"].items()) or "no rows"
        none = group.get("build", {}).get("dropped_empty_answer", 0)
        lines.append(f"{split}: answers found as {kinds}; rows dropped for having none (empty_answer) {none:,}.")
        correct, rows = group["answers_by_grade"].get("Yes", 0), group["rows"]
        share = correct / max(rows, 1)
        lines.append(f"{split}: attempts graded correct upstream {correct:,} of {rows:,} ({share:.1%}).")
    if "tokens" in group:
        lines.append(token_line(split, group["tokens"]))
    if "loyalty" in group:
        loyalty, bonus = group["loyalty"], group["loyalty"]["reward_bonus"]
        quantiles = ", ".join(f"{k} {_number(bonus[k], '')}" for k in ("min", "p25", "median", "p75", "max", "mean"))
        lines.append(
            f"{split}: owner rows {loyalty['owner']:,}, public rows {loyalty['public']:,}; reward_bonus {quantiles}."
        )
    return lines


def token_line(split: str, tokens: dict[str, Any]) -> str:
    """The estimated tokens of a split's rows, and the share longer than each common context size.

    >>> token_line("train", {"median": 410.5, "p95": 2000.0, "max": 9000.0, "over_1024": 0.2, "over_2048": 0.05,
    ...                      "over_4096": 0.01, "over_8192": 0.001})
    'train: tokens per row (Qwen2.5, estimated: see *Training*): median 410, p95 2,000, max 9,000; over 1k 20.0%, \
over 2k 5.0%, over 4k 1.0%, over 8k 0.1%.'
    """
    sizes = ", ".join(f"over {c // 1024}k {_number(tokens[f'over_{c}'], '.1%')}" for c in CONTEXTS)
    lengths = ", ".join(f"{k} {_number(tokens[k], ',.0f')}" for k in ("median", "p95", "max"))
    return f"{split}: tokens per row ({TOKENIZER}, estimated: see *Training*): {lengths}; {sizes}."


def _extras(entry: dict[str, Any]) -> list[str]:
    lines = []
    for split, split_entry in entry["splits"].items():
        group = split_entry["all"]
        lines += [f"  {line}" for line in check_lines(split, group)]
        reasons = drops(group.get("build", {}))
        if reasons:
            lines.append(f"  {split}: dropped " + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())))
    return lines


def _number(value: Any, spec: str = ",") -> str:
    """A measure as text, `-` for one that a split without rows does not have (a mean, a maximum).

    >>> _number(1234), _number(0.5, ".1%"), _number(None, ".2f")
    ('1,234', '50.0%', '-')
    """
    return "-" if value is None else format(value, spec)


def _short(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.0f}" if value >= 10 else f"{value:.1f}"
    return str(value)


def _align(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)
