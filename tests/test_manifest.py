"""Each source's files at its pinned revision: manifests made from the Hub's tree API, and every upstream checked
against them before anything is converted (missing, not a file, unlisted, changed), all problems at once."""

import hashlib
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from hub_server import client_env, git_blob_oid, is_lfs

from apt_hub.build import build
from apt_hub.cli import main
from apt_hub.errors import ConfigError
from apt_hub.layout import read_record
from apt_hub.read.manifest import COPY_SUFFIX, UpstreamFilesError, entries_of, read_manifest
from apt_hub.read.upstream import SAMPLES
from apt_hub.sources import SOURCES, register

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import manifests  # noqa: E402

COIG, HH = "m-a-p/COIG-CQIA", "Anthropic/hh-rlhf"
TRAD = "chinese_traditional/trad-multi-choice-100.jsonl"
GITATTRIBUTES = b"*.parquet filter=lfs diff=lfs merge=lfs -text\n*.gz filter=lfs diff=lfs merge=lfs -text\n"


@pytest.fixture
def copy(tmp_path) -> Path:
    """A copy of the bundled samples with their own manifests: a reduced copy, checked against what it was made
    with."""
    root = tmp_path / "samples"
    shutil.copytree(SAMPLES, root)
    return root


@pytest.fixture
def plain(copy) -> Path:
    """The same copy without its manifests: a folder of the Hub layout like any download."""
    for path in copy.glob(f"*/*{COPY_SUFFIX}"):
        path.unlink()
    return copy


@pytest.fixture
def served(hub):
    """The sample repositories on the test Hub at the revisions the sources pin, their parquet and gzip files stored
    with LFS (as the Hub's default `.gitattributes` does)."""
    for source in SOURCES.values():
        if source.repo_id:
            files = {
                p.relative_to(SAMPLES / source.repo_id).as_posix(): p.read_bytes()
                for p in (SAMPLES / source.repo_id).rglob("*")
                if p.is_file()
            }
            hub.add_repo(source.repo_id, files | {".gitattributes": GITATTRIBUTES}, sha=source.revision)
    return hub


@pytest.fixture
def pinned(served, tmp_path):
    """Every built-in Hub source with a manifest made by `tools/manifests.py` from the test Hub; registered again
    as it was after the test."""
    written = manifests.write_manifests([], tmp_path / "manifests")
    before = dict(SOURCES)
    for name, path in written.items():
        register(replace(SOURCES[name], manifest=str(path)), replace=True)
    yield written
    SOURCES.clear()
    SOURCES.update(before)


def hf_download(command: str, endpoint: str, home: Path) -> None:
    """Run an `hf download` command as a message gives it, against the test Hub."""
    words = shlex.split(command)
    assert words[:2] == ["hf", "download"], command
    hf = Path(sys.executable).with_name("hf")
    env = {k: v for k, v in os.environ.items() if k != "HF_TOKEN"} | client_env(endpoint, home)
    done = subprocess.run([str(hf), *words[1:]], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def fetch_commands(message: str) -> list[str]:
    return [line.split(": ", 1)[1] for line in message.splitlines() if line.startswith("To fetch what is missing")]


# ------------------------------------------------------------------------------------------- making manifests


def test_a_manifest_lists_every_file_of_the_hub_tree_with_its_size_and_hash(pinned, served):
    for name, path in pinned.items():
        source = SOURCES[name]
        manifest = read_manifest(path)
        files = served.repo_files(source.repo_id, revision=source.revision)
        assert (manifest.repo_id, manifest.revision, manifest.copy) == (source.repo_id, source.revision, "")
        assert set(manifest.files) == set(files)
        for file, listed in manifest.files.items():
            assert listed.size == len(files[file])
            if is_lfs(files, file):  # the Hub gives the sha256 of an LFS file, the git blob id of any other
                assert (listed.sha256, listed.git_oid) == (hashlib.sha256(files[file]).hexdigest(), None)
            else:
                assert (listed.sha256, listed.git_oid) == (None, git_blob_oid(files[file]))
        assert any(listed.sha256 for listed in manifest.files.values()) == (name != "coig-cqia")


def test_the_sources_command_shows_each_manifest(pinned, capsys):
    assert main(["sources"]) == 0
    out = capsys.readouterr().out
    listed = len(read_manifest(pinned["coig-cqia"]).files)
    assert (
        f"coig-cqia  {COIG}@" in out and f"\n    manifest: {listed} files at {SOURCES['coig-cqia'].revision}\n" in out
    )


def test_the_builder_checks_the_files_it_reads(copy, tmp_path):
    from apt_hub.builders import Apt

    (copy / COIG / "ruozhiba/ruozhiba_ruozhiba.jsonl").write_text("{}\n", encoding="utf-8")
    with pytest.raises(UpstreamFilesError, match="ruozhiba_ruozhiba.jsonl: 3 bytes, where"):
        Apt(config_name="ruozhiba", upstream=str(copy), cache_dir=str(tmp_path))
    builder = Apt(config_name="ruozhiba", upstream=str(copy), cache_dir=str(tmp_path), allow_changed_upstream=True)
    assert builder._inputs[0].path == "ruozhiba/ruozhiba_ruozhiba.jsonl"


def test_the_manifest_command_names_what_the_hub_refuses(hub, tmp_path, capsys):
    assert manifests.main(["hh-rlhf", "--out", str(tmp_path)]) == 1  # the test Hub holds no repository
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot list Anthropic/hh-rlhf@") and "no such dataset repository" in err
    assert len(err.splitlines()) == 1
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------------------------------- missing files


def test_every_missing_file_of_a_download_is_named_at_once_and_the_command_given_fetches_them(
    pinned, served, tmp_path
):
    """A partial download (the Hub's own `hf download`) lacking seven files: one build names them all, and the
    command it gives fetches them."""
    up, home = tmp_path / "up", tmp_path / "hf"
    lacking = {
        COIG: [TRAD],
        HH: [
            f"{s}/{split}.jsonl.gz"
            for s in ("helpful-base", "helpful-online", "harmless-base")
            for split in ("train", "test")
        ],
    }
    for repo, paths in lacking.items():
        source = next(s for s in SOURCES.values() if s.repo_id == repo)
        excluded = [word for path in paths for word in ("--exclude", path)]
        hf_download(
            shlex.join(
                [
                    "hf",
                    "download",
                    repo,
                    "--repo-type",
                    "dataset",
                    "--revision",
                    source.revision,
                    "--local-dir",
                    str(up / repo),
                    *excluded,
                ]
            ),
            served.endpoint,
            home,
        )
    for source in ("ultrafeedback_binarized", "s1K-1.1"):
        repo = next(s for s in SOURCES.values() if s.repo_id.endswith(source))
        hf_download(
            shlex.join(
                [
                    "hf",
                    "download",
                    repo.repo_id,
                    "--repo-type",
                    "dataset",
                    "--revision",
                    repo.revision,
                    "--local-dir",
                    str(up / repo.repo_id),
                ]
            ),
            served.endpoint,
            home,
        )
    with pytest.raises(UpstreamFilesError) as error:
        build(["sft", "dpo"], upstream=str(up), output_dir=tmp_path / "apt")
    message = str(error.value)
    assert message.startswith(f"Upstream files are not as the build needs them (directory {up}): 7 problem(s):")
    for repo, paths in lacking.items():
        assert all(f"\n  {repo}/{path}: missing (source " in message for path in paths)
    assert "To build without hh-rlhf: --only ultrafeedback." in message and not error.value.allowable
    commands = fetch_commands(message)
    assert len(commands) == 2
    for command in commands:
        hf_download(command, served.endpoint, home)
    report = build(["sft", "dpo"], upstream=str(up), output_dir=tmp_path / "apt")
    recorded = read_record(tmp_path / "apt")["configs"]["sft"]["sources"]["coig-cqia"]["manifest"]
    assert recorded == {"against": "pinned", "files": 22, "hashed": 22}
    assert not [note for note in report.notes if "manifest" in note]


def test_a_reduced_copy_missing_files_names_them_and_how_to_make_it_again(copy, tmp_path, capsys):
    (copy / COIG / TRAD).unlink()
    (copy / HH / "helpful-online/test.jsonl.gz").unlink()
    assert main(["build", "sft", "dpo", f"--upstream={copy}", f"--build-dir={tmp_path / 'apt'}"]) == 1
    err = capsys.readouterr().err
    assert f"\n  {COIG}/{TRAD}: missing (source 'coig-cqia', sft/train)\n" in err
    assert f"\n  {HH}/helpful-online/test.jsonl.gz: missing (source 'hh-rlhf', dpo/test)\n" in err
    assert f"{COIG} here is a reduced copy (the bundled samples: " in err
    assert f"make it again with python tools/make_samples.py --out {copy}" in err
    assert "coig-cqia is the only source of sft in this build" in err and "Traceback" not in err
    assert not (tmp_path / "apt").exists()


def test_a_folder_without_a_manifest_names_every_pattern_that_matches_nothing(plain, tmp_path):
    shutil.rmtree(plain / "m-a-p")
    for name in ("harmless-base/train.jsonl.gz", "helpful-base/test.jsonl.gz"):
        (plain / HH / name).unlink()
    with pytest.raises(UpstreamFilesError) as error:
        build(["ruozhiba", "dpo"], upstream=str(plain), output_dir=tmp_path / "apt")
    message = str(error.value)
    assert "3 problem(s)" in message and f"has no folder {COIG} for source 'coig-cqia'" in message
    assert f"\n  {COIG}: no folder" not in message  # the folder missing is one problem, its patterns not more
    assert f"\n  {HH}/harmless-base/train.jsonl.gz: missing (source 'hh-rlhf', dpo/train)" in message
    coig, hh = fetch_commands(message)
    assert coig.endswith(f"--include '*/*.jsonl' --include 'ruozhiba/*.jsonl' --local-dir {plain / COIG}")
    assert hh.startswith(f"hf download {HH} harmless-base/train.jsonl.gz helpful-base/test.jsonl.gz --repo-type")


# ------------------------------------------------------------------------------------------- not a file


def _directory(path: Path) -> None:
    path.mkdir()
    (path / "inside.jsonl").write_text("{}\n")


def _socket(path: Path) -> None:
    os.chdir(path.parent)  # a socket's path is limited to about 100 characters; its name is not
    socket.socket(socket.AF_UNIX).bind(path.name)


NOT_FILES = {
    "a directory": _directory,
    "a broken link": lambda path: path.symlink_to(path.with_name("nowhere.jsonl")),
    "a named pipe": lambda path: os.mkfifo(path),
    "a socket": _socket,
}


@pytest.mark.parametrize("described", [True, False], ids=["copy", "plain"])
@pytest.mark.parametrize("kind", sorted(NOT_FILES))
def test_a_path_the_build_would_read_that_is_not_a_regular_file_is_named(copy, tmp_path, monkeypatch, kind, described):
    monkeypatch.chdir(tmp_path)
    if not described:
        (copy / f"{COIG}{COPY_SUFFIX}").unlink()
    target = copy / COIG / TRAD
    target.unlink()
    NOT_FILES[kind](target)
    with pytest.raises(UpstreamFilesError) as error:  # a named pipe would block the reader forever
        build(["sft"], upstream=str(copy), output_dir=tmp_path / "apt", allow_changed_upstream=True)
    assert f"\n  {COIG}/{TRAD}: {kind}, not a file (source 'coig-cqia', sft/train)" in str(error.value)
    assert not error.value.allowable


# ------------------------------------------------------------------------------------------- changed files


def test_changed_or_unlisted_files_stop_the_build_or_are_read_as_they_are_and_noted(copy, tmp_path, capsys):
    douban = copy / COIG / "douban/book_introduce.jsonl"
    text = douban.read_text(encoding="utf-8")
    douban.write_text(text.replace("城南旧事", "城北旧事", 1), encoding="utf-8")  # the same size, another hash
    (copy / COIG / "wiki/baobao.jsonl").write_text(text.splitlines()[0] + "\n", encoding="utf-8")
    (copy / COIG / "douban/extra.jsonl").write_text(text.splitlines()[0].replace("城南", "城西") + "\n", "utf-8")
    args = ["build", "sft", f"--upstream={copy}", f"--build-dir={tmp_path / 'apt'}"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "3 problem(s)" in err and "--allow-changed-upstream" in err
    assert f"\n  {COIG}/douban/book_introduce.jsonl: its sha256 differs from {COIG}@" in err
    assert f"\n  {COIG}/wiki/baobao.jsonl: {len(text.splitlines()[0].encode()) + 1:,} bytes, where {COIG}@" in err
    assert f"\n  {COIG}/douban/extra.jsonl: not in the manifest of {COIG}@" in err

    assert main([*args, "--allow-changed-upstream"]) == 0
    out = capsys.readouterr().out
    assert out.count("read as it is (--allow-changed-upstream)") == 3
    record = read_record(tmp_path / "apt")["configs"]["sft"]["sources"]["coig-cqia"]["manifest"]
    assert record["against"] == "copy" and len(record["changed"]) == 3 and record["files"] == 23
    ids = [row["id"] for row in _rows(tmp_path / "apt", "sft")]
    assert any("douban/extra.jsonl" in row_id for row_id in ids)


def _rows(root: Path, config: str) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.read_table(sorted((root / "data" / config).glob("train-*.parquet"))).to_pylist()


def test_the_hub_is_checked_by_its_listing_at_the_pinned_commit(pinned, served, tmp_path):
    report = build(["storm"], upstream="hub", output_dir=tmp_path / "apt")
    assert report.configs["storm"]["sources"]["s1k"]["manifest"] == {"against": "pinned", "files": 1, "hashed": 0}
    listed = json.loads(pinned["s1k"].read_text(encoding="utf-8"))
    listed["files"]["data/train-00001-of-00001.parquet"] = {"size": 5, "sha256": "0" * 64}
    pinned["s1k"].write_text(json.dumps(listed), encoding="utf-8")
    with pytest.raises(
        UpstreamFilesError,
        match=r"train-00001-of-00001\.parquet: missing .*\n.*lacks them at its pinned revision: make its manifest",
    ):
        build(["storm"], upstream="hub", output_dir=tmp_path / "apt")
    listed["revision"] = "0" * 40
    pinned["s1k"].write_text(json.dumps(listed), encoding="utf-8")
    with pytest.raises(UpstreamFilesError, match=f"the manifest is of revision {'0' * 40}, the source pins"):
        build(["storm"], upstream="hub", output_dir=tmp_path / "apt")


def test_the_bundled_samples_are_checked_against_their_own_manifests_without_a_note(samples_build, tmp_path):
    record = read_record(samples_build)["configs"]
    for config in ("sft", "ruozhiba", "dpo", "storm"):
        for name, source in record[config]["sources"].items():
            assert source["manifest"]["against"] == "copy" and source["manifest"]["files"] == len(source["files"])
            assert source["manifest"]["hashed"] == source["manifest"]["files"], (config, name)
    assert build(["ruozhiba", "storm"], upstream="samples", output_dir=tmp_path / "apt").notes == []


# ------------------------------------------------------------------------------------------- the file itself


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"repo_id": "a/b",\n "revision": "c",\n "files": [}', r"m\.json:3: invalid JSON"),
        (
            '{"repo_id": "a/b", "revision": "c", "files": {"x": {"size": "5"}}}',
            r"field 'files\.x\.size': expected a whole number",
        ),
        ('{"repo_id": "a/b", "files": {}}', r"field 'revision': expected a string"),
    ],
)
def test_a_manifest_that_is_not_one_is_named_with_what_was_expected(tmp_path, text, message):
    (tmp_path / "m.json").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        read_manifest(tmp_path / "m.json")


def test_entries_follow_links_once_and_leave_git_out(tmp_path):
    (tmp_path / "repo/a").mkdir(parents=True)
    (tmp_path / "repo/a/x.jsonl").write_text("{}\n")
    (tmp_path / "repo/b").symlink_to(tmp_path / "repo/a")
    (tmp_path / "repo/.git").mkdir()
    (tmp_path / "repo/.git/HEAD").write_text("ref\n")
    found = entries_of(tmp_path / "repo")
    assert sorted(found) == ["a", "a/x.jsonl", "b"]  # the folder linked twice is read once, under one name
    assert found["a/x.jsonl"].kind == "file" and found["b"].kind == "directory"


@pytest.mark.parametrize("kind, make", [("missing", None), ("a directory", Path.mkdir), ("a named pipe", os.mkfifo)])
def test_a_loyalty_file_that_is_not_a_file_is_named(tmp_path, kind, make):
    path = tmp_path / "loyalty.json"
    if make:
        make(path)
    expected = f"not found: {path}" if kind == "missing" else f"{path} is {kind}, not a"
    with pytest.raises(ConfigError, match=f"^Loyalty file {re.escape(expected)}"):
        build(["loyalty"], loyalty_file=str(path), output_dir=tmp_path / "apt")
