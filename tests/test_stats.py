"""`apt-hub stats`: numbers checked against the rows themselves, the schema-driven measures, the evaluate module."""

import ast
import json
import shutil
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from publish_fixtures import write_upstream

from apt_hub.build import build
from apt_hub.cli import main
from apt_hub.configs import CONFIGS
from apt_hub.folder import MEASURES_DIR
from apt_hub.layout import splits_on_disk
from apt_hub.measures import read_measures, shard_digest
from apt_hub.merge import merge
from apt_hub.report import check_lines
from apt_hub.stats import (
    STATS_FILE,
    compute_stats,
    histogram_edges,
    length_bin,
    measure_files,
    write_stats,
)
from apt_hub.tokens import CONTEXTS, PER_ASCII, PER_DIGIT, PER_OTHER, TOKENIZER


@pytest.fixture(scope="module")
def fixture_build(tmp_path_factory) -> Path:
    """A build of the tiny upstream of `publish_fixtures`, whose every number is known."""
    upstream = write_upstream(tmp_path_factory.mktemp("upstream"))
    out = tmp_path_factory.mktemp("build") / "apt"
    # Duplicates and test overlap kept (and flagged): the stats must still see and count them.
    build(
        upstream=str(upstream),
        output_dir=out,
        loyalty_file=str(upstream / "loyalty.json"),
        keep="duplicate,test_overlap",
    )
    return out


@pytest.fixture(scope="module")
def stats(fixture_build) -> dict:
    return compute_stats(fixture_build)


def rows_of(root: Path, config: str, split: str) -> list[dict]:
    """The rows of a split, a message list also read as the text of each role (`prompt[user]`), as stats reads it."""
    rows = pq.read_table([root / p for p in splits_on_disk(root)[config][split]][0]).to_pylist()
    for row in rows:
        for name, value in list(row.items()):
            if isinstance(value, list) and value and isinstance(value[0], dict):
                for role in {m["role"] for m in value} | {"user", "assistant"}:
                    row[f"{name}[{role}]"] = "\n\n".join(m["content"] for m in value if m["role"] == role)
    return rows


def python_lengths(values: list[str | None]) -> dict:
    """The length measures the polars query must match, computed the slow way."""
    chars = sorted(len(v) for v in values if v is not None)
    nearest_p95 = chars[round(0.95 * (len(chars) - 1))]
    empty = sum(1 for v in values if v is None or not v.strip())
    return {
        "mean": round(statistics.mean(chars), 2),
        "median": statistics.median(chars),
        "p95": nearest_p95,
        "max": chars[-1],
        "empty": empty,
    }


def test_length_measures_match_the_rows_for_every_config_split_and_field(fixture_build, stats):
    for config, entry in stats["configs"].items():
        for split, split_entry in entry["splits"].items():
            rows = rows_of(fixture_build, config, split)
            assert split_entry["rows"] == split_entry["all"]["rows"] == len(rows)
            for field in entry["text_fields"]:
                assert split_entry["all"]["fields"][field] == python_lengths([r[field] for r in rows]), (config, field)
            per_source = sum(group["rows"] for group in split_entry["sources"].values())
            assert per_source == len(rows)


def test_text_fields_come_from_the_schema_without_labels_and_ids(stats):
    assert stats["configs"]["sft"]["text_fields"] == ["prompt", "response"]
    assert stats["configs"]["dpo"]["text_fields"] == ["prompt", "chosen", "rejected"]
    assert stats["configs"]["storm"]["text_fields"] == ["problem", "cot_explicit", "answer", "solution", "attempt"]


def test_duplicates_within_a_split_and_test_rows_seen_in_train(stats):
    ruozhiba = stats["configs"]["ruozhiba"]["splits"]["train"]["all"]
    assert ruozhiba["duplicates"] == {"rows": 1, "prompts": 1}
    dpo = stats["configs"]["dpo"]["splits"]
    # The four hh-rlhf subsets share their fixture rows: 3 of each 4 identical rows are repeats.
    assert dpo["train"]["all"]["duplicates"]["rows"] == 6
    assert dpo["test"]["all"]["in_train"] == {"rows": 4, "prompts": 4}
    assert dpo["test"]["sources"]["ultrafeedback"]["in_train"] == {"rows": 0, "prompts": 0}
    assert "in_train" not in dpo["train"]["all"]


def test_pairs_identical_or_prefix_related_once_normalised(stats):
    ultrafeedback = stats["configs"]["dpo"]["splits"]["train"]["sources"]["ultrafeedback"]
    assert ultrafeedback["pairs"] == {"identical": 1, "prefix_related": 1}


def test_storm_answers_by_grade_and_kind_and_loyalty_shares(stats, fixture_build):
    storm = stats["configs"]["storm"]["splits"]["train"]["all"]
    rows = rows_of(fixture_build, "storm", "train")
    assert "answers" not in storm  # every row has an answer: a row without one is dropped as empty_answer
    assert storm["answers_by_grade"] == dict(sorted(Counter(r["grade"] for r in rows).items())) == {"No": 1, "Yes": 1}
    assert storm["answers_by_kind"] == dict(sorted(Counter(r["answer_kind"] for r in rows).items()))
    lines = check_lines("train", storm)
    kinds = ", ".join(f"{kind} {n}" for kind, n in storm["answers_by_kind"].items())
    dropped = storm["build"].get("dropped_empty_answer", 0)
    assert f"train: answers found as {kinds}; rows dropped for having none (empty_answer) {dropped}." in lines
    loyalty = stats["configs"]["loyalty"]["splits"]["train"]["all"]["loyalty"]
    assert (loyalty["owner"], loyalty["public"], loyalty["owner_share"]) == (1, 1, 0.5)
    assert loyalty["reward_bonus"] == {
        "min": 0.5,
        "p25": 0.5,
        "median": 1.25,
        "p75": 2.0,
        "max": 2.0,
        "mean": 1.25,
    }


def test_drop_counts_of_the_build_reach_each_source(stats):
    sft = stats["configs"]["sft"]["splits"]["train"]
    assert sft["sources"]["coig-cqia/xhs"]["build"] == {"rows": 2, "kept": 1, "dropped_empty_response": 1}
    assert sft["all"]["build"] == {"rows": 5, "kept": 4, "dropped_empty_response": 1, "flagged_duplicate": 1}
    dpo_test = stats["configs"]["dpo"]["splits"]["test"]["sources"]["hh-rlhf/helpful-base"]["build"]
    assert dpo_test["dropped_identical_responses"] == 1


def test_histograms_count_every_non_empty_value_in_its_log_bin(fixture_build, stats):
    edges = histogram_edges()
    for config, entry in stats["configs"].items():
        rows = [r for split in entry["splits"] for r in rows_of(fixture_build, config, split)]
        for field, counts in entry["histograms"].items():
            lengths = [len(r[field]) for r in rows if r[field]]
            assert sum(counts) == len(lengths)
            for length in lengths:
                index = next(i for i in range(len(edges) - 1) if length < edges[i + 1] or i == len(edges) - 2)
                assert counts[index] > 0, (config, field, length)


def test_length_bin_edges_agree():
    import polars as pl

    lengths = [1, 2, 3, 9, 10, 17, 18, 999_999, 5_000_000]
    bins = pl.DataFrame({"n": lengths}).select(length_bin(pl.col("n"))).to_series().to_list()
    edges = histogram_edges()
    for n, b in zip(lengths, bins, strict=True):
        assert edges[b] <= n and (n < edges[b + 1] or b == len(edges) - 2), (n, b)


def test_a_config_made_elsewhere_is_measured_from_its_schema(tmp_path):
    """A `merge`d config has no build counts and any name; its measures follow its columns."""
    folder = tmp_path / "data" / "mixed"
    folder.mkdir(parents=True)
    table = pa.table(
        {
            "prompt": ["Hi", "hi ", None],
            "chosen": ["Hello there", "Yo", "ok"],
            "rejected": ["Hello", "Yo", ""],
            "source": ["a", "a", "b"],
            "n": [1, 2, 3],
        }
    )
    pq.write_table(table, folder / "train-00000-of-00001.parquet")
    entry = compute_stats(tmp_path)["configs"]["mixed"]
    train = entry["splits"]["train"]
    assert entry["text_fields"] == ["prompt", "chosen", "rejected"]
    assert train["all"]["pairs"] == {"identical": 1, "prefix_related": 1}
    assert train["all"]["duplicates"]["prompts"] == 1  # "Hi" and "hi " normalise alike
    assert train["all"]["fields"]["prompt"]["empty"] == 1
    assert train["all"]["fields"]["rejected"]["empty"] == 1
    assert train["sources"]["b"] == train["sources"]["b"] | {"rows": 1, "build": {}}


def test_normalised_text_ignores_case_and_runs_of_white_space():
    import polars as pl

    from apt_hub.clean.text import normalized

    frame = pl.DataFrame({"t": ["  A\n\tb  c ", "a b c", None]})
    assert frame.select(normalized(pl.col("t"))).to_series().to_list() == ["a b c", "a b c", ""]


def test_stats_json_is_the_same_bytes_for_the_same_files(fixture_build, tmp_path):
    write_stats(fixture_build)
    first = (fixture_build / STATS_FILE).read_bytes()
    write_stats(fixture_build)
    assert (fixture_build / STATS_FILE).read_bytes() == first
    assert json.loads(first)["configs"].keys() == splits_on_disk(fixture_build).keys()


def test_evaluate_module_loads_offline_and_gives_the_same_numbers(fixture_build, stats, monkeypatch):
    import evaluate
    from huggingface_hub import constants

    from apt_hub.measurements import module_path

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # nothing may be fetched
    module = evaluate.load(module_path("apt_stats"))
    assert module.compute(data_dir=[str(fixture_build)]) == stats
    assert module.compute(data_dir=[str(fixture_build)], config="dpo") == stats["configs"]["dpo"]
    shard = str(fixture_build / splits_on_disk(fixture_build)["sft"]["train"][0])
    assert module.compute(data_dir=[shard])["all"] == stats["configs"]["sft"]["splits"]["train"]["all"] | {"build": {}}


def test_cli_prints_a_table_and_writes_stats_json(fixture_build, capsys):
    (fixture_build / STATS_FILE).unlink(missing_ok=True)
    assert main(["stats", str(fixture_build)]) == 0
    out = capsys.readouterr().out
    assert "coig-cqia/xhs" in out and "prompt chars" in out and "dropped empty_response 1" in out
    assert (fixture_build / STATS_FILE).is_file()


def test_cli_on_a_folder_without_a_build_says_so(tmp_path, capsys):
    assert main(["stats", str(tmp_path)]) == 1
    assert f"{tmp_path} is not a build folder (no build.json): build one first" in capsys.readouterr().err


def test_unchanged_configs_keep_their_stats_and_a_rebuilt_one_is_measured_again(tmp_path):
    out = tmp_path / "apt"
    build(["sft", "storm"], upstream="samples", output_dir=out)
    first = json.loads((out / STATS_FILE).read_text())
    # A config whose numbers are stale but whose files are unchanged shows that the stored entry was reused.
    first["configs"]["storm"]["splits"]["train"]["rows"] = -1
    (out / STATS_FILE).write_text(json.dumps(first))
    build(["sft"], upstream="samples", output_dir=out, max_samples=5)
    again = json.loads((out / STATS_FILE).read_text())
    assert again["configs"]["storm"]["splits"]["train"]["rows"] == -1
    assert again["configs"]["sft"]["splits"]["train"]["rows"] == 5
    assert again["configs"]["sft"]["fingerprint"] != first["configs"]["sft"]["fingerprint"]


def slow_stats(root: Path) -> bytes:
    """stats.json measured from the texts themselves: the build's per-row measures set aside."""
    shutil.rmtree(root / MEASURES_DIR)
    (root / STATS_FILE).unlink(missing_ok=True)
    write_stats(root)
    return (root / STATS_FILE).read_bytes()


def test_the_measures_written_by_the_build_give_the_stats_of_the_texts(samples_build, tmp_path):
    root = shutil.copytree(samples_build, tmp_path / "apt")
    on_disk = splits_on_disk(root)
    for config, splits in on_disk.items():
        digests = {split: shard_digest(root, paths) for split, paths in splits.items()}
        assert read_measures(root, config, digests) is not None, config  # stats takes them, not the texts
    (root / STATS_FILE).unlink()
    write_stats(root)
    assert (root / STATS_FILE).read_bytes() == slow_stats(root)


def test_a_merged_config_and_replaced_shards_are_measured_from_their_texts(samples_build, tmp_path):
    root = shutil.copytree(samples_build, tmp_path / "apt")
    merge(["sft", "ruozhiba"], output="sft_all", build_dir=root)
    # Shards that are not the ones the build measured: their measures are stale and left aside.
    shard = root / splits_on_disk(root)["dpo"]["train"][0]
    table = pq.read_table(shard)
    shard.unlink()  # a hard link shared with the session's build
    pq.write_table(table.slice(0, table.num_rows // 2), shard)
    assert read_measures(root, "dpo", {"train": shard_digest(root, [shard.relative_to(root).as_posix()])}) is None
    (root / STATS_FILE).unlink()
    fast = write_stats(root)
    assert fast["configs"]["dpo"]["splits"]["train"]["rows"] == table.num_rows // 2
    assert "sft_all" in fast["configs"]
    assert (root / STATS_FILE).read_bytes() == slow_stats(root)


def test_measures_not_written_for_the_shards_or_not_the_file_written_are_left_aside(samples_build, tmp_path):
    root = shutil.copytree(samples_build, tmp_path / "apt")
    measures = root / MEASURES_DIR / "dpo"
    digests = {split: shard_digest(root, paths) for split, paths in splits_on_disk(root)["dpo"].items()}
    assert read_measures(root, "dpo", digests) is not None
    # Another split's measures under this split's name: the shards are unchanged, the Arrow file is not the one tied.
    shutil.copyfile(measures / "test.arrow", measures / "train.arrow")
    assert read_measures(root, "dpo", digests) is None
    shutil.copyfile(samples_build / MEASURES_DIR / "dpo" / "train.arrow", measures / "train.arrow")
    assert read_measures(root, "dpo", digests) is not None
    for damaged in ("[]", "{", '{"num_bytes": 1}'):
        (measures / "test.json").write_text(damaged)
        assert read_measures(root, "dpo", digests) is None
    (measures / "test.json").unlink()  # a folder of a version that kept no JSON beside its measures
    assert read_measures(root, "dpo", digests) is None
    (root / STATS_FILE).unlink()
    write_stats(root)
    assert (root / STATS_FILE).read_bytes() == slow_stats(root)


def test_stats_runs_without_importing_datasets_or_pyarrow(fixture_build):
    # `datasets` takes about a second to import, pyarrow as long as polars; `apt-hub stats` reads the shards'
    # footers and the build's measures with polars alone.
    code = "import sys; from apt_hub.cli import main; main(['stats', sys.argv[1]]); print(sorted(sys.modules))"
    (fixture_build / STATS_FILE).unlink()
    done = subprocess.run([sys.executable, "-c", code, str(fixture_build)], capture_output=True, text=True, check=True)
    modules = set(ast.literal_eval(done.stdout.splitlines()[-1]))
    assert "polars" in modules and not modules & {"datasets", "pyarrow"}
    assert (fixture_build / STATS_FILE).is_file()


def reference_tokens(text: str | None) -> float:
    """The token estimate of `apt_hub.tokens` in plain Python, one text at a time: the rule the measures follow."""
    if text is None:
        return 0.0
    digits = sum(char in "0123456789" for char in text)
    other = (len(text.encode("utf-8")) - len(text)) / 2
    return PER_DIGIT * digits + PER_ASCII * (len(text) - digits - other) + PER_OTHER * other


def sequence_tokens(row: dict, name: str) -> float:
    """A text's tokens; a message list's are those of its roles together."""
    if isinstance(row.get(name), str):
        return reference_tokens(row[name])
    return sum(reference_tokens(value) for key, value in row.items() if key.startswith(f"{name}["))


@pytest.mark.parametrize("config", ["sft", "dpo", "dpo_chat", "storm", "storm_chat", "loyalty"])
def test_token_counts_are_those_of_the_longest_sequence_of_each_row(fixture_build, stats, config):
    sequences = CONFIGS[config].sequences
    for split, entry in stats["configs"][config]["splits"].items():
        rows = rows_of(fixture_build, config, split)
        per_row = [max(sum(sequence_tokens(row, name) for name in s) for s in sequences) for row in rows]
        tokens = entry["all"]["tokens"]
        assert tokens["max"] == pytest.approx(max(per_row), abs=0.1)
        assert tokens["median"] == pytest.approx(statistics.median(per_row), abs=0.1)
        for size in CONTEXTS:
            assert tokens[f"over_{size}"] == round(sum(n > size for n in per_row) / len(per_row), 4)


def test_the_share_over_each_context_counts_a_row_by_its_longest_sequence(tmp_path):
    base = {"source": "s", "id": "s:1", "score_chosen": None, "score_rejected": None, "quality_flags": []}
    rows = [
        {"prompt": "hi", "chosen": "a" * 5_000, "rejected": "b" * 5_000},  # 1,120 tokens a side, not 2,240
        {"prompt": "北" * 4_000, "chosen": "x", "rejected": "y"},  # 2,776: over 2k
        {"prompt": "1" * 6_000, "chosen": "x", "rejected": "y"},  # a digit a token and more: 8,820
        {"prompt": "hi", "chosen": "yes", "rejected": "no"},
    ]
    table = [base | row | {"history": [], "last_turn": row["prompt"]} for row in rows]
    pq.write_table(pa.Table.from_pylist(table, schema=CONFIGS["dpo"].arrow_schema), tmp_path / "dpo.parquet")
    tokens = measure_files([str(tmp_path / "dpo.parquet")])["all"]["tokens"]
    assert [tokens[f"over_{size}"] for size in CONTEXTS] == [0.75, 0.5, 0.25, 0.25]
    assert tokens["max"] == pytest.approx(6_000 * PER_DIGIT + 2 * PER_ASCII, abs=1)


def test_the_card_and_the_cli_give_the_token_counts(fixture_build, capsys):
    card = (fixture_build / "README.md").read_text(encoding="utf-8")
    assert card.count(f"tokens per row ({TOKENIZER}, estimated") >= len(splits_on_disk(fixture_build))
    assert main(["stats", str(fixture_build)]) == 0
    assert "over 8k" in capsys.readouterr().out
