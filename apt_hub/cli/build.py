"""`apt-hub build`: its flags are the build options, declared once in `apt_hub.options` and given to the command
here, when the command is loaded."""

import inspect
from collections.abc import Callable
from typing import Any, Literal

from ..commandline import UsageError
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
