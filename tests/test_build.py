"""`apt-hub build` end to end: from the bundled samples, a Hub-layout directory and a Hub-compatible server."""

import gzip
import json
import re
import shutil
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard

from apt_hub.build import build, format_report
from apt_hub.chat import join_transcript
from apt_hub.clean.checks import trim
from apt_hub.cli import main
from apt_hub.configs import CONFIGS
from apt_hub.errors import AptHubError, BadRowError, UpstreamError
from apt_hub.layout import read_record
from apt_hub.read.manifest import COPY_SUFFIX
from apt_hub.read.upstream import SAMPLES
from apt_hub.sources import SOURCES

UNIFIED_FIELDS = {
    "sft": ["prompt", "response", "source", "task_type"],
    "ruozhiba": ["prompt", "response", "source", "task_type"],
    "dpo": ["prompt", "chosen", "rejected", "source"],
    "storm": ["problem", "cot_explicit", "answer", "solution", "source"],
    "loyalty": ["prompt", "owner_response", "public_response", "is_owner", "reward_bonus"],
    "sft_chat": ["prompt", "completion", "source", "task_type"],
    "ruozhiba_chat": ["prompt", "completion", "source", "task_type"],
    "dpo_chat": ["prompt", "chosen", "rejected", "source"],
    "storm_chat": ["prompt", "completion", "answer", "solution", "source"],
}


@pytest.fixture
def mirror(tmp_path) -> Path:
    """A writable copy of the bundled samples, laid out like the Hub, without the samples' own manifests: a folder
    like a download, whose files a test changes (`test_manifest.py` checks copies and downloads)."""
    root = tmp_path / "mirror"
    shutil.copytree(SAMPLES, root, ignore=shutil.ignore_patterns("loyalty.json", f"*{COPY_SUFFIX}"))
    return root


def rows(root: Path, config: str, split: str = "train") -> list[dict]:
    return datasets.load_dataset(str(root), config, split=split).to_list()


@pytest.mark.parametrize("config", CONFIGS)
def test_every_config_loads_with_its_unified_fields(samples_build, config):
    record = read_record(samples_build)["configs"][config]
    for split, info in record["splits"].items():
        loaded = datasets.load_dataset(str(samples_build), config, split=split)
        assert loaded.column_names[: len(UNIFIED_FIELDS[config])] == UNIFIED_FIELDS[config]
        assert loaded.features == CONFIGS[config].features
        assert len(loaded) == info["rows"] > 0
        assert len(set(loaded["id"])) == len(loaded)
        kept = sum(counts["kept"] for counts in record["counts"][split].values())
        assert kept == info["rows"]


def test_sft_reads_every_subset_folder_and_never_the_root_file(samples_build):
    sft = rows(samples_build, "sft")
    subsets = {row["source"] for row in sft}
    assert subsets == {f"coig-cqia/{p.name}" for p in (SAMPLES / "m-a-p/COIG-CQIA").iterdir() if p.is_dir()}
    assert not any("COIG-CQIA-full" in row["id"] for row in sft)
    assert len({(row["prompt"], row["response"]) for row in sft}) == len(sft)
    ruozhiba = rows(samples_build, "ruozhiba")
    assert {row["source"] for row in ruozhiba} == {"coig-cqia/ruozhiba"}
    assert {row["id"] for row in ruozhiba} <= {row["id"] for row in sft}


def test_record_names_sources_commits_and_options(samples_build):
    record = read_record(samples_build)["configs"]["dpo"]
    assert set(record["sources"]) == {"hh-rlhf", "ultrafeedback"}
    assert record["sources"]["hh-rlhf"]["repo_id"] == "Anthropic/hh-rlhf"
    assert record["sources"]["hh-rlhf"]["revision"] == SOURCES["hh-rlhf"].revision
    assert "harmless-base/train.jsonl.gz" in record["sources"]["hh-rlhf"]["files"]
    assert record["options"]["upstream"].startswith("samples")
    assert set(record["counts"]) == {"train", "test"}


def test_readme_yaml_lists_every_config_and_split(samples_build):
    card = datasets.load_dataset_builder(str(samples_build), "dpo")
    assert set(card.config.data_files) == {"train", "test"}
    configs = DatasetCard.load(samples_build / "README.md").data.configs
    assert sorted(entry["config_name"] for entry in configs) == sorted(CONFIGS)


def test_directory_upstream_gives_the_same_rows_as_samples(samples_build, mirror, tmp_path):
    out = tmp_path / "apt"
    build(["dpo", "storm"], upstream=str(mirror), output_dir=out)
    for config in ("dpo", "storm"):
        assert rows(out, config) == rows(samples_build, config)


def test_hub_upstream_gives_the_same_rows_as_samples(samples_build, hub, tmp_path):
    for source in SOURCES.values():
        revision = source.revision if len(source.revision) == 40 else None
        hub.add_repo(source.repo_id, SAMPLES / source.repo_id, sha=revision)
    out = tmp_path / "apt"
    report = build(["sft", "dpo", "storm"], upstream="hub", output_dir=out)
    for config in ("sft", "dpo", "storm"):
        assert rows(out, config) == rows(samples_build, config)
    commits = {name: entry["commit"] for name, entry in report.configs["dpo"]["sources"].items()}
    assert commits == {"hh-rlhf": SOURCES["hh-rlhf"].revision, "ultrafeedback": SOURCES["ultrafeedback"].revision}
    downloads = [r["path"] for r in hub.requests if r["method"] == "GET" and "/resolve/" in r["path"]]
    assert not any("COIG-CQIA-full" in path or "red-team" in path for path in downloads)


def test_only_takes_a_subset_as_the_counts_name_it(samples_build, hub, tmp_path, capsys):
    """`--only hh-rlhf/helpful-base` reads that subset's files only (none other is downloaded); the subset of
    COIG-CQIA that feeds `ruozhiba` can be all of `sft` too; build.json and the card record the choice."""
    for source in SOURCES.values():
        revision = source.revision if len(source.revision) == 40 else None
        hub.add_repo(source.repo_id, SAMPLES / source.repo_id, sha=revision)
    out = tmp_path / "apt"
    build(["dpo", "sft"], upstream="hub", output_dir=out, only="hh-rlhf/helpful-base,coig-cqia/ruozhiba")
    expected = [r for r in rows(samples_build, "dpo") if r["source"] == "hh-rlhf/helpful-base"]
    assert {r["source"] for r in rows(out, "dpo")} == {"hh-rlhf/helpful-base"}
    built = [r["prompt"] for r in rows(out, "dpo")]
    # the rows of the full build, in order; a few more whose duplicate was of another subset
    assert [p for p in built if p in {r["prompt"] for r in expected}] == [r["prompt"] for r in expected]
    assert len(expected) < len(built) <= len(expected) + 2
    assert {r["source"] for r in rows(out, "sft")} == {"coig-cqia/ruozhiba"}
    downloads = {r["path"].split("/resolve/")[1] for r in hub.requests if "/resolve/" in r["path"]}
    assert not any("harmless" in path or "helpful-online" in path for path in downloads), downloads
    assert not any(path.endswith(".jsonl") and "ruozhiba" not in path for path in downloads), downloads
    record = read_record(out)["configs"]["dpo"]["options"]
    assert record["only"] == ["hh-rlhf/helpful-base", "coig-cqia/ruozhiba"]
    card = (out / "README.md").read_text("utf-8")
    assert re.search(r"\| `dpo` \| hub \(http://127.0.0.1:\d+\) \| hh-rlhf/helpful-base, coig-cqia/ruozhiba \|", card)
    status = main(["build", "dpo", "--upstream", "hub", "--build-dir", str(out), "--only", "hh-rlhf/helpfull-base"])
    assert status == 2
    assert "(did you mean 'hh-rlhf/helpful-base'?)" in capsys.readouterr().err


def test_max_samples_draws_the_same_rows_for_the_same_seed(tmp_path):
    first = build(["dpo"], upstream="samples", output_dir=tmp_path / "a", max_samples=3, seed=1)
    again = build(["dpo"], upstream="samples", output_dir=tmp_path / "b", max_samples=3, seed=1)
    other = build(["dpo"], upstream="samples", output_dir=tmp_path / "c", max_samples=3, seed=2)
    assert rows(tmp_path / "a", "dpo") == rows(tmp_path / "b", "dpo")
    assert rows(tmp_path / "a", "dpo") != rows(tmp_path / "c", "dpo")
    for report in (first, again, other):
        assert report.configs["dpo"]["splits"]["train"]["rows"] == 6  # 3 per source
        counts = report.configs["dpo"]["counts"]["train"]
        assert sum(c.get("sampled_out", 0) for c in counts.values()) > 0
    summary = format_report(other)
    out = sum(c.get("sampled_out", 0) for c in other.configs["dpo"]["counts"]["train"].values())
    assert f"dpo/train: 6 rows (sampled out {out}; dropped: " in summary
    assert "sampled: at most 3 rows per source and split, drawn with --seed 2 (--max-samples 3)" in summary
    assert "sampled" not in format_report(build(["dpo"], upstream="samples", output_dir=tmp_path / "d"))


def test_building_one_config_keeps_the_others(samples_build, tmp_path):
    out = tmp_path / "apt"
    shutil.copytree(samples_build, out)
    before = (out / "data/sft/train-00000-of-00001.parquet").read_bytes()
    build(["ruozhiba"], upstream="samples", output_dir=out, only="coig-cqia")
    assert (out / "data/sft/train-00000-of-00001.parquet").read_bytes() == before
    assert set(read_record(out)["configs"]) == set(CONFIGS)


def test_parquet_is_deterministic(samples_build, tmp_path):
    out = tmp_path / "apt"
    build(upstream="samples", output_dir=out)
    for path in samples_build.glob("data/*/*.parquet"):
        assert (out / path.relative_to(samples_build)).read_bytes() == path.read_bytes()
    assert (out / "build.json").read_bytes() == (samples_build / "build.json").read_bytes()


def test_a_missing_file_names_it_and_only_can_leave_its_source_out(mirror, tmp_path):
    (mirror / "Anthropic/hh-rlhf/helpful-online/test.jsonl.gz").unlink()
    missing = r"\n  Anthropic/hh-rlhf/helpful-online/test\.jsonl\.gz: missing \(source 'hh-rlhf', dpo/test\)\n"
    with pytest.raises(UpstreamError, match=missing + r"(.|\n)*To build without hh-rlhf: --only ultrafeedback\."):
        build(["dpo"], upstream=str(mirror), output_dir=tmp_path / "apt")
    report = build(["dpo"], upstream=str(mirror), output_dir=tmp_path / "apt", only="ultrafeedback")
    assert set(report.configs["dpo"]["sources"]) == {"ultrafeedback"}


def write_gz_lines(path: Path, lines: list[str]) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


@pytest.mark.parametrize(
    "bad_line, field, problem",
    [
        ('{"chosen": "\\n\\nHuman: hi\\n\\nAssistant: yo"', None, "invalid JSON"),
        ('{"chosen": "\\n\\nHuman: hi\\n\\nAssistant: yo"}', "rejected", "missing field"),
        ('{"chosen": "\\n\\nHuman: hi\\n\\nAssistant: yo", "rejected": 5}', "rejected", "expected string, got int"),
    ],
)
@pytest.mark.parametrize("num_proc", [1, 2])
def test_a_broken_upstream_row_stops_the_build_with_file_line_and_field(
    mirror, tmp_path, bad_line, field, problem, num_proc
):
    target = mirror / "Anthropic/hh-rlhf/helpful-base/train.jsonl.gz"
    with gzip.open(target, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    write_gz_lines(target, lines[:2] + [bad_line] + lines[2:])
    out = tmp_path / "apt"
    build(["storm"], upstream=str(mirror), output_dir=out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    with pytest.raises(BadRowError) as error:  # raised in a worker process with num_proc 2, as it was raised
        build(["dpo"], upstream=str(mirror), output_dir=out, num_proc=num_proc)
    assert (error.value.file, error.value.line, error.value.field) == ("helpful-base/train.jsonl.gz", 3, field)
    assert problem in str(error.value) and "hh-rlhf" in str(error.value)
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # the failed build changed nothing
    report = build(["dpo"], upstream=str(mirror), output_dir=out, on_bad_rows="skip", num_proc=num_proc)
    assert report.configs["dpo"]["counts"]["train"]["hh-rlhf/helpful-base"]["dropped_bad_row"] == 1


def without_field(path: Path, line: int, field: str) -> None:
    """Remove a field of one row of a JSON Lines file, gzipped or not."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    lines[line - 1] = json.dumps({k: v for k, v in json.loads(lines[line - 1]).items() if k != field})
    with opener(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


# A row of each JSON Lines source made wrong upstream, in a config read from several files (so that two processes
# each get some): the config, the file, the line, the field removed or given a number, and the one line expected.
BAD_ROWS = {
    "coig-cqia": ("sft", "m-a-p/COIG-CQIA/douban/book_introduce.jsonl", 1, "task_type", "missing field"),
    "hh-rlhf": ("dpo", "Anthropic/hh-rlhf/helpful-online/train.jsonl.gz", 2, "chosen", "expected string, got integer"),
}


@pytest.mark.parametrize("num_proc", [1, 2])
@pytest.mark.parametrize("source", sorted(BAD_ROWS))
def test_a_bad_row_is_one_located_line_in_one_process_or_several(mirror, tmp_path, capsys, source, num_proc):
    config, path, line, field, problem = BAD_ROWS[source]
    if problem == "missing field":
        without_field(mirror / path, line, field)
    else:
        with gzip.open(mirror / path, "rt", encoding="utf-8") as f:
            lines = f.read().splitlines()
        lines[line - 1] = json.dumps(json.loads(lines[line - 1]) | {field: 5})
        write_gz_lines(mirror / path, lines)
    out = tmp_path / "apt"
    args = ["build", config, f"--upstream={mirror}", f"--build-dir={out}", f"--num-proc={num_proc}"]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}:{line}: field {field!r}: {problem}") and len(err.splitlines()) == 1
    assert main([*args, "--on-bad-rows=skip"]) == 0
    tag = f"{source}/{path.split('/')[2]}"
    assert read_record(out)["configs"][config]["counts"]["train"][tag]["dropped_bad_row"] == 1


def test_a_missing_parquet_column_is_named(mirror, tmp_path):
    path = next((mirror / "simplescaling/s1K-1.1/data").glob("train-*.parquet"))
    pq.write_table(pq.read_table(path).drop_columns(["question"]), path)
    with pytest.raises(BadRowError, match=r"train-00000-of-00001\.parquet:1: field 'question': missing field"):
        build(["storm"], upstream=str(mirror), output_dir=tmp_path / "apt")


def test_changed_upstream_file_is_not_served_from_the_cache(mirror, tmp_path):
    out = tmp_path / "apt"
    build(["ruozhiba"], upstream=str(mirror), output_dir=out)
    target = mirror / "m-a-p/COIG-CQIA/ruozhiba/ruozhiba_ruozhiba.jsonl"
    first = json.loads(target.read_text(encoding="utf-8").splitlines()[0])
    target.write_text(json.dumps(first | {"output": "新的回答"}, ensure_ascii=False) + "\n", encoding="utf-8")
    build(["ruozhiba"], upstream=str(mirror), output_dir=out)
    assert [row["response"] for row in rows(out, "ruozhiba")] == ["新的回答"]


def test_storm_trace_option_reaches_the_rows(tmp_path):
    build(["storm"], upstream="samples", output_dir=tmp_path / "apt", storm_trace="gemini")
    assert {row["trace_model"] for row in rows(tmp_path / "apt", "storm")} == {"gemini"}


def test_all_configs_from_a_directory_skip_loyalty_without_a_file(mirror, tmp_path):
    report = build(upstream=str(mirror), output_dir=tmp_path / "apt", only="coig-cqia")
    assert set(report.configs) == {"sft", "ruozhiba", "sft_chat", "ruozhiba_chat"}
    assert any("loyalty skipped" in note for note in report.notes)
    with pytest.raises(AptHubError, match="--loyalty-file"):
        build(["loyalty"], upstream=str(mirror), output_dir=tmp_path / "apt")


def test_real_hh_rlhf_rows_convert_with_the_expected_counts(shared_upstream, mirror, tmp_path):
    real = shared_upstream / "hh-rlhf/harmless-base/test.jsonl.gz"
    shutil.copy(real, mirror / "Anthropic/hh-rlhf/harmless-base/test.jsonl.gz")
    report = build(["dpo"], upstream=str(mirror), output_dir=tmp_path / "apt", only="hh-rlhf")
    counts = report.configs["dpo"]["counts"]["test"]["hh-rlhf/harmless-base"]
    assert counts == {
        "rows": 2312,
        "kept": 2276,
        "dropped_empty_response": 4,
        "dropped_response_extra_turn": 3,
        "dropped_response_role_prefix": 29,
        "flagged_duplicate_prompt": 2,
        "flagged_prefix_pair": 2,
        "flagged_prompt_role_artefact": 11,
        "noted_folded_turns": 4,  # histories with two assistant turns in a row keep the second inside the first
    }
    loaded = rows(tmp_path / "apt", "dpo", "test")
    harmless = [row for row in loaded if row["source"] == "hh-rlhf/harmless-base"]
    assert all(row["chosen"].strip() and row["rejected"].strip() for row in harmless)
    assert not any(row["prompt"].startswith("\n") or row["prompt"].endswith("Assistant:") for row in harmless)
    # LLaMA-Factory's alpaca columns: every multi-turn prompt turn by turn, joined back to the prompt.
    multi = [row for row in harmless if row["history"]]
    assert len(multi) == sum(row["prompt"].startswith("Human: ") for row in harmless) > 1000
    for row in harmless:
        turns = [
            {"role": r, "content": t}
            for pair in row["history"]
            for r, t in zip(("user", "assistant"), pair, strict=True)
        ]
        turns.append({"role": "user", "content": row["last_turn"]})
        assert (join_transcript(turns) if row["history"] else row["last_turn"]) == row["prompt"]


def test_cli_reports_errors_without_a_traceback(capsys, tmp_path):
    assert main(["build", "sfty", "--upstream=samples", f"--output-dir={tmp_path}"]) == 2  # a usage error
    err = capsys.readouterr().err
    assert err.startswith("error: config must be one of sft, ruozhiba, dpo, storm, loyalty, sft_chat")
    assert err.rstrip().endswith("got 'sfty' (did you mean 'sft'?)") and "Traceback" not in err


def test_cli_build_prints_rows_drops_and_the_load_line(capsys, tmp_path):
    assert main(["build", "dpo", "--upstream=samples", f"--output-dir={tmp_path / 'apt'}"]) == 0
    out = capsys.readouterr().out
    assert "dpo/train:" in out and "dropped:" in out and f'load_dataset("{tmp_path / "apt"}", "dpo")' in out


def test_sample_drop_counts_per_subset_and_reason(samples_build):
    """Each quirk row of the bundled hh-rlhf and UltraFeedback files lands in its reason (tools/samples/)."""
    counts = read_record(samples_build)["configs"]["dpo"]["counts"]
    dropped = {
        (split, tag, key.removeprefix("dropped_")): n
        for split, tags in counts.items()
        for tag, entry in tags.items()
        for key, n in entry.items()
        if key.startswith("dropped_")
    }
    assert dropped == {
        ("train", "hh-rlhf/harmless-base", "empty_response"): 2,
        ("train", "hh-rlhf/harmless-base", "identical_responses"): 1,
        ("train", "hh-rlhf/harmless-base", "no_assistant_boundary"): 1,
        ("train", "hh-rlhf/harmless-base", "response_extra_turn"): 2,
        ("train", "hh-rlhf/helpful-base", "duplicate"): 1,
        ("train", "hh-rlhf/helpful-base", "identical_responses"): 1,
        ("train", "hh-rlhf/helpful-base", "response_role_prefix"): 1,
        ("train", "hh-rlhf/helpful-base", "test_overlap"): 1,
        ("train", "hh-rlhf/helpful-online", "empty_response"): 1,
        ("train", "hh-rlhf/helpful-online", "no_assistant_boundary"): 1,
        ("train", "hh-rlhf/helpful-online", "response_extra_turn"): 1,
        ("train", "hh-rlhf/helpful-rejection-sampled", "empty_response"): 1,
        ("train", "hh-rlhf/helpful-rejection-sampled", "identical_responses"): 1,
        ("train", "hh-rlhf/helpful-rejection-sampled", "response_extra_turn"): 1,
        ("train", "ultrafeedback", "empty_response"): 1,
        ("test", "hh-rlhf/harmless-base", "empty_response"): 2,
        ("test", "hh-rlhf/harmless-base", "response_extra_turn"): 1,
        ("test", "hh-rlhf/helpful-base", "no_assistant_boundary"): 1,
        ("test", "hh-rlhf/helpful-rejection-sampled", "identical_responses"): 1,
    }
    assert {tag: entry["kept"] for tag, entry in counts["train"].items()} == {
        "hh-rlhf/harmless-base": 6,
        "hh-rlhf/helpful-base": 11,
        "hh-rlhf/helpful-online": 6,
        "hh-rlhf/helpful-rejection-sampled": 6,
        "ultrafeedback": 9,
    }


def test_sample_storm_answers_follow_the_extraction_order(samples_build):
    storm = rows(samples_build, "storm")
    answers = [row["answer"] for row in storm]
    assert answers[:5] + answers[6:] == [
        "111",
        "\\frac{3}{8}",
        "3",  # two different boxes: the last, flagged several_boxes
        "42",
        "SILENT",
        "3\\sqrt{2}",
        "2.02\\text{ s}",
        "20",
        "1",
        "12",  # an empty box passed over, then `\\boxed {12}`; the row whose only box is empty is dropped
        "24",  # `\\fbox{24}`
    ]
    assert [row["quality_flags"] for row in storm][-3:] == [[], ["empty_box"], ["graded_wrong"]]
    assert storm[2]["quality_flags"] == ["several_boxes"]
    assert storm[5]["answer"] == storm[5]["attempt"].strip() and storm[5]["answer_kind"] == "attempt"
    assert [row["answer_kind"] for row in storm].count("answer_line") == 3


def test_an_option_changes_the_rows_and_the_same_options_give_them_back(tmp_path):
    out = tmp_path / "apt"
    first = build(["storm"], upstream="samples", output_dir=out)
    deepseek = rows(out, "storm")
    build(["storm"], upstream="samples", output_dir=out, storm_trace="gemini")
    assert {row["trace_model"] for row in rows(out, "storm")} == {"gemini"}
    again = build(["storm"], upstream="samples", output_dir=out)
    assert rows(out, "storm") == deepseek
    assert again.configs["storm"]["counts"] == first.configs["storm"]["counts"]


def test_worker_processes_give_the_same_files_and_counts(samples_build, tmp_path):
    out = tmp_path / "apt"
    report = build(["dpo", "sft"], upstream="samples", output_dir=out, num_proc=2)
    for config in ("dpo", "sft"):
        for path in (samples_build / "data" / config).glob("*.parquet"):
            assert (out / path.relative_to(samples_build)).read_bytes() == path.read_bytes()
        assert report.configs[config]["counts"] == read_record(samples_build)["configs"][config]["counts"]


def test_real_coig_cqia_rows_convert_without_drops(shared_upstream, tmp_path):
    mirror = tmp_path / "mirror" / "m-a-p"
    shutil.copytree(shared_upstream / "COIG-CQIA", mirror / "COIG-CQIA", ignore=shutil.ignore_patterns("*.json"))
    manifest = json.loads((shared_upstream / "COIG-CQIA/MANIFEST.json").read_text(encoding="utf-8"))["files"]
    report = build(["sft", "ruozhiba"], upstream=str(tmp_path / "mirror"), output_dir=tmp_path / "apt")
    sft = report.configs["sft"]["counts"]["train"]
    assert sum(entry["rows"] for entry in sft.values()) == sum(f["rows_in_sample"] for f in manifest.values())
    # Nothing dropped but one exact duplicate (NFKC, case and white space folded) of an earlier row.
    assert sum(entry.get("dropped_duplicate", 0) for entry in sft.values()) == 1
    assert all(entry["kept"] + entry.get("dropped_duplicate", 0) == entry["rows"] for entry in sft.values())
    assert set(sft) == {f"coig-cqia/{path.split('/')[0]}" for path in manifest}
    assert (
        report.configs["ruozhiba"]["splits"]["train"]["rows"]
        == manifest["ruozhiba/ruozhiba_ruozhiba.jsonl"]["rows_in_sample"]
    )
    path = "exam/coig_exam_sampled_clean_v3.jsonl"
    upstream = (shared_upstream / "COIG-CQIA" / path).read_text(encoding="utf-8").splitlines()
    prompts = {row["id"]: row["prompt"] for row in rows(tmp_path / "apt", "sft")}
    with_input = [(n, json.loads(line)) for n, line in enumerate(upstream, 1) if json.loads(line)["input"].strip()]
    assert with_input
    for n, row in with_input:  # the upstream `input` follows the instruction after a blank line; outer space trimmed
        assert prompts[f"coig-cqia:{path}:{n}"] == trim(f"{row['instruction']}\n\n{row['input']}")


def test_a_source_feeding_two_configs_is_listed_once_on_the_hub(hub, tmp_path):
    source = SOURCES["coig-cqia"]
    hub.add_repo(source.repo_id, SAMPLES / source.repo_id, sha=source.revision)
    build(["sft", "ruozhiba"], upstream="hub", output_dir=tmp_path / "apt")
    listings = [r for r in hub.requests if r["method"] == "GET" and r["path"].startswith("/api/datasets/m-a-p/")]
    assert len(listings) == 1, [r["path"] for r in listings]


RUOZHIBA = "m-a-p/COIG-CQIA/ruozhiba/ruozhiba_ruozhiba.jsonl"
# Broken rows in the upstream formats, each with the field its error names.
BAD_UPSTREAM_LINES = [
    (b'"task_type": {"major": ["x"], "minor": [1, 2]}', "task_type.minor[0]", "expected string, got integer"),
    (b'"task_type": {"major": "x", "minor": []}', "task_type.major", "expected list of strings or null, got string"),
    (b'"domain": [3]', "domain[0]", "expected string, got integer"),
    (b'"output": "\\ud800"', "output", "not valid Unicode: a lone surrogate \\ud800"),
    (b'"output": "caf\xe9"', None, "not valid UTF-8: byte 0xe9"),
    (b'"output": ' + b"[" * 200_000 + b"]" * 200_000, None, "invalid JSON: nested too deeply"),
]


def with_bad_line(good: bytes, change: bytes) -> bytes:
    """A COIG-CQIA line with one field replaced, by bytes (some changes are not valid UTF-8)."""
    key = change.split(b":")[0]
    row = json.loads(good)
    parts = [json.dumps({k: v}, ensure_ascii=False).encode()[1:-1] for k, v in row.items()]
    return b"{" + b", ".join(change if part.startswith(key) else part for part in parts) + b"}"


@pytest.mark.parametrize("change, field, problem", BAD_UPSTREAM_LINES, ids=lambda v: str(v)[:24])
def test_a_wrong_upstream_row_is_one_located_line_or_a_counted_skip(mirror, tmp_path, capsys, change, field, problem):
    target = mirror / RUOZHIBA
    lines = target.read_bytes().splitlines()
    target.write_bytes(b"\n".join([lines[0], with_bad_line(lines[1], change), *lines[2:]]) + b"\n")
    out = tmp_path / "apt"
    assert main(["build", "ruozhiba", f"--upstream={mirror}", f"--output-dir={out}"]) == 1
    err = capsys.readouterr().err
    where = f"{RUOZHIBA}:2: " + (f"field {field!r}: " if field else "")
    assert err.startswith(f"error: {where}{problem}") and len(err.splitlines()) == 1
    report = build(["ruozhiba"], upstream=str(mirror), output_dir=out, on_bad_rows="skip")
    counts = report.configs["ruozhiba"]["counts"]["train"]["coig-cqia/ruozhiba"]
    # the sample ruozhiba file also holds a planted duplicate, dropped by the `duplicate` check
    assert counts["dropped_bad_row"] == 1 and counts["kept"] + counts.get("dropped_duplicate", 0) == len(lines) - 1


@pytest.mark.parametrize(
    "column, values, field, problem",
    [
        ("score_chosen", lambda rows: [True for _ in rows], "score_chosen", "expected number or integer, got boolean"),
        (
            "chosen",
            lambda rows: [[{"content": 5, "role": "assistant"}] for _ in rows],
            "chosen[0].content",
            "expected string, got integer",
        ),
    ],
    ids=["boolean-score", "integer-content"],
)
def test_wrong_ultrafeedback_types_are_named(mirror, tmp_path, column, values, field, problem):
    path = next((mirror / "HuggingFaceH4/ultrafeedback_binarized/data").glob("train_prefs-*.parquet"))
    table = pq.read_table(path)
    pq.write_table(table.set_column(table.schema.get_field_index(column), column, [values(range(len(table)))]), path)
    with pytest.raises(BadRowError, match=rf"train_prefs-[^:]+\.parquet:1: field '{re.escape(field)}': {problem}"):
        build(["dpo"], upstream=str(mirror), output_dir=tmp_path / "apt", only="ultrafeedback")


@pytest.mark.parametrize("on_bad_rows", ["error", "skip"])
def test_a_git_lfs_pointer_stops_the_build_with_the_fix(mirror, tmp_path, on_bad_rows):
    (mirror / RUOZHIBA).write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "a" * 64 + "\nsize 1048576\n", encoding="utf-8"
    )
    with pytest.raises(UpstreamError, match=r"ruozhiba_ruozhiba\.jsonl: a Git LFS pointer file.*git lfs pull"):
        build(["ruozhiba"], upstream=str(mirror), output_dir=tmp_path / "apt", on_bad_rows=on_bad_rows)


def test_an_empty_upstream_file_and_an_empty_split_are_reported(mirror, tmp_path, capsys):
    (mirror / RUOZHIBA).write_bytes(b"")
    out = tmp_path / "apt"
    assert main(["build", "ruozhiba", f"--upstream={mirror}", f"--output-dir={out}"]) == 0
    summary = capsys.readouterr().out
    notes = [f"m-a-p/COIG-CQIA/{RUOZHIBA.split('/', 2)[2]}: empty file (no rows)", "ruozhiba/train: 0 rows"]
    assert all(f"  note: {note}" in summary for note in notes)
    assert read_record(out)["configs"]["ruozhiba"]["notes"] == notes
    assert "notes" not in read_record(out)["configs"].get("sft", {})
    # The same from a worker process: the counts of the job that read the empty file say so.
    assert main(["build", "sft", f"--upstream={mirror}", f"--output-dir={out}", "--num-proc=2"]) == 0
    assert f"  note: {notes[0]}" in capsys.readouterr().out
    assert read_record(out)["configs"]["sft"]["notes"] == notes[:1]
