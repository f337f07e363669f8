"""Each conversion rule of each source, on rows in the upstream formats."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apt_hub.errors import ConfigError
from apt_hub.sources import SOURCES, ColumnCheck, Context, Drop, check_columns, get_source, matches
from apt_hub.sources.base import ListOf, Shape
from apt_hub.sources.coig_cqia import to_sft
from apt_hub.sources.hh_rlhf import ASSISTANT, common_prefix_length, last_shared_marker
from apt_hub.sources.hh_rlhf import to_dpo as hh_to_dpo
from apt_hub.sources.s1k import extract_answer, to_storm
from apt_hub.sources.ultrafeedback import to_dpo as uf_to_dpo


def coig_row(**changes):
    row = {
        "instruction": "把下面的句子翻译成英文",
        "input": "",
        "output": "Good morning.",
        "task_type": {"major": ["翻译"], "minor": ["中译英", "短句"]},
        "domain": ["通用"],
        "metadata": "暂无元数据信息",
        "answer_from": "human",
        "human_verified": True,
        "copyright": "暂无版权及作者信息",
    }
    return row | changes


def transcript(*turns: str) -> str:
    return "".join(f"\n\n{'Human' if i % 2 == 0 else 'Assistant'}: {turn}" for i, turn in enumerate(turns))


@pytest.mark.parametrize(
    "row, expected",
    [
        (coig_row(), {"prompt": "把下面的句子翻译成英文", "task_type": "翻译 / 中译英, 短句"}),
        (coig_row(input="早上好"), {"prompt": "把下面的句子翻译成英文\n\n早上好"}),
        (coig_row(input="  "), {"prompt": "把下面的句子翻译成英文"}),
        (coig_row(task_type={"major": ["问答"], "minor": []}), {"task_type": "问答"}),
        (coig_row(output=" \n"), Drop("empty_response")),
        (coig_row(instruction="", input=""), Drop("empty_prompt")),
    ],
)
def test_coig_cqia_rows(row, expected):
    unified = to_sft(row, Context(tag="coig-cqia/exam"))
    if isinstance(expected, Drop):
        assert unified == expected
    else:
        assert unified | expected == unified
        assert unified["response"] == row["output"] and unified["source"] == "coig-cqia/exam"


@pytest.mark.parametrize(
    "chosen, rejected, expected",
    [
        # single turn: the bare user message, like an UltraFeedback prompt
        (transcript("Hi there", "Hello!"), transcript("Hi there", "Go away."), ("Hi there", "Hello!", "Go away.")),
        # responses beginning with the same characters keep them
        (
            transcript("Help?", "I can help with that."),
            transcript("Help?", "I cannot."),
            ("Help?", "I can help with that.", "I cannot."),
        ),
        # multi-turn: the history as a transcript, each turn verbatim
        (
            transcript("A", "B", "C", "D1"),
            transcript("A", "B", "C", "D2"),
            ("Human: A\n\nAssistant: B\n\nHuman: C", "D1", "D2"),
        ),
        # a response that itself continues the dialogue stays whole
        (
            transcript("Q", "Sure.\n\nHuman: thanks\n\nAssistant: welcome"),
            transcript("Q", "No."),
            ("Q", "Sure.\n\nHuman: thanks\n\nAssistant: welcome", "No."),
        ),
        # two assistant turns in a row, the history ending on the first: no user turn to answer
        (
            "\n\nHuman: Q\n\nAssistant: one\n\nAssistant: two",
            "\n\nHuman: Q\n\nAssistant: one\n\nAssistant: three",
            Drop("unalternating_history"),
        ),
        # two assistant turns in a row inside the history: the second stays inside the first
        (
            "\n\nHuman: Q\n\nAssistant: one\n\nAssistant: two\n\nHuman: R\n\nAssistant: yes",
            "\n\nHuman: Q\n\nAssistant: one\n\nAssistant: two\n\nHuman: R\n\nAssistant: no",
            ("Human: Q\n\nAssistant: one\n\nAssistant: two\n\nHuman: R", "yes", "no"),
        ),
        # one response a prefix of the other
        (transcript("Q", "Yes, and more."), transcript("Q", "Yes"), ("Q", "Yes, and more.", "Yes")),
        (transcript("Q", ""), transcript("Q", "Something"), Drop("empty_response")),
        (transcript("Q", "Something"), transcript("Q", "  "), Drop("empty_response")),
        (transcript("Q", "Same"), transcript("Q", "Same"), Drop("identical_responses")),
        (transcript("Q", "Same"), transcript("Q", "Same "), Drop("identical_responses")),
        (transcript("Q1", "A"), transcript("Q2", "A"), Drop("no_assistant_boundary")),
    ],
)
def test_hh_rlhf_split(chosen, rejected, expected):
    unified = hh_to_dpo({"chosen": chosen, "rejected": rejected}, Context(tag="hh-rlhf/helpful-base"))
    if isinstance(expected, Drop):
        assert unified == expected
    else:
        assert (unified["prompt"], unified["chosen"], unified["rejected"]) == expected
        assert unified["source"] == "hh-rlhf/helpful-base"


def uf_row(chosen="Paris.", rejected="Lyon.", prompt="Capital of France?"):
    def messages(answer):
        return [{"content": prompt, "role": "user"}, {"content": answer, "role": "assistant"}]

    return {
        "prompt": prompt,
        "prompt_id": "0" * 64,
        "chosen": messages(chosen),
        "rejected": messages(rejected),
        "messages": messages(chosen),
        "score_chosen": 8.5,
        "score_rejected": 8.5,
    }


def test_ultrafeedback_prompt_turns_come_from_the_upstream_messages():
    row = uf_row()
    row["chosen"] = [{"role": "system", "content": "Be brief."}, *row["chosen"]]
    assert uf_to_dpo(row, Context(tag="ultrafeedback")) == Drop("unalternating_history")
    row = uf_row()
    row["chosen"] = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
        *row["chosen"],
    ]
    turns = uf_to_dpo(row, Context(tag="ultrafeedback"))["prompt_messages"]
    assert [m["content"] for m in turns] == ["Hi", "Hello", "Capital of France?"]


def test_ultrafeedback_rows():
    unified = uf_to_dpo(uf_row(), Context(tag="ultrafeedback"))
    assert unified == {
        "prompt": "Capital of France?",
        "chosen": "Paris.",
        "rejected": "Lyon.",
        "source": "ultrafeedback",
        "score_chosen": 8.5,
        "score_rejected": 8.5,
        "prompt_messages": [{"role": "user", "content": "Capital of France?"}],
    }
    assert uf_to_dpo(uf_row(chosen=""), Context(tag="ultrafeedback")) == Drop("empty_response")
    assert uf_to_dpo(uf_row(rejected="Paris."), Context(tag="ultrafeedback")) == Drop("identical_responses")
    no_assistant = uf_row() | {"rejected": [{"content": "Capital of France?", "role": "user"}]}
    assert uf_to_dpo(no_assistant, Context(tag="ultrafeedback")) == Drop("no_assistant_message")


@pytest.mark.parametrize(
    "attempt, expected",
    [
        ("Thus $\\boxed{\\frac{1}{2}}$.", ("\\frac{1}{2}", "boxed", [])),
        ("First \\boxed{3}, corrected: \\boxed{4}", ("4", "boxed", ["several_boxes"])),
        ("Good \\boxed{5} then broken \\boxed{6", ("5", "boxed", [])),
        ("Steps...\nAnswer: 42", ("42", "answer_line", [])),
        ("Answer: 1\nwait\n**Answer:** 7", ("7", "answer_line", [])),
        ("Just the number 9", ("Just the number 9", "attempt", [])),
        ("\\boxed {5} twice: \\fbox{5}", ("5", "boxed", [])),
        ("\\boxed{} then \\boxed{ 8 }", ("8", "boxed", ["empty_box"])),
        ("only $\\boxed{ }$", ("", "attempt", ["empty_box"])),
    ],
)
def test_s1k_answer_extraction(attempt, expected):
    assert extract_answer(attempt) == expected


def s1k_row(**changes):
    row = {
        "solution": "2",
        "question": "What is 1+1?",
        "cot_type": "math",
        "source_type": "toy/arith",
        "metadata": "{'ID': 1}",
        "gemini_thinking_trajectory": "one plus one",
        "gemini_attempt": "\\boxed{2}",
        "gemini_grade": "Yes",
        "gemini_grade_reason": "ok",
        "deepseek_thinking_trajectory": "Okay, 1+1.",
        "deepseek_attempt": "The answer is \\boxed{2}.",
        "deepseek_grade": "No",
        "deepseek_grade_reason": "?",
    }
    return row | changes


@pytest.mark.parametrize("trace", ["deepseek", "gemini"])
def test_s1k_trace_choice(trace):
    unified = to_storm(s1k_row(), Context(tag="s1k", options={"storm_trace": trace}))
    expected_cot = "Okay, 1+1." if trace == "deepseek" else "one plus one"
    assert unified["cot_explicit"] == expected_cot and unified["answer"] == "2" and unified["trace_model"] == trace
    assert unified["grade"] == ("No" if trace == "deepseek" else "Yes")
    assert unified["problem"] == "What is 1+1?" and unified["solution"] == "2"


def test_s1k_trace_as_list_of_strings():
    row = s1k_row(deepseek_thinking_trajectory=["part one", "part two"], deepseek_attempt=["Answer: 2"])
    unified = to_storm(row, Context(tag="s1k"))
    assert unified["cot_explicit"] == "part one\n\npart two" and unified["answer"] == "2"
    assert check_columns(row, SOURCES["s1k"].columns) is None


def test_s1k_empty_trace_is_dropped():
    assert to_storm(s1k_row(deepseek_thinking_trajectory=" "), Context(tag="s1k")) == Drop("empty_trace")


@pytest.mark.parametrize(
    "row, expected",
    [
        ({"chosen": "a"}, ("rejected", "missing field (expected string)")),
        ({"chosen": "a", "rejected": 3}, ("rejected", "expected string, got integer")),
        ({"chosen": None, "rejected": "b"}, ("chosen", "expected string, got null")),
        (["a", "b"], (None, "expected a JSON object, got list")),
        ({"chosen": "a", "rejected": "b"}, None),
    ],
)
def test_check_columns(row, expected):
    assert check_columns(row, SOURCES["hh-rlhf"].columns) == expected


@pytest.mark.parametrize(
    "source, row, expected",
    [
        ("coig-cqia", coig_row(task_type={"major": ["问答"], "minor": [1, 2]}), "task_type.minor[0]"),
        ("coig-cqia", coig_row(task_type={"major": "问答", "minor": []}), "task_type.major"),
        ("coig-cqia", coig_row(task_type=["问答"]), "task_type"),
        ("coig-cqia", coig_row(domain=["通用", 7]), "domain[1]"),
        ("coig-cqia", coig_row(domain="通用"), "domain"),
        ("coig-cqia", coig_row(human_verified="true"), "human_verified"),
        ("ultrafeedback", uf_row() | {"score_chosen": True}, "score_chosen"),
        ("ultrafeedback", uf_row() | {"chosen": [{"content": 5, "role": "assistant"}]}, "chosen[0].content"),
        ("ultrafeedback", uf_row() | {"rejected": [{"role": "assistant"}]}, "rejected[0].content"),
        ("ultrafeedback", uf_row() | {"chosen": ["Paris."]}, "chosen[0]"),
        ("s1k", s1k_row(deepseek_thinking_trajectory=[1, 2]), "deepseek_thinking_trajectory[0]"),
        ("s1k", s1k_row(gemini_attempt={"text": "x"}), "gemini_attempt"),
    ],
)
def test_wrong_nested_types_are_named_to_the_innermost_field(source, row, expected):
    field, message = check_columns(row, SOURCES[source].columns)
    assert field == expected and message.startswith(("expected ", "missing field (expected "))


@pytest.mark.parametrize(
    "source, row",
    [
        ("coig-cqia", coig_row(task_type={"major": ["问答"]})),
        ("coig-cqia", coig_row(task_type={"major": None, "minor": None}, domain=[])),
        ("ultrafeedback", uf_row() | {"score_chosen": 9}),
        ("s1k", s1k_row(deepseek_thinking_trajectory=None, gemini_attempt=["a", "b"])),
    ],
)
def test_upstream_variants_the_mappers_handle_pass_the_checks(source, row):
    assert check_columns(row, SOURCES[source].columns) is None


def test_patterns_stay_within_a_path_segment():
    assert matches("*/*.jsonl", "wiki/baobao.jsonl")
    assert not matches("*/*.jsonl", "COIG-CQIA-full.jsonl")
    assert not matches("*/*.jsonl", "a/b/c.jsonl")
    assert matches("data/train_prefs-*.parquet", "data/train_prefs-00000-of-00001-abc.parquet")


def test_unknown_source_lists_the_available_ones():
    with pytest.raises(ConfigError, match=r"a source must be one of coig-cqia, hh-rlhf, .*; got 'hh-rhlf' \(did"):
        get_source("hh-rhlf")


@pytest.mark.parametrize(
    "a, b",
    [
        ("", ""),
        ("", "x"),
        ("abc", "abc"),
        ("abc", "abd"),
        ("abc", "ab"),
        ("xbc", "abc"),
        ("对话一", "对话二"),
        ("a" * 999, "a" * 998 + "b"),
    ],
)
def test_common_prefix_length(a, b):
    expected = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    assert common_prefix_length(a, b) == common_prefix_length(b, a) == expected


class Text(str):
    """A string that is not exactly `str`, as a custom reader may give: only the detailed check accepts it."""


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3) | st.text(max_size=3).map(Text),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["major", "content", "x"]), inner),
    max_leaves=5,
)
PLAIN = {str: st.text(max_size=3), int: st.integers(), float: st.floats(), bool: st.booleans(), type(None): st.none()}


def values_of(types: tuple) -> st.SearchStrategy:
    """Values that fit one of `types`, but one in ten anything at all, at every depth."""
    fitting = []
    for kind in types:
        if isinstance(kind, ListOf):
            fitting.append(st.lists(values_of(kind.items), max_size=3))
        elif isinstance(kind, Shape):
            fields = {key: values_of(types) for key, types in kind.fields.items()}
            fitting.append(
                st.fixed_dictionaries(
                    {k: v for k, v in fields.items() if k not in kind.optional},
                    optional={k: v for k, v in fields.items() if k in kind.optional},
                )
            )
        else:
            fitting.append(PLAIN.get(kind, JUNK))
    return st.integers(0, 9).flatmap(lambda n: JUNK if n == 0 else st.one_of(fitting))


def rows_of(columns) -> st.SearchStrategy:
    """Rows of `columns` whose columns are each there four times in five, and now and then not a row."""
    absent = object()
    values = {
        name: st.integers(0, 4).flatmap(lambda n, t=types: st.just(absent) if n == 0 else values_of(t))
        for name, types in columns.items()
    }
    row = st.fixed_dictionaries(values).map(lambda row: {k: v for k, v in row.items() if v is not absent})
    return st.integers(0, 9).flatmap(lambda n: JUNK if n == 0 else row)


SCHEMAS = [source.columns for source in SOURCES.values()] + [
    {"a": (object,), "b": (ListOf((object, int)),), "c": (Shape({"d": (float, ListOf((bool,)))}),)},
    {"e": (ListOf((ListOf((str,)), Shape({"f": (str,)}))), type(None))},
]


@pytest.mark.parametrize("columns", SCHEMAS)
@given(data=st.data())
def test_the_compiled_column_check_agrees_with_the_detailed_one(data, columns):
    row = data.draw(rows_of(columns))
    assert ColumnCheck(columns)(row) == check_columns(row, columns)


PIECES = ["\n\nHuman:", "\n\nAssistant:", "\n\nAssistant", " a", "b", "\n"]


@given(
    shared=st.lists(st.sampled_from(PIECES), max_size=6).map("".join),
    ends=st.lists(st.lists(st.sampled_from(PIECES), max_size=4).map("".join), min_size=2, max_size=2),
)
def test_the_last_shared_marker_is_the_last_one_in_the_shared_prefix(shared, ends):
    chosen, rejected = shared + ends[0], shared + ends[1]
    expected = chosen.rfind(ASSISTANT, 0, common_prefix_length(chosen, rejected))
    assert last_shared_marker(chosen, rejected) == expected
