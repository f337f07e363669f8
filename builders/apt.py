"""The `datasets` builder of the APT training sets: one `BuilderConfig` per training stage.

>>> from builders import Apt
>>> builder = Apt(config_name="ruozhiba", upstream="samples")
>>> builder.download_and_prepare()
>>> builder.as_dataset("train")  # doctest: +SKIP
"""

import ast
import functools
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import datasets
import polars as pl
import pyarrow as pa
from datasets.naming import filenames_for_dataset_split

import apt_hub
from apt_hub.chat import TWINS, flat_of, to_chat, with_recorded, without_recorded
from apt_hub.clean import dedup
from apt_hub.clean.checks import RowScreen
from apt_hub.clean.decontamination import Benchmark, gram_set, read_texts, resolve_benchmark
from apt_hub.convert import Counts, convert_file, sample_rows
from apt_hub.errors import ConfigError
from apt_hub.options import BuildOptions, option_docs
from apt_hub.progress import bar
from apt_hub.read.upstream import SAMPLES, InputFile, Upstream, file_fingerprint, open_upstream, resolve_inputs
from apt_hub.schemas import ALL_CONFIG_NAMES, FEATURES, STAGES
from apt_hub.sources import SOURCES, Context, Source, sources_for

COUNTS_PREFIX = "apt_counts-"
FLAT_BYTES_PREFIX = "apt_flat_bytes-"
KEYS_PREFIX = "apt_keys-"
# The code that turns upstream rows into unified rows starts here and in the custom sources' loader; whatever they
# import from apt_hub is hashed with them (`fingerprinted_files`), and nothing else: the card, stats, CLI, menu and
# publishing are left out, so editing them keeps the datasets cache.
CONVERSION_ROOTS = (Path(__file__), Path(apt_hub.__file__).parent / "sources" / "custom.py")


@dataclass
class AptConfig(datasets.BuilderConfig):
    """Options of one APT config build.

    Args:
        options: the build options; `Apt(config_name=..., upstream="samples", seed=7)` makes them from its
            keyword arguments.
        inputs: the resolved upstream files; resolved from `options.upstream` when empty.
        benchmarks: the resolved `options.decontaminate` benchmarks; resolved when empty.
        with_twin: a flat config keeps the columns its conversational twin needs (`apt_hub.chat.RECORDED_COLUMNS`), so
            that `apt-hub build` writes both from one conversion.
    """

    options: BuildOptions = field(default_factory=BuildOptions)
    inputs: tuple[InputFile, ...] = ()
    benchmarks: tuple[Benchmark, ...] = ()
    with_twin: bool = False

    def __post_init__(self):
        super().__post_init__()
        if self.name not in ALL_CONFIG_NAMES:
            raise ConfigError(f"Unknown config {self.name!r}. Available: {list(ALL_CONFIG_NAMES)}")

    def sources(self) -> list[str]:
        """The names of the sources that feed this config under `only`."""
        only = self.options.only
        return [s.name for s in sources_for(flat_of(self.name)) if only is None or s.name in only]

    def resolve(self, upstream: Upstream | None = None) -> tuple[dict[str, str], tuple[InputFile, ...]]:
        """The commit of each Hub source and the files this config reads.

        Args:
            upstream: the opened `options.upstream`, shared by the configs of one build so that a source feeding
                several configs is listed once; opened here when needed and not given.
        """
        commits, inputs = {}, []
        names = self.sources()
        for source in (SOURCES[name] for name in names):
            if source.file_option:
                inputs.append(self.local_input(source))
                continue
            upstream = upstream or open_upstream(self.options.upstream)
            others = [other for other in names if other != source.name]
            commits[source.name], found = resolve_inputs(upstream, source, flat_of(self.name), others=others)
            inputs += found
        return commits, tuple(inputs)

    def local_input(self, source: Source) -> InputFile:
        """The file of a source backed by a local file instead of a Hub repository."""
        path = self.options.local_file(source, SAMPLES)
        if path is None:
            raise ConfigError(f"The {self.name} config needs {missing_file(source)}.")
        if not Path(path).is_file():
            raise ConfigError(f"The {source.name} file was not found: {path}")
        split = next(iter(source.feeds[flat_of(self.name)]))
        return InputFile(source.name, split, Path(path).name, path, file_fingerprint(path))


def missing_file(source: Source) -> str:
    """What a source backed by a local file needs when none is given: `--loyalty-file (make one with ...)`."""
    return f"{source.option(source.file_option).flag} ({source.file_hint})"


def fingerprinted_files() -> list[Path]:
    """The files `code_fingerprint` hashes: `CONVERSION_ROOTS` and the apt_hub modules they import, transitively."""
    package = Path(apt_hub.__file__).parent
    found, todo = set(), [*CONVERSION_ROOTS, package / "__init__.py"]
    while todo:
        path = todo.pop()
        if path not in found:
            found.add(path)
            todo += _imported_files(path, package)
    return sorted(found)


def _imported_files(path: Path, package: Path) -> list[Path]:
    """The files of the apt_hub modules (and packages' `__init__.py`) that a file imports."""
    stat = path.stat()
    return list(_imports_of(path, package, stat.st_mtime_ns, stat.st_size))


@functools.cache
def _imports_of(path: Path, package: Path, mtime_ns: int, size: int) -> tuple[Path, ...]:
    """`_imported_files` of one version of a file (parsing every conversion module takes a quarter second)."""
    here = path.parent.relative_to(package.parent).parts if package.parent in path.parents else ()
    files = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else ()
            module = (*base, *(node.module or "").split(".")) if node.module else base
            candidates = [(*module, alias.name) for alias in node.names] + [module]
        elif isinstance(node, ast.Import):
            candidates = [tuple(alias.name.split(".")) for alias in node.names]
        else:
            continue
        for parts in candidates:
            if parts[:1] == ("apt_hub",):
                for parent in range(2, len(parts) + 1):  # a package's __init__ runs on import
                    files.append(package.parent.joinpath(*parts[:parent], "__init__.py"))
                files.append(package.parent.joinpath(*parts).with_suffix(".py"))
    return tuple(file for file in files if file.is_file())


def code_fingerprint() -> str:
    """A hash of the code that converts rows, so that a changed rule never reads a stale cache."""
    digest = hashlib.sha256(apt_hub.__version__.encode())
    for path in fingerprinted_files():
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class Apt(datasets.ArrowBasedBuilder):
    """Builds each APT config from its upstream sources; `read_counts()` gives the rows kept and dropped by reason."""

    BUILDER_CONFIG_CLASS = AptConfig
    BUILDER_CONFIGS = [AptConfig(name=name, description=f"APT {STAGES[name]} stage") for name in ALL_CONFIG_NAMES]
    DEFAULT_CONFIG_NAME = "sft"
    config: AptConfig

    def __init__(self, *args, **kwargs):
        flags = {name: kwargs.pop(name) for name in option_docs() if name in kwargs}
        if flags:
            kwargs["options"] = BuildOptions.from_flags(**flags)
        kwargs.setdefault("dataset_name", "apt")
        # The config id covers the options and the resolved `inputs`; the hash covers the code.
        if "hash" not in kwargs:
            kwargs["hash"] = code_fingerprint()
        super().__init__(*args, **kwargs)

    def _info(self) -> datasets.DatasetInfo:
        sources = [SOURCES[name] for name in self.config.sources()]
        return datasets.DatasetInfo(
            description=self.config.description,
            features=self._converted() if self.config.with_twin else FEATURES[self.config.name],
            citation="\n\n".join(s.citation for s in sources if s.citation),
        )

    def _split_generators(self, dl_manager) -> list[datasets.SplitGenerator]:
        if self.config.name in TWINS:
            return self._twin_split_generators()
        inputs = self.config.inputs or self.config.resolve()[1]
        splits = dict.fromkeys(item.split for item in inputs)
        return [
            datasets.SplitGenerator(
                name=split, gen_kwargs={"split": split, "inputs": [i for i in inputs if i.split == split]}
            )
            for split in splits
        ]

    def _twin_split_generators(self) -> list[datasets.SplitGenerator]:
        """A twin is made from its flat config's checked rows, as `apt-hub build` makes it: the flat builder (with
        the columns the twin needs) is prepared first, in the same cache, and each split reads its Arrow files."""
        flat = Apt(
            config_name=flat_of(self.config.name),
            cache_dir=self._cache_dir_root,
            hash=self.hash,
            options=self.config.options,
            inputs=self.config.inputs,
            benchmarks=self.config.benchmarks,
            with_twin=True,
        )
        flat.download_and_prepare()
        self._flat_counts = flat.read_counts()
        return [
            datasets.SplitGenerator(name=split, gen_kwargs={"split": split, "flat_files": flat.arrow_files(split)})
            for split in flat.info.splits
        ]

    def _generate_twin_tables(self, split: str, flat_files: tuple[str, ...]) -> Iterator[tuple[str, pa.Table]]:
        """The twin of the checked flat rows of a split; the counts are the flat config's, since the rows are."""
        flat = flat_of(self.config.name)
        for index, path in enumerate(flat_files):
            with pa.OSFile(path) as file:
                for number, batch in enumerate(pa.ipc.open_stream(file)):
                    yield f"{index}:{number}", to_chat(flat, pa.table(batch), FEATURES[self.config.name])
        self._write_counts(f"{split}-flat", {key: c for key, c in self._flat_counts.items() if key[0] == split})

    def _generate_tables(
        self, split: str, inputs: list[InputFile] = (), flat_files: tuple[str, ...] = ()
    ) -> Iterator[tuple[str, pa.Table]]:
        """The unified tables of some input files of a split (all of them, or one job's share with `num_proc`), or
        for a twin the twin of its flat config's checked rows (`flat_files`).

        The counts of these files are left beside the Arrow files, so that they survive worker processes and
        are found again when the dataset comes from the cache (`read_counts`).
        """
        if self.config.name in TWINS:
            yield from self._generate_twin_tables(split, flat_files)
            return
        features, counts, flat_bytes = self._converted(), {}, 0
        for name in dict.fromkeys(item.source for item in inputs):
            tables = self._source_tables(name, [item for item in inputs if item.source == name], features, counts)
            if self.config.options.max_samples is not None:
                seed = f"{self.config.options.seed}:{name}:{split}"
                tables = [sample_rows(tables, features, self.config.options.max_samples, seed)]
            for index, table in enumerate(tables):
                table, flat_bytes = self._shape(table), flat_bytes + self._flat_bytes(table)
                yield f"{name}:{index}", table
        digest = hashlib.sha256(repr(inputs).encode()).hexdigest()[:16]
        if self.config.with_twin:
            path = Path(self._output_dir) / f"{FLAT_BYTES_PREFIX}{split}-{digest}.json"
            path.write_text(json.dumps([split, flat_bytes]), encoding="utf-8")
        self._write_counts(f"{split}-{digest}", counts)

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

    def _write_counts(self, name: str, counts: Counts) -> None:
        (Path(self._output_dir) / f"{COUNTS_PREFIX}{name}.json").write_text(
            json.dumps([[split, tag, counter] for (split, tag), counter in counts.items()]), encoding="utf-8"
        )

    def _download_and_prepare(self, dl_manager, verification_mode, **prepare_split_kwargs):
        super()._download_and_prepare(dl_manager, verification_mode, **prepare_split_kwargs)
        if self.config.name in TWINS:  # made from the checked flat rows (`_twin_split_generators`)
            return
        specs = self.config.options.decontaminate or ()
        benchmarks = self.config.benchmarks or tuple(resolve_benchmark(spec) for spec in specs)
        grams = {b.spec: gram_set(read_texts(b)) for b in benchmarks}
        # The test split first and whole: its prompts are what train must not hold.
        test_prompts = self._screen_split("test", None, grams) if "test" in self.info.splits else None
        for split in [name for name in self.info.splits if name != "test"]:
            self._screen_split(split, test_prompts, grams)

    def _screen_split(self, split: str, test_prompts: pl.Series | None, grams: dict[str, pl.Series]) -> pl.Series:
        """Run the split checks (`apt_hub.clean.dedup`) over a prepared split, rewrite its files and count; returns the
        prompt keys of the rows kept."""
        info = self.info.splits[split]
        paths = [Path(p) for p in self.arrow_files(split, self._output_dir)]
        marks = dedup.split_marks(paths, self.config.name, test_prompts, grams)
        if marks.is_empty():
            return pl.Series("prompt_key", [], dtype=pl.Struct({"a": pl.UInt64, "b": pl.UInt64}))
        decided = dedup.decide(marks, self.config.options.dropping)
        start, files = 0, []
        for index, path in enumerate(paths):
            rows = marks["file"].eq(index).sum()
            files.append(dedup.rewrite(path, decided.slice(start, rows)))
            start += rows
        counts = dedup.count(marks, decided, files)
        self._write_counts(f"{split}-checks", {(split, tag): counter for tag, counter in counts.items()})
        removed = dedup.benchmark_counts(marks.filter(decided["reason"] == "contaminated"))
        (Path(self._output_dir) / f"apt_benchmarks-{split}.json").write_text(json.dumps(removed), encoding="utf-8")
        keep = decided["reason"].is_null()
        keys = dedup.row_keys(marks.filter(keep)).to_arrow()
        with pa.OSFile(str(Path(self._output_dir) / f"{KEYS_PREFIX}{split}.arrow"), "wb") as file:
            with pa.ipc.new_file(file, keys.schema) as writer:
                writer.write_table(keys)
        info.num_examples = sum(file.rows for file in files)
        info.num_bytes = sum(file.nbytes for file in files)
        if info.shard_lengths:
            info.shard_lengths = [file.rows for file in files]
        return marks.filter(keep)["prompt_key"]

    def read_keys(self, split: str) -> pl.DataFrame | None:
        """The text keys of the kept rows of a split, in order, as the split checks took them
        (`apt_hub.clean.dedup.row_keys`); `None` when the checks did not run over it (an empty split, a twin)."""
        path = Path(self.cache_dir) / f"{KEYS_PREFIX}{split}.arrow"
        if not path.exists():
            return None
        with pa.OSFile(str(path)) as source:
            return pl.from_arrow(pa.ipc.open_file(source).read_all())

    def read_benchmark_counts(self) -> dict[str, dict[str, int]]:
        """The rows each `--decontaminate` benchmark removed, by split."""
        found = {}
        for path in sorted(Path(self.cache_dir).glob("apt_benchmarks-*.json")):
            found[path.stem.removeprefix("apt_benchmarks-")] = json.loads(path.read_text(encoding="utf-8"))
        return found

    def arrow_files(self, split: str, folder: str | None = None) -> tuple[str, ...]:
        """The Arrow files of a split, in order: in the cache once prepared, or in `folder` while preparing."""
        info = self.info.splits[split]
        return tuple(
            filenames_for_dataset_split(
                folder or self.cache_dir,
                self.dataset_name,
                split,
                filetype_suffix="arrow",
                shard_lengths=info.shard_lengths,
            )
        )

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
        source = SOURCES[name]
        skip, options = self.config.options.on_bad_rows == "skip", self.config.options.for_source(source)
        for item in bar(inputs, desc=f"Converting {name}", unit="file"):
            context = Context(tag=source.tag_for(item.path), options=options)
            yield from convert_file(
                source, item, features, counts, context=context, skip_bad_rows=skip, screen=self._screen_table
            )

    def _screen_table(self, table: pa.Table, counter: Counter) -> tuple[pa.Table, pa.Array]:
        return self._row_screen.table(table, counter)

    @functools.cached_property
    def _row_screen(self) -> RowScreen:
        """The row checks of this config, worked out once per builder rather than once per row."""
        return RowScreen(flat_of(self.config.name), self.config.options.dropping)
