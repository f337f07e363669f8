"""Releases of `apt-hub publish` against the Hub-compatible server of `hub_server.py`: a tag per commit, the
changelog of rows in the card and `changes/<tag>.json`, `apt-hub diff`, the read-back before the tag, and a retry
that finishes a publish stopped between its commit and its tag."""

import json
import re
import shutil
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest

from apt_hub.build import build
from apt_hub.card import CARD_FILE
from apt_hub.changes import natural
from apt_hub.cli import main
from apt_hub.layout import read_config
from apt_hub.publish import PublishError, publish
from apt_hub.release import ReleaseError

REPO = "org/apt"
WRITE = "hf_alice_write"
CONFIGS = ["ruozhiba", "ruozhiba_chat"]


@pytest.fixture
def token(monkeypatch) -> str:
    monkeypatch.setenv("HF_TOKEN", WRITE)
    return WRITE


def ids(root: Path, config: str, split: str = "train") -> set[str]:
    return set(read_config(root, config, split, columns=["id"])["id"].to_pylist())


def rows(root: Path, config: str) -> list[dict]:
    return datasets.load_dataset(str(root), config, split="train").to_list()


def changes_section(card: str) -> str:
    return re.search(r"<!-- apt-hub:begin changes -->\n(.*?)<!-- apt-hub:end changes -->", card, re.S)[1]


def test_releases_a_trainer_can_pin_and_trust(hub, tmp_path, token, capsys):
    """The issue's test: publish, change one config (another --max-samples), publish again; tags v1 and v2 on
    their commits, v1 still loads the first rows, the card and changes/v2.json list exactly the ids added and
    removed, `apt-hub diff` agrees, an unchanged publish makes no tag, and a fault between commit and tag is
    finished by a retry."""
    out = tmp_path / "apt"
    build(CONFIGS, upstream="samples", output_dir=out, max_samples=5)
    first_ids, first_rows = ids(out, "ruozhiba"), rows(out, "ruozhiba")
    v1 = publish(out, repo_id=REPO)
    assert v1.tag == "v1" and re.fullmatch(rf"commit {v1.commit}, tag v1, \d+ files checked", str(v1).splitlines()[-1])
    first = json.loads(hub.repo_files(REPO)["changes/v1.json"])
    assert first["first_release"] is True and first["configs"]["ruozhiba"]["train"] == {"rows": 5}
    assert "Release `v1`: first release, 10 rows." in changes_section(hub.repo_files(REPO)[CARD_FILE].decode())

    build(CONFIGS, upstream="samples", output_dir=out, max_samples=8)
    added = sorted(ids(out, "ruozhiba") - first_ids, key=natural)
    removed = sorted(first_ids - ids(out, "ruozhiba"), key=natural)
    before, after = ({r["id"]: r for r in table} for table in (first_rows, rows(out, "ruozhiba")))
    changed = sorted((i for i in set(before) & set(after) if before[i] != after[i]), key=natural)
    assert added
    assert main(["publish", str(out), "--repo-id", REPO, "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Would commit and tag the commit v2."
    v2 = publish(out, repo_id=REPO)
    assert hub.tags(REPO) == {"v1": v1.commit, "v2": v2.commit} and v2.commit == hub.commits(REPO)[-1]["oid"]

    pinned = datasets.load_dataset(REPO, "ruozhiba", split="train", revision="v1", token=token).to_list()
    assert pinned == first_rows
    assert datasets.load_dataset(REPO, "ruozhiba", split="train", revision="v2", token=token).to_list() == rows(
        out, "ruozhiba"
    )
    changelog = json.loads(hub.repo_files(REPO)["changes/v2.json"])
    for config in CONFIGS:
        entry = changelog["configs"][config]["train"]
        assert (entry["added"], entry["removed"]) == (added, removed), config
    assert changelog["configs"]["ruozhiba"]["train"]["changed"] == changed
    assert changelog["previous"] == {"tag": "v1", "commit": v1.commit}
    assert changelog["causes"]["ruozhiba"] == ["option max_samples 5 -> 8"]
    card = hub.repo_files(REPO)[CARD_FILE].decode()
    section = changes_section(card)
    assert "Release `v2`, compared with `v1`" in section and "option max_samples 5 -> 8" in section
    row = next(line for line in section.splitlines() if line.startswith("| `ruozhiba` |"))
    assert f"| 5 → 8 | {len(added)} | {len(removed)} | {len(changed)} |" in row
    assert all(f"`{i}`" in row for i in added + removed)
    assert 'load_dataset("org/apt", "ruozhiba", revision="v2")' in card
    assert (out / CARD_FILE).read_text(encoding="utf-8") == card and (out / "changes/v2.json").is_file()

    capsys.readouterr()  # what the publishes printed (the reminder to fill in the curators line among it)
    assert main(["diff", f"{REPO}@v1", str(out)]) == 1
    report = capsys.readouterr()
    assert not report.err, report.err
    report = report.out
    line = next(line for line in report.splitlines() if line.startswith("ruozhiba/train:"))
    counts = f"{len(added)} added, {len(removed)} removed, {len(changed)} changed (5 -> 8 rows)"
    assert line.startswith(f"ruozhiba/train: {counts}")
    assert "added: " + ", ".join(added[:5]) in line
    assert main(["diff", str(out), f"{REPO}@v1"]) == 1  # the other way round: added and removed swap
    assert f"ruozhiba/train: {len(removed)} added, {len(added)} removed" in capsys.readouterr().out
    assert main(["diff", str(out), f"{REPO}@v2"]) == 0
    assert "hold the same rows: 2 config splits, 16 rows." in capsys.readouterr().out

    commits = len(hub.commits(REPO))
    assert main(["publish", str(out), "--repo-id", REPO]) == 0
    assert "no tag created: the head" in capsys.readouterr().out.splitlines()[-1]
    assert len(hub.commits(REPO)) == commits and hub.tags(REPO) == {"v1": v1.commit, "v2": v2.commit}

    second_ids = ids(out, "ruozhiba")
    build(CONFIGS, upstream="samples", output_dir=out, max_samples=3)
    gone = sorted(second_ids - ids(out, "ruozhiba"), key=natural)
    hub.fault("tag", status=500, body=b'{"error": "Internal Error"}')
    assert main(["publish", str(out), "--repo-id", REPO]) == 1
    err = capsys.readouterr().err
    assert "answered 500" in err and "but not its tag v3: run apt-hub publish again" in err
    assert len(hub.commits(REPO)) == commits + 1 and "v3" not in hub.tags(REPO)
    hub.faults.clear()
    assert main(["publish", str(out), "--repo-id", REPO, "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("Would read back the head and tag it v3")
    assert "v3" not in hub.tags(REPO)
    assert main(["publish", str(out), "--repo-id", REPO]) == 0
    out_lines = capsys.readouterr().out.splitlines()
    head = hub.commits(REPO)[-1]
    assert out_lines[-1].startswith(f"commit {head['oid']}, tag v3, ") and "stopped before tagging" in out_lines[0]
    assert len(hub.commits(REPO)) == commits + 1 and hub.tags(REPO)["v3"] == head["oid"]
    assert [c["added"].count("changes/v3.json") for c in hub.commits(REPO)].count(1) == 1
    third = json.loads(hub.repo_files(REPO)["changes/v3.json"])["configs"]["ruozhiba"]["train"]
    assert third["removed"] == gone and len(gone) == 5 and third["rows"] == 3
    assert (out / "changes/v3.json").read_bytes() == hub.repo_files(REPO)["changes/v3.json"]


def test_a_fault_while_reading_back_is_finished_by_a_retry(hub, samples_build, tmp_path, token):
    out = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    hub.fault("paths_info", status=503, body=b'{"error": "Service Unavailable"}')
    with pytest.raises(PublishError, match="answered 503 .* but not its tag v1"):
        publish(out, repo_id=REPO)
    assert hub.tags(REPO) == {} and len(hub.commits(REPO)) == 2
    hub.faults.clear()
    result = publish(out, repo_id=REPO)
    assert result.recovered and hub.tags(REPO) == {"v1": hub.commits(REPO)[-1]["oid"]} and len(hub.commits(REPO)) == 2


def test_a_commit_that_does_not_hold_the_local_file_is_not_tagged(hub, samples_build, tmp_path, token, monkeypatch):
    """The Hub stores other bytes than were sent for one file: the read-back names it and nothing is tagged; the
    next publish sends that file again and tags the new commit."""
    out = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    real = type(hub)._route_commit

    def corrupting(self, req):
        answer = real(self, req)
        head = self.repos[("dataset", REPO)].head
        head.files["build.json"] = head.files["build.json"] + b" "
        return answer

    monkeypatch.setattr(type(hub), "_route_commit", corrupting)
    with pytest.raises(ReleaseError, match=r"build.json in org/apt at commit [0-9a-f]{40} is not the local file"):
        publish(out, repo_id=REPO)
    assert hub.tags(REPO) == {}
    monkeypatch.setattr(type(hub), "_route_commit", real)
    result = publish(out, repo_id=REPO)
    assert [f.path for f in result.plan.change] == ["build.json"] and result.tag == "v1"
    assert hub.tags(REPO) == {"v1": result.commit}


def test_a_tag_of_ones_own_is_checked_before_anything_is_sent(hub, samples_build, tmp_path, token, capsys):
    out = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    assert main(["publish", str(out), "--repo-id", REPO, "--tag", "bad tag"]) == 2
    assert "--tag must be letters, digits" in capsys.readouterr().err and hub.requests == []
    assert main(["publish", str(out), "--repo-id", REPO, "--tag", "2026-12", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Would commit and tag the commit 2026-12."
    assert main(["publish", str(out), "--repo-id", REPO, "--tag", "2026-12"]) == 0
    build(["storm"], upstream="samples", output_dir=out, storm_trace="gemini")
    since = len(hub.requests)
    assert main(["publish", str(out), "--repo-id", REPO, "--tag", "2026-12"]) == 1
    err = capsys.readouterr().err
    assert "Tag 2026-12 exists in org/apt" in err and "never moves a tag" in err
    assert not {r["route"] for r in hub.requests[since:]} & {"commit", "preupload", "tag"}
    assert main(["publish", str(out), "--repo-id", REPO]) == 0
    assert set(hub.tags(REPO)) == {"2026-12", "v1"}  # the next number: no vN yet


def test_diff_says_trouble_with_2_so_that_1_always_means_different(hub, samples_build, tmp_path, token, capsys):
    """Like `diff`: a side that cannot be read is exit status 2, and a revision the repository lacks is named
    with the tags and branches it has."""
    assert main(["publish", str(samples_build), "--repo-id", REPO]) == 0
    capsys.readouterr()
    assert main(["diff", str(samples_build), f"{REPO}@v1"]) == 0
    assert main(["diff", str(samples_build), f"{REPO}@v7"]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {REPO} has no revision 'v7': its tags and branches are v1, main\n"
    assert main(["diff", str(samples_build), f"{REPO}@mian"]) == 2
    assert capsys.readouterr().err.endswith("its tags and branches are v1, main (did you mean 'main'?)\n")
    assert main(["diff", str(samples_build), "org/nothere@v1"]) == 2
    assert "org/nothere" in capsys.readouterr().err
    damaged = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    next(damaged.glob("hashes/*/*.parquet")).write_bytes(b"not parquet")
    assert main(["diff", str(samples_build), str(damaged)]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_diff_of_two_build_folders_reads_only_ids_and_hashes(tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    build(["storm"], upstream="samples", output_dir=old)
    shutil.copytree(old, new)
    assert main(["diff", str(old), str(new)]) == 0
    build(["storm"], upstream="samples", output_dir=new, storm_trace="gemini")
    assert main(["diff", str(old), str(new)]) == 1
    report = capsys.readouterr().out.splitlines()
    assert report[-1] == f"{old} and {new} differ in 1 of 1 config splits."
    rows = pq.read_table(new / "hashes/storm/train.parquet").num_rows
    assert re.match(rf"storm/train: \d+ added, 0 removed, [1-9]\d* changed \(\d+ -> {rows} rows\); ", report[-2])
    assert main(["diff", str(old), str(new), "--examples", "-1"]) == 2
    for side in ("nowhere", "org/apt", "a b@v1"):
        assert main(["diff", str(old), side]) == 2
        assert "build folder or ORG/NAME@REVISION" in capsys.readouterr().err or side == "a b@v1"


def test_parquet_files_stored_with_lfs_are_read_back_by_their_sha256(hub, samples_build, tmp_path, token):
    """As on the Hub, whose `.gitattributes` sends parquet files to LFS: paths-info reports their sha256, which the
    read-back compares with the local file's; the other files by their git blob id."""
    import hashlib

    out = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    hub.add_repo(REPO, {".gitattributes": b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"}, private=True)
    result = publish(out, repo_id=REPO)
    assert result.tag == "v1" and hub.tags(REPO) == {"v1": result.commit}
    shard = "data/sft/train-00000-of-00001.parquet"
    from huggingface_hub import HfApi

    (entry,) = HfApi(token=token).get_paths_info(REPO, [shard], revision="v1", repo_type="dataset")
    assert entry.lfs.sha256 == hashlib.sha256((out / shard).read_bytes()).hexdigest()
    assert result.checked == len(
        [p for p in out.rglob("*") if p.is_file() and not p.relative_to(out).as_posix().startswith(".")]
    )
