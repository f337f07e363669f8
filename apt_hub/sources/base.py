"""What a source is: an upstream Hub repository, the files it reads, and a pure row-mapping function."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from typing import Any

import pyarrow as pa

from ..errors import ConfigError, Problem, did_you_mean


@dataclass(frozen=True)
class Drop:
    """A row mapper's answer for a row that does not belong in the unified set, with the reason counted."""

    reason: str


@dataclass(frozen=True, kw_only=True)
class Option:
    """An option a source declares: `--NAME` of `apt-hub build`, recorded in `build.json` and shown in the card.

    Args:
        name: a Python identifier (`storm_trace`; `--storm-trace` on the command line).
        doc: one line for `--help`.
        default: the value when the option is not given.
        choices: the values allowed, when they are few.
        path: the value is a local file: the build record keeps its name only, never where it is on this machine.
    """

    name: str
    doc: str
    default: str | None = None
    choices: tuple[str, ...] = ()
    path: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True, kw_only=True)
class Context:
    """What a row mapper may know besides the row: the `source` value of the file and the source's options.

    Args:
        tag: the value of the `source` column for rows of this file, such as `"coig-cqia/ruozhiba"`.
        options: the values of the options the source declares, by name; a missing one has its default.
    """

    tag: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def option(self, declared: Option) -> Any:
        """The value of one of the source's options.

        >>> trace = Option(name="trace", doc="whose trace", default="deepseek")
        >>> Context(tag="s1k").option(trace), Context(tag="s1k", options={"trace": "gemini"}).option(trace)
        ('deepseek', 'gemini')
        """
        return self.options.get(declared.name, declared.default)


Row = dict[str, Any]
RowMapper = Callable[[Row, Context], Row | Drop]


@dataclass(frozen=True)
class TableMapper:
    """A source's row mapper over whole Arrow columns, for the rows it can settle; the row mapper does the rest.

    Args:
        schema: the upstream columns it reads, with their Arrow types. A file whose columns have other types is
            converted row by row; so are the rows it does not settle (those holding a null, for one).
        convert: `(table, context) -> (unified, settled)`: `settled` says, for each upstream row, whether
            `unified` holds its unified row (in order, without `id`); the row mapper converts the other rows,
            drops included. For every row it settles it must give exactly what the row mapper gives (a property
            test holds each source's to it).
    """

    schema: pa.Schema
    convert: Callable[[pa.Table, Context], tuple[pa.Table, pa.Array]]


@dataclass(frozen=True)
class ListOf:
    """A column type: a list whose items each have one of the types `items`.

    >>> check_value([1], (ListOf((str,)),), "domain")
    ('domain[0]', 'expected string, got integer')
    """

    items: tuple[Any, ...]


@dataclass(frozen=True)
class Shape:
    """A column type: an object whose keys in `fields` each have one of their types; other keys are not read.

    Args:
        fields: the types of each key.
        optional: keys that may be missing.
    """

    fields: Mapping[str, tuple[Any, ...]]
    optional: frozenset[str] = frozenset()


# Upstream columns a row must have, each with the types its value may take after JSON or parquet decoding: Python
# types (`bool` is never an `int` or a `float` here), `ListOf` and `Shape`.
Columns = Mapping[str, tuple[Any, ...]]


@dataclass(frozen=True, kw_only=True)
class Source:
    """One upstream Hub dataset and how its rows become unified rows.

    Args:
        name: the registry name, used by `--only` and in the `id` of every row.
        repo_id: the Hub dataset repository, `org/name` (empty for a source backed by a local file).
        revision: the commit the build reads, pinned so that a build is reproducible.
        feeds: for each config this source feeds, for each split, the file patterns within the repository.
            A `*` matches within one path segment only, so `*/*.jsonl` never matches a root file.
        columns: the upstream columns every row must have, with their allowed types.
        convert: the pure row mapper: an upstream row in, a unified row or a `Drop` out.
        tag: the `source` column value for a file of the repository (default: the source name).
        license, citation, homepage, description: provenance, carried into the card.
        rules: how upstream rows become unified rows, in markdown: the card and `docs/reference.md` show it.
        license_note: what a user must know about the license before redistributing, shown in the card.
        options: the options this source declares; its row mapper reads them from its `Context`.
        file_option: for a source backed by a local file instead of a Hub repository, the name of its path
            option; `--upstream samples` then reads `sample_file` of the bundled samples.
        sample_file, file_hint: the bundled example file, and how to make a file (for the message when none
            is given).
        read: reads a whole file as `(line, row)` pairs, instead of the build's readers (which check each row).
        row_id: the `id` of a row, from `source`, `path` (the file in the repository) and `line`.
        convert_table: the row mapper over whole columns, for the rows it can settle (`TableMapper`).
        export_file: the old tool's file name for the train rows of a config this source alone feeds.
        license_link: where the upstream states its terms (a licence text, or the upstream card).
        warning: what a reader must know before looking at the rows (offensive content, a use the upstream
            authors advise against); the card's content warning.
        risks: the biases and limitations the rows inherit from this upstream.
        preferences: for a preference source, how `chosen` and `rejected` were picked upstream.
        personal: what its rows may say of real people, and what must never be published.
        manifest: a JSON file of the repository's files at `revision` (`apt_hub.read.manifest`), which a build
            checks an upstream against; a built-in source's is `apt_hub/sources/manifests/<name>.json`.
        extra: what else a source records (a custom source: the file it is defined in, a fingerprint).
        mapped_at: for a source of a sources file, where each upstream column is mapped (file, line, entry and
            field of the mapping): a file that lacks such a column is a mistake of the mapping (`unmapped`).
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
    rules: str = ""
    license_note: str = ""
    options: tuple[Option, ...] = ()
    file_option: str = ""
    sample_file: str = ""
    file_hint: str = ""
    read: Callable[[str], Iterable[tuple[int, Row]]] | None = None
    row_id: str = "{source}:{path}:{line}"
    convert_table: TableMapper | None = None
    export_file: str = ""
    license_link: str = ""
    warning: str = ""
    risks: str = ""
    preferences: str = ""
    personal: str = ""
    manifest: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    mapped_at: Mapping[str, Problem] = field(default_factory=dict)

    def unmapped(self, column: str, present: Iterable[str], file: str) -> ConfigError | None:
        """The error for a `column` that `file` lacks (its columns are `present`), located at the mapping that asks
        for it; `None` when no sources file maps `column` (the file is then at fault, row by row).

        >>> where = Problem(6, "columns.prompt", "", "s.yaml", "source 'qa' (entry 1)")
        >>> source = Source(name="qa", repo_id="me/qa", revision="main", feeds={}, columns={}, convert=dict,
        ...                 mapped_at={"questoin": where})
        >>> error = source.unmapped("questoin", ["question", "answer"], "me/a.jsonl")
        >>> str(error).split(": ")  # doctest: +NORMALIZE_WHITESPACE
        ['s.yaml:6', "source 'qa' (entry 1), field 'columns.prompt'",
         "column 'questoin' is not in me/a.jsonl, whose columns are 'answer', 'question' (did you mean 'question'?)"]
        """
        where = self.mapped_at.get(column)
        if where is None:
            return None
        present = sorted(present)
        has = f"whose columns are {', '.join(map(repr, present))}" if present else "which has no columns"
        message = f"column {column!r} is not in {file}, {has}{did_you_mean(column, present)}"
        return ConfigError(replace(where, message=message).format())

    def tag_for(self, path: str) -> str:
        return self.tag(path) if self.tag else self.name

    @property
    def location(self) -> str:
        """Where the rows come from: `org/name@revision`, or the option that names the local file."""
        if self.file_option:
            return f"a local file ({self.option(self.file_option).flag})"
        return f"{self.repo_id}@{self.revision}"

    def option(self, name: str) -> Option:
        """The declared option of that name."""
        return next(option for option in self.options if option.name == name)


# The characters `str.isspace` and `str.strip` take for white space (and `\s` of `re` for a `str`), all below
# U+3001; a test checks them against every code point. Finding them costs a third of a second, in every process.
_WHITESPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
_WHITESPACE += "\u2028\u2029\u202f\u205f\u3000"


def whitespace() -> str:
    """The characters `str.isspace` and `str.strip` take for white space (and `\\s` of `re` for a `str`).

    >>> all(char.isspace() for char in whitespace()), " a\u3000".strip(whitespace()) == " a\u3000".strip()
    (True, True)
    """
    return _WHITESPACE


def matches(pattern: str, path: str) -> bool:
    """Whether a repository path matches a file pattern, one path segment at a time.

    >>> matches("*/*.jsonl", "ruozhiba/ruozhiba_ruozhiba.jsonl"), matches("*/*.jsonl", "COIG-CQIA-full.jsonl")
    (True, False)
    """
    parts, pattern_parts = path.split("/"), pattern.split("/")
    return len(parts) == len(pattern_parts) and all(map(fnmatchcase, parts, pattern_parts))


def check_columns(row: Any, columns: Columns) -> tuple[str | None, str] | None:
    """The first field of `row` that is missing or of a wrong type, at any depth, with what was expected; `None`
    when all fit.

    >>> check_columns({"task_type": {"major": "问答"}}, {"task_type": (Shape({"major": (ListOf((str,)),)}),)})
    ('task_type.major', 'expected list of strings, got string')
    """
    if not isinstance(row, dict):
        return None, f"expected a JSON object, got {_type_name(row)}"
    for name, types in columns.items():
        if name not in row:
            return name, f"missing field (expected {_types_name(types)})"
        if (found := check_value(row[name], types, name)) is not None:
            return found
    return None


class ColumnCheck:
    """`check_columns` for one set of columns, compiled once: a test of exact types runs per row, and the detailed
    check only for a row that fails it, to name the field and say what was expected.

    JSON and parquet decode to exact `str`, `int`, `float`, `bool`, `None`, `list` and `dict`, so the test accepts
    nearly every row alone. It never accepts a row the detailed check rejects; a row it turns down that the
    detailed check accepts (a subclass of `str` from a custom reader) is accepted all the same.

    >>> check = ColumnCheck({"chosen": (str,), "domain": (ListOf((str,)),)})
    >>> check({"chosen": "a", "domain": ["x"]}), check({"chosen": "a", "domain": ["x", 1]})
    (None, ('domain[1]', 'expected string, got integer'))
    """

    def __init__(self, columns: Columns):
        self.columns = columns
        self._tests = tuple((name, _exact_types(types), _container_test(types)) for name, types in columns.items())

    def __call__(self, row: Any) -> tuple[str | None, str] | None:
        if type(row) is dict:
            for name, exact, container in self._tests:
                value = row.get(name, _MISSING)
                if type(value) not in exact and (value is _MISSING or container is None or not container(value)):
                    break
            else:
                return None
        return check_columns(row, self.columns)


_MISSING = object()


def _exact_types(types: tuple[Any, ...]) -> frozenset[type]:
    """The exact types of values that fit a plain kind of `types` (`object` is any value: see `_container_test`)."""
    return frozenset(kind for kind in types if isinstance(kind, type) and kind is not object)


def _container_test(types: tuple[Any, ...]) -> Callable[[Any], bool] | None:
    """A test for the values of `types` that `_exact_types` does not cover: lists, objects, any value."""
    if object in types:
        return _anything
    tests = [_list_test(kind) if isinstance(kind, ListOf) else _shape_test(kind) for kind in types if _nests(kind)]
    if not tests:
        return None
    return tests[0] if len(tests) == 1 else lambda value: any(test(value) for test in tests)


def _nests(kind: Any) -> bool:
    return isinstance(kind, (ListOf, Shape))


def _fits(types: tuple[Any, ...]) -> Callable[[Any], bool]:
    exact, container = _exact_types(types), _container_test(types)
    if container is None:
        return lambda value: type(value) in exact
    return lambda value: type(value) in exact or container(value)


def _list_test(kind: ListOf) -> Callable[[Any], bool]:
    if all(isinstance(item, type) and item is not object for item in kind.items):
        items = frozenset(kind.items)
        return lambda value: type(value) is list and all(type(item) in items for item in value)
    fits = _fits(kind.items)
    return lambda value: type(value) is list and all(map(fits, value))


def _shape_test(shape: Shape) -> Callable[[Any], bool]:
    fields = tuple((key, _fits(types), key in shape.optional) for key, types in shape.fields.items())

    def test(value: Any) -> bool:
        if type(value) is not dict:
            return False
        for key, fits, optional in fields:
            item = value.get(key, _MISSING)
            if item is _MISSING:
                if not optional:
                    return False
            elif not fits(item):
                return False
        return True

    return test


def _anything(value: Any) -> bool:
    return True


def check_value(value: Any, types: tuple[Any, ...], path: str) -> tuple[str, str] | None:
    """Where `value` (or a value inside it) fits none of `types`, and why; `None` when it fits."""
    nested = None  # the deepest reason of a container that fits in kind but not inside
    for kind in types:
        if isinstance(kind, ListOf) and isinstance(value, list):
            found = _check_items(value, kind, path)
        elif isinstance(kind, Shape) and isinstance(value, dict):
            found = _check_shape(value, kind, path)
        elif isinstance(kind, type) and _is_instance(value, kind):
            found = None
        else:
            continue
        if found is None:
            return None
        nested = found
    return nested or (path, f"expected {_types_name(types)}, got {_type_name(value)}")


def _check_items(value: list, kind: ListOf, path: str) -> tuple[str, str] | None:
    for index, item in enumerate(value):
        if (found := check_value(item, kind.items, f"{path}[{index}]")) is not None:
            return found
    return None


def _check_shape(value: dict, shape: Shape, path: str) -> tuple[str, str] | None:
    for key, types in shape.fields.items():
        if key not in value:
            if key not in shape.optional:
                return f"{path}.{key}", f"missing field (expected {_types_name(types)})"
        elif (found := check_value(value[key], types, f"{path}.{key}")) is not None:
            return found
    return None


def _is_instance(value: Any, kind: type) -> bool:
    # JSON's `true` is no number and no string: a boolean score or label is wrong data, not 1.0.
    return isinstance(value, kind) and (kind is bool or kind is object or not isinstance(value, bool))


def _types_name(types: tuple[Any, ...]) -> str:
    return " or ".join(_kind_name(kind) for kind in types)


def _kind_name(kind: Any) -> str:
    if isinstance(kind, ListOf):
        return (
            f"list of {_kind_name(kind.items[0])}s" if len(kind.items) == 1 else f"list of ({_types_name(kind.items)})"
        )
    if isinstance(kind, Shape):
        return f"object with {', '.join(kind.fields)}"
    return _TYPE_NAMES.get(kind, kind.__name__)


def _type_name(value: Any) -> str:
    return "null" if value is None else _TYPE_NAMES.get(type(value), type(value).__name__)


_TYPE_NAMES = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    list: "list",
    dict: "object",
    type(None): "null",
    object: "any value",
}
