"""Where upstream files come from: the Hub (or a mirror of it), the bundled samples, or a local directory.

Every upstream answers three questions for a source: which commit a revision means, which files the repository
holds at that commit, and where a file is on this machine. `resolve_inputs` turns a source's file patterns
into the concrete, fingerprinted files a build reads, so that a changed file or revision never hits a stale cache.
"""

import difflib
import hashlib
import os
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import UpstreamError, UsageError, check_choice, redact
from ..network import download_workers
from ..sources import Source, matches
from .manifest import Found, Manifest, copy_manifest, download_command, entries_of, pinned_manifest

SAMPLES = Path(str(resources.files("apt_hub") / "samples"))
_UNREACHABLE = ". Set HF_ENDPOINT to a reachable mirror, or HF_HUB_OFFLINE=1 to use the files already in the HF cache."


@dataclass(frozen=True)
class InputFile:
    """One upstream file a build reads, for one source and split.

    Args:
        source: the registry name of the source.
        split: the output split it feeds.
        path: its path within the upstream repository.
        local: where it is on this machine.
        fingerprint: changes whenever its content may have changed (commit and path, or size and mtime).
    """

    source: str
    split: str
    path: str
    local: str
    fingerprint: str


class Upstream:
    """The interface of an upstream. `describe` names it in messages; `label` in build records and the card,
    which are published, so it holds no local path. `hashes` says whether its files may have changed in place, so
    that the check against a manifest compares their content (`apt_hub.read.manifest.check_files`)."""

    describe: str
    label: str
    remote = False  # whether the files come over the network (the Hub or a mirror of it)
    hashes = False

    def commit(self, source: Source) -> str:
        raise NotImplementedError

    def entries(self, source: Source, commit: str) -> dict[str, Found]:
        """Every path of a source's repository, regular files or not, with what it is."""
        raise NotImplementedError

    def list_files(self, source: Source, commit: str) -> list[str]:
        """The regular files of a source's repository."""
        return [path for path, found in self.entries(source, commit).items() if found.kind == "file"]

    def manifest(self, source: Source) -> Manifest | None:
        """The manifest the files of a source are checked against: its pinned one."""
        return pinned_manifest(source)

    def fetch_hint(self, source: Source, paths: list[str] | None) -> str:
        """The sentence that says how to fetch some missing files of a source (`None`: all it reads), with the
        command; empty when there is none."""
        return ""

    def fetch(self, source: Source, commit: str, path: str) -> tuple[str, str]:
        """The local path of a file and its fingerprint."""
        raise NotImplementedError

    def fetch_all(self, source: Source, commit: str, paths: list[str]) -> list[tuple[str, str]]:
        """`fetch` of every path, in their order."""
        return [self.fetch(source, commit, path) for path in paths]


class HubUpstream(Upstream):
    """The Hugging Face Hub through huggingface_hub: honours `HF_ENDPOINT`, `HF_TOKEN`, the HF cache and
    `HF_HUB_OFFLINE=1` (then files come from the cache only)."""

    remote = True

    def __init__(self, token: str | None = None):
        from huggingface_hub import constants

        from ..network import use_timeouts

        use_timeouts()  # a stalled mirror must end in an error, not a wait
        self.token = token
        # Recorded in build.json and the card, and printed: never the credentials a mirror's URL may hold.
        self.endpoint = redact(constants.ENDPOINT)
        self.describe = self.label = f"hub ({self.endpoint})"
        self._commits: dict[tuple[str, str], tuple[str, dict[str, Found]]] = {}

    def _info(self, source: Source) -> tuple[str, dict[str, Found]]:
        key = (source.repo_id, source.revision)
        if key not in self._commits:
            self._commits[key] = self._offline_info(source) if _offline() else self._online_info(source)
        return self._commits[key]

    def _online_info(self, source: Source) -> tuple[str, dict[str, Found]]:
        from huggingface_hub import HfApi
        from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

        where = f"{source.repo_id}@{source.revision} (source {source.name!r}) at {self.endpoint}"
        try:
            info = HfApi(token=self.token).dataset_info(source.repo_id, revision=source.revision)
        except RevisionNotFoundError as error:
            raise UpstreamError(f"Revision not found: {where}.") from error
        except RepositoryNotFoundError as error:
            raise UpstreamError(
                f"Dataset repository not found: {where}. If it is private or gated, set HF_TOKEN."
            ) from error
        except HfHubHTTPError as error:
            status = error.response.status_code if error.response is not None else None
            if status not in (401, 403):
                raise UpstreamError(f"Cannot read {where}: {redact(str(error))}{_UNREACHABLE}") from error
            raise UpstreamError(
                f"Cannot read {where}: the Hub refused the token ({status}). Check HF_TOKEN (or the token of "
                "`hf auth login`), or unset it to read public datasets without one."
            ) from error
        except Exception as error:  # httpx and huggingface_hub raise many types for an unreachable endpoint
            raise UpstreamError(f"Cannot read {where}: {redact(str(error))}{_UNREACHABLE}") from error
        assert info.sha is not None  # the Hub always answers with the commit of a revision
        if source.revision != info.sha:
            # Files are downloaded by commit id, so the cache would never learn what the branch meant;
            # recording it lets an offline build find the snapshot.
            ref = _cache_folder(source) / "refs" / source.revision
            ref.parent.mkdir(parents=True, exist_ok=True)
            ref.write_text(info.sha)
        return info.sha, {name: Found("file") for name in sorted(s.rfilename for s in info.siblings or [])}

    def _offline_info(self, source: Source) -> tuple[str, dict[str, Found]]:
        from huggingface_hub import constants

        repo = _cache_folder(source)
        commit = source.revision
        ref = repo / "refs" / source.revision
        if ref.is_file():
            commit = ref.read_text().strip()
        snapshot = repo / "snapshots" / commit
        if not snapshot.is_dir():
            raise UpstreamError(
                f"HF_HUB_OFFLINE is set and the HF cache ({constants.HF_HUB_CACHE}) has no snapshot of "
                f"{source.repo_id}@{source.revision} (source {source.name!r}). Build once online to fill the cache."
            )
        return commit, entries_of(snapshot)

    def commit(self, source: Source) -> str:
        return self._info(source)[0]

    def entries(self, source: Source, commit: str) -> dict[str, Found]:
        return self._info(source)[1]

    def fetch_hint(self, source: Source, paths: list[str] | None) -> str:
        if not _offline():  # the listing is the commit's: a file it lacks is the manifest's mistake
            return f"{source.repo_id} lacks them at its pinned revision: make its manifest again (make manifests)."
        command = download_command(source, paths, None)
        return f"To fetch what is missing of {source.repo_id} (online, with the same HF_HOME): {command}"

    def fetch(self, source: Source, commit: str, path: str) -> tuple[str, str]:
        from huggingface_hub import hf_hub_download

        try:
            local = hf_hub_download(source.repo_id, path, repo_type="dataset", revision=commit, token=self.token)
        except Exception as error:
            raise UpstreamError(f"Cannot download {source.repo_id}@{commit}/{path}: {redact(str(error))}") from error
        return local, f"{source.repo_id}@{commit}/{path}"

    def fetch_all(self, source: Source, commit: str, paths: list[str]) -> list[tuple[str, str]]:
        """The files downloaded concurrently, as `snapshot_download` does: a cold build waits for the slowest of
        a few downloads instead of their sum (8 at once, or `APT_HUB_DOWNLOAD_WORKERS`). A failure is the first
        failing path's, in the order given, once every download has ended."""
        workers = min(download_workers(), len(paths))
        if workers < 2:
            return super().fetch_all(source, commit, paths)
        with ThreadPoolExecutor(workers, thread_name_prefix="apt-hub-download") as pool:
            futures = [pool.submit(self.fetch, source, commit, path) for path in paths]
            wait(futures)
        return [future.result() for future in futures]


class DirectoryUpstream(Upstream):
    """A local directory laid out like the Hub, `DIR/<org>/<name>/<path in repo>`; revisions are ignored."""

    def __init__(self, root: str | Path, describe: str | None = None, label: str | None = None):
        self.root = Path(root)
        self.describe = describe or f"directory {self.root}"
        self.label = label or f"directory {self.root.name}"
        if self.root.exists() and not self.root.is_dir():
            raise UpstreamError(f"Upstream {self.root} is a file, not a directory laid out like the Hub")
        if not self.root.is_dir():
            raise UpstreamError(f"Upstream directory not found: {self.root}")

    def _repo(self, source: Source) -> Path:
        repo = self.root / source.repo_id
        if not repo.is_dir():
            raise UpstreamError(
                f"{self.describe} has no folder {source.repo_id} for source {source.name!r} "
                f"(expected {repo}/<files of the Hub repository>)."
            )
        return repo

    hashes = True

    def commit(self, source: Source) -> str:
        return "local"

    def entries(self, source: Source, commit: str) -> dict[str, Found]:
        return entries_of(self._repo(source))

    def manifest(self, source: Source) -> Manifest | None:
        """A reduced copy's own manifest, beside the repository folder; else the source's pinned one."""
        return copy_manifest(self.root / source.repo_id) or pinned_manifest(source)

    def fetch_hint(self, source: Source, paths: list[str] | None) -> str:
        own = copy_manifest(self.root / source.repo_id)
        if own is not None:
            remake = own.remake.format(root=self.root)
            return f"{source.repo_id} here is a reduced copy ({own.copy}): make it again with {remake}"
        command = download_command(source, paths, str(self.root / source.repo_id))
        return f"To fetch what is missing of {source.repo_id}: {command}"

    def fetch(self, source: Source, commit: str, path: str) -> tuple[str, str]:
        local = self._repo(source) / path
        stat = local.stat()
        return str(local), f"{local}:{stat.st_size}:{stat.st_mtime_ns}"


def open_upstream(spec: str | Path, *, token: str | None = None) -> Upstream:
    """The upstream named by `--upstream`: `"hub"`, `"samples"` or a directory."""
    if str(spec) == "hub":
        return HubUpstream(token=token)
    if str(spec) == "samples":
        return DirectoryUpstream(SAMPLES, describe="samples (bundled with apt-hub)", label="samples")
    if not Path(spec).exists() and os.sep not in str(spec):
        close = difflib.get_close_matches(str(spec), ["hub", "samples"], n=1)
        if close:
            raise UsageError(
                f"--upstream must be hub, samples or a directory; got {str(spec)!r}, which is no directory "
                f"(did you mean {close[0]!r}?)"
            )
    return DirectoryUpstream(spec)


def resolve_inputs(
    upstream: Upstream,
    source: Source,
    config: str,
    *,
    others: list[str] | None = None,
    subsets: frozenset[str] | None = None,
) -> tuple[str, list[InputFile]]:
    """The commit and the files a source feeds into a config, every pattern resolved against the repository.

    Args:
        upstream: where the files come from.
        source: the source to resolve.
        config: the config it feeds.
        others: the other sources feeding the config in this build, named by the hint of a missing file.
        subsets: only the files of these subsets (`hh-rlhf/helpful-base`, by `Source.tag_for`); all when `None`.

    Raises:
        UpstreamError: a pattern matches no file; the message names the source, repository and pattern.
        UsageError: a subset that no file of the source belongs to.
    """
    commit = upstream.commit(source)
    available = upstream.list_files(source, commit)
    wanted: list[tuple[str, str]] = []
    if subsets is not None:
        available = _of_subsets(source, config, available, subsets)
    for split, patterns in source.feeds[config].items():
        for pattern in patterns:
            found = [path for path in available if matches(pattern, path)]
            if not found and subsets is not None:
                continue  # a subset holds only some of the files a source feeds (no test split, say)
            if not found:
                raise UpstreamError(
                    f"Missing upstream file: no file matches {pattern!r} in {source.repo_id}@{commit} "
                    f"({upstream.describe}, source {source.name!r}, config {config!r}, split {split!r}). "
                    f"Files there: {_preview(available)}. {_without(source.name, config, others or [])}"
                )
            wanted += [(split, path) for path in found]
    fetched = upstream.fetch_all(source, commit, [path for _, path in wanted])
    inputs = [InputFile(source.name, split, path, *got) for (split, path), got in zip(wanted, fetched, strict=True)]
    return commit, inputs


def _of_subsets(source: Source, config: str, available: list[str], subsets: frozenset[str]) -> list[str]:
    """The files of the named subsets among those a source feeds into a config; a subset with none is an error."""
    fed = [path for path in available if any(matches(p, path) for ps in source.feeds[config].values() for p in ps)]
    tags = sorted({source.tag_for(path) for path in fed})
    for subset in sorted(subsets):
        check_choice(subset, tags, f"--only: a subset of {source.name} in {config}")
    return [path for path in available if source.tag_for(path) in subsets]


def _without(name: str, config: str, others: list[str]) -> str:
    """How to build without a source: name the others with --only, or leave its config out."""
    if others:
        return f"To build without {name}: --only {','.join(others)}."
    return f"{name} is the only source of {config} in this build: to build without it, leave {config} out."


def file_fingerprint(path: str | Path) -> str:
    """The sha256 of a small local file, such as a loyalty file."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _cache_folder(source: Source) -> Path:
    """The HF hub cache folder of a source's dataset repository."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE) / f"datasets--{source.repo_id.replace('/', '--')}"


def _offline() -> bool:
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def _preview(paths: list[str], limit: int = 8) -> str:
    if not paths:
        return "none"
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")
