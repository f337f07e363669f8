"""Errors a user can meet, each with a message that says what was expected, what arrived and where.

Every problem of an input file (an upstream row, a loyalty row, an entry of a sources file) is a `Problem`,
printed by one formatter as `FILE:LINE: field 'X': what was expected`.
"""

import difflib
import errno
import os
import re
import reprlib
import stat
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any


class AptHubError(Exception):
    """Base class of every error the CLI reports as a one-line message instead of a traceback.

    Errors travel between processes whole (a worker's error is raised by the build as it was raised), whatever
    their own arguments: they pickle their message and attributes, not their constructor's arguments.
    """

    exit_status = 1  # the CLI's exit status for it: the work failed

    def __reduce__(self) -> tuple:
        return _restored, (type(self), self.args, self.__dict__)


def _restored(kind: type["AptHubError"], args: tuple, state: dict) -> "AptHubError":
    error: AptHubError = Exception.__new__(kind)
    error.args = args
    error.__dict__.update(state)
    return error


class UpstreamError(AptHubError):
    """An upstream repository or file is missing or cannot be read."""


class ConfigError(AptHubError):
    """An option, config name or source name is not valid."""


class UsageError(ConfigError):
    """A command, option or value that does not fit its declaration: unknown, missing, malformed or out of range.

    The CLI reports it in one line with exit status 2; from Python it is a `ConfigError` like any other.
    """

    exit_status = 2


def check_choice(value: str, choices: Iterable[str], flag: str) -> str:
    """`value` if it is one of `choices`; else a `UsageError` naming the choices and the closest one.

    >>> check_choice("sfty", ["sft", "dpo"], "config")
    Traceback (most recent call last):
    ...
    apt_hub.errors.UsageError: config must be one of sft, dpo; got 'sfty' (did you mean 'sft'?)
    """
    choices = list(choices)
    if value in choices:
        return value
    hint = did_you_mean(value, choices)
    if isinstance(value, str) and len(parts := [p.strip() for p in value.split(",")]) > 1:
        if all(p in choices for p in parts):  # `sft,dpo`: several values where one is taken
            hint = f" (give them as separate words: {' '.join(parts)})"
    raise UsageError(f"{flag} must be one of {', '.join(choices)}; got {value!r}{hint}")


def did_you_mean(value: Any, choices: Iterable[str]) -> str:
    """` (did you mean 'X'?)` with the choice closest to `value` whatever its case, or nothing when none is close
    (or `value` is not a string).

    >>> did_you_mean("questoin", ["answer", "question"]), did_you_mean("SFT", ["sft"]), did_you_mean("x", ["answer"])
    (" (did you mean 'question'?)", " (did you mean 'sft'?)", '')
    """
    if not isinstance(value, str):
        return ""
    folded = {choice.casefold(): choice for choice in choices}
    close = difflib.get_close_matches(value.casefold(), list(folded), n=1)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


@dataclass(frozen=True)
class Problem:
    """One located problem of an input file.

    Args:
        line: the line it is on (parquet: the row, from 1); `None` for the file as a whole.
        field: the field it concerns, if any (`task_type.minor[0]` for a nested value).
        message: what was expected, and what arrived.
        file: the file, as messages name it; may be set later with `at`.
        context: what the line holds, when the file alone does not say it (`source 'x' (entry 2)`).
    """

    line: int | None
    field: str | None
    message: str
    file: str = ""
    context: str = ""

    def at(self, file: str) -> "Problem":
        """The same problem, in `file`."""
        return replace(self, file=file)

    def format(self, file: str | None = None) -> str:
        """`FILE:LINE: field 'X': message`, with the context before the field when there is one.

        >>> Problem(3, "is_owner", "expected true or false, got \\"yes\\"").format("loyalty.jsonl")
        'loyalty.jsonl:3: field \\'is_owner\\': expected true or false, got "yes"'
        """
        where = f"{file or self.file}:{self.line}" if self.line else (file or self.file)
        label = ", ".join(part for part in (self.context, f"field {self.field!r}" if self.field else "") if part)
        return printable(f"{where}: " + (f"{label}: " if label else "") + self.message)


class ProblemsError(AptHubError):
    """Problems of one input file: one problem is one line; several are listed under a header, one a line."""

    def __init__(self, file: str, problems: list[Problem], what: str):
        self.file, self.problems = file, problems
        if len(problems) == 1:
            super().__init__(problems[0].format(file))
        else:
            lines = "\n".join(f"  {problem.format(file)}" for problem in problems)
            super().__init__(printable(f"{file}: {len(problems)} problem(s) in {what}:\n") + lines)


class BadRowError(AptHubError):
    """An upstream row is structurally broken: invalid JSON or text, a missing field or a wrong type."""

    def __init__(self, *, source: str, file: str, line: int | None, field: str | None, problem: str, name: str = ""):
        self.source, self.file, self.line, self.field, self.problem = source, file, line, field, problem
        located = Problem(line, field, problem, name or file).format()
        super().__init__(
            f"{located} (source {source!r}; fix the file, or pass --on-bad-rows skip to count such rows as dropped)"
        )


class RowProblem(AptHubError):
    """What a row mapper raises for a row it cannot map; the build adds where the row is, or counts it as dropped.

    Args:
        field: the field at fault, if one is.
        message: what was expected.
        skippable: whether `--on-bad-rows skip` may count the row as dropped; not for a problem of the code
            (a mapper answering a wrong shape, or calling `exit()`), which every row would meet.
    """

    def __init__(self, field: str | None, message: str, *, skippable: bool = True):
        self.field, self.message, self.skippable = field, message, skippable
        super().__init__(f"field {field!r}: {message}" if field else message)


def one_line(error: BaseException) -> str:
    """A library's exception as one line of at most about 200 characters (pyarrow's end with a newline).

    >>> one_line(OSError("Couldn't deserialize thrift: Invalid data\\n"))
    "Couldn't deserialize thrift: Invalid data"
    """
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 200 else f"{text[:200]}..."


def printable(text: str) -> str:
    """`text` with lone surrogates escaped (`\\ud800`), so that printing a message never fails on them.

    >>> printable("bad \\ud800 text")
    'bad \\\\ud800 text'
    """
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def short(value: Any) -> str:
    """The `repr` of a value, bounded: a few levels, items and characters, however large or deep the value.

    A YAML alias bomb or a 200,000-deep list would otherwise make a message of megabytes, or no message at all.

    >>> short("x" * 100), short([[[[[1]]]]]), short(list(range(100)))
    ("'xxxxxxxxxxxxxxxxxxxxxxxxxxx...xxxxxxxxxxxxxxxxxxxxxxxxxxxx'", '[[[[...]]]]', '[0, 1, 2, 3, 4, 5, ...]')
    """
    return printable(_SHORT.repr(value))


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 3, 60, 60
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 6


def check_input_file(path: str | Path, what: str) -> Path:
    """`path`, when it is a file to read; otherwise a `ConfigError` saying what it is instead: missing, a
    directory, or a device or pipe (`/dev/zero` would be read without end).

    >>> check_input_file("/dev/zero", "the loyalty file")
    Traceback (most recent call last):
    ...
    apt_hub.errors.ConfigError: The loyalty file /dev/zero is a character device, not a regular file
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ConfigError(f"{what[0].upper()}{what[1:]} not found: {path}") from None
    except OSError as error:
        raise ConfigError(f"Cannot read {what} {path}: {error.strerror or error}") from None
    kinds = [(stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")]
    kinds += [(stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket")]
    for test, kind in kinds:
        if test(mode):
            a_file = "a file" if kind == "a directory" else "a regular file"
            raise ConfigError(f"{what[0].upper()}{what[1:]} {path} is {kind}, not {a_file}")
    return Path(path)


def os_error_message(error: OSError) -> str:
    """An error of the file system as one line naming the path, with what to do when the disk is the cause.

    >>> os_error_message(OSError(28, "No space left on device", "out/stats.json"))
    'out/stats.json: No space left on device (the disk is full: free some space, then run this again)'
    """
    hint = _DISK_HINTS.get(error.errno or 0, "")
    if error.filename is None:
        return f"{error}{hint}"
    where = f"{error.filename} -> {error.filename2}" if error.filename2 is not None else str(error.filename)
    return f"{where}: {error.strerror or error}{hint}"


_DISK_HINTS = {
    errno.ENOSPC: " (the disk is full: free some space, then run this again)",
    errno.EDQUOT: " (the disk quota is used up: free some space, then run this again)",
    errno.EFBIG: " (larger than this process may write a file: see `ulimit -f`)",
}


# What a URL may carry that is a credential: the user and password before its host (`http://user:pass@host`,
# through the last `@` before the path, so that a password holding an `@` goes whole), and the values of query
# parameters such as `?token=`.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/\s?#]*@")
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&;](?:access_token|token|api_key|apikey|key|password|passwd|secret|signature|sig|auth)=)[^&#\s'\"]*",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with the credentials of every URL in it taken out: the user and password before the host, and the
    value of a query parameter that holds a secret. Every URL apt-hub records (`build.json`, the card) or prints
    goes through it, so that a mirror's password (`HF_ENDPOINT=https://user:pass@mirror`) never leaves the machine.

    >>> redact("Cannot read https://me:s3cr@t@mirror.example/api/x?token=abc&a=1: 401")
    'Cannot read https://mirror.example/api/x?token=***&a=1: 401'
    """
    return _SECRET_QUERY.sub(r"\g<key>***", _USERINFO.sub(r"\g<scheme>", text))
