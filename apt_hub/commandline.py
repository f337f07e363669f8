"""Command lines read against a command's own signature, before the command runs.

`fire` runs a function with the arguments it recognises and complains about the rest afterwards, turns `no` into a
true boolean and types values by their look (`--revision=1234567` is an int). Here each command's signature and
docstring are read with `inspect`: every flag is checked and every value converted to the parameter's type first,
so that a mistyped flag stops with one line (exit status 2) and nothing else happens.
"""

import difflib
import inspect
import math
import re
import textwrap
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import AptHubError

TRUE, FALSE = ("true", "yes", "1"), ("false", "no", "0")


class UsageError(AptHubError):
    """A command line that does not match the command: unknown flag, missing or malformed value."""


@dataclass(frozen=True)
class Option:
    """One parameter of a command as the command line spells it.

    Args:
        parameter: the Python parameter it fills.
        flag: the flag, with dashes (`--build-dir`).
        kind: the value type: `bool`, `int`, `float` or `str`.
        choices: the allowed values of a `Literal` parameter, else empty.
        default: the parameter's default (`inspect.Parameter.empty` when required).
        help: its line of the docstring's `Args:`.
        aliases: other flags accepted for it.
    """

    parameter: str
    flag: str
    kind: type
    choices: tuple[str, ...] = ()
    default: Any = inspect.Parameter.empty
    help: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def metavar(self) -> str:
        if self.choices:
            return "|".join(self.choices)
        return {int: "N", float: "NUMBER"}.get(self.kind) or self.flag.removeprefix("--").replace("-", "_").upper()


@dataclass
class Spec:
    """What a command accepts: its positional arguments, its flags, and the text of its help."""

    name: str
    function: Callable
    summary: str
    positionals: list[Option] = field(default_factory=list)
    variadic: Option | None = None
    options: dict[str, Option] = field(default_factory=dict)  # by flag and alias, without the dashes

    @classmethod
    def of(cls, name: str, function: Callable, flags: Mapping[str, tuple[str, ...]] | None = None) -> "Spec":
        """Read a command's signature and docstring.

        Args:
            name: the command's name (`build`).
            function: the function it runs.
            flags: per parameter, the flag to show and then its aliases, without dashes; by default a parameter
                `output_dir` is `--output-dir`.
        """
        summary, helps = parse_docstring(function.__doc__ or "")
        spec = cls(name, function, summary)
        for parameter in inspect.signature(function).parameters.values():
            names = (flags or {}).get(parameter.name) or (parameter.name.replace("_", "-"),)
            kind, choices = value_type(_annotation(function, parameter))
            flag, aliases = f"--{names[0]}", tuple(f"--{n}" for n in names[1:])
            option = Option(
                parameter.name, flag, kind, choices, parameter.default, helps.get(parameter.name, ""), aliases
            )
            if parameter.kind is parameter.VAR_POSITIONAL:
                spec.variadic = option
                continue
            if parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
                spec.positionals.append(option)
            for flag in (option.flag, *option.aliases):
                spec.options[flag.removeprefix("--")] = option
        return spec

    def parse(self, args: list[str]) -> tuple[list[Any], dict[str, Any]]:
        """Read a command line into the values of the command's parameters, converted to their types.

        Args:
            args: the command line after the command's name.

        Returns:
            The values of the variadic parameter (`*configs`), and every other value by parameter name, positional
            arguments included: the call is `function(*values, **given)`.

        Raises:
            UsageError: an unknown flag, a flag given twice, a value of the wrong type, a missing or extra argument.
        """
        words: list[str] = []
        given: dict[str, Any] = {}
        index = 0
        while index < len(args):
            arg = args[index]
            index += 1
            if arg == "--":
                words += args[index:]
                break
            if not arg.startswith("-") or arg == "-" or _is_number(arg):
                words.append(arg)
                continue
            option, value = self._option(arg)
            if value is None and option.kind is bool:
                if index < len(args) and args[index].lower() in TRUE + FALSE:
                    value, index = args[index], index + 1
                else:
                    value = "true"
            elif value is None:
                if index >= len(args) or args[index].startswith("--"):
                    raise UsageError(f"{option.flag} needs a value ({option.metavar})")
                value, index = args[index], index + 1
            if option.parameter in given:
                raise UsageError(f"{option.flag} is given twice")
            given[option.parameter] = convert(value, option)
        return self._positional(words, given), given

    def _option(self, arg: str) -> tuple[Option, str | None]:
        """The option of `--flag` or `--flag=value`, and the value when given with `=`."""
        name, equals, value = arg.partition("=")
        key = name.lstrip("-").replace("_", "-")
        if name.startswith("--") and key in self.options:
            return self.options[key], value if equals else None
        if not name.startswith("--"):
            raise UsageError(
                f"unknown option {name}: the only short option is -h; apt-hub {self.name} --help lists them"
            )
        known = sorted({option.flag for option in self.options.values()} | {"--help"})
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else f"; apt-hub {self.name} --help lists them"
        raise UsageError(f"unknown option {name}{hint}")

    def _positional(self, words: list[str], given: dict[str, Any]) -> list[Any]:
        """Fill the positional parameters not given as flags from `words` (into `given`); the variadic values."""
        if self.variadic is not None:
            values = [convert(word, self.variadic) for word in words]
        else:
            free = [option for option in self.positionals if option.parameter not in given]
            if len(words) > len(free):
                takes = " ".join(f"[{_placeholder(o)}]" for o in free) or "no argument"
                raise UsageError(f"apt-hub {self.name} takes {takes}; unexpected: {' '.join(words[len(free) :])}")
            given.update({o.parameter: convert(word, o) for o, word in zip(free, words, strict=False)})
            values = []
        for option in dict.fromkeys([*self.positionals, *self.options.values()]):
            if option.default is inspect.Parameter.empty and option.parameter not in given:
                needed = _placeholder(option) if option in self.positionals else f"{option.flag} {option.metavar}"
                raise UsageError(f"apt-hub {self.name} needs {needed}")
        return values

    def help(self) -> str:
        """The `--help` text: usage, summary, arguments and options with their defaults, in the flags' spelling."""
        usage = [f"apt-hub {self.name}"]
        usage += [
            _placeholder(o) if o.default is inspect.Parameter.empty else f"[{_placeholder(o)}]"
            for o in self.positionals
        ]
        if self.variadic:
            usage.append(f"[{_placeholder(self.variadic)} ...]")
        usage.append("[OPTIONS]" if self.options else "")
        lines = ["usage: " + " ".join(filter(None, usage)), "", self.summary]
        arguments = [(f"{_placeholder(o)}", o.help) for o in [*self.positionals, *filter(None, [self.variadic])]]
        if arguments:
            lines += ["", "Arguments:", *_table(arguments)]
        options = [(_flag_usage(o), _option_help(o)) for o in dict.fromkeys(self.options.values())]
        lines += ["", "Options:", *_table([*options, ("-h, --help", "show this help")])]
        return "\n".join(lines)


def os_error_message(error: OSError) -> str:
    """An error of the file system as one line naming the path: `out/stats.json: Permission denied`."""
    if error.filename is None:
        return str(error)
    where = f"{error.filename} -> {error.filename2}" if error.filename2 is not None else str(error.filename)
    return f"{where}: {error.strerror or error}"


def value_type(hint: Any) -> tuple[type, tuple[str, ...]]:
    """The value type of an annotation and its choices: `int | None` is `int`, `Literal["a", "b"]` is `str`."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
    if typing.get_origin(hint) is Literal:
        return str, tuple(str(choice) for choice in typing.get_args(hint))
    return (hint, ()) if hint in (bool, int, float) else (str, ())


def convert(value: str, option: Option) -> Any:
    """A command-line word as the parameter's type.

    Raises:
        UsageError: the word is not a value of that type; the message names the flag.
    """
    if option.kind is bool:
        if value.lower() in TRUE + FALSE:
            return value.lower() in TRUE
        raise UsageError(f"{option.flag} expects true or false (also yes/no, 1/0), got {value!r}")
    if option.kind is int:
        return _whole(value, option.flag)
    if option.kind is float:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            raise UsageError(f"{option.flag} expects a finite number, got {value!r}")
        return number
    if option.choices and value not in option.choices:
        close = difflib.get_close_matches(value, option.choices, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"{option.flag} must be one of {', '.join(option.choices)}; got {value!r}{hint}")
    return value


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


def _annotation(function: Callable, parameter: inspect.Parameter) -> Any:
    """A parameter's annotation, evaluated when it is a string (postponed annotations); `str` when it has none."""
    hint = parameter.annotation
    if hint is inspect.Parameter.empty:
        return str
    if isinstance(hint, str):
        try:
            return eval(hint, getattr(function, "__globals__", {}))  # the package's own annotation, not user input
        except Exception:
            return str
    return hint


def _whole(value: str, flag: str) -> int:
    """A whole number; `7.0` is accepted as 7, as the commands always did."""
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if number.is_integer():
        return int(number)
    raise UsageError(f"{flag} expects a whole number, got {value!r}")


def _is_number(arg: str) -> bool:
    try:
        float(arg)
    except ValueError:
        return False
    return True


def _placeholder(option: Option) -> str:
    return option.flag.removeprefix("--").replace("-", "_").upper()


def _flag_usage(option: Option) -> str:
    return option.flag if option.kind is bool else f"{option.flag} {option.metavar}"


def _option_help(option: Option) -> str:
    notes = []
    if option.default is inspect.Parameter.empty:
        notes.append("required")
    elif option.kind is bool:
        notes.append(f"a switch: {option.flag}, or {option.flag}=yes|no")
    elif option.default is not None and "default" not in option.help:
        notes.append(f"default: {option.default}")
    notes += [f"also {alias}" for alias in option.aliases]
    return option.help + (f" ({'; '.join(notes)})" if notes else "")


def _table(rows: list[tuple[str, str]]) -> list[str]:
    """Two columns, the right one wrapped to 100 characters; a left cell too wide gets a line of its own."""
    width = min(max(len(left) for left, _ in rows), 28)
    lines = []
    for left, right in rows:
        wrapped = textwrap.wrap(right, 98 - width) or [""]
        lines += [f"  {left}"] if len(left) > width else []
        first = "" if len(left) > width else left
        lines += [f"  {first if i == 0 else '':{width}}  {text}".rstrip() for i, text in enumerate(wrapped)]
    return lines
