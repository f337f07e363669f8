"""The `datasets` builder of the APT training sets: one `BuilderConfig` per training stage.

>>> from builders import Apt
>>> builder = Apt(config_name="ruozhiba", upstream="samples")
>>> builder.download_and_prepare()
>>> builder.as_dataset("train")  # doctest: +SKIP
"""

import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import datasets
import pyarrow as pa

import apt_hub
from apt_hub.chat import TWINS, flat_of, to_chat, with_recorded, without_recorded
from apt_hub.convert import Counts, convert_file, convert_loyalty, count_kept, sample_rows
from apt_hub.errors import ConfigError
from apt_hub.progress import bar
from apt_hub.schemas import ALL_CONFIG_NAMES, FEATURES, STAGES
from apt_hub.sources import SOURCES, Context, get_source, sources_for
from apt_hub.upstream import SAMPLES, InputFile, Upstream, file_fingerprint, open_upstream, resolve_inputs

OnBadRows = Literal["error", "skip"]
Trace = Literal["deepseek", "gemini"]
SAMPLE_LOYALTY_FILE = SAMPLES / "loyalty.json"
COUNTS_PREFIX = "apt_counts-"
FLAT_BYTES_PREFIX = "apt_flat_bytes-"


@dataclass
class AptConfig(datasets.BuilderConfig):
    """Options of one APT config build.

    Args:
        upstream: `"hub"`, `"samples"` or a directory laid out like the Hub (`DIR/<org>/<name>/...`).
        only: source names; only those feed the config.
        max_samples: at most this many rows per source and split, drawn with `seed`.
        seed: the seed of `max_samples` draws.
        loyalty_file: the hand-edited loyalty file (`loyalty` only); `samples` has a bundled example.
        on_bad_rows: `"error"` stops at a structurally broken upstream row, `"skip"` counts it as dropped.
        storm_trace: whose reasoning trace feeds `cot_explicit` in `storm`.
        inputs: the resolved upstream files; resolved from `upstream` when empty.
        with_twin: a flat config keeps the columns its conversational twin needs (`apt_hub.chat.RECORDED`), so
            that `apt-hub build` writes both from one conversion.
    """

    upstream: str = "hub"
    only: tuple[str, ...] | None = None
    max_samples: int | None = None
    seed: int = 42
    loyalty_file: str | None = None
    on_bad_rows: OnBadRows = "error"
    storm_trace: Trace = "deepseek"
    inputs: tuple[InputFile, ...] = ()
    with_twin: bool = False

    def __post_init__(self):
        super().__post_init__()
        if self.name not in ALL_CONFIG_NAMES:
            raise ConfigError(f"Unknown config {self.name!r}. Available: {list(ALL_CONFIG_NAMES)}")
        if self.on_bad_rows not in get_args(OnBadRows):
            raise ConfigError(f"on_bad_rows must be one of {get_args(OnBadRows)}, got {self.on_bad_rows!r}")
        if self.storm_trace not in get_args(Trace):
            raise ConfigError(f"storm_trace must be one of {get_args(Trace)}, got {self.storm_trace!r}")
        if self.max_samples is not None and (not isinstance(self.max_samples, int) or self.max_samples < 1):
            raise ConfigError(f"max_samples must be a positive whole number, got {self.max_samples!r}")
        for name in self.only or ():
            get_source(name)

    def sources(self) -> list[str]:
        """The names of the sources that feed this config under `only`."""
        return [s.name for s in sources_for(flat_of(self.name)) if self.only is None or s.name in self.only]

    def loyalty_path(self) -> str:
        if self.loyalty_file:
            return self.loyalty_file
        if self.upstream == "samples":
            return str(SAMPLE_LOYALTY_FILE)
        raise ConfigError("The loyalty config needs --loyalty-file (make one with `apt-hub loyalty-template`).")

    def resolve(self, upstream: Upstream | None = None) -> tuple[dict[str, str], tuple[InputFile, ...]]:
        """The commit of each source and the upstream files this config reads.

        Args:
            upstream: the opened `self.upstream`, shared by the configs of one build so that a source feeding
                several configs is listed once; opened here when not given.
        """
        if self.name == "loyalty":
            path = self.loyalty_path()
            if not Path(path).is_file():
                raise ConfigError(f"Loyalty file not found: {path}")
            return {}, (InputFile("loyalty", "train", Path(path).name, path, file_fingerprint(path)),)
        upstream, commits, inputs = upstream or open_upstream(self.upstream), {}, []
        for name in self.sources():
            commits[name], found = resolve_inputs(upstream, SOURCES[name], flat_of(self.name))
            inputs += found
        return commits, tuple(inputs)


def code_fingerprint() -> str:
    """A hash of the code that converts rows, so that a changed rule never reads a stale cache."""
    digest = hashlib.sha256(apt_hub.__version__.encode())
    for package in (Path(apt_hub.__file__).parent, Path(__file__).parent):
        for path in sorted(package.rglob("*.py")):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class Apt(datasets.ArrowBasedBuilder):
    """Builds each APT config from its upstream sources; `read_counts()` gives the rows kept and dropped by reason."""

    BUILDER_CONFIG_CLASS = AptConfig
    BUILDER_CONFIGS = [AptConfig(name=name, description=f"APT {STAGES[name]} stage") for name in ALL_CONFIG_NAMES]
    DEFAULT_CONFIG_NAME = "sft"
    config: AptConfig

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("dataset_name", "apt")
        # The config id covers the options and the resolved `inputs`; the hash covers the code.
        kwargs.setdefault("hash", code_fingerprint())
        super().__init__(*args, **kwargs)

    def _info(self) -> datasets.DatasetInfo:
        sources = [SOURCES[name] for name in self.config.sources()] if self.config.name != "loyalty" else []
        return datasets.DatasetInfo(
            description=self.config.description,
            features=self._converted() if self.config.with_twin else FEATURES[self.config.name],
            citation="\n\n".join(s.citation for s in sources if s.citation),
        )

    def _split_generators(self, dl_manager) -> list[datasets.SplitGenerator]:
        inputs = self.config.inputs or self.config.resolve()[1]
        splits = dict.fromkeys(item.split for item in inputs)
        return [
            datasets.SplitGenerator(
                name=split, gen_kwargs={"split": split, "inputs": [i for i in inputs if i.split == split]}
            )
            for split in splits
        ]

    def _generate_tables(self, split: str, inputs: list[InputFile]) -> Iterator[tuple[str, pa.Table]]:
        """The unified tables of some input files of a split (all of them, or one job's share with `num_proc`).

        The counts of these files are left beside the Arrow files, so that they survive worker processes and
        are found again when the dataset comes from the cache (`read_counts`).
        """
        features, counts, flat_bytes = self._converted(), {}, 0
        for name in dict.fromkeys(item.source for item in inputs):
            tables = self._source_tables(name, [item for item in inputs if item.source == name], features, counts)
            if self.config.max_samples is not None:
                seed = f"{self.config.seed}:{name}:{split}"
                tables = [sample_rows(tables, features, self.config.max_samples, seed)]
            for index, table in enumerate(tables):
                count_kept(table, split, counts)
                table, flat_bytes = self._shape(table), flat_bytes + self._flat_bytes(table)
                yield f"{name}:{index}", table
        digest = hashlib.sha256(repr(inputs).encode()).hexdigest()[:16]
        if self.config.with_twin:
            path = Path(self._output_dir) / f"{FLAT_BYTES_PREFIX}{split}-{digest}.json"
            path.write_text(json.dumps([split, flat_bytes]), encoding="utf-8")
        (Path(self._output_dir) / f"{COUNTS_PREFIX}{split}-{digest}.json").write_text(
            json.dumps([[split, tag, counter] for (split, tag), counter in counts.items()]), encoding="utf-8"
        )

    def _converted(self) -> datasets.Features:
        """The features of the converted rows: the flat config's, with the recorded columns a twin needs."""
        flat = flat_of(self.config.name)
        if self.config.name in TWINS or self.config.with_twin:
            return with_recorded(flat, FEATURES[flat])
        return FEATURES[flat]

    def _shape(self, table: pa.Table) -> pa.Table:
        """A converted table as this config stores it: the twin, the flat rows, or both in one (`with_twin`)."""
        if self.config.name in TWINS:
            return to_chat(flat_of(self.config.name), table, FEATURES[self.config.name])
        return table if self.config.with_twin else without_recorded(self.config.name, table)

    def _flat_bytes(self, table: pa.Table) -> int:
        """The Arrow bytes `datasets` counts for these rows in the flat config alone, which size its shards."""
        if not self.config.with_twin:
            return 0
        flat = without_recorded(self.config.name, table)
        return (flat if all(c.num_chunks <= 1 for c in flat.columns) else flat.combine_chunks()).nbytes

    def read_flat_bytes(self) -> dict[str, int]:
        """Per split, the Arrow bytes of the flat rows of a `with_twin` build, as a build of the flat config alone
        counts them, so that the flat parquet files are the same bytes either way."""
        sizes: dict[str, int] = {}
        for path in sorted(Path(self.cache_dir).glob(f"{FLAT_BYTES_PREFIX}*.json")):
            split, nbytes = json.loads(path.read_text(encoding="utf-8"))
            sizes[split] = sizes.get(split, 0) + nbytes
        return sizes

    def read_counts(self) -> Counts:
        """The rows read, kept and dropped by reason of the prepared dataset, per split and source tag."""
        counts: Counts = {}
        for path in sorted(Path(self.cache_dir).glob(f"{COUNTS_PREFIX}*.json")):
            for split, tag, counter in json.loads(path.read_text(encoding="utf-8")):
                counts.setdefault((split, tag), Counter()).update(counter)
        return counts

    def _source_tables(
        self, name: str, inputs: list[InputFile], features: datasets.Features, counts: Counts
    ) -> Iterator[pa.Table]:
        if name == "loyalty":
            yield from convert_loyalty(inputs[0], features, counts)
            return
        source = SOURCES[name]
        skip = self.config.on_bad_rows == "skip"
        for item in bar(inputs, desc=f"Converting {name}", unit="file"):
            context = Context(tag=source.tag_for(item.path), trace=self.config.storm_trace)
            yield from convert_file(source, item, features, counts, context=context, skip_bad_rows=skip)
