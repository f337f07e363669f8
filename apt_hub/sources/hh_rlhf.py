"""Anthropic/hh-rlhf: human preference transcripts from the four preference subsets, feeding `dpo`."""

from ..chat import transcript_messages
from .base import Context, Drop, Row, Source

SUBSETS = ("harmless-base", "helpful-base", "helpful-online", "helpful-rejection-sampled")
HUMAN, ASSISTANT = "\n\nHuman:", "\n\nAssistant:"


def common_prefix_length(a: str, b: str) -> int:
    """The number of leading characters `a` and `b` share.

    A binary search on prefix equality: each comparison runs in C, so a long shared history costs
    O(n log n) machine work instead of n Python steps.

    >>> common_prefix_length("Human: hi", "Human: ho"), common_prefix_length("ab", "abc")
    (8, 2)
    """
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def split_transcripts(chosen: str, rejected: str) -> tuple[str, str, str] | Drop:
    """Split two transcripts that share their history into `(history, chosen_response, rejected_response)`.

    The split point is the last `"\\n\\nAssistant:"` inside the characters both transcripts share, so responses
    that begin alike keep their first words and a response that itself continues the dialogue stays whole.
    The history ends with that marker; each response has the single space after the marker removed.

    >>> split_transcripts("\\n\\nHuman: Hi\\n\\nAssistant: Hello!", "\\n\\nHuman: Hi\\n\\nAssistant: Hey.")
    ('\\n\\nHuman: Hi\\n\\nAssistant:', 'Hello!', 'Hey.')
    """
    if chosen == rejected:
        return Drop("identical_responses")
    cut = last_shared_marker(chosen, rejected)
    if cut < 0:
        return Drop("no_assistant_boundary")
    end = cut + len(ASSISTANT)
    chosen_response, rejected_response = chosen[end:].removeprefix(" "), rejected[end:].removeprefix(" ")
    if not chosen_response.strip() or not rejected_response.strip():
        return Drop("empty_response")
    if chosen_response.strip() == rejected_response.strip():
        return Drop("identical_responses")
    return chosen[:end], chosen_response, rejected_response


def last_shared_marker(chosen: str, rejected: str) -> int:
    """Where the last `"\\n\\nAssistant:"` inside the characters both transcripts share begins, or -1.

    Most pairs differ only after the last marker of `chosen`: one comparison of the text up to it settles those,
    and the others search the shared prefix for it.

    >>> last_shared_marker("\\n\\nHuman: Hi\\n\\nAssistant: Hello!", "\\n\\nHuman: Hi\\n\\nAssistant: Hey.")
    11
    """
    cut = chosen.rfind(ASSISTANT)
    if cut >= 0 and rejected.startswith(chosen[: cut + len(ASSISTANT)]):
        return cut  # no marker of `chosen` comes later, and this one is shared
    return chosen.rfind(ASSISTANT, 0, common_prefix_length(chosen, rejected))


def history_to_prompt(history: str) -> str:
    """The prompt text of a history ending with the assistant marker.

    A single user turn becomes the bare message, like an UltraFeedback prompt. A longer history keeps the
    upstream transcript format, each turn verbatim: `"Human: ...\\n\\nAssistant: ...\\n\\nHuman: ..."`.

    >>> history_to_prompt("\\n\\nHuman: Hi\\n\\nAssistant:")
    'Hi'
    >>> history_to_prompt("\\n\\nHuman: Hi\\n\\nAssistant: Hello\\n\\nHuman: Bye\\n\\nAssistant:")
    'Human: Hi\\n\\nAssistant: Hello\\n\\nHuman: Bye'
    """
    transcript = history.removesuffix(ASSISTANT).removeprefix("\n\n")
    if transcript.startswith("Human:") and HUMAN not in transcript and ASSISTANT not in transcript:
        return transcript.removeprefix("Human:").removeprefix(" ")
    return transcript


def to_dpo(row: Row, context: Context) -> Row | Drop:
    split = split_transcripts(row["chosen"], row["rejected"])
    if isinstance(split, Drop):
        return split
    history, chosen, rejected = split
    prompt = history_to_prompt(history)
    if not prompt.strip():
        return Drop("empty_prompt")
    # The turns are recorded here, from the upstream transcript, for `dpo_chat`.
    turns = transcript_messages(history.removesuffix(ASSISTANT))
    if turns is None:
        return Drop("unalternating_history")
    row = {"prompt": prompt, "chosen": chosen, "rejected": rejected, "source": context.tag, "prompt_messages": turns}
    if len(turns) < history.count(HUMAN) + history.count(ASSISTANT) - 1:
        row["_notes"] = ("folded_turns",)  # a speaker's second turn in a row kept inside the first
    return row


SOURCE = Source(
    name="hh-rlhf",
    repo_id="Anthropic/hh-rlhf",
    revision="09be8c5bbc57cb3887f3a9732ad6aa7ec602a1fa",
    feeds={"dpo": {split: tuple(f"{s}/{split}.jsonl.gz" for s in SUBSETS) for split in ("train", "test")}},
    columns={"chosen": (str,), "rejected": (str,)},
    convert=to_dpo,
    tag=lambda path: f"hh-rlhf/{path.split('/')[0]}",
    license="mit",
    rules="feeds `dpo`. Chosen and rejected transcripts share their history. The split point is the last "
    "`\\n\\nAssistant:` inside the characters both share, so responses that begin alike keep their first words and "
    "a response that continues the dialogue stays whole (the `response_extra_turn` check then drops it). `chosen` "
    "and `rejected` are the final assistant responses. "
    "A single-turn prompt is the bare user message; a longer history keeps the upstream transcript format with each "
    "turn verbatim: `Human: ...\\n\\nAssistant: ...\\n\\nHuman: ...`. Rows are dropped and counted as "
    "`no_assistant_boundary`, `empty_response` or `identical_responses`. `source` is `hh-rlhf/<subset>`. The history "
    "is also split into turns at its `\\n\\nHuman:` / `\\n\\nAssistant:` markers (for `dpo_chat`). A speaker's second "
    "turn in a row stays inside the turn before it, marker and all, so the turns alternate and join back to the "
    "prompt; such rows are kept and counted as `noted_folded_turns`. A history that does not start with a human turn "
    "or ends on an assistant turn has no user turn to answer: dropped from `dpo` and `dpo_chat` alike as "
    "`unalternating_history`.",
    homepage="https://huggingface.co/datasets/Anthropic/hh-rlhf",
    description="Anthropic HH-RLHF: pairs of dialogues where people preferred one assistant reply over another.",
    license_link="https://github.com/anthropics/hh-rlhf/blob/master/LICENSE",
    warning="hh-rlhf holds conversations that are offensive or upsetting, collected on purpose to train a "
    "harmless assistant: violence, abuse, self-harm, crime, hate (the `harmless-base` subset most of all). Its "
    "authors say it is meant for preference and reward modelling, not for supervised training of dialogue agents: "
    "a `chosen` response is only the better of two and can itself be harmful.",
    risks="Preferences are those of the crowdworkers Anthropic hired (mostly English-speaking, in the US), one "
    "worker per comparison; the conversations are with Anthropic's 2022 models.",
    preferences="People talking with Anthropic's 52B language models saw two replies at each turn and picked one: "
    "the more helpful in the `helpful-*` subsets, the less harmful in `harmless-base` (red-teaming conversations, "
    "where the workers tried to draw out harmful replies). `helpful-online` and `helpful-rejection-sampled` come "
    "from later models trained with RLHF or sampled best-of-N. No score is kept: only which reply won.",
    citation="""@misc{bai2022training,
  title={Training a Helpful and Harmless Assistant with Reinforcement Learning from Human Feedback},
  author={Yuntao Bai and Andy Jones and Kamal Ndousse and others},
  year={2022},
  eprint={2204.05862},
  archivePrefix={arXiv}
}""",
)
