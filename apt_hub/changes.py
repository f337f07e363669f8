"""What changed between two builds, by row: `apt-hub diff`, and the changelog of each release of `apt-hub publish`.

A side is a build folder or a Hub repository at a revision (`REPO@REVISION`: a tag, a branch or a commit). Each
is read as the `id` and content hash of every row of every config and split (`apt_hub.hashes`), never the texts.
A row is added (its `id` only in the new side), removed (only in the old), or changed (same `id`, other hash).

A publish keeps the changes of each release in `changes/<tag>.json` of the repository (and of the build folder),
which the card's *Changes* section shows.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import AptHubError, UsageError
from .hashes import HASHES_DIR, ID, content_hashes, read_hashes
from .layout import SHARD, splits_on_disk

if TYPE_CHECKING:
    import pyarrow as pa

CHANGES_DIR = "changes"
# Ids shown per kind of change: in `apt-hub diff`'s lines and in the card (changes/<tag>.json holds every id).
EXAMPLES = 5
CARD_EXAMPLES = 10
Key = tuple[str, str]  # (config, split)


@dataclass
class SplitChange:
    """The rows of one config and split that differ between two sides, by id, sorted."""

    rows_old: int
    rows_new: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def counts(self) -> str:
        return f"{len(self.added)} added, {len(self.removed)} removed, {len(self.changed)} changed"


def compare(old: dict[Key, pa.Table], new: dict[Key, pa.Table]) -> dict[Key, SplitChange]:
    """The changes of every config and split of either side (a side lacking one has no rows there).

    >>> import pyarrow as pa
    >>> old = {("sft", "train"): pa.table({"id": ["a", "b", "c"], "hash": pa.array([1, 2, 3], pa.uint64())})}
    >>> new = {("sft", "train"): pa.table({"id": ["b", "c", "d"], "hash": pa.array([2, 9, 4], pa.uint64())})}
    >>> compare(old, new)[("sft", "train")]
    SplitChange(rows_old=3, rows_new=3, added=['d'], removed=['a'], changed=['c'])
    """
    changes = {}
    for key in sorted(set(old) | set(new)):
        before, after = _by_id(old.get(key)), _by_id(new.get(key))
        changes[key] = SplitChange(
            rows_old=len(before),
            rows_new=len(after),
            added=sorted(set(after) - set(before), key=natural),
            removed=sorted(set(before) - set(after), key=natural),
            changed=sorted((i for i in set(before) & set(after) if before[i] != after[i]), key=natural),
        )
    return changes


def natural(row_id: str) -> list:
    """A sort key that puts `file:2` before `file:10`.

    >>> sorted(["s:10", "s:2", "t:1"], key=natural)
    ['s:2', 's:10', 't:1']
    """
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", row_id)]


def _by_id(table: pa.Table | None) -> dict[str, int]:
    if table is None:
        return {}
    return dict(zip(table[ID].to_pylist(), table["hash"].to_pylist(), strict=True))


def folder_hashes(root: str | Path) -> dict[Key, pa.Table]:
    """The ids and hashes of every config and split of a build folder."""
    return {
        (config, split): read_hashes(root, config, split, shards)
        for config, splits in splits_on_disk(root).items()
        for split, shards in splits.items()
    }


def repo_hashes(repo_id: str, revision: str, *, token: str | None = None) -> dict[Key, pa.Table]:
    """The ids and hashes of every config and split of a Hub dataset repository at a revision: its
    `hashes/<config>/<split>.parquet` files, or for a split without one (published before apt-hub wrote them) its
    shards, hashed here."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from huggingface_hub import HfApi, constants, hf_hub_download

    api = HfApi(endpoint=constants.ENDPOINT, token=token)
    files = {e.path for e in api.list_repo_tree(repo_id, repo_type="dataset", revision=revision, recursive=True)}
    shards: dict[Key, list[str]] = {}
    for path in sorted(files):
        parts = path.split("/")
        if len(parts) == 3 and parts[0] == "data" and (match := SHARD.fullmatch(parts[2])):
            shards.setdefault((parts[1], match["split"]), []).append(path)

    def read(path: str) -> pa.Table:
        local = hf_hub_download(repo_id, path, repo_type="dataset", revision=revision, token=token)
        return pq.read_table(local)

    found = {}
    for (config, split), paths in shards.items():
        hashes = f"{HASHES_DIR}/{config}/{split}.parquet"
        found[(config, split)] = (
            read(hashes) if hashes in files else pa.concat_tables([content_hashes(read(p)) for p in paths])
        )
    return found


class DiffError(AptHubError):
    """A side of `apt-hub diff` that cannot be read: exit status 2, as `diff` gives for trouble, so that 1 always
    means that the sides differ."""

    exit_status = 2


def side_hashes(side: str, *, token: str | None = None) -> tuple[str, dict[Key, pa.Table]]:
    """A side of `apt-hub diff` as it is named, and its hashes: a build folder, or `REPO@REVISION`.

    Raises:
        UsageError: `side` is neither a build folder nor `ORG/NAME@REVISION`.
        DiffError: the side cannot be read (a damaged folder, a revision or repository the Hub does not have).
    """
    try:
        return _side_hashes(side, token=token)
    except UsageError:
        raise
    except AptHubError as error:
        raise DiffError(str(error)) from None


def _side_hashes(side: str, *, token: str | None) -> tuple[str, dict[Key, pa.Table]]:
    if Path(side).is_dir():
        if not splits_on_disk(side):
            raise UsageError(f"{side} is a folder without a build (no data/<config>/<split>-*.parquet)")
        return side, folder_hashes(side)
    repo_id, at, revision = side.partition("@")
    if not at or not revision or not re.fullmatch(r"[\w.-]+/[\w.-]+", repo_id):
        raise UsageError(
            f"each side of apt-hub diff is a build folder or ORG/NAME@REVISION (a tag, branch or commit); got "
            f"{side!r}, which is neither"
        )
    from huggingface_hub import constants, get_token

    from .network import use_timeouts
    from .publish import check_repo_id, hub_errors

    check_repo_id(repo_id)
    token = token or get_token()  # HF_TOKEN or the saved token: a private repository is read as the user
    use_timeouts()
    from huggingface_hub.errors import RevisionNotFoundError

    with hub_errors(repo_id, token or "", constants.ENDPOINT):
        try:
            return side, repo_hashes(repo_id, revision, token=token)
        except RevisionNotFoundError:
            raise DiffError(_no_revision(repo_id, revision, token)) from None


def _no_revision(repo_id: str, revision: str, token: str | None) -> str:
    """What to say of a revision a repository lacks: its tags and branches, and the closest one."""
    import difflib

    from huggingface_hub import HfApi, constants

    refs = HfApi(endpoint=constants.ENDPOINT, token=token).list_repo_refs(repo_id, repo_type="dataset")
    names = [ref.name for ref in (*refs.tags, *refs.branches)]
    closest = difflib.get_close_matches(revision, names, n=1)
    hint = f" (did you mean {closest[0]!r}?)" if closest else ""
    return f"{repo_id} has no revision {revision!r}: its tags and branches are {', '.join(names)}{hint}"


def format_diff(changes: dict[Key, SplitChange], old: str, new: str, examples: int = EXAMPLES) -> str:
    """`apt-hub diff`'s report: a line per config and split that differs, then one line of summary."""
    lines: list[str] = []
    for (config, split), change in changes.items():
        if change.equal:
            continue
        shown = [
            f"{kind}: {', '.join(ids[:examples])}" + (f" (+{len(ids) - examples} more)" if len(ids) > examples else "")
            for kind, ids in (("added", change.added), ("removed", change.removed), ("changed", change.changed))
            if ids
        ]
        rows = f"{change.rows_old:,} -> {change.rows_new:,} rows"
        lines.append(f"{config}/{split}: {change.counts()} ({rows}); {'; '.join(shown)}")
    differ = sum(not c.equal for c in changes.values())
    if differ:
        lines.append(f"{old} and {new} differ in {differ} of {len(changes)} config splits.")
    else:
        total = sum(c.rows_new for c in changes.values())
        lines.append(f"{old} and {new} hold the same rows: {len(changes)} config splits, {total:,} rows.")
    return "\n".join(lines)


def release_document(
    changes: dict[Key, SplitChange] | None,
    *,
    tag: str,
    number: int,
    previous: tuple[str, str] | None,
    causes: dict[str, list[str]],
) -> dict[str, Any]:
    """The changelog of a release as `changes/<tag>.json` keeps it: every id added, removed and changed since the
    previous release (`previous`: its tag and commit), per config and split; for the first release, its rows."""
    configs: dict[str, dict[str, Any]] = {}
    for (config, split), change in (changes or {}).items():
        entry: dict[str, Any] = {"rows": change.rows_new}
        if previous is not None:
            entry |= {"previous_rows": change.rows_old}
            entry |= {"added": change.added, "removed": change.removed, "changed": change.changed}
        configs.setdefault(config, {})[split] = entry
    return {
        "tag": tag,
        "release": number,
        "first_release": previous is None,
        "previous": None if previous is None else {"tag": previous[0], "commit": previous[1]},
        "configs": configs,
        "causes": causes,
    }


def changes_path(root: str | Path, tag: str) -> Path:
    return Path(root) / CHANGES_DIR / f"{tag}.json"


def latest_release(root: str | Path) -> dict[str, Any] | None:
    """The changelog of the newest release a build folder was published as (the highest `release` number of
    `changes/*.json`), or `None`."""
    found = []
    for path in sorted(Path(root).glob(f"{CHANGES_DIR}/*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise AptHubError(f"{path}: not a changelog apt-hub can read ({error}); delete it") from None
        if isinstance(document, dict) and isinstance(document.get("release"), int):
            found.append(document)
    return max(found, key=lambda d: d["release"], default=None)


def card_release(document: dict[str, Any] | None) -> dict[str, Any] | None:
    """The variables of the card's *Changes* section, from a release's changelog."""
    if document is None:
        return None
    rows, unchanged = [], []
    for config, splits in sorted(document["configs"].items()):
        for split, entry in sorted(splits.items()):
            kinds = {kind: entry.get(kind, []) for kind in ("added", "removed", "changed")}
            if not any(kinds.values()):
                unchanged.append(f"{config}/{split}")
                continue
            examples = [
                f"{kind}: "
                + ", ".join(f"`{i}`" for i in ids[:CARD_EXAMPLES])
                + (f" and {len(ids) - CARD_EXAMPLES} more" if len(ids) > CARD_EXAMPLES else "")
                for kind, ids in kinds.items()
                if ids
            ]
            rows.append(
                {
                    "config": config,
                    "split": split,
                    "rows": f"{entry.get('previous_rows', 0):,} → {entry['rows']:,}",
                    **{kind: f"{len(ids):,}" for kind, ids in kinds.items()},
                    "examples": "; ".join(examples),
                }
            )
    previous = document.get("previous") or {}
    return {
        "tag": document["tag"],
        "first": document.get("first_release", False),
        "previous": previous.get("tag", ""),
        "rows": rows,
        "unchanged": unchanged,
        "total": sum(e["rows"] for splits in document["configs"].values() for e in splits.values()),
        "causes": [f"`{config}`: {'; '.join(items)}" for config, items in sorted(document["causes"].items())],
    }


def causes(old_record: dict[str, Any], new_record: dict[str, Any], configs: set[str]) -> dict[str, list[str]]:
    """What the build records as the cause of a config's changes: options and source commits that differ between
    the build records (`build.json`) of two releases.

    >>> old = {"configs": {"sft": {"options": {"max_samples": 20}, "sources": {"s": {"commit": "a"}}}}}
    >>> new = {"configs": {"sft": {"options": {"max_samples": 10}, "sources": {"s": {"commit": "b"}}}}}
    >>> causes(old, new, {"sft"})
    {'sft': ['option max_samples 20 -> 10', 'source s commit a -> b']}
    """
    found: dict[str, list[str]] = {}
    for config in sorted(configs):
        before = old_record.get("configs", {}).get(config)
        after = new_record.get("configs", {}).get(config)
        if before is None or after is None:
            found[config] = ["config added" if before is None else "config removed"]
            continue
        items = []
        old_options, new_options = before.get("options", {}), after.get("options", {})
        for name in sorted(set(old_options) | set(new_options)):
            if name not in ("upstream", "files") and old_options.get(name) != new_options.get(name):
                items.append(f"option {name} {_shown(old_options.get(name))} -> {_shown(new_options.get(name))}")
        old_sources, new_sources = before.get("sources", {}), after.get("sources", {})
        for name in sorted(set(old_sources) | set(new_sources)):
            was, now = old_sources.get(name, {}).get("commit"), new_sources.get(name, {}).get("commit")
            if was != now:
                items.append(f"source {name} commit {_shown(was)} -> {_shown(now)}")
        if items:
            found[config] = items
    return found


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "none"
    return str(value)
