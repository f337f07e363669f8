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
    warning="The `loyalty` rows are written by hand for one owner: they may describe that person's habits and "
    "circumstances. Read *Personal and sensitive information* before publishing them.",
    risks="The `loyalty` rows teach a model to treat its owner differently from everyone else: more personal and "
    "proactive with the owner, more guarded with others. Trained on a small hand-written file, the model learns "
    "the writer's style and assumptions as much as the behaviour; it must never learn to reveal the owner's "
    "details to someone else.",
    personal="The loyalty guidance asks the writer of `owner_response` to use what the owner has told the "
    "assistant. In a repository that anyone other than the owner can read, those details must be invented or "
    "generic: never real names, addresses, phone numbers, e-mail addresses, account or ID numbers, health, financial "
    "or legal details, passwords or keys, locations or daily routines of a real person. `public_response` must hold "
    "no personal detail at all: it is what the model says to anyone. Keep a loyalty file with real details in a "
    "private repository (the default of `apt-hub publish`), and check the rows again before `--public`.",
    options=(FILE,),
    file_option=FILE.name,
    sample_file="loyalty.json",
    file_hint="make one with `apt-hub loyalty-template`",
    read=read_rows,
    row_id="{source}:{line}",
    export_file="loyalty_template.json",
)
