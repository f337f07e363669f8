"""Reading upstream files row by row with the line each row begins on."""

import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path
from unittest.mock import patch

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_cli import LIMITED
from test_fuzz import VALUES, json_bytes

from apt_hub.errors import UpstreamError
from apt_hub.read import readers
from apt_hub.read.jsontext import decode_utf8, loads
from apt_hub.read.readers import Problem, read_rows
from apt_hub.read.upstream import SAMPLES

STRESS = bool(os.environ.get("APT_HUB_STRESS"))
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


def problems(path) -> list[tuple[int, str | None, str]]:
    return [(line, row.field, row.message) for line, row in read_rows(path) if isinstance(row, Problem)]


@pytest.mark.parametrize(
    "content, expected",
    [
        (b'{"a": "x"}\n{"a": "\xff\xfe"}\n{"a": "z"}\n', (2, None, "not valid UTF-8: byte 0xff at column 8")),
        (b'{"a": "x"}\n{"a": "\\ud800"}\n', (2, "a", "not valid Unicode: a lone surrogate \\ud800")),
        (b'{"a": ["x", {"b": "\\udfff"}]}\n', (1, "a[1].b", "not valid Unicode: a lone surrogate \\udfff")),
        (b'{"a": "x"}\n' + b"[" * 200_000 + b"]" * 200_000 + b"\n", (2, None, "invalid JSON: nested too deeply")),
        (b'{"a": ' + b"9" * 5000 + b"}\n", (1, None, "invalid JSON: Exceeds the limit (4300 digits)")),
        (
            b'{"a": "x"}\n{"a": "x", "b": 1, "a": "y"}\n',
            (2, "a", "given twice in one object; JSON keeps only the last"),
        ),
        (b'{"a": [{"b": 1, "b": 2}]}\n', (1, "b", "given twice in one object; JSON keeps only the last")),
    ],
    ids=[
        "non-utf8",
        "lone-surrogate",
        "nested-surrogate",
        "deep-nesting",
        "huge-integer",
        "key-twice",
        "nested-key-twice",
    ],
)
@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_a_bad_line_is_one_located_problem_and_the_other_lines_are_read(tmp_path, suffix, content, expected):
    path = tmp_path / f"rows{suffix}"
    path.write_bytes(gzip.compress(content) if suffix.endswith(".gz") else content)
    [(line, field, message)] = problems(path)
    assert (line, field) == expected[:2] and message.startswith(expected[2])
    assert len(list(read_rows(path))) == content.count(b"\n")


@pytest.mark.parametrize("name", ["rows.json", "rows.json.gz"])
def test_a_key_given_twice_in_a_json_array_is_a_problem_of_its_item_only(tmp_path, name):
    path = tmp_path / name
    write(path, '[\n  {"a": "x"},\n  {"a": "x",\n   "a": "y"},\n  {"a": "z"}\n]\n')
    rows = list(read_rows(path))
    assert rows[0] == (2, {"a": "x"}) and rows[2] == (5, {"a": "z"})
    assert rows[1] == (3, Problem(3, "a", "given twice in one object; JSON keeps only the last"))


def test_a_key_given_twice_stops_the_build_or_is_counted_under_skip(tmp_path):
    from apt_hub.build import build
    from apt_hub.errors import BadRowError
    from apt_hub.read.manifest import COPY_SUFFIX

    upstream = tmp_path / "up"  # a copy of the samples without their manifests, like a download edited by hand
    shutil.copytree(SAMPLES, upstream, ignore=shutil.ignore_patterns(f"*{COPY_SUFFIX}"))
    file = upstream / "m-a-p/COIG-CQIA/ruozhiba/ruozhiba_ruozhiba.jsonl"
    first, rest = file.read_text(encoding="utf-8").split("\n", 1)
    file.write_text(first[:-1] + ', "output": "another"}\n' + rest, encoding="utf-8")
    with pytest.raises(BadRowError, match=r"ruozhiba_ruozhiba\.jsonl:1: field 'output': given twice in one object"):
        build(["ruozhiba"], upstream=upstream, output_dir=tmp_path / "apt")
    report = build(["ruozhiba"], upstream=upstream, output_dir=tmp_path / "apt", on_bad_rows="skip")
    assert report.configs["ruozhiba"]["counts"]["train"]["coig-cqia/ruozhiba"]["dropped_bad_row"] == 1


def test_a_valid_surrogate_pair_is_text_not_a_problem(tmp_path):
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"a": "\\ud83d\\ude00"}\n')
    assert list(read_rows(path)) == [(1, {"a": "\U0001f600"})]


def test_a_byte_order_mark_is_accepted_in_json_lines_as_in_a_json_array(tmp_path):
    (tmp_path / "rows.jsonl").write_bytes(b"\xef\xbb\xbf" + json.dumps(ROWS[0]).encode() + b"\n")
    (tmp_path / "rows.json").write_bytes(b"\xef\xbb\xbf" + json.dumps([ROWS[0]]).encode())
    assert list(read_rows(tmp_path / "rows.jsonl")) == list(read_rows(tmp_path / "rows.json")) == [(1, ROWS[0])]


def test_line_and_paragraph_separators_inside_strings_break_no_line(tmp_path):
    texts = ["a\u2028b", "c\u2029d", "e\u0085f"]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({"a": t}, ensure_ascii=False) + "\n" for t in texts), encoding="utf-8")
    assert list(read_rows(path)) == [(n, {"a": t}) for n, t in enumerate(texts, start=1)]


@pytest.mark.parametrize(
    "text, line, message",
    [
        ('[\n  {"a": 1},\n]\n', 3, "invalid JSON: a comma before ']' (JSON allows no trailing comma)"),
        ('[\n  {"a": "\\ud800"},\n  {"a": 2}\n]\n', 2, "not valid Unicode"),
        ("[\n" + "[" * 100_000 + "]" * 100_000 + "\n]", 2, "invalid JSON: nested too deeply"),
    ],
)
def test_json_array_problems_are_located(tmp_path, text, line, message):
    path = tmp_path / "rows.json"
    path.write_text(text, encoding="utf-8")
    assert [(n, m[: len(message)]) for n, _, m in problems(path)] == [(line, message)]


@pytest.mark.parametrize("name", ["rows.jsonl", "rows.jsonl.gz", "rows.json", "rows.parquet"])
def test_a_git_lfs_pointer_is_named_with_the_fix(tmp_path, name):
    path = tmp_path / name
    path.write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:" + "0" * 64 + "\nsize 123456\n", encoding="utf-8"
    )
    with pytest.raises(UpstreamError, match="a Git LFS pointer file, not the data") as error:
        read_rows(path, name=f"org/repo/{name}")
    assert str(error.value).startswith(f"org/repo/{name}:") and "git lfs pull" in str(error.value)


@pytest.mark.parametrize(
    "name, content", [("a.jsonl", b""), ("a.jsonl", b"\n \n"), ("a.json", b" \n"), ("a.json", b"[]")]
)
def test_an_empty_file_has_no_rows(tmp_path, name, content):
    (tmp_path / name).write_bytes(content)
    assert list(read_rows(tmp_path / name)) == []


def test_a_corrupt_parquet_page_makes_each_row_of_its_row_group_a_problem(tmp_path):
    path = tmp_path / "rows.parquet"
    table = pa.table({"text": [f"row {i} " + "x" * 200 for i in range(30)]})
    pq.write_table(table, path, row_group_size=10, compression="snappy", use_dictionary=False)
    metadata = pq.ParquetFile(path).metadata.row_group(1).column(0)
    data = bytearray(path.read_bytes())
    start = metadata.data_page_offset
    data[start : start + 16] = b"\xff" * 16  # the page header of the second row group
    path.write_bytes(bytes(data))
    found = list(read_rows(path))
    assert [line for line, row in found] == list(range(1, 31))
    assert [line for line, row in found if isinstance(row, Problem)] == list(range(11, 21))
    assert all(row["text"].startswith(f"row {line - 1} ") for line, row in found if not isinstance(row, Problem))
    assert "unreadable parquet data in row group 1" in found[10][1].message


def test_a_truncated_gzip_file_names_the_file(tmp_path):
    path = tmp_path / "rows.jsonl.gz"
    path.write_bytes(gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in ROWS * 500))[:-40])
    with pytest.raises(UpstreamError, match=r"org/repo/rows\.jsonl\.gz:\d+: cannot read the file"):
        list(read_rows(path, name="org/repo/rows.jsonl.gz"))


def line_by_line(path, longest: int | None = None) -> list:
    """The rows of a JSON Lines file as each line alone decodes: the rule `read_rows` keeps when it reads blocks. A
    line of more than `longest` bytes is a problem."""
    rows = []
    with gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if longest is not None and len(raw.removesuffix(b"\n")) > longest:
                rows.append((number, Problem(number, None, long_line(longest))))
            elif raw.strip():
                text = decode_utf8(raw, number - 1)
                rows.append((number, text if isinstance(text, Problem) else loads(text, number, unique_keys=True)))
    return rows


def long_line(longest: int) -> str:
    return f"a line of more than {longest:,} bytes, the most a JSON Lines row may hold"


@given(
    data=json_bytes(VALUES, lines=True) | st.binary(max_size=64),
    block=st.integers(1, 48),
    longer=st.integers(0, 40),
    gz=st.booleans(),
)
def test_json_lines_read_in_blocks_are_the_rows_each_line_gives_alone(data, block, longer, gz):
    longest = block + longer  # at least a block: a line that fits in a block is never refused
    with (
        tempfile.TemporaryDirectory() as folder,
        patch.object(readers, "_BLOCK_BYTES", block),
        patch.object(readers, "MAX_LINE_BYTES", longest),
    ):
        path = Path(folder) / ("rows.jsonl.gz" if gz else "rows.jsonl")
        path.write_bytes(gzip.compress(data) if gz else data)
        # The reader alone (`read_rows` refuses a file that opens like a Git LFS pointer); repr: NaN equals itself
        # only as text.
        assert repr(list(readers._read_json_lines(path, path.name))) == repr(line_by_line(path, longest))


def one_long_line(path: Path, size: int) -> None:
    """A JSON Lines file (gzip, to be small on disk) with a row, a row of `size` bytes, and a row."""
    with gzip.open(path, "wb", compresslevel=1) as file:
        file.write(b'{"a": "one"}\n{"a": "')
        chunk = b"x" * (1 << 20)
        for _ in range(size >> 20):
            file.write(chunk)
        file.write(b'"}\n{"a": "three"}\n')


def test_a_line_past_the_limit_is_refused_without_being_held_in_memory(tmp_path):
    path = tmp_path / "rows.jsonl.gz"
    one_long_line(path, 96 << 20)
    tracemalloc.start()
    try:
        with patch.object(readers, "MAX_LINE_BYTES", 16 << 20):
            rows = list(read_rows(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rows == [(1, {"a": "one"}), (2, Problem(2, None, long_line(16 << 20))), (3, {"a": "three"})]
    assert peak < 40 << 20, peak  # the limit and a block, not the 96 MB line


@pytest.mark.skipif(not STRESS, reason="make stress: a 2 GiB line")
def test_a_line_of_two_gigabytes_is_refused_in_a_bounded_memory(tmp_path):
    """What the limit is for: a single line of 2 GiB took 4.4 GB of memory to be read whole. Here the build reads
    it in a process that may not take more than 3 GB of address space."""
    (tmp_path / "me/big").mkdir(parents=True)
    one_long_line(tmp_path / "me/big/rows.jsonl.gz", 2 << 30)
    (tmp_path / "apt-sources.yaml").write_text(
        "sources:\n  - {name: big, repo_id: me/big, config: sft, files: [rows.jsonl.gz], "
        "columns: {prompt: a, response: a}}\n",
        encoding="utf-8",
    )
    script = LIMITED + "sys.exit(main(['build', 'sft', '--only', 'big', '--upstream', '.', '--build-dir', 'out']))\n"
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"error: me/big/rows.jsonl.gz:2: {long_line(64 << 20)}"), result.stderr
