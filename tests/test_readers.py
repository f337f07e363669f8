"""Reading upstream files row by row with the line each row begins on."""

import gzip
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from apt_hub.errors import UpstreamError
from apt_hub.readers import Problem, read_rows

ROWS = [{"a": "一", "n": 1}, {"a": "two", "n": 2}]


def write(path, text: str) -> None:
    if path.name.endswith(".gz"):
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name", ["rows.jsonl", "rows.jsonl.gz"])
def test_json_lines_keep_line_numbers_across_blank_lines(tmp_path, name):
    path = tmp_path / name
    write(path, json.dumps(ROWS[0], ensure_ascii=False) + "\n\n" + json.dumps(ROWS[1]) + "\n")
    assert list(read_rows(path)) == [(1, ROWS[0]), (3, ROWS[1])]


@pytest.mark.parametrize("name", ["rows.json", "rows.json.gz"])
def test_a_pretty_printed_json_array_gives_the_line_each_row_begins_on(tmp_path, name):
    path = tmp_path / name
    write(path, json.dumps(ROWS, ensure_ascii=False, indent=2))
    assert list(read_rows(path)) == [(2, ROWS[0]), (6, ROWS[1])]


def test_a_broken_json_array_yields_the_rows_before_and_a_problem(tmp_path):
    path = tmp_path / "rows.json"
    path.write_text('[\n  {"a": "x"},\n  {"a": }\n]\n', encoding="utf-8")
    (first, row), (line, problem) = list(read_rows(path))
    assert (first, row) == (2, {"a": "x"})
    assert line == 3 and isinstance(problem, Problem) and problem.message.startswith("invalid JSON")


def test_invalid_json_line_is_a_problem_not_an_exception(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"a": 1}\n{"a": \n', encoding="utf-8")
    rows = list(read_rows(path))
    assert rows[0] == (1, {"a": 1})
    assert rows[1][0] == 2 and rows[1][1].message.startswith("invalid JSON")


def test_parquet_rows_are_numbered_from_one(tmp_path):
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), path)
    assert list(read_rows(path)) == [(1, ROWS[0]), (2, ROWS[1])]


@pytest.mark.parametrize("name, message", [("rows.csv", "unknown file format"), ("missing.jsonl", "cannot read")])
def test_unreadable_files_name_the_file(tmp_path, name, message):
    path = tmp_path / name
    if name.endswith(".csv"):
        path.write_text("a,b\n")
    with pytest.raises(UpstreamError, match=message) as error:
        list(read_rows(path, name="org/repo/" + name))
    assert f"org/repo/{name}" in str(error.value)


def test_parquet_reads_only_the_requested_columns_it_has(tmp_path):
    path = tmp_path / "rows.parquet"
    pq.write_table(pa.Table.from_pylist(ROWS), path)
    assert list(read_rows(path, columns=["n", "missing"])) == [(1, {"n": 1}), (2, {"n": 2})]
