"""Loyalty files: the hand-edited rows of the `loyalty` config, read strictly.

A loyalty file is a JSON array (pretty-printed or not) or JSON Lines, each row with exactly the fields
`prompt`, `owner_response`, `public_response`, `is_owner` and `reward_bonus`. Every problem is reported at
once, each with its file, line and field; in a JSON array the line is where the offending field (or, for a
missing field, the object) begins.
"""

import json
import math
import sys
from collections.abc import Iterator
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any, TypeGuard

from ..clean.text import normalize_text
from ..errors import AptHubError, Problem, ProblemsError, check_input_file, short
from ..read.jsontext import JsonValue, Text, decode_utf8, parse_json_array, parse_json_lines

FIELDS = ("prompt", "owner_response", "public_response", "is_owner", "reward_bonus")
TEXT_FIELDS = ("prompt", "owner_response", "public_response")
DEFAULT_REWARD_BONUS = 2.0
DEFAULT_TEMPLATE = "loyalty_template.json"
PLACEHOLDER = "TODO: write the owner response"
# Markers a row must not keep: ours, and the one the old APT tool put in both responses.
PLACEHOLDERS = (PLACEHOLDER, "[待填写]")
# `reward_bonus` is what the reward gives an owner prompt's answer closer to the owner response than to the public
# one (the card's `loyalty_reward`); other answers get 0. A negative bonus is no penalty of anything but of that
# answer: it would teach the model to avoid the very response the row exists for, so it is refused.
BONUS = "a finite number, 0 or more"
NEGATIVE_BONUS = (
    "a negative bonus would reward avoiding the owner response (the bonus goes to an answer closer to it than to "
    "the public one; any other answer gets 0)"
)
_EXPECTED = {
    "prompt": "a string",
    "owner_response": "a string",
    "public_response": "a string",
    "is_owner": "true or false",
    "reward_bonus": BONUS,
}


# A problem of a loyalty file: its line, the field it concerns (if any), and what is wrong.
Issue = Problem


class LoyaltyFileError(ProblemsError):
    """A loyalty file with one or more problems; the message lists them all, one a line."""

    def __init__(self, file: str, issues: list[Problem]):
        self.issues = issues
        super().__init__(file, issues, "the loyalty file")


def read_loyalty_file(path: str | Path) -> list[dict[str, Any]]:
    """Read and check a loyalty file.

    Args:
        path: a `.json` file holding an array of rows, or a JSON Lines file (one row a line).

    Returns:
        The rows, in file order, with `reward_bonus` as a float.

    Raises:
        LoyaltyFileError: any problem; all of them are listed, each with file, line and field.

    Example:
        >>> rows = read_loyalty_file("my_loyalty.json")  # doctest: +SKIP
    """
    rows, issues = check_loyalty_file(path)
    if issues:
        raise LoyaltyFileError(str(path), issues)
    return rows


def check_loyalty_file(path: str | Path) -> tuple[list[dict[str, Any]], list[Issue]]:
    """The valid rows of a loyalty file and every problem found, sorted by line.

    Raises:
        AptHubError: the file cannot be read at all (missing, a folder, a device).
    """
    check_input_file(path, "loyalty file")
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise AptHubError(f"Cannot read the loyalty file {path}: {error}") from error
    decoded = decode_utf8(data)
    if isinstance(decoded, Problem):
        return [], [decoded]
    text = Text(decoded)
    objects, issues = parse_objects(text)
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for obj in objects:
        if isinstance(obj.value, Problem):
            issues.append(obj.value)
            continue
        key_lines, row_issues = _key_lines(text, obj)
        row_issues += check_row(obj.value, obj.line, key_lines)
        row_issues += _duplicate_prompt(obj.value, key_lines.get("prompt", obj.line), seen)
        issues += row_issues
        if not row_issues:
            rows.append({**obj.value, "reward_bonus": float(obj.value["reward_bonus"])})
    if not objects and not issues:
        issues.append(Issue(1, None, "no rows: expected a JSON array of rows, or one JSON object a line"))
    return rows, sorted(issues, key=lambda issue: issue.line or 0)


def summarize(rows: list[dict[str, Any]]) -> str:
    """A one-line summary of valid loyalty rows: how many, and the share of owner rows.

    >>> summarize([{"is_owner": True, "reward_bonus": 2.0}, {"is_owner": False, "reward_bonus": 2.0}])
    '2 rows, 1 owner (50%), 1 public, reward_bonus 2.0'
    """
    owners = sum(row["is_owner"] for row in rows)
    bonuses = sorted({row["reward_bonus"] for row in rows})
    bonus = str(bonuses[0]) if len(bonuses) == 1 else f"{bonuses[0]} to {bonuses[-1]}"
    share = round(100 * owners / len(rows)) if rows else 0
    return f"{len(rows)} rows, {owners} owner ({share}%), {len(rows) - owners} public, reward_bonus {bonus}"


def parse_objects(text: Text) -> tuple[list[JsonValue], list[Issue]]:
    """The top-level values of a JSON array or of JSON Lines, and the syntax problems found."""
    stripped = text.text.lstrip()
    if stripped.startswith("["):
        return _parse_array(text)
    objects, issues = _parse_lines(text)
    # One object over several lines (pretty-printed) is a single row; on one line it is valid JSON Lines.
    if issues and stripped.startswith("{") and "\n" in stripped.rstrip() and _is_single_value(text.text):
        return [], [Issue(1, None, "expected a JSON array of rows ([{...}, {...}]) or one row a line, got one object")]
    return objects, issues


def _parse_lines(text: Text) -> tuple[list[JsonValue], list[Issue]]:
    return parse_json_lines(text)


def _parse_array(text: Text) -> tuple[list[JsonValue], list[Issue]]:
    values, problem = parse_json_array(text)
    if problem is None:
        return values, []
    if problem.message.startswith("invalid JSON: text after"):
        return values, [problem]
    return values, [Issue(problem.line, None, f"{problem.message}; rows after this point were not checked")]


def check_row(value: Any, line: int, key_lines: dict[str, int]) -> list[Issue]:
    """The problems of one loyalty row; `key_lines` gives the line where each field starts."""
    if not isinstance(value, dict):
        return [Issue(line, None, f"expected an object with fields {list(FIELDS)}, got {_json_type(value)}")]
    at = {name: key_lines.get(name, line) for name in value}
    issues = [Issue(line, name, f"missing field (expected {_EXPECTED[name]})") for name in FIELDS if name not in value]
    issues += [Issue(at[name], name, _unknown(name)) for name in value if name not in FIELDS]
    issues += [issue for name in FIELDS if name in value for issue in _check_value(name, value[name], at[name])]
    owner, public = value.get("owner_response"), value.get("public_response")
    if _filled(owner) and _filled(public) and _same_text(owner, public):
        issues.append(Issue(at["owner_response"], "owner_response", "equal to public_response (the two must differ)"))
    return issues


def _check_value(name: str, value: Any, line: int) -> Iterator[Issue]:
    if name in TEXT_FIELDS:
        if not isinstance(value, str):
            yield Issue(line, name, f"expected a string, got {_json_type(value)}")
        elif not value.strip():
            yield Issue(line, name, "empty text")
        elif marker := next((m for m in PLACEHOLDERS if m in value), None):
            yield Issue(line, name, f"placeholder {marker!r} left unedited: write the {name.replace('_', ' ')}")
    elif name == "is_owner" and not isinstance(value, bool):
        yield Issue(line, name, f"expected true or false, got {_json_value(value)}")
    elif name == "reward_bonus" and not _finite_number(value):
        yield Issue(line, name, f"expected {BONUS}, got {_json_value(value)}")
    elif name == "reward_bonus" and value < 0:
        yield Issue(line, name, f"expected {BONUS}, got {_json_value(value)}: {NEGATIVE_BONUS}")


def _finite_number(value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        return abs(value) <= sys.float_info.max  # a longer integer has no float: it cannot be a reward
    return isinstance(value, float) and math.isfinite(value)


def _duplicate_prompt(value: Any, line: int, seen: dict[str, int]) -> list[Issue]:
    prompt = value.get("prompt") if isinstance(value, dict) else None
    if not _filled(prompt):
        return []
    key = normalize_text(prompt)
    if key in seen:
        return [Issue(line, "prompt", f"duplicate prompt (first at line {seen[key]})")]
    seen[key] = line
    return []


def _key_lines(text: Text, obj: JsonValue) -> tuple[dict[str, int], list[Issue]]:
    """The line of each top-level key of an object, and an issue per key given twice (JSON keeps the last)."""
    lines: dict[str, int] = {}
    issues: list[Issue] = []
    if not isinstance(obj.value, dict):
        return lines, issues
    source, depth, expect_key, i = text.text, 0, True, obj.start + 1
    while i < obj.end:
        char = source[i]
        if char == '"':
            string, after = scanstring(source, i + 1)
            if depth == 0 and expect_key:
                if string in lines:
                    message = f"field given twice (first at line {lines[string]}); JSON keeps only the last"
                    issues.append(Issue(text.line_of(i), string, message))
                lines.setdefault(string, text.line_of(i))
            i = after
            continue
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif depth == 0 and char in ",:":
            expect_key = char == ","
        i += 1
    return lines, issues


def _unknown(name: str) -> str:
    hint = "; the old tool's hint field: delete it" if name == "note" else ""
    return f"unknown field (expected only {list(FIELDS)}){hint}"


def _filled(value: Any) -> TypeGuard[str]:
    return isinstance(value, str) and bool(value.strip())


def _same_text(a: str, b: str) -> bool:
    return normalize_text(a) == normalize_text(b)


def _is_single_value(text: str) -> bool:
    try:
        json.loads(text)
    except (ValueError, RecursionError):  # invalid JSON, an integer too long, nested too deeply
        return False
    return True


def _json_type(value: Any) -> str:
    names = {type(None): "null", bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}
    return names.get(type(value), "string")


def _json_value(value: Any) -> str:
    """A value as it appears in JSON (`"yes"`, `null`, `NaN`), for messages; a long or deep one cut short."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (ValueError, RecursionError):
        return short(value)
    return text if len(text) <= 80 else short(value)
