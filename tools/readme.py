"""Write the parts of README.md that the code declares, each between `<!-- apt-hub:begin NAME -->` and
`<!-- apt-hub:end NAME -->`: the help of `apt-hub build`, whose options are declared once (`apt_hub.options` and
the sources). `tests/test_docs.py` checks that README.md holds what this writes.

Usage:
    python tools/readme.py [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"(<!-- apt-hub:begin (?P<name>[\w.-]+) -->\n).*?(<!-- apt-hub:end (?P=name) -->)", re.S)


def build_help() -> str:
    from apt_hub.cli import command_spec

    return f"```text\n$ apt-hub build --help\n{command_spec('build').help()}\n```"


BLOCKS: dict[str, Callable[[], str]] = {"build-help": build_help}


def generated(text: str) -> str:
    """`text` with every block of `BLOCKS` written again; the rest as it was.

    Raises:
        ValueError: a block of `BLOCKS` is not in the text.
    """
    missing = [name for name in BLOCKS if f"<!-- apt-hub:begin {name} -->" not in text]
    if missing:
        raise ValueError(f"README.md has no block {missing}: add <!-- apt-hub:begin NAME --> and its end marker")
    return _BLOCK.sub(lambda m: m[1] + BLOCKS[m["name"]]() + "\n" + m[3] if m["name"] in BLOCKS else m[0], text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when README.md is stale")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    new = generated(text)
    if args.check:
        if new != text:
            print("README.md is stale: run `make docs`", file=sys.stderr)
        return int(new != text)
    README.write_text(new, encoding="utf-8")
    print(f"wrote {README.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
