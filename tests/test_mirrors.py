"""Building through a Hub mirror (`HF_ENDPOINT`) and offline from the HF cache (`HF_HUB_OFFLINE=1`).

Both variables are read when huggingface_hub is imported, so each run is a fresh `apt-hub` process with the
environment a user would set, against the Hub-compatible test server.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hub_server import client_env

from apt_hub.read.upstream import SAMPLES
from apt_hub.sources import SOURCES

CLEARED = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "HF_TOKEN", "HF_ENDPOINT")


def apt_hub(*commands: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run `apt-hub` commands one after the other in one fresh process; stop at the first failure."""
    script = "import sys\nfrom apt_hub.cli import main\nfor argv in %r:\n    if main(argv):\n        sys.exit(1)\n"
    environ = {k: v for k, v in os.environ.items() if k not in CLEARED} | env
    return subprocess.run(
        [sys.executable, "-c", script % [list(c) for c in commands]],
        env=environ,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def mirror(hub):
    """The test server holding the sample repositories at the revisions the sources pin."""
    for name in ("coig-cqia", "hh-rlhf", "s1k"):
        source = SOURCES[name]
        sha = source.revision if len(source.revision) == 40 else None
        hub.add_repo(source.repo_id, SAMPLES / source.repo_id, sha=sha)
    return hub


def built_rows(out: Path, config: str) -> dict[str, int]:
    record = json.loads((out / "build.json").read_text(encoding="utf-8"))
    return {split: info["rows"] for split, info in record["configs"][config]["splits"].items()}


def test_build_and_template_through_a_mirror_then_offline_from_the_cache(mirror, tmp_path):
    home = tmp_path / "hf"
    online = client_env(mirror.endpoint, home)
    result = apt_hub(
        ["build", "ruozhiba", "--upstream", "hub", "--output-dir", "online"],
        ["loyalty-template", "--output", "loyalty.json", "--n", "5", "--upstream", "hub"],
        env=online,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    record = json.loads((tmp_path / "online/build.json").read_text(encoding="utf-8"))
    assert record["configs"]["ruozhiba"]["options"]["upstream"] == f"hub ({mirror.endpoint})"
    downloaded = {r["path"] for r in mirror.requests if "/resolve/" in r["path"] and r["status"] == 200}
    assert any(path.endswith("ruozhiba/ruozhiba_ruozhiba.jsonl") for path in downloaded)
    assert any(path.endswith("helpful-base/train.jsonl.gz") for path in downloaded)
    assert len(json.loads((tmp_path / "loyalty.json").read_text(encoding="utf-8"))) == 5

    mirror.reset()  # the server forgets everything: only the HF cache can answer now
    offline = client_env("http://127.0.0.1:9", home) | {"HF_HUB_OFFLINE": "1"}
    result = apt_hub(
        ["build", "ruozhiba", "--upstream", "hub", "--output-dir", "offline"],
        ["loyalty-template", "--output", "again.json", "--n", "5", "--upstream", "hub"],
        env=offline,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert mirror.requests == []
    assert built_rows(tmp_path / "offline", "ruozhiba") == built_rows(tmp_path / "online", "ruozhiba")
    assert (tmp_path / "again.json").read_text(encoding="utf-8") == (tmp_path / "loyalty.json").read_text("utf-8")


@pytest.mark.parametrize(("workers", "at_once"), [(None, 4), ("1", 1)])
def test_a_cold_build_downloads_a_sources_files_concurrently(mirror, tmp_path, workers, at_once):
    """Each download waits 0.3 s at the server: the files of one source are fetched several at a time, as
    `snapshot_download` fetches them, so that the wait is not paid once per file; one at a time with
    APT_HUB_DOWNLOAD_WORKERS=1, for a mirror that allows one connection."""
    mirror.fault("resolve", delay=0.3)
    env = client_env(mirror.endpoint, tmp_path / "hf") | ({"APT_HUB_DOWNLOAD_WORKERS": workers} if workers else {})
    build = ["build", "dpo", "--upstream", "hub", "--only", "hh-rlhf", "--output-dir", "out"]
    result = apt_hub(build, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    downloads = [r for r in mirror.requests if r["route"] == "resolve" and r["method"] == "GET"]
    assert len(downloads) == 8  # the train and test files of the four subsets, each once
    overlap = [
        sum(o["started"] < r["answered"] and r["started"] < o["answered"] for o in downloads) for r in downloads
    ]
    assert (max(overlap) >= at_once) if workers is None else (max(overlap) == at_once), overlap


def test_a_download_workers_value_that_is_no_count_is_named(mirror, tmp_path):
    env = client_env(mirror.endpoint, tmp_path / "hf") | {"APT_HUB_DOWNLOAD_WORKERS": "0"}
    result = apt_hub(["build", "ruozhiba", "--upstream", "hub", "--output-dir", "out"], env=env, cwd=tmp_path)
    assert result.returncode == 1 and not (tmp_path / "out").exists()
    assert result.stderr == "error: APT_HUB_DOWNLOAD_WORKERS must be a whole number of at least 1, got '0'\n"


def test_offline_without_a_cached_snapshot_says_how_to_fill_the_cache(tmp_path):
    offline = client_env("http://127.0.0.1:9", tmp_path / "hf") | {"HF_HUB_OFFLINE": "1"}
    result = apt_hub(["build", "ruozhiba", "--upstream", "hub", "--output-dir", "out"], env=offline, cwd=tmp_path)
    assert result.returncode == 1
    assert "HF_HUB_OFFLINE is set and the HF cache" in result.stderr and "m-a-p/COIG-CQIA" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_source_pinned_to_a_branch_builds_offline_after_an_online_build(mirror, tmp_path):
    mirror.add_repo("me/branchy", {"data.jsonl": b'{"q": "Why?", "a": "Because."}\n'})
    (tmp_path / "apt-sources.yaml").write_text(
        "sources:\n  - {name: branchy, repo_id: me/branchy, config: sft, files: [data.jsonl],"
        " columns: {prompt: q, response: a}}\n"  # no revision: the branch main
    )
    home = tmp_path / "hf"
    build = ["build", "sft", "--only", "branchy", "--upstream", "hub", "--build-dir", "out"]
    assert apt_hub(build, env=client_env(mirror.endpoint, home), cwd=tmp_path).returncode == 0
    offline = client_env("http://127.0.0.1:9", home) | {"HF_HUB_OFFLINE": "1"}
    result = apt_hub(build, env=offline, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert built_rows(tmp_path / "out", "sft") == {"train": 1}


def test_every_built_in_hub_source_is_pinned_to_a_commit():
    for source in (source for source in SOURCES.values() if source.repo_id):  # not the local loyalty file
        assert re.fullmatch(r"[0-9a-f]{40}", source.revision), source.name


def test_a_stalled_mirror_ends_the_build_with_an_error_naming_it(mirror, tmp_path):
    mirror.fault("repo_info", delay=30)
    env = client_env(mirror.endpoint, tmp_path / "hf") | {"APT_HUB_TIMEOUT": "0.5"}
    result = apt_hub(["build", "ruozhiba", "--upstream", "hub", "--build-dir", "out"], env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert f"at {mirror.endpoint}: " in result.stderr and "timed out" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


SECRET = "s3cret-pass"


def test_a_mirror_password_never_reaches_a_file_the_hub_or_an_output(mirror, tmp_path):
    """HF_ENDPOINT with a user and password (a mirror behind basic authentication): build, stats, card, export and
    publish through it, and fail in several ways; the password is in no file of the build or the export, in no
    file of the remote repository, and in no line any command printed."""
    source = SOURCES["ultrafeedback"]
    mirror.add_repo(source.repo_id, SAMPLES / source.repo_id, sha=source.revision)
    mirror.basic_users[f"mirror-user:{SECRET}"] = "alice"
    endpoint = mirror.endpoint.replace("http://", f"http://mirror-user:{SECRET}@")
    env = client_env(endpoint, tmp_path / "hf") | {"HF_TOKEN": "hf_alice_write"}
    wrong = client_env(endpoint.replace(SECRET, f"{SECRET}-wrong"), tmp_path / "hf") | {"HF_TOKEN": "hf_alice_write"}
    runs = [
        (env, ["build", "ruozhiba", "dpo", "--upstream", "hub", "--build-dir", "out"], 0),
        (env, ["stats", "out"], 0),
        (env, ["card", "out", "--repo-id", "alice/apt"], 0),
        (env, ["export", "out", "--output-dir", "old"], 0),
        (env, ["publish", "out", "--repo-id", "alice/apt", "--dry-run"], 0),
        (env, ["publish", "out", "--repo-id", "alice/apt"], 0),
        (env, ["publish", "out", "--repo-id", "alice/apt"], 0),
        (env, ["publish", "out", "--repo-id", "bob/apt"], 1),  # not alice's namespace (whoami-v2)
        (wrong, ["publish", "out", "--repo-id", "alice/apt", "--dry-run"], 1),  # 401
        (wrong, ["build", "ruozhiba", "--upstream", "hub", "--build-dir", "out"], 1),
        (env | {"APT_HUB_TIMEOUT": "0.5"}, ["publish", "out", "--repo-id", "alice/other"], 1),  # a stalled answer
    ]
    outputs = []
    for environ, command, status in runs:
        if command[-1] == "alice/other":
            mirror.fault("repo_info", delay=5)
        result = apt_hub(command, env=environ, cwd=tmp_path)
        assert result.returncode == status, (command, result.stderr)
        assert "Traceback" not in result.stderr, result.stderr
        outputs.append(result.stdout + result.stderr)
    printed = "\n".join(outputs)
    files = [p for folder in ("out", "old") for p in (tmp_path / folder).rglob("*") if p.is_file()]
    remote = mirror.repo_files("alice/apt")
    for name, data in [*((str(p), p.read_bytes()) for p in files), *remote.items(), ("output", printed.encode())]:
        assert SECRET.encode() not in data and b"mirror-user" not in data, name
    assert "build.json" in remote and "README.md" in remote and len(files) > 15
    assert "up to date" in printed and "Committed" in printed and "is not yours" in printed and "(401)" in printed
    assert "did not answer" in printed and f"at {mirror.endpoint}" in printed
    record = json.loads((tmp_path / "out/build.json").read_text(encoding="utf-8"))
    assert record["configs"]["dpo"]["options"]["upstream"] == f"hub ({mirror.endpoint})"


def test_a_token_the_mirror_refuses_is_named_as_the_token_not_as_the_endpoint(mirror, tmp_path):
    # The token sent as a user's would be (the tests switch implicit tokens off).
    env = client_env(mirror.endpoint, tmp_path / "hf") | {"HF_TOKEN": "hf_nobody", "HF_HUB_DISABLE_IMPLICIT_TOKEN": ""}
    result = apt_hub(["build", "ruozhiba", "--upstream", "hub", "--build-dir", "out"], env=env, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "refused the token (401)" in result.stderr and "HF_TOKEN" in result.stderr
    assert "HF_ENDPOINT" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
