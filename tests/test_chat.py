"""The conversational twins, checked with TRL's own data utilities and against the rows of their flat configs."""

import json
import shutil
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apt_hub.builders import Apt
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, models
from transformers import PreTrainedTokenizerFast
from trl.data_utils import is_conversational, maybe_apply_chat_template

from apt_hub.build import build
from apt_hub.chat import THINK_CLOSE, THINK_OPEN, form_problem, join_transcript, transcript_messages
from apt_hub.configs import CONFIGS
from apt_hub.layout import read_record, splits_on_disk
from apt_hub.read.manifest import COPY_SUFFIX
from apt_hub.read.upstream import SAMPLES

CHATML = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] }}"
    "{{ '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
GENERATION_PROMPT = "<|im_start|>assistant\n"
TWINS = {config.name: config.flat for config in CONFIGS.values() if config.flat}
TURNED = {config.name: config.twin.turned for config in CONFIGS.values() if config.twin}
# The flat config's own forms of its texts for other trainers, which the twin holds as messages.
DERIVED = {config.name: config.derived.fields if config.derived else () for config in CONFIGS.values()}


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    """A ChatML tokenizer made here: a one-word vocabulary is enough to render templates, and nothing is downloaded."""
    model = Tokenizer(models.WordLevel({"<unk>": 0, "<|im_end|>": 1}, unk_token="<unk>"))
    return PreTrainedTokenizerFast(
        tokenizer_object=model, unk_token="<unk>", eos_token="<|im_end|>", chat_template=CHATML
    )


def rows(root: Path, config: str, split: str) -> list[dict]:
    return datasets.load_dataset(str(root), config, split=split).to_list()


def alternates(messages: list[dict]) -> bool:
    roles = [m["role"] for m in messages]
    return roles == ["user", "assistant"] * (len(roles) // 2) + ["user"]


@pytest.mark.parametrize("twin", TWINS)
def test_trl_renders_every_row_of_every_twin(samples_build, tokenizer, twin):
    splits = read_record(samples_build)["configs"][twin]["splits"]
    for split in splits:
        for row in rows(samples_build, twin, split):
            assert is_conversational(row)
            assert alternates(row["prompt"]), row["id"]
            rendered = maybe_apply_chat_template(row, tokenizer)
            assert rendered["prompt"].endswith(GENERATION_PROMPT)
            assert rendered["prompt"].count("<|im_start|>") == len(row["prompt"]) + 1
            for column in ("chosen", "rejected", "completion"):
                if column in row:
                    # one assistant turn: its content, closed, after the generation prompt
                    (message,) = row[column]
                    assert message["role"] == "assistant"
                    assert rendered[column] == message["content"] + "<|im_end|>\n"


@pytest.mark.parametrize("twin", TWINS)
def test_a_twin_row_is_its_flat_row_as_messages(samples_build, twin):
    flat = TWINS[twin]
    for split in read_record(samples_build)["configs"][twin]["splits"]:
        flat_rows, twin_rows = rows(samples_build, flat, split), rows(samples_build, twin, split)
        assert [r["id"] for r in twin_rows] == [r["id"] for r in flat_rows]
        for before, after in zip(flat_rows, twin_rows, strict=True):
            carried = {k: v for k, v in before.items() if k not in TURNED[flat] + DERIVED[flat]}
            assert {k: after[k] for k in carried} == carried
            assert texts(flat, after) == tuple(before[k] for k in TURNED[flat])


def texts(flat: str, row: dict) -> tuple[str, ...]:
    """The flat texts written back from a twin row, by the rules the card documents."""
    prompt = row["prompt"]
    if flat == "dpo":
        text = prompt[0]["content"] if len(prompt) == 1 else join_transcript(prompt)
        return text, row["chosen"][0]["content"], row["rejected"][0]["content"]
    completion = row["completion"][0]["content"]
    if flat == "storm":
        trace, attempt = completion.removeprefix(THINK_OPEN).split(THINK_CLOSE, 1)
        return prompt[0]["content"], trace, attempt
    return prompt[0]["content"], completion


def test_multi_turn_hh_rlhf_prompts_keep_every_turn(samples_build):
    train = rows(samples_build, "dpo_chat", "train")
    multi = [r for r in train if len(r["prompt"]) > 1]
    assert multi and all(r["source"].startswith("hh-rlhf/") for r in multi)


def test_the_builder_gives_the_twin_that_the_build_writes(samples_build, tmp_path):
    builder = Apt(config_name="dpo_chat", upstream="samples", cache_dir=str(tmp_path / "cache"))
    builder.download_and_prepare()
    for split in ("train", "test"):
        assert builder.as_dataset(split).to_list() == rows(samples_build, "dpo_chat", split)
    assert builder.info.features == CONFIGS["dpo_chat"].features


def shards(root: Path, config: str) -> dict[str, bytes]:
    return {p: (root / p).read_bytes() for paths in splits_on_disk(root)[config].values() for p in paths}


def test_flat_and_twin_files_are_the_same_bytes_however_they_are_asked_for(tmp_path):
    alone, both, twin = tmp_path / "alone", tmp_path / "both", tmp_path / "twin"
    build(["dpo", "storm"], upstream="samples", output_dir=alone)
    report = build(["dpo", "dpo_chat", "storm", "storm_chat"], upstream="samples", output_dir=both)
    build(["dpo_chat"], upstream="samples", output_dir=twin)
    assert shards(alone, "dpo") == shards(both, "dpo") and shards(alone, "storm") == shards(both, "storm")
    assert shards(twin, "dpo_chat") == shards(both, "dpo_chat")
    assert not (twin / "data/dpo").exists()
    assert report.configs["dpo_chat"]["counts"] == report.configs["dpo"]["counts"]
    assert report.configs["dpo_chat"]["twin_of"] == "dpo"


def test_a_max_samples_draw_is_the_same_in_flat_and_twin(tmp_path):
    out = tmp_path / "apt"
    build(["sft", "sft_chat"], upstream="samples", output_dir=out, max_samples=2, seed=7)
    flat, twin = rows(out, "sft", "train"), rows(out, "sft_chat", "train")
    assert len(flat) == 2  # one source, coig-cqia
    assert [r["id"] for r in twin] == [r["id"] for r in flat]
    alone = tmp_path / "alone"
    build(["sft_chat"], upstream="samples", output_dir=alone, max_samples=2, seed=7)
    assert [r["id"] for r in rows(alone, "sft_chat", "train")] == [r["id"] for r in flat]


@pytest.mark.parametrize("asked", ["dpo", "dpo_chat"])
def test_a_config_built_again_alone_rewrites_its_twin_from_the_same_rows(samples_build, tmp_path, asked):
    """A flat config and its twin never disagree: rebuilding one of them (with other options) rewrites the other
    one the folder holds, from the same rows, with the same options recorded."""
    out = tmp_path / "apt"
    shutil.copytree(samples_build, out)
    report = build([asked], upstream="samples", output_dir=out, max_samples=3, seed=7)
    other = "dpo_chat" if asked == "dpo" else "dpo"
    assert set(report.configs) == {"dpo", "dpo_chat"}
    assert f"{other} rebuilt with {asked}: a config and its twin hold the same rows" in report.notes
    record = read_record(out)["configs"]
    for split in ("train", "test"):
        flat, twin = rows(out, "dpo", split), rows(out, "dpo_chat", split)
        assert [r["id"] for r in twin] == [r["id"] for r in flat] and len(flat) == record["dpo"]["splits"][split][
            "rows"
        ]
        assert len(flat) <= 6  # three rows per source
    assert record["dpo"]["options"] == record["dpo_chat"]["options"] and record["dpo"]["options"]["max_samples"] == 3
    assert record["dpo"]["counts"] == record["dpo_chat"]["counts"]


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        ("\n\nHuman: Hi", [("user", "Hi")]),
        ("\n\nHuman: Hi\n\nAssistant: Yo\n\nHuman: Bye", [("user", "Hi"), ("assistant", "Yo"), ("user", "Bye")]),
        ("\n\nHuman:Hi", [("user", "Hi")]),
        ("\n\nHuman: A\n\nHuman: B", [("user", "A\n\nHuman: B")]),
        ("\n\nAssistant: Hi\n\nHuman: Q", None),
        ("\n\nHuman: Q\n\nAssistant: A", None),
        ("Hi\n\nHuman: Q", None),
        ("", None),
    ],
)
def test_transcript_turns(history, expected):
    messages = transcript_messages(history)
    assert (messages and [(m["role"], m["content"]) for m in messages]) == expected


def test_real_hh_rlhf_rows_give_a_dpo_chat_with_exactly_the_rows_of_dpo(shared_upstream, tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(SAMPLES, mirror, ignore=shutil.ignore_patterns("loyalty.json", f"*{COPY_SUFFIX}"))
    shutil.copy(
        shared_upstream / "hh-rlhf/harmless-base/test.jsonl.gz",
        mirror / "Anthropic/hh-rlhf/harmless-base/test.jsonl.gz",
    )
    out = tmp_path / "apt"
    report = build(["dpo", "dpo_chat"], upstream=str(mirror), output_dir=out, only="hh-rlhf")
    counts = report.configs["dpo_chat"]["counts"]["test"]["hh-rlhf/harmless-base"]
    assert counts == report.configs["dpo"]["counts"]["test"]["hh-rlhf/harmless-base"]
    assert counts["rows"] == 2312 and counts["kept"] == 2276 and counts["noted_folded_turns"] == 4
    flat = [r for r in rows(out, "dpo", "test") if r["source"] == "hh-rlhf/harmless-base"]
    twin = [r for r in rows(out, "dpo_chat", "test") if r["source"] == "hh-rlhf/harmless-base"]
    assert len(flat) == len(twin) == 2276
    assert [r["id"] for r in twin] == [r["id"] for r in flat]
    assert all(alternates(r["prompt"]) for r in twin)
    assert all(texts("dpo", after)[0] == before["prompt"] for before, after in zip(flat, twin, strict=True))
    assert sum(len(r["prompt"]) > 1 for r in twin) == 1634  # 1,649 before the quality checks dropped 32 rows
    folded = [
        r for r in twin if any("\n\nAssistant:" in m["content"] for m in r["prompt"] if m["role"] == "assistant")
    ]
    assert len(folded) == 4


def test_parquet_features_of_a_twin_are_message_lists(samples_build):
    path = samples_build / splits_on_disk(samples_build)["dpo_chat"]["train"][0]
    assert datasets.Features.from_arrow_schema(pq.read_schema(path)) == CONFIGS["dpo_chat"].features


def test_stats_count_messages_per_prompt_and_characters_per_role(samples_build):
    stats = json.loads((samples_build / "stats.json").read_text(encoding="utf-8"))["configs"]["dpo_chat"]
    assert {"prompt[user]", "prompt[assistant]", "chosen[assistant]", "rejected[assistant]"} <= set(
        stats["text_fields"]
    )
    train = stats["splits"]["train"]["all"]
    loaded = rows(samples_build, "dpo_chat", "train")
    turns = [len(r["prompt"]) for r in loaded]
    assert train["turns"]["prompt"]["max"] == max(turns)
    assert train["turns"]["prompt"]["multi"] == sum(n > 1 for n in turns) > 0
    user_texts = [[m["content"] for m in r["prompt"] if m["role"] == "user"] for r in loaded]
    users = [len("\n\n".join(texts)) for texts in user_texts]  # the user turns joined by a blank line
    assert train["fields"]["prompt[user]"]["max"] == max(users)
    assert train["fields"]["prompt[user]"]["mean"] == round(sum(users) / len(users), 2)
    card = (samples_build / "README.md").read_text(encoding="utf-8")
    assert f"{sum(n > 1 for n in turns)} multi-turn prompts" in card


ROLES = st.sampled_from(["user", "assistant", "system", None])
MESSAGE_LISTS = st.one_of(
    st.none(),
    st.lists(st.fixed_dictionaries({"role": ROLES, "content": st.one_of(st.none(), st.text(max_size=3))}), max_size=4),
)


def in_form(row: dict) -> str | None:
    """The conversational form, row by row: what `form_problem` finds over whole columns."""
    prompt, completion = row["prompt"], row["completion"]
    complete = all(m["role"] is not None and m["content"] is not None for m in (prompt or []) + (completion or []))
    if prompt is None or not alternates(prompt) or not all(m["content"] is not None for m in prompt):
        return "prompt"
    if completion is None or len(completion) != 1 or completion[0]["role"] != "assistant" or not complete:
        return "completion"
    return None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.fixed_dictionaries({"prompt": MESSAGE_LISTS, "completion": MESSAGE_LISTS}), min_size=1, max_size=6))
def test_the_conversational_form_is_checked_over_columns_as_row_by_row(rows):
    message = pa.list_(pa.struct([pa.field("role", pa.string()), pa.field("content", pa.string())]))
    table = pa.table({"prompt": pa.array([r["prompt"] for r in rows], message),
                      "completion": pa.array([r["completion"] for r in rows], message)})  # fmt: skip
    wrong = [(i, column) for i, row in enumerate(rows) if (column := in_form(row))]
    found = form_problem(table)
    assert (found[0], found[1].split(":")[0]) == min(wrong) if wrong else found is None
