"""m-a-p/COIG-CQIA: Chinese instruction data from 13 subset folders, feeding `sft` (all of it) and `ruozhiba`."""

from .base import Context, Drop, ListOf, Row, Shape, Source

_TEXTS = ListOf((str,))


def join_prompt(instruction: str, input_: str) -> str:
    """The instruction, then the upstream `input` after a blank line when it is not empty.

    >>> join_prompt("翻译成英文", "你好"), join_prompt("讲个笑话", "")
    ('翻译成英文\\n\\n你好', '讲个笑话')
    """
    return f"{instruction}\n\n{input_}" if input_.strip() else instruction


def task_type_text(task_type: dict) -> str:
    """One string from the upstream `{major: [...], minor: [...]}`: majors, then ` / ` and minors when present.

    >>> task_type_text({"major": ["问答"], "minor": ["逻辑问答", "隐喻理解"]})
    '问答 / 逻辑问答, 隐喻理解'
    """
    major, minor = ", ".join(task_type.get("major") or []), ", ".join(task_type.get("minor") or [])
    return f"{major} / {minor}" if minor else major


def to_sft(row: Row, context: Context) -> Row | Drop:
    prompt = join_prompt(row["instruction"], row["input"])
    if not prompt.strip():
        return Drop("empty_prompt")
    if not row["output"].strip():
        return Drop("empty_response")
    return {
        "prompt": prompt,
        "response": row["output"],
        "source": context.tag,
        "task_type": task_type_text(row["task_type"]),
        "domain": row["domain"],
        "answer_from": row["answer_from"],
        "human_verified": row["human_verified"],
    }


SOURCE = Source(
    name="coig-cqia",
    repo_id="m-a-p/COIG-CQIA",
    revision="7126866ea243d43c3d11ba4111f688eb5e017c97",
    # Subset folders only: the root COIG-CQIA-full.jsonl repeats every row.
    feeds={"sft": {"train": ("*/*.jsonl",)}, "ruozhiba": {"train": ("ruozhiba/*.jsonl",)}},
    columns={
        "instruction": (str,),
        "input": (str,),
        "output": (str,),
        # Upstream may leave out or null a list; a string would be joined character by character.
        "task_type": (
            Shape({"major": (_TEXTS, type(None)), "minor": (_TEXTS, type(None))}, frozenset({"major", "minor"})),
        ),
        "domain": (_TEXTS,),
        "answer_from": (str,),
        "human_verified": (bool,),
    },
    convert=to_sft,
    tag=lambda path: f"coig-cqia/{path.split('/')[0]}",
    license="unspecified (the card says 'More Information Needed'; parts come from sources with their own terms)",
    rules="feeds `sft` (all 13 subsets) and `ruozhiba` (the `ruozhiba` subset). `prompt` is the `instruction`, "
    "followed by a blank line and the upstream `input` when that is not empty; `response` is `output`; `source` is "
    "`coig-cqia/<subset>`; `task_type` is the upstream majors joined by `, `, then ` / ` and the minors "
    "(`问答 / 逻辑问答, 隐喻理解`). Only the subset folders are read, never the root `COIG-CQIA-full.jsonl`, which "
    "repeats every row. Rows with an empty prompt or response are dropped and counted.",
    homepage="https://huggingface.co/datasets/m-a-p/COIG-CQIA",
    description="COIG-CQIA: Chinese instruction tuning data drawn from Q&A communities, exams and encyclopedias.",
    license_link="https://huggingface.co/datasets/m-a-p/COIG-CQIA",
    license_note="COIG-CQIA states no license on its card, and parts of it come from sites with their own terms "
    "(Zhihu, Douban, Xiaohongshu, exam sites, encyclopedias): check them before redistributing.",
    risks="COIG-CQIA gathers Chinese Q&A communities, exams and encyclopedias: answers carry the views, slang and "
    "dates of those communities, and some were written or rewritten by a language model (`answer_from` says which "
    "where the upstream records it). The `ruozhiba` subset is made of trick questions and puns whose answers "
    "explain the joke; it teaches careful reading, not facts.",
    citation="""@article{bai2024coig,
  title={COIG-CQIA: Quality is All You Need for Chinese Instruction Fine-tuning},
  author={Bai, Yuelin and Du, Xinrun and Liang, Yiming and others},
  journal={arXiv preprint arXiv:2403.18058},
  year={2024}
}""",
)
