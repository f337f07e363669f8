"""simplescaling/s1K-1.1: 1,000 hard problems with long reasoning traces, feeding `storm`."""

from .base import Context, Drop, ListOf, Option, Row, Source

BOXED = "\\boxed{"
TRACE = Option(
    name="storm_trace",
    doc="deepseek or gemini: whose reasoning trace feeds cot_explicit in storm",
    default="deepseek",
    choices=("deepseek", "gemini"),
)


def boxed_content(text: str, start: int) -> str | None:
    """The content of the `\\boxed{` group opening at `start`, or `None` when its braces never close."""
    depth, begin = 1, start + len(BOXED)
    for i in range(begin, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[begin:i]
    return None


def extract_answer(attempt: str) -> tuple[str, str]:
    """The final answer of an attempt and how it was found: `"boxed"`, `"answer_line"` or `"attempt"`.

    The last `\\boxed{...}` whose braces balance wins; else the text after the last `Answer:`; else the whole
    attempt.

    >>> extract_answer(r"so $\\boxed{1}$, then $\\boxed{\\frac{1}{2}}$")
    ('\\\\frac{1}{2}', 'boxed')
    >>> extract_answer("We get 7.\\n**Answer:** 42")
    ('42', 'answer_line')
    """
    start = attempt.rfind(BOXED)
    while start >= 0:
        content = boxed_content(attempt, start)
        if content is not None:
            return content.strip(), "boxed"
        start = attempt.rfind(BOXED, 0, start)
    marker = attempt.rfind("Answer:")
    if marker >= 0:
        answer = attempt[marker + len("Answer:") :].strip().strip("*").strip()
        if answer:
            return answer, "answer_line"
    return attempt.strip(), "attempt"


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
    answer, kind = extract_answer(attempt)
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
    "`\\boxed{...}` whose braces balance, else the text after the last `Answer:`, else the whole attempt "
    "(`answer_kind` says which). A trace stored as a list of strings is joined with blank lines. Rows without a trace "
    "of that model are dropped and counted.",
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
