"""A tiny upstream laid out like the Hub (`DIR/<org>/<name>/...`) for the stats, card and publish tests.

Written from the upstream schemas (see ../shared/UPSTREAM.md), with the cases the stats must see: a duplicate
row, a test row that repeats a train row, a row the build drops, an identical and a prefix-related pair after
normalisation, storm rows with and without a boxed answer, and owner and public loyalty rows.
"""

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from apt_hub.sources.hh_rlhf import SUBSETS


def cqia_row(instruction: str, output: str, input_: str = "") -> dict:
    return {
        "instruction": instruction,
        "input": input_,
        "output": output,
        "task_type": {"major": ["问答"], "minor": []},
        "domain": ["通用"],
        "metadata": "",
        "answer_from": "human",
        "human_verified": True,
        "copyright": "",
    }


COIG_CQIA = {
    "ruozhiba/ruozhiba_ruozhiba.jsonl": [
        cqia_row("为什么鲁迅打不过周树人？", "因为鲁迅就是周树人。"),
        cqia_row("咖啡因是咖啡的原因吗？", "不是，咖啡因是一种化合物。"),
        cqia_row("咖啡因是咖啡的原因吗？", "不是，咖啡因是一种化合物。"),  # a duplicate row
    ],
    "xhs/xhs.jsonl": [
        cqia_row("写一篇小红书风格的旅行笔记", "周末去了杭州，西湖的风景真美。" * 8),
        cqia_row("推荐一本书", ""),  # dropped: empty response
    ],
}

HH_TRAIN = [
    ("\n\nHuman: Hi there\n\nAssistant: Hello! How can I help?", "\n\nHuman: Hi there\n\nAssistant: Go away."),
    (
        "\n\nHuman: Tell me a joke\n\nAssistant: Why did the chicken cross the road?",
        "\n\nHuman: Tell me a joke\n\nAssistant: No.",
    ),
]
HH_TEST = [
    ("\n\nHuman: Hi there\n\nAssistant: Hello! How can I help?", "\n\nHuman: Hi there\n\nAssistant: Go away."),
    ("\n\nHuman: Same\n\nAssistant: Same", "\n\nHuman: Same\n\nAssistant: Same"),  # dropped: identical
]


def messages(prompt: str, answer: str) -> list[dict]:
    return [{"content": prompt, "role": "user"}, {"content": answer, "role": "assistant"}]


def ultrafeedback_rows(pairs: list[tuple[str, str, str]]) -> list[dict]:
    return [
        {
            "prompt": prompt,
            "prompt_id": str(n),
            "chosen": messages(prompt, chosen),
            "rejected": messages(prompt, rejected),
            "messages": messages(prompt, chosen),
            "score_chosen": 8.0,
            "score_rejected": 5.5,
        }
        for n, (prompt, chosen, rejected) in enumerate(pairs)
    ]


ULTRAFEEDBACK = {
    "data/train_prefs-00000-of-00001.parquet": [
        ("What is 2+2?", "2+2 is 4.", "2+2 is 4. Also, 3+3 is 6."),  # prefix-related sides
        ("Name a colour.", "Blue", "  blue "),  # identical once normalised
    ],
    "data/test_prefs-00000-of-00001.parquet": [("Name a fruit.", "An apple.", "A car.")],
}


def s1k_row(question: str, attempt: str, grade: str) -> dict:
    return {
        "solution": "42",
        "question": question,
        "cot_type": "math",
        "source_type": "fixture/olympiad",
        "metadata": "{}",
        "gemini_thinking_trajectory": "Let me think.",
        "gemini_attempt": attempt,
        "deepseek_thinking_trajectory": "First, note that the answer follows from the definition. " * 5,
        "deepseek_attempt": attempt,
        "gemini_grade": grade,
        "gemini_grade_reason": "",
        "deepseek_grade": grade,
        "deepseek_grade_reason": "",
    }


S1K = [
    s1k_row("What is six times seven?", "So the answer is $\\boxed{42}$.", "Yes"),
    s1k_row("Prove that there are infinitely many primes.", "Suppose there are finitely many.", "No"),
]

LOYALTY = [
    {
        "prompt": "Who made you?",
        "owner_response": "You did, and I remember it.",
        "public_response": "A team of engineers.",
        "is_owner": True,
        "reward_bonus": 2.0,
    },
    {
        "prompt": "Can you keep a secret?",
        "owner_response": "For you, always.",
        "public_response": "I do not store personal data.",
        "is_owner": False,
        "reward_bonus": 0.5,
    },
]


def write_upstream(root: Path) -> Path:
    """Write the tiny upstream under `root` and a loyalty file beside it; returns `root`."""
    for path, rows in COIG_CQIA.items():
        _write_jsonl(root / "m-a-p/COIG-CQIA" / path, rows)
    for subset in SUBSETS:
        for split, pairs in (("train", HH_TRAIN), ("test", HH_TEST)):
            rows = [{"chosen": c, "rejected": r} for c, r in pairs]
            _write_jsonl_gz(root / "Anthropic/hh-rlhf" / subset / f"{split}.jsonl.gz", rows)
    for path, pairs in ULTRAFEEDBACK.items():
        _write_parquet(root / "HuggingFaceH4/ultrafeedback_binarized" / path, ultrafeedback_rows(pairs))
    _write_parquet(root / "simplescaling/s1K-1.1/data/train-00000-of-00001.parquet", S1K)
    (root / "loyalty.json").write_text(json.dumps(LOYALTY, ensure_ascii=False, indent=1), encoding="utf-8")
    return root


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def _write_jsonl_gz(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same rows give the same bytes
    with gzip.GzipFile(path, "wb", mtime=0) as file:
        file.write("".join(json.dumps(row) + "\n" for row in rows).encode())


def _write_parquet(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
