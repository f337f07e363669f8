"""The releases of a published repository: a tag on each commit of `apt-hub publish`, its changelog, and the check
that the commit holds what was built.

Each publish that commits tags its commit: `v1`, `v2`, ... (one more than the highest such tag) or a name of the
user's. A tag is never moved. The commit's description names the tag it is for (`apt-hub release: v2`), so that a
publish stopped between its commit and its tag (the server failing, the verification failing to reach it) is
finished by the next one: it finds the head untagged, named, and holding what the folder holds, checks it and
tags it, without a second commit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .changes import causes, changes_path, compare, folder_hashes, release_document, repo_hashes
from .errors import AptHubError, UsageError
from .folder import atomic_write
from .layout import RECORD, json_text, read_record, splits_on_disk

RELEASE_LINE = "apt-hub release: "
NUMBERED = re.compile(r"v(\d+)")
# A tag name the Hub takes, that reads as a name (not a commit id, not `main`): git's rules, kept simple.
TAG_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class ReleaseError(AptHubError):
    """A tag that exists, or a commit that does not hold what was built; nothing was tagged."""


def check_tag_name(tag: Any) -> str | None:
    """`tag` when it is a name the Hub takes for a tag (or `None`: the next number); else a `UsageError`.

    >>> check_tag_name("v2.1"), check_tag_name(None)
    ('v2.1', None)
    >>> check_tag_name("main")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    apt_hub.errors.UsageError: --tag must be letters, digits, '.', '_' and '-', ... got 'main'
    """
    if tag is None:
        return None
    text = str(tag)
    if (
        not TAG_NAME.fullmatch(text)
        or text in ("main", "HEAD")
        or ".." in text
        or text.endswith(".lock")
        or re.fullmatch(r"[0-9a-f]{40}", text)
    ):
        raise UsageError(
            "--tag must be letters, digits, '.', '_' and '-', starting with a letter or a digit, at most 100 "
            f"characters, not main, not ending in .lock, without '..', not 40 hex digits; got {text!r}"
        )
    return text


@dataclass
class History:
    """The tags of a repository and what they say of its head."""

    tags: dict[str, str] = field(default_factory=dict)  # name: commit
    head: str | None = None
    previous: tuple[str, str] | None = None  # the newest tagged commit at or before the head: (tag, commit)
    pending: str | None = None  # the tag the head's commit names, which was never created

    @property
    def head_tags(self) -> list[str]:
        return sorted(name for name, commit in self.tags.items() if commit == self.head)

    @property
    def current(self) -> str | None:
        """The release the head is: a tag it carries (the newest number first), or the one it names."""
        return (_newest(self.head_tags) if self.head_tags else None) or self.pending

    def next_tag(self) -> str:
        numbers = [int(m[1]) for name in self.tags if (m := NUMBERED.fullmatch(name))]
        return f"v{max(numbers, default=0) + 1}"

    def number(self) -> int:
        numbers = [int(m[1]) for name in self.tags if (m := NUMBERED.fullmatch(name))]
        return max([*numbers, len(self.tags)]) + 1

    def refuse_existing(self, tag: str | None, repo_id: str) -> None:
        if tag is not None and tag in self.tags:
            raise ReleaseError(
                f"Tag {tag} exists in {repo_id} (on commit {self.tags[tag][:12]}) and apt-hub never moves a tag: "
                f"choose another --tag, or leave it out for {self.next_tag()}."
            )


def history(api: Any, repo_id: str, head: str | None) -> History:
    """The tags of `repo_id` (`list_repo_refs`), its previous release and the tag an untagged head names (from
    `list_repo_commits`, newest first)."""
    found = History(head=head)
    if head is None:
        return found
    refs = api.list_repo_refs(repo_id, repo_type="dataset")
    found.tags = {ref.name: ref.target_commit for ref in refs.tags}
    by_commit: dict[str, list[str]] = {}
    for name, commit in found.tags.items():
        by_commit.setdefault(commit, []).append(name)
    commits = api.list_repo_commits(repo_id, repo_type="dataset", revision=head)
    for index, commit in enumerate(commits):
        if commit.commit_id in by_commit:
            found.previous = (_newest(by_commit[commit.commit_id]), commit.commit_id)
            break
        named = release_named(commit.message or "")
        if index == 0 and named and named not in found.tags:
            found.pending = named
    return found


def _newest(names: list[str]) -> str:
    """The newest of tags on one commit: the highest number, else the first name."""
    numbered = [(int(m[1]), n) for n in names if (m := NUMBERED.fullmatch(n))]
    return max(numbered)[1] if numbered else sorted(names)[0]


def release_named(description: str) -> str | None:
    """The tag a publish commit's description names.

    >>> release_named("- sft: train 3 rows\\n\\napt-hub release: v2")
    'v2'
    """
    for line in description.splitlines():
        if line.startswith(RELEASE_LINE):
            return line.removeprefix(RELEASE_LINE).strip() or None
    return None


def write_changelog(
    api: Any, folder: Path, root: Path, *, repo_id: str, tag: str, found: History, token: str
) -> dict[str, Any]:
    """Write `changes/<tag>.json` into `folder`: the rows added, removed and changed since the previous release,
    read from the hashes of the folder and of the repository at that release, with what the build records as the
    cause; the first release lists its rows."""
    new = folder_hashes(root)
    previous = found.previous
    if previous is None:
        document = release_document(compare({}, new), tag=tag, number=found.number(), previous=None, causes={})
    else:
        changes = compare(repo_hashes(repo_id, previous[1], token=token), new)
        touched = {config for (config, _), change in changes.items() if not change.equal}
        old_record = _remote_json(api, repo_id, RECORD, previous[1], token) or {"configs": {}}
        document = release_document(
            changes,
            tag=tag,
            number=found.number(),
            previous=previous,
            causes=causes(old_record, read_record(root), touched),
        )
    path = changes_path(folder, tag)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json_text(document))
    return document


def fetch_changelog(api: Any, folder: Path, *, repo_id: str, tag: str, revision: str, token: str) -> None:
    """Put the repository's `changes/<tag>.json` (at `revision`, its head) into `folder` when the folder lacks it (a
    build folder made anew, published before): the card then shows that release as the repository's card does."""
    path = changes_path(folder, tag)
    if path.is_file():
        return
    document = _remote_json(api, repo_id, f"changes/{tag}.json", revision, token)
    if document is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json_text(document))


def _remote_json(api: Any, repo_id: str, path: str, revision: str, token: str) -> Any:
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    try:
        local = hf_hub_download(repo_id, path, repo_type="dataset", revision=revision, token=token)
    except EntryNotFoundError:
        return None
    return json.loads(Path(local).read_text(encoding="utf-8"))


def verify(api: Any, repo_id: str, commit: str, files: list[Any], *, root: Path, token: str) -> int:
    """Read the repository back at `commit`: every file's size and content id as the Hub reports them
    (`get_paths_info`: the sha256 of an LFS file, the git blob id of another) equal the local file's, and `datasets`
    streams the first row of every split of every config from that revision, equal to the local first row.

    Returns:
        The number of files checked.

    Raises:
        ReleaseError: a file missing or different, or a config that does not stream its first row; named.
    """
    from .publish import same_content

    reported: dict[str, Any] = {}
    paths = [file.path for file in files]
    for start in range(0, len(paths), 100):
        for entry in api.get_paths_info(repo_id, paths[start : start + 100], revision=commit, repo_type="dataset"):
            reported[entry.path] = entry
    for file in files:
        entry = reported.get(file.path)
        if entry is None or getattr(entry, "size", None) is None:
            raise ReleaseError(f"{file.path} is not in {repo_id} at commit {commit}: nothing was tagged.")
        if entry.size != file.size or not same_content(file, entry):
            lfs = getattr(entry, "lfs", None)
            theirs = f"sha256 {lfs.sha256}" if lfs is not None else f"blob {entry.blob_id}"
            ours = f"sha256 {file.sha256}" if lfs is not None else f"blob {file.git_oid}"
            raise ReleaseError(
                f"{file.path} in {repo_id} at commit {commit} is not the local file: the Hub reports {entry.size:,} "
                f"bytes, {theirs}; the local file has {file.size:,} bytes, {ours}. Nothing was tagged."
            )
    stream_first_rows(repo_id, commit, root=root, token=token)
    return len(files)


def stream_first_rows(repo_id: str, commit: str, *, root: Path, token: str) -> None:
    """Stream the first row of every split with rows of every config at `commit` with `datasets`, and compare it
    with the first row of the local shards. The configs are opened side by side: each waits on the Hub more than it
    works."""
    from concurrent.futures import ThreadPoolExecutor

    import pyarrow.parquet as pq

    expected: dict[str, dict[str, dict]] = {}
    for config, splits in splits_on_disk(root).items():
        for split, shards in splits.items():
            shard = pq.ParquetFile(root / shards[0])
            if shard.metadata.num_rows:
                expected.setdefault(config, {})[split] = shard.read_row_group(0).slice(0, 1).to_pylist()[0]
    with ThreadPoolExecutor(max_workers=4) as pool:
        streamed = pool.map(lambda c: _first_rows(repo_id, commit, c, list(expected[c]), token), list(expected))
        for config, rows in zip(list(expected), streamed, strict=True):
            for split, first in expected[config].items():
                if rows[split] != first:
                    raise ReleaseError(
                        f"The first row of {config}/{split} streamed from {repo_id} at commit {commit} is not the "
                        "local first row; nothing was tagged."
                    )


def _first_rows(repo_id: str, commit: str, config: str, splits: list[str], token: str) -> dict[str, Any]:
    import datasets

    try:
        streamed = datasets.load_dataset(repo_id, config, revision=commit, streaming=True, token=token)
        return {split: next(iter(streamed[split]), None) for split in splits}
    except Exception as error:  # datasets raises many types for a config it cannot open
        raise ReleaseError(
            f"datasets cannot stream config {config!r} of {repo_id} at commit {commit} "
            f"({type(error).__name__}: {error}); nothing was tagged."
        ) from None


def create_tag(api: Any, repo_id: str, tag: str, commit: str) -> None:
    """Tag `commit`; a tag that a lost answer already created on that very commit is taken as done."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        api.create_tag(repo_id, tag=tag, revision=commit, repo_type="dataset", tag_message=f"apt-hub release {tag}")
    except HfHubHTTPError as error:
        if error.response is None or error.response.status_code != 409:
            raise
        tags = {ref.name: ref.target_commit for ref in api.list_repo_refs(repo_id, repo_type="dataset").tags}
        if tags.get(tag) != commit:
            raise ReleaseError(
                f"Tag {tag} of {repo_id} appeared meanwhile on another commit; nothing was tagged."
            ) from None
