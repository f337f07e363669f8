"""`apt-hub build`: run the builder for each config and write the folder the Hub repository mirrors."""

import hashlib
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from datasets.exceptions import DatasetGenerationError

from builders.apt import Apt, AptConfig, code_fingerprint

from . import __version__
from .card import write_card
from .chat import FLAT_TO_TWIN, TWINS, flat_of, to_chat, without_recorded
from .clean.decontamination import resolve_benchmark
from .convert import finish_counts, input_notes
from .errors import AptHubError, ConfigError
from .folder import check_output_dir, checkpoint, transaction
from .layout import DEFAULT_OUTPUT_DIR, RECORD, data_dir, read_record, write_batches, write_json
from .options import BuildOptions, names
from .progress import bar, library_bars
from .read.upstream import SAMPLES, open_upstream
from .schemas import ALL_CONFIG_NAMES, FEATURES
from .sources import SOURCES, Source, sources_for
from .sources.custom import use_sources_file
from .stats import drops, forget_measures, measuring, total_counts, write_measures

# Upstream bytes from which a config is converted by several processes, at most MAX_PROC.
PARALLEL_BYTES = 32 << 20
MAX_PROC = 4


@dataclass
class BuildReport:
    """What a build wrote: the folder, the records of the configs it built, and notes on what it skipped."""

    output_dir: Path
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@library_bars()
def build(
    configs: str | list[str] | tuple[str, ...] | None = None,
    *,
    output_dir: str | Path = DEFAULT_OUTPUT_DIR,
    options: BuildOptions | None = None,
    cache_dir: str | None = None,
    num_proc: int | None = None,
    sources_file: str | None = None,
    **flags: Any,
) -> BuildReport:
    """Build configs from their upstreams into `output_dir`, in the layout of the Hub repository.

    Every upstream file is resolved before anything is converted, and the folder is replaced in one step only
    when every config built (`apt_hub.folder.transaction`): a failed or killed build leaves the previous folder
    byte-identical. Configs not named keep their files and records. One build at a time writes a folder.

    Args:
        configs: config names; none means all of them (a config fed only by a local file, such as `loyalty`,
            only when its file is given or with `samples`).
        output_dir: the build folder.
        options: the build options; or give them by name in `flags`.
        cache_dir: the `datasets` cache (default: the HF datasets cache).
        num_proc: processes converting a config's files (default: the cores, up to 4, for inputs of 32 MB or
            more; one process with `max_samples`).
        sources_file: a YAML or TOML file of custom sources (default: `./apt-sources.yaml`, `.yml` or `.toml`).
        flags: the options by name, such as `upstream="samples"`, `seed=7` or a source's `storm_trace="gemini"`
            (see `apt_hub.options.BuildOptions` and `apt_hub.options.option_docs`).

    Returns:
        A `BuildReport`; the same record is written to `output_dir/build.json`.

    Raises:
        ConfigError: an unknown config, source or option, or a value that does not fit.
        FolderError: `output_dir` is refused (a file, a folder apt-hub did not build, `.` or a parent of it, the
            checkout), or another process is writing it.

    Example:
        >>> build(["ruozhiba"], upstream="samples", output_dir="dist/apt")  # doctest: +SKIP
    """
    check_output_dir(output_dir)
    use_sources_file(sources_file)
    options = options or BuildOptions.from_flags(**flags)
    report = BuildReport(Path(output_dir))
    plans = []
    chosen = _config_names(configs, options, report.notes)
    # One upstream for all configs: a source feeding several (COIG-CQIA: sft and ruozhiba) is listed once.
    hub_fed = any(not s.file_option for name in chosen for s in _sources_of(name, options))
    opened = open_upstream(options.upstream) if hub_fed else None
    benchmarks = tuple(resolve_benchmark(spec) for spec in options.decontaminate or ())
    for name, outputs in bar(_conversions(chosen), desc="Resolving upstream files", unit="config"):
        twin = name in FLAT_TO_TWIN and FLAT_TO_TWIN[name] in outputs
        config = AptConfig(name=name, options=options, with_twin=twin, benchmarks=benchmarks)
        commits, inputs = config.resolve(opened)
        plans.append((config, outputs, commits, inputs))
    label = opened.label if opened else "-"
    with transaction(report.output_dir) as staging:
        record = read_record(staging)
        for config, outputs, commits, inputs in plans:
            entries = _build_config(config, outputs, commits, inputs, staging, cache_dir, num_proc)
            files = {item.source: item.path for item in inputs}
            for name, entry in entries.items():
                entry["options"] = options.record(label, [SOURCES[n] for n in config.sources()], files)
                record["configs"][name] = report.configs[name] = entry
                report.notes += entry.get("notes", [])
        record["apt_hub_version"] = __version__
        write_json(staging / RECORD, record)
        write_card(staging)
    return report


def format_report(report: BuildReport) -> str:
    """A short summary of a build: rows per config and split, drops by reason, and how to load it."""
    lines = [f"Built {', '.join(report.configs) or 'nothing'} into {report.output_dir}"]
    for config, entry in report.configs.items():
        for split, info in entry["splits"].items():
            reasons = drops(total_counts(entry["counts"].get(split, {})))
            dropped = ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items()))
            lines.append(f"  {config}/{split}: {info['rows']} rows" + (f" (dropped: {dropped})" if dropped else ""))
    lines += [f"  note: {note}" for note in report.notes]
    if report.configs:
        first = next(iter(report.configs))
        lines.append(f'Load it: datasets.load_dataset("{report.output_dir}", "{first}")')
    return "\n".join(lines)


def _conversions(names: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """The conversions a build runs, each with the configs it writes: a twin comes from the conversion of its flat
    config, so a flat config and its twin asked together are converted once, and a twin alone converts its flat
    config with what the twin needs without writing the flat one.

    >>> _conversions(["sft", "dpo_chat", "sft_chat", "loyalty"])
    [('sft', ('sft', 'sft_chat')), ('dpo', ('dpo_chat',)), ('loyalty', ('loyalty',))]
    """
    outputs: dict[str, list[str]] = {}
    for name in names:
        outputs.setdefault(flat_of(name), []).append(name)
    return [(flat, tuple(sorted(written, key=names.index))) for flat, written in outputs.items()]


def _arrow_batches(builder: Apt, split: str) -> Iterator[pa.RecordBatch]:
    """The record batches of a prepared split, read from the builder's Arrow files a batch at a time (no memory
    map, whose pages would all count as resident)."""
    for path in builder.arrow_files(split):
        with pa.OSFile(path) as file:
            yield from pa.ipc.open_stream(file)


def _num_proc(config: AptConfig, inputs: tuple, requested: int | None) -> int | None:
    """Worker processes for a config: the files of a split are shared among them, whole sources kept together
    only when `max_samples` draws from a source's rows (then one process). Small inputs are not worth a pool."""
    if config.options.max_samples is not None:
        return None
    if requested is not None:
        return requested if requested > 1 else None
    large = sum(Path(item.local).stat().st_size for item in inputs) >= PARALLEL_BYTES
    return min(os.cpu_count() or 1, MAX_PROC) if large and len(inputs) > 1 else None


def _build_config(
    config: AptConfig,
    outputs: tuple[str, ...],
    commits: dict[str, str],
    inputs: tuple,
    staging: Path,
    cache_dir,
    num_proc: int | None,
) -> dict[str, dict]:
    """Convert one config and write it, its twin, or both; returns the build record entry of each written."""
    custom = [SOURCES[name].extra.get("fingerprint", "") for name in config.sources()]  # custom sources' code
    benchmarks = [b.fingerprint for b in config.benchmarks]
    fingerprint = hashlib.sha256(f"{code_fingerprint()}|{custom}|{inputs}|{benchmarks}".encode()).hexdigest()[:16]
    builder = Apt(
        config_name=config.name,
        cache_dir=cache_dir,
        hash=fingerprint,
        options=config.options,
        inputs=inputs,
        benchmarks=config.benchmarks,
        with_twin=config.with_twin,
    )
    try:
        builder.download_and_prepare(num_proc=_num_proc(config, inputs, num_proc))
    except DatasetGenerationError as error:
        # datasets wraps what the generator raised; our errors already say what, where and how to fix it.
        if isinstance(error.__cause__, AptHubError):
            raise error.__cause__ from None
        raise
    raw_counts = builder.read_counts()
    counts = finish_counts(raw_counts)
    removed = builder.read_benchmark_counts()
    checkpoint(f"converted:{config.name}")
    sources = _sources_record(commits, inputs)
    entries = {}
    for name in outputs:
        entries[name] = {"splits": _write_config(builder, name, staging), "sources": sources, "counts": counts}
        if name in TWINS:
            entries[name]["twin_of"] = TWINS[name]
        if config.benchmarks:
            entries[name]["decontamination"] = {
                b.spec: {"revision": b.revision, "rows_removed": {s: n.get(b.spec, 0) for s, n in removed.items()}}
                for b in config.benchmarks
            }
        if notes := input_notes(name, raw_counts, entries[name]["splits"]):
            entries[name]["notes"] = notes  # empty upstream files and splits, in the summary and in build.json
    return entries


def _write_config(builder: Apt, name: str, staging: Path) -> dict[str, dict]:
    """Write one config of a prepared builder: its own rows, or the flat rows or the twin of a `with_twin` one.

    A twin's shards are sized by the Arrow bytes of its conversion, and the flat rows of a `with_twin` build by
    the bytes the flat config alone would have, so that every file is the same bytes however it was asked for.
    """
    # The staging copy shares the old shards by hard links: unlink them, never write through them.
    shutil.rmtree(data_dir(staging, name), ignore_errors=True)
    forget_measures(staging, name)
    flat, flat_bytes = flat_of(name), builder.read_flat_bytes()
    splits = {}
    for split, info in bar(builder.info.splits.items(), desc=f"Writing {name}", unit="split"):
        batches, nbytes = _arrow_batches(builder, split), info.num_bytes
        if name in TWINS:
            batches = (b for batch in batches for b in to_chat(flat, pa.table(batch), FEATURES[name]).to_batches())
        elif builder.config.with_twin:
            batches = (b for batch in batches for b in without_recorded(flat, pa.table(batch)).to_batches())
            nbytes = flat_bytes[split]
        measures: list = []  # what `stats` needs of each row, taken as the rows pass (see `stats.measuring`)
        # The flat rows' text keys, which the split checks computed: each text is normalised once per build.
        keys = builder.read_keys(split) if name not in TWINS else None
        files = write_batches(
            measuring(batches, measures, keyed=keys is not None),
            FEATURES[name].arrow_schema,
            rows=info.num_examples,
            nbytes=nbytes,
            root=staging,
            config=name,
            split=split,
        )
        write_measures(staging, name, split, files, measures, keys)
        splits[split] = {"rows": info.num_examples, "files": files}
    checkpoint(f"written:{name}")
    return splits


def _sources_record(commits: dict[str, str], inputs: tuple) -> dict[str, dict]:
    return {
        name: {
            "repo_id": SOURCES[name].repo_id,
            "revision": SOURCES[name].revision,
            "commit": commit,
            "license": SOURCES[name].license,
            "files": sorted({item.path for item in inputs if item.source == name}),
        }
        for name, commit in commits.items()
    }


def _config_names(configs, options: BuildOptions, notes: list[str]) -> list[str]:
    """The configs to build: those named, else every config that can be built, each skipped one in `notes`."""
    named = names(configs)
    for name in named or ():
        if name not in ALL_CONFIG_NAMES:
            raise ConfigError(f"Unknown config {name!r}. Available: {list(ALL_CONFIG_NAMES)}")
    chosen = []
    for name in list(dict.fromkeys(named)) if named else list(ALL_CONFIG_NAMES):
        if not _sources_of(name, options):
            if named:
                raise ConfigError(f"No source of --only {list(options.only)} feeds config {name!r}.")
            notes.append(f"{name} skipped: no source of --only {list(options.only)} feeds it.")
        elif not named and (lacking := _lacking_file(name, options)):
            notes.append(f"{name} skipped: no {lacking.option(lacking.file_option).flag} given ({lacking.file_hint}).")
        else:
            chosen.append(name)
    return chosen


def _sources_of(config: str, options: BuildOptions) -> list[Source]:
    return [s for s in sources_for(flat_of(config)) if options.only is None or s.name in options.only]


def _lacking_file(config: str, options: BuildOptions) -> Source | None:
    """The source of a config fed only by local files when none of them is given; `None` when it can be built."""
    sources = _sources_of(config, options)
    if all(s.file_option and options.local_file(s, SAMPLES) is None for s in sources):
        return sources[0]
    return None
