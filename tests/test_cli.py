"""The command line is checked against each command's signature before anything runs, through the real entry point."""

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

from apt_hub import __version__
from apt_hub.cli import COMMANDS, bound, check_words, command_spec, main
from apt_hub.configs import CONFIGS
from apt_hub.options import parse_docstring

BUILD_FOLDER_COMMANDS = ("build", "stats", "card", "publish", "export", "merge")


def run(args: list[str], capsys) -> tuple[int, str, str]:
    status = main(args)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize(
    "args, message",
    [
        (["build", "sft", "--max-sample", "3"], "unknown option --max-sample (did you mean --max-samples?)"),
        (["publish", "dist/apt", "--repo-id", "a/b", "--dryrun"], "unknown option --dryrun (did you mean --dry-run?)"),
        (["build", "-n", "2"], "unknown option -n: the only short option is -h"),
        (["stats", "--verbose"], "unknown option --verbose; apt-hub stats --help lists them"),
        (["biuld"], "unknown command biuld (did you mean build?)"),
        (["build", "--max-samples", "x"], "--max-samples expects a whole number, got 'x'"),
        (["build", "--max-samples"], "--max-samples needs a value (N)"),
        (["build", "--max-samples", "0"], "--max-samples must be a positive whole number, got 0"),
        (["build", "loyalty", "--upstream", "hub"], "The loyalty config needs --loyalty-file (make one"),
        (["build", "--num-proc", "0"], "--num-proc must be a positive whole number, got 0"),
        (["build", "--num-proc=-1"], "--num-proc must be a positive whole number, got -1"),
        (["build", "SFT"], f"config must be one of {', '.join(CONFIGS)}; got 'SFT' (did you mean 'sft'?)"),
        (["build", "sft,dpo"], f"config must be one of {', '.join(CONFIGS)}; got 'sft,dpo' (give them as separate"),
        (["build", "--seed", "1", "--max-samples", "2", "--seed", "3"], "--seed is given twice"),
        (["build", "--storm-trace", "gmini"], "--storm-trace must be one of deepseek, gemini; got 'gmini' (did"),
        (["build", "--on-bad-rows=ignore"], "--on-bad-rows must be one of error, skip; got 'ignore'"),
        (["build", "sft", "--storm-trace", "gemini"], "--storm-trace applies to storm, which is not among"),
        (["build", "sft", "--loyalty-file", "l.json"], "--loyalty-file applies to loyalty, which is not"),
        (["build", "--seed", "7"], "--seed only chooses the rows of --max-samples: add"),
        (["publish", "--public=maybe"], "--public expects true or false (also yes/no, 1/0), got 'maybe'"),
        (["publish", "d", "--repo-id", "a/b", "--public", "x"], "--public expects true or false (also yes/no, 1/"),
        (["publish", "--public", "x", "--dry-run"], "--public expects true or false (also yes/no, 1/0), got 'x'"),
        (["publish", "--dry-run", "--public", "x"], "--public expects true or false (also yes/no, 1/0), got 'x'"),
        (["loyalty-template", "--reward-bonus", "nan"], "--reward-bonus expects a finite number, got 'nan'"),
        (["validate"], "apt-hub validate needs FILE"),
        (["merge", "sft"], "apt-hub merge needs --output OUTPUT"),
        (["merge", "sft", "--output", "x", "--seed", "7"], "--seed only chooses the rows of --weights or --fractions"),
        (["stats", "a", "b"], "apt-hub stats takes [BUILD_DIR]; unexpected: b"),
        (["stats", "a", "--build-dir", "b"], "apt-hub stats takes no argument; unexpected: a"),
        (["stats", "--build-dir", "a", "--output-dir", "b"], "--build-dir is given twice"),
        (["build", "sfty"], "config must be one of sft, ruozhiba, dpo, storm, loyalty, sft_chat, ruozhiba_chat, "
                            "dpo_chat, storm_chat; got 'sfty' (did you mean 'sft'?)"),
        (["build", "--drop", "duplicat"], "--drop must be one of response_role_prefix, "),
        (["build", "--drop", "duplicate", "--keep", "duplicate"], "A check given to both --drop and --keep: dup"),
        (["build", "--upstream", "sample"], "--upstream must be hub, samples or a directory; got 'sample', which is "
                                            "no directory (did you mean 'samples'?)"),
    ],
)  # fmt: skip
def test_a_wrong_command_line_stops_with_one_line_before_anything_runs(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(args, capsys)
    assert status == 2
    assert err.startswith(f"error: {message}") and err.count("\n") == 1, err
    assert out == "" and list(tmp_path.iterdir()) == []  # nothing was built, downloaded or written


@pytest.mark.parametrize(
    "word, value", [("true", True), ("YES", True), ("1", True), ("No", False), ("false", False), ("0", False)]
)
def test_booleans_take_true_false_yes_no_1_0_in_any_case(word, value):
    assert called("loyalty-template", [f"--force={word}"])[1]["force"] is value
    assert called("loyalty-template", ["--force", word, "--n", "3"])[1] == {"force": value, "n": 3}
    assert called("loyalty-template", ["--force"])[1]["force"] is True


def called(name: str, args: list[str]) -> tuple[list, dict]:
    """What a command is called with through fire and its declaration, the command itself replaced by a probe."""
    import fire

    calls = []
    spec = command_spec(name)
    spec.function = lambda *values, **given: calls.append((list(values), given))
    check_words(spec, args)
    fire.Fire({name: bound(spec)}, command=[name, *args])
    return calls[0]


def test_values_keep_their_text_and_numbers_their_type():
    configs, given = called("build", ["sft", "--only", "1234567", "--max-samples=7.0", "--seed", "-1", "dpo"])
    assert configs == ["sft", "dpo"]
    # fire alone would have made `only` the number 1234567
    assert given == {"only": ("1234567",), "max_samples": 7, "seed": -1}


@pytest.mark.parametrize(
    "args, message",
    [
        (["publish", "dist/apt", "org/apt", "yes"], "apt-hub publish takes [BUILD_DIR]; unexpected: org/apt yes"),
        (["loyalty-template", "t.json", "yes"], "apt-hub loyalty-template takes [OUTPUT]; unexpected: yes"),
        (["build", "sft", "--", "dpo"], "apt-hub build takes no '--'"),
        (["stats", "-"], "apt-hub stats takes no '-'"),
        (["build", "sfty"], "config must be one of sft, ruozhiba, dpo"),
        (["build", "--drop", "graded_wrng"], "--drop must be one of"),
    ],
)
def test_options_are_keyword_only_and_words_are_checked(args, message, capsys, tmp_path, monkeypatch, hub):
    """An option given positionally is refused before anything runs: `publish DIR REPO yes` made a public
    repository once; nothing reaches the Hub now."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_TOKEN", "hf_alice_write")
    status, out, err = run(args, capsys)
    assert status == 2 and message in err and err.count("\n") == 1, err
    assert list(tmp_path.iterdir()) == [] and not hub.requests


def test_the_build_folder_is_build_dir_in_every_command_and_output_dir_still_works(samples_build, tmp_path, capsys):
    for name in BUILD_FOLDER_COMMANDS:
        assert re.search(r"^  --build-dir BUILD_DIR", command_spec(name).help(), flags=re.MULTILINE), name
    stats = [run(["stats", flag, str(samples_build)], capsys) for flag in ("--build-dir", "--output-dir")]
    assert stats[0][0] == stats[1][0] == 0 and stats[0][1] == stats[1][1]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_help_speaks_in_flags_with_readable_types_and_no_generated_short_flags(command, capsys):
    status, out, err = run([command, "--help"], capsys)
    assert status == 0 and err == ""
    assert out.startswith(f"usage: apt-hub {command}")
    assert not re.search(r"--\w+_", out), "flags are spelt with dashes"
    assert "Optional" not in out and "INFO:" not in out and "None" not in out
    flags = set(re.findall(r"^  (-\S+)", out, flags=re.MULTILINE))
    assert {flag for flag in flags if not flag.startswith("--")} == {"-h,"}
    spec = command_spec(command)
    for option in spec.options.values():
        assert option.flag in out and option.help.split()[0] in out


def test_version_and_the_overview(capsys):
    assert run(["--version"], capsys) == (0, f"apt-hub {__version__}\n", "")
    status, out, _ = run([], capsys)
    assert status == 0
    for command in COMMANDS:  # summaries read from the source without importing equal the docstrings' own
        assert f"  {command:<17} {command_spec(command).summary}\n" in out


def test_docstring_continuation_lines_with_colons_stay_in_their_argument():
    summary, helps = parse_docstring(command_spec("build").function.__doc__)
    assert summary.startswith("Build configs")
    assert helps["upstream"].endswith("a directory laid out like the Hub: DIR/<org>/<name>/<path in repo>.")
    assert "laid" not in helps


def test_help_in_a_terminal_opens_no_pager(tmp_path):
    """fire pages its help through `less` on a terminal; the help of apt-hub is printed."""
    marker = tmp_path / "paged"
    env = {**os.environ, "PAGER": f"touch {marker}", "TERM": "xterm"}
    controller, terminal = pty.openpty()
    script = [sys.executable, "-c", "import sys; from apt_hub.cli import main; sys.exit(main())", "build", "--help"]
    process = subprocess.run(script, stdin=terminal, stdout=terminal, stderr=terminal, env=env, timeout=60)
    os.close(terminal)
    output = b""
    while chunk := _read(controller):
        output += chunk
    os.close(controller)
    assert process.returncode == 0
    assert b"--build-dir BUILD_DIR" in output and b"INFO:" not in output
    assert not marker.exists()


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the terminal closed
        return b""


def test_file_system_errors_are_one_line_naming_the_path(samples_build, tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    status, _, err = run(["export", str(samples_build), "--output-dir", str(a_file)], capsys)
    assert status == 1 and err.startswith("error: ") and err.count("\n") == 1 and str(a_file) in err
    status, _, err = run(["stats", str(a_file / "apt")], capsys)
    assert status in (1, 2) and "Traceback" not in err and err.count("\n") == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="permission bits do not stop root")
def test_a_read_only_build_folder_is_one_line(samples_build, tmp_path, capsys):
    import shutil

    folder = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    (folder / "stats.json").unlink(missing_ok=True)
    folder.chmod(0o555)
    try:
        status, _, err = run(["stats", str(folder)], capsys)
    finally:
        folder.chmod(0o755)
    assert status == 1 and err == f"error: {folder / 'stats.json'}: Permission denied\n"


@pytest.mark.parametrize(
    ("only", "hint"),
    [
        ([], "To build without hh-rlhf: --only ultrafeedback."),
        (
            ["--only", "hh-rlhf"],
            "hh-rlhf is the only source of dpo in this build: to build without it, leave dpo out.",
        ),
    ],
)
def test_a_missing_upstream_file_says_how_to_build_without_its_source(tmp_path, capsys, only, hint):
    from apt_hub.read.upstream import SAMPLES

    mirror = tmp_path / "mirror"
    (mirror / "Anthropic" / "hh-rlhf").mkdir(parents=True)
    (mirror / "Anthropic" / "hh-rlhf" / "helpful-base").symlink_to(SAMPLES / "Anthropic/hh-rlhf/helpful-base")
    (mirror / "HuggingFaceH4").mkdir()
    (mirror / "HuggingFaceH4" / "ultrafeedback_binarized").symlink_to(
        SAMPLES / "HuggingFaceH4/ultrafeedback_binarized"
    )
    status, _, err = run(
        ["build", "dpo", "--upstream", str(mirror), "--build-dir", str(tmp_path / "out"), *only], capsys
    )
    assert status == 1 and err.startswith("error: Upstream files are not as the build needs them")
    assert err.rstrip().endswith(hint) and "helpful-online/test.jsonl.gz: missing" in err
    assert "Use --only" not in err and not (tmp_path / "out").exists()


@pytest.mark.skipif(not Path("/sys/kernel").is_dir(), reason="needs sysfs, where no one may create a file")
@pytest.mark.parametrize(
    "args",
    [
        ["export", "{build}", "--output-dir", "/sys/apt-hub-export"],
        ["build", "ruozhiba", "--upstream", "samples", "--build-dir", "/sys/apt-hub-build"],
        ["loyalty-template", "--output", "/sys/apt-hub-loyalty.json", "--upstream", "samples", "--n", "2"],
    ],
)
def test_a_folder_no_one_may_write_is_one_line_even_for_root(args, samples_build, capsys):
    status, _, err = run([arg.format(build=samples_build) for arg in args], capsys)
    assert status == 1 and re.fullmatch(r"error: /sys/\S+: [A-Z][^\n]+\n", err)


# The start of a script of apt-hub commands that may not take more than 3 GB of address space (the libraries take
# most of it), for the tests of what could otherwise fill the machine's memory.
LIMITED = (
    "import resource, sys\nfrom apt_hub.cli import main\nresource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
)
# Each command that reads a file given by name, with the file and what it says of a folder or a device there.
GIVEN_FILES = [
    (["validate", "{}"], "Loyalty file {} is {}"),
    (["build", "loyalty", "--loyalty-file", "{}", "--build-dir", "out"], "Loyalty file {} is {}"),
    (["sources", "--sources-file", "{}"], "Sources file {} is {}"),
    (["build", "sft", "--decontaminate", "{}:question", "--build-dir", "out"], "the benchmark file {} is {}"),
    (["loyalty-template", "--output", "{}", "--upstream", "samples", "--force"], "--output {} is {}"),
]  # fmt: skip


def test_a_folder_a_device_or_a_pipe_given_as_a_file_is_named_as_what_it_is(tmp_path):
    """Never "not found", and never read: /dev/zero has no end and a named pipe waits for a writer. The commands
    run in one process with a memory limit and a timeout, so a regression fails instead of filling the machine."""
    os.mkfifo(tmp_path / "pipe.jsonl")
    (tmp_path / "folder.jsonl").mkdir()
    (tmp_path / "zero.jsonl").symlink_to("/dev/zero")  # a name the command accepts, on a character device
    kinds = {"folder.jsonl": "a directory, not a file", "zero.jsonl": "a character device, not a regular file"}
    kinds["pipe.jsonl"] = "a named pipe, not a regular file"
    argvs = [[arg.format(name) for arg in args] for args, _ in GIVEN_FILES for name in kinds]
    script = LIMITED + f"for argv in {argvs!r}:\n    print(main(argv), file=sys.stderr)\n"
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.stderr and len(lines) == 2 * len(argvs), result.stderr
    expected = [message.format(name, kind) for _, message in GIVEN_FILES for name, kind in kinds.items()]
    for index, message in enumerate(expected):
        assert lines[2 * index].startswith("error: ") and message in lines[2 * index], (argvs[index], lines[2 * index])
        assert lines[2 * index + 1] == "1", argvs[index]
    assert not (tmp_path / "out").exists()


def test_running_out_of_memory_is_one_line(tmp_path):
    """A loyalty file of 200 MB, validated by a process that may take only 64 MB more address space than it has
    once started: the read fails, and the command says so in one line."""
    path = tmp_path / "loyalty.json"
    with path.open("wb") as file:
        file.write(b"[" + b" " * (200 << 20) + b"]")
    script = (
        "import resource, sys\nfrom apt_hub.cli import main\nimport apt_hub.loyalty\n"
        "size = int(open('/proc/self/status').read().split('VmSize:')[1].split()[0]) << 10\n"
        "resource.setrlimit(resource.RLIMIT_AS, (size + (64 << 20),) * 2)\n"
        f"sys.exit(main(['validate', {str(path)!r}]))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("error: out of memory: ") and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "args",
    [
        ["stats"],
        ["card"],
        ["publish", "--repo-id=org/apt", "--dry-run"],
        ["export", "--output-dir=legacy"],
        ["build", "sft", "--upstream=samples"],
    ],
)
def test_a_folder_inside_a_build_folder_names_the_build_folder(samples_build, capsys, monkeypatch, args):
    monkeypatch.chdir(samples_build.parent)
    command, *options = args
    build_dir = ["--build-dir=apt/data"] if command == "build" else ["apt/data"]
    assert main([command, *build_dir, *options]) != 0
    again = "apt-hub build --build-dir apt" if command == "build" else f"apt-hub {command} apt"
    assert capsys.readouterr().err == f"error: apt/data is inside the build folder apt: {again}\n"


@pytest.mark.parametrize("command", ["stats", "card", "export"])
def test_a_folder_that_is_no_build_is_not_offered_to_build_into_unless_empty(tmp_path, capsys, command):
    assert main([command, str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"error: {tmp_path} is not a build folder (no build.json): build one first: apt-hub build --build-dir "
        f"{tmp_path}\n"
    )
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert main([command, str(tmp_path)]) == 1
    assert capsys.readouterr().err == (
        f"error: {tmp_path} is not a build folder (no build.json): give the folder that apt-hub build wrote\n"
    )
