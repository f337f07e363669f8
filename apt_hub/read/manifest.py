"""What each source's repository holds at its pinned revision, and the check of an upstream against it.

A manifest lists every file of one Hub dataset repository at one revision: its path, its size, and the content hash
the Hub reports (the sha256 of a file stored with LFS, the git blob id of any other). `hub_manifest` reads it from
the Hub's tree API; `make manifests` writes those of the built-in sources beside their modules
(`apt_hub/sources/manifests/<source>.json`). A reduced copy of upstreams carries its own, made with it, beside each
repository folder (`<org>/<name>.manifest.json`): the bundled samples (`tools/make_samples.py`) and the benchmark's
mirror (`bench/mirror.py`) hold rows written for apt-hub, not the upstream files, and are checked against what they
were made with, which no real download has.

Before anything is converted, `check_files` compares what an upstream holds with its manifest, for the files a build
reads (those its patterns match), and names every problem at once:

- a listed file that is missing, or a path the build would read that is not a regular file (a directory, a socket,
  a broken link): always an error, with the command that fetches what is missing;
- a file the manifest does not list, or whose size or hash differs (changed upstream): an error, or with
  `--allow-changed-upstream` a note of the build, read as it is.

A source without a manifest is checked by its patterns alone: each must match a file. A directory is checked in
full (sizes, and the hashes the manifest gives); the Hub by its listing at the pinned commit, whose files are those
of the commit, and the HF cache (offline) by what its snapshot holds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import stat
from collections import deque
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, Problem, UpstreamError, one_line

if TYPE_CHECKING:
    from ..sources import Source
    from .upstream import Upstream

# The manifests of the built-in sources, one per source, by name (`make manifests` writes them).
MANIFESTS = Path(__file__).resolve().parents[1] / "sources" / "manifests"
COPY_SUFFIX = ".manifest.json"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Listed:
    """One file of a manifest: its size, and its content hash when the manifest gives one."""

    size: int
    sha256: str | None = None
    git_oid: str | None = None


@dataclass(frozen=True)
class Manifest:
    """The files of a repository at a revision.

    Args:
        repo_id: the Hub dataset repository, `org/name`.
        revision: the commit they are the files of.
        files: every file, by path in the repository.
        copy: for a reduced copy, what it is (`the bundled samples: ...`); empty for the repository itself.
        remake: for a reduced copy, the command that makes it again (`{root}` stands for the upstream folder).
    """

    repo_id: str
    revision: str
    files: Mapping[str, Listed]
    copy: str = ""
    remake: str = ""

    def text(self) -> str:
        """The manifest as its file holds it: JSON, keys in a fixed order, one file a line."""
        head = {"repo_id": self.repo_id, "revision": self.revision}
        head |= {key: value for key, value in (("copy", self.copy), ("remake", self.remake)) if value}
        lines = [f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n" for key, value in head.items()]
        files = [
            f"    {json.dumps(path, ensure_ascii=False)}: {json.dumps(_listed_json(listed))}"
            for path, listed in sorted(self.files.items())
        ]
        return "{\n" + "".join(lines) + '  "files": {\n' + ",\n".join(files) + "\n  }\n}\n"


def _listed_json(listed: Listed) -> dict[str, Any]:
    value: dict[str, Any] = {"size": listed.size}
    if listed.sha256:
        value["sha256"] = listed.sha256
    if listed.git_oid:
        value["git_oid"] = listed.git_oid
    return value


def read_manifest(path: str | Path) -> Manifest:
    """Read a manifest file.

    Raises:
        ConfigError: the file is not a manifest; the message names the file, the line or field, and what was
            expected.
    """
    name = str(path)
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ConfigError(Problem(error.lineno, None, f"invalid JSON: {error.msg}", name).format()) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{name}: cannot read the manifest: {error}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{name}: expected a JSON object with repo_id, revision and files")
    for key in ("repo_id", "revision", "copy", "remake"):
        if key in ("repo_id", "revision") and key not in value or not isinstance(value.get(key, ""), str):
            raise ConfigError(Problem(None, key, "expected a string", name).format())
    files = value.get("files")
    if not isinstance(files, dict):
        raise ConfigError(Problem(None, "files", "expected an object of file paths", name).format())
    listed = {}
    for file, entry in files.items():
        size = entry.get("size") if isinstance(entry, dict) else None
        hashes = [entry.get(key) for key in ("sha256", "git_oid")] if isinstance(entry, dict) else [None, None]
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ConfigError(Problem(None, f"files.{file}.size", "expected a whole number of bytes", name).format())
        if not all(h is None or isinstance(h, str) for h in hashes):
            raise ConfigError(Problem(None, f"files.{file}", "expected hashes as strings", name).format())
        listed[file] = Listed(size, *hashes)
    return Manifest(value["repo_id"], value["revision"], listed, value.get("copy", ""), value.get("remake", ""))


def pinned_manifest(source: Source) -> Manifest | None:
    """The manifest of a source's repository at its pinned revision: the file its `manifest` names, else a built-in
    source's in `MANIFESTS`; `None` when it has none.

    Raises:
        ConfigError: the file a source names is missing or is no manifest.
    """
    if source.manifest:
        if not Path(source.manifest).is_file():
            raise ConfigError(f"The manifest of source {source.name!r} was not found: {source.manifest}")
        return read_manifest(source.manifest)
    path = MANIFESTS / f"{source.name}.json"
    return read_manifest(path) if path.is_file() else None


def copy_manifest(folder: Path) -> Manifest | None:
    """The manifest a reduced copy keeps beside a repository folder (`<org>/<name>.manifest.json`), if any."""
    path = folder.parent / f"{folder.name}{COPY_SUFFIX}"
    return read_manifest(path) if path.is_file() else None


# ------------------------------------------------------------------------------------------- making manifests


def hub_manifest(repo_id: str, revision: str, *, token: str | None = None) -> Manifest:
    """The manifest of a Hub dataset repository at a revision, from the Hub's tree API (`HfApi.list_repo_tree`).

    Honours `HF_ENDPOINT` and `HF_TOKEN`. A branch or tag is resolved to its commit first, which the manifest
    records.

    Raises:
        UpstreamError: the repository or the revision is not found, or the Hub cannot be reached.
    """
    from huggingface_hub import HfApi, constants
    from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

    api, where = HfApi(token=token), f"{repo_id}@{revision} at {constants.ENDPOINT}"
    try:
        commit = api.dataset_info(repo_id, revision=revision).sha or revision
        tree = list(api.list_repo_tree(repo_id, recursive=True, revision=commit, repo_type="dataset"))
    except RevisionNotFoundError:
        raise UpstreamError(f"Cannot list {where}: revision not found.") from None
    except RepositoryNotFoundError:
        raise UpstreamError(f"Cannot list {where}: no such dataset repository (or private: set HF_TOKEN).") from None
    except Exception as error:  # huggingface_hub and httpx raise many types; each says what went wrong
        raise UpstreamError(f"Cannot list {where}: {one_line(error)}") from error
    from huggingface_hub.hf_api import RepoFile

    files = {}
    for entry in tree:
        if isinstance(entry, RepoFile):  # folders are implied by the paths
            lfs = entry.lfs
            files[entry.path] = Listed(entry.size, lfs.sha256 if lfs else None, None if lfs else entry.blob_id)
    return Manifest(repo_id, commit, files)


def folder_manifest(folder: Path, repo_id: str, revision: str, *, copy: str, remake: str) -> Manifest:
    """The manifest of a reduced copy of a repository, made from the folder that holds it: every file's size and
    sha256."""
    files = {
        path: Listed(found.size or 0, _sha256(found.local))
        for path, found in entries_of(folder).items()
        if found.kind == "file"
    }
    return Manifest(repo_id, revision, files, copy, remake)


def write_copy_manifest(folder: Path, manifest: Manifest) -> Path:
    """Write the manifest of a reduced copy beside its repository folder."""
    path = folder.parent / f"{folder.name}{COPY_SUFFIX}"
    path.write_text(manifest.text(), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------- what is there


@dataclass(frozen=True)
class Found:
    """A path an upstream holds: its kind (`file` for a regular file, else what it is instead), its size when known,
    and where it is on this machine when it is here."""

    kind: str
    size: int | None = None
    local: str = ""


def entries_of(root: Path) -> dict[str, Found]:
    """Every path under a repository folder, by path in the repository, with what it is. Links are followed
    (a folder linked twice is listed once); a root `.git` folder is left out."""
    found: dict[str, Found] = {}
    seen: set[tuple[int, int]] = set()
    todo = deque([(root, "")])  # breadth first, in name order: a folder linked twice keeps its first name
    while todo:
        folder, prefix = todo.popleft()
        status = folder.stat()
        if (status.st_dev, status.st_ino) in seen:
            continue
        seen.add((status.st_dev, status.st_ino))
        with os.scandir(folder) as items:
            for item in sorted(items, key=lambda entry: entry.name):
                if not prefix and item.name == ".git":
                    continue
                path = prefix + item.name
                found[path] = _found(item.path)
                if found[path].kind == "directory":
                    todo.append((Path(item.path), path + "/"))
    return dict(sorted(found.items()))


def _found(path: str) -> Found:
    try:
        status = os.stat(path)
    except OSError:  # a link to nothing, or a loop of links
        return Found("broken link", local=path)
    if stat.S_ISREG(status.st_mode):
        return Found("file", status.st_size, path)
    kinds = {stat.S_ISDIR: "directory", stat.S_ISSOCK: "socket", stat.S_ISFIFO: "named pipe"}
    kind = next((name for test, name in kinds.items() if test(status.st_mode)), "device or special file")
    return Found(kind, local=path)


def what_is(path: str | Path) -> str:
    """What a local path is, when it is not a regular file: `a directory`, `a socket`, ...; `""` for a file.

    >>> what_is(__file__), what_is(Path(__file__).parent)
    ('', 'a directory')
    """
    kind = _found(str(path)).kind if os.path.lexists(path) else "missing"
    return "" if kind == "file" else ("missing" if kind == "missing" else f"a {kind}")


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _git_oid(path: str, size: int) -> str:
    """The git blob id of a file, which the Hub gives for a file not stored with LFS."""
    digest = hashlib.sha1(f"blob {size}\0".encode())
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# ------------------------------------------------------------------------------------------- the check


@dataclass(frozen=True)
class Trouble:
    """One problem of the check: the source, the path in its repository (or a pattern), what is wrong, and whether
    `--allow-changed-upstream` lets the build read it as it is, or fetching it mends it."""

    source: str
    path: str
    what: str
    allowable: bool = False
    fetch: bool = False


@dataclass
class FilesCheck:
    """What the check found for the files one source feeds into one config; `record` is its entry in `build.json`.

    Args:
        against: the manifest the files were checked against: `pinned` (the source's), `copy` (a reduced copy's
            own) or `none` (the source has none: each pattern must match a file).
        files: the files the config reads from the source.
        hashed: how many of them had their content hash compared.
        copy: what the reduced copy is, for a copy.
        changed: the files that are not as the manifest lists them, each with what differs (read as they are with
            `--allow-changed-upstream`).
    """

    against: str
    files: int = 0
    hashed: int = 0
    copy: str = ""
    changed: list[str] = field(default_factory=list)

    def notes(self, repo_id: str) -> list[str]:
        """The lines of the build summary for the files read as they are."""
        return [f"{repo_id}/{change}; read as it is (--allow-changed-upstream)" for change in self.changed]

    def record(self) -> dict[str, Any]:
        record: dict[str, Any] = {"against": self.against, "files": self.files, "hashed": self.hashed}
        if self.copy:
            record["copy"] = self.copy
        if self.changed:
            record["changed"] = self.changed
        return record


class UpstreamFilesError(UpstreamError):
    """Upstream files missing, not regular files, or not as their manifest lists them; every one of them named.

    `allowable` says whether `--allow-changed-upstream` would let the build go on (every problem is a file that
    changed or that the manifest does not list).
    """

    def __init__(self, message: str, troubles: list[Trouble]):
        self.troubles = troubles
        self.allowable = all(trouble.allowable for trouble in troubles)
        super().__init__(message)


def check_files(
    upstream: Upstream, fed: Iterable[tuple[Source, str]], *, allow_changed: bool = False
) -> dict[tuple[str, str], FilesCheck]:
    """Check the files a build reads against the manifests, before any is converted.

    Args:
        upstream: where the files are.
        fed: the sources backed by a Hub repository, each with a config it feeds in this build.
        allow_changed: read files that changed or that the manifest does not list as they are, each a note in
            the result, instead of stopping.

    Returns:
        What was found, by source name and config.

    Raises:
        UpstreamFilesError: any problem, all of them in one message with the command that fetches what is
            missing (or makes a reduced copy again).
    """
    pairs = list(fed)
    results: dict[tuple[str, str], FilesCheck] = {}
    troubles: list[Trouble] = []
    sources = {source.name: source for source, _ in pairs}
    for name, source in sources.items():
        configs = list(dict.fromkeys(config for each, config in pairs if each.name == name))
        troubles += _check_source(upstream, source, configs, results)
    troubles = list(dict.fromkeys(troubles))
    fatal = [trouble for trouble in troubles if not (allow_changed and trouble.allowable)]
    if fatal:
        raise UpstreamFilesError(_message(upstream, fatal, pairs), fatal)
    return results


def _check_source(
    upstream: Upstream, source: Source, configs: list[str], results: dict[tuple[str, str], FilesCheck]
) -> list[Trouble]:
    try:
        commit = upstream.commit(source)
        found = upstream.entries(source, commit)
    except UpstreamError as error:  # no folder for the repository, no such revision, no snapshot
        if upstream.remote:
            raise  # the Hub unreachable or refusing: its own one line, with its own remedy
        return [Trouble(source.name, "", str(error), fetch=True)]
    manifest = upstream.manifest(source)
    troubles = []
    hashes: dict[str, tuple[str, str]] = {}
    for config in configs:
        patterns = {p: split for split, ps in source.feeds[config].items() for p in ps}
        check = FilesCheck("none" if manifest is None else "copy" if manifest.copy else "pinned")
        check.copy = manifest.copy if manifest else ""
        read = {path: item for path, item in found.items() if any(_matches(p, path) for p in patterns)}
        troubles += [
            _not_a_file(source, path, item, config, patterns) for path, item in read.items() if item.kind != "file"
        ]
        if manifest is None:
            troubles += _unmatched(source, patterns, read, config)
        else:
            troubles += _against(upstream, source, manifest, patterns, read, config, check, hashes)
        check.files = sum(item.kind == "file" for item in read.values())
        results[(source.name, config)] = check
    return troubles


def _matches(pattern: str, path: str) -> bool:
    from ..sources import matches

    return matches(pattern, path)


def _feeds(config: str, patterns: Mapping[str, str], path: str) -> str:
    split = next((split for pattern, split in patterns.items() if _matches(pattern, path)), "")
    return f"{config}/{split}"


def _not_a_file(source: Source, path: str, item: Found, config: str, patterns: Mapping[str, str]) -> Trouble:
    return Trouble(
        source.name, path, f"a {item.kind}, not a file (source {source.name!r}, {_feeds(config, patterns, path)})"
    )


def _unmatched(source: Source, patterns: Mapping[str, str], read: dict[str, Found], config: str) -> list[Trouble]:
    """Without a manifest: each pattern must match a regular file."""
    return [
        Trouble(source.name, pattern, f"{_absent(pattern)} (source {source.name!r}, {config}/{split})", fetch=True)
        for pattern, split in patterns.items()
        if not any(item.kind == "file" and _matches(pattern, path) for path, item in read.items())
    ]


def _against(
    upstream: Upstream,
    source: Source,
    manifest: Manifest,
    patterns: Mapping[str, str],
    read: dict[str, Found],
    config: str,
    check: FilesCheck,
    hashes: dict[str, tuple[str, str]],
) -> list[Trouble]:
    """The files a config reads against the manifest: listed ones missing, others there, sizes and hashes."""
    where = f"source {source.name!r}"
    if manifest.revision != source.revision and not manifest.copy:
        return [
            Trouble(
                source.name,
                "",
                f"the manifest is of revision {manifest.revision}, the source pins "
                f"{source.revision}: make it again (make manifests)",
            )
        ]
    listed = {path: item for path, item in manifest.files.items() if any(_matches(p, path) for p in patterns)}
    troubles = [
        Trouble(source.name, pattern, f"no file of the manifest matches ({where}, {config}/{split})")
        for pattern, split in patterns.items()
        if not any(_matches(pattern, path) for path in listed)
    ]
    for path in listed:
        if path not in read:
            troubles.append(
                Trouble(source.name, path, f"missing ({where}, {_feeds(config, patterns, path)})", fetch=True)
            )
    for path, item in read.items():
        if item.kind == "file" and path not in listed:
            what = f"not in the manifest of {_at(manifest)}, and the build would read it ({where})"
            troubles.append(Trouble(source.name, path, what, allowable=True))
            check.changed.append(f"{path}: not in the manifest")
    present = {path: read[path] for path in listed if path in read and read[path].kind == "file"}
    for path, item in present.items():
        if item.size is not None and item.size != listed[path].size:
            what = f"{item.size:,} bytes, where {_at(manifest)} has {listed[path].size:,} ({where})"
            troubles.append(Trouble(source.name, path, what, allowable=True))
            check.changed.append(f"{path}: {item.size:,} bytes, not {listed[path].size:,}")
    hashed = _hashes(upstream, listed, present, hashes)
    for path, (kind, digest) in hashed.items():
        expected = getattr(listed[path], kind)
        if digest != expected:
            troubles.append(
                Trouble(source.name, path, f"its {kind} differs from {_at(manifest)}'s ({where})", allowable=True)
            )
            check.changed.append(f"{path}: {kind} {digest}, not {expected}")
    check.hashed = len(hashed)
    return troubles


def _hashes(
    upstream: Upstream, listed: dict[str, Listed], present: dict[str, Found], done: dict[str, tuple[str, str]]
) -> dict[str, tuple[str, str]]:
    """The content hash of each file of the right size that its manifest entry has a hash for, computed once per
    check and over threads (hashlib lets go of the GIL), for an upstream whose files may have changed."""
    if not upstream.hashes:
        return {}
    todo = {
        path: item
        for path, item in present.items()
        if item.size == listed[path].size and (listed[path].sha256 or listed[path].git_oid) and path not in done
    }

    def digest(path: str) -> tuple[str, str]:
        item, entry = todo[path], listed[path]
        if entry.sha256:
            return "sha256", _sha256(item.local)
        return "git_oid", _git_oid(item.local, item.size or 0)

    with ThreadPoolExecutor(max_workers=min(len(todo), os.cpu_count() or 1) or 1) as pool:
        done.update(zip(todo, pool.map(digest, todo), strict=True))
    return {path: done[path] for path in present if path in done}


def _at(manifest: Manifest) -> str:
    what = f"{manifest.repo_id}@{manifest.revision[:12]}"
    return f"{what} ({manifest.copy.split(':')[0]})" if manifest.copy else what


def _message(upstream: Upstream, troubles: list[Trouble], pairs: list[tuple[Source, str]]) -> str:
    """The one message of every problem: a line each, then per source the command that mends what is missing, and
    how to build without it."""
    sources = {source.name: source for source, _ in pairs}
    lines = [f"Upstream files are not as the build needs them ({upstream.describe}): {len(troubles)} problem(s):"]
    for trouble in troubles:
        repo = sources[trouble.source].repo_id
        lines.append(f"  {repo}/{trouble.path}: {trouble.what}" if trouble.path else f"  {trouble.what}")
    for name in dict.fromkeys(trouble.source for trouble in troubles if trouble.fetch):
        paths = [t.path for t in troubles if t.source == name and t.fetch and t.path and _is_path(t.path)]
        whole = any(t.source == name and t.fetch and not _is_path(t.path) for t in troubles)
        if hint := upstream.fetch_hint(sources[name], None if whole else paths):
            lines.append(hint)
    if any(trouble.allowable for trouble in troubles):
        lines.append("To read the changed or unlisted files as they are: --allow-changed-upstream.")
    for name in dict.fromkeys(trouble.source for trouble in troubles):
        configs = [config for source, config in pairs if source.name == name]
        others = list(dict.fromkeys(s.name for s, config in pairs if config in configs and s.name != name))
        if others:
            lines.append(f"To build without {name}: --only {','.join(others)}.")
        else:
            lines.append(
                f"{name} is the only source of {', '.join(configs)} in this build: to build without it, "
                f"leave {', '.join(configs)} out."
            )
    return "\n".join(lines)


def _absent(pattern: str) -> str:
    return "missing" if _is_path(pattern) else "no file matches"


def _is_path(path: str) -> bool:
    """Whether a trouble names a file, rather than a pattern or nothing."""
    return bool(path) and not any(char in path for char in "*?[")


def download_command(source: Source, paths: list[str] | None, local_dir: str | None) -> str:
    """The `hf download` command that fetches some files of a source at its pinned revision (`None`: every file
    its patterns match), into `local_dir` or the HF cache.

    >>> from apt_hub.sources import SOURCES
    >>> download_command(SOURCES["s1k"], ["data/train-00000-of-00001.parquet"], "up/simplescaling/s1K-1.1").split()
    ... # doctest: +NORMALIZE_WHITESPACE
    ['hf', 'download', 'simplescaling/s1K-1.1', 'data/train-00000-of-00001.parquet', '--repo-type', 'dataset',
     '--revision', '96c411f1fe4c49d20f0e2a1565f61e1a28b0b84d', '--local-dir', 'up/simplescaling/s1K-1.1']
    """
    words = ["hf", "download", source.repo_id, *(paths or [])]
    words += ["--repo-type", "dataset", "--revision", source.revision]
    if paths is None:
        for pattern in dict.fromkeys(p for splits in source.feeds.values() for ps in splits.values() for p in ps):
            words += ["--include", pattern]
    if local_dir:
        words += ["--local-dir", local_dir]
    return shlex.join(words)
