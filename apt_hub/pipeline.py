"""Conversion as a plain pipeline: one config's resolved inputs and options in; its checked rows, counts by reason,
text keys and byte sizes out, as values.

    convert(config, inputs, options, scratch=DIR) -> Converted

1. **Jobs.** The input files of each split are shared among worker processes in contiguous groups, so that rows
   keep the order of the files. A job converts its files (`apt_hub.convert.convert_file`: read, type-check, the
   source's row mapper, the config's row checks), draws `max_samples` rows per source, adds the config's derived
   columns (`apt_hub.configs.with_derived`) and writes its rows to a file of its own in `scratch`; it returns
   that file, its counts, and any error, as a value (`JobResult`) that the parent merges, as datatrove's executor
   sums the stats its steps return.
2. **Split checks** (`apt_hub.clean.dedup`): the test split first, whose prompts train must not hold; each split's
   files are keyed, decided and rewritten in place.
3. **The result** (`Converted`): per split, the files of the checked rows (the flat fields, then the columns
   recorded for the twin), their rows and Arrow bytes per column, the text keys of the rows (which `stats` reuses),
   and the counts. A flat config and its twin are both written from it (`apt_hub.configs.shape`).

`cache_key` is the one key of a conversion, for the caches that keep one (the `datasets` builder's): the conversion
code, the options, the inputs and every source's own code and fields.
"""

from __future__ import annotations

import ast
import ctypes
import functools
import hashlib
import inspect
import os
import signal
import sys
import tempfile
import threading
import time
import types
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, fields, is_dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

import apt_hub

from .clean import dedup
from .clean.checks import RowScreen
from .clean.decontamination import Benchmark, gram_set, read_texts
from .configs import Config, converted_features, with_derived, with_recorded
from .convert import Counts, convert_file, sample_rows
from .errors import AptHubError, UsageError, check_input_file
from .folder import checkpoint, writing
from .options import BuildOptions
from .progress import bar
from .read.upstream import SAMPLES, InputFile, Upstream, file_fingerprint, open_upstream, resolve_inputs
from .sources import SOURCES, Context, Source, sources_for

if TYPE_CHECKING:
    from datasets import Features

# Upstream bytes from which a config is converted by several processes, at most MAX_PROC.
PARALLEL_BYTES = 32 << 20
MAX_PROC = 4
# prctl(2): the signal a process gets when its parent dies (Linux).
PR_SET_PDEATHSIG = 1
# The code that turns upstream rows into unified rows starts here and in the custom sources' loader; whatever they
# import from apt_hub is hashed with them (`fingerprinted_files`), and nothing else: the card, stats, CLI, menu and
# publishing are left out.
CONVERSION_ROOTS = (Path(__file__), Path(apt_hub.__file__).parent / "sources" / "custom.py")


@dataclass(frozen=True)
class Job:
    """Some input files of one split, converted by one process into one file of `scratch`."""

    config: str
    split: str
    inputs: tuple[InputFile, ...]
    options: BuildOptions
    output: Path


@dataclass
class JobResult:
    """What a job returns: the file of its rows, and its counts; or the error that stopped it."""

    output: Path
    counts: Counts = field(default_factory=dict)
    error: AptHubError | None = None


@dataclass
class SplitRows:
    """The checked rows of one split: their files (Arrow streams, in order), rows, Arrow bytes per column, the text
    keys of each row (`apt_hub.clean.dedup.row_keys`; `None` for a split without rows) and the rows each
    `--decontaminate` benchmark removed."""

    files: list[Path]
    rows: int = 0
    column_bytes: dict[str, int] = field(default_factory=dict)
    keys: pl.DataFrame | None = None
    removed: dict[str, int] = field(default_factory=dict)

    def nbytes(self, columns: list[str] | tuple[str, ...] | None = None) -> int:
        """The Arrow bytes of some columns (all of them by default), which size the shards written from them."""
        return sum(n for name, n in self.column_bytes.items() if columns is None or name in columns)


@dataclass
class Converted:
    """One config converted and checked: every split's rows, and the counts of every row read, by split and source
    tag. The files live in the scratch folder of the conversion."""

    config: Config
    splits: dict[str, SplitRows]
    counts: Counts
    benchmarks: tuple[Benchmark, ...] = ()

    def batches(self, split: str) -> Iterator[pa.RecordBatch]:
        """The record batches of a split's checked rows, in order, read one at a time."""
        for path in self.splits[split].files:
            yield from dedup.stream(path)


def sources_of(config: Config, options: BuildOptions) -> list[Source]:
    """The registered sources that feed a config under `--only`, in registration order."""
    flat = config.flat or config.name
    named = None if options.only is None else {name.split("/", 1)[0] for name in options.only}
    return [s for s in sources_for(flat) if named is None or s.name in named]


def subsets_of(source: Source, options: BuildOptions) -> frozenset[str] | None:
    """The subsets of a source that `--only` names (`hh-rlhf/helpful-base`), or `None` for all of them."""
    if options.only is None or source.name in options.only:
        return None
    return frozenset(name for name in options.only if name.split("/", 1)[0] == source.name)


def resolve(
    config: Config, options: BuildOptions, upstream: Upstream | None = None
) -> tuple[dict[str, str], tuple[InputFile, ...]]:
    """The commit of each Hub source of a config and the files the config reads, every pattern resolved.

    Args:
        config: the config (a twin reads the files of its flat config).
        options: the build options (`upstream`, `only`, a source's file option).
        upstream: the opened `options.upstream`, shared by the configs of one build so that a source feeding
            several configs is listed once; opened here when needed and not given.

    Raises:
        UsageError: a source backed by a local file has none given.
        ConfigError: the file given is not there, or not a file.
        UpstreamError: an upstream file is missing or unreadable.
    """
    flat = config.flat or config.name
    commits, inputs = {}, []
    sources = sources_of(config, options)
    for source in sources:
        if source.file_option:
            inputs.append(local_input(source, flat, options))
            continue
        upstream = upstream or open_upstream(options.upstream)
        others = [other.name for other in sources if other is not source]
        commits[source.name], found = resolve_inputs(
            upstream, source, flat, others=others, subsets=subsets_of(source, options)
        )
        inputs += found
    return commits, tuple(inputs)


def local_input(source: Source, config: str, options: BuildOptions) -> InputFile:
    """The file of a source backed by a local file instead of a Hub repository."""
    path = options.local_file(source, SAMPLES)
    if path is None:
        raise UsageError(f"The {config} config needs {missing_file(source)}.")  # an option left out: exit 2
    check_input_file(path, f"{source.name} file")
    split = next(iter(source.feeds[config]))
    return InputFile(source.name, split, Path(path).name, path, file_fingerprint(path))


def missing_file(source: Source) -> str:
    """What a source backed by a local file needs when none is given: `--loyalty-file (make one with ...)`."""
    return f"{source.option(source.file_option).flag} ({source.file_hint})"


def convert(
    config: Config,
    inputs: tuple[InputFile, ...],
    options: BuildOptions,
    *,
    scratch: str | Path,
    benchmarks: tuple[Benchmark, ...] = (),
    num_proc: int | None = None,
) -> Converted:
    """Convert and check one flat config from its resolved input files.

    Args:
        config: the flat config.
        inputs: its input files, every split (`apt_hub.read.upstream.resolve_inputs`).
        options: the build options.
        scratch: a folder for the files of the checked rows; they are the result's, to read until it is removed.
        benchmarks: the resolved `--decontaminate` benchmarks.
        num_proc: worker processes (default: the cores, up to `MAX_PROC`, for `PARALLEL_BYTES` of inputs or
            more; one process with `max_samples`, which draws from a source's rows of a split at once).

    Returns:
        The `Converted` config.

    Raises:
        AptHubError: what any job raised (a bad row, a missing file, a mapper at fault), as it was raised.
    """
    splits = list(dict.fromkeys(item.split for item in inputs))
    workers = processes(options, inputs, num_proc)
    jobs = _jobs(config, inputs, options, Path(scratch), splits, workers)
    results = _run(jobs, workers, isolated=any(_runs_user_code(SOURCES[item.source]) for item in inputs))
    counts: Counts = {}
    for result in results:
        if result.error is not None:
            raise result.error
        for key, counter in result.counts.items():
            counts.setdefault(key, Counter()).update(counter)
    files = {split: [job.output for job in jobs if job.split == split] for split in splits}
    grams = {b.spec: gram_set(read_texts(b)) for b in benchmarks}
    checked: dict[str, SplitRows] = {}
    # The test split first and whole: its prompts are what train must not hold.
    test_prompts = None
    for split in sorted(splits, key=lambda s: s != "test"):
        checked[split], prompts = _check_split(config, split, files[split], options, test_prompts, grams, counts)
        test_prompts = prompts if split == "test" else test_prompts
    return Converted(config, {split: checked[split] for split in splits}, counts, benchmarks)


def processes(options: BuildOptions, inputs: tuple[InputFile, ...], requested: int | None) -> int:
    """Worker processes for a conversion: the files of a split are shared among them, so one with `max_samples`,
    which draws from a source's rows at once. Small inputs are not worth a pool."""
    if options.max_samples is not None:
        return 1
    if requested is not None:
        return max(1, requested)
    large = sum(Path(item.local).stat().st_size for item in inputs) >= PARALLEL_BYTES
    return min(os.cpu_count() or 1, MAX_PROC) if large and len(inputs) > 1 else 1


def _jobs(
    config: Config,
    inputs: tuple[InputFile, ...],
    options: BuildOptions,
    scratch: Path,
    splits: list[str],
    num_proc: int,
) -> list[Job]:
    """The jobs of a conversion: per split, its files in at most `num_proc` contiguous groups, as even as can be."""
    jobs = []
    for split in splits:
        files = [item for item in inputs if item.split == split]
        groups = min(num_proc, len(files)) or 1
        size, extra = divmod(len(files), groups)
        start = 0
        for index in range(groups):
            end = start + size + (index < extra)
            output = scratch / f"{config.name}-{split}-{index:05d}.arrow"
            jobs.append(Job(config.name, split, tuple(files[start:end]), options, output))
            start = end
    return jobs


def _run(jobs: list[Job], workers: int, *, isolated: bool = False) -> list[JobResult]:
    """Run the jobs, in `workers` processes when there are several; the results in the order of the jobs.

    Workers are forked, so that sources registered from Python are theirs too; they do not use polars, whose
    thread pool does not survive a fork. They die with the build (`_worker_start`), and a build that stops early
    (an interrupt) stops them: `shutdown` would wait for every job under way. Jobs that run a user's code
    (`isolated`) always run in worker processes: a mapping that calls `os._exit(0)` then ends its worker, not the
    build. A job whose worker ends without returning its result (`os._exit()`, a kill, no memory left) is one line
    naming what it was converting, as a bad row is, never a build that seems to have succeeded.

    Raises:
        AptHubError: a worker process ended before its job did.
    """
    if (workers <= 1 or len(jobs) <= 1) and not isolated:
        return [_done(job, run_job(job)) for job in jobs]
    context = get_context("fork")
    pool = ProcessPoolExecutor(max(1, min(len(jobs), workers)), context, _worker_start, (os.getpid(),))
    futures = [pool.submit(run_job, job) for job in jobs]
    try:
        results = []
        for job, future in zip(jobs, futures, strict=True):
            try:
                results.append(_done(job, future.result()))
            except BrokenProcessPool:
                raise AptHubError(_ended_without_result(job)) from None
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown()
    return results


def _done(job: Job, result: JobResult) -> JobResult:
    """A job's result as the build receives it: the test hooks may stop the build here, other jobs under way."""
    checkpoint(f"job-done:{job.config}")
    return result


def _worker_start(parent: int) -> None:
    """Set up a worker process: it dies with the build, so that a killed build leaves no worker behind waiting for
    jobs forever; Ctrl-C is the build's to handle, which stops its workers without a traceback from each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    else:
        threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # the build died before the worker could follow it
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _stop(pool: ProcessPoolExecutor) -> None:
    """End a pool's workers now, jobs under way included (`terminate_workers` from Python 3.14 on)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def _runs_user_code(source: Source) -> bool:
    """Whether a source's row mapper runs code of a user's (a sources file's `mapping`), which may end its process."""
    return bool(getattr(source.convert, "runs_user_code", False))


def _ended_without_result(job: Job) -> str:
    """What a job whose process ended without a result was converting, and what may have ended it."""
    files = ", ".join("/".join(filter(None, [SOURCES[i.source].repo_id, i.path])) for i in job.inputs[:3])
    more = f" and {len(job.inputs) - 3} more" if len(job.inputs) > 3 else ""
    mappings = sorted({item.source for item in job.inputs if _runs_user_code(SOURCES[item.source])})
    cause = f"a mapping of source {', '.join(map(repr, mappings))} calling os._exit(), or " if mappings else ""
    return (
        f"Converting {job.config}/{job.split} ({files}{more}) stopped: its worker process ended without returning "
        f"its rows ({cause}the system killing the process, as when memory runs out). Nothing was written."
    )


def run_job(job: Job) -> JobResult:
    """Convert a job's files into its output file; an error of ours comes back as a value, as it was raised."""
    from .configs import get_config

    config = get_config(job.config)
    features = with_recorded(config)
    result = JobResult(job.output)
    checkpoint(f"job:{job.config}")  # in a worker process, a test kills only that worker here
    screen = RowScreen(config, job.options.dropping)
    try:
        schema = converted_features(config).arrow_schema
        with (
            writing(job.output),
            pa.OSFile(str(job.output), "wb") as file,
            pa.ipc.new_stream(file, schema) as writer,
        ):
            for name in dict.fromkeys(item.source for item in job.inputs):
                items = [item for item in job.inputs if item.source == name]
                tables: Iterator[pa.Table] = _source_tables(
                    SOURCES[name], items, features, job.options, result.counts, screen
                )
                if job.options.max_samples is not None:
                    seed = f"{job.options.seed}:{name}:{job.split}"
                    tables = iter([sample_rows(tables, features, job.options.max_samples, seed)])
                for table in tables:
                    writer.write_table(with_derived(config, table))
    except AptHubError as error:
        result.error = error
    return result


def checked_tables(
    config: Config, source: Source, items: list[InputFile], options: BuildOptions, counts: Counts
) -> Iterator[pa.Table]:
    """The rows of a source's files as a build of `config` has them after its row checks (the split checks, which
    weigh rows against each other, aside); rows dropped are counted in `counts`, as in a build."""
    features = with_recorded(config)
    yield from _source_tables(source, items, features, options, counts, RowScreen(config, options.dropping))


def _source_tables(
    source: Source,
    items: list[InputFile],
    features: Features,
    options: BuildOptions,
    counts: Counts,
    screen: RowScreen,
) -> Iterator[pa.Table]:
    """The unified, screened tables of a source's files, in order."""
    skip, values = options.on_bad_rows == "skip", options.for_source(source)
    for item in bar(items, desc=f"Converting {source.name}", unit="file"):
        context = Context(tag=source.tag_for(item.path), options=values)
        yield from convert_file(source, item, features, counts, context=context, skip_bad_rows=skip, screen=screen)


def _check_split(
    config: Config,
    split: str,
    paths: list[Path],
    options: BuildOptions,
    test_prompts: pl.Series | None,
    grams: dict[str, pl.Series],
    counts: Counts,
) -> tuple[SplitRows, pl.Series]:
    """Run the split checks over a split's files, rewrite them and count; the checked rows, and the prompt keys of
    the rows kept."""
    rows = SplitRows(paths)
    marks = dedup.split_marks(paths, config, test_prompts, grams)
    if marks.is_empty():
        return rows, pl.Series("prompt_key", [], dtype=pl.Struct({"a": pl.UInt64, "b": pl.UInt64}))
    decided = dedup.decisions(marks, options.dropping)
    start, files = 0, []
    for index, path in enumerate(paths):
        n = int(marks["file"].eq(index).sum())
        files.append(dedup.rewrite(path, decided.slice(start, n)))
        start += n
    for tag, counter in dedup.count(marks, decided, files).items():
        counts.setdefault((split, tag), Counter()).update(counter)
    keep = decided["reason"].is_null()
    rows.rows = sum(file.rows for file in files)
    for file in files:
        for name, n in file.column_bytes.items():
            rows.column_bytes[name] = rows.column_bytes.get(name, 0) + n
    rows.keys = dedup.row_keys(marks.filter(keep))
    rows.removed = dedup.benchmark_counts(marks.filter(decided["reason"] == "contaminated"))
    return rows, marks.filter(keep)["prompt_key"]


def scratch_folder(beside: str | Path | None = None) -> tempfile.TemporaryDirectory:
    """A folder for a conversion's files, removed when the returned object is closed or collected."""
    return tempfile.TemporaryDirectory(prefix=".apt-scratch-", dir=beside)


# ------------------------------------------------------------------------------------------- the cache key


def cache_key(
    config: Config, inputs: tuple[InputFile, ...], options: BuildOptions, benchmarks: tuple[Benchmark, ...] = ()
) -> str:
    """The one key of a conversion: equal keys give equal rows.

    It covers the conversion code (`code_fingerprint`), the config, the options, every input file (its
    fingerprint changes with its content or commit), every source's own fields and code (`source_fingerprint`:
    sources registered from Python and from a sources file alike) and the benchmarks.
    """
    sources = [source_fingerprint(SOURCES[name]) for name in dict.fromkeys(item.source for item in inputs)]
    parts = [
        code_fingerprint(),
        config.name,
        repr(options),
        repr(inputs),
        sources,
        [b.fingerprint for b in benchmarks],
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def source_fingerprint(source: Source) -> str:
    """A digest of a source: its fields, and the code of its mapper and of every function it holds, so that a
    source changed in a session or in its file never reads a stale cache.

    A callable that knows its own fingerprint (a mapping from a sources file, whose code is read, not imported)
    gives it; a function gives its module's file and its code objects, recursively, and what its closure holds.
    """
    return hashlib.sha256(repr(_fingerprint_value(source)).encode()).hexdigest()[:16]


def _fingerprint_value(value: Any, depth: int = 0) -> Any:
    """A deterministic stand-in for a value in `source_fingerprint` (never an id or an address)."""
    if depth > 8:
        return "..."
    own = getattr(value, "fingerprint", None)
    if isinstance(own, str) and not isinstance(value, type):
        return own
    if callable(own) and not isinstance(value, type) and not inspect.isroutine(value):
        return own()
    if isinstance(value, types.FunctionType):
        return _function_value(value, depth)
    if is_dataclass(value) and not isinstance(value, type):
        return [type(value).__qualname__] + [
            (f.name, _fingerprint_value(getattr(value, f.name), depth + 1)) for f in fields(value)
        ]
    if isinstance(value, dict | types.MappingProxyType):
        return sorted((repr(key), _fingerprint_value(item, depth + 1)) for key, item in value.items())
    if isinstance(value, list | tuple | frozenset | set):
        items = [_fingerprint_value(item, depth + 1) for item in value]
        return sorted(items, key=repr) if isinstance(value, frozenset | set) else items
    if callable(value) and not isinstance(value, type):
        state = getattr(value, "__dict__", {})
        return [type(value).__qualname__, _fingerprint_value(dict(state), depth + 1)]
    return repr(value)


def _function_value(function: types.FunctionType, depth: int) -> Any:
    try:
        module = Path(inspect.getsourcefile(function) or "")
        text = module.read_bytes() if module.is_file() else b""
    except (OSError, TypeError):
        text = b""
    cells = [_fingerprint_value(cell.cell_contents, depth + 1) for cell in function.__closure__ or ()]
    return [function.__qualname__, hashlib.sha256(text).hexdigest(), _code_value(function.__code__), cells]


def _code_value(code: types.CodeType) -> Any:
    consts = [_code_value(c) if isinstance(c, types.CodeType) else repr(c) for c in code.co_consts]
    return [code.co_code.hex(), consts, code.co_names]


def fingerprinted_files() -> list[Path]:
    """The files `code_fingerprint` hashes: `CONVERSION_ROOTS` and the apt_hub modules they import, transitively."""
    package = Path(apt_hub.__file__).parent
    found: set[Path] = set()
    todo = [*CONVERSION_ROOTS, package / "__init__.py"]
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


@functools.cache
def _code_digest(stamps: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256(apt_hub.__version__.encode())
    for name, _, _ in stamps:
        digest.update(Path(name).read_bytes())
    return digest.hexdigest()[:16]


def code_fingerprint() -> str:
    """A hash of the code that converts rows, so that a changed rule never reads a stale cache."""
    stamps = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in fingerprinted_files())
    return _code_digest(stamps)
