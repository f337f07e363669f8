"""The loyalty file: hand-edited rows for the `loyalty` config, read from a local file instead of the Hub.

The file is checked whole before any row is kept (`apt_hub.loyalty.read_loyalty_file`): one problem stops the
build, with every problem listed by file, line and field. `apt-hub loyalty-template` makes a file to finish.
"""

from collections.abc import Iterator

from ..loyalty import read_loyalty_file
from .base import Context, Option, Row, Source

FILE = Option(name="loyalty_file", doc="the hand-edited loyalty file (JSON array or JSON Lines)", path=True)


def read_rows(path: str) -> Iterator[tuple[int, Row]]:
    """The rows of a valid loyalty file, numbered from 1; a file with any problem raises before the first row."""
    yield from enumerate(read_loyalty_file(path), start=1)


def to_loyalty(row: Row, context: Context) -> Row:
    return {**row, "source": context.tag}


SOURCE = Source(
    name="loyalty",
    repo_id="",
    revision="",
    feeds={"loyalty": {"train": ()}},
    columns={},
    convert=to_loyalty,
    license="the rows of the loyalty file belong to whoever wrote them",
    description="Prompts answered twice by hand: for the owner and for anyone else, with a reward bonus.",
    rules="read from `--loyalty-file` (JSON array or JSON Lines) and checked strictly: any problem stops the build "
    "with every problem listed by file, line and field. Every row has exactly `prompt`, `owner_response`, "
    "`public_response`, `is_owner` and `reward_bonus`; its `id` is `loyalty:<row number>`.",
    options=(FILE,),
    file_option=FILE.name,
    sample_file="loyalty.json",
    file_hint="make one with `apt-hub loyalty-template`",
    read=read_rows,
    row_id="{source}:{line}",
    export_file="loyalty_template.json",
)
