"""Turning upstream files into unified rows: the parts of `apt_hub.convert` that no build test reaches alone."""

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from apt_hub.convert import _row_ids
from apt_hub.sources import SOURCES

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
