"""JSON documents read with the line each value begins on, so that errors can point at a line."""

import bisect
import json
from dataclasses import dataclass
from typing import Any


class Text:
    """The text of a file with a line index, so that a character offset becomes a line number in O(log n)."""

    def __init__(self, text: str):
        self.text = text
        self._starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def line_of(self, position: int) -> int:
        return bisect.bisect_right(self._starts, position)


@dataclass(frozen=True)
class JsonValue:
    """A top-level JSON value of a file: the line it begins on, its character span, and the value."""

    line: int
    start: int
    end: int
    value: Any


@dataclass(frozen=True)
class SyntaxProblem:
    """Where a JSON document stops being valid, and why."""

    line: int
    message: str


def parse_json_lines(text: Text) -> tuple[list[JsonValue], list[SyntaxProblem]]:
    """Every value of a JSON Lines text, and one problem per line that is not valid JSON."""
    values, problems, offset = [], [], 0
    for number, line in enumerate(text.text.splitlines(keepends=True), start=1):
        if line.strip():
            start = offset + len(line) - len(line.lstrip())
            try:
                values.append(JsonValue(number, start, offset + len(line), json.loads(line.rstrip("\r\n"))))
            except json.JSONDecodeError as error:
                problems.append(SyntaxProblem(number, f"{error.msg} (column {error.colno})"))
        offset += len(line)
    return values, problems


def parse_json_array(text: Text) -> tuple[list[JsonValue], SyntaxProblem | None]:
    """The items of a top-level JSON array, each with its line; parsing stops at the first syntax problem."""
    decoder, values, source = json.JSONDecoder(), [], text.text
    position = skip_space(source, 0)
    if not source.startswith("[", position):
        return values, SyntaxProblem(text.line_of(position), "expected a JSON array starting with '['")
    position = skip_space(source, position + 1)
    while position < len(source) and source[position] != "]":
        try:
            value, end = decoder.raw_decode(source, position)
        except json.JSONDecodeError as error:
            return values, SyntaxProblem(error.lineno, f"{error.msg} (column {error.colno})")
        values.append(JsonValue(text.line_of(position), position, end, value))
        position = skip_space(source, end)
        if position < len(source) and source[position] == ",":
            position = skip_space(source, position + 1)
        elif position < len(source) and source[position] != "]":
            return values, SyntaxProblem(text.line_of(position), "expected ',' or ']' after an item")
    if position >= len(source):
        return values, SyntaxProblem(text.line_of(len(source)), "the array is not closed with ']'")
    after = skip_space(source, position + 1)
    if after < len(source):
        return values, SyntaxProblem(text.line_of(after), "text after the closing ']' of the array")
    return values, None


def skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position
