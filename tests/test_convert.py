"""Turning upstream files into unified rows: the parts of `apt_hub.convert` that no build test reaches alone."""

from dataclasses import replace
from pathlib import Path
from unittest.mock import patch

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given
from hypothesis import strategies as st

from apt_hub import convert
from apt_hub.clean.checks import RowScreen, dropped_checks
from apt_hub.configs import CONFIGS, with_recorded
from apt_hub.convert import _row_ids
from apt_hub.read import readers
from apt_hub.read.upstream import InputFile
from apt_hub.sources import SOURCES, Context
from apt_hub.sources.ultrafeedback import _COLUMNS as UF_COLUMNS

PIECES = ["{source}", "{path}", "{line}", "{line!r}", "{source:>12}", "{0}", "{other}", "{{", "}}", "{", "}", ":", "x"]


def formatted(template: str, line: int) -> str:
    try:
        return template.format(source="hh-rlhf", path="a/{b}.jsonl", line=line)
    except (KeyError, IndexError, ValueError) as error:
        return type(error).__name__


@given(template=st.lists(st.sampled_from(PIECES), max_size=5).map("".join), line=st.integers(1, 10**6))
def test_row_ids_formatted_once_are_the_template_formatted_for_each_row(template, line):
    ids = _row_ids(replace(SOURCES["hh-rlhf"], row_id=template), "a/{b}.jsonl")
    try:
        found = ids(line)
    except (KeyError, IndexError, ValueError) as error:
        found = type(error).__name__
    assert found == formatted(template, line)


# Texts with white space of Python's and others', an indented line, and plain text.
TEXT = st.lists(st.sampled_from([" ", "\n", "\u3000", "\x1c", "\0", "a", "\n b.", "Human:"]), max_size=6).map("".join)


def converted(source, path, features, read_tables=None, *, screened=True):
    """The tables and counts of one file, through the columns when `read_tables` is the real reader, else row by
    row only; with the quality checks or without."""
    item = InputFile(source.name, "train", Path(path).name, str(path), "x")
    counts = {}
    screen = RowScreen(CONFIGS["dpo"], dropped_checks()) if screened else None
    original = convert.read_tables
    convert.read_tables = read_tables or (lambda *args, **kwargs: None)
    try:
        tables = list(
            convert.convert_file(
                source, item, features, counts, context=Context(tag="t"), skip_bad_rows=True, screen=screen
            )
        )
    finally:
        convert.read_tables = original
    return tables, counts


def assert_same_conversion(source, path):
    features = with_recorded(CONFIGS["dpo"])
    for screened in (True, False):
        by_columns = converted(source, path, features, convert.read_tables, screened=screened)
        by_rows = converted(source, path, features, screened=screened)
        assert [t.to_pylist() for t in by_columns[0]] == [t.to_pylist() for t in by_rows[0]]
        assert all(t.schema == features.arrow_schema for t in by_columns[0])
        assert by_columns[1] == by_rows[1]


MESSAGE = st.fixed_dictionaries(
    {"content": st.none() | TEXT, "role": st.sampled_from(["user", "assistant", "system"]) | st.none()}
)
UF_ROW = st.fixed_dictionaries(
    {
        "prompt": st.none() | TEXT,
        "chosen": st.none() | st.lists(st.none() | MESSAGE, max_size=3),
        "rejected": st.none() | st.lists(st.none() | MESSAGE, max_size=3),
        "score_chosen": st.none() | st.floats(0, 10),
        "score_rejected": st.none() | st.floats(0, 10),
    }
)
TYPICAL_UF_ROW = st.builds(
    lambda prompt, chosen, rejected: {
        "prompt": prompt,
        "chosen": [{"content": prompt, "role": "user"}, {"content": chosen, "role": "assistant"}],
        "rejected": [{"content": prompt, "role": "user"}, {"content": rejected, "role": "assistant"}],
        "score_chosen": 8.0,
        "score_rejected": 3.5,
    },
    TEXT,
    TEXT,
    TEXT,
)


@given(rows=st.lists(UF_ROW | TYPICAL_UF_ROW, max_size=8), table_bytes=st.sampled_from([1, 300, 8 << 20]))
def test_ultrafeedback_rows_settled_by_columns_are_what_the_row_mapper_gives(tmp_path, rows, table_bytes):
    path = tmp_path / "train_prefs.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=UF_COLUMNS), path, row_group_size=3)
    with patch.object(readers, "_TABLE_BYTES", table_bytes):  # one table per row, a few rows, or the whole file
        assert_same_conversion(SOURCES["ultrafeedback"], path)
