"""`apt-hub publish`: mirror a build folder to a Hub dataset repository in one atomic commit, or in none.

The folder is the repository: after a publish the remote `data/` holds exactly the local parquet shards, beside the
card, `stats.json`, `build.json` and the histograms. Whether anything changed is decided here, by comparing the
git blob ids (and LFS sha256) of the local files with the remote tree, so that an unchanged build sends no file
and makes no commit.
"""

import hashlib
import shutil
import tempfile
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .card import CARD_FILE, IMAGES_DIR, CardError, check_card, handwritten, render_card_for, write_card
from .changes import CHANGES_DIR
from .errors import AptHubError, Problem, UsageError, redact
from .folder import atomic_write, locked, not_a_build_folder, repair, transaction
from .hashes import HASHES_DIR
from .layout import DEFAULT_OUTPUT_DIR, read_record, shards_checked, splits_on_disk
from .network import TIMEOUT_VARIABLE, timeouts, use_timeouts
from .read.jsontext import decode_utf8
from .release import (
    RELEASE_LINE,
    History,
    check_tag_name,
    create_tag,
    fetch_changelog,
    history,
    verify,
    write_changelog,
)
from .stats import STATS_FILE, write_stats

try:  # the HTTP client of huggingface_hub: httpx2 from 2.x, httpx before
    from httpx2 import TimeoutException, TransportError
except ImportError:  # pragma: no cover
    from httpx import TimeoutException, TransportError  # type: ignore[no-redef]

# Remote paths a publish may delete when they are not in the folder; anything else a user put in the repo stays
# (the changelogs of earlier releases, `changes/`, too).
MANAGED_PREFIXES = ("data/", f"{HASHES_DIR}/", f"{IMAGES_DIR}/lengths-")


class PublishError(AptHubError):
    """A publish that cannot go ahead: no token, no write access, someone else's repository, no endpoint."""


@dataclass(frozen=True)
class LocalFile:
    """A file of the build folder, with the ids the Hub reports for it."""

    path: str
    local: Path
    size: int
    git_oid: str
    sha256: str

    @classmethod
    def read(cls, root: Path, local: Path) -> "LocalFile":
        data = local.read_bytes()
        return cls(
            path=local.relative_to(root).as_posix(),
            local=local,
            size=len(data),
            git_oid=git_blob_oid(data),
            sha256=hashlib.sha256(data).hexdigest(),
        )


@dataclass
class Plan:
    """What a publish sends: files to add, to change and to delete, and whether the repository must be created."""

    repo_id: str
    private: bool
    create: bool = False
    head: str | None = None
    add: list[LocalFile] = field(default_factory=list)
    change: list[LocalFile] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def up_to_date(self) -> bool:
        return not (self.create or self.add or self.change or self.delete)

    @property
    def upload_bytes(self) -> int:
        return sum(f.size for f in [*self.add, *self.change])

    def describe(self) -> str:
        """The plan, one line per file."""
        visibility = "private" if self.private else "public"
        lines = [f"Create {visibility} dataset repository {self.repo_id}"] if self.create else []
        lines += [f"  add     {f.path} ({f.size:,} bytes)" for f in self.add]
        lines += [f"  change  {f.path} ({f.size:,} bytes)" for f in self.change]
        lines += [f"  delete  {path}" for path in self.delete]
        lines.append(
            f"{len(self.add)} to add, {len(self.change)} to change, {len(self.delete)} to delete, "
            f"{len(self.unchanged)} unchanged; {self.upload_bytes:,} bytes to upload."
        )
        return "\n".join(lines)


@dataclass
class PublishResult:
    """What a publish did: its plan, the commit it made (`None` when nothing changed or on a dry run), the tag it
    created (or would create), and how many files it read back."""

    plan: Plan
    commit: str | None = None
    commit_url: str | None = None
    dry_run: bool = False
    tag: str | None = None
    head_tags: list[str] = field(default_factory=list)
    checked: int = 0
    recovered: bool = False

    def __str__(self) -> str:
        if self.dry_run:
            if self.plan.up_to_date:
                return "Dry run, nothing sent.\n" + self.plan.describe() + "\n" + self._unchanged()
            return f"Dry run, nothing sent.\n{self.plan.describe()}\nWould commit and tag the commit {self.tag}."
        if self.plan.up_to_date and not self.recovered:
            return (
                f"{self.plan.repo_id} is up to date: nothing to commit ({len(self.plan.unchanged)} files match); "
                + self._unchanged()
            )
        done = f"commit {self.commit}, tag {self.tag}, {self.checked} files checked"
        if self.recovered:
            return (
                f"{self.plan.repo_id} is up to date: nothing to commit ({len(self.plan.unchanged)} files match). An "
                "earlier publish made its head commit but stopped before tagging it; read back and tagged now.\n"
                + done
            )
        return f"{self.plan.describe()}\nCommitted {redact(self.commit_url or self.commit or '')}\n{done}"

    def _unchanged(self) -> str:
        if self.dry_run and self.recovered:
            return f"Would read back the head and tag it {self.tag}: an earlier publish stopped before tagging it."
        if self.head_tags:
            return f"no tag created: the head {(self.plan.head or '')[:12]} carries {', '.join(self.head_tags)}."
        return f"no tag created: the head {(self.plan.head or '')[:12]} carries no tag."


def publish(
    root: str | Path = DEFAULT_OUTPUT_DIR,
    *,
    repo_id: str,
    public: bool = False,
    dry_run: bool = False,
    tag: str | None = None,
    token: str | None = None,
) -> PublishResult:
    """Mirror a build folder to a Hub dataset repository in one commit, after refreshing its stats and card.

    The repository is created private unless `public`; an existing one must have the requested visibility, which is
    never changed. The remote `data/` ends up holding exactly the local shards (stale ones are deleted) beside the
    card, stats, build record and images; other files in the repository are left alone. Unchanged files are not
    sent, and when nothing changed no commit is made. Text written into the card on the Hub is carried into the
    local card when the local one has none of its own.

    Each commit is a release: after it, the repository is read back at the new commit (`apt_hub.release.verify`)
    and only then is the commit tagged, `v1`, `v2`, ... or `tag`. Its changelog, the rows added, removed and changed
    since the previous release, is `changes/<tag>.json` and the card's *Changes* section. A publish that commits
    nothing creates no tag, but for a head that an earlier publish committed and could not tag: it is read back and
    tagged then.

    Args:
        root: the build folder.
        repo_id: the dataset repository, `ORG/NAME`.
        public: create the repository public (default: private).
        dry_run: print the plan and send nothing; the build folder is left as it is (the stats and card the plan
            counts are rendered in a scratch folder).
        tag: the tag of the release (default: the next `vN`); a tag that exists is refused, never moved.
        token: a Hub token with write access; default `HF_TOKEN` or the token saved by `hf auth login`.
            It never appears in messages.

    Returns:
        A `PublishResult`; `str()` of it is the summary the CLI prints.

    Raises:
        PublishError: no token, a token without write access, a repository of someone else or of the other
            visibility, an unreachable, stalled or malformed endpoint, or a commit that happened on the remote
            meanwhile.
        ReleaseError: `tag` exists, or the commit read back is not what was sent (nothing is tagged).
        UsageError: `repo_id` or `tag` is not a name the Hub takes.

    <Tip warning={true}>
    Reads `HF_ENDPOINT` when `huggingface_hub` is imported: set it before starting Python.
    </Tip>

    Example:
        >>> print(publish("dist/apt", repo_id="org/apt", dry_run=True))  # doctest: +SKIP
        Dry run, nothing sent.
        ...
    """
    from huggingface_hub import HfApi, constants, get_token

    root = Path(root)
    check_repo_id(repo_id)
    tag = check_tag_name(tag)
    repair(root)
    if not splits_on_disk(root):
        raise PublishError(not_a_build_folder(root, "publish"))
    check_card(root)
    token = token or get_token()
    if not token:
        raise PublishError(
            f"No Hugging Face token: set HF_TOKEN or run `hf auth login` to publish to {redact(constants.ENDPOINT)}."
        )
    use_timeouts()
    api = HfApi(endpoint=constants.ENDPOINT, token=token)
    # The lock keeps the folder as sent; the card is refreshed in a transaction (a dry run in a scratch view).
    with (
        locked(root),
        shards_checked(root),
        hub_errors(repo_id, token, constants.ENDPOINT),
        card_folder(root, dry_run) as folder,
    ):
        identity = api.whoami()
        plan = Plan(repo_id=repo_id, private=not public)
        remote = remote_files(api, plan)
        check_write_access(identity, repo_id, create=plan.create)
        found = history(api, repo_id, plan.head)
        found.refuse_existing(tag, repo_id)
        adopt_remote_card(api, folder, plan, remote, repo_id)
        release = None if data_unchanged(root, remote) else tag or found.next_tag()
        if release is None and found.current:  # the head's release: its changelog, as its card shows it
            fetch_changelog(api, folder, repo_id=repo_id, tag=found.current, revision=plan.head or "", token=token)
        release = refresh(api, plan, root, folder, remote, release, found, tag=tag, token=token)
        warn_if_uncurated(folder, shown=root)
        result = PublishResult(plan, dry_run=dry_run, tag=release or found.pending, head_tags=found.head_tags)
        result.recovered = plan.up_to_date and release is None and found.pending is not None
        if dry_run or (plan.up_to_date and not result.recovered):
            return result
        if result.recovered:
            assert plan.head is not None and found.pending is not None
            result.commit = plan.head
        else:
            assert release is not None
            result.commit, result.commit_url = send(api, plan, root, release)
        commit = result.commit
        with unfinished(repo_id, commit, result.tag or ""), hub_errors(repo_id, token, constants.ENDPOINT):
            result.checked = verify(api, repo_id, commit, planned_files(root, folder), root=root, token=token)
            create_tag(api, repo_id, result.tag or "", commit)
    return result


def refresh(
    api,
    plan: Plan,
    root: Path,
    folder: Path,
    remote: dict[str, Any],
    release: str | None,
    found: History,
    *,
    tag: str | None,
    token: str,
) -> str | None:
    """Render the card (and, for a new release, write its changelog first), then plan the files against the
    remote; returns the tag of the new release, or `None` when the publish is no new release.

    A publish that changes no data but the card (text written by hand) is a release too: its changelog then says
    that no row changed."""
    for _ in range(2):
        if release is not None:
            write_changelog(api, folder, root, repo_id=plan.repo_id, tag=release, found=found, token=token)
        write_card(folder, write_stats(folder), repo_id=plan.repo_id)
        plan.add, plan.change, plan.delete, plan.unchanged = [], [], [], []
        diff(plan, planned_files(root, folder), remote)
        if release is not None or plan.up_to_date:
            return release
        release = tag or found.next_tag()
    return release


def send(api, plan: Plan, root: Path, release: str) -> tuple[str, str]:
    """Create the repository if needed and make the commit, its description naming the release; returns the
    commit id and URL."""
    if plan.create:
        api.create_repo(plan.repo_id, repo_type="dataset", private=plan.private)
        plan.head = api.repo_info(plan.repo_id, repo_type="dataset").sha
    summary, description = commit_message(plan, root)
    info = api.create_commit(
        plan.repo_id,
        repo_type="dataset",
        operations=operations(plan),
        commit_message=summary,
        commit_description=f"{description}\n\n{RELEASE_LINE}{release}".strip(),
        parent_commit=plan.head,
    )
    return info.oid, info.commit_url


@contextmanager
def unfinished(repo_id: str, commit: str, tag: str) -> Iterator[None]:
    """Say, in an error of the read-back or of the tag, that the commit is made and what finishes it."""
    try:
        yield
    except AptHubError as error:
        raise type(error)(
            f"{error} {repo_id} has commit {commit} but not its tag {tag}: run apt-hub publish again, which makes "
            "no second commit for the same files and tags it."
        ) from None


def data_unchanged(root: Path, remote: dict[str, Any]) -> bool:
    """Whether the remote already holds every file of the folder that a publish does not render (the shards, the
    hashes, the build record) and no stale shard: then the publish is no new release, unless the card changed."""
    plan = diff(Plan("", True), [f for f in local_files(root) if not generated(f.path)], remote)
    stale = [path for path in plan.delete if not generated(path)]
    return not (plan.add or plan.change or stale)


def check_write_access(identity: dict[str, Any], repo_id: str, *, create: bool) -> None:
    """Refuse, before anything is sent, a publish that the Hub would refuse: whoami-v2 tells who the token is, its
    role (`read`, `write`, or `fineGrained` with the permissions it has on each user, organization or repository)
    and the organizations of its user with the user's role in each.

    >>> me = {"name": "me", "orgs": [], "auth": {"accessToken": {"role": "read"}}}
    >>> check_write_access(me, "me/apt", create=True)
    Traceback (most recent call last):
    ...
    apt_hub.publish.PublishError: The token has read access only (role 'read'): publishing needs a token with \
write access (role 'write'), or a fine-grained token with repo.write on 'me'.

    Raises:
        PublishError: the namespace is neither the user's nor one of their organizations', their role in the
            organization is `read`, the token is read-only, or a fine-grained token lacks `repo.write` on the
            namespace (to create the repository) or on the namespace or repository (to write it).
    """
    namespace = repo_id.split("/")[0]
    user = identity.get("name")
    orgs = identity.get("orgs")
    if user and isinstance(orgs, list) and namespace != user:
        roles = {org.get("name"): org.get("roleInOrg") for org in orgs if isinstance(org, dict)}
        if namespace not in roles:
            mine = ", ".join(sorted(str(name) for name in roles)) or "none"
            raise PublishError(
                f"The token cannot write to {repo_id}: the namespace {namespace!r} is not yours or one of your "
                f"organisations' (you are {user!r}; organisations: {mine}). Publish under {user}/ or an "
                "organisation you belong to."
            )
        if roles[namespace] == "read":
            raise PublishError(
                f"The token cannot write to {repo_id}: your role in the organization {namespace!r} is read; an "
                f"admin of {namespace} can give you the write role."
            )
    token = (identity.get("auth") or {}).get("accessToken") or {}
    role = token.get("role")
    if role == "read":
        raise PublishError(
            "The token has read access only (role 'read'): publishing needs a token with write access (role "
            f"'write'), or a fine-grained token with repo.write on {namespace!r}."
        )
    if role == "fineGrained":
        check_fine_grained(token.get("fineGrained") or {}, repo_id, create=create)


def check_fine_grained(fine_grained: dict[str, Any], repo_id: str, *, create: bool) -> None:
    """A fine-grained token creates a repository with `repo.write` on its namespace, and writes an existing one
    with `repo.write` on the namespace or on the repository itself."""
    namespace = repo_id.split("/")[0]
    granted: set[str] = set()
    for entry in fine_grained.get("scoped") or []:
        entity = entry.get("entity") or {}
        on_namespace = entity.get("type") in ("user", "org") and entity.get("name") == namespace
        on_repo = not create and entity.get("type") == "dataset" and entity.get("name") == repo_id
        if on_namespace or on_repo:
            granted |= set(entry.get("permissions") or [])
    if "repo.write" not in granted:
        doing = f"creating {repo_id}" if create else f"writing to {repo_id}"
        has = ", ".join(sorted(granted)) or "none"
        raise PublishError(
            f"The fine-grained token lacks repo.write on {namespace!r}, which {doing} needs (its permissions "
            f'there: {has}): add "Write access to contents/settings" of {namespace} to the token.'
        )


def remote_files(api, plan: Plan) -> dict[str, Any]:
    """The files of the remote repository at its head, by path; records the head and visibility in `plan`.

    Raises:
        PublishError: the repository exists with the other visibility.
    """
    from huggingface_hub.errors import RepositoryNotFoundError

    try:
        info = api.repo_info(plan.repo_id, repo_type="dataset")
    except RepositoryNotFoundError:
        plan.create = True
        return {}
    if bool(info.private) != plan.private:
        now, asked = ("private", "public") if info.private else ("public", "private")
        hint = "drop --public" if info.private else "pass --public"
        raise PublishError(
            f"{plan.repo_id} exists and is {now}, but this publish asked for a {asked} repository; apt-hub never "
            f"changes a repository's visibility: {hint}, or change it on the Hub yourself."
        )
    plan.head = info.sha
    tree = api.list_repo_tree(plan.repo_id, repo_type="dataset", recursive=True, revision=info.sha)
    return {entry.path: entry for entry in tree if hasattr(entry, "blob_id")}


def warn_if_uncurated(folder: Path, *, shown: Path) -> None:
    """One line on stderr while the card to publish still has the placeholder curators line. A warning, not an
    error: a first publish to a private repository often comes before anyone fills it in. Given once the card is
    rendered in `folder` (with any text taken in from the Hub's card), so that an error before it stays one line;
    `shown` is the build folder the message names."""
    import sys

    from .card import CURATORS_PLACEHOLDER, uncurated

    if uncurated(folder):
        print(
            f"warning: {shown / CARD_FILE} still says {CURATORS_PLACEHOLDER!r}: write who curates the data there "
            "(outside the generated blocks; it is kept on every publish)",
            file=sys.stderr,
        )


def adopt_remote_card(api, root: Path, plan: Plan, remote: dict[str, Any], repo_id: str) -> None:
    """Start from the Hub's card when it has text of a user's and the local card has none of its own.

    A card edited on the Hub would otherwise lose that text to the local card at the next publish.
    """
    local = root / CARD_FILE
    entry = remote.get(CARD_FILE)
    if entry is None or not local.is_file():
        return
    text = local.read_text(encoding="utf-8")
    if entry.blob_id == git_blob_oid(text.encode()):
        return
    from huggingface_hub import hf_hub_download

    name = f"{CARD_FILE} of {repo_id} on the Hub"
    downloaded = hf_hub_download(repo_id, CARD_FILE, repo_type="dataset", revision=plan.head, token=api.token)
    remote_text = decode_utf8(Path(downloaded).read_bytes())
    if isinstance(remote_text, Problem):
        raise CardError(remote_text.format(name))
    default = handwritten(render_card_for(root, repo_id=repo_id))
    if handwritten(text) == default and handwritten(remote_text, name) != default:
        atomic_write(local, remote_text)


def local_files(root: Path) -> list[LocalFile]:
    """Every file of the build folder but hidden ones (names starting with a dot), sorted by path."""
    paths = [p for p in sorted(root.rglob("*")) if p.is_file()]
    return [
        LocalFile.read(root, p) for p in paths if not any(part.startswith(".") for part in p.relative_to(root).parts)
    ]


def generated(path: str) -> bool:
    """Whether a file of the build folder is rewritten by a publish: the card, the stats, the histograms, the
    changelogs of its releases."""
    return path in (CARD_FILE, STATS_FILE) or path.startswith((f"{IMAGES_DIR}/lengths-", f"{CHANGES_DIR}/"))


@contextmanager
def card_folder(root: Path, dry_run: bool) -> Iterator[Path]:
    """Where a publish writes the card, stats, histograms and changelog: a transaction of the build folder, made
    visible when the publish ends without error, or for a dry run a scratch view of it (those copied, as the refresh
    starts from them; everything else linked) so that a dry run changes nothing on disk."""
    if not dry_run:
        with transaction(root, existing=True) as staging:
            yield staging
        return
    with tempfile.TemporaryDirectory(prefix="apt-hub-dry-run-") as scratch:
        view = Path(scratch)
        for entry in root.iterdir():
            if entry.name in (IMAGES_DIR, CHANGES_DIR) and entry.is_dir():
                shutil.copytree(entry, view / entry.name)
            elif entry.name in (CARD_FILE, STATS_FILE):
                shutil.copyfile(entry, view / entry.name)
            else:
                (view / entry.name).symlink_to(entry.resolve(), target_is_directory=entry.is_dir())
        yield view


def planned_files(root: Path, folder: Path) -> list[LocalFile]:
    """The files a publish mirrors: those of the build folder, with the card, stats and histograms of `folder`."""
    rendered = [folder / CARD_FILE, folder / STATS_FILE, *sorted((folder / IMAGES_DIR).glob("lengths-*"))]
    rendered += sorted((folder / CHANGES_DIR).glob("*.json"))
    files = [f for f in local_files(root) if not generated(f.path)]
    files += [LocalFile.read(folder, path) for path in rendered if path.is_file()]
    return sorted(files, key=lambda file: file.path)


def diff(plan: Plan, local: list[LocalFile], remote: dict[str, Any]) -> Plan:
    """Fill `plan` with the files to add, change and delete so that the remote mirrors `local`."""
    for file in local:
        entry = remote.get(file.path)
        if entry is None:
            plan.add.append(file)
        elif same_content(file, entry):
            plan.unchanged.append(file.path)
        else:
            plan.change.append(file)
    paths = {file.path for file in local}
    plan.delete = sorted(p for p in remote if p not in paths and p.startswith(MANAGED_PREFIXES))
    return plan


def same_content(file: LocalFile, entry: Any) -> bool:
    """Whether a remote file has the local bytes: same LFS sha256 for LFS files, same git blob id otherwise."""
    lfs = getattr(entry, "lfs", None)
    if lfs is not None:
        return lfs.sha256 == file.sha256
    return entry.blob_id == file.git_oid


def operations(plan: Plan) -> list:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete

    adds = [CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=str(f.local)) for f in [*plan.add, *plan.change]]
    return [*adds, *(CommitOperationDelete(path_in_repo=path) for path in plan.delete)]


def commit_message(plan: Plan, root: Path) -> tuple[str, str]:
    """A one-line summary of what changed (configs, card, stats) and a description with rows and files.

    >>> plan = Plan("org/apt", True, add=[LocalFile("data/sft/train-00000-of-00001.parquet", Path(), 1, "", "")])
    >>> commit_message(plan, Path("missing"))[0]
    'apt-hub 0.1.0: update sft'
    """
    touched = [f.path for f in [*plan.add, *plan.change]] + plan.delete
    configs = sorted({p.split("/")[1] for p in touched if p.startswith("data/")})
    others = [name for name in (CARD_FILE, "stats.json", "build.json") if name in touched]
    verb = "add" if plan.create else "update"
    parts = ([f"{verb} {', '.join(configs)}"] if configs else []) + [f"refresh {', '.join(others)}"] * bool(others)
    summary = f"apt-hub {__version__}: {'; '.join(parts) or 'update images'}"
    record = read_record(root).get("configs", {})
    rows = [
        f"- {config}: " + ", ".join(f"{split} {info['rows']:,} rows" for split, info in splits.items())
        for config in configs
        if (splits := record.get(config, {}).get("splits"))
    ]
    files = [f"- add {f.path}" for f in plan.add] + [f"- change {f.path}" for f in plan.change]
    files += [f"- delete {path}" for path in plan.delete]
    return summary, "\n".join([*rows, "", *files]).strip()


def git_blob_oid(data: bytes) -> str:
    """The git blob id of `data`, which the Hub reports as `oid` for every file.

    >>> git_blob_oid(b"")
    'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'
    """
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@contextmanager
def hub_errors(repo_id: str, token: str, endpoint: str) -> Iterator[None]:
    """Turn the Hub client's errors into a `PublishError` with one clear sentence, the token masked."""
    from huggingface_hub.errors import HfHubHTTPError

    try:
        yield
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else None
        raise PublishError(_mask(_http_message(status, repo_id, endpoint, error), token)) from None
    except TimeoutException as error:
        raise PublishError(_mask(_timeout_message(error, endpoint), token)) from None
    except (TransportError, ConnectionError) as error:
        message = f"Cannot reach the Hub at {endpoint} ({type(error).__name__}: {error}). Check HF_ENDPOINT."
        raise PublishError(_mask(message, token)) from None
    except (ValueError, KeyError, TypeError, AttributeError) as error:  # JSONDecodeError is a ValueError
        if not _raised_by_client(error):
            raise
        message = (
            f"The Hub at {endpoint} sent an answer that is not the Hub API's ({type(error).__name__}: {error}): "
            "check that HF_ENDPOINT is a Hub or a Hub mirror."
        )
        raise PublishError(_mask(message, token)) from None


def _timeout_message(error: TimeoutException, endpoint: str) -> str:
    """Which request timed out, where, and how to wait longer."""
    try:
        request = f"{error.request.method} {error.request.url}"
    except RuntimeError:  # an error raised without its request
        request = f"a request to {endpoint}"
    connect, read = timeouts()
    limit = f"{connect:g} s to connect" if "Connect" in type(error).__name__ else f"{read:g} s for an answer"
    return (
        f"The Hub at {endpoint} did not answer: {request} gave up after {limit} ({type(error).__name__}). Check "
        f"HF_ENDPOINT, or set {TIMEOUT_VARIABLE} to wait longer."
    )


def _raised_by_client(error: Exception) -> bool:
    """Whether an error comes from a call of this module into huggingface_hub (reading an answer), rather than
    from apt-hub's own code such as the card."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [i for i, frame in enumerate(frames) if frame.filename == __file__]
    return bool(ours) and ours[-1] + 1 < len(frames) and "huggingface_hub" in Path(frames[ours[-1] + 1].filename).parts


def _http_message(status: int | None, repo_id: str, endpoint: str, error: Exception) -> str:
    namespace = repo_id.split("/")[0]
    if status == 401:
        return (
            f"The Hub at {endpoint} refused the token (401): it is not valid there, or {repo_id} is a private "
            "repository of someone else."
        )
    if status == 403:
        return (
            f"The token cannot write to {repo_id} (403): it has read access only, or the namespace {namespace!r} "
            f"is not yours or one of your organisations'. Server said: {_server_message(error)}"
        )
    if status == 409:
        return f"{repo_id} exists but this token cannot see it: it belongs to someone else. Choose another name."
    if status == 412:
        return f"{repo_id} changed on the Hub while publishing (412): run apt-hub publish again."
    return f"The Hub at {endpoint} answered {status} for {repo_id}: {_server_message(error)}"


def _server_message(error: Exception) -> str:
    return getattr(error, "server_message", None) or str(error).splitlines()[0]


def _mask(message: str, token: str) -> str:
    """A message without the token, and without the credentials of any URL in it (a mirror's password)."""
    return redact(message.replace(token, "***") if token else message)


REPO_ID_RULE = (
    "ORG/NAME, such as my-org/apt: each part letters, digits, '-', '_' and '.', neither starting nor ending with "
    "'-' or '.', without '--' or '..', the name at most 96 characters"
)


def check_repo_id(repo_id: Any) -> str:
    """`repo_id` when the Hub accepts it as a dataset repository's name (`huggingface_hub.utils.validate_repo_id`,
    and a namespace given); else a `UsageError` naming the rule.

    >>> check_repo_id("org/a b")
    Traceback (most recent call last):
    ...
    apt_hub.errors.UsageError: --repo-id must be ORG/NAME, such as my-org/apt: each part letters, digits, '-', \
'_' and '.', neither starting nor ending with '-' or '.', without '--' or '..', the name at most 96 characters; \
got 'org/a b'
    """
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    valid = isinstance(repo_id, str) and repo_id.count("/") == 1 and all(repo_id.split("/"))
    try:
        validate_repo_id(repo_id) if valid else None
    except HFValidationError:
        valid = False
    if not valid or "--" in repo_id or ".." in repo_id:
        raise UsageError(f"--repo-id must be {REPO_ID_RULE}; got {repo_id!r}")
    return repo_id
