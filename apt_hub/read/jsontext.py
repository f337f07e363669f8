"""JSON documents read with the line each value begins on, so that errors can point at a line.

JSON Lines are split at `\n` only: U+2028, U+2029 and U+0085 are valid inside JSON strings and stay there,
so neither a row nor the line numbers after it break on them.
"""

import bisect
import json
import re
from dataclasses import dataclass
from typing import Any

from ..errors import Problem

# A JSON escape that may decode to half of a surrogate pair; only text holding one needs the full check.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
DUPLICATE_KEY = "given twice in one object; JSON keeps only the last"


class _DuplicateKey(ValueError):
    """Raised while decoding: an object holds a key twice."""

    def __init__(self, key: str):
        super().__init__(f"key {key!r} {DUPLICATE_KEY}")
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return value


# Decodes like `json.loads`, but an object holding a key twice raises instead of keeping the last value silently.
UNIQUE_KEYS = json.JSONDecoder(object_pairs_hook=_unique_keys)


class Text:
    """The text of a file with a line index, so that a character offset becomes a line number in O(log n)."""

    def __init__(self, text: str):
        self.text = text
        self._starts = [0]
        end = text.find("\n")
        while end >= 0:  # `find` scans in C: a 400 kB line costs no Python step per character
            self._starts.append(end + 1)
            end = text.find("\n", end + 1)

    def line_of(self, position: int) -> int:
        return bisect.bisect_right(self._starts, position)


@dataclass(frozen=True)
class JsonValue:
    """A top-level JSON value of a file: the line it begins on, its character span, and the value (a `Problem`
    for a value no file may hold: one with a lone surrogate)."""

    line: int
    start: int
    end: int
    value: Any


def split_lines(text: str) -> list[str]:
    """The lines of a JSON Lines text, split at `\n` only (a `\r` before it is dropped).

    >>> split_lines('{"a": "x\\u2028y"}\\r\\n{"b": 1}\\n')
    ['{"a": "x\\u2028y"}', '{"b": 1}', '']
    """
    return [line.removesuffix("\r") for line in text.split("\n")]


def loads(text: str, line: int = 1, *, unique_keys: bool = False) -> Any:
    """One JSON value, or a `Problem` saying why `text` is not one: invalid JSON, nested too deeply, an integer
    too long, a lone surrogate (`\\ud800`), which no UTF-8 file or Arrow string can hold, or with `unique_keys` a
    key given twice in one object.

    >>> loads('{"a": 1}'), loads('{"a": }', 7).message, loads('{"a": "\\\\ud800"}').field
    ({'a': 1}, 'invalid JSON: Expecting value (column 7)', 'a')
    >>> loads('{"a": {"b": 1, "b": 2}}', 3, unique_keys=True).format("f.jsonl")
    "f.jsonl:3: field 'b': given twice in one object; JSON keeps only the last"
    """
    try:
        value = json.loads(text, object_pairs_hook=_unique_keys) if unique_keys else json.loads(text)
    except _DuplicateKey as error:
        return Problem(line, error.key, DUPLICATE_KEY)
    except json.JSONDecodeError as error:
        return Problem(line, None, f"invalid JSON: {error.msg} (column {error.colno})")
    except (RecursionError, ValueError) as error:  # ValueError: an integer of more than 4,300 digits
        return _value_problem(line, error)
    return surrogate_problem(value, line) if _SURROGATE_ESCAPE.search(text) else value


def surrogate_lines(text: str) -> set[int]:
    """The lines of `text` (from 0) with an escape that may decode to half of a surrogate pair: only those need
    `loads` to look for a lone one, so a reader can search many lines at once and skip that step for the rest.

    >>> sorted(surrogate_lines('{"a": "x"}\\n{"a": "\\\\ud83d\\\\ude00"}\\n{"a": "\\\\u00e9"}'))
    [1]
    """
    lines, line, position = set(), 0, 0
    for match in _SURROGATE_ESCAPE.finditer(text):
        line += text.count("\n", position, match.start())
        lines.add(line)
        position = match.start()
    return lines


def _value_problem(line: int, error: Exception) -> Problem:
    if isinstance(error, RecursionError):
        return Problem(line, None, "invalid JSON: nested too deeply (arrays or objects inside one another)")
    return Problem(line, None, f"invalid JSON: {error}")


def surrogate_problem(value: Any, line: int) -> Any:
    """`value`, or a `Problem` naming the field of its first string (or key) holding a lone surrogate."""
    stack = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str) and _SURROGATE.search(item):
            return Problem(line, path or None, f"not valid Unicode: a lone surrogate {_escape(item)}")
        if isinstance(item, dict):
            for key, child in reversed(item.items()):
                if _SURROGATE.search(key):
                    return Problem(line, None, f"not valid Unicode: a lone surrogate {_escape(key)} in a key")
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in reversed(list(enumerate(item))))
    return value


def _escape(text: str) -> str:
    found = _SURROGATE.search(text)
    assert found is not None  # called for texts that hold one
    return f"\\u{ord(found[0]):04x}"


def parse_json_lines(text: Text) -> tuple[list[JsonValue], list[Problem]]:
    """Every value of a JSON Lines text, and one problem per line that is not valid JSON."""
    values: list[JsonValue] = []
    problems: list[Problem] = []
    offset = 0
    for number, line in enumerate(text.text.split("\n"), start=1):
        if line.strip():
            start = offset + len(line) - len(line.lstrip())
            value = loads(line, number)
            if isinstance(value, Problem):
                problems.append(value)
            else:
                values.append(JsonValue(number, start, offset + len(line), value))
        offset += len(line) + 1
    return values, problems


def parse_json_array(text: Text, *, unique_keys: bool = False) -> tuple[list[JsonValue], Problem | None]:
    """The items of a top-level JSON array, each with its line; parsing stops at the first syntax problem. With
    `unique_keys`, an item holding a key twice in one object is a `Problem` (the items after it are read)."""
    decoder, source = UNIQUE_KEYS if unique_keys else json.JSONDecoder(), text.text
    values: list[JsonValue] = []
    position = skip_space(source, 0)
    if not source.startswith("[", position):
        return values, _syntax(text, position, "expected a JSON array starting with '['")
    position = skip_space(source, position + 1)
    while position < len(source) and source[position] != "]":
        value = _decode_item(decoder, text, position)
        if isinstance(value, Problem):
            return values, value
        values.append(value)
        position = skip_space(source, value.end)
        if position < len(source) and source[position] == ",":
            position = skip_space(source, position + 1)
            if position < len(source) and source[position] == "]":
                return values, _syntax(text, position, "a comma before ']' (JSON allows no trailing comma)")
        elif position < len(source) and source[position] != "]":
            return values, _syntax(text, position, "expected ',' or ']' after an item")
    if position >= len(source):
        return values, _syntax(text, len(source), "the array is not closed with ']'")
    after = skip_space(source, position + 1)
    if after < len(source):
        return values, _syntax(text, after, "text after the closing ']' of the array")
    return values, None


def _decode_item(decoder: json.JSONDecoder, text: Text, position: int) -> JsonValue | Problem:
    line = text.line_of(position)
    try:
        value, end = decoder.raw_decode(text.text, position)
    except _DuplicateKey as error:  # a bad item, not bad syntax: where it ends is found without the check
        return JsonValue(
            line,
            position,
            json.JSONDecoder().raw_decode(text.text, position)[1],
            Problem(line, error.key, DUPLICATE_KEY),
        )
    except json.JSONDecodeError as error:
        return Problem(error.lineno, None, f"invalid JSON: {error.msg} (column {error.colno})")
    except (RecursionError, ValueError) as error:
        return _value_problem(line, error)
    if _SURROGATE_ESCAPE.search(text.text, position, end):
        value = surrogate_problem(value, line)  # a bad item, not bad syntax: the items after it are read
    return JsonValue(line, position, end, value)


def _syntax(text: Text, position: int, message: str) -> Problem:
    return Problem(text.line_of(position), None, f"invalid JSON: {message}")


def decode_utf8(data: bytes, line_offset: int = 0) -> str | Problem:
    """UTF-8 bytes as text (a leading byte order mark dropped), or a `Problem` at the line of the first bad byte.

    >>> decode_utf8(b"\\xef\\xbb\\xbfok"), decode_utf8(b"fine\\nbad \\xff").format("f.jsonl")
    ('ok', 'f.jsonl:2: not valid UTF-8: byte 0xff at column 5 (save the file as UTF-8)')
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = line_offset + data.count(b"\n", 0, error.start) + 1
        column = len(data[line_start : error.start].decode("utf-8", "replace")) + 1
        message = f"not valid UTF-8: byte 0x{data[error.start]:02x} at column {column} (save the file as UTF-8)"
        return Problem(line, None, message)


def skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position
