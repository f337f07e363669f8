"""A damaged build folder: one shard truncated or overwritten, a card whose YAML header was broken by hand. Every
command that reads what is damaged stops with one line naming the file and what to do, exit status 1, and leaves
the folder (and the Hub) as they were; `make fuzz` damages shards at random places."""

import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from test_folder import snapshot

from apt_hub.cli import main

SHARD = "data/dpo/train-00000-of-00001.parquet"  # read by every command: stats and the card cover each config


def commands(folder: Path) -> dict[str, list[str]]:
    return {
        "stats": ["stats", str(folder)],
        "card": ["card", str(folder)],
        "export": ["export", str(folder), "--output-dir", str(folder.parent / "old")],
        "merge": ["merge", "sft", "ruozhiba", "--output", "mixed", "--build-dir", str(folder)],
        "build": ["build", "storm", "--upstream", "samples", "--build-dir", str(folder)],
        "publish": ["publish", str(folder), "--repo-id", "alice/apt"],
    }


def footer_kept(data: bytes) -> bytes:
    """The pages overwritten, the footer (and its length and magic bytes) kept: pyarrow opens the file."""
    footer = int.from_bytes(data[-8:-4], "little") + 8
    pages = len(data) - footer - 4
    return data[:4] + (bytes(range(256)) * (pages // 256 + 1))[:pages] + data[-footer:]


DAMAGES = {
    "truncated": lambda data: data[: len(data) // 2],
    "empty": lambda data: b"",
    "garbage": lambda data: os.urandom(len(data)),
    "pages overwritten": footer_kept,
}


def run(args: list[str], capsys) -> tuple[int, str]:
    status = main(args)
    captured = capsys.readouterr()
    return status, captured.err


@pytest.fixture
def folder(samples_build, tmp_path, hub, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_alice_write")
    shutil.copytree(samples_build, tmp_path / "apt")
    return tmp_path / "apt"


def assert_one_line(status: int, err: str, *located: str) -> None:
    assert status == 1 and "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    for text in located:
        assert text in err, err


@pytest.mark.parametrize("command", ["stats", "card", "export", "merge", "build", "publish"])
def test_a_truncated_shard_is_one_line_naming_it_in_every_command(folder, hub, command, capsys):
    shard = folder / SHARD
    shard.write_bytes(DAMAGES["truncated"](shard.read_bytes()))
    before = snapshot(folder)
    status, err = run(commands(folder)[command], capsys)
    assert_one_line(status, err, f"{shard}: damaged parquet shard", "rebuild config 'dpo': apt-hub build dpo")
    assert snapshot(folder) == before and not (folder.parent / "old").exists() and hub.repos == {}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_each_kind_of_damaged_shard_is_named(folder, damage, capsys):
    shard = folder / SHARD
    shard.write_bytes(DAMAGES[damage](shard.read_bytes()))
    if damage == "pages overwritten":
        pq.ParquetFile(shard)  # the footer still reads: only the pages are damaged
    status, err = run(commands(folder)["stats"], capsys)
    assert_one_line(status, err, f"{shard}: damaged parquet shard")


def test_a_damaged_merged_config_is_made_again_by_its_merge(folder, capsys):
    assert run(commands(folder)["merge"], capsys)[0] == 0
    shard = folder / "data/mixed/train-00000-of-00001.parquet"
    shard.write_bytes(b"PAR1 not a parquet file PAR1")
    status, err = run(["stats", str(folder)], capsys)
    assert_one_line(status, err, f"{shard}: damaged parquet shard", "the apt-hub merge that made config 'mixed'")


def test_rebuilding_the_damaged_config_repairs_the_folder(folder, capsys):
    shard = folder / SHARD
    shard.write_bytes(DAMAGES["truncated"](shard.read_bytes()))
    assert run(["build", "dpo", "--upstream", "samples", "--build-dir", str(folder)], capsys)[0] == 0
    assert run(["stats", str(folder)], capsys)[0] == 0


HEADERS = {
    "a bracket left open": ("license: mit\nconfigs:\n  - config_name: [sft\n", 4),
    "an indented key": ("license: mit\n  pretty_name: x\n", 3),
    "a list, not a mapping": ("- license\n- mit\n", 2),
    "a number as a key": ("1: mit\n", 2),
}


@pytest.mark.parametrize("header", sorted(HEADERS))
@pytest.mark.parametrize("command", ["card", "merge", "build", "publish"])
def test_a_broken_card_header_is_one_line_naming_its_line(folder, hub, command, header, capsys):
    text, line = HEADERS[header]
    card = folder / "README.md"
    card.write_text(f"---\n{text}---\n\n# My notes\n", encoding="utf-8")
    before = snapshot(folder)
    status, err = run(commands(folder)[command], capsys)
    assert_one_line(status, err, f"{card}:{line}: the card's YAML header", f"fix the header at line {line}")
    assert snapshot(folder) == before and hub.repos == {}


def test_a_card_that_is_not_utf8_is_named_with_its_line(folder, capsys):
    card = folder / "README.md"
    card.write_bytes(b"---\nlicense: mit\n---\n\nmy \xff notes\n")
    status, err = run(["card", str(folder)], capsys)
    assert_one_line(status, err, f"{card}:5: not valid UTF-8")


def test_stats_and_export_do_not_need_the_card(folder, capsys):
    (folder / "README.md").write_text("---\nlicense: [mit\n---\n", encoding="utf-8")
    assert run(["stats", str(folder)], capsys)[0] == 0
    assert run(commands(folder)["export"], capsys)[0] == 0


@pytest.mark.skipif(not os.environ.get("APT_HUB_STRESS"), reason="make stress: a shard cut at every 32nd of it")
@pytest.mark.parametrize("command", ["stats", "card", "export", "merge", "build", "publish"])
def test_a_shard_cut_anywhere_is_one_line_in_every_command(folder, hub, command, capsys):
    shard = folder / SHARD
    data = shard.read_bytes()
    for at in range(0, len(data), max(1, len(data) // 32)):
        shard.write_bytes(data[:at])
        before = snapshot(folder)
        status, err = run(commands(folder)[command], capsys)
        assert_one_line(status, err, f"{shard}: damaged parquet shard")
        assert snapshot(folder) == before and hub.repos == {}, at
