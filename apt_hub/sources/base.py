"""What a source is: an upstream Hub repository, the files it reads, and a pure row-mapping function."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal


@dataclass(frozen=True)
class Drop:
    """A row mapper's answer for a row that does not belong in the unified set, with the reason counted."""

    reason: str


@dataclass(frozen=True, kw_only=True)
class Context:
    """What a row mapper may know besides the row: the `source` value of the file and the build options.

    Args:
        tag: the value of the `source` column for rows of this file, such as `"coig-cqia/ruozhiba"`.
        trace: which model's reasoning trace feeds `cot_explicit` in `storm`.
    """

    tag: str
    trace: Literal["deepseek", "gemini"] = "deepseek"


Row = dict[str, Any]
RowMapper = Callable[[Row, Context], Row | Drop]
# Upstream columns a row must have, each with the Python types its value may take after JSON or parquet decoding.
Columns = Mapping[str, tuple[type, ...]]


@dataclass(frozen=True, kw_only=True)
class Source:
    """One upstream Hub dataset and how its rows become unified rows.

    Args:
        name: the registry name, used by `--only` and in the `id` of every row.
        repo_id: the Hub dataset repository, `org/name`.
        revision: the commit the build reads, pinned so that a build is reproducible.
        feeds: for each config this source feeds, for each split, the file patterns within the repository.
            A `*` matches within one path segment only, so `*/*.jsonl` never matches a root file.
        columns: the upstream columns every row must have, with their allowed types.
        convert: the pure row mapper: an upstream row in, a unified row or a `Drop` out.
        tag: the `source` column value for a file of the repository (default: the source name).
        license, citation, homepage, description: provenance, carried into the card.
        license_link: where the upstream states its terms (a licence text, or the upstream card).
        license_note: a caveat on those terms, shown in the card's License section.
        warning: what a reader must know before looking at the rows (offensive content, a use the upstream
            authors advise against); the card's content warning.
        risks: the biases and limitations the rows inherit from this upstream.
        preferences: for a preference source, how `chosen` and `rejected` were picked upstream.
        options: the build options that change what this source gives (shown in the card only for the configs
            it feeds).
    """

    name: str
    repo_id: str
    revision: str
    feeds: Mapping[str, Mapping[str, tuple[str, ...]]]
    columns: Columns
    convert: RowMapper
    tag: Callable[[str], str] | None = None
    license: str = "unknown"
    citation: str = ""
    homepage: str = ""
    description: str = ""
    license_link: str = ""
    license_note: str = ""
    warning: str = ""
    risks: str = ""
    preferences: str = ""
    options: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def tag_for(self, path: str) -> str:
        return self.tag(path) if self.tag else self.name


def matches(pattern: str, path: str) -> bool:
    """Whether a repository path matches a file pattern, one path segment at a time.

    >>> matches("*/*.jsonl", "ruozhiba/ruozhiba_ruozhiba.jsonl"), matches("*/*.jsonl", "COIG-CQIA-full.jsonl")
    (True, False)
    """
    parts, pattern_parts = path.split("/"), pattern.split("/")
    return len(parts) == len(pattern_parts) and all(map(fnmatchcase, parts, pattern_parts))


def check_columns(row: Any, columns: Columns) -> tuple[str | None, str] | None:
    """The first field of `row` that is missing or of a wrong type, with what was expected; `None` when all fit."""
    if not isinstance(row, dict):
        return None, f"expected a JSON object, got {_type_name(row)}"
    for name, types in columns.items():
        if name not in row:
            return name, f"missing field (expected {_types_name(types)})"
        if not isinstance(row[name], types):
            return name, f"expected {_types_name(types)}, got {_type_name(row[name])}"
    return None


def _types_name(types: tuple[type, ...]) -> str:
    return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)


def _type_name(value: Any) -> str:
    return "null" if value is None else _TYPE_NAMES.get(type(value), type(value).__name__)


_TYPE_NAMES = {str: "string", bool: "boolean", int: "integer", float: "number", list: "list", dict: "object"}
