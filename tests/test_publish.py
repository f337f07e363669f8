"""`apt-hub publish` against the Hub-compatible server of `hub_server.py`; the HF clients run for real."""

import gzip
import logging
import re
import shutil
from pathlib import Path

import datasets
import pytest
from datasets.exceptions import DatasetNotFoundError
from huggingface_hub import HfApi
from huggingface_hub.errors import RepositoryNotFoundError

from apt_hub.build import build
from apt_hub.card import CARD_FILE, CURATORS_PLACEHOLDER
from apt_hub.cli import main
from apt_hub.layout import splits_on_disk
from apt_hub.merge import merge
from apt_hub.publish import LocalFile, PublishError, publish, same_content
from apt_hub.read.manifest import COPY_SUFFIX
from apt_hub.read.upstream import SAMPLES

WRITE, READ_ONLY, BOB = "hf_alice_write", "hf_alice_read", "hf_bob_write"
REPO = "org/apt"
CURATORS = "Curated by: Li and Ana, the APT data team."
UPLOAD_ROUTES = {"create_repo", "preupload", "commit", "validate_yaml"}


@pytest.fixture
def folder(samples_build, tmp_path) -> Path:
    return Path(shutil.copytree(samples_build, tmp_path / "apt"))


def curated(root: Path) -> Path:
    card = root / CARD_FILE
    card.write_text(card.read_text(encoding="utf-8").replace(CURATORS_PLACEHOLDER, CURATORS), encoding="utf-8")
    return root


@pytest.fixture
def token(monkeypatch) -> str:
    monkeypatch.setenv("HF_TOKEN", WRITE)
    return WRITE


def local_tree(root: Path) -> dict[str, bytes]:
    """The files of a build folder that publish sends: every one but the hidden ones (the build's `.measures/`)."""
    files = [p for p in sorted(root.rglob("*")) if p.is_file()]
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in files
        if not p.relative_to(root).as_posix().startswith(".")
    }


def sent(hub, since: int = 0) -> list[dict]:
    return hub.requests[since:]


def test_publish_then_load_dataset_from_the_hub_gives_the_local_rows(hub, folder, token):
    result = publish(folder, repo_id=REPO)
    assert hub.repo_files(REPO) == local_tree(folder)
    assert HfApi(token=token).dataset_info(REPO).private is True
    assert len(hub.commits(REPO)) == 2 and hub.commits(REPO)[-1]["oid"] == result.commit
    assert hub.commits(REPO)[-1]["summary"].startswith("apt-hub ")
    for config in splits_on_disk(folder):
        remote = datasets.load_dataset(REPO, config, token=token)
        local = datasets.load_dataset(str(folder), config)
        assert remote.keys() == local.keys()
        for split in local:
            assert remote[split].to_list() == local[split].to_list(), (config, split)


def test_second_publish_sends_no_file_and_makes_no_commit(hub, folder, token, capsys):
    publish(folder, repo_id=REPO)
    commits, since = len(hub.commits(REPO)), len(hub.requests)
    assert main(["publish", str(folder), "--repo-id", REPO]) == 0
    assert "up to date" in capsys.readouterr().out
    assert len(hub.commits(REPO)) == commits
    assert not {r["route"] for r in sent(hub, since)} & UPLOAD_ROUTES
    assert sum(r["bytes_in"] for r in sent(hub, since)) == 0


def test_a_rebuild_of_the_same_inputs_publishes_nothing(hub, folder, token, tmp_path):
    """`make demo` then `make publish` twice: the rebuilt folder is the same bytes, so nothing is sent."""
    publish(folder, repo_id=REPO)
    commits = len(hub.commits(REPO))
    build(upstream="samples", output_dir=folder)
    result = publish(folder, repo_id=REPO)
    assert result.plan.up_to_date and len(hub.commits(REPO)) == commits


def test_lfs_files_are_compared_by_sha256(tmp_path):
    from huggingface_hub.hf_api import RepoFile

    (tmp_path / "a.parquet").write_bytes(b"rows")
    local = LocalFile.read(tmp_path, tmp_path / "a.parquet")
    pointer = {"size": 4, "pointerSize": 130}
    assert same_content(local, RepoFile(path="a.parquet", size=4, oid="x", lfs={"oid": local.sha256, **pointer}))
    assert not same_content(local, RepoFile(path="a.parquet", size=4, oid=local.git_oid, lfs={"oid": "0", **pointer}))
    assert same_content(local, RepoFile(path="a.parquet", size=4, oid=local.git_oid))


def test_rebuilding_one_config_changes_only_its_files_and_the_card(hub, folder, token, tmp_path):
    publish(folder, repo_id=REPO)
    build(["storm"], upstream="samples", output_dir=folder, storm_trace="gemini")
    result = publish(folder, repo_id=REPO)
    changed = sorted(hub.commits(REPO)[-1]["added"])
    assert changed == [  # storm with its twin, which holds the same rows, their hashes and the changelog
        "README.md",
        "build.json",
        "changes/v2.json",
        "data/storm/train-00000-of-00001.parquet",
        "data/storm_chat/train-00000-of-00001.parquet",
        "hashes/storm/train.parquet",
        "hashes/storm_chat/train.parquet",
        "images/lengths-storm.png",
        "stats.json",
    ]
    assert [f.path for f in result.plan.add] == ["changes/v2.json"] and not result.plan.delete
    assert "storm" in hub.commits(REPO)[-1]["summary"] and "sft" not in hub.commits(REPO)[-1]["summary"]
    assert hub.repo_files(REPO) == local_tree(folder)


def test_stale_shards_are_deleted_and_files_of_others_kept(hub, folder, token):
    publish(folder, repo_id=REPO)
    extra = {"data/sft/train-00001-of-00002.parquet": b"stale", "notes/howto.md": b"mine", "images/logo.png": b"x"}
    hub.add_repo(REPO, hub.repo_files(REPO) | extra)
    result = publish(folder, repo_id=REPO)
    assert result.plan.delete == ["data/sft/train-00001-of-00002.parquet"]
    remote = hub.repo_files(REPO)
    assert "data/sft/train-00001-of-00002.parquet" not in remote
    assert remote["notes/howto.md"] == b"mine" and remote["images/logo.png"] == b"x"
    assert hub.commits(REPO)[-1]["deleted"] == ["data/sft/train-00001-of-00002.parquet"]


def test_a_private_repo_is_not_readable_without_the_token(hub, folder, token):
    publish(folder, repo_id=REPO)
    with pytest.raises(RepositoryNotFoundError):
        HfApi(token=False).dataset_info(REPO)
    with pytest.raises(DatasetNotFoundError):
        datasets.load_dataset(REPO, "sft", token=False)


def test_public_flag_creates_a_public_repo_and_visibility_is_never_flipped(hub, folder, token):
    publish(folder, repo_id=REPO, public=True)
    assert datasets.load_dataset(REPO, "ruozhiba", split="train", token=False).num_rows > 0
    commits = len(hub.commits(REPO))
    with pytest.raises(PublishError, match="exists and is public, but this publish asked for a private"):
        publish(folder, repo_id=REPO)
    assert len(hub.commits(REPO)) == commits and HfApi(token=token).dataset_info(REPO).private is False


def test_dry_run_prints_the_plan_and_sends_nothing(hub, folder, token, capsys):
    assert main(["publish", str(folder), "--repo-id", REPO, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Create private dataset repository org/apt" in out
    assert "add     data/sft/train-00000-of-00001.parquet" in out and "bytes to upload" in out
    assert REPO not in [repo_id for _, repo_id in hub.repos]
    assert not {r["route"] for r in hub.requests} & UPLOAD_ROUTES


def test_text_written_on_the_hub_survives_a_re_publish(hub, folder, token):
    publish(folder, repo_id=REPO)
    files = hub.repo_files(REPO)
    note = "\n## Written on the Hub\n\nKeep this.\n"
    files[CARD_FILE] = files[CARD_FILE] + note.encode()
    hub.add_repo(REPO, files)
    publish(folder, repo_id=REPO)
    assert note.strip() in (folder / CARD_FILE).read_text(encoding="utf-8")
    assert note.strip().encode() in hub.repo_files(REPO)[CARD_FILE]


@pytest.mark.parametrize(
    ("token_value", "repo_id", "message"),
    [
        (None, REPO, "No Hugging Face token: set HF_TOKEN"),
        (READ_ONLY, REPO, "read access only"),
        ("hf_not_a_token", REPO, "refused the token (401)"),
        (WRITE, "bob/new-apt", "namespace 'bob' is not yours"),
        ("hf_alice_fine_read", "alice/new-apt", "lacks repo.write on 'alice'"),
    ],
)
def test_errors_a_user_meets_are_one_clear_sentence_without_the_token(
    hub, folder, monkeypatch, capsys, caplog, token_value, repo_id, message
):
    hub.add_repo("bob/apt", {"README.md": b"# bob's"}, private=False)
    if token_value:
        monkeypatch.setenv("HF_TOKEN", token_value)
    with caplog.at_level(logging.DEBUG):
        assert main(["publish", str(folder), "--repo-id", repo_id]) == 1
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err
    if token_value:
        assert token_value not in captured.out + captured.err + caplog.text
    assert hub.commits("bob/apt")[-1]["summary"] == "initial commit"
    assert REPO not in [repo_id for _, repo_id in hub.repos]


def test_someone_elses_public_repo_is_refused_before_any_file_is_sent(hub, folder, token):
    hub.add_repo("bob/apt", {"README.md": b"# bob's"}, private=False)
    since = len(hub.requests)
    with pytest.raises(PublishError, match="namespace 'bob' is not yours"):
        publish(folder, repo_id="bob/apt", public=True)
    assert hub.repo_files("bob/apt") == {"README.md": b"# bob's"}
    assert "commit" not in {r["route"] for r in sent(hub, since)}


def test_someone_elses_private_repo_is_refused(hub, folder, token):
    hub.add_repo("bob/apt", {"README.md": b"# theirs"}, private=True, owner="bob")
    since = len(hub.requests)
    with pytest.raises(PublishError) as error:
        publish(folder, repo_id="bob/apt")
    assert "the namespace 'bob' is not yours or one of your organisations' (you are 'alice'" in str(error.value)
    assert hub.repo_files("bob/apt") == {"README.md": b"# theirs"}
    assert not {r["route"] for r in sent(hub, since)} & UPLOAD_ROUTES


def test_an_unreachable_endpoint_is_named(folder, monkeypatch, hub):
    from hub_server import point_clients_at

    port = hub.endpoint.rsplit(":", 1)[1]
    dead = f"http://127.0.0.1:{int(port) + 1 if int(port) < 65535 else 1}"
    point_clients_at(dead, monkeypatch)
    monkeypatch.setenv("HF_TOKEN", WRITE)
    with pytest.raises(PublishError, match=f"Cannot reach the Hub at {dead}") as error:
        publish(folder, repo_id=REPO)
    assert WRITE not in str(error.value)


@pytest.mark.parametrize("repo_id", ["apt", "org/a b", "me/..", "a/b/c", "org/-apt", "org/" + "a" * 97])
def test_an_invalid_repository_name_is_a_usage_error_naming_the_rule(hub, folder, token, capsys, repo_id):
    assert main(["publish", str(folder), "--repo-id", repo_id, "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --repo-id must be ORG/NAME") and repr(repo_id) in err, err
    assert "letters, digits, '-', '_' and '.'" in err and "HF_ENDPOINT" not in err and err.count("\n") == 1
    assert hub.requests == []


@pytest.mark.parametrize(
    ("token_value", "repo_id", "missing"),
    [
        (READ_ONLY, REPO, "read access only (role 'read'): publishing needs a token with write access"),
        (READ_ONLY, "alice/apt", "read access only (role 'read')"),
        ("hf_alice_fine_read", "alice/apt", "fine-grained token lacks repo.write on 'alice'"),
        ("hf_alice_fine_own", REPO, "fine-grained token lacks repo.write on 'org'"),
        (WRITE, "readers/apt", "your role in the organization 'readers' is read"),
        (WRITE, "bob/apt", "namespace 'bob' is not yours or one of your organisations'"),
    ],
)
def test_a_dry_run_refuses_a_token_that_cannot_write_naming_the_permission(
    hub, folder, monkeypatch, capsys, token_value, repo_id, missing
):
    """The dry run checks what the publish would need (whoami-v2: the token's role or fine-grained permissions,
    the user's organizations) and fails as the publish would, before anything is sent."""
    monkeypatch.setenv("HF_TOKEN", token_value)
    for dry_run in (["--dry-run"], []):
        assert main(["publish", str(folder), "--repo-id", repo_id, *dry_run]) == 1
        err = capsys.readouterr().err
        assert missing in err and err.count("\n") == 1 and token_value not in err, err
    assert not {r["route"] for r in hub.requests} & UPLOAD_ROUTES
    assert repo_id not in [name for _, name in hub.repos]


def test_a_fine_grained_token_with_repo_write_publishes_in_its_namespace(hub, folder, monkeypatch, capsys):
    monkeypatch.setenv("HF_TOKEN", "hf_alice_fine_own")
    assert main(["publish", str(folder), "--repo-id", "alice/apt", "--dry-run"]) == 0
    assert main(["publish", str(folder), "--repo-id", "alice/apt"]) == 0
    assert hub.repo_files("alice/apt") == local_tree(folder)


def test_a_mistyped_flag_stops_before_anything_is_sent_or_written(hub, folder, token, capsys):
    before = local_tree(folder)
    assert main(["publish", str(folder), "--repo-id", "someuser/typo", "--dryrun"]) == 2
    assert capsys.readouterr().err == "error: unknown option --dryrun (did you mean --dry-run?)\n"
    assert hub.requests == [] and local_tree(folder) == before


@pytest.mark.parametrize("word", ["no", "NO", "false", "0"])
def test_public_no_makes_a_private_repository(hub, folder, token, word):
    assert main(["publish", str(folder), "--repo-id", REPO, f"--public={word}"]) == 0
    assert HfApi(token=token).dataset_info(REPO).private is True


def test_a_dry_run_writes_nothing_and_plans_what_the_publish_then_sends(hub, folder, token, capsys):
    publish(folder, repo_id=REPO)
    build(["storm"], upstream="samples", output_dir=folder, storm_trace="gemini")
    (folder / CARD_FILE).write_text((folder / CARD_FILE).read_text("utf-8") + "\nMy notes.\n", encoding="utf-8")
    before = {path: (folder / path).stat().st_mtime_ns for path in local_tree(folder)}
    assert main(["publish", str(folder), "--repo-id", REPO, "--dry-run"]) == 0
    plan = capsys.readouterr().out.splitlines()
    assert {path: (folder / path).stat().st_mtime_ns for path in local_tree(folder)} == before
    assert plan[0] == "Dry run, nothing sent."
    assert any(line.startswith("  change  data/storm/train-00000-of-00001.parquet") for line in plan)
    assert main(["publish", str(folder), "--repo-id", REPO]) == 0
    done = capsys.readouterr().out.splitlines()
    assert done[:-2] == plan[1:-1]  # the same files and bytes as the dry run said
    assert plan[-1] == "Would commit and tag the commit v2." and re.fullmatch(
        r"commit [0-9a-f]{40}, tag v2, 32 files checked", done[-1]
    )
    assert hub.repo_files(REPO) == local_tree(folder)


@pytest.mark.parametrize(
    ("route", "request_line"), [("whoami", "GET /api/whoami"), ("repo_info", "GET /api/datasets")]
)
def test_a_stalled_hub_ends_in_an_error_naming_the_request(
    hub, folder, token, monkeypatch, capsys, route, request_line
):
    monkeypatch.setenv("APT_HUB_TIMEOUT", "0.5")
    hub.fault(route, delay=30)
    assert main(["publish", str(folder), "--repo-id", REPO]) == 1
    err = capsys.readouterr().err
    method, path = request_line.split()
    assert err.startswith(f"error: The Hub at {hub.endpoint} did not answer: {method} {hub.endpoint}{path}")
    assert "gave up after 0.5 s for an answer (ReadTimeout)" in err and "APT_HUB_TIMEOUT" in err
    assert err.count("\n") == 1


def test_the_timeout_must_be_a_positive_number(folder, token, monkeypatch, capsys):
    monkeypatch.setenv("APT_HUB_TIMEOUT", "soon")
    assert main(["publish", str(folder), "--repo-id", REPO]) == 1
    assert capsys.readouterr().err == "error: APT_HUB_TIMEOUT must be a positive number of seconds, got 'soon'\n"


@pytest.mark.parametrize(
    ("route", "body", "problem"),
    [
        ("whoami", b"<html>a proxy login page</html>", "JSONDecodeError"),
        ("repo_info", b"{}", "KeyError: 'id'"),
        ("repo_info", b"[]", "TypeError"),
        ("create_repo", b"{}", "KeyError: 'url'"),
        ("preupload", b"{}", "ValueError"),
        ("commit", b'{"commitOid": 7}', "KeyError: 'commitUrl'"),
    ],
)
def test_a_malformed_answer_of_the_hub_is_one_line(hub, folder, token, capsys, route, body, problem):
    hub.fault(route, body=body)
    assert main(["publish", str(curated(folder)), "--repo-id", REPO]) == 1  # no warning of the curators line
    err = capsys.readouterr().err
    assert err.startswith(f"error: The Hub at {hub.endpoint} sent an answer that is not the Hub API's ({problem}")
    assert err.count("\n") == 1


def test_a_dry_run_takes_in_text_written_on_the_hub_without_writing_it_locally(hub, folder, token):
    publish(folder, repo_id=REPO)
    files = hub.repo_files(REPO)
    files[CARD_FILE] += b"\n## Written on the Hub\n\nKeep this.\n"
    hub.add_repo(REPO, files)
    card = (folder / CARD_FILE).read_bytes()
    planned = publish(folder, repo_id=REPO, dry_run=True).plan
    assert (folder / CARD_FILE).read_bytes() == card
    done = publish(folder, repo_id=REPO).plan
    assert [f.path for f in planned.change] == [f.path for f in done.change], planned.describe()
    assert b"Keep this." in (folder / CARD_FILE).read_bytes()


def test_a_split_without_rows_builds_and_goes_through_every_command(hub, token, tmp_path):
    """hh-rlhf's train files empty: `dpo` and `dpo_chat` have a train split of 0 rows. The build, stats, card,
    export, merge and publish take it as a normal case, and `load_dataset` gives the splits that have rows."""
    upstream = tmp_path / "upstream"
    shutil.copytree(SAMPLES, upstream, ignore=shutil.ignore_patterns(f"*{COPY_SUFFIX}"))  # files changed below
    for path in (upstream / "Anthropic/hh-rlhf").glob("*/train.jsonl.gz"):
        path.write_bytes(gzip.compress(b""))
    out = tmp_path / "apt"
    report = build(["dpo", "dpo_chat"], upstream=str(upstream), output_dir=out, only="hh-rlhf")
    assert report.configs["dpo"]["splits"]["train"]["rows"] == 0 and "dpo/train: 0 rows" in report.notes
    for command in (
        ["stats", str(out)],
        ["card", str(out)],
        ["export", str(out), "--output-dir", str(tmp_path / "e")],
    ):
        assert main(command) == 0, command
    merge(["dpo"], output="prefs", build_dir=out)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "train: no rows, so the `configs:` of this card leave it out" in card
    publish(out, repo_id=REPO)
    for config in ("dpo", "dpo_chat", "prefs"):
        local = datasets.load_dataset(str(out), config)
        assert list(local) == ["test"] and len(local["test"]) == report.configs["dpo"]["splits"]["test"]["rows"]
        assert datasets.load_dataset(REPO, config, token=token)["test"].to_list() == local["test"].to_list()


def test_publish_warns_in_one_line_while_the_curators_line_is_the_placeholder(hub, folder, token, capsys):
    assert main(["publish", str(folder), "--repo-id", REPO]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"warning: {folder / CARD_FILE} still says 'Curated by: *your")
    assert REPO in [repo_id for _, repo_id in hub.repos]  # a warning, not an error: it was published
    assert main(["publish", str(curated(folder)), "--repo-id", REPO]) == 0
    assert capsys.readouterr().err == ""
    assert CURATORS.encode() in hub.repo_files(REPO)[CARD_FILE]
