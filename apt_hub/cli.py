"""The `apt-hub` command line, built with fire: each command is a function whose docstring is its `--help`."""

import importlib
import inspect
import sys
from collections.abc import Callable

import fire

from .errors import AptHubError
from .layout import DEFAULT_OUTPUT_DIR


def build_command(
    *configs: str,
    output_dir: str = DEFAULT_OUTPUT_DIR,
    sources_file: str | None = None,
    num_proc: int | None = None,
    **options,
) -> str:
    """Build configs (sft, ruozhiba, dpo, storm, loyalty; none named: all) into the Hub layout.

    Args:
        configs: the configs to build; none means all of them.
        output_dir: the build folder; configs not built keep their files.
        sources_file: a YAML or TOML file of your own sources (default: ./apt-sources.yaml, .yml or .toml).
        num_proc: processes converting a config (default: the cores, up to 4, for 32 MB of upstream or more).
    """
    from .build import build, format_report  # here, not at the top: `datasets` takes a second to import
    from .options import whole_number

    report = build(
        configs,
        output_dir=output_dir,
        sources_file=sources_file,
        num_proc=whole_number(num_proc, "--num-proc"),
        **options,
    )
    return format_report(report)


def _declare_options(command: Callable) -> None:
    """Give a command taking `**options` the build options as its flags, with their defaults and help, from where
    they are declared (`apt_hub.options`): fire then lists them in `--help` and refuses any other flag."""
    from .options import option_defaults, option_docs

    signature = inspect.signature(command)
    kept = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    flags = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d) for n, d in option_defaults().items()]
    command.__signature__ = signature.replace(parameters=[*kept, *flags])
    help_lines = "".join(f"\n        {name}: {doc}" for name, doc in option_docs().items())
    command.__doc__ = command.__doc__.rstrip() + help_lines + "\n"  # after the Args the function has


_declare_options(build_command)


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
