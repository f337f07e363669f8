"""The options of every command, declared once, and the one validator that converts and checks their values.

A command's options are its keyword-only parameters: their annotations say the type (`int`, `bool`, `float`,
`str`, a `Literal` of choices, `tuple[str, ...]` for comma-separated names), their docstring entries say what they
are for. `Spec.of` reads that declaration; `convert` turns a value into its type, whether it arrives as the text of
a command line, as a Python value or as a menu answer; `Spec.bind` checks a whole call against the command. The CLI
(`apt_hub.cli`), the Python API and the menu all go through them, and a value that does not fit is a `UsageError`
(exit status 2) with one line naming the option, the allowed values and the closest one.

`BuildOptions` holds the options every build has; its fields are declared and converted the same way. A source
declares its own (s1K's `storm_trace`, the loyalty file's `loyalty_file`) on its `Source`; they travel in
`BuildOptions.source_options` and are checked against the declaring source, so adding an option is one edit: a
field here, or an `Option` on the source.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import re
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_type_hints

from .errors import UsageError, check_choice

if typing.TYPE_CHECKING:
    from .sources import Source

TRUE, FALSE = ("true", "yes", "y", "1"), ("false", "no", "n", "0")
NAMES = tuple[str, ...]  # the annotation of an option taking comma-separated names
OnBadRows = Literal["error", "skip"]


@dataclass(frozen=True)
class Option:
    """One parameter of a command, as its declaration gives it.

    Args:
        parameter: the Python parameter it fills.
        flag: the flag, with dashes (`--build-dir`).
        kind: the value type: `bool`, `int`, `float`, `str` or `tuple` (comma-separated names).
        choices: the allowed values of a `Literal` parameter, else empty.
        default: the parameter's default (`inspect.Parameter.empty` when required).
        help: its entry of the docstring's `Args:`.
        aliases: other flags accepted for it.
    """

    parameter: str
    flag: str
    kind: type = str
    choices: tuple[str, ...] = ()
    default: Any = inspect.Parameter.empty
    help: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def metavar(self) -> str:
        if self.choices:
            return "|".join(self.choices)
        names = {int: "N", float: "NUMBER", tuple: "NAMES"}
        return names.get(self.kind) or self.flag.removeprefix("--").replace("-", "_").upper()

    @property
    def required(self) -> bool:
        return self.default is inspect.Parameter.empty


def option(name: str, kind: type = str, **declared: Any) -> Option:
    """An option by its Python name: `option("max_samples", int)` is `--max-samples N`."""
    return Option(name, "--" + name.replace("_", "-"), kind, **declared)


# ------------------------------------------------------------------------------------------- the validator


def convert(value: Any, declared: Option) -> Any:
    """A value as its option's type: the text of a command line or a menu answer, or a Python value.

    `None` stays `None` (an option not given). Whole numbers accept `7.0`; numbers must be finite; booleans take
    true/false, yes/no, 1/0 in any case; names are a comma-separated text or a list.

    >>> convert("7.0", option("seed", int)), convert(" sft, dpo", option("only", tuple))
    (7, ('sft', 'dpo'))
    >>> convert("No", option("force", bool))
    False

    Raises:
        UsageError: the value does not fit; the message names the flag and, for choices, the closest one.
    """
    if value is None:
        return None
    if declared.kind is bool:
        return _switch(value, declared.flag)
    if declared.kind is int:
        return whole_number(value, declared.flag)
    if declared.kind is float:
        return _finite(value, declared.flag)
    if declared.kind is tuple:
        picked = names(value)
        for name in picked or ():
            _choose(name, declared)
        return picked
    return _choose(str(value), declared)


def whole_number(value: Any, flag: str) -> int | None:
    """A whole number from a command line, a menu or Python: `7`, `"7"` and `7.0` are 7.

    >>> whole_number("7.0", "--seed"), whole_number(None, "--seed")
    (7, None)

    Raises:
        UsageError: anything else, naming `flag`.
    """
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    number = value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            number = _float(value)
    if isinstance(number, float) and number.is_integer():
        return int(number)
    raise UsageError(f"{flag} expects a whole number, got {_shown(value)}")


def names(value: str | Iterable[Any] | None) -> tuple[str, ...] | None:
    """Names from a command line or Python: a comma-separated string, a list or a tuple; `None` for none.

    >>> names("sft, dpo"), names(["storm"]), names(""), names(None)
    (('sft', 'dpo'), ('storm',), None, None)
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    found = tuple(str(v).strip() for v in value if str(v).strip())
    return found or None


def _choose(value: str, declared: Option) -> str:
    return check_choice(value, declared.choices, declared.flag) if declared.choices else value


def _switch(value: Any, flag: str) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in TRUE + FALSE:
        return str(value).lower() in TRUE
    raise UsageError(f"{flag} expects true or false (also yes/no, 1/0), got {_shown(value)}")


def _finite(value: Any, flag: str) -> float:
    number = _float(value) if isinstance(value, str) else value
    if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
        raise UsageError(f"{flag} expects a finite number, got {_shown(value)}")
    return float(number)


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _shown(value: Any) -> str:
    """A value as the user typed it: a text quoted, a number as it is."""
    return repr(value) if isinstance(value, str) else str(value)


# ----------------------------------------------------------------------------------- commands as declared


@dataclass
class Spec:
    """What a command accepts: its positional arguments, its options, and the text of its help."""

    name: str
    function: Callable[..., Any]
    summary: str
    positionals: list[Option] = field(default_factory=list)
    variadic: Option | None = None
    options: dict[str, Option] = field(default_factory=dict)  # by parameter name

    @classmethod
    def of(cls, name: str, function: Callable[..., Any], flags: Mapping[str, tuple[str, ...]] | None = None) -> Spec:
        """Read a command's declaration: its signature and its docstring.

        Args:
            name: the command's name (`build`).
            function: the function it runs.
            flags: per parameter, the flag to show and then its aliases, without dashes; by default a parameter
                `output_dir` is `--output-dir`.
        """
        summary, helps = parse_docstring(function.__doc__ or "")
        spec = cls(name, function, summary)
        for parameter in inspect.signature(function).parameters.values():
            spelled = (flags or {}).get(parameter.name) or (parameter.name.replace("_", "-"),)
            kind, choices = value_type(_annotation(function, parameter))
            declared = Option(
                parameter.name,
                f"--{spelled[0]}",
                kind,
                choices,
                parameter.default,
                helps.get(parameter.name, ""),
                tuple(f"--{n}" for n in spelled[1:]),
            )
            if parameter.kind is parameter.VAR_POSITIONAL:
                spec.variadic = declared
            elif parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
                spec.positionals.append(declared)
                spec.options[parameter.name] = declared
            elif parameter.kind is parameter.KEYWORD_ONLY:
                spec.options[parameter.name] = declared
        return spec

    def option(self, flag: str) -> Option:
        """The option of a flag (`--build-dir`, an alias, or the Python name), or a `UsageError` naming the closest.

        Raises:
            UsageError: no option of the command has that flag.
        """
        key = flag.lstrip("-").replace("_", "-")
        for declared in self.options.values():
            if key in (declared.flag[2:], *(alias[2:] for alias in declared.aliases)):
                return declared
        known = sorted({declared.flag for declared in self.options.values()} | {"--help"})
        close = difflib.get_close_matches(f"--{key}", known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else f"; apt-hub {self.name} --help lists them"
        raise UsageError(f"unknown option --{key}{hint}")

    def bind(self, words: Iterable[Any], flags: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """Check a call against the command and convert every value: the positional values (of `*configs`, say)
        and every other value by parameter name, so that the call is `function(*values, **given)`.

        Options are keyword-only: a word beyond the positional arguments is refused, never taken as an option.

        Args:
            words: the positional values, in order.
            flags: the options by flag or name (`build-dir`, `build_dir`), each value given once.

        Raises:
            UsageError: an unknown option, an option given twice (under two spellings), a value of the wrong
                type, a missing or extra argument.
        """
        given: dict[str, Any] = {}
        for flag, value in flags.items():
            declared = self.option(flag)
            if declared.parameter in given:
                raise UsageError(f"{declared.flag} is given twice")
            given[declared.parameter] = convert(value, declared)
        words = list(words)
        if self.variadic is not None:
            values = [convert(word, self.variadic) for word in words]
        else:
            free = [o for o in self.positionals if o.parameter not in given]
            if len(words) > len(free):
                takes = " ".join(f"[{_placeholder(o)}]" for o in free) or "no argument"
                raise UsageError(
                    f"apt-hub {self.name} takes {takes}; unexpected: {' '.join(map(str, words[len(free) :]))}"
                )
            given |= {o.parameter: convert(word, o) for o, word in zip(free, words, strict=False)}
            values = []
        for declared in self.options.values():
            if declared.required and declared.parameter not in given:
                is_positional = declared in self.positionals
                needed = _placeholder(declared) if is_positional else f"{declared.flag} {declared.metavar}"
                raise UsageError(f"apt-hub {self.name} needs {needed}")
        return values, given

    def help(self) -> str:
        """The `--help` text: usage, summary, arguments and options with their defaults, in the flags' spelling."""
        usage = [f"apt-hub {self.name}"]
        usage += [_placeholder(o) if o.required else f"[{_placeholder(o)}]" for o in self.positionals]
        if self.variadic:
            usage.append(f"[{_placeholder(self.variadic)} ...]")
        usage.append("[OPTIONS]" if self.options else "")
        lines = ["usage: " + " ".join(filter(None, usage)), "", self.summary]
        arguments = [(f"{_placeholder(o)}", o.help) for o in [*self.positionals, *filter(None, [self.variadic])]]
        if arguments:
            lines += ["", "Arguments:", *_table(arguments)]
        options = [(_flag_usage(o), _option_help(o)) for o in self.options.values()]
        lines += ["", "Options:", *_table([*options, ("-h, --help", "show this help")])]
        return "\n".join(lines)


def value_type(hint: Any) -> tuple[type, tuple[str, ...]]:
    """The value type of an annotation and its choices: `int | None` is `int`, `Literal["a", "b"]` is `str`."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    if typing.get_origin(hint) is Literal:
        return str, tuple(str(choice) for choice in typing.get_args(hint))
    if hint is tuple or typing.get_origin(hint) is tuple:
        return tuple, ()
    return (hint, ()) if hint in (bool, int, float) else (str, ())


def parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """The summary of a Google-style docstring and the text of each entry of its `Args:`, continuation lines joined.

    >>> parse_docstring('''Do it.
    ...
    ...     Args:
    ...         path: where: a folder
    ...             laid out like the Hub.
    ...     ''')
    ('Do it.', {'path': 'where: a folder laid out like the Hub.'})
    """
    doc = inspect.cleandoc(doc)
    summary = " ".join(doc.split("\n\n")[0].split())
    helps: dict[str, str] = {}
    section, current, indent = False, None, None
    for line in doc.splitlines():
        if line.strip() == "Args:":
            section = True
            continue
        if not section or not line.strip():
            continue
        depth = len(line) - len(line.lstrip())
        if depth == 0:
            break
        match = re.match(r"\s*(\*{0,2}\w+)(?: \(.*?\))?: (.*)", line)
        if match and (indent is None or depth <= indent):
            indent, current = depth, match[1].lstrip("*")
            helps[current] = match[2].strip()
        elif current:
            helps[current] += " " + line.strip()
    return summary, helps


def _annotation(function: Callable[..., Any], parameter: inspect.Parameter) -> Any:
    """A parameter's annotation, evaluated when it is a string (postponed annotations); `str` when it has none."""
    hint = parameter.annotation
    if hint is inspect.Parameter.empty:
        return str
    if isinstance(hint, str):
        namespace = {**vars(typing), **getattr(function, "__globals__", {})}
        try:
            return eval(hint, namespace)  # the package's own annotation, not user input
        except Exception:
            return str
    return hint


def _placeholder(declared: Option) -> str:
    return declared.flag.removeprefix("--").replace("-", "_").upper()


def _flag_usage(declared: Option) -> str:
    return declared.flag if declared.kind is bool else f"{declared.flag} {declared.metavar}"


def _option_help(declared: Option) -> str:
    notes = []
    if declared.required:
        notes.append("required")
    elif declared.kind is bool:
        notes.append(f"a switch: {declared.flag}, or {declared.flag}=yes|no")
    elif declared.default is not None and "default" not in declared.help:
        notes.append(f"default: {declared.default}")
    notes += [f"also {alias}" for alias in declared.aliases]
    return declared.help + (f" ({'; '.join(notes)})" if notes else "")


def _table(rows: list[tuple[str, str]]) -> list[str]:
    """Two columns, the right one wrapped to 100 characters; a left cell too wide gets a line of its own."""
    import textwrap

    width = min(max(len(left) for left, _ in rows), 28)
    lines = []
    for left, right in rows:
        wrapped = textwrap.wrap(right, 98 - width) or [""]
        lines += [f"  {left}"] if len(left) > width else []
        first = "" if len(left) > width else left
        lines += [f"  {first if i == 0 else '':{width}}  {text}".rstrip() for i, text in enumerate(wrapped)]
    return lines


# ------------------------------------------------------------------------------------------ build options


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    """The options that decide which rows a build writes; `build.json` and the card record them.

    Args:
        upstream: hub (the Hugging Face Hub or HF_ENDPOINT), samples (the bundled mirror), or a directory
            laid out like the Hub: DIR/<org>/<name>/<path in repo>.
        only: comma-separated sources (hh-rlhf) or subsets as the counts name them (hh-rlhf/helpful-base,
            coig-cqia/ruozhiba); only those feed the configs.
        max_samples: at most this many rows per source and split, drawn with --seed.
        seed: the seed of --max-samples draws.
        on_bad_rows: error (stop at a structurally broken upstream row) or skip (count it as dropped).
        drop: comma-separated quality checks whose rows are dropped instead of kept and flagged (graded_wrong, ...).
        keep: comma-separated quality checks whose rows are kept and flagged instead of dropped (test_overlap, ...).
        decontaminate: comma-separated benchmarks, org/name[:config:split:column], PATH.jsonl:column or
            PATH.parquet:column; a row whose prompt shares an n-gram with one is dropped.
        source_options: the values of the options the sources declare, by name (see `Source.options`).
    """

    upstream: str = "hub"
    only: tuple[str, ...] | None = None
    max_samples: int | None = None
    seed: int = 42
    on_bad_rows: OnBadRows = "error"
    drop: tuple[str, ...] | None = None
    keep: tuple[str, ...] | None = None
    decontaminate: tuple[str, ...] | None = None
    source_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from .clean.checks import dropped_checks
        from .sources import get_source

        # Values arrive from the CLI, the menu or Python: each is brought to its type here, by its declaration.
        for declared in build_options().values():
            object.__setattr__(self, declared.parameter, convert(getattr(self, declared.parameter), declared))
        object.__setattr__(self, "source_options", _checked_source_options(self.source_options))
        if self.max_samples is not None and self.max_samples < 1:
            raise UsageError(f"--max-samples must be a positive whole number, got {self.max_samples}")
        for name in self.only or ():
            get_source(name.split("/", 1)[0])
        dropped_checks(self.drop or (), self.keep or ())

    @property
    def dropping(self) -> frozenset[str]:
        """The quality checks that drop the rows they catch, after `drop` and `keep` (`apt_hub.clean.checks`)."""
        from .clean.checks import dropped_checks

        return dropped_checks(self.drop or (), self.keep or ())

    @classmethod
    def from_flags(cls, **flags: Any) -> BuildOptions:
        """Options from flat keyword arguments (`seed=7, storm_trace="gemini"`), as the CLI and `build()` get them.

        Raises:
            UsageError: an option that neither `BuildOptions` nor a registered source declares.
        """
        from .sources import declared_options

        own, declared = build_options(), declared_options()
        for name in flags:
            if name not in own and name not in declared:
                check_choice(name, sorted([*own, *declared]), "an option")
        given = {name: value for name, value in flags.items() if value is not None}
        return cls(
            **{name: value for name, value in given.items() if name in own},
            source_options={name: value for name, value in given.items() if name in declared},
        )

    def for_source(self, source: Source) -> dict[str, Any]:
        """The values of the options a source declares, defaults included: what its row mapper sees."""
        return {option.name: self.source_options.get(option.name, option.default) for option in source.options}

    def local_file(self, source: Source, samples: Path) -> str | None:
        """The file of a source backed by a local file: its path option, else the bundled one under `samples`."""
        path = self.source_options.get(source.file_option)
        if path is None and self.upstream == "samples" and source.sample_file:
            return str(samples / source.sample_file)
        return path

    def record(self, label: str, sources: list[Source], files: dict[str, str]) -> dict[str, Any]:
        """The options as `build.json` records them for a config: the upstream by its `label` (no local path), and
        the options of the config's sources, a path option by the name of the file read (`files[source]`)."""
        recorded = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "source_options"}
        recorded |= {"upstream": label, "only": list(self.only or [])}
        recorded |= {name: list(getattr(self, name) or []) for name in ("drop", "keep", "decontaminate")}
        for source in sources:
            for declared in source.options:
                value = files.get(source.name) if declared.path else self.for_source(source)[declared.name]
                recorded[declared.name] = value
        return recorded


@functools.cache
def build_options() -> dict[str, Option]:
    """The declared options of `BuildOptions`, by name, in field order (`source_options` aside)."""
    hints = get_type_hints(BuildOptions)
    helps = parse_docstring(BuildOptions.__doc__ or "")[1]
    found = {}
    for f in fields(BuildOptions):
        if f.name != "source_options":
            kind, choices = value_type(hints[f.name])
            found[f.name] = option(
                f.name, kind, choices=_choices_of(f.name, choices), default=f.default, help=helps[f.name]
            )
    return found


def _choices_of(name: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    """The allowed values of an option: its `Literal`, or the quality checks for `drop` and `keep`."""
    from .clean.checks import CHECKS

    return tuple(CHECKS) if name in ("drop", "keep") else choices


def source_option(declared: Any) -> Option:
    """A source's `Option` as the validator declares it: a choice among its `choices`, else text."""
    return option(declared.name, str, choices=declared.choices, default=declared.default, help=declared.doc)


def option_docs() -> dict[str, str]:
    """One line of help per build option: the fields of `BuildOptions` (from its docstring), then the sources' options.

    >>> option_docs()["seed"]
    'the seed of --max-samples draws.'
    """
    from .sources import declared_options

    docs = {name: declared.help for name, declared in build_options().items()}
    return docs | {name: declared.doc for name, declared in declared_options().items()}


def option_defaults() -> dict[str, Any]:
    """The default of every build option, in the order of `option_docs`."""
    from .sources import declared_options

    own = {name: declared.default for name, declared in build_options().items()}
    return own | {name: declared.default for name, declared in declared_options().items()}


def _checked_source_options(values: dict[str, Any]) -> dict[str, Any]:
    from .sources import declared_options

    declared = declared_options()
    checked = {}
    for name, value in values.items():
        if name not in declared:
            check_choice(name, sorted(declared), "a source option")
        checked[name] = str(convert(value, source_option(declared[name])))
    return dict(sorted(checked.items()))


def check_build_options(configs: Iterable[str], given: Mapping[str, Any]) -> None:
    """Refuse an option that would change nothing for the configs asked for, rather than ignore it silently.

    Args:
        configs: the configs named (none: all).
        given: the options given, by name (`None` for one not given).

    Raises:
        UsageError: `--seed` without `--max-samples`, or an option of a source (`--storm-trace`,
            `--loyalty-file`) when no config it feeds is among those named.
    """
    configs = list(configs)
    if given.get("seed") is not None and given.get("max_samples") is None:
        raise UsageError("--seed only chooses the rows of --max-samples: add --max-samples N, or drop --seed")
    from .configs import flat_of
    from .sources import SOURCES

    flats = {flat_of(name).name for name in configs if isinstance(name, str)}
    for source in SOURCES.values():
        for declared in source.options:
            fed = sorted(source.feeds)
            if given.get(declared.name) is not None and configs and not set(fed) & flats:
                named = ", ".join(configs)
                raise UsageError(
                    f"{declared.flag} applies to {', '.join(fed)}, which is not among the configs: {named}"
                )
