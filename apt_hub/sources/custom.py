"""Sources of your own: Hub datasets described in a YAML or TOML file, built beside the built-in ones.

```yaml
# apt-sources.yaml
sources:
  - name: my-sft                 # letters, digits, '.', '_', '-'; not a built-in source or config name
    repo_id: me/my-instructions  # the Hub dataset repository
    revision: main               # a branch, tag or (better, reproducible) commit id
    config: sft                  # the config it feeds: sft, ruozhiba, dpo or storm
    files: ["data/*.jsonl"]      # patterns in the repository; a list feeds train, or {train: [...], test: [...]}
    # data_dir: data             # instead of files: DIR/<split>[-_.]* for each of `splits` (default [train])
    columns: {prompt: instruction, response: output}   # unified field: upstream column
    # mapping: my_mapping.py:to_sft                    # instead of columns: a function (row, context) -> row
    license: cc-by-4.0
```

TOML holds the same entries as `[[sources]]` tables. `apt-hub build` and `apt-hub sources` read the file given
by `--sources-file`, else the first of `apt-sources.yaml`, `apt-sources.yml`, `apt-sources.toml` found in the
current directory. A mapping is `package.module:function`, `package.module.function`, or `file.py:function`
with the file relative to the sources file. Files are read with the build's readers (`.jsonl`, `.jsonl.gz`,
`.parquet`). A mapping is imported only when it must convert rows: listing sources, or building a config the
source does not feed, never runs its code.
"""

import contextlib
import hashlib
import importlib
import importlib.util
import inspect
import json
import re
import sys
import tomllib
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from ..configs import CONFIGS, FLAT, features_of
from ..errors import (
    ConfigError,
    Problem,
    ProblemsError,
    RowProblem,
    check_input_file,
    did_you_mean,
    one_line,
    short,
)
from ..read.jsontext import decode_utf8
from . import SOURCES, Context, Drop, Row, Source, register
from .base import ListOf, check_columns

DEFAULT_FILES = ("apt-sources.yaml", "apt-sources.yml", "apt-sources.toml")
# The configs a custom source may feed, and the fields each needs from it (`Config.custom`); the other unified
# fields are optional.
REQUIRED = {config.name: config.custom for config in FLAT if config.custom}
TARGET_CONFIGS = tuple(REQUIRED)
FIELDS = {
    "name": "the source name",
    "repo_id": "the Hub dataset, 'org/name'",
    "revision": "a branch, tag or commit id (default 'main')",
    "config": f"the config it feeds, one of {list(TARGET_CONFIGS)}",
    "files": "file patterns: a list (train), or a mapping of split to patterns",
    "data_dir": "a folder of the repository whose files are named <split>...",
    "splits": "the splits of data_dir (default ['train'])",
    "columns": "a mapping of unified field to upstream column",
    "mapping": "a function: 'module:function' or 'file.py:function'",
    "license": "the license of the data",
    "description": "one sentence on the data",
    "homepage": "a link to the data",
    "citation": "a BibTeX entry",
}
STRING_FIELDS = tuple(f for f in FIELDS if f not in ("config", "files", "splits", "columns"))
SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
REPO_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+")
SPLIT = re.compile(r"[A-Za-z0-9_]+")
# The built-in sources, fixed when this module is first imported, before any custom source is registered.
BUILT_IN = frozenset(SOURCES)
FLAT_NAMES = frozenset(config.name for config in FLAT)
_ACTIVE: dict[str, Source] = {}
# Values a YAML file may expand to through its aliases: a few hundred bytes of nested aliases (an "alias bomb")
# would otherwise become gigabytes in every message, hash or copy of the entries.
MAX_YAML_VALUES = 100_000


class SourcesFileError(ProblemsError, ConfigError):
    """A sources file with one or more wrong entries; the message lists every problem, one a line."""


class _Problems:
    """Problems of a sources file, each naming file, line, entry and field; raised together."""

    def __init__(self, path: Path):
        self.path = path
        self.found: list[Problem] = []

    def add(self, line: int | None, entry: str, field: str | None, message: str) -> None:
        self.found.append(Problem(line, field, message, str(self.path), entry))

    def raise_if_any(self) -> None:
        if self.found:
            raise SourcesFileError(str(self.path), self.found, "the sources file")


@dataclass(frozen=True)
class ColumnMapper:
    """A row mapper from a column mapping: copies upstream columns into unified fields, drops empty texts."""

    columns: tuple[tuple[str, str], ...]
    required: tuple[str, ...]

    def __call__(self, row: Row, context: Context) -> Row | Drop:
        unified = {target: row[column] for target, column in self.columns}
        return finish_row(unified, self.required, context)


class FunctionMapper:
    """A row mapper calling a user's function, whose answer is checked against the config's schema.

    The function is imported on the first row it maps (once per process), so that its file runs only when rows
    must be converted. An exception it raises is a problem of that row (counted with `--on-bad-rows skip`); an
    answer of the wrong shape or type, an `exit()` or a function that cannot be loaded stops the build.

    Args:
        spec: `module:function`, `module.function` or `file.py:function`.
        base: the folder a `file.py` is relative to.
        config: the config the source feeds.
        where: the `mapping` field of the entry, for messages about loading the function.
    """

    # The build runs this code in worker processes only, so that an `os._exit()` in it ends a worker, never the build.
    runs_user_code = True

    def __init__(self, spec: str, base: Path, config: str, where: Problem):
        self.spec, self.base, self.config, self.where = spec, base, config, where
        self.types = field_types(config)
        self._function: tuple[Callable[..., Any], bool] | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_function": None}  # each worker process imports the function itself

    def __call__(self, row: Row, context: Context) -> Row | Drop:
        function, takes_context = self._load()
        try:
            result = function(row, context) if takes_context else function(row)
        except Exception as error:  # the user's code may raise anything on a row it does not expect
            raise RowProblem(None, f"mapping {self.spec} raised {_exception(error)}") from error
        except SystemExit as error:  # an exit() in a mapper is a bug, not the end of a successful build
            raise RowProblem(None, f"mapping {self.spec} called exit({error.code!r})", skippable=False) from None
        return self._check(result, context)

    def _load(self) -> tuple[Callable[..., Any], bool]:
        if self._function is None:
            try:
                function = load_function(self.spec, self.base)
            except ConfigError as error:
                raise ConfigError(replace(self.where, message=str(error)).format()) from None
            self._function = function, _takes_context(function)
        return self._function

    def _check(self, result: Any, context: Context) -> Row | Drop:
        if isinstance(result, Drop):
            return result
        if not isinstance(result, dict):
            message = f"mapping {self.spec} returned {type(result).__name__}; expected a dict or a Drop"
            raise RowProblem(None, message, skippable=False)
        unknown = sorted(set(result) - set(self.types))
        if unknown:
            message = f"mapping {self.spec} returned fields {short(unknown)} that config {self.config!r} lacks"
            raise RowProblem(None, f"{message}: {sorted(self.types)}", skippable=False)
        required = {name: self.types[name] for name in REQUIRED[self.config]}
        optional = {name: (*self.types[name], type(None)) for name in result if name not in required}
        if (found := check_columns(result, required | optional)) is not None:
            field, message = found
            raise RowProblem(field, f"mapping {self.spec} returned a wrong value: {message}", skippable=False)
        return finish_row(dict(result), REQUIRED[self.config], context)


def field_types(config: str) -> dict[str, tuple[Any, ...]]:
    """The Python types of each unified field a row mapper may return for `config` (not `id`).

    >>> field_types("sft")["domain"], field_types("dpo")["score_chosen"]
    ((ListOf(items=(<class 'str'>,)),), (<class 'float'>, <class 'int'>))
    """
    features = features_of(CONFIGS[config].mapped_fields)  # derived fields are made from these, never mapped
    return {name: _feature_types(feature) for name, feature in features.items() if name != "id"}


def _feature_types(feature: Any) -> tuple[Any, ...]:
    if hasattr(feature, "feature"):  # a list of values
        return (ListOf(_feature_types(feature.feature)),)
    return {"string": (str,), "bool": (bool,), "float64": (float, int)}[feature.dtype]


def finish_row(unified: Row, required: tuple[str, ...], context: Context) -> Row | Drop:
    """Drop a row with an empty required text (counted as `empty_<field>`), else tag it with its source."""
    for name in required:
        if not unified[name].strip():
            return Drop(f"empty_{name}")
    unified.setdefault("source", context.tag)
    return unified


def default_sources_file(directory: str | Path = ".") -> Path | None:
    """The first of `apt-sources.yaml`, `apt-sources.yml`, `apt-sources.toml` in `directory`, if any."""
    return next((Path(directory) / name for name in DEFAULT_FILES if (Path(directory) / name).is_file()), None)


def use_sources_file(path: str | Path | None = None) -> Path | None:
    """Register the sources of a file (default: `default_sources_file()`), replacing those of an earlier call.

    Args:
        path: the sources file; `None` looks for one in the current directory.

    Returns:
        The file read, or `None` when there is none.

    Raises:
        ConfigError: the file is missing, unreadable, or has a wrong entry (every problem is listed).
    """
    if path is not None:
        check_input_file(path, "sources file")
    found = Path(path) if path is not None else default_sources_file()
    sources = load_sources_file(found) if found else []
    forget_custom_sources()
    for source in sources:
        _ACTIVE[source.name] = register(source)
    return found


def forget_custom_sources() -> None:
    """Remove the sources registered by `use_sources_file` from the registry."""
    for name, source in list(_ACTIVE.items()):
        if SOURCES.get(name) is source:
            del SOURCES[name]
        del _ACTIVE[name]


def load_sources_file(path: str | Path) -> list[Source]:
    """The sources described in a YAML or TOML file, checked entry by entry.

    Args:
        path: a `.yaml`, `.yml` or `.toml` file.

    Returns:
        One `Source` per entry, not yet registered.

    Raises:
        ConfigError: every problem of the file, each with its line, entry and field.

    Example:
        >>> [source.name for source in load_sources_file("apt-sources.yaml")]  # doctest: +SKIP
        ['my-sft']
    """
    path = Path(path)
    problems = _Problems(path)
    entries, lines = _read_entries(path, problems)
    problems.raise_if_any()
    if not isinstance(entries, list):  # checked by _read_entries; here for the type checker
        return []
    sources: list[Source] = []
    names: set[str] = set()
    for index, entry in enumerate(entries):
        source = _entry_source(entry, index, lines[index] if index < len(lines) else {}, path, problems, names)
        if source is not None:
            sources.append(source)
    problems.raise_if_any()
    return sources


def _read_entries(path: Path, problems: _Problems) -> tuple[list[Any], list[dict[str, int]]]:
    if path.suffix not in (".toml", ".yaml", ".yml"):
        raise ConfigError(f"{path}: expected a .yaml, .yml or .toml sources file.")
    try:
        text = decode_utf8(path.read_bytes())
    except OSError as error:
        raise ConfigError(f"Cannot read the sources file {path}: {error}") from error
    if isinstance(text, Problem):
        raise ConfigError(text.format(str(path)))
    try:
        if path.suffix == ".toml":
            data, lines = tomllib.loads(text), _toml_lines(text)
        else:
            data, lines = _load_yaml(text, path)
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(_syntax_problem(error).format(str(path))) from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid {path.suffix[1:].upper()}: nested too deeply") from None
    entries = data.get("sources") if isinstance(data, dict) else data
    if not isinstance(entries, list) or (isinstance(data, dict) and set(data) - {"sources"}):
        problems.add(1, "file", None, "expected a list of entries under 'sources' ([[sources]] tables in TOML)")
        return [], []
    return entries, lines


def _syntax_problem(error: Exception) -> Problem:
    """Where a YAML or TOML text stops being valid, and why: the line, and the column in the message.

    >>> _syntax_problem(tomllib.TOMLDecodeError("Expected '=' after a key (at line 3, column 9)")).format("s.toml")
    "s.toml:3: not valid TOML: Expected '=' after a key (column 9)"
    """
    if isinstance(error, yaml.YAMLError):
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = ", ".join(filter(None, [getattr(error, "context", None), getattr(error, "problem", None)]))
        column = f" (column {mark.column + 1})" if mark else ""
        return Problem(mark.line + 1 if mark else None, None, f"not valid YAML: {problem or one_line(error)}{column}")
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", str(error))
    message = str(error)[: found.start()] + f" (column {found[2]})" if found else one_line(error)
    return Problem(int(found[1]) if found else None, None, f"not valid TOML: {message}")


def _load_yaml(text: str, path: Path) -> tuple[Any, list[dict[str, int]]]:
    """The data of a YAML text and the lines of its entries; a text whose aliases expand past `MAX_YAML_VALUES`
    values is refused before anything is built from it."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node) > MAX_YAML_VALUES:
            raise ConfigError(
                f"{path}: its YAML aliases (*name) expand to more than {MAX_YAML_VALUES:,} values; write the "
                "entries out instead"
            )
        return (loader.construct_document(node) if node is not None else None), _yaml_lines(node)
    finally:
        loader.dispose()


def _expanded_size(root: yaml.Node) -> int:
    """How many values a YAML node becomes once every alias is copied out (an alias is a shared node), counted
    up to `MAX_YAML_VALUES + 1`; a node holding an alias of itself never ends."""
    too_many = MAX_YAML_VALUES + 1
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            visiting.discard(id(node))
            sizes[id(node)] = min(too_many, 1 + sum(sizes[id(child)] for child in _children(node)))
        elif id(node) in visiting:
            return too_many
        elif id(node) not in sizes:
            visiting.add(id(node))
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return node.value if isinstance(node, yaml.SequenceNode) else []


def _yaml_lines(root: yaml.Node | None) -> list[dict[str, int]]:
    """For each entry, the line where it and each of its fields begin (key "" is the entry itself)."""
    if isinstance(root, yaml.MappingNode):
        root = next((value for key, value in root.value if key.value == "sources"), None)
    if not isinstance(root, yaml.SequenceNode):
        return []
    lines = []
    for node in root.value:
        found = {"": node.start_mark.line + 1}
        if isinstance(node, yaml.MappingNode):
            found |= {key.value: key.start_mark.line + 1 for key, _ in node.value}
            for key, value in node.value:  # the line of each field of `columns`, where a column is mapped
                if key.value == "columns" and isinstance(value, yaml.MappingNode):
                    found |= {f"columns.{k.value}": k.start_mark.line + 1 for k, _ in value.value}
        lines.append(found)
    return lines


def _toml_lines(text: str) -> list[dict[str, int]]:
    """Like `_yaml_lines` for `[[sources]]` tables, found by their headers and `key =` lines."""
    lines: list[dict[str, int]] = []
    table = ""  # the `[sources.X]` table the keys belong to: `columns.prompt`
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if re.fullmatch(r"\[\[\s*sources\s*\]\]", stripped):
            lines.append({"": number})
            table = ""
        elif lines and (match := re.fullmatch(r"\[\s*sources\.([A-Za-z_][\w-]*)\s*\]", stripped)):
            lines[-1].setdefault(match[1], number)
            table = f"{match[1]}."
        elif lines and (match := re.match(r"([A-Za-z_][\w-]*)\s*=", stripped)):
            lines[-1].setdefault(table + match[1], number)
    return lines


def _entry_source(
    entry: Any, index: int, lines: dict[str, int], path: Path, problems: _Problems, names: set[str]
) -> Source | None:
    """The `Source` of one entry, or `None` after adding its problems."""
    label = f"entry {index + 1}"
    if not isinstance(entry, dict):
        problems.add(lines.get(""), label, None, f"expected a mapping of {sorted(FIELDS)}, got {short(entry)}")
        return None
    if isinstance(entry.get("name"), str):
        label = f"source {entry['name']!r} ({label})"
    count = len(problems.found)

    def problem(field: str | None, message: str) -> None:
        problems.add(lines.get(field or "", lines.get("")), label, field, message)

    for field in entry:
        if field not in FIELDS:
            problem(field, f"unknown field; expected one of {sorted(FIELDS)}")
    _check_strings(entry, problem)
    _check_name(entry.get("name"), names, problem)
    if isinstance(entry.get("repo_id"), str) and not REPO_ID.fullmatch(entry["repo_id"]):
        problem("repo_id", f"expected 'org/name', got {short(entry['repo_id'])}")
    config = entry.get("config")
    if config is None:
        problem("config", f"missing; expected one of {list(TARGET_CONFIGS)}")
    elif config not in TARGET_CONFIGS:
        problem(
            "config",
            f"expected one of {list(TARGET_CONFIGS)}, got {short(config)}{did_you_mean(config, TARGET_CONFIGS)}",
        )
        config = None
    feeds = _feeds(entry, problem)

    def at(field: str) -> Problem:
        line = lines.get(field, lines.get(field.partition(".")[0], lines.get("")))
        return Problem(line, field, "", str(path), label)

    convert, columns = _converter(entry, config, path.parent, problem, at)
    if len(problems.found) > count or config is None or convert is None:
        return None
    return Source(
        name=entry["name"],
        repo_id=entry["repo_id"],
        revision=entry.get("revision", "main"),
        feeds={config: feeds},
        columns=columns,
        convert=convert,
        license=entry.get("license", "unknown"),
        citation=entry.get("citation", ""),
        homepage=entry.get("homepage", f"https://huggingface.co/datasets/{entry['repo_id']}"),
        description=entry.get("description", ""),
        extra={"defined_in": str(path), "fingerprint": _fingerprint(entry, convert)},
        mapped_at=_mapped_at(convert, at),
    )


def _mapped_at(convert: Callable, at: Callable[[str], Problem]) -> dict[str, Problem]:
    """Where each upstream column of a column mapping is mapped; the first field wins a column mapped twice."""
    if not isinstance(convert, ColumnMapper):
        return {}
    return {column: at(f"columns.{target}") for target, column in reversed(convert.columns)}


def _check_strings(entry: dict, problem: Callable[[str | None, str], None]) -> None:
    for field in STRING_FIELDS:
        value = entry.get(field)
        if value is not None and not isinstance(value, str):
            hint = " (quote it: YAML reads 1234567 as a number)" if isinstance(value, int | float) else ""
            problem(field, f"expected a string, got {value!r}{hint}")
    for field in ("name", "repo_id"):
        if field not in entry:
            problem(field, f"missing; expected {FIELDS[field]}")


def _check_name(name: Any, names: set[str], problem: Callable[[str | None, str], None]) -> None:
    if not isinstance(name, str):
        return
    if not SOURCE_NAME.fullmatch(name):
        problem("name", f"expected letters, digits, '.', '_' or '-' (no '/' or ':'), got {name!r}")
    elif name in BUILT_IN or name in FLAT_NAMES:
        problem("name", f"{name!r} is taken by a built-in source or config ({sorted(BUILT_IN | FLAT_NAMES)})")
    elif name in names:
        problem("name", f"{name!r} is given to two entries")
    names.add(name)


def _feeds(entry: dict, problem: Callable[[str | None, str], None]) -> dict[str, tuple[str, ...]]:
    """`{split: patterns}` from `files`, or from `data_dir` and `splits`."""
    if ("files" in entry) == ("data_dir" in entry):
        problem("files", "give exactly one of 'files' and 'data_dir'")
        return {}
    if "splits" in entry and "data_dir" not in entry:
        problem("splits", "only goes with 'data_dir' (with 'files', map splits to patterns)")
    if "data_dir" in entry:
        splits = entry.get("splits", ["train"])
        valid = isinstance(splits, list) and splits and all(isinstance(s, str) and SPLIT.fullmatch(s) for s in splits)
        if not valid:
            problem("splits", f"expected a list of split names such as ['train', 'test'], got {splits!r}")
            return {}
        folder = str(entry["data_dir"]).strip("/")
        return {split: (f"{folder}/{split}[-_.]*",) for split in splits}
    files = entry["files"]
    by_split = files if isinstance(files, dict) else {"train": files}
    feeds = {}
    for split, patterns in by_split.items():
        patterns = [patterns] if isinstance(patterns, str) else patterns
        if not (isinstance(split, str) and SPLIT.fullmatch(split)):
            problem("files", f"expected split names such as 'train' as keys, got {split!r}")
        elif not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and p for p in patterns):
            problem("files", f"expected a pattern or a list of patterns for split {split!r}, got {patterns!r}")
        else:
            feeds[split] = tuple(patterns)
    return feeds


def _converter(entry: dict, config: str | None, base: Path, problem, at) -> tuple[Callable | None, dict]:
    """The row mapper and the upstream columns to check, from `columns` or `mapping` (checked, not imported)."""
    if ("columns" in entry) == ("mapping" in entry):
        problem("columns", "give exactly one of 'columns' (a column mapping) and 'mapping' (a function)")
        return None, {}
    if config is None:
        return None, {}
    if "mapping" in entry:
        if not isinstance(entry["mapping"], str):
            return None, {}
        try:
            code_file(entry["mapping"], base)
        except ConfigError as error:
            problem("mapping", str(error))
            return None, {}
        return FunctionMapper(entry["mapping"], base, config, at("mapping")), {}
    return _column_mapper(entry["columns"], config, problem)


def _column_mapper(columns: Any, config: str, problem) -> tuple[ColumnMapper | None, dict]:
    fields = [name for name, _ in CONFIGS[config].mapped_fields if name not in ("id", "source")]
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        problem("columns", f"expected a mapping of unified field to upstream column name, got {short(columns)}")
        return None, {}
    unknown = sorted(set(columns) - set(fields))
    missing = [name for name in REQUIRED[config] if name not in columns]
    if unknown:
        problem("columns", f"unknown unified fields {unknown}; config {config!r} has {fields}")
    if missing:
        problem("columns", f"missing {missing}: config {config!r} needs {list(REQUIRED[config])}")
    if unknown or missing:
        return None, {}
    # Optional fields are typed too: `domain: "notalist"` would become a list of characters, "yes" a True.
    types = field_types(config)
    checks = {
        column: types[target] if target in REQUIRED[config] else (*types[target], type(None))
        for target, column in columns.items()
    }
    return ColumnMapper(tuple(columns.items()), REQUIRED[config]), checks


def load_function(spec: str, base: str | Path = ".") -> Callable[..., Any]:
    """The function named by `module:function`, `module.function` or `file.py:function` (relative to `base`).

    Raises:
        ConfigError: the module cannot be imported, has no such function, or names something that is not a
            Python function (`os:system`, a class).
    """
    module_name, function_name = _split_spec(spec)
    try:
        module = _import(module_name, Path(base))
    except ConfigError:
        raise
    except (Exception, SystemExit) as error:  # an import runs user code, which may raise or exit
        raise ConfigError(f"cannot import {module_name!r}: {_exception(error)}") from error
    function = getattr(module, function_name, None)
    if not callable(function):
        raise ConfigError(f"{module_name!r} has no function {function_name!r}")
    if _python_code(function) is None:
        raise ConfigError(
            f"{spec} is {short(function)}, not a Python function: give a function (row, context) -> dict | Drop"
        )
    return function


def code_file(spec: str, base: str | Path = ".") -> Path | None:
    """The file holding the code of a mapping, found without running it (a package's `__init__` may run).

    Raises:
        ConfigError: the spec is malformed, or names a file or module that does not exist.
    """
    module_name, _ = _split_spec(spec)
    base = Path(base)
    if module_name.endswith(".py"):
        file = (base / module_name).resolve()
        if not file.is_file():
            raise ConfigError(f"file not found: {file}")
        return file
    with _on_path(base):
        try:
            found = importlib.util.find_spec(module_name)
        except (Exception, SystemExit) as error:  # finding `a.b` imports package `a`
            raise ConfigError(f"cannot import {module_name!r}: {_exception(error)}") from error
    if found is None:
        raise ConfigError(f"cannot import {module_name!r}: no such module")
    return Path(found.origin) if found.origin and Path(found.origin).is_file() else None


def _exception(error: BaseException) -> str:
    """`KeyError: 'answer'`: an exception of the user's code in one line."""
    return f"{type(error).__name__}: {one_line(error)}"


def _split_spec(spec: str) -> tuple[str, str]:
    module_name, sep, function_name = spec.rpartition(":")
    if not sep:
        module_name, _, function_name = spec.rpartition(".")
    if not module_name or not function_name:
        raise ConfigError(f"expected 'module:function' or 'file.py:function', got {short(spec)}")
    return module_name, function_name


def _python_code(function: Callable) -> Any:
    """The code object a callable runs, `None` for a builtin or a class (neither maps a row)."""
    if inspect.isclass(function):
        return None
    return getattr(function, "__code__", None) or getattr(vars(type(function)).get("__call__"), "__code__", None)


def _import(module_name: str, base: Path):
    if module_name.endswith(".py"):
        file = (base / module_name).resolve()
        if not file.is_file():
            raise ConfigError(f"file not found: {file}")
        # Compiled from the source every time: an edited file is never served from a stale bytecode cache.
        module = types.ModuleType(f"apt_hub_custom_{hashlib.sha256(str(file).encode()).hexdigest()[:12]}")
        module.__file__ = str(file)
        sys.modules[module.__name__] = module
        exec(compile(file.read_bytes(), str(file), "exec"), module.__dict__)
        return module
    with _on_path(base):
        return importlib.import_module(module_name)


@contextlib.contextmanager
def _on_path(base: Path) -> Iterator[None]:
    """`base` first on `sys.path` for the time of an import, so that a module beside the sources file is found."""
    folder = str(base.resolve())
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        yield
    finally:
        if added:
            sys.path.remove(folder)


def _takes_context(function: Callable) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in parameters)


def _fingerprint(entry: dict, convert: Callable | None) -> str:
    """Changes when the entry or the code of its mapping function changes, so the build cache never goes stale."""
    digest = hashlib.sha256(json.dumps(entry, sort_keys=True, default=str).encode())
    if isinstance(convert, FunctionMapper):
        file = code_file(convert.spec, convert.base)  # the code, read without running it
        digest.update(file.read_bytes() if file is not None else convert.spec.encode())
    return digest.hexdigest()[:16]


def describe_custom(source: Source) -> str:
    """`custom, from FILE` for a source of a sources file, `built-in` otherwise."""
    defined_in = source.extra.get("defined_in")
    return f"custom, from {defined_in}" if defined_in else "built-in"
