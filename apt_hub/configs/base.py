"""What a config is: its stage, its fields in file order, its duplicate rule, its checks, its twin, its old export
files, its card prose, its training recipes and the sequences a trainer sees, declared once (one module a config in
this package).

Everything else asks the declaration: the pipeline, the split checks, the twins, the card, `export`, custom
sources. `datasets` and pyarrow are imported only by the properties that build their objects: `apt-hub stats`
reads the registry without them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa
    from datasets import Features

# The field types of the unified schemas, by the name the card shows them under.
STRING, STRINGS, BOOL, FLOAT = "string", "list of strings", "bool", "float64"
MESSAGES = "list of {role, content} messages"
PAIRS = "list of string pairs"
# What the message columns of a twin hold, for the card.
TWIN_DOCS = {
    "prompt": "the conversation so far: `{role, content}` messages, user and assistant in turn, the user last",
    "completion": "one assistant message: the reference answer",
    "chosen": "one assistant message: the preferred response",
    "rejected": "one assistant message: the response that was not preferred",
}


@dataclass(frozen=True, kw_only=True)
class TrlRecipe:
    """How TRL trains on a config as it is: the trainer, what it is given, what it trains, and the code the card
    shows.

    Args:
        trainer: the trainer class (`GRPOTrainer`).
        trains: what a model is trained on with it, in a few words, for the card.
        code: the training code; `{repo_id}`, `{config}` and `{model}` are filled in.
        how: what it is given, in a few words (`rewarded with ...`); empty when the code says it all.
    """

    trainer: str
    trains: str
    code: str
    how: str = ""

    @property
    def said(self) -> str:
        """The trainer and what it is given, as the card says it: `GRPOTrainer, rewarded with ...`."""
        return ", ".join(part for part in (self.trainer, self.how) if part)


@dataclass(frozen=True, kw_only=True)
class LlamaFactoryEntry:
    """A `dataset_info.json` entry that lets LLaMA-Factory read a flat config in its `alpaca` format (`ranking` for
    a preference pair), and what it trains on.

    Args:
        columns: LLaMA-Factory's alpaca column (`prompt`, `history`, `response`, `chosen`, ...) -> the field.
        trains: what a model is trained on with it, in a few words, for the card.
        suffix: appended to `apt_<config>` to name the entry, when a config has several.
    """

    columns: Mapping[str, str]
    trains: str
    suffix: str = ""

    def name(self, config: str) -> str:
        """The entry's name in `dataset_info.json`: `apt_<config>`, then `_<suffix>` if any."""
        return "_".join(part for part in ("apt", config, self.suffix) if part)


@dataclass(frozen=True, kw_only=True)
class Derived:
    """Flat columns made from other columns of the converted rows, over whole Arrow columns, before the split
    checks: the same texts in a form another trainer reads (LLaMA-Factory's `history`). A source mapper never
    fills them.

    Args:
        fields: the columns made, among the config's `fields`.
        build: `(converted table) -> {field: array}`.
    """

    fields: tuple[str, ...]
    build: Callable[[pa.Table], dict[str, pa.Array]]


@dataclass(frozen=True, kw_only=True)
class Twin:
    """How a flat config becomes its conversational twin: message columns made from some flat texts, every other
    flat column carried over.

    Args:
        messages: the twin's message columns, in order.
        turned: the flat texts they are made from; the twin does not carry these.
        build: `(flat table) -> {message column: list array}`, vectorised over whole Arrow columns.
        recorded: columns a source mapper fills at conversion time for the twin only (the prompt turns of `dpo`);
            the flat config never shows them.
        docs: what the twin's message columns hold, for the card.
        trl: how TRL trains on the twin, one recipe per trainer.
        reason: why TRL users take the twin rather than the flat config, in one line, for the card.
        sequences: the twin's `Config.sequences`, in its message columns.
    """

    messages: tuple[str, ...]
    turned: tuple[str, ...]
    build: Callable[[pa.Table], dict[str, pa.Array]]
    recorded: tuple[str, ...] = ()
    docs: Mapping[str, str] = field(default_factory=dict)
    trl: tuple[TrlRecipe, ...] = ()
    reason: str = ""
    sequences: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, kw_only=True)
class Export:
    """The old APT tool's JSON files of a config: their fields, in their old order, and whether one file is written
    per source (`coig-cqia_train.json`) or per config (`ruozhiba_train.json`)."""

    fields: tuple[str, ...]
    per_source: bool


@dataclass(frozen=True, kw_only=True)
class Config:
    """One config of the build: a flat config of an APT stage, or the conversational twin of one.

    Args:
        name: the config name (`load_dataset(repo, name)`).
        stage: the APT stage that reads it.
        purpose: one sentence for the card.
        tags: the Hub tags it adds to the card.
        fields: `(name, type)` of every column, in file order: the trainer's fields first, then `id` and extras.
        unified: the fields the APT trainer reads (its contract; never renamed).
        docs: what a field holds in this config, where the card's generic text is not enough.
        duplicate: the texts two rows are compared on by the duplicate rule.
        prompt: the field compared by `duplicate_prompt` and `test_overlap`.
        pair: the preference pair compared by `prefix_pair`.
        trimmed: the texts whose outer white space is trimmed.
        checks: the quality checks that look at its rows (`apt_hub.clean.checks.CHECKS`).
        export: its old JSON files (`apt-hub export`); `None` for a config the old tool had no file for.
        twin: how its conversational twin is made; `None` for none.
        custom: the fields a custom source feeding it must give; empty when no custom source may feed it.
        trl: how TRL trains on it as it is, one recipe per trainer; none when TRL takes its twin.
        llama_factory: the `dataset_info.json` entries LLaMA-Factory reads it with; none when it cannot read it.
        derived: the columns made from its other columns after conversion; `None` for none.
        sequences: the texts of each sequence a trainer sees in a row (the prompt and one response); a row is as
            long as its longest, for the card's token counts.
        flat: for a twin, the flat config it is made from.
    """

    name: str
    stage: str
    purpose: str
    tags: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]
    unified: tuple[str, ...]
    docs: Mapping[str, str] = field(default_factory=dict)
    duplicate: tuple[str, ...] = ()
    prompt: str = "prompt"
    pair: tuple[str, str] | None = None
    trimmed: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()
    export: Export | None = None
    twin: Twin | None = None
    custom: tuple[str, ...] = ()
    trl: tuple[TrlRecipe, ...] = ()
    llama_factory: tuple[LlamaFactoryEntry, ...] = ()
    derived: Derived | None = None
    sequences: tuple[tuple[str, ...], ...] = ()
    flat: str | None = None

    @property
    def is_twin(self) -> bool:
        return self.flat is not None

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.fields)

    @property
    def mapped_fields(self) -> tuple[tuple[str, str], ...]:
        """The fields a source mapper fills: every field but the derived ones."""
        made = self.derived.fields if self.derived else ()
        return tuple((name, kind) for name, kind in self.fields if name not in made)

    @cached_property
    def features(self) -> Features:
        """The `datasets.Features` of the config, in file order."""
        return features_of(self.fields)

    @cached_property
    def arrow_schema(self) -> pa.Schema:
        return self.features.arrow_schema


def features_of(fields: tuple[tuple[str, str], ...]) -> Features:
    """`datasets.Features` from `(name, type)` pairs, built as the published files always declared them."""
    from datasets import Features, List, Sequence, Value

    types: dict[str, Any] = {
        STRING: lambda: Value("string"),
        STRINGS: lambda: Sequence(Value("string")),
        PAIRS: lambda: List(List(Value("string"))),
        BOOL: lambda: Value("bool"),
        FLOAT: lambda: Value("float64"),
        MESSAGES: lambda: List({"role": Value("string"), "content": Value("string")}),
    }
    return Features({name: types[kind]() for name, kind in fields})


def twin_of(flat: Config) -> Config:
    """The conversational twin of a flat config: its message columns, then every flat column it does not turn (its
    derived columns are the flat config's own form of its texts: the twin holds them as messages)."""
    recipe = flat.twin
    assert recipe is not None, flat.name
    carried = tuple((name, kind) for name, kind in flat.mapped_fields if name not in recipe.turned)
    return Config(
        name=f"{flat.name}_chat",
        stage=f"{flat.stage}, as chat messages",
        purpose=f"The rows of `{flat.name}` as chat messages, in TRL's conversational form: "
        "same ids, order and drops.",
        tags=("conversational", *flat.tags),
        fields=tuple((name, MESSAGES) for name in recipe.messages) + carried,
        unified=(*recipe.messages, *(f for f in flat.unified if f not in recipe.turned)),
        docs=recipe.docs,
        trl=recipe.trl,
        sequences=recipe.sequences,
        flat=flat.name,
    )


def with_recorded(flat: Config) -> Features:
    """The features a source mapper fills: the flat fields but the derived ones, then the columns recorded for the
    twin."""
    return features_of(flat.mapped_fields + _recorded(flat))


def converted_features(flat: Config) -> Features:
    """The features of a conversion's rows (`with_derived`): every flat field, then the columns recorded for the
    twin."""
    return features_of(flat.fields + _recorded(flat))


def with_derived(flat: Config, table: pa.Table) -> pa.Table:
    """A table of mapped rows (`with_recorded`) with the flat config's derived columns (`converted_features`)."""
    import pyarrow as pa

    if flat.derived is None:
        return table
    made = flat.derived.build(table)
    schema = converted_features(flat).arrow_schema
    return pa.table([made[name] if name in made else table[name] for name in schema.names], schema=schema)


def _recorded(flat: Config) -> tuple[tuple[str, str], ...]:
    return tuple((name, MESSAGES) for name in (flat.twin.recorded if flat.twin else ()))
