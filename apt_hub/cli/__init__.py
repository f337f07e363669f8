"""The `apt-hub` command line: each command is a function whose signature is checked before it runs, whose
docstring is its `--help`, and which fire calls with the values already converted."""

import ast
import difflib
import importlib
import importlib.util
import inspect
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import fire

from .. import __version__
from ..commandline import Spec, UsageError, os_error_message, parse_docstring
from ..errors import AptHubError
from ..layout import DEFAULT_OUTPUT_DIR


def build_command(
    *configs: str,
    output_dir: str = DEFAULT_OUTPUT_DIR,
    sources_file: str | None = None,
    num_proc: int | None = None,
    **options,
) -> str:
    """Build configs (sft, ruozhiba, dpo, storm, loyalty, and the *_chat twins; none named: all) into the Hub layout.

    Args:
        configs: the configs to build; none means all of them.
        output_dir: the build folder; configs not built keep their files.
        sources_file: a YAML or TOML file of your own sources (default: ./apt-sources.yaml, .yml or .toml).
        num_proc: processes converting a config (default: the cores, up to 4, for 32 MB of upstream or more).
    """
    check_build_options(configs, options)
    from ..build import build, format_report  # here, not at the top: `datasets` takes a second to import
    from ..options import whole_number

    report = build(
        configs,
        output_dir=output_dir,
        sources_file=sources_file,
        num_proc=whole_number(num_proc, "--num-proc"),
        **options,
    )
    return format_report(report)


def _declare_options(command: Callable) -> None:
    """Give a command taking `**options` the build options as its flags, with their types, defaults and help, from
    where they are declared (`apt_hub.options`): the command line is checked against them before the command runs."""
    from ..options import option_defaults, option_docs

    signature = inspect.signature(command)
    kept = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    flags = [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=_option_type(n))
        for n, d in option_defaults().items()
    ]
    command.__signature__ = signature.replace(parameters=[*kept, *flags])
    help_lines = "".join(f"\n        {name}: {doc}" for name, doc in option_docs().items())
    command.__doc__ = command.__doc__.rstrip() + help_lines + "\n"  # after the Args the function has


def _option_type(name: str) -> Any:
    """The type of a build option: its field's in `BuildOptions`, or the choices of a source's option."""
    from typing import get_type_hints

    from ..options import BuildOptions
    from ..sources import declared_options

    declared = declared_options()
    if name in declared:
        return Literal[declared[name].choices] if declared[name].choices else str
    return get_type_hints(BuildOptions)[name]


_declare_options(build_command)


def check_build_options(configs: tuple[str, ...], given: dict[str, Any]) -> None:
    """Refuse an option that would change nothing for the configs asked for, rather than ignore it silently.

    Raises:
        UsageError: `--max-samples` below 1, `--seed` without `--max-samples`, or an option of a source
            (`--storm-trace`, `--loyalty-file`) when no config it feeds is among those named.
    """
    from ..sources import SOURCES

    if given.get("max_samples") is not None and given["max_samples"] < 1:  # here too, to name the flag, not the field
        raise UsageError(f"--max-samples must be a positive whole number, got {given['max_samples']}")
    if given.get("seed") is not None and given.get("max_samples") is None:
        raise UsageError("--seed only chooses the rows of --max-samples: add --max-samples N, or drop --seed")
    for source in SOURCES.values():
        for option in source.options:
            fed = sorted(source.feeds)
            if given.get(option.name) is not None and configs and not set(fed) & set(configs):
                named = ", ".join(configs)
                raise UsageError(f"{option.flag} applies to {', '.join(fed)}, which is not among the configs: {named}")


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
    "build": "apt_hub.cli:build_command",
    "sources": "apt_hub.cli:sources_command",
    "stats": "apt_hub.stats:stats_command",
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
