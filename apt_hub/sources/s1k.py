"""simplescaling/s1K-1.1: 1,000 hard problems with long reasoning traces, feeding `storm`."""

import re

from .base import Context, Drop, ListOf, Option, Row, Source

# `\boxed{...}` and `\fbox{...}`, with white space allowed before the brace (`\boxed {5}`).
BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")

TRACE = Option(
    name="storm_trace",
    doc="deepseek or gemini: whose reasoning trace feeds cot_explicit in storm",
    default="deepseek",
    choices=("deepseek", "gemini"),
)


def boxed_content(text: str, begin: int) -> str | None:
    """The content of the box group whose first character is at `begin`, or `None` when its braces never close."""
    depth = 1
    for i in range(begin, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[begin:i]
    return None


def boxes(attempt: str) -> list[str]:
    """The contents of the boxes of an attempt whose braces balance, trimmed, in order.

    >>> boxes(r"$\\boxed {5}$ or \\fbox{\\frac{1}{2}} or \\boxed{}")
    ['5', '\\\\frac{1}{2}', '']
    """
    found = (boxed_content(attempt, match.end()) for match in BOX.finditer(attempt))
    return [content.strip() for content in found if content is not None]


def extract_answer(attempt: str) -> tuple[str, str, list[str]]:
    """The final answer of an attempt, how it was found (`"boxed"`, `"answer_line"`, `"attempt"`) and its flags.

    Empty boxes are passed over (flag `empty_box`). Of several different boxes the last is the answer, as an
    attempt that corrects itself boxes its final result last, and the row is flagged `several_boxes` (a question
    in parts boxes each part: the flag finds those rows); a box repeated is one box.
    Without a box, the text after the last `Answer:`; else the whole attempt, trimmed. An attempt whose only boxes
    are empty has no answer (`""`): its text is no answer either.

    >>> extract_answer(r"so $\\boxed{1}$, then $\\boxed{\\frac{1}{2}}$")
    ('\\\\frac{1}{2}', 'boxed', ['several_boxes'])
    >>> extract_answer("We get 7.\\n**Answer:** 42")
    ('42', 'answer_line', [])
    >>> extract_answer(r"\\boxed{} and \\boxed {5}")
    ('5', 'boxed', ['empty_box'])
    >>> extract_answer(r"so $\\boxed{ }$")
    ('', 'attempt', ['empty_box'])
    """
    found = boxes(attempt)
    flags = ["empty_box"] if "" in found else []
    answers = list(dict.fromkeys(content for content in found if content))
    if len(answers) > 1:
        flags.append("several_boxes")
    if answers:
        return answers[-1], "boxed", flags
    marker = attempt.rfind("Answer:")
    if marker >= 0:
        answer = attempt[marker + len("Answer:") :].strip().strip("*").strip()
        if answer:
            return answer, "answer_line", flags
    return ("" if found else attempt.strip()), "attempt", flags


def as_text(value: str | list) -> str:
    """A trace or attempt stored as a string, or as a list of strings by an early upstream revision."""
    return value if isinstance(value, str) else "\n\n".join(value)


def to_storm(row: Row, context: Context) -> Row | Drop:
    model = context.option(TRACE)
    trace, attempt = row[f"{model}_thinking_trajectory"], row[f"{model}_attempt"]
    if trace is None or attempt is None:
        return Drop(f"no_{model}_trace")
    trace, attempt = as_text(trace), as_text(attempt)
    if not row["question"].strip():
        return Drop("empty_problem")
    if not trace.strip():
        return Drop("empty_trace")
    answer, kind, flags = extract_answer(attempt)
    if not answer:
        return Drop("empty_answer")
    return {
        "problem": row["question"],
        "cot_explicit": trace,
        "answer": answer,
        "solution": row["solution"] or "",
        "source": context.tag,
        "answer_kind": kind,
        "attempt": attempt,
        "grade": row[f"{model}_grade"] or "",
        "trace_model": model,
        "cot_type": row["cot_type"] or "",
        "source_type": row["source_type"] or "",
        "quality_flags": flags,
    }


_TEXT, _NULLABLE = (str,), (str, type(None))
_TRACE = (str, ListOf((str,)), type(None))

SOURCE = Source(
    name="s1k",
    repo_id="simplescaling/s1K-1.1",
    revision="96c411f1fe4c49d20f0e2a1565f61e1a28b0b84d",
    feeds={"storm": {"train": ("data/train-*.parquet",)}},
    columns={
        "question": _TEXT,
        "solution": _NULLABLE,
        "cot_type": _NULLABLE,
        "source_type": _NULLABLE,
        "deepseek_thinking_trajectory": _TRACE,
        "deepseek_attempt": _TRACE,
        "deepseek_grade": _NULLABLE,
        "gemini_thinking_trajectory": _TRACE,
        "gemini_attempt": _TRACE,
        "gemini_grade": _NULLABLE,
    },
    convert=to_storm,
    license="mit",
    options=(TRACE,),
    rules="feeds `storm`. `problem` is the question, `cot_explicit` the DeepSeek thinking trace "
    "(`--storm-trace gemini` picks Gemini's), `answer` the final answer of that model's attempt: the last "
    "`\\boxed{...}` (or `\\fbox{...}`, with or without a space before the brace) whose braces balance, else the "
    "text after the last `Answer:`, else the whole attempt (`answer_kind` says which). Empty boxes are passed over; "
    "of several different boxes the last is the answer (an attempt that corrects itself boxes its result last) and "
    "the row is flagged `several_boxes`; an attempt whose only boxes are empty has no answer and the row is dropped "
    "(`empty_answer`). A trace stored as a list of strings is joined with blank lines. Rows without a trace of that "
    "model are dropped and counted.",
    homepage="https://huggingface.co/datasets/simplescaling/s1K-1.1",
    description="s1K-1.1: 1,000 difficult math and science problems with DeepSeek-R1 and Gemini reasoning traces.",
    license_link="https://huggingface.co/datasets/simplescaling/s1K-1.1",
    risks="Traces and attempts are written by models (DeepSeek-R1 or Gemini): a trace may hold wrong steps and an "
    "answer may be wrong; `grade` says whether the upstream graded the attempt correct against `solution`. The "
    "problems are English math and science, many from competitions, so they may overlap with benchmarks.",
    citation="""@misc{muennighoff2025s1,
  title={s1: Simple test-time scaling},
  author={Niklas Muennighoff and Zitong Yang and Weijia Shi and others},
  year={2025},
  eprint={2501.19393},
  archivePrefix={arXiv}
}""",
)
