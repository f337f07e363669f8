"""Quality checks, the duplicate rule, test overlap and decontamination, on the planted rows of the samples."""

import io
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apt_hub.builders import Apt
from hypothesis import given
from hypothesis import strategies as st

from apt_hub.build import build
from apt_hub.clean import dedup
from apt_hub.clean.checks import CHECKS, RowScreen, trim
from apt_hub.clean.text import normalize_text, normalize_texts
from apt_hub.configs import CONFIGS
from apt_hub.errors import AptHubError
from apt_hub.layout import read_record, splits_on_disk
from apt_hub.sources.base import whitespace
from apt_hub.stats import compute_stats

# (config, split, source tag, check, count key): the planted row of each check in tools/samples/*.yaml.
PLANTED = [
    ("dpo", "train", "hh-rlhf/helpful-base", "response_role_prefix", "dropped"),
    ("dpo", "train", "hh-rlhf/helpful-online", "response_extra_turn", "dropped"),
    ("dpo", "train", "hh-rlhf/helpful-base", "prompt_role_artefact", "flagged"),
    ("dpo", "train", "hh-rlhf/harmless-base", "prefix_pair", "flagged"),
    ("dpo", "train", "hh-rlhf/helpful-base", "duplicate", "dropped"),
    ("dpo", "train", "hh-rlhf/helpful-base", "duplicate_prompt", "flagged"),
    ("dpo", "train", "hh-rlhf/helpful-base", "test_overlap", "dropped"),
    ("sft", "train", "coig-cqia/ruozhiba", "short_response", "flagged"),
    ("sft", "train", "coig-cqia/ruozhiba", "duplicate", "dropped"),
    ("ruozhiba", "train", "coig-cqia/ruozhiba", "duplicate_prompt", "flagged"),
    ("storm", "train", "s1k", "empty_box", "flagged"),
    ("storm", "train", "s1k", "several_boxes", "flagged"),
    ("storm", "train", "s1k", "graded_wrong", "flagged"),
    ("storm", "train", "s1k", "empty_answer", "dropped"),
]


@pytest.fixture(scope="module")
def samples_stats(samples_build) -> dict:
    return compute_stats(samples_build)


def parquet_rows(root, config: str, split: str = "train") -> list[dict]:
    return pq.read_table([root / p for p in splits_on_disk(root)[config][split]]).to_pylist()


@pytest.mark.parametrize(("config", "split", "tag", "check", "kind"), PLANTED)
def test_every_check_fires_on_its_planted_row(samples_build, samples_stats, config, split, tag, check, kind):
    counts = read_record(samples_build)["configs"][config]["counts"][split][tag]
    assert counts[f"{kind}_{check}"] >= 1
    assert samples_stats["configs"][config]["splits"][split]["sources"][tag]["build"][f"{kind}_{check}"] >= 1
    rows = [row for row in parquet_rows(samples_build, config, split) if row["source"] == tag]
    flagged = [row for row in rows if check in row["quality_flags"]]
    assert len(flagged) == (counts[f"{kind}_{check}"] if kind == "flagged" else 0)
    assert f"{check} " in (samples_build / "README.md").read_text(encoding="utf-8")


def test_every_check_is_documented_in_the_guide_and_the_card(samples_build):
    guide = (Path(__file__).parents[1] / "docs" / "quality.md").read_text(encoding="utf-8")
    card = (samples_build / "README.md").read_text(encoding="utf-8")
    for name in CHECKS:
        assert f"| `{name}` |" in card and f"| `{name}` |" in guide


def test_the_builder_alone_gives_clean_flagged_rows(tmp_path):
    builder = Apt(config_name="sft", upstream="samples", cache_dir=str(tmp_path))
    builder.download_and_prepare()
    rows = builder.as_dataset("train").to_list()
    keys = [(normalize_text(r["prompt"]), normalize_text(r["response"])) for r in rows]
    assert len(keys) == len(set(keys))
    assert all(r["prompt"] == trim(r["prompt"]) and r["response"] == trim(r["response"]) for r in rows)
    assert sum(bool(r["quality_flags"]) for r in rows) == 2  # short_response, duplicate_prompt
    assert builder.converted.counts[("train", "coig-cqia/ruozhiba")]["dropped_duplicate"] == 1


def test_keep_and_drop_move_checks(tmp_path):
    report = build(
        ["dpo", "storm"], upstream="samples", output_dir=tmp_path, keep="test_overlap", drop="graded_wrong,prefix_pair"
    )
    dpo, storm = parquet_rows(tmp_path, "dpo"), parquet_rows(tmp_path, "storm")
    overlap = [r for r in dpo if "test_overlap" in r["quality_flags"]]
    assert [r["prompt"] for r in overlap] == ["What should I pack for a weekend trip to the mountains?"]
    assert not any("prefix_pair" in r["quality_flags"] for r in dpo)
    assert {r["grade"] for r in storm} == {"Yes"} and "graded_wrong" not in str(storm)
    counts = report.configs["storm"]["counts"]["train"]["s1k"]
    assert counts["dropped_graded_wrong"] == 1 and counts["kept"] == len(storm)
    options = read_record(tmp_path)["configs"]["dpo"]["options"]
    assert options["keep"] == ["test_overlap"] and options["drop"] == ["graded_wrong", "prefix_pair"]


def test_the_split_checks_give_the_same_build_a_row_at_a_time(tmp_path, monkeypatch):
    """The split checks stream the files in chunks: chunks of one batch each (and a duplicate, a test overlap and
    a benchmark row each in a chunk of its own) give the same files, counts and stats as whole splits do."""
    path = tmp_path / "bench.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in BENCHMARK), encoding="utf-8")
    options = {"upstream": "samples", "keep": "duplicate", "decontaminate": f"{path}:problem"}
    build(["dpo", "storm"], output_dir=tmp_path / "whole", **options)
    monkeypatch.setattr(dedup, "CHUNK_BYTES", 1)
    build(["dpo", "storm"], output_dir=tmp_path / "chunked", **options)
    whole = sorted(p.relative_to(tmp_path / "whole") for p in (tmp_path / "whole").rglob("*") if p.is_file())
    chunked = sorted(p.relative_to(tmp_path / "chunked") for p in (tmp_path / "chunked").rglob("*") if p.is_file())
    assert whole == chunked
    for name in whole:
        if name.name != "build.json":  # it names the build folder
            assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "chunked" / name).read_bytes(), name
    counts = [read_record(tmp_path / name)["configs"]["dpo"]["counts"] for name in ("whole", "chunked")]
    assert counts[0] == counts[1] and "flagged_duplicate" in str(counts[0])


@pytest.mark.parametrize(
    ("keep", "drop", "message"),
    [("nope", None, "--keep must be one of .*; got 'nope'"), ("duplicate", "duplicate", "both --drop and --keep")],
)
def test_unknown_or_contradictory_checks_stop_the_build(tmp_path, keep, drop, message):
    with pytest.raises(AptHubError, match=message):
        build(["sft"], upstream="samples", output_dir=tmp_path, keep=keep, drop=drop)
    assert not tmp_path.joinpath("build.json").exists()


TRICKY = [
    "  Ｈｅｌｌｏ\u3000World!\n",
    "Straße STRASSE",
    "ﬁne ﬂow",
    "ΌΣΟΣ όσος",
    "a\u2028b\x85c\x1fd\u00a0e",
    "\t\n",
    "İstanbul",
    "ǰ",
    "Ꭰ ꭰ",
    "中文　全角，标点！",
]


def python_rule(text: str) -> str:
    """The rule written with the Python standard library, as `merge` and the loyalty checks used to."""
    return " ".join(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold()).split())


def test_the_vectorised_rule_is_the_python_rule():
    assert normalize_texts(TRICKY) == [python_rule(t) for t in TRICKY]
    every = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    assert normalize_texts(every) == [python_rule(t) for t in every]


def _awkward() -> list[str]:
    """Characters whose fold depends on their neighbours or changes them: decompositions, combining marks, Hangul
    jamo and syllables, case folding beyond lower case; with plain letters, CJK and white space around them."""
    chars = [chr(c) for c in range(0x80, 0x30000) if not 0xD800 <= c <= 0xDFFF]
    odd = [c for c in chars if unicodedata.decomposition(c) or unicodedata.combining(c) or c.casefold() != c.lower()]
    hangul = [chr(c) for c in [*range(0x1100, 0x1200), 0xAC00, 0xAC01, 0xD7A3]]
    return odd + hangul + list("AaZz Jj\tİσςΣ中文，") + ["\u3000", "\u00a0", "\n"]


AWKWARD = _awkward()


def test_the_vectorised_rule_is_the_python_rule_beside_any_awkward_character():
    # Every awkward character after and before a few that combine with what precedes or follows them.
    neighbours = ["\u0301", "\u0323", "\u1161", "\u11a8", "\u3099", "A", "j", "\u1100", "\uac00", "ﬁ", "ǰ"]
    texts = [t for c in AWKWARD for n in neighbours for t in (c + n, n + c)]
    assert normalize_texts(texts) == [python_rule(t) for t in texts]


@given(st.lists(st.text(alphabet=st.sampled_from(AWKWARD), max_size=8), min_size=1, max_size=50))
def test_the_vectorised_rule_is_the_python_rule_on_awkward_texts(texts):
    assert normalize_texts(texts) == [python_rule(t) for t in texts]


@pytest.mark.parametrize(
    ("text", "trimmed"),
    [
        ("\n\n  def f():\n      return 1\n  \n", "  def f():\n      return 1"),
        ("  是的 \n", "是的"),
        ("a\n\n   b", "a\n\n   b"),
        ("x", "x"),
    ],
)
def test_trim_keeps_code_indentation(text, trimmed):
    assert trim(text) == trimmed


BENCHMARK = [
    # shares 8 words with the first storm sample ("that are divisible by $6$ but not by")
    {"problem": "Count the integers $n \\le 1000$ that are divisible by $6$ but not by $9$, please."},
    {"problem": "What is the capital city of a country that does not exist anywhere on this planet?"},
    {"problem": "既然鱼的记忆只有七秒，那它是怎么记住自己住在水里的？"},
]


def test_decontaminate_against_a_local_file(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in BENCHMARK), encoding="utf-8")
    report = build(
        ["storm", "ruozhiba"], upstream="samples", output_dir=tmp_path / "apt", decontaminate=f"{path}:problem"
    )
    record = read_record(tmp_path / "apt")["configs"]
    spec = f"{path}:problem"
    assert record["storm"]["decontamination"] == {spec: {"revision": "local", "rows_removed": {"train": 1}}}
    assert record["ruozhiba"]["decontamination"][spec]["rows_removed"] == {"train": 1}
    assert report.configs["storm"]["counts"]["train"]["s1k"]["dropped_contaminated"] == 1
    assert not any("divisible by $6$" in r["problem"] for r in parquet_rows(tmp_path / "apt", "storm"))
    assert not any("七秒" in r["prompt"] for r in parquet_rows(tmp_path / "apt", "ruozhiba"))
    card = (tmp_path / "apt" / "README.md").read_text(encoding="utf-8")
    assert f"| `storm` | {spec} | `local` | 1 |" in card


def test_decontaminate_against_a_hub_benchmark(hub, tmp_path):
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist([{"question": r["problem"], "answer": "x"} for r in BENCHMARK]), buffer)
    sha = hub.add_repo("bench/quiz", {"main/test-00000-of-00001.parquet": buffer.getvalue(), "README.md": b"quiz"})
    build(["storm"], upstream="samples", output_dir=tmp_path / "apt", decontaminate="bench/quiz:main:test:question")
    entry = read_record(tmp_path / "apt")["configs"]["storm"]["decontamination"]["bench/quiz:main:test:question"]
    assert entry == {"revision": sha, "rows_removed": {"train": 1}}
    build(["storm"], upstream="samples", output_dir=tmp_path / "default", decontaminate="bench/quiz")
    assert read_record(tmp_path / "default")["configs"]["storm"]["counts"]["train"]["s1k"]["dropped_contaminated"] == 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("missing.jsonl:problem", "no such file"),
        ("not-a-spec", "expected org/name"),
        ("bench/quiz:main:validation:question", "no data file of split 'validation'"),
    ],
)
def test_bad_benchmark_specs_are_named(hub, tmp_path, spec, message):
    hub.add_repo("bench/quiz", {"main/test.jsonl": b'{"question": "q"}\n'})
    with pytest.raises(AptHubError, match=message):
        build(["storm"], upstream="samples", output_dir=tmp_path, decontaminate=spec)


def test_a_benchmark_row_without_its_text_is_located(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text('{"problem": "fine"}\n{"problem": 3}\n', encoding="utf-8")
    with pytest.raises(
        AptHubError, match=r"bench.jsonl:2: field 'problem': expected a benchmark text \(string\), got int"
    ):
        build(["storm"], upstream="samples", output_dir=tmp_path / "apt", decontaminate=f"{path}:problem")


def test_stats_count_duplicates_with_the_same_rule(tmp_path):
    frame = pl.DataFrame({"prompt": ["Ｈｅｌｌｏ", "hello "], "response": ["ﬁ", "FI"], "source": ["a", "a"]})
    root = tmp_path / "data" / "sft"
    root.mkdir(parents=True)
    frame.write_parquet(root / "train-00000-of-00001.parquet")
    stats = compute_stats(tmp_path)
    assert stats["configs"]["sft"]["splits"]["train"]["all"]["duplicates"] == {"rows": 1, "prompts": 1}


def trim_by_rule(text: str) -> str:
    """`trim` as its docstring states it, every step taken: what the shortcut for most texts must give."""
    text = re.sub(r"\A[^\S\n]*\n(?:[^\S\n]*\n)*", "", text.rstrip())
    return text if re.search(r"\n[ \t]", text) else text.lstrip()


# What each row check catches, written for one row with Python's `re` and `str`: the rule its Arrow kernel must give.
ROLE_PREFIX = re.compile(r"\s*(Human|Assistant):")
EXTRA_TURN = re.compile(r"\n\n(Human|Assistant):")
ROW_RULES = {
    "response_role_prefix": lambda row: bool(ROLE_PREFIX.match(row["chosen"]) or ROLE_PREFIX.match(row["rejected"])),
    "response_extra_turn": lambda row: bool(EXTRA_TURN.search(row["chosen"]) or EXTRA_TURN.search(row["rejected"])),
    "prompt_role_artefact": lambda row: "Assistant: Human:" in row["prompt"],
    "short_response": lambda row: len(row["response"].strip()) <= 1,
    "graded_wrong": lambda row: row["grade"] == "No",
}


def test_every_row_check_has_its_rule():
    assert {name for name, check in CHECKS.items() if check.test} == set(ROW_RULES)


def screen_by_rule(row: dict, config: str, dropping: frozenset[str], counter: Counter) -> bool:
    """The row checks as the checks module states them, every check run on one row: what `RowScreen` must give."""
    flags = list(row.get("quality_flags") or [])
    flags += [name for name, rule in ROW_RULES.items() if name in CONFIGS[config].checks and rule(row)]
    dropped = next((name for name in flags if name in dropping), None)
    if dropped:
        counter[f"dropped_{dropped}"] += 1
        return False
    row["quality_flags"] = flags
    changed = [trim_by_rule(row[field]) != row[field] for field in CONFIGS[config].trimmed]
    row |= {field: trim_by_rule(row[field]) for field in CONFIGS[config].trimmed}
    counter["trimmed"] += any(changed)
    return True


TEXTS = st.lists(
    st.sampled_from(["Human:", "Assistant:", "\n\nHuman:", "\n\nAssistant:", "Assistant: Human:", "\n", " ", "\t"])
    | st.sampled_from(["\u3000", "\x1c", "\r", "No", "是", "x = 1", "  y", "\n  z"]),
    max_size=6,
).map("".join)


@st.composite
def unified_rows(draw, texts=TEXTS) -> dict:
    fields = ("prompt", "response", "chosen", "rejected", "problem", "answer", "grade")
    row = {field: draw(texts) for field in fields}
    flags = draw(st.none() | st.lists(st.sampled_from([*CHECKS, "other"]), max_size=3))
    return row if flags is None else row | {"quality_flags": flags}


@given(text=TEXTS | st.text(max_size=8))
def test_trim_gives_what_its_rule_gives(text):
    assert trim(text) == trim_by_rule(text)


SCREENED = pa.schema(
    [(field, pa.string()) for field in ("prompt", "response", "chosen", "rejected", "problem", "answer", "grade")]
    + [("quality_flags", pa.list_(pa.string()))]
)


@given(data=st.data(), config=st.sampled_from(["sft", "ruozhiba", "dpo", "storm", "loyalty"]))
def test_the_row_screen_gives_what_the_rule_gives_each_row(data, config):
    texts = TEXTS | st.text(alphabet=st.sampled_from(" \t\n\u3000\x85xHumanAsist:No"), max_size=12)
    rows = data.draw(st.lists(unified_rows(texts), max_size=12))
    dropping = frozenset(data.draw(st.sets(st.sampled_from(list(CHECKS)))))
    expected_counter, expected, kept = Counter(), [], []
    for row in rows:
        row = {field: row.get(field) for field in SCREENED.names}
        kept.append(screen_by_rule(row, config, dropping, expected_counter))
        if kept[-1]:
            expected.append(row)
    counter = Counter()
    table, mask = RowScreen(CONFIGS[config], dropping)(pa.Table.from_pylist(rows, schema=SCREENED), counter)
    assert table.to_pylist() == expected
    assert mask.to_pylist() == kept
    assert +counter == +expected_counter


def test_the_white_space_of_the_checks_is_pythons():
    assert set(whitespace()) == {char for char in map(chr, range(sys.maxunicode + 1)) if char.isspace()}
