"""The benchmark's upstream mirror: the requested counts, deterministic, and built by `apt-hub build`.

Timings are never asserted here; they live in `make bench` and `bench/results.md`.
"""

import hashlib
from pathlib import Path

import pytest

from apt_hub.build import build
from bench.mirror import COIG_ROWS, HH_ROWS, S1K_ROWS, UF_ROWS, scaled, write_mirror

SCALE = 0.002


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("mirror")
    return root, write_mirror(root, scale=SCALE, seed=1)


def _digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def test_mirror_has_the_scaled_counts_of_every_subset_and_split(mirror):
    root, manifest = mirror
    coig = manifest["m-a-p/COIG-CQIA"]
    for subset, count in COIG_ROWS.items():
        assert sum(n for path, n in coig.items() if path.startswith(f"{subset}/")) == scaled(count, SCALE)
    assert coig["COIG-CQIA-full.jsonl"] == sum(scaled(n, SCALE) for n in COIG_ROWS.values())
    hh = manifest["Anthropic/hh-rlhf"]
    assert hh == {
        f"{s}/{split}.jsonl.gz": scaled(n, SCALE) for s, splits in HH_ROWS.items() for split, n in splits.items()
    }
    uf = manifest["HuggingFaceH4/ultrafeedback_binarized"]
    assert {path.split("/")[1].split("-")[0]: n for path, n in uf.items()} == {
        split: scaled(n, SCALE) for split, n in UF_ROWS.items()
    }
    assert list(manifest["simplescaling/s1K-1.1"].values()) == [scaled(S1K_ROWS, SCALE)]
    assert (root / "Anthropic/hh-rlhf/harmless-base/train.jsonl.gz").is_file()


def test_mirror_is_deterministic_for_a_seed(mirror, tmp_path):
    root, _ = mirror
    write_mirror(tmp_path / "again", scale=SCALE, seed=1)
    assert _digests(tmp_path / "again") == _digests(root)


def test_mirror_builds_with_every_row_counted(mirror, tmp_path):
    root, manifest = mirror
    report = build(upstream=str(root), output_dir=tmp_path / "out")
    assert set(report.configs) == {
        "sft",
        "ruozhiba",
        "dpo",
        "storm",
        "sft_chat",
        "ruozhiba_chat",
        "dpo_chat",
        "storm_chat",
    }
    rows = {
        (config, split, tag): counts["rows"]
        for config, entry in report.configs.items()
        for split, tags in entry["counts"].items()
        for tag, counts in tags.items()
    }
    # Checked against the mirror's own manifests, every file's size and sha256, without a note.
    assert not [note for note in report.notes if "--allow-changed-upstream" in note]
    for entry in report.configs.values():
        assert {s["manifest"]["against"] for s in entry["sources"].values()} == {"copy"}
        assert all(s["manifest"]["hashed"] == len(s["files"]) for s in entry["sources"].values())
    coig = manifest["m-a-p/COIG-CQIA"]
    for subset in COIG_ROWS:
        expected = sum(n for path, n in coig.items() if path.startswith(f"{subset}/"))
        assert rows["sft", "train", f"coig-cqia/{subset}"] == expected
    assert rows["ruozhiba", "train", "coig-cqia/ruozhiba"] == coig["ruozhiba/ruozhiba_ruozhiba.jsonl"]
    for path, n in manifest["Anthropic/hh-rlhf"].items():
        subset, split = path.split("/")[0], path.split("/")[1].split(".")[0]
        assert rows["dpo", split, f"hh-rlhf/{subset}"] == n
    uf = {path.split("/")[1].split("-")[0]: n for path, n in manifest["HuggingFaceH4/ultrafeedback_binarized"].items()}
    assert rows["dpo", "train", "ultrafeedback"] == uf["train_prefs"]
    assert rows["dpo", "test", "ultrafeedback"] == uf["test_prefs"]
    assert rows["storm", "train", "s1k"] == scaled(S1K_ROWS, SCALE)
    for config, entry in report.configs.items():
        for split, info in entry["splits"].items():
            assert info["rows"] == sum(c["kept"] for c in entry["counts"][split].values()), (config, split)
    # As large as real configs: prompts repeat as rarely as upstream's, within a split or between train and test,
    # and UltraFeedback's texts carry no hh-rlhf role markers.
    dpo = [(tag, counts) for tags in report.configs["dpo"]["counts"].values() for tag, counts in tags.items()]
    for tag, counts in dpo:
        repeats = {k: n for k, n in counts.items() if k.endswith(("duplicate", "duplicate_prompt", "test_overlap"))}
        assert not repeats, (tag, repeats)
    roles = {tag: sum(n for k, n in counts.items() if k.startswith("dropped_") and "role" in k) for tag, counts in dpo}
    hh = [(roles[tag], counts["rows"]) for tag, counts in dpo if tag.startswith("hh-rlhf/")]
    assert roles["ultrafeedback"] == 0 and sum(r for r, _ in hh) <= 0.05 * sum(n for _, n in hh), roles


def _step(seconds: float, rss: float = 100.0) -> dict:
    return {"seconds": seconds, "rss_mb": rss}


@pytest.mark.parametrize("build_seconds", [1.2, 9.0])
def test_report_analysis_is_computed_from_the_figures(tmp_path, build_seconds):
    from bench.report import targets, write_report

    results = {
        1.0: {
            "floor": _step(1.0),
            "build": _step(build_seconds),
            "output_floor": _step(0.8),
            "build_no_card": _step(build_seconds - 0.1),
            "build_no_checks": _step(build_seconds / 1.5),
            "old_way": _step(20.0),
            "scan": _step(0.5),
            "stats": _step(0.8),
        }
    }
    write_report(tmp_path / "results.md", results=results, machine="m", seconds=1, command="c", measured="now")
    text = (tmp_path / "results.md").read_text()
    rows = [row for row in targets(results) if not row[0].startswith("(")]
    met = sum(row[2] for row in rows)
    assert f"{met} of {len(rows)} targets met." in text
    assert ("Not met: build within 2x of the output floor (aim 1.5x)" in text) == (build_seconds > 1.6)
    assert "the quality checks add at most 20% to the build (+50%)" in text


def test_the_output_floor_writes_the_files_of_the_build_byte_for_byte(samples_build, tmp_path):
    """The floor the build is measured against writes what the build writes, with its writer: were the build's
    parquet settings or row groups to change without the floor's, this fails."""
    from apt_hub.read.upstream import SAMPLES
    from bench.floor import check, output_floor, prepare
    from bench.run import write_inputs

    inputs = write_inputs(SAMPLES, tmp_path / "inputs.json")
    prepare(str(samples_build), str(tmp_path / "prepared"))
    output_floor(str(inputs), str(tmp_path / "prepared"), str(tmp_path / "floor"))
    check(str(samples_build), str(tmp_path / "floor"))  # raises SystemExit naming the files that differ
    assert len(list((tmp_path / "floor").glob("data/*/*.parquet"))) == len(
        list(samples_build.glob("data/*/*.parquet"))
    )
