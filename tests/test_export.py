"""`apt-hub export`: a build as the old tool's JSON files, which the APT trainer reads unchanged."""

import json
from pathlib import Path

import datasets
import pytest

from apt_hub.cli import main
from apt_hub.errors import AptHubError
from apt_hub.export import export
from apt_hub.layout import read_record
from apt_hub.merge import merge

# The fields of the old tool's files, in its order: what the APT trainer reads.
OLD_FIELDS = {
    "sft": ("prompt", "response", "source"),
    "dpo": ("prompt", "chosen", "rejected", "source"),
    "storm": ("problem", "cot_explicit", "answer", "source"),
    "loyalty": ("prompt", "owner_response", "public_response", "is_owner", "reward_bonus"),
}

OLD_FILES = {
    "coig-cqia_train.json": ("sft", "sft", "coig-cqia"),
    "ruozhiba_train.json": ("ruozhiba", "sft", None),
    "s1k_train.json": ("storm", "storm", "s1k"),
    "hh-rlhf_train.json": ("dpo", "dpo", "hh-rlhf"),
    "hh-rlhf_test.json": ("dpo", "dpo", "hh-rlhf"),
    "ultrafeedback_train.json": ("dpo", "dpo", "ultrafeedback"),
    "ultrafeedback_test.json": ("dpo", "dpo", "ultrafeedback"),
    "loyalty_template.json": ("loyalty", "loyalty", None),
}


@pytest.fixture(scope="module")
def exported(samples_build, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "apt_datasets"
    export(samples_build, output_dir=out)
    return out


def built_rows(root: Path, config: str, split: str, source: str | None) -> list[dict]:
    rows = datasets.load_dataset(str(root), config, split=split).to_list()
    return [r for r in rows if source is None or r["id"].split(":")[0] == source]


def test_the_old_file_names_and_nothing_else(exported):
    assert sorted(p.name for p in exported.iterdir()) == sorted(OLD_FILES)


@pytest.mark.parametrize("name", sorted(OLD_FILES))
def test_each_file_is_a_json_array_of_exactly_the_old_fields(samples_build, exported, name):
    config, stage, source = OLD_FILES[name]
    text = (exported / name).read_text(encoding="utf-8")
    with open(exported / name, encoding="utf-8") as file:
        rows = json.load(file)
    assert text == json.dumps(rows, ensure_ascii=False, indent=2)  # the old tool's json.dump, UTF-8 unescaped
    split = "test" if name.endswith("_test.json") else "train"
    expected = built_rows(samples_build, config, split, source)
    assert len(rows) == len(expected) > 0
    fields = OLD_FIELDS[stage]  # loyalty: its five fields, as the old tool wrote them
    assert [list(r) for r in rows] == [list(fields)] * len(rows)
    assert rows == [{field: r[field] for field in fields} for r in expected]


def test_chinese_text_is_written_unescaped(exported):
    text = (exported / "ruozhiba_train.json").read_text(encoding="utf-8")
    assert "\\u" not in text and any("\u4e00" <= char <= "\u9fff" for char in text)


def test_a_merged_config_exports_under_its_own_name(samples_build, tmp_path):
    import shutil

    root = tmp_path / "apt"
    shutil.copytree(samples_build, root)
    merge(["hh-rlhf", "ultrafeedback"], output="prefs", build_dir=root)
    written = export(root, output_dir=tmp_path / "out", configs="prefs")
    assert [(w.path.name, w.rows) for w in written] == [
        ("prefs_test.json", read_record(root)["configs"]["prefs"]["splits"]["test"]["rows"]),
        ("prefs_train.json", read_record(root)["configs"]["prefs"]["splits"]["train"]["rows"]),
    ]
    rows = json.loads((tmp_path / "out/prefs_train.json").read_text(encoding="utf-8"))
    assert set(rows[0]) == set(OLD_FIELDS["dpo"])


def test_export_command_writes_and_reports(samples_build, tmp_path, capsys):
    out = tmp_path / "legacy"
    assert main(["export", str(samples_build), "--output-dir", str(out), "--configs", "storm,loyalty"]) == 0
    printed = capsys.readouterr().out
    assert "s1k_train.json: " in printed and "loyalty_template.json: " in printed
    assert sorted(p.name for p in out.iterdir()) == ["loyalty_template.json", "s1k_train.json"]
    assert main(["export", str(samples_build), "--output-dir", str(out), "--configs", "storm"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["loyalty_template.json", "s1k_train.json"]  # no temp files


def test_errors_name_the_folder_and_the_choices(samples_build, tmp_path):
    with pytest.raises(AptHubError, match="is not a build folder"):
        export(tmp_path, output_dir=tmp_path / "out")
    with pytest.raises(AptHubError, match=r"a config of .* must be one of dpo, loyalty, .*; got 'sfft' \(did you"):
        export(samples_build, output_dir=tmp_path / "out", configs=["sfft"])
    assert not (tmp_path / "out").exists()


def test_an_output_folder_holding_the_build_folder_or_the_current_one_is_refused(
    samples_build, tmp_path, capsys, monkeypatch
):
    """Replaced in one step, such a folder would take the build folder, or the shell's folder, along."""
    import shutil

    build = Path(shutil.copytree(samples_build, tmp_path / "dist" / "apt"))
    assert main(["export", str(build), "--output-dir", str(tmp_path / "dist")]) == 1
    assert capsys.readouterr().err.startswith(f"error: --output-dir {tmp_path / 'dist'} holds the build folder")
    assert main(["export", str(build), "--output-dir", str(tmp_path)]) == 1  # a parent of it too
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["export", str(build), "--output-dir", "."]) == 1
    assert "refusing to replace the current folder" in capsys.readouterr().err
    assert sorted(p.name for p in here.iterdir()) == []
