"""What the card says of one config's rows: its fields in schema order and an example row.

Everything is read from the config itself (its parquet schema, its `source` values, its first row), so a merged
config or a new config gets a correct section too.
"""

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from ..configs import MESSAGES, of_columns
from ..sources import SOURCES

EXAMPLE_CHARS = 300
# What each field holds, for any config; a config's own `docs` say it better where its schema gives it a meaning of
# its own. `source` and `id` are written from the config's own values (see `field_docs`).
FIELD_DOCS = {
    "prompt": "the user's request",
    "response": "the reference answer",
    "chosen": "the preferred response (see *How chosen and rejected were picked*)",
    "rejected": "the response that was not preferred",
    "problem": "the problem statement",
    "cot_explicit": "the reasoning trace, before the answer",
    "answer": "the final answer extracted from the attempt",
    "solution": "the reference solution of the upstream dataset (may be empty)",
    "attempt": "the model's written-up attempt that the answer was extracted from",
    "owner_response": "the answer for the owner: detailed, personal, proactive",
    "public_response": "the answer for anyone else: general, formal and careful, no personal details",
    "is_owner": "`true` or `false`: whether the row is about the owner",
    "reward_bonus": "a finite number, 0 or more: the reward of an answer closer to the owner response than to the "
    "public one, for an owner prompt (default `2.0`); never negative, which would reward avoiding the owner response",
    "task_type": "upstream task types: majors, then ` / ` and minors (`问答 / 逻辑问答, 隐喻理解`)",
    "domain": "upstream domains",
    "answer_from": "who wrote the upstream answer: `human`, `llm`, `expert` or empty",
    "human_verified": "whether a person checked the upstream row",
    "score_chosen": "GPT-4's score of the chosen response (UltraFeedback only; null for hh-rlhf)",
    "score_rejected": "GPT-4's score of the rejected response (UltraFeedback only; null for hh-rlhf)",
    "answer_kind": "how the answer was found: `boxed`, `answer_line` or `attempt`",
    "grade": "upstream grade of the attempt (`Yes` / `No`)",
    "trace_model": "the model whose trace fills `cot_explicit` (`--storm-trace`)",
    "cot_type": "upstream problem type",
    "source_type": "the dataset the problem came from",
    "quality_flags": "the quality checks that caught the row, kept (see *Quality checks*); empty when clean",
}
DEFAULT_ROW_ID = "{source}:{path}:{line}"


def field_docs(features: dict[str, str], *, sources: list[str], example_id: str) -> list[dict[str, str]]:
    """The field table of a config, in schema order: name, type and what it holds for this config.

    Args:
        features: `{field: type}` in the order of the parquet schema.
        sources: the `source` values of the config.
        example_id: the `id` of one of its rows.
    """
    declared = of_columns(features, messages=[name for name, kind in features.items() if kind == MESSAGES])
    own = declared.docs if declared else {}
    docs = {
        "source": f"where the row came from: {source_values(sources)}" if sources else "where the row came from",
        "id": f"a stable row id, {id_formats(sources)}, such as `{example_id}`",
    }
    return [
        {"name": f, "type": t, "doc": docs.get(f) or own.get(f) or FIELD_DOCS.get(f, "")} for f, t in features.items()
    ]


def source_values(tags: list[str]) -> str:
    """The `source` values of a config, a source's subsets listed once after it.

    >>> source_values(["hh-rlhf/helpful-base", "ultrafeedback", "hh-rlhf/harmless-base"])
    '`hh-rlhf/<subset>` (harmless-base, helpful-base), `ultrafeedback`'
    """
    groups: dict[str, list[str]] = {}
    for tag in sorted(tags):
        head, _, subset = tag.partition("/")
        groups.setdefault(head, []).extend([subset] if subset else [])
    return ", ".join(f"`{h}/<subset>` ({', '.join(s)})" if s else f"`{h}`" for h, s in groups.items())


def id_formats(tags: list[str]) -> str:
    """How the `id` of a config's rows is made, from the `row_id` of the sources behind its `source` values.

    >>> id_formats(["hh-rlhf/helpful-base", "ultrafeedback"]), id_formats(["loyalty"])
    ('`<source>:<file in the upstream repo>:<line>`', '`loyalty:<N>` (N: the row in the file, from 1)')
    """
    by_template: dict[str, set[str]] = {}
    for name in {tag.partition("/")[0] for tag in tags}:
        by_template.setdefault(SOURCES[name].row_id if name in SOURCES else DEFAULT_ROW_ID, set()).add(name)
    return " or ".join(_id_format(template, names) for template, names in sorted(by_template.items()))


def _id_format(template: str, names: set[str]) -> str:
    source = next(iter(names)) if len(names) == 1 and "{path}" not in template else "<source>"
    if "{path}" in template:
        return f"`{template.format(source=source, path='<file in the upstream repo>', line='<line>')}`"
    return f"`{template.format(source=source, path='', line='<N>')}` (N: the row in the file, from 1)"


def example_row(root: str | Path, path: str, *, limit: int = EXAMPLE_CHARS) -> dict[str, Any]:
    """The first row of a parquet shard, each text cut to `limit` characters (the cut said in the text)."""
    parquet = pq.ParquetFile(Path(root) / path)
    if not parquet.metadata.num_row_groups:  # a split that ended with 0 rows
        return {}
    table = parquet.read_row_group(0).slice(0, 1)
    row = table.to_pylist()[0] if table.num_rows else {}
    return {name: cut(value, limit) for name, value in row.items()}


def cut(value: Any, limit: int = EXAMPLE_CHARS) -> Any:
    """A text cut to `limit` characters, with how many more there were, also the `content` of each message of a
    list; other values as they are.

    >>> cut("abcdef", 3), cut(7, 3), cut([{"role": "user", "content": "abcdef"}], 3)
    ('abc… [3 more characters]', 7, [{'role': 'user', 'content': 'abc… [3 more characters]'}])
    """
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]}… [{len(value) - limit:,} more characters]"
    if isinstance(value, list):
        return [cut(item, limit) for item in value]
    if isinstance(value, dict):
        return {key: cut(item, limit) if key == "content" else item for key, item in value.items()}
    return value


def example_json(row: dict[str, Any]) -> str:
    """The example row as the card shows it: JSON, one field a line, UTF-8 unescaped."""
    return json.dumps(row, ensure_ascii=False, indent=2)
