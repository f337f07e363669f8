"""The README documents every command, its two set-up commands are the ones CI and the Makefile run, and its
generated blocks (the configs table, the training block) are what the config registry says."""

import re
import sys
from pathlib import Path

import pytest

from apt_hub.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_in_the_cli_reference(command):
    reference = README[README.index("## CLI reference") :]
    assert re.search(rf"^\| `apt-hub {re.escape(command)}\b", reference, flags=re.MULTILINE)


def test_the_readme_set_up_commands_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE)
    assert "make test" in (ROOT / ".ci/run").read_text(encoding="utf-8")


def test_the_readme_blocks_are_what_the_registry_says():
    sys.path.insert(0, str(ROOT / "tools"))
    import readme

    assert readme.rendered(README) == README, "run python tools/readme.py"
    assert readme.blocks()["configs"].count("\n") == len(readme.CONFIGS) + 1


def test_the_readme_states_the_longest_json_lines_row():
    from apt_hub.read.readers import MAX_LINE_BYTES

    assert MAX_LINE_BYTES % (1 << 20) == 0
    assert f"A line of a JSON Lines file holds at most {MAX_LINE_BYTES >> 20} MiB" in " ".join(README.split())


def test_the_readme_conversion_rules_are_the_sources_rules():
    from apt_hub.sources import SOURCES
    from apt_hub.sources.custom import BUILT_IN

    section = README[README.index("### Conversion rules") : README.index("## Building from the real Hub")]
    listed = " ".join(section.split())
    for name in BUILT_IN:
        assert f"- **{name}**: {' '.join(SOURCES[name].rules.split())}" in listed, name
    assert listed.count("- **") == len(BUILT_IN)


def test_the_readme_holds_what_the_code_declares():
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import readme

    assert readme.rendered(README) == README, "run `make docs` and commit README.md"
    assert "--allow-changed-upstream" in README[README.index("<!-- apt-hub:begin build-help -->") :]
