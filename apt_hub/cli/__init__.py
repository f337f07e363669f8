"""The `apt-hub` command line: each command is a function whose signature is checked before it runs, whose
docstring is its `--help`, and which fire calls with the values already converted."""

import ast
import difflib
import importlib
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fire

from .. import __version__
from ..commandline import Spec, UsageError, os_error_message, parse_docstring
from ..errors import AptHubError


def sources_command(sources_file: str | None = None) -> str:
    """List the sources: Hub repository, pinned revision, files read per config and split, license.

    Args:
        sources_file: a YAML or TOML file of your own sources (default: ./apt-sources.yaml, .yml or .toml).
    """
    from ..sources import SOURCES
    from ..sources.custom import describe_custom, use_sources_file

    use_sources_file(sources_file)
    lines = []
    for source in SOURCES.values():
        kind = describe_custom(source)
        lines.append(f"{source.name}  {source.location}  license: {source.license}  ({kind})")
        for config, splits in source.feeds.items():
            for split, patterns in splits.items():
                lines.append(f"    {config}/{split}: {', '.join(patterns) or source.location}")
    return "\n".join(lines)


# Each command as "module:function": only the command that runs is imported, so that `apt-hub stats` or
# `apt-hub validate` do not wait for `datasets` to load.
COMMANDS = {
    "build": "apt_hub.cli.build:build_command",
    "sources": "apt_hub.cli:sources_command",
    "stats": "apt_hub.cli.commands:stats_command",
    "card": "apt_hub.card:card_command",
    "publish": "apt_hub.publish:publish_command",
    "loyalty-template": "apt_hub.loyalty.template:template_command",
    "validate": "apt_hub.loyalty:validate_command",
    "export": "apt_hub.export:export_command",
    "merge": "apt_hub.merge:merge_command",
    "menu": "apt_hub.cli.menu:menu_command",
}

# The build folder is --build-dir in every command; the commands that called it --output-dir still accept that.
BUILD_DIR = ("build-dir", "output-dir")
FLAGS = {name: {"output_dir": BUILD_DIR} for name in ("build", "stats", "card", "publish")}


def load_command(name: str) -> Callable:
    """The function of a command, imported on demand."""
    module, function = COMMANDS[name].split(":")
    return getattr(importlib.import_module(module), function)


def command_spec(name: str) -> Spec:
    """What a command accepts, read from its signature and docstring."""
    return Spec.of(name, load_command(name), FLAGS.get(name))


def command_summary(name: str) -> str:
    """The first paragraph of a command's docstring, read from its source: importing every command would take
    seconds (`datasets`, `polars`)."""
    module, function = COMMANDS[name].split(":")
    tree = ast.parse(Path(importlib.util.find_spec(module).origin).read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == function)
    return parse_docstring(ast.get_docstring(node) or "")[0]


def overview() -> str:
    """The help of `apt-hub` itself: every command with its summary."""
    lines = [f"usage: apt-hub COMMAND [ARGS] [OPTIONS]    (apt-hub {__version__})", "", "Commands:"]
    lines += [f"  {name:<17} {command_summary(name)}" for name in COMMANDS]
    lines += ["", "apt-hub COMMAND --help shows a command's arguments and options; apt-hub --version its version."]
    return "\n".join(lines)


def run(args: list[str]) -> None:
    """Check a command line against its command, then let fire call the command with the converted values.

    Raises:
        UsageError: the command line does not match the command; nothing ran.
    """
    if not args or args[0] in ("-h", "--help"):
        print(overview())
        return
    if args[0] == "--version":
        print(f"apt-hub {__version__}")
        return
    name = args[0]
    if name not in COMMANDS:
        close = difflib.get_close_matches(name, list(COMMANDS), n=1)
        what = "option" if name.startswith("-") else "command"
        hint = f" (did you mean {close[0]}?)" if close else "; apt-hub --help lists the commands"
        raise UsageError(f"unknown {what} {name}{hint}")
    spec = command_spec(name)
    options = args[1 : args.index("--")] if "--" in args else args[1:]
    if "-h" in options or "--help" in options:
        print(spec.help())
        return
    values, given = spec.parse(args[1:])
    # Every value goes to fire as a Python literal, so that fire's own typing (`no` is a true string) never applies.
    command = [repr(value) for value in values] + [f"--{key}={value!r}" for key, value in given.items()]
    fire.Fire(spec.function, command=command, name=f"apt-hub {name}")


def __getattr__(name: str) -> Any:
    """`build_command` and `check_build_options`, from `apt_hub.cli.build`, loaded when first asked for: their
    flags come from the build options, whose declarations import every source."""
    if name in ("build_command", "check_build_options"):
        from . import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main(argv: list[str] | None = None) -> int:
    """Run `apt-hub`; returns the exit status: 0, 1 for an error of the input, 2 for a wrong command line."""
    try:
        run(sys.argv[1:] if argv is None else list(argv))
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except AptHubError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `apt-hub --help | head`: the reader left, which is no error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as error:  # a read-only or unwritable folder, a file where a folder should be, a full disk
        print(f"error: {os_error_message(error)}", file=sys.stderr)
        return 1
    return 0
