"""`apt-hub build`: the one place that runs a build. For each config asked for, the pipeline converts its flat
config once (`apt_hub.pipeline.convert`); the flat config and its twin are written from the same rows; then the
build record, the stats and the card, in that order, all in one transaction of the build folder."""

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from . import __version__
from .card import check_card, write_card
from .clean.decontamination import resolve_benchmark
from .configs import CONFIGS, Config, flat_of, get_config, shape, unit_of
from .convert import finish_counts, input_notes
from .errors import UsageError
from .folder import check_output_dir, checkpoint, transaction
from .hashes import HASHES_DIR
from .layout import DEFAULT_OUTPUT_DIR, RECORD, data_dir, read_record, shards_checked, write_batches, write_json
from .measures import forget_measures, measuring, write_measures
from .options import BuildOptions, check_build_options, names, whole_number
from .pipeline import Converted, convert, resolve, scratch_folder, sources_of
from .progress import bar, library_bars
from .read.manifest import FilesCheck, check_files
from .read.upstream import SAMPLES, open_upstream
from .sources import SOURCES, Source
from .sources.custom import use_sources_file
from .stats import drops, total_counts, write_stats


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
    num_proc: int | None = None,
    sources_file: str | None = None,
    allow_changed_upstream: bool = False,
    **flags: Any,
) -> BuildReport:
    """Build configs from their upstreams into `output_dir`, in the layout of the Hub repository.

    Every upstream file is resolved and checked against its source's manifest (`apt_hub.read.manifest`) before
    anything is converted, and the folder is replaced in one step only
    when every config built (`apt_hub.folder.transaction`): a failed or killed build leaves the previous folder
    byte-identical. Configs not named keep their files and records, but for the twin of a config built (or the
    flat config of a twin built) that the folder holds: a flat config and its twin are always written together,
    from the same rows. One build at a time writes a folder.

    Args:
        configs: config names; none means all of them (a config fed only by a local file, such as `loyalty`,
            only when its file is given or with `samples`).
        output_dir: the build folder.
        options: the build options; or give them by name in `flags`.
        num_proc: processes converting a config's files (default: the cores, up to 4, for inputs of 32 MB or
            more; one process with `max_samples`).
        sources_file: a YAML or TOML file of custom sources (default: `./apt-sources.yaml`, `.yml` or `.toml`).
        allow_changed_upstream: read upstream files that differ from their manifest, or that it does not list, as
            they are (each a note of the build) instead of stopping.
        flags: the options by name, such as `upstream="samples"`, `seed=7` or a source's `storm_trace="gemini"`
            (see `apt_hub.options.BuildOptions` and `apt_hub.options.option_docs`).

    Returns:
        A `BuildReport`; the same record is written to `output_dir/build.json`.

    Raises:
        UsageError: an unknown config, source or option, a value that does not fit, or an option that changes
            nothing for the configs named (`apt_hub.options.check_build_options`).
        ConfigError: a config fed by a local file that is not given.
        UpstreamFilesError: upstream files missing, not regular files, or not as their manifests list them, all
            named in one message with the command that fetches what is missing.
        FolderError: `output_dir` is refused (a file, a folder apt-hub did not build, `.` or a parent of it, the
            checkout), or another process is writing it.

    Example:
        >>> build(["ruozhiba"], upstream="samples", output_dir="dist/apt")  # doctest: +SKIP
    """
    check_output_dir(output_dir)
    check_card(output_dir)  # a hand-edited card the build could not render again stops it before any work
    use_sources_file(sources_file)
    check_build_options(names(configs) or (), flags)
    options = options or BuildOptions.from_flags(**flags)
    num_proc = whole_number(num_proc, "--num-proc")
    if num_proc is not None and num_proc < 1:
        raise UsageError(f"--num-proc must be a positive whole number, got {num_proc}")
    report = BuildReport(Path(output_dir))
    chosen = _config_names(configs, options, report.notes)
    conversions = _conversions(chosen, set(read_record(output_dir)["configs"]), report.notes)
    benchmarks = tuple(resolve_benchmark(spec) for spec in options.decontaminate or ())
    # One upstream for all configs: a source feeding several (COIG-CQIA: sft and ruozhiba) is listed once.
    hub_fed = any(not s.file_option for flat, _ in conversions for s in sources_of(flat, options))
    opened = open_upstream(options.upstream) if hub_fed else None
    fed = [(s, flat.name) for flat, _ in conversions for s in sources_of(flat, options) if not s.file_option]
    checked = check_files(opened, fed, allow_changed=allow_changed_upstream) if opened else {}
    for (name, _), check in checked.items():
        report.notes += [note for note in check.notes(SOURCES[name].repo_id) if note not in report.notes]
    plans = []
    for flat, outputs in bar(conversions, desc="Resolving upstream files", unit="config"):
        plans.append((flat, outputs, *resolve(flat, options, opened)))
    label = opened.label if opened else "-"
    # The configs not built keep their shards, which stats and the card read: a damaged one is named.
    with shards_checked(output_dir), transaction(report.output_dir) as staging:
        record = read_record(staging)
        for flat, outputs, commits, inputs in plans:
            with scratch_folder(staging) as scratch:
                converted = convert(flat, inputs, options, scratch=scratch, benchmarks=benchmarks, num_proc=num_proc)
                checkpoint(f"converted:{flat.name}")
                checks = {name: check for (name, fed), check in checked.items() if fed == flat.name}
                entries = {
                    config.name: _entry(converted, config, commits, inputs, staging, checks) for config in outputs
                }
            files = {item.source: item.path for item in inputs}
            for name, entry in entries.items():
                entry["options"] = options.record(label, sources_of(flat, options), files)
                record["configs"][name] = report.configs[name] = entry
                report.notes += [note for note in entry.get("notes", []) if note not in report.notes]
        record["apt_hub_version"] = __version__
        write_json(staging / RECORD, record)
        write_card(staging, write_stats(staging))
    return report


def format_report(report: BuildReport) -> str:
    """A short summary of a build: rows per config and split, drops by reason, and how to load it."""
    lines = [f"Built {', '.join(report.configs) or 'nothing'} into {report.output_dir}"]
    sampled = set()
    for config, entry in report.configs.items():
        for split, info in entry["splits"].items():
            counts = total_counts(entry["counts"].get(split, {}))
            reasons = drops(counts)
            parts = [f"sampled out {counts['sampled_out']}"] if counts.get("sampled_out") else []
            if reasons:
                parts.append("dropped: " + ", ".join(f"{reason} {n}" for reason, n in sorted(reasons.items())))
            lines.append(f"  {config}/{split}: {info['rows']} rows" + (f" ({'; '.join(parts)})" if parts else ""))
        options = entry.get("options", {})
        if options.get("max_samples") is not None:
            sampled.add((options["max_samples"], options.get("seed")))
    lines += [
        f"  sampled: at most {n} rows per source and split, drawn with --seed {seed} (--max-samples {n})"
        for n, seed in sorted(sampled)
    ]
    lines += [f"  note: {note}" for note in report.notes]
    if report.configs:
        first = next(iter(report.configs))
        lines.append(f'Load it: datasets.load_dataset("{report.output_dir}", "{first}")')
    return "\n".join(lines)


def _conversions(names: list[str], built: set[str], notes: list[str]) -> list[tuple[Config, tuple[Config, ...]]]:
    """The conversions a build runs, each with the configs it writes: its flat config, its twin, or both. A flat
    config and its twin are one unit: one asked for rewrites the other too when the folder holds it (`built`), so
    that the two never disagree.

    >>> [(flat.name, [c.name for c in out]) for flat, out in _conversions(["sft", "dpo_chat", "loyalty"], set(), [])]
    [('sft', ['sft']), ('dpo', ['dpo_chat']), ('loyalty', ['loyalty'])]
    >>> notes = []
    >>> [[c.name for c in out] for _, out in _conversions(["dpo"], {"dpo_chat"}, notes)], notes
    ([['dpo', 'dpo_chat']], ['dpo_chat rebuilt with dpo: a config and its twin hold the same rows'])
    """
    outputs: dict[str, list[str]] = {}
    for name in names:
        outputs.setdefault(flat_of(name).name, []).append(name)
    conversions = []
    for flat, asked in outputs.items():
        joined = [c.name for c in unit_of(flat) if c.name in built and c.name not in asked]
        notes += [f"{name} rebuilt with {asked[0]}: a config and its twin hold the same rows" for name in joined]
        written = [c for c in unit_of(flat) if c.name in asked or c.name in joined]
        conversions.append((CONFIGS[flat], tuple(written)))
    return conversions


def _entry(
    converted: Converted,
    config: Config,
    commits: dict[str, str],
    inputs: tuple,
    staging: Path,
    checks: dict[str, FilesCheck],
) -> dict[str, Any]:
    """Write one config of a conversion and give its build record entry (`checks`: what the check of its sources'
    files found, by source)."""
    entry: dict[str, Any] = {
        "splits": _write_config(converted, config, staging),
        "sources": _sources_record(commits, inputs, checks),
        "counts": finish_counts(converted.counts),
    }
    if config.flat:
        entry["twin_of"] = config.flat
    if converted.benchmarks:
        checked = {split: rows for split, rows in converted.splits.items() if rows.keys is not None}
        entry["decontamination"] = {
            b.spec: {"revision": b.revision, "rows_removed": {s: r.removed.get(b.spec, 0) for s, r in checked.items()}}
            for b in converted.benchmarks
        }
    if notes := input_notes(config.name, converted.counts, entry["splits"]):
        entry["notes"] = notes  # empty upstream files and splits, in the summary and in build.json
    return entry


def _write_config(converted: Converted, config: Config, staging: Path) -> dict[str, dict]:
    """Write one config of a conversion: the flat rows, or their twin, split by split, taking the measures `stats`
    reads as the rows pass. A split's shards are sized by the Arrow bytes of what they are written from: the flat
    columns for the flat config, every converted column for the twin."""
    # The staging copy shares the old shards by hard links: unlink them, never write through them.
    shutil.rmtree(data_dir(staging, config.name), ignore_errors=True)
    shutil.rmtree(staging / HASHES_DIR / config.name, ignore_errors=True)
    forget_measures(staging, config.name)
    splits = {}
    for split, rows in bar(converted.splits.items(), desc=f"Writing {config.name}", unit="split"):
        batches = (b for batch in converted.batches(split) for b in shape(config, pa.table(batch)).to_batches())
        measures: list = []  # what `stats` needs of each row, taken as the rows pass (see `measures.measuring`)
        # The flat rows' text keys, which the split checks computed: each text is normalised once per build.
        keys = None if config.is_twin else rows.keys
        files = write_batches(
            measuring(batches, measures, keyed=keys is not None),
            config.arrow_schema,
            rows=rows.rows,
            nbytes=rows.nbytes(None if config.is_twin else converted.config.field_names),
            root=staging,
            config=config.name,
            split=split,
        )
        write_measures(staging, config.name, split, files, measures, keys)
        splits[split] = {"rows": rows.rows, "files": files}
    checkpoint(f"written:{config.name}")
    return splits


def _sources_record(commits: dict[str, str], inputs: tuple, checks: dict[str, FilesCheck]) -> dict[str, dict]:
    """Each Hub source of a config: its repository, revision and commit, its license, the files read and what the
    check of those files against the manifest found."""
    return {
        name: {
            "repo_id": SOURCES[name].repo_id,
            "revision": SOURCES[name].revision,
            "commit": commit,
            "license": SOURCES[name].license,
            "files": sorted({item.path for item in inputs if item.source == name}),
        }
        | ({"manifest": checks[name].record()} if name in checks else {})
        for name, commit in commits.items()
    }


def _config_names(configs, options: BuildOptions, notes: list[str]) -> list[str]:
    """The configs to build: those named, else every config that can be built, each skipped one in `notes`."""
    named = names(configs)
    for name in named or ():
        get_config(name)
    chosen = []
    for name in list(dict.fromkeys(named)) if named else list(CONFIGS):
        config = CONFIGS[name]
        if not sources_of(config, options):
            if named:
                raise UsageError(f"No source of --only {','.join(options.only or ())} feeds config {name!r}.")
            notes.append(f"{name} skipped: no source of --only {','.join(options.only or ())} feeds it.")
        elif not named and (lacking := _lacking_file(config, options)):
            notes.append(f"{name} skipped: no {lacking.option(lacking.file_option).flag} given ({lacking.file_hint}).")
        else:
            chosen.append(name)
    return chosen


def _lacking_file(config: Config, options: BuildOptions) -> Source | None:
    """The source of a config fed only by local files when none of them is given; `None` when it can be built."""
    sources = sources_of(config, options)
    if all(s.file_option and options.local_file(s, SAMPLES) is None for s in sources):
        return sources[0]
    return None
