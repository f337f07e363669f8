"""Reward functions for the GRPO recipes of `storm_chat` and `loyalty`, in TRL's reward-function protocol.

A reward function is called as `f(completions, **columns)`: `completions` holds one completion per row, a string
or (for a conversational dataset) a list of messages, and every other dataset column arrives as a keyword argument,
one value per completion. It returns one float per completion, or `None` where it cannot judge the row (TRL then
leaves that completion out of the advantage).

- `storm_reward` pays 1.0 for a correct final answer given after a reasoning block, checked with math-verify the
  way TRL's `accuracy_reward` checks it, and 0.0 for anything else.
- `loyalty_reward` pays for closeness to the owner response on owner rows and to the public response on public
  rows, measured with chrF (character n-grams, so Chinese and English alike) scaled by how much of the shared
  wording keeps its order.

math-verify is an optional dependency of `storm_reward`, imported when it first checks an answer:
`pip install '.[rewards]'` in an apt-hub checkout.
"""

import re
import threading
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from .sources.s1k import BOX

Completion = str | list[dict[str, Any]]

# TRL's `think_format_reward` pattern: the completion opens with one `<think>` and closes it; no second `<think>`.
THINK = re.compile(r"^<think>(?!.*<think>)(.*?)</think>.*$", re.DOTALL)
THINK_CLOSE = "</think>"
# A gold of one line up to this length is the answer itself, not a worked solution.
SHORT_ANSWER_CHARS = 64
# A short gold with LaTeX in it but no math delimiters (`3\sqrt{2}`) is read as one expression: math-verify reads
# bare LaTeX only inside delimiters, and finds the `3` of `3\sqrt{2}` without them.
LATEX_SIGN, DELIMITER = re.compile(r"[\\^_{}]"), re.compile(r"\$|\\\(|\\\[")
# Upstream grades of an attempt judged correct, and the ways `answer` can be read out of an attempt
# (`apt_hub.sources.s1k.extract_answer`): a whole attempt (`answer_kind` "attempt") is never an answer.
CORRECT_GRADES = frozenset({"Yes"})
STATED_ANSWERS = frozenset({"boxed", "answer_line"})


def completion_text(completion: Completion) -> str:
    """The text of a completion as TRL passes it: the string itself, or the content of its last message.

    >>> completion_text("Hi"), completion_text([{"role": "assistant", "content": "Hello"}])
    ('Hi', 'Hello')
    """
    if isinstance(completion, str):
        return completion
    return (completion[-1].get("content") or "") if completion else ""


def final_answer(text: str) -> str | None:
    """The text after the reasoning: what follows the last `</think>` of a completion in the reasoning format
    (TRL's `think_format_reward`: it opens with `<think>`, holds no second `<think>`, closes it), whose reasoning
    is not blank. `None` for a completion without that format.

    >>> final_answer("<think>\\n6 x 7\\n</think>\\n\\nAnswer: 42")
    '\\n\\nAnswer: 42'
    >>> final_answer("Answer: 42"), final_answer("<think> </think> Answer: 42"), final_answer("<think>6 x 7")
    (None, None, None)
    """
    match = THINK.match(text)
    if match is None or not match.group(1).strip():
        return None
    return text.rpartition(THINK_CLOSE)[2]


def think_format_reward(completions: Sequence[Completion], **kwargs) -> list[float]:
    """1.0 for a completion in the reasoning format (`final_answer` is not `None`), else 0.0.

    Args:
        completions: one completion per row, strings or message lists.
        **kwargs: the other columns and what the trainer passes; unused.

    Returns:
        One reward per completion.

    Example:
        >>> think_format_reward(["<think>\\nWhy\\n</think>\\n\\nBecause.", "Because.", "<think>\\nWhy"])
        [1.0, 0.0, 0.0]
    """
    return [float(final_answer(completion_text(completion)) is not None) for completion in completions]


def _timeouts() -> tuple[int | None, int | None]:
    """math-verify's parse and verify time-outs, in seconds: they use `signal.alarm`, which only the main thread
    may set, so a trainer that calls rewards from another thread runs them without (as TRL does)."""
    return (10, 5) if threading.current_thread() is threading.main_thread() else (None, None)


class _MathVerify:
    """math-verify, imported when a final answer is first checked (`loyalty_reward` does without it), with the
    extraction configs `storm_reward` reads answers with."""

    def __init__(self) -> None:
        try:
            from latex2sympy2_extended import NormalizationConfig
            from math_verify import ExprExtractionConfig, LatexExtractionConfig, StringExtractionConfig, parse, verify
        except ImportError as error:
            raise ImportError(
                "apt_hub.rewards.storm_reward needs math-verify: pip install '.[rewards]' in an apt-hub checkout"
            ) from error
        self.parse, self.verify, self.literal = parse, verify, StringExtractionConfig
        # The final answer as TRL's `accuracy_reward` reads it: LaTeX, `\boxed{...}` first, and only after an
        # anchor ("answer", "final answer is") or inside a box; plus plain numbers and expressions after an anchor,
        # the `Answer: 42` lines of the s1K attempts. A number merely mentioned ("In 2020 ...") is not an answer.
        self.prediction = (
            LatexExtractionConfig(
                normalization_config=NormalizationConfig(units=True),
                boxed_match_priority=0,
                try_extract_without_anchor=False,
            ),
            ExprExtractionConfig(try_extract_without_anchor=False),
        )
        # A worked solution gives its result where it states it: in a box, or after an answer anchor.
        self.stated = (
            LatexExtractionConfig(boxed_match_priority=0, try_extract_without_anchor=False),
            ExprExtractionConfig(try_extract_without_anchor=False),
        )


@lru_cache(maxsize=1)
def _math() -> _MathVerify:
    return _MathVerify()


def _is_short(text: str) -> bool:
    return "\n" not in text and len(text) <= SHORT_ANSWER_CHARS


@lru_cache(maxsize=4096)
def _math_gold(text: str) -> tuple:
    """math-verify's reading of a gold text: a short answer as it is (bare LaTeX as one expression), a worked
    solution by what it states (`_MathVerify.stated`). Cached: a GRPO group asks for the same gold once per
    generation."""
    math = _math()
    if not _is_short(text):
        return tuple(math.parse(text, math.stated, parsing_timeout=_timeouts()[0]))
    bare = LATEX_SIGN.search(text) and not DELIMITER.search(text)
    return tuple(math.parse(f"${text}$" if bare else text, parsing_timeout=_timeouts()[0]))


def _literal_gold(text: str) -> tuple[list, Any] | None:
    """A short gold math-verify cannot read (a crossword word, a chemical symbol) as a literal string: its parse,
    and the config that finds it in a completion after an answer anchor ("Answer: SILENT")."""
    if not _is_short(text):
        return None
    math = _math()
    gold = math.parse(text, [math.literal(strings=(text,))], parsing_timeout=_timeouts()[0])
    return (gold, math.literal(strings=(text,), try_extract_without_anchor=False)) if gold else None


def gold_texts(
    solution: str, answer: str | None = None, answer_kind: str | None = None, grade: str | None = None
) -> list[str]:
    """The texts a final answer is checked against: the reference `solution`, and the row's `answer` when the
    upstream graded the attempt correct (`grade` "Yes") and the answer was stated in it (`answer_kind` "boxed" or
    "answer_line"): a graded answer is the solution's result in a form math-verify reads, where a worked solution
    may state its result in a sentence or end in an equation (`5\\sqrt{2} - 2\\sqrt{2} = 3\\sqrt{2}`). The `answer`
    of a row whose `answer_kind` is "attempt" is the whole attempt, and that of an attempt graded wrong is wrong:
    neither is ever a gold.

    >>> gold_texts("8", "24", "boxed", "No"), gold_texts("He", "The gas is He", "attempt", "Yes")
    (['8'], ['He'])
    >>> gold_texts("so $5 - 2 = 3$", "3", "boxed", "Yes")
    ['so $5 - 2 = 3$', '3']
    """
    trusted = answer and answer_kind in STATED_ANSWERS and grade in CORRECT_GRADES
    return [text for text in (solution, answer if trusted else None) if text]


def is_correct(final: str, golds: Sequence[str]) -> bool | None:
    """Whether a final answer equals one of the golds, by math-verify. A short gold (one line, up to
    `SHORT_ANSWER_CHARS`) is the answer itself; a longer one is a worked solution, read for the result it states
    in a box or after an answer anchor. A short gold math-verify cannot read is compared as a literal string,
    which the final answer must state after an answer anchor. `None` when no gold can be read at all.

    >>> is_correct(r"The answer is $\\frac{1}{2}$.", ["1/2"]), is_correct("The answer is 120.", ["20"])
    (True, False)
    >>> is_correct("**Answer:** SILENT", ["### Answer: SILENT\\n### Explanation: ...", "SILENT"])
    True
    >>> is_correct(r"The answer is $3\\sqrt{2}$.", [r"3\\sqrt{2}"]), is_correct("Answer: 3", [r"3\\sqrt{2}"])
    (True, False)
    >>> is_correct("Answer: 42", ["a derivation\\nwhich states no result"]) is None
    True
    """
    parse_timeout, verify_timeout = _timeouts()
    mv = _math()
    final = BOX.sub(r"\\boxed{", final)  # `\boxed {5}` as s1K writes it: math-verify reads `\boxed{5}` only
    readable, math = False, None
    for text in golds:
        text = text.strip()
        if gold := list(_math_gold(text)):
            if math is None:
                math = mv.parse(final, mv.prediction, extraction_mode="first_match", parsing_timeout=parse_timeout)
            prediction = math
        elif literal := _literal_gold(text):
            gold, config = literal
            prediction = mv.parse(final, [config], extraction_mode="first_match", parsing_timeout=parse_timeout)
        else:
            continue
        readable = True
        if mv.verify(gold, prediction, timeout_seconds=verify_timeout):
            return True
    return False if readable else None


def storm_reward(
    completions: Sequence[Completion],
    solution: Sequence[str],
    answer: Sequence[str] | None = None,
    answer_kind: Sequence[str] | None = None,
    grade: Sequence[str] | None = None,
    **kwargs,
) -> list[float | None]:
    r"""The reward of the `storm_chat` GRPO recipe: 1.0 for a completion in the reasoning format whose final
    answer is correct, else 0.0.

    The format is TRL's `think_format_reward` (one `<think>` block that opens the completion) with reasoning
    inside it; a completion without it earns 0.0 whatever it says. Only the text after the last `</think>` is
    read, the way TRL's `accuracy_reward` reads a completion: math-verify extracts one answer, a boxed expression
    first (the last box, or all the boxes joined by "or" as one set), else a LaTeX or plain expression after an
    answer anchor ("Answer:", "the answer is"), and checks it against the golds of `gold_texts` symbolically, so
    `\frac{1}{2}` is right for `1/2`, `120` is wrong for `20` and a list of guesses is wrong.
    A gold math-verify cannot read is compared as a literal string after an answer anchor (`is_correct`).
    A row with no gold that can be read returns `None`, which TRL leaves out of the advantage, as it does for
    `accuracy_reward`'s unparseable golds.

    Args:
        completions: the generated completions, strings or message lists (the text of the last message is read).
        solution: the reference solution of each row (`storm_chat`'s `solution`).
        answer: the final answer extracted from the upstream attempt (`answer`); used only where `grade` and
            `answer_kind` say it is a stated, correct answer.
        answer_kind: how `answer` was found: "boxed", "answer_line" or "attempt" (the whole attempt).
        grade: the upstream grade of the attempt ("Yes" or "No").
        **kwargs: the other columns and what the trainer passes; unused.

    Returns:
        One reward per completion: 1.0, 0.0, or `None` for a row that cannot be checked.

    Example:
        >>> storm_reward(
        ...     ["<think>\nhalf of one\n</think>\n\n$\\boxed{\\frac{1}{2}}$", "$\\boxed{\\frac{1}{2}}$"],
        ...     solution=["1/2", "1/2"],
        ... )
        [1.0, 0.0]
    """
    rows = len(completions)
    missing: list[str | None] = [None] * rows
    extra = zip(answer or missing, answer_kind or missing, grade or missing, strict=True)
    rewards: list[float | None] = []
    for completion, gold, (ans, kind, graded) in zip(completions, solution, extra, strict=True):
        final = final_answer(completion_text(completion))
        correct = None if final is None else is_correct(final, gold_texts(gold or "", ans, kind, graded))
        rewards.append(0.0 if final is None else (None if correct is None else float(correct)))
    return rewards


# Words for the order check: one unit per Han or kana character (Chinese and Japanese write no spaces), one per
# run of other letters and digits; punctuation is left out.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
UNIT = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
# chrF's orders are sacreBLEU's; beta is 1, not its 2: a reward must cost padding (the target said three times) as
# much as omission (half of it said), where translation metrics forgive padding.
CHRF_ORDER, CHRF_BETA = 6, 1.0
# The least similarity to the target that earns anything (the floor is the larger of it and the other response's):
# on the sample rows one word of the target reaches 0.04-0.07, the prompt 0.02-0.11 and shuffled words 0.07-0.15,
# where the other response reaches 0.02-0.19.
MIN_SIMILARITY = 0.1


def _ngrams(text: str, n: int) -> Counter:
    return Counter(text[i : i + n] for i in range(len(text) - n + 1))


def chrf(hypothesis: str, reference: str, *, order: int = CHRF_ORDER, beta: float = CHRF_BETA) -> float:
    """chrF (Popović, 2015), the character n-gram F-score of a hypothesis against a reference, in [0, 1].

    White space is removed; for each n from 1 to `order`, precision and recall are the clipped counts of the
    hypothesis's character n-grams found in the reference over the hypothesis's and the reference's n-gram
    counts; they are averaged over the orders both texts are long enough for, and combined as F-beta. With
    `beta=2` this is sacreBLEU's sentence-level `CHRF()` divided by 100; the default here is `beta=1`
    (`CHRF_BETA`), precision and recall weighed alike.

    >>> chrf("The cat sat.", "The cat sat."), chrf("", "The cat sat."), round(chrf("The cat", "The cat sat."), 3)
    (1.0, 0.0, 0.607)
    """
    hypothesis, reference = "".join(hypothesis.split()), "".join(reference.split())
    precisions, recalls = [], []
    for n in range(1, order + 1):
        hyp, ref = _ngrams(hypothesis, n), _ngrams(reference, n)
        if hyp and ref:
            matches = sum((hyp & ref).values())
            precisions.append(matches / hyp.total())
            recalls.append(matches / ref.total())
    if not precisions:
        return 0.0
    precision, recall = sum(precisions) / len(precisions), sum(recalls) / len(recalls)
    if precision + recall == 0:
        return 0.0
    return (1 + beta**2) * precision * recall / (beta**2 * precision + recall)


def lcs_length(a: Sequence, b: Sequence) -> int:
    """The length of the longest common subsequence of two sequences, with the bit-parallel algorithm of
    Allison and Dix (1986): one row of the dynamic programme is an integer's bits, so the cost is len(b)
    big-integer operations on len(a) bits.

    >>> lcs_length("ABCBDAB", "BDCABA"), lcs_length("", "abc")
    (4, 0)
    """
    positions: dict[Any, int] = {}
    for i, item in enumerate(a):
        positions[item] = positions.get(item, 0) | (1 << i)
    full = (1 << len(a)) - 1
    row = full
    for item in b:
        matched = row & positions.get(item, 0)
        row = ((row + matched) | (row - matched)) & full
    return len(a) - row.bit_count()


def in_order(hypothesis: str, reference: str) -> float:
    """The share of the words two texts share that keep the reference's order in the hypothesis: the longest
    common subsequence of their words over the size of the multiset intersection of their words. Words are
    `UNIT`s: Han and kana characters one by one, other runs of letters and digits. 0.0 when no word is shared.

    >>> words = "pack the charger tonight"
    >>> in_order(words, words), in_order("tonight charger the pack", words)
    (1.0, 0.25)
    """
    hyp, ref = UNIT.findall(hypothesis), UNIT.findall(reference)
    shared = (Counter(hyp) & Counter(ref)).total()
    return lcs_length(hyp, ref) / shared if shared else 0.0


def similarity(hypothesis: str, reference: str) -> float:
    """How close a hypothesis is to a reference, in [0, 1]: `chrf` times `in_order`.

    chrF alone barely notices word order: the owner response with its words reversed keeps every character
    n-gram inside its words and scores about 0.7. The order factor takes that away (reversed words keep one word
    in order, shuffled ones a few), while a paraphrase, which changes words but keeps their order, keeps it.

    >>> similarity("早点睡觉，明天见。", "早点睡觉，明天见。"), similarity("", "早点睡觉")
    (1.0, 0.0)
    """
    return chrf(hypothesis, reference) * in_order(hypothesis, reference)


def loyalty_score(completion: str, target: str, other: str) -> float | None:
    """How far a completion has moved from the other response to the target one, in [0, 1]; `None` when the two
    responses cannot be told apart (the same text but for white space).

    With s(x, y) = `similarity`, the score is the smaller of
    - (s(completion, target) - s(completion, other)) / (1 - s(target, other)), being closer to the target than to
      the other response: 1 for the target, 0 or less for the other response; a completion that hedges with both
      responses is about as close to either and earns little;
    - (s(completion, target) - f) / (1 - f), being closer to the target than the floor f = max(s(other, target),
      `MIN_SIMILARITY`): the similarity that a fluent reply on the same topic reaches by sharing common words,
      or a fragment of the target by being part of it. Below it (empty, gibberish, filler, the prompt copied
      back, one word of the target, the target's words reordered) the score is 0,

    clipped to [0, 1]. The target scores exactly 1.

    >>> owner, public = "Your flight leaves at 9:40; pack the charger.", "Check in online the day before."
    >>> loyalty_score(owner, owner, public), loyalty_score(public, owner, public), loyalty_score("", owner, public)
    (1.0, 0.0, 0.0)
    """
    to_target, to_other = similarity(completion, target), similarity(completion, other)
    target_to_other, other_to_target = similarity(target, other), similarity(other, target)
    if max(target_to_other, other_to_target) >= 1.0:
        return None
    floor = max(other_to_target, MIN_SIMILARITY)
    preferred = (to_target - to_other) / (1 - target_to_other)
    above_floor = (to_target - floor) / (1 - floor)
    return min(1.0, max(0.0, min(preferred, above_floor)))


def loyalty_reward(
    completions: Sequence[Completion],
    owner_response: Sequence[str],
    public_response: Sequence[str],
    is_owner: Sequence[bool],
    reward_bonus: Sequence[float],
    **kwargs,
) -> list[float | None]:
    """The reward of the `loyalty` GRPO recipe: closeness to the owner response on owner rows, to the public
    response on public rows, measured the same way on both (`loyalty_score`, target and other swapped).

    Scale: a public row pays up to 1.0, an owner row up to its `reward_bonus` (2.0 by default): the score in
    [0, 1] times the bonus. Under TRL's default `scale_rewards="group"`, advantages are divided by the standard
    deviation within each prompt's group, which cancels a factor shared by the whole group: the bonus weighs owner
    rows more only with `scale_rewards="batch"` (or `"none"`), as the card's recipe sets.

    Args:
        completions: the generated completions, strings or message lists (the text of the last message is read).
        owner_response: the response meant for the owner.
        public_response: the response meant for anyone else.
        is_owner: whether the prompt comes from the owner.
        reward_bonus: the owner row's full reward.
        **kwargs: the other columns and what the trainer passes; unused.

    Returns:
        One reward per completion; `None` for a row whose two responses cannot be told apart.

    Example:
        >>> owner, public = "好的，我把你周四的会挪到周五上午。", "可以检查会议之间是否留有缓冲时间。"
        >>> loyalty_reward([owner, owner, public], [owner] * 3, [public] * 3, [True, False, False], [2.0] * 3)
        [2.0, 0.0, 1.0]
    """
    rewards: list[float | None] = []
    for completion, owner, public, mine, bonus in zip(
        completions, owner_response, public_response, is_owner, reward_bonus, strict=True
    ):
        text = completion_text(completion)
        score = loyalty_score(text, owner, public) if mine else loyalty_score(text, public, owner)
        rewards.append(None if score is None else score * (bonus if mine else 1.0))
    return rewards
