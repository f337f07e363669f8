"""The build folder as a transaction: builds killed with SIGKILL at named steps, concurrent writers, refused paths.

Builds run as subprocesses of the real CLI; `APT_HUB_KILL_AT=<step>` makes the build kill itself at that step and
`APT_HUB_PAUSE_AT=<step>` stops it there (SIGSTOP) until it is continued. `make test` runs a few kill points;
`make stress` (`APT_HUB_STRESS=1`) sweeps every kill point over several configs.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from apt_hub.cli import main
from apt_hub.folder import CHECKOUT, KILL_AT, NO_EXCHANGE, PAUSE_AT, atomic_write, clean_leftovers, leftovers
from apt_hub.layout import read_record, splits_on_disk

STRESS = bool(os.environ.get("APT_HUB_STRESS"))
# The named steps of a build, in order; `{config}` steps happen once per config built.
STEPS = [
    "lock",
    "staged",
    "job:{config}",  # in a worker process with --num-proc 2: the worker dies, and the build stops with one line
    "job-done:{config}",  # with --num-proc 2, other jobs may still be under way in their workers
    "converted:{config}",
    "written:{config}",
    "write:build.json",
    "write:stats.json",
    "write:lengths-{config}.png",
    "write:README.md",
    "commit",
]
QUICK = ["staged", "written:{config}", "write:build.json", "write:README.md", "commit"]
# (configs of the build that is killed, the flags of the old build and of the new one); with --num-proc 2 the new
# build converts in two worker processes.
CASES = [(["ruozhiba"], ["--max-samples=5"], ["--max-samples=8"])]
if STRESS:
    CASES += [
        (["ruozhiba", "storm"], ["--max-samples=5"], ["--max-samples=8"]),
        (["dpo", "loyalty"], ["--max-samples=4"], ["--max-samples=6"]),
        (["sft", "dpo"], ["--max-samples=5"], ["--num-proc=2"]),
    ]
# Every process a test runs carries this variable, so that one left behind (a worker of a killed build) is found.
RUN_MARK = f"APT_HUB_TEST_RUN_{os.getpid()}"


def run(*args: str, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    """The real CLI in a new process, with extra environment variables (the test hooks); no process of it may
    outlive it."""
    done = subprocess.run(
        [sys.executable, "-m", "apt_hub.cli", *args],
        cwd=cwd,
        env={**os.environ, **env, RUN_MARK: "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert not left_behind(), f"processes of {args} outlived it: {left_behind()}"
    return done


def left_behind(wait: float = 5.0) -> list[int]:
    """The processes still running that a test's run started, after waiting up to `wait` seconds for them to go."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for environ in Path("/proc").glob("[0-9]*/environ"):
            try:
                if f"{RUN_MARK}=".encode() in environ.read_bytes():
                    found.append(int(environ.parent.name))
            except OSError:  # gone, or another user's
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def build_args(out: Path, configs: list[str], flags: list[str]) -> list[str]:
    return ["build", *configs, "--upstream=samples", f"--output-dir={out}", *flags]


def build_here(out: Path, configs: list[str], flags: list[str]) -> None:
    """The same build in this process (no interpreter to start): for the steps that are not killed."""
    assert main(build_args(out, configs, flags)) == 0


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of a folder (hidden ones too) by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_readable(folder: Path) -> None:
    """What stats, card and `load_dataset` read: the record describes the parquet beside it, rows included."""
    from datasets import load_dataset

    from apt_hub.card import render_card
    from apt_hub.stats import compute_stats

    record = read_record(folder)
    assert set(record["configs"]) == set(splits_on_disk(folder))
    stats = compute_stats(folder)
    assert "configs:" in render_card(folder, stats, repo_id="org/apt")
    for config, entry in record["configs"].items():
        for split, info in entry["splits"].items():
            assert stats["configs"][config]["splits"][split]["rows"] == info["rows"]
            assert load_dataset(str(folder), config, split=split).num_rows == info["rows"]


@pytest.fixture(scope="module")
def datasets_cache(tmp_path_factory) -> str:
    """One datasets cache for the builds of this module: a rerun converts nothing again."""
    return str(tmp_path_factory.mktemp("datasets_cache"))


@pytest.fixture
def cli_env(datasets_cache, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_CACHE", datasets_cache)


def steps_of(configs: list[str], names: list[str]) -> list[str]:
    return [step.format(config=config) for step in names for config in (configs if "{" in step else configs[:1])]


@pytest.mark.parametrize(("configs", "old", "new"), CASES)
def test_a_build_killed_at_any_step_leaves_the_previous_folder_then_a_rerun_converges(
    tmp_path, cli_env, configs, old, new
):
    out = tmp_path / "apt"
    build_here(out, configs, old)
    before = snapshot(out)
    reference = tmp_path / "reference" / "apt"
    shutil.copytree(out, reference)
    build_here(reference, configs, new)
    after = snapshot(reference)
    assert after != before

    for step in steps_of(configs, STEPS if STRESS else QUICK):
        killed = run(*build_args(out, configs, new), **{KILL_AT: step})
        if step.startswith("job:") and "--num-proc=2" in new:  # a worker killed: the build ends with one line
            assert killed.returncode == 1 and len(killed.stderr.splitlines()) == 1, killed.stderr[-500:]
            assert "its worker process ended without returning its rows" in killed.stderr
        else:
            assert killed.returncode == -signal.SIGKILL, f"{step}: the build did not reach it: {killed.stderr[-500:]}"
        assert snapshot(out) == before, f"killed at {step}: the previous folder changed"
        assert_readable(out)
        assert step == "lock" or killed.returncode == 1 or leftovers(tmp_path), step  # its staging copy, marked
        if STRESS:  # every kill point converges on its own
            build_here(out, configs, new)
            assert snapshot(out) == after
            assert sorted(p.name for p in tmp_path.iterdir()) == ["apt", "reference"], step
            build_here(out, configs, old)
            assert snapshot(out) == before

    build_here(out, configs, new)
    assert snapshot(out) == after
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt", "reference"]
    assert_readable(out)


def test_a_killed_worker_is_one_line_and_a_build_killed_among_its_workers_leaves_none(tmp_path, cli_env):
    """With --num-proc 2 a config's files are converted by two worker processes: one killed ends the build with one
    line; the build killed while they work takes them with it (left alone, they would wait for jobs forever)."""
    out = tmp_path / "apt"
    build_here(out, ["sft"], ["--max-samples=5"])
    before = snapshot(out)
    worker = run(*build_args(out, ["sft"], ["--num-proc=2"]), **{KILL_AT: "job:sft"})
    assert worker.returncode == 1 and worker.stderr.startswith("error: Converting sft/train (m-a-p/COIG-CQIA/")
    assert "its worker process ended without returning its rows" in worker.stderr
    assert len(worker.stderr.splitlines()) == 1 and snapshot(out) == before
    killed = run(*build_args(out, ["sft"], ["--num-proc=2"]), **{KILL_AT: "job-done:sft"})
    assert killed.returncode == -signal.SIGKILL and snapshot(out) == before  # run() found no process left behind
    build_here(out, ["sft"], ["--num-proc=2"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt"]
    assert_readable(out)


def test_a_build_killed_after_its_commit_leaves_the_new_folder_whole(tmp_path, cli_env):
    out = tmp_path / "apt"
    build_here(out, ["ruozhiba"], ["--max-samples=5"])
    killed = run(*build_args(out, ["ruozhiba"], ["--max-samples=8"]), **{KILL_AT: "committed"})
    assert killed.returncode == -signal.SIGKILL
    assert read_record(out)["configs"]["ruozhiba"]["splits"]["train"]["rows"] == 8
    assert_readable(out)
    assert main(["stats", str(out)]) == 0  # takes the lock, cleans the old folder left at the staging path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt"]


def test_a_kill_between_the_two_renames_is_repaired_by_the_next_command(tmp_path, cli_env):
    """Where no atomic exchange exists, the commit is two renames; a kill between them leaves the old folder aside,
    marked, and the next command that takes the lock puts it back before anything else."""
    out = tmp_path / "apt"
    build_here(out, ["ruozhiba"], ["--max-samples=5"])
    before = snapshot(out)
    killed = run(*build_args(out, ["ruozhiba"], ["--max-samples=8"]), **{KILL_AT: "between-renames", NO_EXCHANGE: "1"})
    assert killed.returncode == -signal.SIGKILL
    assert not out.exists()
    (aside,) = [path for path in leftovers(tmp_path) if ".apt-old-" in path.name]
    assert snapshot(aside) == before

    assert main(["stats", str(out)]) == 0
    assert snapshot(out) == before  # put back, then the same stats written again
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt"]
    assert_readable(out)


def test_the_two_rename_commit_builds_like_the_exchange(tmp_path, monkeypatch):
    monkeypatch.setenv(NO_EXCHANGE, "1")
    out = tmp_path / "apt"
    build_here(out, ["ruozhiba"], ["--max-samples=5"])
    build_here(out, ["ruozhiba"], ["--max-samples=8"])
    assert read_record(out)["configs"]["ruozhiba"]["splits"]["train"]["rows"] == 8
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt"]


def wait_until_stopped(process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = Path(f"/proc/{process.pid}/stat").read_text().rpartition(")")[2].split()[0]
        if state == "T":
            return
        assert process.poll() is None, process.stderr.read()
        time.sleep(0.05)
    raise AssertionError("the build never reached its pause point")


def test_stats_killed_before_its_rename_leaves_the_folder_and_the_next_run_changes_it_in_place(tmp_path, cli_env):
    """`stats` changes one file, moved into the folder by one rename rather than through a staging copy."""
    out = tmp_path / "apt"
    build_here(out, ["ruozhiba"], ["--max-samples=5"])
    (out / "stats.json").write_text("{}\n")  # stale: the next stats writes it again
    before = snapshot(out)
    killed = run("stats", str(out), **{KILL_AT: "write:stats.json"})
    assert killed.returncode == -signal.SIGKILL
    assert snapshot(out) == before
    assert [".apt-tmp-" in p.name for p in leftovers(tmp_path)] == [True]  # the new file, beside the folder
    inode = out.stat().st_ino
    assert main(["stats", str(out)]) == 0
    assert out.stat().st_ino == inode  # changed in place, not exchanged with a copy
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt"]  # the killed run's file removed
    assert snapshot(out).keys() == before.keys() and json.loads((out / "stats.json").read_text())["configs"]
    assert_readable(out)


def test_a_second_writer_stops_naming_the_holder_and_both_results_are_kept(tmp_path, cli_env, capsys):
    out = tmp_path / "apt"
    build_here(out, ["ruozhiba"], ["--max-samples=5"])
    first = subprocess.Popen(
        [sys.executable, "-m", "apt_hub.cli", *build_args(out, ["ruozhiba"], ["--max-samples=8"])],
        env={**os.environ, PAUSE_AT: "staged"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until_stopped(first)
        for args in (
            build_args(out, ["storm"], ["--max-samples=5"]),
            ["stats", str(out)],
            ["card", str(out)],
            ["merge", "ruozhiba", "--output", "mixed", "--build-dir", str(out)],
        ):
            assert f"pid {first.pid}" in refused(capsys, *args)
    finally:
        first.send_signal(signal.SIGCONT)
        first.wait(timeout=300)
    assert first.returncode == 0, first.stderr.read()
    build_here(out, ["storm"], ["--max-samples=5"])
    record = read_record(out)["configs"]
    assert sorted(record) == ["ruozhiba", "storm"]
    assert record["ruozhiba"]["splits"]["train"]["rows"] == 8
    assert_readable(out)


def test_the_lock_of_a_killed_writer_is_taken_over(tmp_path, cli_env):
    out = tmp_path / "apt"
    args = [sys.executable, "-m", "apt_hub.cli", *build_args(out, ["ruozhiba"], ["--max-samples=5"])]
    killed = subprocess.Popen(args, env={**os.environ, KILL_AT: "lock"}, stderr=subprocess.DEVNULL)
    assert killed.wait(timeout=300) == -signal.SIGKILL
    assert (tmp_path / ".apt.lock").read_text().strip() == str(killed.pid)
    build_here(out, ["ruozhiba"], ["--max-samples=5"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt"]


# ------------------------------------------------------------------------------------------- output paths


def refused(capsys, *args: str, status: int = 1) -> str:
    """Run the CLI in-process; it must fail with a one-line error and no traceback (2: a usage error)."""
    assert main(list(args)) == status
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize(
    "name", [".", "..", "parent", "checkout", "checkout-parent", "file", "user-folder", "inside-checkout"]
)
def test_build_refuses_an_output_path_it_did_not_make_before_any_work(tmp_path, monkeypatch, capsys, name):
    here = tmp_path / "work" / "here"
    here.mkdir(parents=True)
    (here / "notes.txt").write_text("mine")
    monkeypatch.chdir(here)
    (tmp_path / "a-file").write_text("mine")
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "thesis.tex").write_text("mine")
    path = {
        ".": ".",
        "..": "..",
        "parent": str(tmp_path),
        "checkout": str(CHECKOUT),
        "checkout-parent": str(CHECKOUT.parent),
        "file": str(tmp_path / "a-file"),
        "user-folder": str(tmp_path / "folder"),
        "inside-checkout": str(CHECKOUT / "apt_hub"),
    }[name]
    before = snapshot(tmp_path)
    # --upstream=hub would reach the network if any work began: the refusal comes first.
    err = refused(capsys, "build", "--upstream=hub", f"--output-dir={path}")
    assert "refusing" in err or "is not a build folder" in err or "is a file" in err
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "folder", "work"]


def test_a_damaged_build_record_is_a_one_line_error_naming_it(samples_build, tmp_path, capsys):
    out = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    record = out / "build.json"
    record.write_bytes(record.read_bytes()[:100])
    before = snapshot(out)
    for args in (
        ["stats", str(out)],
        ["card", str(out)],
        ["merge", "sft", "ruozhiba", "--output", "mixed", "--build-dir", str(out)],
        ["build", "loyalty", "--upstream=samples", f"--output-dir={out}"],
    ):
        err = refused(capsys, *args)
        assert f"{record}: damaged build record" in err
    assert snapshot(out) == before


def test_merge_refuses_an_output_named_like_a_source_or_a_folder_no_merge_wrote(samples_build, tmp_path, capsys):
    out = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    (out / "data" / "mine").mkdir()
    (out / "data" / "mine" / "keep.txt").write_text("mine")
    before = snapshot(out)
    for output, why in [
        ("hh-rlhf", "name of a source"),
        ("coig-cqia", "name of a source"),
        ("dpo", "built config"),
        ("mine", "no merge wrote it"),
    ]:
        err = refused(capsys, "merge", "sft", "--output", output, "--build-dir", str(out), status=2)
        assert why in err, err
    assert snapshot(out) == before


def test_export_refuses_two_configs_writing_one_file(samples_build, tmp_path, capsys):
    out = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    # A config named like a source, as an older merge could write: its file would replace hh-rlhf's rows.
    shutil.copytree(out / "data" / "sft", out / "data" / "hh-rlhf")
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "hh-rlhf_train.json").write_text("[]")
    err = refused(capsys, "export", str(out), "--output-dir", str(legacy))
    assert "'dpo' and 'hh-rlhf'" in err and "hh-rlhf_train.json" in err
    assert sorted(p.name for p in legacy.iterdir()) == ["hh-rlhf_train.json"]
    assert (legacy / "hh-rlhf_train.json").read_text() == "[]"
    refused(capsys, "export", str(out), "--output-dir", str(out / "legacy"))
    assert not (out / "legacy").exists()


def test_a_failed_build_keeps_the_previous_folder_byte_identical(samples_build, tmp_path):
    from apt_hub.build import build
    from apt_hub.loyalty import LoyaltyFileError

    out = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    before = snapshot(out)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "p"}\n')
    with pytest.raises(LoyaltyFileError):
        build(["ruozhiba", "loyalty"], upstream="samples", output_dir=out, loyalty_file=str(bad))
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt", "bad.jsonl"]


def test_the_staging_copy_shares_no_file_that_is_rewritten(samples_build, tmp_path):
    """Records, card, images and row hashes are copied into the staging copy, so writing them cannot reach the old
    folder; shards and the build's measures, which are only ever replaced whole or removed, are shared."""
    from apt_hub.folder import MEASURES_DIR, transaction

    out = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    with transaction(out) as staging:
        for path in staging.rglob("*"):
            if path.is_file():
                shared = path.stat().st_ino == (out / path.relative_to(staging)).stat().st_ino
                shard = path.suffix == ".parquet" and path.relative_to(staging).parts[0] == "data"
                assert shared == (shard or MEASURES_DIR in path.parts), path


def test_measures_written_again_in_the_staging_copy_leave_the_old_folder_as_it_was(samples_build, tmp_path):
    from apt_hub.folder import MEASURES_DIR, transaction
    from apt_hub.measures import measuring, write_measures

    out = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    before = snapshot(out)
    files = splits_on_disk(out)["storm"]["train"]
    rows = pq.read_table(out / files[0]).slice(0, 3)
    with pytest.raises(RuntimeError), transaction(out) as staging:
        measures: list = []
        list(measuring(rows.to_batches(), measures))
        write_measures(staging, "storm", "train", files, measures)
        assert (staging / MEASURES_DIR / "storm" / "train.arrow").read_bytes() != before[".measures/storm/train.arrow"]
        raise RuntimeError("abandoned")
    assert snapshot(out) == before


def test_leftovers_are_ours_only_marker_and_name_and_a_dead_pid(tmp_path):
    pid = dead_pid()
    ours = tmp_path / f".apt.apt-staging-{pid}-0123abcd"
    ours.mkdir()
    (tmp_path / f"{ours.name}.apt-hub").write_text(json.dumps({"made_by": "apt-hub", "pid": pid}))
    unmarked = tmp_path / f".apt.apt-staging-{pid}-89abcdef"  # a name like ours, but no marker: not ours
    unmarked.mkdir()
    living = tmp_path / f".apt.apt-tmp-{os.getpid()}-00000000"  # a marker of a living process
    living.write_text("x")
    (tmp_path / f"{living.name}.apt-hub").write_text(json.dumps({"made_by": "apt-hub", "pid": os.getpid()}))
    user = tmp_path / "notes.apt-hub"
    user.write_text(json.dumps({"made_by": "apt-hub", "pid": pid}))

    assert clean_leftovers(tmp_path) == [ours]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [unmarked.name, living.name, f"{living.name}.apt-hub", "notes.apt-hub"]
    )


def test_atomic_write_replaces_whole_or_refuses_to_clobber(tmp_path):
    path = tmp_path / "notes.json"
    atomic_write(path, "old")
    with pytest.raises(FileExistsError):
        atomic_write(path, "new", clobber=False)
    assert path.read_text() == "old"
    atomic_write(path, b"new")
    assert path.read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.json"]


def test_a_run_repairs_its_own_folder_and_leaves_another_folder_set_aside_for_that_ones_next_run(tmp_path):
    from apt_hub.folder import repair, transaction

    pid = dead_pid()
    aside = tmp_path / f".other.apt-old-{pid}-0123abcd"  # what a kill between two renames leaves of `other`
    (aside / "data").mkdir(parents=True)
    (aside / "build.json").write_text('{"configs": {}}\n')
    (tmp_path / f"{aside.name}.apt-hub").write_text(json.dumps({"made_by": "apt-hub", "pid": pid}))
    with transaction(tmp_path / "apt") as staging:
        atomic_write(staging / "build.json", '{"configs": {}}\n')
    assert aside.is_dir()
    repair(tmp_path / "other")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt", "other"]
    assert (tmp_path / "other" / "build.json").is_file()


def dead_pid() -> int:
    """The pid of a process that has exited."""
    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True).stdout)


def test_a_linked_build_folder_is_changed_where_it_lives_and_an_empty_folder_is_taken(tmp_path):
    from apt_hub.folder import transaction

    real = tmp_path / "disk" / "apt"
    real.mkdir(parents=True)  # empty: nothing to lose
    link = tmp_path / "apt"
    link.symlink_to(real, target_is_directory=True)
    with transaction(link) as staging:
        atomic_write(staging / "build.json", '{"configs": {}}\n')
    assert link.is_symlink() and (real / "build.json").is_file()
    assert sorted(p.name for p in real.parent.iterdir()) == ["apt"]


# The steps of an export of dpo: its lock, the staging copy, each file written, the exchange.
EXPORT_STEPS = ["lock", "staged", "write:hh-rlhf_train.json", "commit"]
EXPORT_STEPS += ["write:hh-rlhf_test.json", "write:ultrafeedback_train.json", "write:ultrafeedback_test.json"] * STRESS


def test_an_export_killed_at_any_step_leaves_every_old_file_then_a_rerun_converges(samples_build, tmp_path, cli_env):
    """The export folder is a transaction like the build folder: killed while it writes its files, it holds every
    old file (never some old and some new), and a file of the user's in it is kept."""
    small = tmp_path / "small"
    build_here(small, ["dpo"], ["--max-samples=3"])
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "notes.txt").write_text("mine\n")
    assert main(["export", str(small), "--output-dir", str(legacy), "--configs", "dpo"]) == 0
    before = snapshot(legacy)
    args = ["export", str(samples_build), "--output-dir", str(legacy), "--configs", "dpo"]
    for step in EXPORT_STEPS:
        killed = run(*args, **{KILL_AT: step})
        assert killed.returncode == -signal.SIGKILL, f"{step}: the export did not reach it: {killed.stderr[-500:]}"
        assert snapshot(legacy) == before, f"killed at {step}: the export folder changed"
    assert main(args) == 0
    after = snapshot(legacy)
    assert after.keys() == before.keys() and after != before and after["notes.txt"] == b"mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["legacy", "small"]  # the killed runs' copies removed


# ------------------------------------------------------------------------------------- writes that fail

# File size limits (ulimit -f, in bytes) at which a build of two configs fails at a different file each time.
SIZE_LIMITS = [1 << 10, 8 << 10, 24 << 10] + ([2 << 10, 4 << 10, 12 << 10, 16 << 10, 32 << 10] if STRESS else [])


def limited(size: int):
    """A subprocess hook: files past `size` bytes cannot be written (EFBIG; Python ignores SIGXFSZ)."""
    import resource

    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


@pytest.mark.parametrize("size", SIZE_LIMITS)
def test_a_file_past_the_size_limit_is_named_and_the_folder_stays(tmp_path, cli_env, size):
    out = tmp_path / "apt"
    build_here(out, ["ruozhiba"], ["--max-samples=5"])
    before = snapshot(out)
    result = subprocess.run(
        [sys.executable, "-m", "apt_hub.cli", *build_args(out, ["ruozhiba", "storm"], ["--max-samples=8"])],
        preexec_fn=limited(size),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"error: {out}/") and result.stderr.count("\n") == 1, result.stderr
    assert "File too large (larger than this process may write a file: see `ulimit -f`)" in result.stderr
    assert snapshot(out) == before
    assert_readable(out)
    build_here(out, ["ruozhiba", "storm"], ["--max-samples=8"])  # with room again: nothing left in the way
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt"]


# Bytes left free on a small file system at which a build fails at a different file each time (make stress: every
# 4 KiB page up to where the build fits).
FREE_BYTES = list(range(0, 320 << 10, 4 << 10)) if STRESS else [0, 24 << 10, 96 << 10]
FULL_DISK = """
import contextlib, io, json, os, pathlib, sys
sys.path.insert(0, {tests!r})
from test_folder import snapshot
from apt_hub.cli import main
from apt_hub.folder import leftovers

disk = {disk!r}
out = os.path.join(disk, "apt")
old = ["build", "ruozhiba", "--upstream=samples", "--max-samples=5", f"--build-dir={{out}}"]
commands = [
    ["build", "ruozhiba", "storm", "--upstream=samples", "--max-samples=8", f"--build-dir={{out}}"],
    ["card", out, "--repo-id=org/apt"],
    ["merge", "ruozhiba", "--output=mixed", f"--build-dir={{out}}"],
]
results = []
for free, args in [(free, args) for args in commands for free in {free!r}]:
    assert main(old) == 0
    before = snapshot(pathlib.Path(out))
    filler = os.path.join(disk, "filler")
    with open(filler, "wb", buffering=0) as file, contextlib.suppress(OSError):
        while True:
            file.write(b"0" * 4096)
    os.truncate(filler, max(0, os.path.getsize(filler) - free))
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(args)
    os.remove(filler)
    same = snapshot(pathlib.Path(out)) == before
    results.append({{"command": args[0], "free": free, "status": status, "err": err.getvalue(), "same": same,
                     "left": [p.name for p in leftovers(disk)]}})
print(json.dumps(results))
"""


def test_a_full_disk_is_named_and_the_folder_stays(tmp_path, cli_env):
    """A build, `card` and `merge` on a small file system (tmpfs, mounted in a user namespace: no root needed) that
    fills up at several points: one line naming the file that could not be written, and the folder as it was."""
    disk = tmp_path / "disk"
    disk.mkdir()
    script = FULL_DISK.format(tests=str(Path(__file__).parent), disk=str(disk), free=FREE_BYTES)
    shell = f'mount -t tmpfs -o size=4m none {disk} && exec {sys.executable} -c "$0"'
    try:
        result = subprocess.run(
            ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", shell, script],
            capture_output=True,
            text=True,
            timeout=600,
        )
    except FileNotFoundError:
        pytest.skip("no unshare here")
    if result.returncode and "mount" in result.stderr and not result.stdout:
        pytest.skip(f"no small file system can be made here: {result.stderr.strip()[:200]}")
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout.splitlines()[-1])
    assert [run_["status"] for run_ in runs[:3]] == [1, 1, 1]  # the build, with 96 KiB free at most
    for run_ in runs:
        assert run_["left"] == [] and "Traceback" not in run_["err"], run_
        if run_["status"] == 0:  # room enough
            assert run_["err"] == "", run_
            continue
        assert run_["status"] == 1, run_
        # A file of the folder, or beside it: its lock, a file moved in by one rename.
        assert run_["err"].startswith((f"error: {disk}/apt", f"error: {disk}/.apt")), run_
        assert run_["err"].count("\n") == 1, run_
        assert "No space left on device (the disk is full: free some space, then run this again)" in run_["err"]
        assert run_["same"], run_
