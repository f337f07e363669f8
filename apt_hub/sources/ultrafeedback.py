"""HuggingFaceH4/ultrafeedback_binarized: GPT-4 scored preference pairs, feeding `dpo`."""

from ..chat import prompt_turns
from .base import Context, Drop, ListOf, Row, Shape, Source

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
