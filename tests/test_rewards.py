"""The GRPO rewards: adversarial completions earn nothing, a correct one in another notation earns the full reward,
and on the built samples the reference completions score what their upstream grade says."""

import subprocess
import sys

import datasets
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from apt_hub.rewards import completion_text, final_answer, storm_reward, think_format_reward

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


def test_the_import_names_the_extra_when_math_verify_is_missing():
    code = "import sys; sys.modules['math_verify'] = None; import apt_hub.rewards"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[-1] == (
        "ImportError: apt_hub.rewards needs math-verify: pip install 'apt-hub[rewards]'"
    )
