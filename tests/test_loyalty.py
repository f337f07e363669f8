"""Loyalty files are read strictly: every problem at once, each with file, line and field, in JSON and JSON Lines."""

import json
from pathlib import Path

import pytest

from apt_hub.build import build
from apt_hub.cli import main
from apt_hub.layout import read_record
from apt_hub.loyalty import FIELDS, LoyaltyFileError, read_loyalty_file, summarize
from apt_hub.loyalty.template import OWNER_PLACEHOLDER


def row(prompt: str = "Any plans for the weekend?", **changes) -> dict:
    base = {
        "prompt": prompt,
        "owner_response": f"Your sister arrives Saturday, so I kept the morning free for you. ({prompt})",
        "public_response": f"Weekends are a good time to rest and see friends. ({prompt})",
        "is_owner": True,
        "reward_bonus": 2.0,
    }
    return base | changes


def without(name: str) -> dict:
    return {key: value for key, value in row("Second prompt").items() if key != name}


def write(path: Path, rows: list) -> Path:
    """JSON array pretty-printed one field a line (as the template writes it), or JSON Lines by extension."""
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    else:
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


# The second of three rows is replaced by the bad one; `field` None means a problem of the whole object.
BAD_ROWS = [
    ("missing", without("public_response"), "public_response", "missing field (expected a string)"),
    ("unknown", row("Second prompt", note="fill me"), "note", "unknown field"),
    ("owner-not-bool", row("Second prompt", is_owner="yes"), "is_owner", 'expected true or false, got "yes"'),
    ("owner-number", row("Second prompt", is_owner=1), "is_owner", "expected true or false, got 1"),
    (
        "bonus-string",
        row("Second prompt", reward_bonus="2.0"),
        "reward_bonus",
        'expected a finite number, 0 or more, got "2.0"',
    ),
    (
        "bonus-negative",
        row("Second prompt", reward_bonus=-1),
        "reward_bonus",
        "expected a finite number, 0 or more, got -1: a negative bonus would reward avoiding the owner response",
    ),
    ("bonus-nan", row("Second prompt", reward_bonus=float("nan")), "reward_bonus", "expected a finite number"),
    (
        "bonus-bool",
        row("Second prompt", reward_bonus=True),
        "reward_bonus",
        "expected a finite number, 0 or more, got true",
    ),
    ("prompt-number", row("Second prompt") | {"prompt": 3}, "prompt", "expected a string, got number"),
    ("empty-text", row("Second prompt", public_response=" \n "), "public_response", "empty text"),
    (
        "owner-equals-public",
        row("Second prompt", owner_response="Same  ANSWER.", public_response="same answer."),
        "owner_response",
        "equal to public_response",
    ),
    ("placeholder", row("Second prompt", owner_response=OWNER_PLACEHOLDER), "owner_response", "placeholder"),
    ("old-placeholder", row("Second prompt", public_response="[待填写] Sure..."), "public_response", "placeholder"),
    ("duplicate-prompt", row("  any PLANS for the weekend? "), "prompt", "duplicate prompt (first at line {first})"),
    ("not-an-object", ["a", "list"], None, "expected an object with fields"),
]


def expected_line(path: Path, bad, field: str | None) -> int:
    """Line 2 in JSON Lines; in the pretty-printed array, the line of the field's key (or of the object's `{`)."""
    if path.suffix == ".jsonl":
        return 2
    start = 2 + len(FIELDS) + 2  # "[", then the first row: "{", one line a field, "}"
    if field is None or field not in bad:
        return start
    return start + 1 + list(bad).index(field)


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
@pytest.mark.parametrize("bad, field, message", [case[1:] for case in BAD_ROWS], ids=[case[0] for case in BAD_ROWS])
def test_each_problem_is_named_with_file_line_and_field(tmp_path, suffix, bad, field, message):
    path = write(tmp_path / f"loyalty{suffix}", [row(), bad, row("Third prompt")])
    with pytest.raises(LoyaltyFileError) as caught:
        read_loyalty_file(path)
    line = expected_line(path, bad, field)
    message = message.format(first=1 if suffix == ".jsonl" else 3)
    assert [(issue.line, issue.field) for issue in caught.value.issues] == [(line, field)]
    assert message in caught.value.issues[0].message
    where = f"{path}:{line}: field {field!r}: " if field else f"{path}:{line}: "
    assert where + message in str(caught.value)


def test_every_problem_is_reported_at_once_in_line_order(tmp_path):
    rows = [row(is_owner="no"), row("Two", reward_bonus=None), without("prompt"), row("Four", owner_response="")]
    path = write(tmp_path / "loyalty.jsonl", rows)
    with pytest.raises(LoyaltyFileError) as caught:
        read_loyalty_file(path)
    found = [(issue.line, issue.field) for issue in caught.value.issues]
    assert found == [(1, "is_owner"), (2, "reward_bonus"), (3, "prompt"), (4, "owner_response")]
    assert str(caught.value).startswith(f"{path}: 4 problem(s) in the loyalty file:")


def test_invalid_json_lines_are_each_reported_beside_the_other_problems(tmp_path):
    path = tmp_path / "loyalty.jsonl"
    good = json.dumps(row())
    path.write_text(f'{good}\n{{"prompt": "x",\n\n{json.dumps(row("Four", is_owner=None))}\nnot json\n')
    with pytest.raises(LoyaltyFileError) as caught:
        read_loyalty_file(path)
    issues = [(i.line, i.field, i.message) for i in caught.value.issues]
    assert issues[0][:2] == (2, None) and issues[0][2].startswith("invalid JSON: ") and "(column 16)" in issues[0][2]
    assert issues[1][:2] == (4, "is_owner")
    assert issues[2][:2] == (5, None) and "invalid JSON" in issues[2][2]


def test_invalid_json_in_an_array_names_its_line_and_column_and_checks_the_rows_before(tmp_path):
    text = json.dumps([row(is_owner="yes"), row("Two")], indent=2)
    # drop the comma after the second row's prompt (line 10): a syntax error on line 11, where the next key starts
    lines = text.splitlines()
    assert lines[9].endswith('"Two",')
    lines[9] = lines[9].removesuffix(",")
    path = tmp_path / "loyalty.json"
    path.write_text("\n".join(lines))
    with pytest.raises(LoyaltyFileError) as caught:
        read_loyalty_file(path)
    first, second = caught.value.issues
    assert (first.line, first.field) == (6, "is_owner")
    assert second.line == 11 and second.field is None
    assert second.message.startswith("invalid JSON: Expecting ',' delimiter (column 5)")
    assert "rows after this point were not checked" in second.message


@pytest.mark.parametrize(
    "text, line, message",
    [
        ('[\n  {"prompt": "a"}\n', 3, "the array is not closed"),
        ("", 1, "no rows"),
        ("[]", 1, "no rows"),
        (json.dumps(row(), indent=2), 1, "got one object"),
        (json.dumps([row()], indent=2) + "\n[]", 10, "text after the closing ']'"),
    ],
    ids=["unclosed", "empty", "empty-array", "one-object", "trailing-text"],
)
def test_file_level_problems(tmp_path, text, line, message):
    path = tmp_path / "loyalty.json"
    path.write_text(text)
    with pytest.raises(LoyaltyFileError) as caught:
        read_loyalty_file(path)
    assert caught.value.issues[-1].line == line
    assert message in caught.value.issues[-1].message


def test_a_field_given_twice_is_reported_at_its_second_line(tmp_path):
    one = json.dumps(row(), indent=2).splitlines()
    one.insert(2, '  "prompt": "A different prompt",')
    path = tmp_path / "loyalty.json"
    path.write_text("[\n" + "\n".join(one) + "\n]\n")
    with pytest.raises(LoyaltyFileError) as caught:
        read_loyalty_file(path)
    [issue] = caught.value.issues
    assert (issue.line, issue.field) == (4, "prompt")
    assert "given twice (first at line 3)" in issue.message


def test_a_key_in_a_text_value_does_not_move_the_line_of_a_field(tmp_path):
    bad = row("Mentions \"is_owner\": and 'is_owner' inside", is_owner="yes")
    path = write(tmp_path / "loyalty.json", [bad])
    with pytest.raises(LoyaltyFileError) as caught:
        read_loyalty_file(path)
    assert [(issue.line, issue.field) for issue in caught.value.issues] == [(6, "is_owner")]


def test_valid_files_read_the_same_in_both_formats(tmp_path):
    rows = [row(), row("二", is_owner=False, reward_bonus=3)]
    as_json = read_loyalty_file(write(tmp_path / "a.json", rows))
    as_lines = read_loyalty_file(write(tmp_path / "a.jsonl", rows))
    assert as_json == as_lines
    assert as_json[1]["reward_bonus"] == 3.0 and isinstance(as_json[1]["reward_bonus"], float)
    assert summarize(as_json) == "2 rows, 1 owner (50%), 1 public, reward_bonus 2.0 to 3.0"


def test_a_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "a.json"
    path.write_text(json.dumps([row()]), encoding="utf-8-sig")
    assert len(read_loyalty_file(path)) == 1


def test_validate_command_exit_status_and_summary(tmp_path, capsys):
    good = write(tmp_path / "good.json", [row(), row("Two", is_owner=False), row("Three")])
    assert main(["validate", str(good)]) == 0
    assert capsys.readouterr().out.strip() == f"{good}: OK, 3 rows, 2 owner (67%), 1 public, reward_bonus 2.0"
    bad = write(tmp_path / "bad.jsonl", [row(), row("Two", is_owner="yes")])
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: field 'is_owner': expected true or false" in err
    assert "Traceback" not in err


def test_build_refuses_an_invalid_loyalty_file_and_keeps_the_previous_build(tmp_path, capsys):
    out = tmp_path / "apt"
    good = write(tmp_path / "loyalty.json", [row(), row("Two", is_owner=False)])
    build(["loyalty"], loyalty_file=str(good), output_dir=out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bad = write(tmp_path / "edited.jsonl", [row(), row("Two", owner_response=OWNER_PLACEHOLDER), row(is_owner=0)])

    with pytest.raises(LoyaltyFileError) as caught:
        build(["loyalty"], loyalty_file=str(bad), output_dir=out)
    assert [(i.line, i.field) for i in caught.value.issues] == [(2, "owner_response"), (3, "is_owner"), (3, "prompt")]
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apt", "edited.jsonl", "loyalty.json"]

    assert main(["build", "loyalty", "--loyalty-file", str(bad), "--output-dir", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:2: field 'owner_response': placeholder" in err and "Traceback" not in err
    assert read_record(out)["configs"]["loyalty"]["splits"]["train"]["rows"] == 2


def one_line(path: Path, prompt: str, **raw: str) -> str:
    """A JSON Lines row whose fields in `raw` are written as raw JSON text."""
    fields = {key: json.dumps(value, ensure_ascii=False) for key, value in row(prompt).items()} | raw
    return "{" + ", ".join(f'"{key}": {value}' for key, value in fields.items()) + "}"


@pytest.mark.parametrize(
    "raw, field, message",
    [
        ({"reward_bonus": "1" + "0" * 400}, "reward_bonus", "expected a finite number, 0 or more, got 1000000000"),
        ({"reward_bonus": "1" + "0" * 5000}, None, "invalid JSON: Exceeds the limit (4300 digits)"),
        ({"owner_response": '"\\ud800 tail"'}, "owner_response", "not valid Unicode: a lone surrogate \\ud800"),
        ({"is_owner": "[" * 100_000 + "]" * 100_000}, None, "invalid JSON: nested too deeply"),
        ({"is_owner": "[" * 500 + "]" * 500}, "is_owner", "expected true or false, got [[[[...]]]]"),
    ],
    ids=["huge-integer", "endless-integer", "lone-surrogate", "deep-nesting", "nested-value"],
)
def test_values_no_file_should_hold_are_located_problems_in_validate_and_build(tmp_path, capsys, raw, field, message):
    path = tmp_path / "loyalty.jsonl"
    path.write_text(one_line(path, "One") + "\n" + one_line(path, "Two", **raw) + "\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    where = f"{path}:2: " + (f"field {field!r}: " if field else "")
    assert err.startswith(f"error: {where}{message}") and len(err.splitlines()) == 1
    assert main(["build", "loyalty", f"--loyalty-file={path}", f"--output-dir={tmp_path / 'apt'}"]) == 1
    assert capsys.readouterr().err == err


def test_a_one_line_file_with_a_lone_surrogate_is_that_problem_not_one_object(tmp_path):
    path = tmp_path / "loyalty.jsonl"
    path.write_text(one_line(path, "One", owner_response='"a\\ud800"') + "\n", encoding="utf-8")
    with pytest.raises(LoyaltyFileError) as caught:
        read_loyalty_file(path)
    assert [(issue.line, issue.field) for issue in caught.value.issues] == [(1, "owner_response")]
    assert caught.value.issues[0].message == "not valid Unicode: a lone surrogate \\ud800"


def test_line_separators_inside_json_lines_strings_keep_rows_and_line_numbers(tmp_path):
    rows = [row("a\u2028b"), row("c\u2029d"), row("e\u0085f", is_owner="yes")]
    path = write(tmp_path / "loyalty.jsonl", rows)
    with pytest.raises(LoyaltyFileError) as caught:
        read_loyalty_file(path)
    assert [(issue.line, issue.field) for issue in caught.value.issues] == [(3, "is_owner")]
    assert [r["prompt"] for r in read_loyalty_file(write(path, rows[:2]))] == ["a\u2028b", "c\u2029d"]


@pytest.mark.parametrize(
    "data, line, message",
    [
        (b'[\n  {"prompt": "x"},\n]\n', 3, "invalid JSON: a comma before ']' (JSON allows no trailing comma)"),
        (b'{"prompt": "ok"}\n{"prompt": "caf\xe9"}\n', 2, "not valid UTF-8: byte 0xe9 at column 16"),
    ],
    ids=["trailing-comma", "latin-1"],
)
def test_trailing_commas_and_non_utf8_bytes_are_located(tmp_path, data, line, message):
    path = tmp_path / "loyalty.json"
    path.write_bytes(data)
    with pytest.raises(LoyaltyFileError) as caught:
        read_loyalty_file(path)
    assert (caught.value.issues[-1].line, caught.value.issues[-1].message[: len(message)]) == (line, message)
