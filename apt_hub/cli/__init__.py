"""The `apt-hub` command line, on fire: fire splits the command line into a command, its words and its flags; each
command's declaration (`apt_hub.options.Spec`) checks and converts them once, before the command runs.

fire hands every value over as the text that was typed (`SetParseFn(str)`): it never guesses a type (`1234567`
stays a text where a text is declared, `no` is false only where a switch is). A command line that does not fit is
one line on stderr and exit status 2; a command that fails on its input is exit status 1.
"""

import ast
import difflib
import importlib
import importlib.util
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import AptHubError, os_error_message, redact
from ..options import Spec, UsageError, parse_docstring

# Each command as "module:function": only the command that runs is imported, so that `apt-hub stats` or
# `apt-hub validate` do not wait for `datasets` to load.
COMMANDS = {
    "build": "apt_hub.cli.build:build_command",
    "sources": "apt_hub.cli.commands:sources_command",
    "stats": "apt_hub.cli.commands:stats_command",
    "card": "apt_hub.cli.commands:card_command",
    "publish": "apt_hub.cli.commands:publish_command",
    "loyalty-template": "apt_hub.cli.commands:template_command",
    "validate": "apt_hub.cli.commands:validate_command",
    "export": "apt_hub.cli.commands:export_command",
    "merge": "apt_hub.cli.commands:merge_command",
    "diff": "apt_hub.cli.commands:diff_command",
    "menu": "apt_hub.cli.commands:menu_command",
}

# The build folder is --build-dir in every command; the commands that called it --output-dir still accept that.
BUILD_DIR = ("build-dir", "output-dir")
FLAGS = {name: {"output_dir": BUILD_DIR} for name in ("build", "stats", "card", "publish")}


def load_command(name: str) -> Callable[..., Any]:
    """The function of a command, imported on demand."""
    module, function = COMMANDS[name].split(":")
    return getattr(importlib.import_module(module), function)


def command_spec(name: str) -> Spec:
    """What a command accepts, read from its declaration: its signature and docstring."""
    return Spec.of(name, load_command(name), FLAGS.get(name))


def command_summary(name: str) -> str:
    """The first paragraph of a command's docstring, read from its source: importing every command would take
    seconds (`datasets`, `polars`)."""
    module, function = COMMANDS[name].split(":")
    found = importlib.util.find_spec(module)
    assert found is not None and found.origin is not None, module
    tree = ast.parse(Path(found.origin).read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    return parse_docstring(ast.get_docstring(node) or "")[0]


def overview() -> str:
    """The help of `apt-hub` itself: every command with its summary."""
    lines = [f"usage: apt-hub COMMAND [ARGS] [OPTIONS]    (apt-hub {__version__})", "", "Commands:"]
    lines += [f"  {name:<17} {command_summary(name)}" for name in COMMANDS]
    lines += ["", "apt-hub COMMAND --help shows a command's arguments and options; apt-hub --version its version."]
    return "\n".join(lines)


def run(args: list[str]) -> int:
    """Run a command line: fire finds the command and splits its words and flags, the declaration binds them;
    returns the exit status of a command that did its work (`apt-hub diff`: 1 when the sides differ).

    Raises:
        UsageError: the command line does not fit the command; nothing ran.
    """
    import fire

    if not args or args[0] in ("-h", "--help"):
        print(overview())
        return 0
    if args[0] == "--version":
        print(f"apt-hub {__version__}")
        return 0
    name = args[0]
    if name not in COMMANDS:
        close = difflib.get_close_matches(name, list(COMMANDS), n=1)
        what = "option" if name.startswith("-") else "command"
        hint = f" (did you mean {close[0]}?)" if close else "; apt-hub --help lists the commands"
        raise UsageError(f"unknown {what} {name}{hint}")
    spec = command_spec(name)
    if "-h" in args[1:] or "--help" in args[1:]:
        print(spec.help())
        return 0
    check_words(spec, args[1:])
    result = fire.Fire({name: bound(spec)}, command=list(args), name="apt-hub")
    return int(getattr(result, "exit_status", 0))


def bound(spec: Spec) -> Callable[..., Any]:
    """The command as fire calls it: every word and flag, as typed, checked and converted by the declaration."""
    import fire

    @fire.decorators.SetParseFn(str)
    def command(*words: str, **flags: str) -> Any:
        values, given = spec.bind(words, flags)
        result = spec.function(*values, **given)
        if isinstance(result, str) and hasattr(result, "exit_status"):
            shown = type(result)(redact(result))
            shown.exit_status = result.exit_status  # type: ignore[attr-defined]
            return shown
        return redact(result) if isinstance(result, str) else result

    command.__name__ = command.__qualname__ = spec.function.__name__
    return command


def check_words(spec: Spec, args: list[str]) -> None:
    """What fire would take otherwise than it was meant, refused before it runs: a short option (fire takes `-n`
    for any option starting with n), an option given twice (fire keeps the last), an option that takes a value
    given none (fire makes it true), and `--` or `-` (fire's own separators).

    Raises:
        UsageError: the first of these, in one line.
    """
    seen: set[str] = set()
    for index, arg in enumerate(args):
        if arg in ("--", "-"):
            raise UsageError(
                f"apt-hub {spec.name} takes no {arg!r}: give each argument as it is, each option as --NAME"
            )
        if not _is_flag(arg):
            continue
        if not arg.startswith("--"):
            raise UsageError(
                f"unknown option {arg}: the only short option is -h; apt-hub {spec.name} --help lists them"
            )
        flag, equals, _ = arg.partition("=")
        declared = spec.option(flag)
        if declared.parameter in seen:
            raise UsageError(f"{declared.flag} is given twice")
        seen.add(declared.parameter)
        bare = not equals and (index + 1 == len(args) or _is_flag(args[index + 1]))
        if bare and declared.kind is not bool:
            raise UsageError(f"{declared.flag} needs a value ({declared.metavar})")


def _is_flag(arg: str) -> bool:
    """Whether fire takes a word for a flag: a dash then a letter, or two dashes (a negative number is a value)."""
    return arg.startswith("--") or bool(re.match(r"-[A-Za-z]", arg))


def __getattr__(name: str) -> Any:
    """`build_command`, from `apt_hub.cli.build`, loaded when first asked for: its flags come from the build
    options, whose declarations import every source."""
    if name == "build_command":
        from . import build

        return build.build_command
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> int:
    """Run `apt-hub`; returns the exit status: 0, 1 for an error of the input (or `apt-hub diff`'s sides differ),
    2 for a wrong command line (or a side `apt-hub diff` cannot read, as `diff` answers trouble)."""
    from fire.core import FireExit

    try:
        status = run(sys.argv[1:] if argv is None else list(argv))
    except AptHubError as error:  # 2 for a usage error, 1 for work that failed; `apt-hub diff`'s trouble 2
        print(f"error: {redact(str(error))}", file=sys.stderr)
        return error.exit_status
    except FireExit as error:  # fire's own usage errors, which the checks above leave none of
        return int(error.code or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except MemoryError:  # what the system would give is used up: say so, without a traceback of where it happened
        print(
            "error: out of memory: the system gave apt-hub no more; free some memory, or build fewer rows at once "
            "(--num-proc 1, --max-samples N)",
            file=sys.stderr,
        )
        return 1
    except BrokenPipeError:  # `apt-hub --help | head`: the reader left, which is no error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:  # a read-only or unwritable folder, a file where a folder should be, a full disk
        print(f"error: {redact(os_error_message(error))}", file=sys.stderr)
        return 1
    return status
