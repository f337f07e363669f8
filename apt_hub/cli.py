"""The `apt-hub` command line, built with fire: each command is a function whose docstring is its `--help`."""

import importlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import fire

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
    seed: int = 42,
    loyalty_file: str | None = None,
    on_bad_rows: str = "error",
    storm_trace: str = "deepseek",
    sources_file: str | None = None,
    num_proc: int | None = None,
) -> str:
    """Build configs (sft, ruozhiba, dpo, storm, loyalty, and the *_chat twins; none named: all) into the Hub layout.

    Args:
        configs: the configs to build; none means all of them.
        output_dir: the build folder; configs not built keep their files.
        upstream: hub (the Hugging Face Hub or HF_ENDPOINT), samples (the bundled mirror), or a directory
            laid out like the Hub: DIR/<org>/<name>/<path in repo>.
        only: comma-separated source names; only those feed the configs.
        max_samples: at most this many rows per source and split, drawn with --seed.
        seed: the seed of --max-samples draws.
        loyalty_file: the hand-edited loyalty file (JSON array or JSON Lines).
        on_bad_rows: error (stop at a broken upstream row) or skip (count it as dropped).
        storm_trace: deepseek or gemini: whose reasoning trace feeds cot_explicit.
        sources_file: a YAML or TOML file of your own sources (default: ./apt-sources.yaml, .yml or .toml).
        num_proc: processes converting a config (default: the cores, up to 4, for 32 MB of upstream or more).
    """
    from .build import build  # here, not at the top: `datasets` takes a second to import

    report = build(
        configs,
        output_dir=output_dir,
        upstream=str(upstream),
        only=only,
        max_samples=whole_number(max_samples, "--max-samples"),
        seed=whole_number(seed, "--seed"),
        loyalty_file=loyalty_file,
        on_bad_rows=on_bad_rows,
        storm_trace=storm_trace,
        sources_file=sources_file,
        num_proc=whole_number(num_proc, "--num-proc"),
    )
    return format_report(report)


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


def load_command(name: str) -> Callable:
    """The function of a command, imported on demand."""
    module, function = COMMANDS[name].split(":")
    return getattr(importlib.import_module(module), function)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    names = [args[0]] if args and args[0] in COMMANDS else list(COMMANDS)
    try:
        fire.Fire({name: load_command(name) for name in names}, command=args, name="apt-hub")
    except AptHubError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
