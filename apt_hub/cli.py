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
from typing import TYPE_CHECKING, Literal

import fire

from . import __version__
from .commandline import Spec, UsageError, parse_docstring
from .errors import AptHubError
from .layout import DEFAULT_OUTPUT_DIR

if TYPE_CHECKING:
    from .build import BuildReport


def build_command(
    *configs: str,
    output_dir: str = DEFAULT_OUTPUT_DIR,
    upstream: str = "hub",
    only: str | None = None,
    max_samples: int | None = None,
    seed: int | None = None,
    loyalty_file: str | None = None,
    on_bad_rows: Literal["error", "skip"] = "error",
    storm_trace: Literal["deepseek", "gemini"] | None = None,
    sources_file: str | None = None,
    num_proc: int | None = None,
) -> str:
    """Build configs (sft, ruozhiba, dpo, storm, loyalty; none named: all) into the Hub layout.

    Args:
        configs: the configs to build; none means all of them.
        output_dir: the build folder; configs not built keep their files.
        upstream: hub (the Hugging Face Hub or HF_ENDPOINT), samples (the bundled mirror), or a directory
            laid out like the Hub: DIR/<org>/<name>/<path in repo>.
        only: comma-separated source names; only those feed the configs.
        max_samples: at most this many rows per source and split, drawn with --seed.
        seed: the seed of --max-samples draws (default 42).
        loyalty_file: the hand-edited loyalty file (JSON array or JSON Lines), for the loyalty config.
        on_bad_rows: error (stop at a broken upstream row) or skip (count it as dropped).
        storm_trace: whose reasoning trace feeds cot_explicit in the storm config (default deepseek).
        sources_file: a YAML or TOML file of your own sources (default: ./apt-sources.yaml, .yml or .toml).
        num_proc: processes converting a config (default: the cores, up to 4, for 32 MB of upstream or more).
    """
    check_build_options(
        configs, seed=seed, max_samples=max_samples, storm_trace=storm_trace, loyalty_file=loyalty_file
    )
    from .build import build  # here, not at the top: `datasets` takes a second to import

    report = build(
        configs,
        output_dir=output_dir,
        upstream=str(upstream),
        only=only,
        max_samples=whole_number(max_samples, "--max-samples"),
        seed=42 if seed is None else whole_number(seed, "--seed"),
        loyalty_file=loyalty_file,
        on_bad_rows=on_bad_rows,
        storm_trace=storm_trace or "deepseek",
        sources_file=sources_file,
        num_proc=whole_number(num_proc, "--num-proc"),
    )
    return format_report(report)


def check_build_options(configs: tuple[str, ...], **given) -> None:
    """Refuse an option that would change nothing for the configs asked for, rather than ignore it silently.

    Raises:
        UsageError: `--seed` without `--max-samples`, `--storm-trace` without storm, `--loyalty-file` without
            loyalty among the configs named.
    """
    if given["seed"] is not None and given["max_samples"] is None:
        raise UsageError("--seed only chooses the rows of --max-samples: add --max-samples N, or drop --seed")
    for flag, config in (("--storm-trace", "storm"), ("--loyalty-file", "loyalty")):
        if given[flag.removeprefix("--").replace("-", "_")] is not None and configs and config not in configs:
            raise UsageError(f"{flag} applies to the {config} config, which is not among {', '.join(configs)}")


def sources_command(sources_file: str | None = None) -> str:
    """List the sources: Hub repository, pinned revision, files read per config and split, license.

    Args:
        sources_file: a YAML or TOML file of your own sources (default: ./apt-sources.yaml, .yml or .toml).
    """
    from .custom_sources import describe_custom, use_sources_file
    from .sources import SOURCES

    use_sources_file(sources_file)
    lines = []
    for source in SOURCES.values():
        kind = describe_custom(source)
        lines.append(f"{source.name}  {source.repo_id}@{source.revision}  license: {source.license}  ({kind})")
        for config, splits in source.feeds.items():
            for split, patterns in splits.items():
                lines.append(f"    {config}/{split}: {', '.join(patterns)}")
    return "\n".join(lines)


def format_report(report: "BuildReport") -> str:
    """A short summary of a build: rows per config and split, drops by reason, and how to load it."""
    lines = [f"Built {', '.join(report.configs) or 'nothing'} into {report.output_dir}"]
    for config, entry in report.configs.items():
        for split, info in entry["splits"].items():
            drops: dict[str, int] = {}
            for counts in entry["counts"].get(split, {}).values():
                for key, n in counts.items():
                    if key.startswith("dropped_"):
                        drops[key.removeprefix("dropped_")] = drops.get(key.removeprefix("dropped_"), 0) + n
            dropped = ", ".join(f"{reason} {n}" for reason, n in sorted(drops.items()))
            lines.append(f"  {config}/{split}: {info['rows']} rows" + (f" (dropped: {dropped})" if dropped else ""))
    lines += [f"  note: {note}" for note in report.notes]
    if report.configs:
        first = next(iter(report.configs))
        lines.append(f'Load it: datasets.load_dataset("{report.output_dir}", "{first}")')
    return "\n".join(lines)


def whole_number(value, option: str) -> int | None:
    """Fire turns `--seed=7` into an int but `--seed=7.0` into a float and `--seed=x` into a string."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise AptHubError(f"{option} expects a whole number, got {value!r}")


# Each command as "module:function": only the command that runs is imported, so that `apt-hub stats` or
# `apt-hub validate` do not wait for `datasets` to load.
COMMANDS = {
    "build": "apt_hub.cli:build_command",
    "sources": "apt_hub.cli:sources_command",
    "stats": "apt_hub.stats:stats_command",
    "card": "apt_hub.card:card_command",
    "publish": "apt_hub.publish:publish_command",
    "loyalty-template": "apt_hub.template:template_command",
    "validate": "apt_hub.loyalty:validate_command",
    "export": "apt_hub.export:export_command",
    "merge": "apt_hub.merge:merge_command",
    "menu": "apt_hub.menu:menu_command",
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


def os_error_message(error: OSError) -> str:
    """An error of the file system as one line naming the path: `out/stats.json: Permission denied`."""
    if error.filename is None:
        return str(error)
    where = f"{error.filename} -> {error.filename2}" if error.filename2 is not None else str(error.filename)
    return f"{where}: {error.strerror or error}"


if __name__ == "__main__":
    sys.exit(main())
