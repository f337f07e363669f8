"""The options of a build, declared once: the builder config, `build()`, the CLI, the menu and the card read them here.

`BuildOptions` holds the options every build has. A source declares its own (s1K's `storm_trace`, the loyalty
file's `loyalty_file`) on its `Source`; they travel in `BuildOptions.source_options` and are checked against the
declaring source, so adding an option is one edit: a field here, or an `Option` on the source.
"""

import inspect
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

from .clean.checks import dropped_checks
from .errors import ConfigError
from .sources import Source, declared_options, get_source

OnBadRows = Literal["error", "skip"]


@dataclass(frozen=True, kw_only=True)
class BuildOptions:
    """The options that decide which rows a build writes; `build.json` and the card record them.

    Args:
        upstream: hub (the Hugging Face Hub or HF_ENDPOINT), samples (the bundled mirror), or a directory
            laid out like the Hub: DIR/<org>/<name>/<path in repo>.
        only: comma-separated source names; only those feed the configs.
        max_samples: at most this many rows per source and split, drawn with --seed.
        seed: the seed of --max-samples draws.
        on_bad_rows: error (stop at a structurally broken upstream row) or skip (count it as dropped).
        drop: comma-separated quality checks whose rows are dropped instead of kept and flagged (graded_wrong, ...).
        keep: comma-separated quality checks whose rows are kept and flagged instead of dropped (test_overlap, ...).
        decontaminate: comma-separated benchmarks, org/name[:config:split:column], PATH.jsonl:column or
            PATH.parquet:column; a row whose prompt shares an n-gram with one is dropped.
        source_options: the values of the options the sources declare, by name (see `Source.options`).
    """

    upstream: str = "hub"
    only: tuple[str, ...] | None = None
    max_samples: int | None = None
    seed: int = 42
    on_bad_rows: OnBadRows = "error"
    drop: tuple[str, ...] | None = None
    keep: tuple[str, ...] | None = None
    decontaminate: tuple[str, ...] | None = None
    source_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        # Values arrive from fire, the menu or Python: each is brought to its type here, once.
        coerced = {
            "upstream": str(self.upstream),
            "only": names(self.only),
            "max_samples": whole_number(self.max_samples, "max_samples"),
            "seed": whole_number(self.seed, "seed"),
            "source_options": _checked_source_options(self.source_options),
            "drop": names(self.drop),
            "keep": names(self.keep),
            "decontaminate": names(self.decontaminate),
        }
        for name, value in coerced.items():
            object.__setattr__(self, name, value)
        for name, choices in CHOICES.items():
            if getattr(self, name) not in choices:
                raise ConfigError(f"{name} must be one of {choices}, got {getattr(self, name)!r}")
        if self.max_samples is not None and self.max_samples < 1:
            raise ConfigError(f"max_samples must be a positive whole number, got {self.max_samples!r}")
        for name in self.only or ():
            get_source(name)
        dropped_checks(self.drop or (), self.keep or ())

    @property
    def dropping(self) -> frozenset[str]:
        """The quality checks that drop the rows they catch, after `drop` and `keep` (`apt_hub.clean.checks`)."""
        return dropped_checks(self.drop or (), self.keep or ())

    @classmethod
    def from_flags(cls, **flags: Any) -> "BuildOptions":
        """Options from flat keyword arguments (`seed=7, storm_trace="gemini"`), as the CLI and `build()` get them.

        Raises:
            ConfigError: an option that neither `BuildOptions` nor a registered source declares.
        """
        own = {f.name for f in fields(cls)} - {"source_options"}
        declared = declared_options()
        for name in flags:
            if name not in own and name not in declared:
                raise ConfigError(f"Unknown option {name!r}. Available: {sorted(own | set(declared))}")
        given = {name: value for name, value in flags.items() if value is not None}
        return cls(
            **{name: value for name, value in given.items() if name in own},
            source_options={name: value for name, value in given.items() if name in declared},
        )

    def for_source(self, source: Source) -> dict[str, Any]:
        """The values of the options a source declares, defaults included: what its row mapper sees."""
        return {option.name: self.source_options.get(option.name, option.default) for option in source.options}

    def local_file(self, source: Source, samples: Path) -> str | None:
        """The file of a source backed by a local file: its path option, else the bundled one under `samples`."""
        path = self.source_options.get(source.file_option)
        if path is None and self.upstream == "samples" and source.sample_file:
            return str(samples / source.sample_file)
        return path

    def record(self, label: str, sources: list[Source], files: dict[str, str]) -> dict[str, Any]:
        """The options as `build.json` records them for a config: the upstream by its `label` (no local path), and
        the options of the config's sources, a path option by the name of the file read (`files[source]`)."""
        recorded = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "source_options"}
        recorded |= {"upstream": label, "only": list(self.only or [])}
        recorded |= {name: list(getattr(self, name) or []) for name in ("drop", "keep", "decontaminate")}
        for source in sources:
            for option in source.options:
                value = files.get(source.name) if option.path else self.for_source(source)[option.name]
                recorded[option.name] = value
        return recorded


def _choices() -> dict[str, tuple[str, ...]]:
    """The closed choices of the fields typed with a `Literal`."""
    hints = get_type_hints(BuildOptions)
    return {f.name: get_args(hints[f.name]) for f in fields(BuildOptions) if get_origin(hints[f.name]) is Literal}


CHOICES = _choices()


def option_docs() -> dict[str, str]:
    """One line of help per option: the fields of `BuildOptions` (from its docstring), then the sources' options.

    >>> option_docs()["seed"]
    'the seed of --max-samples draws.'
    """
    docs: dict[str, str] = {}
    name = ""
    for line in inspect.getdoc(BuildOptions).split("Args:")[1].splitlines():
        if line.startswith("        "):  # the continuation of the field above
            docs[name] += " " + line.strip()
        elif line.strip():
            name, _, docs[name] = line.strip().partition(": ")
    del docs["source_options"]
    return docs | {name: option.doc for name, option in declared_options().items()}


def option_defaults() -> dict[str, Any]:
    """The default of every option, in the order of `option_docs`."""
    own = {f.name: f.default for f in fields(BuildOptions) if f.name != "source_options"}
    return own | {name: option.default for name, option in declared_options().items()}


def names(value: str | list | tuple | None) -> tuple[str, ...] | None:
    """Names from the CLI or Python: a comma-separated string, a list or a tuple; `None` for none.

    >>> names("sft, dpo"), names(["storm"]), names(""), names(None)
    (('sft', 'dpo'), ('storm',), None, None)
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    found = tuple(str(v).strip() for v in value if str(v).strip())
    return found or None


def whole_number(value: Any, option: str) -> int | None:
    """A whole number from fire, which turns `--seed=7` into an int but `--seed=7.0` into a float and `--seed=x`
    into a string.

    >>> whole_number(7.0, "seed"), whole_number(None, "seed")
    (7, None)
    """
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ConfigError(f"--{option.replace('_', '-').lstrip('-')} expects a whole number, got {value!r}")


def _checked_source_options(values: dict[str, Any]) -> dict[str, Any]:
    declared = declared_options()
    for name, value in values.items():
        if name not in declared:
            raise ConfigError(f"Unknown source option {name!r}. Available: {sorted(declared)}")
        if declared[name].choices and value not in declared[name].choices:
            raise ConfigError(f"{name} must be one of {declared[name].choices}, got {value!r}")
    return {name: str(value) for name, value in sorted(values.items())}
