"""Message lists: the pieces the conversational twins are made of (`apt_hub.configs.base.Twin`), in the forms of
TRL and LLaMA-Factory (`alpaca_turns`), and the turns of an upstream transcript.

A twin row is a pure function of its flat row and of what the source mapper recorded at conversion time (the
prompt turns of `dpo`, split from the hh-rlhf transcript or taken from UltraFeedback's message lists), made over
whole Arrow columns (`apt_hub.configs.shape`).

pyarrow is imported by the functions that build message columns, not with this package: `apt-hub stats` reads
its measures with polars alone (`apt_hub.chat.stats`).
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

# The one form of a storm completion: the trace inside think tags, a blank line, then the attempt.
THINK_OPEN, THINK_CLOSE = "<think>\n", "\n</think>\n\n"
SPEAKERS = {"Human": "user", "Assistant": "assistant"}
_MARKER = re.compile(r"\n\n(Human|Assistant):")


@cache
def _messages_type() -> pa.DataType:
    """The Arrow type of a message list, `[{role, content}]`, known without importing `datasets`."""
    import pyarrow as pa

    return pa.list_(pa.struct([pa.field("role", pa.string()), pa.field("content", pa.string())]))


def is_message_list(arrow_type: pa.DataType) -> bool:
    """Whether an Arrow column type is a list of `{role, content}` messages."""
    return arrow_type.equals(_messages_type())


def form_problem(table: pa.Table) -> tuple[int, str] | None:
    """The first row of a twin's table that is not in TRL's conversational form, and what is wrong with it; `None`
    when every row is. The form: `prompt` a list of messages that alternate user and assistant, from a user turn to
    a user turn; each of `completion`, `chosen` and `rejected` one assistant message; no role or content missing.
    Checked over whole columns.

    >>> import pyarrow as pa
    >>> good = [{"role": "user", "content": "Hi"}]
    >>> form_problem(pa.table({"prompt": [good], "completion": [[{"role": "assistant", "content": "Hey"}]]}))
    >>> form_problem(pa.table({"prompt": [good], "completion": [good]}))
    (0, 'completion: expected one assistant message')
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def first(bad: pa.Array, what: str) -> tuple[int, str] | None:
        where = pc.indices_nonzero(pc.fill_null(bad, True))
        return (where[0].as_py(), what) if len(where) else None

    problems = []
    for name in ("prompt", "completion", "chosen", "rejected"):
        if name not in table.column_names:
            continue
        column = table[name].combine_chunks()
        lengths = pc.list_value_length(column)
        items = pc.list_flatten(column)
        roles, contents = pc.struct_field(items, "role"), pc.struct_field(items, "content")
        parents = pc.list_parent_indices(column)
        missing = pc.or_(pc.is_null(roles), pc.is_null(contents))
        if name == "prompt":
            starts = pc.take(column.offsets, parents)
            position = pc.subtract(pa.array(range(len(items)), pa.int64()), pc.cast(starts, pa.int64()))
            expected = pc.if_else(pc.equal(pc.bit_wise_and(position, 1), 0), "user", "assistant")
            shape = pc.equal(pc.bit_wise_and(lengths, 1), 0)
            what = "expected user and assistant turns, user first and last"
            wrong = pc.or_(pc.not_equal(roles, expected), missing)
        else:
            shape, what = pc.not_equal(lengths, 1), "expected one assistant message"
            wrong = pc.or_(pc.not_equal(roles, "assistant"), missing)
        bad_item = pc.indices_nonzero(pc.fill_null(wrong, True))
        rows = pc.take(parents, bad_item) if len(bad_item) else pa.array([], pa.int64())
        bad = pc.or_(shape, pc.is_in(pa.array(range(len(column)), pa.int64()), value_set=pc.cast(rows, pa.int64())))
        problems.append(first(bad, f"{name}: {what}"))
    found = [problem for problem in problems if problem is not None]
    return min(found, key=lambda problem: problem[0]) if found else None  # the first row; its first column


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


def alpaca_turns(turns: pa.ChunkedArray | pa.Array) -> dict[str, pa.Array]:
    """LLaMA-Factory's alpaca form of prompts given as message lists that alternate user and assistant turns and
    end on a user turn: `history`, the `[user, assistant]` pairs before the last turn, and `last_turn`, the text of
    that last user turn.

    Example:
        >>> import pyarrow as pa
        >>> turns = [[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"},
        ...           {"role": "user", "content": "Bye"}], [{"role": "user", "content": "Yes?"}]]
        >>> {name: column.to_pylist() for name, column in alpaca_turns(pa.array(turns)).items()}
        {'history': [[['Hi', 'Hello']], []], 'last_turn': ['Bye', 'Yes?']}

    Raises:
        ValueError: a row has no message, or an even number of them.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    turns = turns.combine_chunks() if isinstance(turns, pa.ChunkedArray) else turns
    lengths = pc.fill_null(pc.list_value_length(turns), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    if (lengths % 2 == 0).any():
        row = int(np.flatnonzero(lengths % 2 == 0)[0])
        raise ValueError(f"row {row}: a prompt of {lengths[row]} messages has no last user turn after its pairs")
    contents = pc.struct_field(turns.flatten(), "content")
    ends = np.cumsum(lengths)
    before = np.ones(len(contents), dtype=bool)
    before[ends - 1] = False
    pairs = pa.ListArray.from_arrays(pa.array(np.arange(0, before.sum() + 1, 2), pa.int32()), contents.filter(before))
    offsets = np.concatenate([[0], np.cumsum((lengths - 1) // 2)])
    return {
        "history": pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pairs),
        "last_turn": contents.take(pa.array(ends - 1)),
    }


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
