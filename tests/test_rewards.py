"""The GRPO rewards: adversarial completions earn nothing, a correct one in another notation earns the full reward,
chrF is sacreBLEU's, and on the built samples the reference completions and responses score what they should."""

import random
import re
import subprocess
import sys

import datasets
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sacrebleu.metrics import CHRF

from apt_hub.rewards import (
    chrf,
    completion_text,
    final_answer,
    lcs_length,
    loyalty_reward,
    loyalty_score,
    similarity,
    storm_reward,
    think_format_reward,
)

THINK = "<think>\nLet me work it out step by step.\n</think>\n\n"


def storm(completion, solution: str, **columns) -> float | None:
    return storm_reward([completion], [solution], **{key: [value] for key, value in columns.items()})[0]


# (gold solution, completion, reward): the cases of the issue first, then more of the same kind.
STORM_PROBES = [
    ("20", THINK + "The answer is 120.", 0.0),
    ("20", THINK + "In 2020 I was not sure.", 0.0),
    ("20", "The answer is 20.", 0.0),  # no reasoning format: nothing, however right
    ("20", "<think>\nSo the answer is 20.", 0.0),  # never closed: all reasoning, no answer
    ("20", "<think>\n\\boxed{20}\n</think>\n\nI am not sure.", 0.0),  # the answer inside the reasoning only
    ("20", "<think>\n</think>\n\n\\boxed{20}", 0.0),  # an empty reasoning block
    ("20", "<think>a</think><think>b</think>\\boxed{20}", 0.0),  # a second <think>
    ("20", " <think>\nr\n</think>\n\n\\boxed{20}", 0.0),  # the block must open the completion
    ("20", THINK, 0.0),  # nothing after the reasoning
    ("20", THINK + "20", 0.0),  # a bare number is not a stated answer
    ("20", THINK + "The answer is 19, 20 or 21.", 0.0),
    ("20", THINK + "$\\boxed{20}$ or $\\boxed{120}$", 0.0),
    ("20", THINK + "$\\boxed{20, 120}$", 0.0),
    ("20", THINK + "Answer: 20 Answer: 21", 0.0),  # the last stated answer counts
    ("20", THINK + "$\\boxed{x}$", 0.0),
    ("1/2", THINK + "$\\boxed{\\frac{1}{3}}$", 0.0),
    ("3\\sqrt{2}", THINK + "Answer: 3", 0.0),  # bare LaTeX gold read whole, not as its leading 3
    ("SILENT", THINK + "SILENT", 0.0),  # a literal gold must be stated as the answer
    ("He", THINK + "The gas is He.", 0.0),
    ("20", THINK + "The answer is 20.", 1.0),
    ("20", THINK + "Answer: 20", 1.0),
    ("20", THINK + "$\\boxed{20}$", 1.0),
    ("20", THINK + "\\boxed {20}", 1.0),  # the space s1K attempts put before the brace
    ("20", THINK + "$\\fbox{20}$", 1.0),
    ("20", THINK + "The answer is $2 \\cdot 10$.", 1.0),
    ("1/2", THINK + "$\\boxed{\\frac{1}{2}}$", 1.0),  # another notation
    ("\\frac{1}{2}", THINK + "The answer is 1/2.", 1.0),
    ("1/2", THINK + "The answer is 0.5", 1.0),
    ("\\sqrt{2}/2", THINK + "$\\boxed{\\frac{1}{\\sqrt{2}}}$", 1.0),
    ("x^2+2x+1", THINK + "The answer is $(x+1)^2$.", 1.0),
    ("3\\sqrt{2}", THINK + "$\\boxed{3\\sqrt{2}}$", 1.0),
    ("SILENT", THINK + "**Answer:** SILENT", 1.0),
    ("He", THINK + "Answer: He", 1.0),
]


@pytest.mark.parametrize(("solution", "completion", "reward"), STORM_PROBES)
def test_storm_probes(solution, completion, reward):
    result = storm(completion, solution)
    assert result == reward and type(result) is float
    assert storm([{"role": "assistant", "content": completion}], solution) == reward  # as TRL passes it


def test_a_worked_solution_is_read_for_the_result_it_states():
    solution = "Two heads come up in 3 of the 8 outcomes, so the probability is $\\boxed{\\frac{3}{8}}$."
    assert storm(THINK + "$\\boxed{0.375}$", solution) == 1.0
    assert storm(THINK + "$\\boxed{8}$", solution) == 0.0  # a number of the derivation is not its result


def test_the_answer_column_is_a_gold_only_when_stated_and_graded_correct():
    derivation = "Since $\\sqrt{50} = 5\\sqrt{2}$, the difference is $5\\sqrt{2} - 2\\sqrt{2} = 3\\sqrt{2}$."
    right = THINK + "$\\boxed{3\\sqrt{2}}$"
    assert storm(right, derivation, answer="3\\sqrt{2}", answer_kind="boxed", grade="Yes") == 1.0
    # The derivation states no result; an answer graded wrong, or a whole attempt, is no gold: nothing to check.
    assert storm(right, derivation, answer="3\\sqrt{2}", answer_kind="boxed", grade="No") is None
    assert storm(right, derivation, answer="so $3\\sqrt{2}$", answer_kind="attempt", grade="Yes") is None
    assert storm(THINK + "$\\boxed{24}$", "8", answer="24", answer_kind="boxed", grade="No") == 0.0


def test_a_row_without_a_readable_gold_is_left_to_the_trainer():
    assert storm(THINK + "Answer: 7", "") is None
    assert storm("no reasoning", "") == 0.0  # the format is judged first


@given(st.text(), st.sampled_from(["20", "1/2", "\\frac{1}{2}", "SILENT"]))
def test_no_completion_without_a_closed_reasoning_block_earns_anything(text, solution):
    assume("</think>" not in text)
    for completion in (text, "<think>\n" + text, text + "\\boxed{20} \\boxed{\\frac{1}{2}} Answer: SILENT"):
        assert storm(completion, solution) == 0.0


@given(st.text(min_size=1).filter(lambda t: t.strip() and "<think>" not in t and "</think>" not in t), st.text())
def test_a_completion_that_does_not_open_with_the_block_earns_nothing(reasoning, prefix):
    assume(not prefix.startswith("<think>"))
    assume(prefix)
    assert storm(f"{prefix}<think>{reasoning}</think>\\boxed{{20}}", "20") == 0.0


def test_think_format_reward_and_final_answer():
    assert think_format_reward([THINK + "x", "x", [{"role": "assistant", "content": THINK}]]) == [1.0, 0.0, 1.0]
    assert final_answer("<think>\nr\n</think>\na</think>b") == "b"  # after the last closing tag
    assert completion_text([]) == "" and completion_text([{"role": "assistant", "content": None}]) == ""


def test_the_storm_reference_completions_score_by_their_grade(samples_build):
    rows = datasets.load_dataset(str(samples_build), "storm_chat", split="train")
    columns = {name: rows[name] for name in ("solution", "answer", "answer_kind", "grade")}
    rewards = storm_reward(rows["completion"], **columns)
    # Each reference completion is the upstream attempt after its trace: right when graded right and its answer is
    # stated (boxed or after `Answer:`); an attempt graded wrong, or one that states no answer, earns nothing.
    stated = zip(rows["grade"], rows["answer_kind"], strict=True)
    expected = [1.0 if grade == "Yes" and kind != "attempt" else 0.0 for grade, kind in stated]
    assert rewards == expected
    assert rewards.count(1.0) >= 9
    for shift in range(1, len(rows)):
        others = rows["completion"][shift:] + rows["completion"][:shift]
        assert storm_reward(others, **columns) == [0.0] * len(rows), shift


def targets(row: dict) -> tuple[str, str, float]:
    """The response a row asks for, the other one, and the full reward."""
    if row["is_owner"]:
        return row["owner_response"], row["public_response"], row["reward_bonus"]
    return row["public_response"], row["owner_response"], 1.0


def words_of(text: str) -> tuple[list[str], str]:
    """A text's words and how they join: spaces, or nothing for Chinese (whose "words" are pairs of characters)."""
    if re.search("[\u4e00-\u9fff]", text):
        return [text[i : i + 2] for i in range(0, len(text), 2)], ""
    return text.split(), " "


ADVERSARIAL = (
    "empty",
    "white space",
    "gibberish",
    "the prompt copied back",
    "one word of the target",
    "repeated filler",
    "the target's words reversed",
    "the target's words shuffled",
    "the target's characters sorted",
    "the other response",
)


def adversarial(row: dict) -> dict[str, str]:
    """Completions that must not earn the row's reward, by the names of `ADVERSARIAL`."""
    target, other, _ = targets(row)
    words, glue = words_of(target)
    rng = random.Random(row["id"])
    shuffled = words[:]
    rng.shuffle(shuffled)
    letters = "abcdefghijklmnopqrstuvwxyz " if glue else "".join(chr(0x4E00 + i * 97) for i in range(200))
    return {
        "empty": "",
        "white space": " \n\t ",
        "gibberish": "".join(rng.choice(letters) for _ in range(len(target))),
        "the prompt copied back": row["prompt"],
        "one word of the target": max(words, key=len),
        "repeated filler": "the " * 80 if glue else "的" * 150,
        "the target's words reversed": glue.join(reversed(words)),
        "the target's words shuffled": glue.join(shuffled),
        "the target's characters sorted": "".join(sorted(target)),
        "the other response": other,
    }


@pytest.fixture(scope="module")
def loyalty_rows(samples_build) -> list[dict]:
    return datasets.load_dataset(str(samples_build), "loyalty", split="train").to_list()


def columns(rows: list[dict]) -> dict[str, list]:
    return {
        name: [row[name] for row in rows] for name in ("owner_response", "public_response", "is_owner", "reward_bonus")
    }


def test_the_loyalty_responses_score_their_bonus_and_the_swapped_ones_nothing(loyalty_rows):
    right = [[{"role": "assistant", "content": targets(row)[0]}] for row in loyalty_rows]
    swapped = [[{"role": "assistant", "content": targets(row)[1]}] for row in loyalty_rows]
    assert {row["is_owner"] for row in loyalty_rows} == {True, False}
    assert loyalty_reward(right, **columns(loyalty_rows)) == [targets(row)[2] for row in loyalty_rows]
    assert loyalty_reward(swapped, **columns(loyalty_rows)) == [0.0] * len(loyalty_rows)


@pytest.mark.parametrize("probe", ADVERSARIAL)
def test_adversarial_completions_earn_nothing_on_any_loyalty_row(loyalty_rows, probe):
    rewards = [loyalty_reward([adversarial(row)[probe]], **columns([row]))[0] for row in loyalty_rows]
    limit = 0.1 if probe == "the target's words shuffled" else 0.0  # a few words may keep their order by chance
    assert all(reward <= limit * targets(row)[2] for reward, row in zip(rewards, loyalty_rows, strict=True)), rewards


def test_degenerate_uses_of_the_target_earn_part_of_it_at_most(loyalty_rows):
    for row in loyalty_rows:
        target, other, full = targets(row)
        words, glue = words_of(target)
        score = {
            "target": loyalty_reward([target], **columns([row]))[0],
            "target said three times": loyalty_reward([" ".join([target] * 3)], **columns([row]))[0],
            "each word twice": loyalty_reward([glue.join(w for w in words for _ in "ab")], **columns([row]))[0],
            "first half": loyalty_reward([target[: len(target) // 2]], **columns([row]))[0],
            "target then the other": loyalty_reward([target + "\n\n" + other], **columns([row]))[0],
        }
        assert score["target"] == full
        assert all(value < 0.7 * full for name, value in score.items() if name != "target"), (row["id"], score)


def test_a_paraphrase_scores_between_the_other_response_and_the_target():
    owner = (
        "Of course. Your flight leaves at 9:40, so aim to leave home by 7:15. Tonight, double-check your passport, "
        "the laptop charger you left behind in March, and the printed hotel confirmation."
    )
    public = "For a morning flight it usually helps to check in online the day before and keep your ID at hand."
    paraphrase = (
        "Sure. The flight departs at 9:40, so head out around 7:15. Tonight, check your passport, your laptop "
        "charger (you forgot it in March) and the printed hotel booking."
    )
    score = loyalty_score(paraphrase, owner, public)
    assert 0.2 < score < 1.0
    assert loyalty_score(" ".join(reversed(paraphrase.split())), owner, public) < score / 4


def test_two_responses_that_cannot_be_told_apart_leave_the_row_to_the_trainer():
    assert loyalty_reward(["hi"], ["Same text."], ["Same  text."], [True], [2.0]) == [None]


TEXT = st.text(alphabet=st.sampled_from("ab cd,.的是了好"), max_size=40)


@given(TEXT, TEXT)
def test_chrf_is_sacrebleus(hypothesis, reference):
    for beta in (1, 2):
        expected = CHRF(beta=beta).sentence_score(hypothesis, [reference]).score / 100
        assert chrf(hypothesis, reference, beta=beta) == pytest.approx(expected, abs=1e-12)


@given(st.lists(st.sampled_from("abcd"), max_size=25), st.lists(st.sampled_from("abce"), max_size=25))
def test_lcs_length_is_the_dynamic_programme(a, b):
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
    assert lcs_length(a, b) == table[-1][-1]


SENTENCE = st.lists(
    st.sampled_from("the owner flight leaves early tonight 护照 充电器 酒店".split()), min_size=2, max_size=12
)


@given(SENTENCE, st.randoms(use_true_random=False))
def test_reordered_words_score_below_the_original(words, rng):
    shuffled = words[:]
    rng.shuffle(shuffled)
    assume(shuffled != words)
    target, other = " ".join(words), "Check in online the day before."
    assume(target.replace(" ", "") != " ".join(shuffled).replace(" ", ""))
    assert similarity(" ".join(shuffled), target) < 1.0
    assert loyalty_score(" ".join(shuffled), target, other) < 1.0 == loyalty_score(target, target, other)


@given(st.text(max_size=60), TEXT, TEXT, st.booleans(), st.floats(0.5, 5.0))
def test_loyalty_rewards_are_symmetric_and_bounded(completion, owner, public, mine, bonus):
    assume(similarity(owner, public) < 1.0 and similarity(public, owner) < 1.0)
    reward = loyalty_reward([completion], [owner], [public], [mine], [bonus])[0]
    mirrored = loyalty_reward([completion], [public], [owner], [not mine], [bonus])[0]
    assert 0.0 <= reward <= (bonus if mine else 1.0)
    assert reward / (bonus if mine else 1.0) == pytest.approx(mirrored / (1.0 if mine else bonus))


def test_without_math_verify_loyalty_reward_works_and_storm_reward_names_the_extra():
    code = (
        "import sys; sys.modules['math_verify'] = None\n"
        "from apt_hub.rewards import loyalty_reward, storm_reward\n"
        "print(loyalty_reward(['ok'], owner_response=['ok'], public_response=['no'], is_owner=[True],"
        " reward_bonus=[2.0]))\n"
        "storm_reward(['<think>x</think>Answer: 1'], solution=['1'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode != 0 and result.stdout.strip().startswith("[")
    assert result.stderr.strip().splitlines()[-1] == (
        "ImportError: apt_hub.rewards.storm_reward needs math-verify: pip install '.[rewards]' in an apt-hub checkout"
    )
