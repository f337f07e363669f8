"""Tests of the Hub test server through the real ``huggingface_hub`` and ``datasets`` clients."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import datasets
import huggingface_hub
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets.exceptions import DatasetNotFoundError
from hub_server import HubServer, client_env, git_blob_oid, isolate_hf_home, point_clients_at
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, HfFileSystem, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import get_session

ALICE, ALICE_READ, BOB = "hf_alice_write", "hf_alice_read", "hf_bob"
REPO = "alice/apt"
README = textwrap.dedent(
    """\
    ---
    configs:
    - config_name: a
      data_files:
      - split: train
        path: data/a/train-*
    - config_name: b
      data_files:
      - split: train
        path: data/b/train-*
    ---
    # apt
    """
)


@pytest.fixture(scope="module")
def server():
    """One server for the module; ``hub`` resets it for every test."""
    with HubServer(tokens={ALICE: "alice", ALICE_READ: "alice", BOB: "bob"}, read_only_tokens={ALICE_READ}) as srv:
        yield srv


@pytest.fixture
def hub(server, tmp_path, monkeypatch):
    """An empty Hub, both clients pointed at it, and a fresh HF home (caches, no token)."""
    server.reset()
    point_clients_at(server.endpoint, monkeypatch)
    isolate_hf_home(tmp_path, monkeypatch)
    yield server
    assert not server.errors, server.errors[0]


@pytest.fixture
def api(hub):
    return HfApi(endpoint=hub.endpoint, token=ALICE)


def parquet_bytes(rows: list[dict]) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue().to_pybytes()


ROWS_A = [{"prompt": "hi", "n": 1}, {"prompt": "ho", "n": 2}]
ROWS_B = [{"prompt": "b", "n": 3}]
DATASET = {
    "README.md": README.encode(),
    "data/a/train-00000-of-00001.parquet": parquet_bytes(ROWS_A),
    "data/b/train-00000-of-00001.parquet": parquet_bytes(ROWS_B),
}


def jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


def test_upload_folder_private_then_load_dataset(api, hub, tmp_path):
    url = api.create_repo(REPO, repo_type="dataset", private=True)
    assert url == f"{hub.endpoint}/datasets/{REPO}"
    assert api.create_repo(REPO, repo_type="dataset", private=True, exist_ok=True) == url
    with pytest.raises(HfHubHTTPError) as conflict:
        api.create_repo(REPO, repo_type="dataset")
    assert conflict.value.response.status_code == 409

    info = api.upload_folder(repo_id=REPO, repo_type="dataset", folder_path=write_tree(tmp_path / "dist", DATASET))
    assert hub.repo_files(REPO) == DATASET
    assert [c["summary"] for c in hub.commits(REPO)] == ["initial commit", "Upload folder using huggingface_hub"]
    assert hub.commits(REPO)[-1]["oid"] == info.oid
    assert api.dataset_info(REPO).private is True

    assert datasets.load_dataset(REPO, "a", token=ALICE)["train"].to_list() == ROWS_A
    assert datasets.load_dataset(REPO, "b", split="train", token=ALICE).to_list() == ROWS_B


def test_unchanged_upload_sends_no_commit(api, hub, tmp_path):
    api.create_repo(REPO, repo_type="dataset")
    folder = write_tree(tmp_path / "dist", DATASET)
    first = api.upload_folder(repo_id=REPO, repo_type="dataset", folder_path=folder)
    second = api.upload_folder(repo_id=REPO, repo_type="dataset", folder_path=folder)  # preupload oids all match
    assert second.oid == first.oid
    assert len(hub.commits(REPO)) == 2


def test_private_repo_refuses_anonymous_and_other_users(hub):
    hub.add_repo(REPO, DATASET, private=True)
    for token in (False, BOB):
        with pytest.raises(RepositoryNotFoundError):
            hf_hub_download(REPO, "README.md", repo_type="dataset", token=token)
    with pytest.raises(DatasetNotFoundError):
        datasets.load_dataset(REPO, "a", token=False)
    assert {r["status"] for r in hub.requests if r["route"] == "resolve"} == {401}
    assert Path(hf_hub_download(REPO, "README.md", repo_type="dataset", token=ALICE)).read_bytes() == README.encode()


def test_create_commit_with_deletions(api, hub):
    hub.add_repo(REPO, {"keep.txt": b"k", "old.txt": b"o", "dir/x": b"x", "dir/y": b"y"}, owner="alice")
    api.create_commit(
        REPO,
        repo_type="dataset",
        operations=[
            CommitOperationDelete("old.txt"),
            CommitOperationDelete("dir/", is_folder=True),
            CommitOperationAdd("new.txt", b"n"),
        ],
        commit_message="prune",
        commit_description="why",
    )
    assert hub.repo_files(REPO) == {"keep.txt": b"k", "new.txt": b"n"}
    last = hub.commits(REPO)[-1]
    assert (last["summary"], last["description"]) == ("prune", "why")
    assert (last["added"], last["deleted"]) == (["new.txt"], ["dir/x", "dir/y", "old.txt"])
    with pytest.raises(EntryNotFoundError):
        api.delete_file("missing.txt", REPO, repo_type="dataset")


def test_pinned_sha_keeps_old_listing_and_content(api, hub):
    pinned = hub.add_repo("org/up", {"a/1.txt": b"one", "b.txt": b"bee"}, owner="alice", sha="ab" * 20)
    api.upload_file(path_or_fileobj=b"two", path_in_repo="a/2.txt", repo_id="org/up", repo_type="dataset")
    api.delete_file("b.txt", "org/up", repo_type="dataset")

    assert api.list_repo_files("org/up", repo_type="dataset", revision=pinned) == ["a/1.txt", "b.txt"]
    assert api.list_repo_files("org/up", repo_type="dataset") == ["a/1.txt", "a/2.txt"]
    assert huggingface_hub.list_repo_files("org/up", repo_type="dataset") == ["a/1.txt", "a/2.txt"]  # module-level api
    assert api.dataset_info("org/up", revision=pinned).sha == pinned
    tree = {e.path: e for e in api.list_repo_tree("org/up", repo_type="dataset", revision=pinned, expand=True)}
    assert set(tree) == {"a", "b.txt"}
    assert tree["b.txt"].blob_id == git_blob_oid(b"bee") and tree["b.txt"].size == 3
    assert tree["b.txt"].last_commit.oid == pinned
    nested = api.list_repo_tree("org/up", path_in_repo="a", repo_type="dataset", recursive=True)
    assert [e.path for e in nested] == ["a/1.txt", "a/2.txt"]
    infos = api.get_paths_info("org/up", ["a", "a/1.txt", "nope"], repo_type="dataset", revision=pinned)
    assert [(type(i).__name__, i.path) for i in infos] == [("RepoFolder", "a"), ("RepoFile", "a/1.txt")]

    path = hf_hub_download("org/up", "b.txt", repo_type="dataset", revision=pinned)
    assert Path(path).read_bytes() == b"bee"
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("org/up", "b.txt", repo_type="dataset")
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("org/up", "a/1.txt", repo_type="dataset", revision="cd" * 20)
    with pytest.raises(RepositoryNotFoundError):
        api.list_repo_files("org/nope", repo_type="dataset")


def test_stale_parent_commit_gives_412(api, hub):
    first = hub.add_repo(REPO, {"x": b"1"})
    api.upload_file(path_or_fileobj=b"2", path_in_repo="x", repo_id=REPO, repo_type="dataset", parent_commit=first)
    with pytest.raises(HfHubHTTPError) as stale:
        api.upload_file(path_or_fileobj=b"3", path_in_repo="x", repo_id=REPO, repo_type="dataset", parent_commit=first)
    assert stale.value.response.status_code == 412
    assert hub.repo_files(REPO) == {"x": b"2"}


@pytest.mark.parametrize(
    ("token", "status"),
    [(ALICE_READ, 403), (BOB, 403), ("hf_unknown", 401), (None, 401)],
)
def test_write_needs_the_owners_write_token(hub, token, status):
    hub.add_repo(REPO, {"x": b"1"})
    api = HfApi(endpoint=hub.endpoint, token=token if token else False)
    with pytest.raises(HfHubHTTPError) as refused:
        api.upload_file(path_or_fileobj=b"2", path_in_repo="x", repo_id=REPO, repo_type="dataset")
    assert refused.value.response.status_code == status
    assert hub.repo_files(REPO) == {"x": b"1"}


def test_whoami_and_create_in_other_users_namespace(api, hub):
    assert api.whoami()["name"] == "alice"
    assert api.whoami()["auth"]["accessToken"]["role"] == "write"
    assert HfApi(endpoint=hub.endpoint, token=ALICE_READ).whoami()["auth"]["accessToken"]["role"] == "read"
    with pytest.raises(HfHubHTTPError):
        HfApi(endpoint=hub.endpoint, token="hf_unknown").whoami()
    with pytest.raises(HfHubHTTPError) as forbidden:
        api.create_repo("bob/mine", repo_type="dataset")
    assert forbidden.value.response.status_code == 403
    api.create_repo("some-org/shared", repo_type="dataset", private=True)  # organizations belong to their creator
    api.delete_repo("some-org/shared", repo_type="dataset")
    assert not api.repo_exists("some-org/shared", repo_type="dataset")


def test_request_log_records_bytes_and_routes(api, hub):
    hub.add_repo(REPO, {"f.bin": b"\0" * 1000})
    hf_hub_download(REPO, "f.bin", repo_type="dataset", token=ALICE)
    api.upload_file(path_or_fileobj=b"y" * 3000, path_in_repo="g.bin", repo_id=REPO, repo_type="dataset")
    get_session().get(f"{hub.endpoint}/api/nowhere")

    by_route = {(r["method"], r["route"]): r for r in hub.requests}
    assert by_route[("HEAD", "resolve")]["bytes_out"] == 0
    assert by_route[("GET", "resolve")]["bytes_out"] == 1000
    assert by_route[("POST", "commit")]["bytes_in"] > 4000  # 3000 bytes travel base64-encoded
    unknown = by_route[("GET", None)]
    assert unknown == {
        "method": "GET",
        "path": "/api/nowhere",
        "query": "",
        "route": None,
        "status": 404,
        "bytes_in": 0,
        "bytes_out": unknown["bytes_out"],
        "started": unknown["started"],
        "answered": unknown["answered"],
    }
    assert all(r["started"] <= r["answered"] for r in hub.requests)
    assert [r["started"] for r in hub.requests] == sorted(r["started"] for r in hub.requests)  # one at a time here


def test_range_requests(hub):
    hub.add_repo(REPO, {"f.txt": b"0123456789"})
    url = f"{hub.endpoint}/datasets/{REPO}/resolve/main/f.txt"
    partial = get_session().get(url, headers={"Range": "bytes=2-4"})
    assert (partial.status_code, partial.content, partial.headers["Content-Range"]) == (206, b"234", "bytes 2-4/10")
    assert get_session().get(url, headers={"Range": "bytes=-3"}).content == b"789"
    assert get_session().get(url, headers={"Range": "bytes=10-"}).status_code == 416
    with HfFileSystem().open(f"datasets/{REPO}/f.txt", "rb", block_size=4) as f:
        f.seek(5)
        assert f.read(3) == b"567"


def test_load_dataset_from_jsonl_and_gzipped_jsonl(hub):
    train = [{"chosen": "\n\nHuman: a\n\nAssistant: b", "rejected": "\n\nHuman: a\n\nAssistant: c"}]
    test = [{"chosen": "x", "rejected": "y"}, {"chosen": "z", "rejected": "w"}]
    hub.add_repo(
        "Anthropic/hh-rlhf",
        {"helpful-base/train.jsonl": jsonl(train), "helpful-base/test.jsonl.gz": gzip.compress(jsonl(test))},
        sha="12" * 20,
    )
    data_files = {"train": "helpful-base/train.jsonl", "test": "helpful-base/test.jsonl.gz"}
    loaded = datasets.load_dataset("Anthropic/hh-rlhf", data_files=data_files, revision="12" * 20)
    assert loaded["train"].to_list() == train
    assert loaded["test"].to_list() == test
    streamed = datasets.load_dataset("Anthropic/hh-rlhf", data_files=data_files, split="test", streaming=True)
    assert list(streamed) == test


def test_clients_configured_by_environment_in_a_subprocess(hub, tmp_path):
    hub.add_repo(REPO, DATASET, private=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env |= client_env(hub.endpoint, tmp_path / "child_home") | {"HF_TOKEN": ALICE}
    script = textwrap.dedent(
        f"""
        import datasets, huggingface_hub
        print(huggingface_hub.list_repo_files({REPO!r}, repo_type="dataset"))
        print(datasets.load_dataset({REPO!r}, "b", split="train").to_list())
        """
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [repr(sorted(DATASET)), repr(ROWS_B)]
    assert {r["route"] for r in hub.requests} >= {"resolve", "repo_info", "tree"}
    assert None not in {r["route"] for r in hub.requests}  # no route the server does not know


def test_whoami_reports_organizations_and_fine_grained_tokens_as_the_hub_does(tmp_path, monkeypatch):
    """whoami-v2: `orgs[].roleInOrg`, and `auth.accessToken.role` `fineGrained` with its `scoped` permissions; the
    server enforces them: a fine-grained token reads with repo.content.read and writes only with repo.write, an org
    member with role read cannot create a repo there."""
    scoped = [{"entity": {"type": "user", "name": "alice"}, "permissions": ["repo.content.read"]}]
    with HubServer(
        tokens={ALICE: "alice", "hf_fine": "alice"},
        orgs={"team": {"alice": "read"}, "lab": {"alice": "write"}},
        fine_grained={"hf_fine": scoped},
    ) as srv:
        point_clients_at(srv.endpoint, monkeypatch)
        isolate_hf_home(tmp_path, monkeypatch)
        me = HfApi(endpoint=srv.endpoint, token=ALICE).whoami()
        assert me["auth"]["accessToken"]["role"] == "write"
        assert [(o["name"], o["roleInOrg"], o["type"]) for o in me["orgs"]] == [
            ("lab", "write", "org"),
            ("team", "read", "org"),
        ]
        fine = HfApi(endpoint=srv.endpoint, token="hf_fine").whoami()["auth"]["accessToken"]
        assert fine["role"] == "fineGrained"
        assert fine["fineGrained"]["scoped"][0]["entity"]["name"] == "alice"
        assert fine["fineGrained"]["scoped"][0]["permissions"] == ["repo.content.read"]
        api = HfApi(endpoint=srv.endpoint, token=ALICE)
        api.create_repo("lab/apt", repo_type="dataset", private=True)
        api.create_repo("alice/apt", repo_type="dataset", private=True)
        with pytest.raises(HfHubHTTPError, match="403"):
            api.create_repo("team/apt", repo_type="dataset")
        reader = HfApi(endpoint=srv.endpoint, token="hf_fine")
        assert reader.dataset_info("alice/apt").private is True
        with pytest.raises(HfHubHTTPError, match="403"):
            reader.upload_file(path_or_fileobj=b"x", path_in_repo="x.txt", repo_id="alice/apt", repo_type="dataset")
        with pytest.raises(RepositoryNotFoundError):
            reader.dataset_info("lab/apt")  # no permission on the organization lab
        assert not srv.errors, srv.errors[0]


def test_tags_as_the_hub_answers_them(api, hub):
    """create_tag (POST .../tag/<rev>), list_repo_refs, a tag as the revision of every route, 409 for a tag that
    exists (never moved), delete_tag, and no commit to a tag."""
    first = hub.add_repo(REPO, DATASET, private=True)
    api.create_tag(REPO, tag="v1", revision=first, repo_type="dataset", tag_message="first")
    api.upload_file(path_or_fileobj=b"two", path_in_repo="a/2.txt", repo_id=REPO, repo_type="dataset")
    refs = api.list_repo_refs(REPO, repo_type="dataset")
    assert [(t.name, t.ref, t.target_commit) for t in refs.tags] == [("v1", "refs/tags/v1", first)]
    assert refs.branches[0].target_commit == hub.commits(REPO)[-1]["oid"] != first
    assert "a/2.txt" not in api.list_repo_files(REPO, repo_type="dataset", revision="v1")
    assert api.dataset_info(REPO, revision="v1").sha == first
    with pytest.raises(HfHubHTTPError, match="409"):
        api.create_tag(REPO, tag="v1", repo_type="dataset")
    assert hub.tags(REPO) == {"v1": first}
    paths = api.get_paths_info(REPO, ["README.md"], revision="v1", repo_type="dataset")
    assert paths[0].blob_id == git_blob_oid(DATASET["README.md"])
    assert datasets.load_dataset(REPO, "a", split="train", revision="v1", token=ALICE).to_list() == ROWS_A
    with pytest.raises(HfHubHTTPError, match="403"):
        HfApi(endpoint=hub.endpoint, token=ALICE_READ).create_tag(REPO, tag="v2", repo_type="dataset")
    api.delete_tag(REPO, tag="v1", repo_type="dataset")
    assert hub.tags(REPO) == {}
