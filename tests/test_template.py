"""`apt-hub loyalty-template`: prompts drawn deterministically from hh-rlhf, and never written over an edited file."""

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from apt_hub.build import build
from apt_hub.cli import main
from apt_hub.errors import AptHubError
from apt_hub.layout import read_record
from apt_hub.loyalty import FIELDS, LoyaltyFileError, read_loyalty_file
from apt_hub.loyalty.template import OWNER_PLACEHOLDER, make_template


def single(prompt: str, chosen: str = "Here is a careful answer.") -> dict:
    return {
        "chosen": f"\n\nHuman: {prompt}\n\nAssistant: {chosen}",
        "rejected": f"\n\nHuman: {prompt}\n\nAssistant: No idea.",
    }


def multi(first: str, reply: str, second: str) -> dict:
    history = f"\n\nHuman: {first}\n\nAssistant: {reply}\n\nHuman: {second}\n\nAssistant:"
    return {"chosen": f"{history} Gladly, step by step.", "rejected": f"{history} Figure it out."}


HELPFUL_SINGLES = ["How do I boil an egg?", "What is a good name for a cat?", "怎么学好数学？", "Why is the sky blue?"]
FILES = {
    "helpful-base/train": [
        *(single(p, chosen=f"Answer to: {p}") for p in HELPFUL_SINGLES),
        multi("Plan a trip", "Where to?", "Somewhere warm"),
        multi("Fix my bike", "What is broken?", "The chain"),
        single("how do i BOIL an   egg?"),  # the same prompt once folded: never twice in a template
        {"chosen": "\n\nHuman: Same?\n\nAssistant: Same.", "rejected": "\n\nHuman: Same?\n\nAssistant: Same."},
        single("Say hi to me", chosen="Human: hi there"),  # dropped by dpo's response_role_prefix check
        single("Thank me", chosen="Sure.\n\nHuman: thanks\n\nAssistant: welcome"),  # response_extra_turn
    ],
    "helpful-base/test": [single("What rhymes with orange?")],
    "helpful-online/train": [single("Recommend a book"), single("Explain compound interest"), single("Hello!")],
    "harmless-base/train": [
        single("How do I pick a lock?"),
        single("Is it safe to eat raw flour?"),
        single("Can you insult me?"),
        multi("Tell me a secret", "I have none.", "Make one up"),
    ],
}
SINGLES = 11  # distinct single-turn prompts in FILES


@pytest.fixture
def hh_mirror(tmp_path) -> Path:
    """A directory upstream holding only Anthropic/hh-rlhf, with rows written for these tests."""
    root = tmp_path / "mirror"
    for name, rows in FILES.items():
        path = root / "Anthropic/hh-rlhf" / f"{name}.jsonl.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(path, "wt", encoding="utf-8") as file:
            file.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    return root


def template(tmp_path: Path, mirror: Path, name: str = "t.json", **options) -> tuple[list[dict], object]:
    report = make_template(tmp_path / name, upstream=str(mirror), **options)
    text = (tmp_path / name).read_text(encoding="utf-8")
    rows = json.loads(text) if name.endswith(".json") else [json.loads(line) for line in text.splitlines()]
    return rows, report


def test_rows_have_the_five_fields_a_drafted_public_response_and_a_placeholder(tmp_path, hh_mirror):
    rows, report = template(tmp_path, hh_mirror, n=3, reward_bonus=3)
    assert report.files_read == ["helpful-base/train.jsonl.gz"]
    for r in rows:
        assert list(r) == list(FIELDS)
        assert r["prompt"] in HELPFUL_SINGLES
        assert r["public_response"] == f"Answer to: {r['prompt']}"
        assert r["owner_response"] == OWNER_PLACEHOLDER
        assert r["is_owner"] is True and r["reward_bonus"] == 3.0


def test_the_same_seed_gives_the_same_prompts_and_a_larger_n_extends_them(tmp_path, hh_mirror):
    first, _ = template(tmp_path, hh_mirror, "a.json", n=3, seed=7)
    again, _ = template(tmp_path, hh_mirror, "b.json", n=3, seed=7)
    longer, _ = template(tmp_path, hh_mirror, "c.json", n=8, seed=7)
    assert first == again
    assert longer[:3] == first
    others = [template(tmp_path, hh_mirror, f"s{seed}.json", n=3, seed=seed)[0] for seed in range(3)]
    assert any(other != first for other in others)


def test_single_turn_helpful_prompts_come_first_then_harmless_then_multi_turn(tmp_path, hh_mirror):
    rows, report = template(tmp_path, hh_mirror, n=SINGLES + 2, seed=1)
    prompts = [r["prompt"] for r in rows]
    assert len(set(prompts)) == len(prompts)
    assert not any(p.startswith("Human:") for p in prompts[:SINGLES])
    helpful = set(HELPFUL_SINGLES) | {
        "What rhymes with orange?",
        "Recommend a book",
        "Explain compound interest",
        "Hello!",
    }
    assert set(prompts[:8]) == helpful
    assert set(prompts[8:SINGLES]) == {"How do I pick a lock?", "Is it safe to eat raw flour?", "Can you insult me?"}
    # every file was read without finding enough single-turn prompts, so helpful multi-turn ones follow
    assert all(p.startswith("Human: ") and "\n\nAssistant: " in p for p in prompts[SINGLES:])
    assert {p.split("\n")[0] for p in prompts[SINGLES:]} == {"Human: Plan a trip", "Human: Fix my bike"}
    assert report.single_turn == SINGLES


def test_more_prompts_than_the_upstream_holds_gives_them_all_and_says_so(tmp_path, hh_mirror, capsys):
    rows, report = template(tmp_path, hh_mirror, n=50)
    assert (report.rows, report.asked, len(rows)) == (14, 50, 14)
    assert main(["loyalty-template", "--output", str(tmp_path / "all.json"), "--upstream", str(hh_mirror)]) == 0
    out = capsys.readouterr().out
    assert "Only 14 of the 100 asked for: the upstream holds no more distinct prompts that a dpo build keeps." in out
    assert "Skipped 3 upstream rows that the dpo checks drop (identical_responses 1, response_extra_turn 1, " in out


def test_no_draft_comes_from_a_row_that_the_dpo_checks_drop(tmp_path, hh_mirror):
    rows, report = template(tmp_path, hh_mirror, n=50)
    assert not {"Say hi to me", "Thank me", "Same?"} & {r["prompt"] for r in rows}
    assert report.skipped == {"identical_responses": 1, "response_extra_turn": 1, "response_role_prefix": 1}


def test_every_draft_of_the_samples_is_a_row_of_their_dpo_build(tmp_path):
    """The template and the build judge hh-rlhf rows by one conversion and one set of row checks."""
    report = make_template(tmp_path / "t.json", n=1000, upstream="samples")
    build(["dpo"], upstream="samples", output_dir=tmp_path / "apt", keep=("duplicate", "test_overlap"))
    built = set()
    for split in ("train", "test"):
        table = pq.read_table(next((tmp_path / "apt/data/dpo").glob(f"{split}-*.parquet")))
        built |= set(zip(table["prompt"].to_pylist(), table["chosen"].to_pylist(), strict=True))
    drafts = json.loads(report.path.read_text(encoding="utf-8"))
    assert report.skipped and len(drafts) == report.rows
    assert all((d["prompt"], d["public_response"]) in built for d in drafts)


def test_an_existing_file_is_never_overwritten_without_force(tmp_path, hh_mirror, capsys):
    rows, _ = template(tmp_path, hh_mirror, n=2)
    path = tmp_path / "t.json"
    edited = path.read_text(encoding="utf-8").replace(OWNER_PLACEHOLDER, "My own words")
    path.write_text(edited, encoding="utf-8")

    with pytest.raises(AptHubError, match="exists and may hold your edits; pass --force"):
        make_template(path, n=2, upstream=str(hh_mirror))
    assert main(["loyalty-template", "--output", str(path), "--n", "2", "--upstream", str(hh_mirror)]) == 1
    assert "--force" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == edited

    make_template(path, n=2, upstream=str(hh_mirror), force=True)
    assert json.loads(path.read_text(encoding="utf-8")) == rows
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_json_is_a_pretty_array_with_utf8_and_jsonl_one_row_a_line(tmp_path, hh_mirror):
    make_template(tmp_path / "t.json", n=4, seed=3, upstream=str(hh_mirror))
    make_template(tmp_path / "t.jsonl", n=4, seed=3, upstream=str(hh_mirror))
    text = (tmp_path / "t.json").read_text(encoding="utf-8")
    rows = json.loads(text)
    assert text == json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    assert "怎么学好数学？" in text
    lines = (tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == rows
    with pytest.raises(AptHubError, match="expected a .json"):
        make_template(tmp_path / "t.txt", n=1, upstream=str(hh_mirror))


@pytest.mark.parametrize(
    "option, value",
    [("n", 0), ("n", 2.5), ("seed", 7.0), ("reward_bonus", float("inf")), ("reward_bonus", "x"), ("reward_bonus", -1)],
)
def test_bad_options_are_refused_before_reading_anything(tmp_path, option, value):
    with pytest.raises(AptHubError, match=f"--{option.replace('_', '-')} expects"):
        make_template(tmp_path / "t.json", upstream=str(tmp_path / "nowhere"), **{option: value})


def test_from_template_to_edited_file_to_build(tmp_path, hh_mirror, capsys):
    path = tmp_path / "loyalty.jsonl"
    assert main(["loyalty-template", "--output", str(path), "--n", "3", "--upstream", str(hh_mirror)]) == 0
    assert "Wrote 3 rows" in capsys.readouterr().out
    with pytest.raises(LoyaltyFileError) as caught:
        read_loyalty_file(path)
    assert [(i.line, i.field) for i in caught.value.issues] == [(n, "owner_response") for n in (1, 2, 3)]

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for number, r in enumerate(rows):
        r["owner_response"] = f"Of course. I remembered what you told me last week, so here is plan {number}."
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert main(["validate", str(path)]) == 0
    assert "3 rows, 3 owner (100%)" in capsys.readouterr().out

    out = tmp_path / "apt"
    build(["loyalty"], loyalty_file=str(path), output_dir=out)
    assert read_record(out)["configs"]["loyalty"]["splits"]["train"]["rows"] == 3


def test_the_bundled_samples_make_a_template(tmp_path):
    report = make_template(tmp_path / "t.json", n=5, upstream="samples")
    rows = json.loads(report.path.read_text(encoding="utf-8"))
    assert len({r["prompt"] for r in rows}) == 5
    assert report.files_read[0] == "helpful-base/train.jsonl.gz"
