"""`apt-hub menu`, driven through its input stream: every action runs the command it stands for."""

import io
import json

from apt_hub.cli import main
from apt_hub.cli.menu import Menu
from apt_hub.layout import read_record
from apt_hub.read.upstream import SAMPLES


def run(answers: list[str], stdin: io.TextIOBase | None = None) -> tuple[int, str]:
    out = io.StringIO()
    status = Menu(stdin=stdin or io.StringIO("".join(f"{a}\n" for a in answers)), stdout=out).run()
    return status, out.getvalue()


def test_a_session_builds_views_stats_validates_and_exports(tmp_path):
    out, legacy = tmp_path / "apt", tmp_path / "legacy"
    answers = [
        "x",  # not a choice: asked again
        "5", "nowhere", "samples",  # upstream: a missing directory is refused
        "2", "sfft", "2,loyalty",  # configs by number and by name
        "4", "-3", "abc", "3",  # max samples
        "6", str(out),
        "1",  # build
        "7",  # stats
        "9", str(tmp_path / "missing.json"), str(SAMPLES / "loyalty.json"),  # validate
        "10", str(legacy),  # export
        "0",
    ]  # fmt: skip
    status, text = run(answers)
    assert status == 0
    assert "Not a choice: 'x'. Type one of the numbers" in text
    assert "Expected hub, samples or an existing directory, got 'nowhere'." in text
    assert "Not one of the choices: 'sfft'." in text
    # the answers for an option are checked by its declaration, as on the command line
    assert "--max-samples must be a positive whole number, got -3" in text
    assert "--max-samples expects a whole number, got 'abc'" in text
    assert f"Built ruozhiba, loyalty into {out}" in text
    record = read_record(out)["configs"]
    assert record["ruozhiba"]["splits"]["train"]["rows"] == 3
    assert record["ruozhiba"]["options"]["max_samples"] == 3
    assert "ruozhiba  (text chars as mean/median/p95/max)" in text  # the stats command's table
    assert f"{SAMPLES / 'loyalty.json'}: OK, " in text
    assert sorted(p.name for p in legacy.iterdir()) == ["loyalty_template.json", "ruozhiba_train.json"]
    assert text.rstrip().endswith("Bye.")


def test_errors_of_an_action_are_shown_and_the_menu_goes_on(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"prompt": "p", "owner_response": "a", "public_response": "a"}], indent=2))
    status, text = run(["9", str(bad), "6", str(tmp_path / "empty"), "7", "0"])
    assert status == 0
    assert f"error: {bad}: 3 problem(s) in the loyalty file:" in text
    assert f"{bad}:4: field 'owner_response': equal to public_response" in text
    assert f"error: {tmp_path / 'empty'} is not a build folder (no build.json): build one first" in text
    assert text.count("apt-hub menu  (") == 4


def test_the_template_action_never_replaces_a_file_unasked(tmp_path):
    path = tmp_path / "mine.json"
    answers = ["5", "samples", "8", str(path), "4", "7", "9", str(path), "8", str(path), "2", "1", "maybe", "n", "0"]
    status, text = run(answers)
    assert status == 0
    assert f"Wrote 4 rows to {path}" in text
    assert f"{path}:4: field 'owner_response': placeholder" in text  # the validation that followed
    assert (
        "--force expects true or false (also yes/no, 1/0), got 'maybe'" in text and "Kept the existing file." in text
    )
    assert len(json.loads(path.read_text(encoding="utf-8"))) == 4


class Interrupting(io.StringIO):
    def readline(self, *args) -> str:
        raise KeyboardInterrupt


def test_ctrl_c_interrupts_and_the_end_of_input_leaves_cleanly(monkeypatch, capsys):
    assert run(["4"])[1].rstrip().endswith("Bye.")  # input ends in the middle of a question
    monkeypatch.setattr("sys.stdin", io.StringIO("0\n"))
    assert main(["menu"]) == 0
    monkeypatch.setattr("sys.stdin", Interrupting())
    assert main(["menu"]) == 130  # interrupted, as a build interrupted from the command line
    captured = capsys.readouterr()
    assert "Interrupted." in captured.out and captured.err == "interrupted\n" and "Traceback" not in captured.err


def test_the_build_action_asks_for_a_loyalty_file_off_the_samples(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "m-a-p").mkdir(parents=True)
    (mirror / "m-a-p" / "COIG-CQIA").symlink_to(SAMPLES / "m-a-p" / "COIG-CQIA")
    out = tmp_path / "apt"
    answers = ["5", str(mirror), "6", str(out), "2", "ruozhiba,loyalty", "1", str(tmp_path / "nope.json"), "", "0"]
    status, text = run(answers)
    assert f"No such file: '{tmp_path / 'nope.json'}'." in text
    assert f"Built ruozhiba into {out}" in text
    assert set(read_record(out)["configs"]) == {"ruozhiba"}


def test_a_failed_template_write_leaves_no_loyalty_file_behind(tmp_path):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    status, text = run(["5", "samples", "8", str(a_file / "loyalty.json"), "4", "7", "0"])
    assert status == 0 and "error: " in text and str(a_file) in text and "Traceback" not in text
    assert text.count("loyalty file: none") == 3  # before, after the failed write, and at the end


def test_a_fresh_template_is_not_built_until_it_validates(tmp_path):
    path, out = tmp_path / "mine.json", tmp_path / "apt"
    answers = ["5", "samples", "6", str(out), "2", "loyalty", "8", str(path), "3", "7", "1", "9", str(path), "0"]
    status, text = run(answers)
    assert status == 0
    assert f"Wrote 3 rows to {path}" in text and "The menu builds with it once it validates" in text
    assert f"Built loyalty into {out}" in text  # from the bundled example, not from the unfinished template
    assert read_record(out)["configs"]["loyalty"]["options"]["loyalty_file"] == "loyalty.json"
    assert f"{path}:4: field 'owner_response': placeholder" in text
    assert f"loyalty file: {path}" not in text  # the failed validation did not make it the build's file


def test_a_validated_file_becomes_the_loyalty_file_of_the_build(tmp_path):
    status, text = run(["9", str(SAMPLES / "loyalty.json"), "0"])
    assert status == 0 and f"loyalty file: {SAMPLES / 'loyalty.json'}" in text


def test_a_build_from_changed_upstream_files_asks_before_reading_them_as_they_are(tmp_path):
    import shutil

    upstream = tmp_path / "up"
    shutil.copytree(SAMPLES, upstream)  # a reduced copy, with its own manifests
    target = upstream / "m-a-p/COIG-CQIA/ruozhiba/ruozhiba_ruozhiba.jsonl"
    target.write_bytes(target.read_bytes().splitlines(keepends=True)[0])
    out = tmp_path / "apt"
    settings = ["5", str(upstream), "2", "ruozhiba", "6", str(out)]
    status, text = run([*settings, "1", "n", "0"])
    assert status == 0 and "ruozhiba_ruozhiba.jsonl: " in text and "Nothing built." in text and not out.exists()
    question = "Read upstream files that differ from their source's manifest, or that it does not list, as they are?"
    assert question in text
    status, text = run([*settings, "1", "y", "0"])
    assert f"Built ruozhiba into {out}" in text and "read as it is (--allow-changed-upstream)" in text
    assert read_record(out)["configs"]["ruozhiba"]["splits"]["train"]["rows"] == 1
