"""Conversational twins of the flat configs, in the message-list forms of TRL and LLaMA-Factory.

A twin row is a pure function of its flat row and of what the source mapper recorded at conversion time
(`RECORDED_COLUMNS`: the prompt turns of `dpo`, split from the hh-rlhf transcript or taken from UltraFeedback's message
lists). `to_chat` turns a whole Arrow table at once, so the builder of a twin and `apt-hub build` writing a flat
config and its twin from the same conversion give the same rows: same ids, order, drops and `--max-samples`
draw. Every flat column that is not turned into messages is carried over unchanged, whatever it is.

pyarrow is imported by the functions that build message columns, not with this package: `apt-hub stats` reads
its measures with polars alone (`apt_hub.chat.stats`).
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa
    from datasets import Features

# twin config -> the flat config it is made from
TWINS: dict[str, str] = {
    "sft_chat": "sft",
    "ruozhiba_chat": "ruozhiba",
    "dpo_chat": "dpo",
    "storm_chat": "storm",
}
FLAT_TO_TWIN = {flat: twin for twin, flat in TWINS.items()}
# Columns a source mapper fills at conversion time for the twin only; the flat config never shows them.
RECORDED_COLUMNS: dict[str, tuple[str, ...]] = {"dpo": ("prompt_messages",)}
# The flat texts each twin turns into messages; every other flat column is carried over.
TURNED: dict[str, tuple[str, ...]] = {
    "sft": ("prompt", "response"),
    "ruozhiba": ("prompt", "response"),
    "dpo": ("prompt", "chosen", "rejected"),
    "storm": ("problem", "cot_explicit", "attempt"),
}
# The message columns of each twin, in order.
MESSAGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "sft": ("prompt", "completion"),
    "ruozhiba": ("prompt", "completion"),
    "dpo": ("prompt", "chosen", "rejected"),
    "storm": ("prompt", "completion"),
}
# The one form of a storm completion: the trace inside think tags, a blank line, then the attempt.
THINK_OPEN, THINK_CLOSE = "<think>\n", "\n</think>\n\n"
SPEAKERS = {"Human": "user", "Assistant": "assistant"}
_MARKER = re.compile(r"\n\n(Human|Assistant):")


def flat_of(config: str) -> str:
    """The flat config a config is made from: itself for a flat config.

    >>> flat_of("dpo_chat"), flat_of("dpo")
    ('dpo', 'dpo')
    """
    return TWINS.get(config, config)


@cache
def _messages_type() -> pa.DataType:
    """The Arrow type of a message list (`messages_feature`), known without importing `datasets`."""
    import pyarrow as pa

    return pa.list_(pa.struct([pa.field("role", pa.string()), pa.field("content", pa.string())]))


@cache
def messages_feature():
    """The feature of a message list: `[{role, content}]`. (`datasets` is imported here, not with this package:
    `apt-hub stats` does without it.)"""
    from datasets import List, Value

    return List({"role": Value("string"), "content": Value("string")})


def twin_features(flat: str, features: Features) -> Features:
    """The features of the twin of `flat`: its message columns, then every flat column it does not turn."""
    from datasets import Features

    carried = {name: feature for name, feature in features.items() if name not in TURNED[flat]}
    return Features({name: messages_feature() for name in MESSAGE_COLUMNS[flat]} | carried)


def with_recorded(flat: str, features: Features) -> Features:
    """The features a conversion fills when the twin is wanted: the flat ones, then the recorded columns."""
    from datasets import Features

    return Features({**features, **{name: messages_feature() for name in RECORDED_COLUMNS.get(flat, ())}})


def without_recorded(flat: str, table: pa.Table) -> pa.Table:
    """The flat table: a converted table without the columns recorded for the twin."""
    return table.drop_columns([name for name in RECORDED_COLUMNS.get(flat, ()) if name in table.column_names])


def to_chat(flat: str, table: pa.Table, features: Features) -> pa.Table:
    """The twin of a converted flat table, vectorised: message columns built from the flat texts, the rest kept.

    Args:
        flat: the flat config of the table (`sft`, `ruozhiba`, `dpo` or `storm`).
        table: converted rows, with the recorded columns when the source recorded them.
        features: the twin's features (`twin_features`).

    Returns:
        The twin table, in the order and with the schema of `features`.

    Example:
        >>> import pyarrow as pa
        >>> t = pa.table({"prompt": ["Hi"], "response": ["Hello"], "source": ["s"], "task_type": [""], "id": ["s:1"]})
        >>> from datasets import Features, Value
        >>> f = twin_features("sft", Features({n: Value("string") for n in t.column_names}))
        >>> to_chat("sft", t, f).to_pylist()[0]["completion"]
        [{'role': 'assistant', 'content': 'Hello'}]
    """
    import pyarrow as pa

    messages = _MESSAGE_BUILDERS[flat](table)
    columns = [messages[name] if name in messages else table[name] for name in features]
    return pa.table(columns, schema=features.arrow_schema)


def is_message_list(arrow_type: pa.DataType) -> bool:
    """Whether an Arrow column type is a list of `{role, content}` messages."""
    return arrow_type.equals(_messages_type())


def message_text(messages: list[dict[str, str]] | None) -> str:
    """One string standing for a message list when rows are compared: each role and content, in order.

    >>> message_text([{"role": "user", "content": "Hi"}])
    'user: Hi'
    """
    return "\n\n".join(f"{m['role']}: {m['content']}" for m in messages or [])


def one_message(role: str, content: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A list column holding one `{role, content}` message per row."""
    import pyarrow as pa

    content = content.combine_chunks() if isinstance(content, pa.ChunkedArray) else content
    roles = pa.repeat(pa.scalar(role, pa.string()), len(content))
    items = pa.StructArray.from_arrays([roles, content], names=["role", "content"])
    return pa.ListArray.from_arrays(pa.array(range(len(content) + 1), pa.int32()), items)


def _sft_messages(table: pa.Table) -> dict[str, pa.Array]:
    return {"prompt": one_message("user", table["prompt"]), "completion": one_message("assistant", table["response"])}


def _dpo_messages(table: pa.Table) -> dict[str, pa.Array]:
    import pyarrow as pa
    import pyarrow.compute as pc

    single = one_message("user", table["prompt"])
    # A source that recorded no turns (a custom one) has a single-turn prompt.
    prompt = pc.coalesce(table["prompt_messages"], single) if "prompt_messages" in table.column_names else single
    prompt = prompt.combine_chunks() if isinstance(prompt, pa.ChunkedArray) else prompt
    return {
        "prompt": prompt,
        "chosen": one_message("assistant", table["chosen"]),
        "rejected": one_message("assistant", table["rejected"]),
    }


def _storm_messages(table: pa.Table) -> dict[str, pa.Array]:
    import pyarrow.compute as pc

    completion = pc.binary_join_element_wise(
        THINK_OPEN, table["cot_explicit"], THINK_CLOSE, table["attempt"], "", null_handling="replace"
    )
    return {"prompt": one_message("user", table["problem"]), "completion": one_message("assistant", completion)}


_MESSAGE_BUILDERS = {"sft": _sft_messages, "ruozhiba": _sft_messages, "dpo": _dpo_messages, "storm": _storm_messages}


def transcript_messages(transcript: str) -> list[dict[str, str]] | None:
    """The turns of an hh-rlhf history (ending before the final `Assistant:` marker), split at its markers.

    Each turn's text is kept verbatim, without the single space after its marker. A turn whose speaker repeats
    the previous one (two assistant turns in a row, 13 of the 2,312 rows of harmless-base/test) stays inside the
    turn before it, marker and all, so that the messages still alternate and join back to the transcript (like a
    final response that continues the dialogue stays whole). `None` when the history does not begin with a
    `Human:` turn or does not end with one: such a row has no prompt a chat template can end on.

    >>> transcript_messages("\\n\\nHuman: Hi\\n\\nAssistant: Hello\\n\\nAssistant: Again\\n\\nHuman: Bye")
    [{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello\\n\\nAssistant: Again'}, \
{'role': 'user', 'content': 'Bye'}]
    """
    parts = _MARKER.split(transcript)
    if parts[0] or len(parts) < 3:
        return None
    messages: list[dict[str, str]] = []
    for speaker, text in zip(parts[1::2], parts[2::2], strict=True):
        role = SPEAKERS[speaker]
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"] += f"\n\n{speaker}:{text}"
        else:
            messages.append({"role": role, "content": text.removeprefix(" ")})
    return messages if messages[0]["role"] == "user" and messages[-1]["role"] == "user" else None


def prompt_turns(messages: list) -> list[dict[str, str]] | None:
    """The messages of an upstream message list before its last assistant message, if they alternate user and
    assistant turns, start and end with a user turn and hold only text; `None` otherwise.

    >>> prompt_turns([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}])
    [{'role': 'user', 'content': 'Hi'}]
    """
    last = max((i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("role") == "assistant"), default=0)
    turns = messages[:last]
    expected = ["user", "assistant"] * len(turns)
    if not turns or len(turns) % 2 == 0:
        return None
    for message, role in zip(turns, expected, strict=False):
        if not isinstance(message, dict) or message.get("role") != role or not isinstance(message.get("content"), str):
            return None
    return [{"role": m["role"], "content": m["content"]} for m in turns]


def join_transcript(messages: list[dict[str, str]]) -> str:
    """A multi-turn prompt written back in the transcript form of the flat `dpo` prompt.

    >>> join_transcript([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}])
    'Human: Hi\\n\\nAssistant: Hello'
    """
    names = {role: speaker for speaker, role in SPEAKERS.items()}
    return "\n\n".join(f"{names[m['role']]}: {m['content']}" for m in messages)
