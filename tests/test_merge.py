"""`apt-hub merge`: configs and sources combined into a new config of the build, duplicates removed, weights kept."""

import shutil
from pathlib import Path

import datasets
import pyarrow as pa
import pytest
from huggingface_hub import DatasetCard

from apt_hub.build import build
from apt_hub.clean.text import normalize_text
from apt_hub.cli import main
from apt_hub.configs import CONFIGS
from apt_hub.errors import AptHubError, ConfigError, UsageError
from apt_hub.export import export
from apt_hub.layout import RECORD, read_record, write_json, write_split
from apt_hub.merge import merge


def sft_row(source: str, n: int, prompt: str | None = None, response: str | None = None) -> dict:
    return {
        "prompt": prompt or f"Question {n} from {source}",
        "response": response or f"Answer {n}.",
        "source": f"{source}/part",
        "id": f"{source}:part.jsonl:{n}",
    }


def write_build(root: Path, configs: dict[str, tuple[datasets.Features, dict[str, list[dict]]]]) -> Path:
    """A build folder in the layout `apt-hub build` writes, holding these rows."""
    record = {"configs": {}}
    for config, (features, splits) in configs.items():
        entry = record["configs"][config] = {"splits": {}, "sources": {}, "counts": {}}
        for split, rows in splits.items():
            table = pa.Table.from_pylist([features.encode_example(r) for r in rows], schema=features.arrow_schema)
            entry["splits"][split] = {"rows": len(rows), "files": write_split(table, root, config, split)}
        for name in {r["id"].split(":")[0] for rows in splits.values() for r in rows}:
            entry["sources"][name] = {"repo_id": f"org/{name}", "revision": "main", "files": [f"{config}.jsonl"]}
    write_json(root / RECORD, record)
    return root


ALPHA = [sft_row("alpha", n) for n in range(30)]
BETA = [sft_row("beta", n) for n in range(30)]
# Copies of alpha rows that differ only in Unicode width, case and whitespace, and two rows that are new.
COPIES = [
    sft_row("gamma", 0, prompt="ＱＵＥＳＴＩＯＮ 0 from ALPHA", response="answer 0."),
    sft_row("gamma", 1, prompt="  Question 1\n\tfrom   alpha ", response="Answer\u30001."),
    sft_row("gamma", 2, prompt="Question 2 from alpha", response="Answer 2!"),  # punctuation differs: kept
    sft_row("gamma", 3, prompt="Something new", response="Fresh."),
    sft_row("gamma", 4, prompt="something NEW", response="fresh."),  # duplicate within the same input
]


@pytest.fixture
def small_build(tmp_path) -> Path:
    return write_build(
        tmp_path / "apt",
        {
            "sft": (CONFIGS["sft"].features, {"train": ALPHA + BETA}),
            "ruozhiba": (CONFIGS["sft"].features, {"train": COPIES}),
            "dpo": (
                CONFIGS["dpo"].features,
                {"train": [{"prompt": "p", "chosen": "a", "rejected": "b", "source": "d", "id": "d:f:1"}]},
            ),
        },
    )


@pytest.fixture(scope="module")
def samples_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "apt"
    configs = ["sft", "ruozhiba", "dpo", "sft_chat", "ruozhiba_chat"]
    build(configs, upstream="samples", output_dir=out)
    return out


def loaded(root: Path, config: str, split: str = "train") -> list[dict]:
    return datasets.load_dataset(str(root), config, split=split).to_list()


@pytest.mark.parametrize(
    "a, b, same",
    [
        ("Ｈｅｌｌｏ，ｗｏｒｌｄ", "hello,world", True),
        ("  many\n\n spaces\t", "many spaces", True),
        ("Straße", "STRASSE", True),
        ("ﬁne", "fine", True),
        ("full stop.", "full stop", False),
        ("你好", "您好", False),
    ],
)
def test_normalize_text(a, b, same):
    assert (normalize_text(a) == normalize_text(b)) is same


def test_coig_cqia_and_ruozhiba_do_not_keep_the_ruozhiba_rows_twice(samples_build, tmp_path):
    root = shutil.copytree(samples_build, tmp_path / "apt")
    ruozhiba = loaded(root, "ruozhiba")
    sft = loaded(root, "sft")
    report = merge(["coig-cqia", "ruozhiba"], output="sft_all", build_dir=root)
    coig, ruo = report.inputs
    assert (coig.config, ruo.config) == ("sft", "ruozhiba")
    assert ruo.rows["train"] == ruo.duplicates["train"] == len(ruozhiba) > 0
    assert dict(ruo.duplicate_of) == {"coig-cqia": len(ruozhiba)}
    merged = loaded(root, "sft_all")
    assert [r["id"] for r in merged] == [r["id"] for r in sft]
    entry = read_record(root)["configs"]["sft_all"]
    assert entry["counts"]["train"]["ruozhiba"] == {
        "rows": len(ruozhiba),
        "kept": 0,
        "dropped_duplicate": len(ruozhiba),
    }
    assert entry["merged_from"]["inputs"][1]["duplicate_of"] == {"coig-cqia": len(ruozhiba)}
    assert set(entry["sources"]) == {"coig-cqia"}


def test_twins_merge_with_twins_and_not_with_flat_configs(samples_build, tmp_path):
    root = shutil.copytree(samples_build, tmp_path / "apt")
    report = merge(["sft_chat", "ruozhiba_chat"], output="chat_all", build_dir=root)
    ruo = report.inputs[1]
    assert ruo.rows["train"] == ruo.duplicates["train"] == len(loaded(root, "ruozhiba_chat")) > 0
    assert [r["id"] for r in loaded(root, "chat_all")] == [r["id"] for r in loaded(root, "sft_chat")]
    assert loaded(root, "chat_all")[0]["prompt"][0]["role"] == "user"
    with pytest.raises(ConfigError, match="must share one schema"):
        merge(["sft_chat", "ruozhiba"], output="mixed", build_dir=root)
    exported = export(root, output_dir=tmp_path / "old")
    assert {item.config for item in exported} == {"sft", "ruozhiba", "dpo"}
    with pytest.raises(AptHubError, match="holds chat messages"):
        export(root, output_dir=tmp_path / "old", configs="chat_all")


def test_duplicates_are_found_after_nfkc_case_and_whitespace_folding(small_build):
    report = merge(["sft", "ruozhiba"], output="mixed", build_dir=small_build)
    _, copies = report.inputs
    assert dict(copies.duplicate_of) == {"sft": 2, "ruozhiba": 1}
    assert [r["id"] for r in loaded(small_build, "mixed")][60:] == ["gamma:part.jsonl:2", "gamma:part.jsonl:3"]


def test_a_source_is_read_from_the_config_holding_most_of_its_rows_or_as_named(small_build):
    report = merge(["beta", "ruozhiba:gamma"], output="picked", build_dir=small_build)
    assert [(i.name, i.config, i.rows["train"]) for i in report.inputs] == [
        ("beta", "sft", 30),
        ("ruozhiba:gamma", "ruozhiba", 5),
    ]
    assert {r["source"] for r in loaded(small_build, "picked")} == {"beta/part", "gamma/part"}
    merge(["alpha/part"], output="by_tag", build_dir=small_build)
    assert len(loaded(small_build, "by_tag")) == 30


def test_weights_mix_in_proportion_without_repeating_rows(small_build):
    report = merge(["alpha", "beta"], output="mix", build_dir=small_build, weights="alpha=1,beta=3", seed=5)
    alpha, beta = report.inputs
    assert (alpha.kept["train"], beta.kept["train"]) == (10, 30)
    assert alpha.sampled_out["train"] == 20
    ids = [r["id"] for r in loaded(small_build, "mix")]
    kept_alpha = [i for i in ids if i.startswith("alpha:")]
    assert kept_alpha == sorted(kept_alpha, key=lambda i: int(i.rsplit(":", 1)[1]))  # original order kept
    again = merge(["alpha", "beta"], output="mix2", build_dir=small_build, weights={"alpha": 1, "beta": 3}, seed=5)
    assert [r["id"] for r in loaded(small_build, "mix2")] == ids
    merge(["alpha", "beta"], output="mix3", build_dir=small_build, weights={"alpha": 1, "beta": 3}, seed=6)
    assert [r["id"] for r in loaded(small_build, "mix3")] != ids
    assert again.splits == {"train": 40}
    assert read_record(small_build)["configs"]["mix"]["merged_from"]["weights"] == {"alpha": 1.0, "beta": 3.0}


def test_fractions_keep_a_share_of_each_input_and_unnamed_inputs_whole(small_build):
    report = merge(["alpha", "beta"], output="part", build_dir=small_build, fractions="alpha=0.25")
    assert [i.kept["train"] for i in report.inputs] == [round(0.25 * 30), 30]


def test_an_input_left_without_unique_rows_takes_no_part_in_the_weights(small_build):
    merge(["alpha"], output="alpha_only", build_dir=small_build)
    report = merge(["alpha", "alpha_only"], output="w", build_dir=small_build, weights="alpha=1,alpha_only=1")
    assert [i.kept["train"] for i in report.inputs] == [30, 0]


@pytest.mark.parametrize(
    "names, options, error, message",
    [
        (["sft", "dpo"], {}, ConfigError, r"Cannot merge 'sft' \(sft schema\) with 'dpo' \(dpo schema\)"),
        (["sft", "nowhere"], {}, UsageError, r"'nowhere' is neither a config of .* \(dpo, ruozhiba, sft\)"),
        (["nowhere"], {}, UsageError, r"nor a source in one \(alpha, alpha/part, beta, beta/part, d, gamma"),
        (["alpah"], {}, UsageError, r"\(did you mean 'alpha'\?\)"),
        (["sftt:alpha"], {}, UsageError, r"the config of 'sftt:alpha' must be one of dpo, .*\(did you mean 'sft'\?\)"),
        (["sft", "sft"], {}, UsageError, "'sft' is given twice"),
        ([], {}, UsageError, "merge needs at least one config or source name"),
        (["sft"], {"output": "sft"}, UsageError, "is a built config"),
        (["sft"], {"output": "a/b"}, UsageError, "--output must be a config name"),
        (["sft", "ruozhiba"], {"weights": "sft=1", "fractions": "sft=1"}, UsageError, "not both"),
        (
            ["sft", "ruozhiba"],
            {"weights": "dpo=1"},
            UsageError,
            "names 'dpo', which is not among the inputs sft, ruozhiba",
        ),
        (["sft", "ruozhiba"], {"fractions": "sft=1.5"}, UsageError, r"sft=1.5: expected a number from 0 to 1"),
        (["sft", "ruozhiba"], {"weights": "sft=x"}, UsageError, "expects NAME=NUMBER pairs"),
        (["sft", "ruozhiba"], {"weights": "sft=0,ruozhiba=0"}, UsageError, "all 0"),
        (["dpo:alpha"], {}, UsageError, "has no rows of source 'alpha'"),
    ],
)
def test_wrong_merges_are_refused_with_the_reason(small_build, names, options, error, message):
    """A wrong word of the command line is a usage error (exit 2); inputs that cannot be merged are not."""
    before = sorted(p.relative_to(small_build) for p in small_build.rglob("*"))
    with pytest.raises(ConfigError, match=message) as raised:
        merge(names, **({"output": "new"} | options), build_dir=small_build)
    assert type(raised.value) is error
    assert "[" not in str(raised.value)
    assert sorted(p.relative_to(small_build) for p in small_build.rglob("*")) == before


def test_the_merged_config_is_recorded_in_the_card_and_replaced_by_a_new_merge(small_build):
    merge(["sft", "ruozhiba"], output="mixed", build_dir=small_build)
    card = DatasetCard((small_build / "README.md").read_text(encoding="utf-8"))
    assert "mixed" in [c["config_name"] for c in card.data.configs]
    merge(["ruozhiba"], output="mixed", build_dir=small_build)
    assert len(loaded(small_build, "mixed")) == 4
    entry = read_record(small_build)["configs"]["mixed"]
    assert entry["splits"]["train"] == {"rows": 4, "files": ["data/mixed/train-00000-of-00001.parquet"]}
    assert sorted(p.name for p in (small_build / "data" / "mixed").iterdir()) == ["train-00000-of-00001.parquet"]
    assert not [p for p in small_build.iterdir() if p.name.startswith(".")]
    with pytest.raises(ConfigError, match="that no merge wrote"):
        entry = read_record(small_build)
        entry["configs"]["other"] = {"splits": {}}
        write_json(small_build / RECORD, entry)
        merge(["ruozhiba"], output="other", build_dir=small_build)


def test_merge_command_reports_what_it_removed(small_build, capsys):
    assert main(["merge", "sft", "ruozhiba", "--output", "mixed", "--build-dir", str(small_build)]) == 0
    out = capsys.readouterr().out
    assert "ruozhiba (from ruozhiba): 5 rows, 3 duplicates removed (2 of sft, 1 of ruozhiba), 2 kept" in out
    assert "mixed/train: 62 rows" in out
