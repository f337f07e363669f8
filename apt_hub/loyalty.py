"""Loyalty files: the hand-edited rows of the `loyalty` config, read strictly.

A loyalty file is a JSON array (pretty-printed or not) or JSON Lines, each row with exactly the fields
`prompt`, `owner_response`, `public_response`, `is_owner` and `reward_bonus`. Every problem is reported at
once, each with its file, line and field.
"""

import json
import math
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from .errors import AptHubError

FIELDS = ("prompt", "owner_response", "public_response", "is_owner", "reward_bonus")
TEXT_FIELDS = ("prompt", "owner_response", "public_response")
DEFAULT_REWARD_BONUS = 2.0
PLACEHOLDER = "TODO: write the owner response"


@dataclass(frozen=True)
class Issue:
    """One problem of a loyalty file."""

    line: int
    field: str | None
    message: str

    def format(self, file: str) -> str:
        return f"{file}:{self.line}" + (f": field {self.field!r}" if self.field else "") + f": {self.message}"


class LoyaltyFileError(AptHubError):
    """A loyalty file with one or more problems; the message lists them all."""

    def __init__(self, file: str, issues: list[Issue]):
        self.file, self.issues = file, issues
        lines = "\n".join(f"  {issue.format(file)}" for issue in issues)
        super().__init__(f"{file}: {len(issues)} problem(s) in the loyalty file:\n{lines}")


def parse_objects(text: str) -> tuple[list[tuple[int, int, Any]], list[Issue]]:
    """The top-level objects of a JSON array or of JSON Lines as `(line, offset, value)`, and parse issues."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        return _parse_array(text, len(text) - len(stripped))
    objects, issues = [], []
    offset = 0
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        if line.strip():
            try:
                objects.append((number, offset, json.loads(line)))
            except json.JSONDecodeError as error:
                issues.append(Issue(number, None, f"invalid JSON: {error.msg} at column {error.colno}"))
        offset += len(line)
    return objects, issues


def _parse_array(text: str, start: int) -> tuple[list[tuple[int, int, Any]], list[Issue]]:
    decoder, objects = json.JSONDecoder(), []
    position = _skip_space(text, start + 1)
    while position < len(text) and text[position] != "]":
        try:
            value, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            return objects, [Issue(error.lineno, None, f"invalid JSON: {error.msg} at column {error.colno}")]
        objects.append((_line_of(text, position), position, value))
        position = _skip_space(text, end)
        if position < len(text) and text[position] == ",":
            position = _skip_space(text, position + 1)
        elif position < len(text) and text[position] != "]":
            line = _line_of(text, position)
            return objects, [Issue(line, None, "invalid JSON: expected ',' or ']' between array items")]
    if position >= len(text):
        return objects, [Issue(_line_of(text, len(text)), None, "invalid JSON: the array is not closed with ']'")]
    return objects, []


def check_row(value: Any, line: int, field_line) -> list[Issue]:
    """The problems of one loyalty row; `field_line(name)` gives the line where a field starts."""
    if not isinstance(value, dict):
        return [Issue(line, None, f"expected an object with fields {list(FIELDS)}, got {type(value).__name__}")]
    issues = [Issue(line, name, "missing field") for name in FIELDS if name not in value]
    issues += [
        Issue(field_line(name), name, f"unknown field (expected only {list(FIELDS)})")
        for name in value
        if name not in FIELDS
    ]
    for name in TEXT_FIELDS:
        if name in value and not isinstance(value[name], str):
            issues.append(Issue(field_line(name), name, f"expected a string, got {_json_type(value[name])}"))
        elif name in value and not value[name].strip():
            issues.append(Issue(field_line(name), name, "empty text"))
    if "is_owner" in value and not isinstance(value["is_owner"], bool):
        issues.append(Issue(field_line("is_owner"), "is_owner", f"expected true or false, got {value['is_owner']!r}"))
    bonus = value.get("reward_bonus", 0.0)
    if isinstance(bonus, bool) or not isinstance(bonus, int | float) or not math.isfinite(bonus):
        issues.append(Issue(field_line("reward_bonus"), "reward_bonus", f"expected a finite number, got {bonus!r}"))
    owner, public = value.get("owner_response"), value.get("public_response")
    if isinstance(owner, str) and PLACEHOLDER in owner:
        issues.append(Issue(field_line("owner_response"), "owner_response", "placeholder left unedited"))
    elif isinstance(owner, str) and owner.strip() and isinstance(public, str) and owner.strip() == public.strip():
        issues.append(Issue(field_line("owner_response"), "owner_response", "equal to public_response"))
    return issues


def read_loyalty_file(path: str | Path) -> list[dict[str, Any]]:
    """Read and check a loyalty file.

    Args:
        path: a `.json` file holding an array, or a `.jsonl` file.

    Returns:
        The rows, with `reward_bonus` as a float.

    Raises:
        LoyaltyFileError: any problem; all of them are listed, each with file, line and field.
    """
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise AptHubError(f"Cannot read the loyalty file {name}: {error}") from error
    objects, issues = parse_objects(text)
    seen: dict[str, int] = {}
    rows = []
    for line, offset, value in objects:
        row_issues = check_row(value, line, partial(_field_line, text, offset, default=line))
        issues += row_issues
        prompt = value.get("prompt") if isinstance(value, dict) else None
        if isinstance(prompt, str) and prompt.strip():
            key = " ".join(prompt.split()).casefold()
            if key in seen:
                issues.append(Issue(line, "prompt", f"duplicate prompt (first at line {seen[key]})"))
            seen.setdefault(key, line)
        if not row_issues:
            rows.append({**value, "reward_bonus": float(value["reward_bonus"])})
    if not objects and not issues:
        issues.append(Issue(1, None, "no rows"))
    if issues:
        raise LoyaltyFileError(name, sorted(issues, key=lambda issue: issue.line))
    return rows


def _field_line(text: str, offset: int, field: str, *, default: int) -> int:
    found = text.find(json.dumps(field), offset)
    return _line_of(text, found) if found >= 0 else default


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _json_type(value: Any) -> str:
    return {type(None): "null", bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}.get(
        type(value), "string"
    )
