"""A Hugging Face Hub-compatible HTTP server for tests, built on the standard library (and, to check a card's
YAML header as the Hub does, PyYAML and `apt_hub.card.rules`).

It answers the routes that the real ``huggingface_hub`` and ``datasets`` clients call to create a repo, upload
files (inline "regular" blobs only, no LFS or Xet), list trees and download files, so that tests can run those
clients over HTTP against ``127.0.0.1``. See ``../shared/HUB_TESTING.md`` (beside the checkout) for the protocol notes.

Typical use in a test::

    server = HubServer(tokens={"hf_alice": "alice"}).start()
    point_clients_at(server.endpoint, monkeypatch)  # patch the import-time constants of both libraries
    isolate_hf_home(tmp_path, monkeypatch)  # fresh caches, no real token
    ...
    server.stop()

Model of the Hub:

- A repo is a list of commits, each a full snapshot ``path -> bytes``; ``main`` is the only branch. A commit id is
  the sha1 of its parent, message and tree. Tags name commits (``create_tag``: ``POST .../tag/<rev>`` with
  ``{"tag", "message"?}``, 409 when the tag exists, never moved; ``delete_tag``); ``list_repo_refs`` lists them as
  ``refs/tags/<name>`` and every route resolves a tag name as a revision. ``create_repo`` makes an empty "initial
  commit" (the real Hub adds a ``.gitattributes``; this server does not). ``main`` and every past commit id
  resolve.
- A file that the commit's own ``.gitattributes`` marks ``filter=lfs`` is an LFS file, as on the Hub: the tree and
  paths-info give its ``lfs`` (sha256, size, pointer size) and the blob id of its pointer, and its ETag is the
  sha256; its bytes are stored and served like any other file's.
- Tokens map to user names. A private repo is visible only to its owner: the user who created it, the user whose
  name is its namespace, or a member of the organization it belongs to. Everyone else gets 401 ``RepoNotFound``.
  An unknown token gets 401 on every route; writes need a token that may write (else 403) of the owner or of a
  member of the organization whose role is not ``read`` (else 403, or the 401 ``RepoNotFound`` of a private repo).
- ``orgs`` maps each organization to its members and their roles (``admin``, ``write``, ``contributor``,
  ``read``), which whoami-v2 reports as ``orgs: [{"name", "roleInOrg", ...}]``. Without ``orgs`` any namespace that
  is not a known user counts as an organization of whoever writes in it.
- A token is classic, ``role`` ``write`` or ``read`` (``read_only_tokens``), or fine-grained (``fine_grained``:
  token -> the ``scoped`` entries of whoami-v2, ``{"entity": {"type": "user"|"org"|"dataset"|..., "name"},
  "permissions": ["repo.content.read", "repo.write", ...]}``): whoami-v2 then reports ``role: "fineGrained"`` and
  the entries, and the token reads private repos with ``repo.content.read`` (or ``repo.write``) and creates or
  writes repos with ``repo.write``, each on the repo itself or on its namespace.
- ``basic_users`` model a mirror behind HTTP basic authentication (``HF_ENDPOINT=http://user:pass@host``): the
  client then sends ``Authorization: Basic ...`` instead of its token, and the mirror signs the user in as the Hub
  user it maps them to, with write access. Wrong basic credentials get 401 like an unknown token.
"""

from __future__ import annotations

import base64
import contextlib
import fnmatch
import hashlib
import json
import os
import re
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["HubServer", "client_env", "git_blob_oid", "is_lfs", "isolate_hf_home", "lfs_pointer", "point_clients_at"]

API_TYPES = {"datasets": "dataset", "models": "model", "spaces": "space"}
URL_PREFIXES = {"dataset": "datasets/", "model": "", "space": "spaces/"}
INVALID_CREDENTIALS = "Invalid credentials in Authorization header"

_REPO_API = r"/api/(?P<type>datasets|models|spaces)/(?P<repo>[^/]+/[^/]+)"
ROUTES: list[tuple[set[str], re.Pattern[str], str]] = [
    ({"POST"}, re.compile(r"/api/repos/create"), "create_repo"),
    ({"DELETE"}, re.compile(r"/api/repos/delete"), "delete_repo"),
    ({"POST"}, re.compile(r"/api/validate-yaml"), "validate_yaml"),
    ({"GET"}, re.compile(r"/api/whoami-v2"), "whoami"),
    ({"GET"}, re.compile(_REPO_API + r"(?:/revision/(?P<rev>[^/]+))?"), "repo_info"),
    ({"POST"}, re.compile(_REPO_API + r"/preupload/(?P<rev>[^/]+)"), "preupload"),
    ({"POST"}, re.compile(_REPO_API + r"/commit/(?P<rev>[^/]+)"), "commit"),
    ({"GET"}, re.compile(_REPO_API + r"/tree/(?P<rev>[^/]+)(?:/(?P<path>.*))?"), "tree"),
    ({"POST"}, re.compile(_REPO_API + r"/paths-info/(?P<rev>[^/]+)"), "paths_info"),
    ({"GET"}, re.compile(_REPO_API + r"/refs"), "refs"),
    ({"POST"}, re.compile(_REPO_API + r"/tag/(?P<rev>[^/]+)"), "tag"),
    ({"DELETE"}, re.compile(_REPO_API + r"/tag/(?P<tag>[^/]+)"), "delete_tag"),
    ({"GET"}, re.compile(_REPO_API + r"/commits/(?P<rev>[^/]+)"), "list_commits"),
    (
        {"GET", "HEAD"},
        re.compile(r"/(?:(?P<type>datasets|spaces)/)?(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<path>.+)"),
        "resolve",
    ),
]


def git_blob_oid(content: bytes) -> str:
    """Return the git blob id of ``content``, as the Hub reports it for regular files."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(data: bytes) -> bytes:
    """The Git LFS pointer a repository holds in place of a file stored with LFS."""
    digest = hashlib.sha256(data).hexdigest()
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{digest}\nsize {len(data)}\n".encode()


def is_lfs(files: dict[str, bytes], path: str) -> bool:
    """Whether the ``.gitattributes`` of a tree marks a path ``filter=lfs``: a pattern without a slash matches the
    file name at any depth, one with a slash the path from the root (``**`` as any folders)."""
    for line in files.get(".gitattributes", b"").decode("utf-8", "replace").splitlines():
        pattern, *attributes = line.split() or ["#"]
        if "filter=lfs" in attributes and not pattern.startswith("#"):
            name = path.rsplit("/", 1)[-1] if "/" not in pattern.strip("/") else path
            if fnmatch.fnmatchcase(name, pattern.strip("/").replace("**/", "*").replace("**", "*")):
                return True
    return False


def _unquote_path(raw: str | None) -> str:
    """Split a raw URL path on ``/`` first, then unquote each part (``%2F`` inside a part stays a separator)."""
    return "/".join(unquote(part) for part in (raw or "").split("/") if part)


_EPOCH = "2026-01-01T00:00:00.000Z"


def _object_id(name: str) -> str:
    """A stable 24-hex id for a user, org or repo, as the Hub's ``_id``/``id`` fields look."""
    return hashlib.sha1(name.encode()).hexdigest()[:24]


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in {"1", "true", "yes"}


class HubError(Exception):
    """An HTTP error answered the way the Hub does: JSON body plus ``X-Error-Code`` / ``X-Error-Message``."""

    def __init__(self, status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.code, self.headers = status, message, code, headers or {}


@dataclass
class Commit:
    """One commit: a full snapshot of the repo plus what changed relative to its parent."""

    oid: str
    parent: str | None
    files: dict[str, bytes]
    summary: str
    description: str
    author: str
    date: str = field(default_factory=lambda: datetime.now(UTC).isoformat().replace("+00:00", "Z"))
    added: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        keys = ("oid", "parent", "summary", "description", "author", "date", "added", "deleted")
        return {key: getattr(self, key) for key in keys}


@dataclass
class Repo:
    """A repo: its commits (oldest first) and the ``main`` branch pointing at the newest."""

    repo_type: str
    repo_id: str
    owner: str
    private: bool
    history: list[Commit] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)  # tag name: commit id

    @property
    def head(self) -> Commit:
        return self.history[-1]

    def resolve(self, revision: str) -> Commit:
        """Find the commit of a branch name (``main``, ``refs/heads/main``), a tag (``v1``, ``refs/tags/v1``) or a
        full commit id, else 404 ``RevisionNotFound``."""
        if revision in ("main", "refs/heads/main"):
            return self.head
        tag = self.tags.get(revision.removeprefix("refs/tags/"))
        if tag is not None:
            revision = tag
        for commit in self.history:
            if commit.oid == revision.lower():
                return commit
        raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    def add_commit(
        self, files: dict[str, bytes], summary: str, description: str, author: str, sha: str | None
    ) -> Commit:
        """Append a commit whose tree is ``files``; its id is ``sha`` or derived from parent, message and tree."""
        parent = self.history[-1] if self.history else None
        if sha is None:
            tree = "".join(f"{git_blob_oid(files[p])} {p}\n" for p in sorted(files))
            sha = hashlib.sha1(
                f"{parent.oid if parent else ''}\n{summary}\n{description}\n{tree}".encode()
            ).hexdigest()
        if not re.fullmatch(r"[0-9a-f]{40}", sha) or any(c.oid == sha for c in self.history):
            raise ValueError(f"commit id {sha!r} is not 40 lowercase hex digits or is already used in {self.repo_id}")
        old = parent.files if parent else {}
        commit = Commit(sha, parent.oid if parent else None, dict(files), summary, description, author)
        commit.added = sorted(p for p, data in files.items() if old.get(p) != data)
        commit.deleted = sorted(p for p in old if p not in files)
        self.history.append(commit)
        return commit

    def ancestry(self, commit: Commit) -> list[Commit]:
        """The commit and its ancestors, newest first."""
        index = next(i for i, c in enumerate(self.history) if c.oid == commit.oid)
        return self.history[index::-1]


@dataclass
class Request:
    """What a route handler needs from an HTTP request."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any
    body: bytes
    params: dict[str, str]
    user: str | None = None
    can_write: bool = False
    token: str | None = None

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    """A route handler's answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def _json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(payload).encode()
    return Response(status, body, {"Content-Type": "application/json", **(headers or {})})


def yaml_header_errors(readme: str) -> list[str]:
    """The problems the Hub finds in a README's YAML header: malformed YAML, or values it does not accept.

    The values are checked with `apt_hub.card.rules`, the offline copy of the Hub's rules (known licences,
    `license_link` with `other`, task and size categories, `configs:` entries); a README without a header passes.
    """
    import yaml

    from apt_hub.card.rules import metadata_errors

    match = re.match(r"---\r?\n(.*?)\r?\n---\r?\n", readme, re.S)
    if not match:
        return []
    try:
        data = yaml.safe_load(match[1])
    except yaml.YAMLError as error:
        return [f"Invalid YAML in the card header: {error}"]
    return metadata_errors(data) if data is not None else []


class HubServer:
    """In-memory Hub serving the upload, listing and download routes of the Hub API on ``127.0.0.1``."""

    def __init__(
        self,
        *,
        tokens: dict[str, str] | None = None,
        read_only_tokens: set[str] | None = None,
        basic_users: dict[str, str] | None = None,
        orgs: dict[str, dict[str, str]] | None = None,
        fine_grained: dict[str, list[dict[str, Any]]] | None = None,
    ):
        self.tokens = dict(tokens or {})
        self.read_only_tokens = set(read_only_tokens or ())
        self.orgs = None if orgs is None else {name: dict(members) for name, members in orgs.items()}
        self.fine_grained = {token: list(scoped) for token, scoped in (fine_grained or {}).items()}
        self.basic_users = dict(basic_users or {})  # "user:password": Hub user
        self.repos: dict[tuple[str, str], Repo] = {}
        self.requests: list[dict[str, Any]] = []
        self.errors: list[str] = []  # tracebacks of handler crashes (answered 500)
        self.faults: dict[str, tuple[float, Response | None]] = {}  # route name: (delay in seconds, answer)
        self.latency = 0.0  # seconds every request waits, as across a network
        self.endpoint = ""
        self._lock = threading.RLock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._sockets: set[socket.socket] = set()

    # ------------------------------------------------------------------ lifecycle

    def start(self, port: int = 0) -> HubServer:
        """Bind ``127.0.0.1:port`` (0: any free port) and serve in a daemon thread."""
        handler = type("BoundHandler", (_Handler,), {"hub": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]  # quiet
        self.endpoint = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="hub-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop the clients' keep-alive connections."""
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            for sock in list(self._sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> HubServer:
        return self if self._httpd else self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget every repo, the basic users and the request log."""
        with self._lock:
            self.repos.clear()
            self.basic_users.clear()
            self.requests.clear()
            self.errors.clear()
            self.faults.clear()

    # ------------------------------------------------------------------ test-side API

    def add_repo(
        self,
        repo_id: str,
        files: dict[str, bytes] | str | os.PathLike,
        *,
        repo_type: str = "dataset",
        private: bool = False,
        owner: str | None = None,
        sha: str | None = None,
    ) -> str:
        """Create ``repo_id`` holding ``files`` (a mapping or a local directory) and return its head commit id.

        If the repo exists, ``files`` becomes the tree of a new commit on ``main`` instead. ``sha`` forces the
        commit id (40 lowercase hex) so that a client pinned to that revision finds it. ``owner`` defaults to the
        namespace of ``repo_id``.
        """
        if not isinstance(files, dict):
            root = Path(files)
            files = {
                p.relative_to(root).as_posix(): p.read_bytes()
                for p in sorted(root.rglob("*"))
                if p.is_file() and ".git" not in p.relative_to(root).parts
            }
        with self._lock:
            repo = self.repos.get((repo_type, repo_id))
            if repo is None:
                repo = Repo(repo_type, repo_id, owner or repo_id.split("/")[0], private)
                self.repos[(repo_type, repo_id)] = repo
                summary = "initial commit"
            else:
                summary = "update files"
            return repo.add_commit(dict(files), summary, "", repo.owner, sha).oid

    def fault(self, route: str, *, delay: float = 0.0, status: int = 200, body: bytes | None = None) -> None:
        """Make ``route`` (a route name: ``whoami``, ``repo_info``, ...) misbehave until ``reset``: answer after
        ``delay`` seconds (a stalled server), and with ``body`` and ``status`` instead of its own answer when given."""
        with self._lock:
            answer = None if body is None else Response(status, body, {"Content-Type": "application/json"})
            self.faults[route] = (delay, answer)

    def tags(self, repo_id: str, *, repo_type: str = "dataset") -> dict[str, str]:
        """The tags of ``repo_id``: name -> commit id."""
        with self._lock:
            return dict(self._repo(repo_type, repo_id).tags)

    def repo_files(self, repo_id: str, *, repo_type: str = "dataset", revision: str = "main") -> dict[str, bytes]:
        """The tree of ``repo_id`` at ``revision`` (a branch name or a commit id)."""
        with self._lock:
            return dict(self._repo(repo_type, repo_id).resolve(revision).files)

    def commits(self, repo_id: str, *, repo_type: str = "dataset") -> list[dict]:
        """The commits of ``repo_id``, oldest first, including the "initial commit" made at creation."""
        with self._lock:
            return [c.as_dict() for c in self._repo(repo_type, repo_id).history]

    # ------------------------------------------------------------------ dispatch

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> tuple[Response, str | None]:
        """Route one request; return the response and the route name (None when no route matched)."""
        path, _, query = target.partition("?")
        found = next(
            ((name, m) for methods, pattern, name in ROUTES if method in methods and (m := pattern.fullmatch(path))),
            None,
        )
        if found is None:
            return _json_response({"error": f"Unknown route: {method} {path}"}, 404), None
        name, match = found
        delay, answer = self.faults.get(name, (0.0, None))
        time.sleep(delay + self.latency)  # outside the lock: other requests are still served
        if answer is not None:
            return answer, name
        request = Request(method, path, parse_qs(query, keep_blank_values=True), headers, body, match.groupdict())
        try:
            request.user, request.can_write = self._authenticate(headers)
            request.token = self._bearer(headers)
            with self._lock:
                return getattr(self, f"_route_{name}")(request), name
        except HubError as e:
            headers_out = {"X-Error-Message": e.message, **e.headers}
            if e.code:
                headers_out["X-Error-Code"] = e.code
            return _json_response({"error": e.message}, e.status, headers_out), name
        except Exception:  # a crash must reach the test as a 500 (and HubServer.errors), not kill the thread
            self.errors.append(traceback.format_exc())
            return _json_response({"error": "Internal server error"}, 500), name

    def _authenticate(self, headers: Any) -> tuple[str | None, bool]:
        authorization = headers.get("Authorization")
        if not authorization:
            return None, False
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "basic":
            try:
                credentials = base64.b64decode(token.strip(), validate=True).decode()
            except ValueError:
                credentials = ""
            if credentials not in self.basic_users:
                raise HubError(401, INVALID_CREDENTIALS)
            return self.basic_users[credentials], True
        if scheme.lower() != "bearer" or token.strip() not in self.tokens:
            raise HubError(401, INVALID_CREDENTIALS)
        token = token.strip()
        return self.tokens[token], token not in self.read_only_tokens

    @staticmethod
    def _bearer(headers: Any) -> str | None:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        return token.strip() if scheme.lower() == "bearer" else None

    def _allows(self, req: Request, permission: str, namespace: str, repo: Repo | None = None) -> bool:
        """Whether the request's token grants ``permission`` (``repo.content.read``, ``repo.write``) on a repo or
        its namespace: a classic token grants reading, and writing unless read-only; a fine-grained token grants
        what its scoped entries list (``repo.write`` includes reading)."""
        scoped = self.fine_grained.get(req.token or "")
        if scoped is None:
            return permission == "repo.content.read" or req.can_write
        wanted = {permission, "repo.write"}
        for entry in scoped:
            entity = entry.get("entity", {})
            on_namespace = entity.get("type") in ("user", "org") and entity.get("name") == namespace
            on_repo = repo is not None and entity.get("type") == repo.repo_type and entity.get("name") == repo.repo_id
            if (on_namespace or on_repo) and wanted & set(entry.get("permissions", [])):
                return True
        return False

    def _role_in(self, user: str | None, namespace: str) -> str | None:
        """The role of ``user`` in the organization ``namespace``: ``None`` when not a member (or not an org)."""
        if self.orgs is None or user is None:
            return None
        return self.orgs.get(namespace, {}).get(user)

    # ------------------------------------------------------------------ helpers

    def _repo(self, repo_type: str, repo_id: str) -> Repo:
        repo = self.repos.get((repo_type, repo_id))
        if repo is None:
            raise HubError(404, "Repository not found", "RepoNotFound")
        return repo

    def _owns(self, user: str | None, repo: Repo) -> bool:
        """Whether ``user`` may write ``repo``: its owner, the user of its namespace, or a member of its
        organization whose role is not ``read`` (a ``contributor`` only in the repos they created)."""
        if user is None:
            return False
        if user in (repo.owner, repo.repo_id.split("/")[0]):
            return True
        role = self._role_in(user, repo.repo_id.split("/")[0])
        return role in ("admin", "write")

    def _member(self, user: str | None, repo: Repo) -> bool:
        return self._owns(user, repo) or self._role_in(user, repo.repo_id.split("/")[0]) is not None

    def _readable(self, req: Request) -> Repo:
        """The repo named in the URL, if it exists and ``req`` may read it."""
        repo_type = API_TYPES.get(req.params.get("type") or "", req.params.get("type") or "model")
        repo = self._repo(repo_type, req.params["repo"])
        namespace = repo.repo_id.split("/")[0]
        if repo.private and not (
            self._member(req.user, repo) and self._allows(req, "repo.content.read", namespace, repo)
        ):
            raise HubError(401, "Repository not found", "RepoNotFound")
        return repo

    def _require_write(self, req: Request, owner_ok: bool, namespace: str, repo: Repo | None = None) -> None:
        if req.user is None:
            raise HubError(401, "You must be authenticated to write")
        if not self._allows(req, "repo.write", namespace, repo):
            what = "read-only access" if req.token not in self.fine_grained else f"no repo.write on {namespace}"
            raise HubError(403, f"This token has {what}")
        if not owner_ok:
            raise HubError(403, "You don't have the rights to write in this namespace")

    def _writable(self, req: Request) -> Repo:
        repo = self._readable(req)
        self._require_write(req, self._owns(req.user, repo), repo.repo_id.split("/")[0], repo)
        return repo

    def _base_url(self, req: Request) -> str:
        host = req.headers.get("Host")
        return f"http://{host}" if host else self.endpoint

    def _repo_url(self, req: Request, repo: Repo) -> str:
        return f"{self._base_url(req)}/{URL_PREFIXES[repo.repo_type]}{repo.repo_id}"

    def _commit_of(self, req: Request, repo: Repo) -> Commit:
        return repo.resolve(unquote(req.params.get("rev") or "main"))

    @staticmethod
    def _last_commit(repo: Repo, commit: Commit, path: str, is_dir: bool) -> dict[str, str]:
        """The newest commit, at or before ``commit``, that changed ``path`` (a file, or any file under a folder)."""

        def content(c: Commit | None) -> Any:
            files = c.files if c else {}
            if is_dir:
                return {p: d for p, d in files.items() if p.startswith(path + "/")}
            return files.get(path)

        chain = repo.ancestry(commit)
        for current, parent in zip(chain, [*chain[1:], None], strict=True):
            if content(current) != content(parent):
                return {"id": current.oid, "title": current.summary, "date": current.date}
        return {"id": chain[-1].oid, "title": chain[-1].summary, "date": chain[-1].date}

    def _entry(self, repo: Repo, commit: Commit, path: str, expand: bool) -> dict[str, Any]:
        """A tree / paths-info entry for a file or folder that exists in ``commit``."""
        if path in commit.files:
            data = commit.files[path]
            entry: dict[str, Any] = {"type": "file", "oid": git_blob_oid(data), "size": len(data), "path": path}
            if is_lfs(commit.files, path):
                pointer = lfs_pointer(data)
                lfs = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": len(pointer)}
                entry |= {"oid": git_blob_oid(pointer), "lfs": lfs}
        else:
            under = sorted((p, git_blob_oid(d)) for p, d in commit.files.items() if p.startswith(path + "/"))
            tree_oid = hashlib.sha1(json.dumps(under).encode()).hexdigest()
            entry = {"type": "directory", "oid": tree_oid, "size": 0, "path": path}
        if expand:
            entry["lastCommit"] = self._last_commit(repo, commit, path, entry["type"] == "directory")
        return entry

    @staticmethod
    def _children(files: dict[str, bytes], folder: str, recursive: bool) -> list[str]:
        """Paths of the files and folders under ``folder`` ("" is the root): direct children, or all of them."""
        prefix = folder + "/" if folder else ""
        found: set[str] = set()
        for path in files:
            if not path.startswith(prefix):
                continue
            parts = path[len(prefix) :].split("/")
            depth = len(parts) if recursive else 1
            found.update(prefix + "/".join(parts[: i + 1]) for i in range(depth))
        return sorted(found)

    # ------------------------------------------------------------------ routes

    def _route_create_repo(self, req: Request) -> Response:
        body = req.json()
        repo_type = body.get("type") or "model"
        namespace = body.get("organization") or req.user
        repo_id = f"{namespace}/{body['name']}"
        if self.orgs is None:  # any namespace that is not another known user counts as an organization of the caller
            allowed = namespace == req.user or namespace not in self.tokens.values()
        else:
            allowed = namespace == req.user or self._role_in(req.user, namespace) in ("admin", "write", "contributor")
        self._require_write(req, allowed, namespace)
        repo = self.repos.get((repo_type, repo_id))
        if repo is not None:
            url = self._repo_url(req, repo)
            return _json_response({"error": "You already created this repo", "url": url}, 409)
        private = body.get("visibility", "private" if body.get("private") else "public") != "public"
        repo = Repo(repo_type, repo_id, req.user or namespace, private)
        repo.add_commit({}, "initial commit", "", repo.owner, None)
        self.repos[(repo_type, repo_id)] = repo
        return _json_response({"url": self._repo_url(req, repo), "name": repo_id, "id": repo_id})

    def _route_delete_repo(self, req: Request) -> Response:
        body = req.json()
        repo_type = body.get("type") or "model"
        repo_id = f"{body.get('organization') or req.user}/{body['name']}"
        repo = self._repo(repo_type, repo_id)
        if repo.private and not self._owns(req.user, repo):
            raise HubError(401, "Repository not found", "RepoNotFound")
        self._require_write(req, self._owns(req.user, repo), repo_id.split("/")[0], repo)
        del self.repos[(repo_type, repo_id)]
        return _json_response({})

    def _route_validate_yaml(self, req: Request) -> Response:
        """The Hub's check of a README's YAML header: 400 with one error per problem, as the Hub answers."""
        errors = yaml_header_errors(req.json().get("content", ""))
        return _json_response({"errors": [{"message": m} for m in errors], "warnings": []}, 400 if errors else 200)

    def _route_whoami(self, req: Request) -> Response:
        if req.user is None:
            raise HubError(401, INVALID_CREDENTIALS)
        scoped = self.fine_grained.get(req.token or "")
        role = "fineGrained" if scoped is not None else "write" if req.can_write else "read"
        token_info: dict[str, Any] = {"displayName": f"{req.user}-{role}", "role": role, "createdAt": _EPOCH}
        if scoped is not None:
            entries = [
                {"entity": {"_id": _object_id(e["entity"]["name"]), **e["entity"]}, "permissions": e["permissions"]}
                for e in scoped
            ]
            token_info["fineGrained"] = {"canReadGatedRepos": False, "global": [], "scoped": entries}
        orgs = [
            {
                "type": "org",
                "id": _object_id(name),
                "name": name,
                "fullname": name,
                "email": None,
                "canPay": False,
                "periodEnd": None,
                "avatarUrl": "",
                "roleInOrg": members[req.user],
                "isEnterprise": False,
            }
            for name, members in sorted((self.orgs or {}).items())
            if req.user in members
        ]
        return _json_response(
            {
                "type": "user",
                "id": _object_id(req.user),
                "name": req.user,
                "fullname": req.user,
                "email": None,
                "emailVerified": True,
                "canPay": False,
                "periodEnd": None,
                "isPro": False,
                "avatarUrl": "",
                "orgs": orgs,
                "auth": {"type": "access_token", "accessToken": token_info},
            }
        )

    def _route_repo_info(self, req: Request) -> Response:
        repo = self._readable(req)
        commit = self._commit_of(req, repo)
        blobs = _truthy((req.query.get("blobs") or [""])[0])
        siblings = [
            {"rfilename": p, **({"size": len(d), "blobId": git_blob_oid(d)} if blobs else {})}
            for p, d in sorted(commit.files.items())
        ]
        return _json_response(
            {
                "_id": hashlib.sha1(repo.repo_id.encode()).hexdigest()[:24],
                "id": repo.repo_id,
                "author": repo.repo_id.split("/")[0],
                "sha": commit.oid,
                "private": repo.private,
                "gated": False,
                "disabled": False,
                "createdAt": repo.history[0].date,
                "lastModified": commit.date,
                "downloads": 0,
                "likes": 0,
                "tags": [],
                "siblings": siblings,
            }
        )

    def _route_preupload(self, req: Request) -> Response:
        repo = self._writable(req)
        remote = self._commit_of(req, repo).files
        files = [
            {
                "path": f["path"],
                "uploadMode": "regular",
                "shouldIgnore": False,
                "oid": git_blob_oid(remote[f["path"]]) if f["path"] in remote else None,
            }
            for f in req.json().get("files", [])
        ]
        return _json_response({"files": files})

    def _route_commit(self, req: Request) -> Response:
        repo = self._writable(req)
        if unquote(req.params["rev"]) != "main":
            raise HubError(
                404, f"Invalid rev id: {unquote(req.params['rev'])} (only 'main' accepts commits)", "RevisionNotFound"
            )
        if _truthy((req.query.get("create_pr") or [""])[0]):
            raise HubError(400, "Pull requests are not supported by this test server")
        lines = [json.loads(line) for line in req.body.splitlines() if line.strip()]
        header = next((line["value"] for line in lines if line["key"] == "header"), {})
        parent = header.get("parentCommit")
        if parent and parent != repo.head.oid:
            raise HubError(412, "A commit has happened since. Please refresh and try again.")
        files = dict(repo.head.files)
        for line in lines:
            key, value = line["key"], line["value"]
            path = value.get("path", "") if isinstance(value, dict) else ""
            if key == "file":
                if not path or path.startswith("/") or ".." in path.split("/"):
                    raise HubError(400, f"Invalid path: {path!r}")
                files[path] = base64.b64decode(value["content"])
            elif key == "deletedFile":
                if files.pop(path, None) is None:
                    raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
            elif key == "deletedFolder":
                folder = path.rstrip("/") + "/"
                doomed = [p for p in files if p.startswith(folder)]
                if not doomed:
                    raise HubError(404, f"A folder with this name doesn't exist: {path}", "EntryNotFound")
                for p in doomed:
                    del files[p]
            elif key != "header":
                raise HubError(400, f"Unsupported commit operation {key!r} (this server only accepts regular files)")
        commit = repo.add_commit(files, header.get("summary", ""), header.get("description", ""), req.user or "", None)
        url = f"{self._repo_url(req, repo)}/commit/{commit.oid}"
        return _json_response({"success": True, "commitOid": commit.oid, "commitUrl": url})

    def _route_tree(self, req: Request) -> Response:
        repo = self._readable(req)
        commit = self._commit_of(req, repo)
        folder = _unquote_path(req.params.get("path"))
        if folder and (folder in commit.files or not any(p.startswith(folder + "/") for p in commit.files)):
            raise HubError(
                404, f"{folder} does not exist or is not a folder", "EntryNotFound", {"X-Repo-Commit": commit.oid}
            )
        recursive = _truthy((req.query.get("recursive") or [""])[0])
        expand = _truthy((req.query.get("expand") or [""])[0])
        paths = self._children(commit.files, folder, recursive)
        return _json_response([self._entry(repo, commit, p, expand) for p in paths])

    def _route_paths_info(self, req: Request) -> Response:
        repo = self._readable(req)
        commit = self._commit_of(req, repo)
        form = parse_qs(req.body.decode(), keep_blank_values=True)
        expand = _truthy((form.get("expand") or [""])[0])
        entries = []
        for raw in form.get("paths", []):
            path = raw.strip("/")
            if path in commit.files or any(p.startswith(path + "/") for p in commit.files):
                entries.append(self._entry(repo, commit, path, expand))
        return _json_response(entries)

    def _route_refs(self, req: Request) -> Response:
        repo = self._readable(req)
        main = {"name": "main", "ref": "refs/heads/main", "targetCommit": repo.head.oid}
        tags = [{"name": n, "ref": f"refs/tags/{n}", "targetCommit": oid} for n, oid in sorted(repo.tags.items())]
        answer: dict[str, Any] = {"branches": [main], "converts": [], "tags": tags}
        if _truthy((req.query.get("include_prs") or [""])[0]):
            answer["pullRequests"] = []
        return _json_response(answer)

    def _route_tag(self, req: Request) -> Response:
        repo = self._writable(req)
        commit = self._commit_of(req, repo)
        tag = str(req.json().get("tag") or "")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", tag) or ".." in tag or tag.endswith((".lock", "/")):
            raise HubError(400, f"Invalid tag name: {tag!r}")
        if tag in repo.tags or tag == "main":
            raise HubError(409, f"Tag {tag} already exists")
        repo.tags[tag] = commit.oid
        return _json_response({})

    def _route_delete_tag(self, req: Request) -> Response:
        repo = self._writable(req)
        tag = unquote(req.params["tag"])
        if repo.tags.pop(tag, None) is None:
            raise HubError(404, f"Invalid rev id: {tag}", "RevisionNotFound")
        return _json_response({})

    def _route_list_commits(self, req: Request) -> Response:
        repo = self._readable(req)
        return _json_response(
            [
                {
                    "id": c.oid,
                    "title": c.summary,
                    "message": c.description,
                    "date": c.date,
                    "authors": [{"user": c.author}],
                }
                for c in repo.ancestry(self._commit_of(req, repo))
            ]
        )

    def _route_resolve(self, req: Request) -> Response:
        repo = self._readable(req)
        commit = self._commit_of(req, repo)
        path = _unquote_path(req.params["path"])
        headers = {"X-Repo-Commit": commit.oid}
        data = commit.files.get(path)
        if data is None:
            raise HubError(404, "Entry not found", "EntryNotFound", headers)
        etag = hashlib.sha256(data).hexdigest() if is_lfs(commit.files, path) else git_blob_oid(data)
        headers |= {
            "ETag": f'"{etag}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        spec = req.headers.get("Range")
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", spec.strip()) if spec else None
        if not match or not (match[1] or match[2]):
            return Response(200, data, headers)
        size = len(data)
        start, end = (
            (int(match[1]), int(match[2] or size - 1)) if match[1] else (max(size - int(match[2]), 0), size - 1)
        )
        if start >= size or start > end:
            return Response(416, b"", headers | {"Content-Range": f"bytes */{size}"})
        end = min(end, size - 1)
        return Response(206, data[start : end + 1], headers | {"Content-Range": f"bytes {start}-{end}/{size}"})


class _Handler(BaseHTTPRequestHandler):
    """Thin HTTP layer: read the request, let the HubServer answer, write and log the response."""

    protocol_version = "HTTP/1.1"
    hub: HubServer  # set on the per-server subclass

    def setup(self) -> None:
        super().setup()
        with self.hub._lock:
            self.hub._sockets.add(self.connection)

    def finish(self) -> None:
        with self.hub._lock:
            self.hub._sockets.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the request log is ``HubServer.requests``."""

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():  # trailers
                pass
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _serve(self) -> None:
        body = self._read_body()
        started = time.monotonic()
        response, route = self.hub.handle(self.command, self.path, self.headers, body)
        path, _, query = self.path.partition("?")
        sent = b"" if self.command == "HEAD" else response.body
        with self.hub._lock:  # log before answering, so that a test sees every request its client has completed
            self.hub.requests.append(
                {
                    "method": self.command,
                    "path": path,
                    "query": query,
                    "route": route,
                    "status": response.status,
                    "bytes_in": len(body),
                    "bytes_out": len(sent),
                    "started": started,  # time.monotonic(), when it was read and when answered
                    "answered": time.monotonic(),
                }
            )
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(sent)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _serve


# ---------------------------------------------------------------------- client configuration


def client_env(endpoint: str, hf_home: str | os.PathLike | None = None) -> dict[str, str]:
    """Environment variables that point freshly started ``huggingface_hub`` / ``datasets`` at ``endpoint``.

    For subprocesses: both libraries read these at import time. Remove ``HF_HUB_OFFLINE``,
    ``HF_DATASETS_OFFLINE`` and ``HF_TOKEN`` from the child's environment too.
    """
    env = {
        "HF_ENDPOINT": endpoint,
        "HF_HUB_DISABLE_XET": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
        "HF_UPDATE_DOWNLOAD_COUNTS": "0",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
        "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
        "NO_PROXY": ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1", "localhost"])),
    }
    if hf_home is not None:
        home = Path(hf_home)
        env |= {
            "HF_HOME": str(home),
            "HF_HUB_CACHE": str(home / "hub"),
            "HF_DATASETS_CACHE": str(home / "datasets"),
            "HF_TOKEN_PATH": str(home / "token"),
        }
    return env


def point_clients_at(endpoint: str, monkeypatch: Any) -> None:
    """Point the already imported ``huggingface_hub`` and ``datasets`` at ``endpoint`` (pytest ``monkeypatch``).

    Both libraries copy ``HF_ENDPOINT`` and friends into constants at import time, so setting the environment is not
    enough once they are imported: this patches the copies (as datasets' own ``ci_hub_config`` fixture does), the
    module-level ``HfApi`` behind ``huggingface_hub.list_repo_files`` & co, switches off what would leave the machine
    (Xet, telemetry, download counter, parquet-export lookup), turns offline mode off, and drops the cached
    ``HfFileSystem`` instances and the shared HTTP client. It also sets the environment for subprocesses.
    """
    import datasets.config
    import huggingface_hub
    import huggingface_hub.hf_api
    from huggingface_hub import constants
    from huggingface_hub.utils import _hf_uris, _http

    for name, value in client_env(endpoint).items():
        monkeypatch.setenv(name, value)
    for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)

    host = urlsplit(endpoint).hostname
    patches = {
        constants: {
            "ENDPOINT": endpoint,
            "HUGGINGFACE_CO_URL_TEMPLATE": endpoint + "/{repo_id}/resolve/{revision}/{filename}",
            "HF_URL_HOSTS": constants.HF_URL_HOSTS | {host},
            "HF_HUB_OFFLINE": False,
            "HF_HUB_DISABLE_XET": True,
            "HF_HUB_DISABLE_TELEMETRY": True,
            "HF_HUB_DISABLE_UPDATE_CHECK": True,
        },
        huggingface_hub.hf_api.api: {"endpoint": endpoint},
        datasets.config: {
            "HF_ENDPOINT": endpoint,
            "HUB_DATASETS_URL": endpoint + "/datasets/{repo_id}/resolve/{revision}/{path}",
            "USE_PARQUET_EXPORT": False,
            "HF_UPDATE_DOWNLOAD_COUNTS": False,
            "HF_HUB_OFFLINE": False,
            "HF_DATASETS_OFFLINE": False,
        },
    }
    for target, values in patches.items():
        for name, value in values.items():
            monkeypatch.setattr(target, name, value)
    for module_name in ("huggingface_hub.utils._git_credential", "huggingface_hub.cli.auth"):
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, "ENDPOINT"):
            monkeypatch.setattr(module, "ENDPOINT", endpoint)

    _hf_uris.parse_hf_uri.cache_clear()
    huggingface_hub.HfFileSystem.clear_instance_cache()
    _http.close_session()  # a new client picks up NO_PROXY and drops keep-alive connections to older servers


def isolate_hf_home(tmp_path: str | os.PathLike, monkeypatch: Any) -> Path:
    """Give the test its own HF home, hub cache, datasets cache and token file; return the HF home.

    No token can leak from the machine: ``HF_TOKEN`` is unset and the token file is a fresh, absent path. Pass
    tokens explicitly (``token=...``) or set ``HF_TOKEN`` afterwards.
    """
    import datasets.config
    from huggingface_hub import constants
    from huggingface_hub.utils import _cache_assets, _cache_manager

    home = Path(tmp_path) / "hf_home"
    home.mkdir(parents=True, exist_ok=True)
    for name in ("HF_HOME", "HF_HUB_CACHE", "HF_DATASETS_CACHE", "HF_TOKEN_PATH"):
        monkeypatch.setenv(name, client_env("", home)[name])  # for subprocesses
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE", "HF_ASSETS_CACHE", "HF_XET_CACHE"):
        monkeypatch.delenv(name, raising=False)

    hub_cache, assets, datasets_cache = str(home / "hub"), str(home / "assets"), home / "datasets"
    hub_constants = {
        "HF_HOME": str(home),
        "default_cache_path": hub_cache,
        "HUGGINGFACE_HUB_CACHE": hub_cache,
        "HF_HUB_CACHE": hub_cache,
        "default_assets_cache_path": assets,
        "HUGGINGFACE_ASSETS_CACHE": assets,
        "HF_ASSETS_CACHE": assets,
        "HF_XET_CACHE": str(home / "xet"),
        "HF_TOKEN_PATH": str(home / "token"),
        "HF_STORED_TOKENS_PATH": str(home / "stored_tokens"),
        "CHECK_FOR_UPDATE_DONE_PATH": str(home / ".check_for_update_done"),
        "CHECK_FOR_SKILL_UPDATE_DONE_PATH": str(home / ".check_for_skill_update_done"),
        "AGENT_HARNESSES_PATH": str(home / ".agent_harnesses.json"),
    }
    for name, value in hub_constants.items():
        if hasattr(constants, name):
            monkeypatch.setattr(constants, name, value)
    monkeypatch.setattr(_cache_manager, "HF_HUB_CACHE", hub_cache)
    monkeypatch.setattr(_cache_assets, "HF_ASSETS_CACHE", assets)
    datasets_paths = {
        "HF_CACHE_HOME": str(home),
        "HF_DATASETS_CACHE": datasets_cache,
        "HF_MODULES_CACHE": home / "modules",
        "DOWNLOADED_DATASETS_PATH": datasets_cache / "downloads",
        "EXTRACTED_DATASETS_PATH": datasets_cache / "downloads" / "extracted",
    }
    for name, value in datasets_paths.items():
        monkeypatch.setattr(datasets.config, name, value)
    return home
