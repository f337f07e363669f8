"""HuggingFaceH4/ultrafeedback_binarized: GPT-4 scored preference pairs, feeding `dpo`."""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..chat import one_message, prompt_turns
from .base import Context, Drop, ListOf, Row, Shape, Source, TableMapper, whitespace

_MESSAGES = (ListOf((Shape({"content": (str,), "role": (str,)}),)),)


def last_assistant_content(messages: list) -> str | None:
    """The content of the last assistant message of a `[{content, role}, ...]` list, `None` if there is none."""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "assistant":
            return message.get("content")
    return None


def to_dpo(row: Row, context: Context) -> Row | Drop:
    if not row["prompt"].strip():
        return Drop("empty_prompt")
    chosen, rejected = last_assistant_content(row["chosen"]), last_assistant_content(row["rejected"])
    if chosen is None or rejected is None:
        return Drop("no_assistant_message")
    if not chosen.strip() or not rejected.strip():
        return Drop("empty_response")
    if chosen.strip() == rejected.strip():
        return Drop("identical_responses")
    # `dpo_chat`'s prompt turns come from the upstream message list, not from the prompt string.
    turns = prompt_turns(row["chosen"])
    if turns is None:
        return Drop("unalternating_history")
    return {
        "prompt": row["prompt"],
        "chosen": chosen,
        "rejected": rejected,
        "source": context.tag,
        "score_chosen": row["score_chosen"],
        "score_rejected": row["score_rejected"],
        "prompt_messages": turns,
    }


_MESSAGE_LIST = pa.list_(pa.struct([("content", pa.string()), ("role", pa.string())]))
_COLUMNS = pa.schema(
    [
        ("prompt", pa.string()),
        ("chosen", _MESSAGE_LIST),
        ("rejected", _MESSAGE_LIST),
        ("score_chosen", pa.float64()),
        ("score_rejected", pa.float64()),
    ]
)


def to_dpo_table(table: pa.Table, context: Context) -> tuple[pa.Table, pa.Array]:
    """`to_dpo` over whole columns, for the rows whose `chosen` and `rejected` are each one user message then one
    assistant message, with no null anywhere, a prompt that is not blank and responses that are not blank or the
    same once stripped (most rows). The row mapper converts the others, drops included."""
    prompt = table["prompt"].combine_chunks()
    settled = pc.and_(
        pc.not_equal(pc.utf8_trim(prompt, whitespace()), ""), _no_null(table, "score_chosen", "score_rejected")
    )
    turns = {}
    for side in ("chosen", "rejected"):
        exchange, turns[side] = _one_exchange(table[side].combine_chunks())
        settled = pc.and_(settled, exchange)
    user, chosen = turns["chosen"]
    rejected = turns["rejected"][1]
    stripped = [pc.utf8_trim(text, whitespace()) for text in (chosen, rejected)]
    settled = pc.and_(settled, pc.and_(pc.not_equal(stripped[0], stripped[1]), pc.not_equal(stripped[0], "")))
    settled = pc.fill_null(pc.and_(settled, pc.not_equal(stripped[1], "")), False)
    unified = pa.table(
        {
            "prompt": prompt,
            "chosen": chosen,
            "rejected": rejected,
            "source": pa.repeat(pa.scalar(context.tag, pa.string()), len(prompt)),
            "score_chosen": table["score_chosen"],
            "score_rejected": table["score_rejected"],
            "prompt_messages": one_message("user", user),
        }
    )
    return unified.filter(settled), settled


def _no_null(table: pa.Table, *columns: str) -> pa.Array:
    valid = pc.is_valid(table[columns[0]])
    for column in columns[1:]:
        valid = pc.and_(valid, pc.is_valid(table[column]))
    return valid


def _one_exchange(lists: pa.ListArray) -> tuple[pa.Array, tuple[pa.Array, pa.Array]]:
    """Which message lists are one user message then one assistant message, every field a string, and the two
    contents of each list (anything where the list is not so)."""
    messages = lists.values
    if not len(messages):
        return pa.repeat(pa.scalar(False), len(lists)), (pa.nulls(len(lists), pa.string()),) * 2
    starts = np.minimum(lists.offsets.to_numpy()[:-1], len(messages) - 1)
    exchange = pc.and_(pc.is_valid(lists), pc.equal(pc.list_value_length(lists), 2))
    contents = []
    for index, role in ((starts, "user"), (np.minimum(starts + 1, len(messages) - 1), "assistant")):
        message = messages.take(pa.array(index))
        content, speaker = pc.struct_field(message, "content"), pc.struct_field(message, "role")
        valid = pc.and_(pc.is_valid(message), pc.and_(pc.is_valid(content), pc.equal(speaker, role)))
        exchange = pc.and_(exchange, valid)
        contents.append(content)
    return pc.fill_null(exchange, False), tuple(contents)


SOURCE = Source(
    name="ultrafeedback",
    repo_id="HuggingFaceH4/ultrafeedback_binarized",
    revision="3949bf5f8c17c394422ccfab0c31ea9c20bdeb85",
    feeds={"dpo": {"train": ("data/train_prefs-*.parquet",), "test": ("data/test_prefs-*.parquet",)}},
    columns={
        "prompt": (str,),
        "chosen": _MESSAGES,
        "rejected": _MESSAGES,
        "score_chosen": (float, int),
        "score_rejected": (float, int),
    },
    convert=to_dpo,
    convert_table=TableMapper(_COLUMNS, to_dpo_table),
    license="mit",
    rules="feeds `dpo`. `prompt` is the upstream prompt, `chosen`/`rejected` the last assistant message of each "
    "list; scores kept; `train_prefs` and `test_prefs` become `train` and `test`. Pairs without an assistant message, "
    "with an empty response or with identical responses are dropped and counted. The messages of `chosen` before "
    "its last assistant message are `dpo_chat`'s prompt; when they do not alternate user and assistant turns, "
    "starting and ending with a user turn, the row is dropped from both as `unalternating_history`.",
    homepage="https://huggingface.co/datasets/HuggingFaceH4/ultrafeedback_binarized",
    description="UltraFeedback binarized: the best-scored completion of each prompt against a random other one.",
    license_link="https://huggingface.co/datasets/HuggingFaceH4/ultrafeedback_binarized",
    risks="The judgements are GPT-4's, not people's, and carry its biases (longer, more confident answers tend to "
    "score higher); the prompts are English and drawn from other public datasets (ShareGPT, FLAN, TruthfulQA, ...).",
    preferences="Each UltraFeedback prompt has four completions from a pool of models, rated by GPT-4 for "
    "instruction following, truthfulness, honesty and helpfulness. The binarized version takes the completion "
    "with the highest mean score as `chosen` and one of the other three, at random, as `rejected`; "
    "`score_chosen` and `score_rejected` keep those GPT-4 scores (1 to 10).",
    citation="""@misc{cui2023ultrafeedback,
  title={UltraFeedback: Boosting Language Models with High-quality Feedback},
  author={Ganqu Cui and Lifan Yuan and Ning Ding and others},
  year={2023},
  eprint={2310.01377},
  archivePrefix={arXiv}
}""",
)
