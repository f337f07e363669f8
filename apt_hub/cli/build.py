"""`apt-hub build`: its flags are the build options, declared once in `apt_hub.options` and given to the command
here, when the command is loaded."""

import inspect
from collections.abc import Callable
from typing import Any, Literal

from ..layout import DEFAULT_OUTPUT_DIR


def build_command(
    *configs: str,
    output_dir: str = DEFAULT_OUTPUT_DIR,
    sources_file: str | None = None,
    num_proc: int | None = None,
    allow_changed_upstream: bool = False,
    **options: Any,
) -> str:
    """Build configs (sft, ruozhiba, dpo, storm, loyalty, and the *_chat twins; none named: all) into the Hub layout.

    Args:
        configs: the configs to build; none means all of them.
        output_dir: the build folder; configs not built keep their files.
        sources_file: a YAML or TOML file of your own sources (default: ./apt-sources.yaml, .yml or .toml).
        num_proc: processes converting a config (default: the cores, up to 4, for 32 MB of upstream or more).
        allow_changed_upstream: read upstream files that differ from their source's manifest, or that it does not
            list, as they are (each a note of the summary and of build.json) instead of stopping.
    """
    from ..build import build, format_report  # here, not at the top: `datasets` takes a second to import

    report = build(
        configs,
        output_dir=output_dir,
        sources_file=sources_file,
        num_proc=num_proc,
        allow_changed_upstream=allow_changed_upstream,
        **options,
    )
    return format_report(report)


def _declare_options(command: Callable[..., Any]) -> None:
    """Give a command taking `**options` the build options as its keyword-only flags, with their types, defaults
    and help, from where they are declared (`apt_hub.options`)."""
    from ..options import option_defaults, option_docs

    signature = inspect.signature(command)
    kept = [p for p in signature.parameters.values() if p.kind is not inspect.Parameter.VAR_KEYWORD]
    flags = [
        inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=_option_type(n))
        for n, d in option_defaults().items()
    ]
    command.__signature__ = signature.replace(parameters=[*kept, *flags])  # type: ignore[attr-defined]
    help_lines = "".join(f"\n        {name}: {doc}" for name, doc in option_docs().items())
    command.__doc__ = (command.__doc__ or "").rstrip() + help_lines + "\n"  # after the Args the function has


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
