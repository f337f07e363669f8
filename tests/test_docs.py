"""The README and `docs/`: a short front door that links every page, links and anchors that resolve, generated
blocks that are what the code declares, every command in the reference, and every block marked runnable run, page
by page, against a samples build and a Hub-compatible server on 127.0.0.1."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from apt_hub.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# A fenced block: its info string (language, then words such as `runnable`) and its text.
FENCE = re.compile(r"^(?P<fence>`{3,})(?P<info>[^\n`]*)\n(?P<code>.*?)^(?P=fence)\s*$", re.M | re.S)
LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)\s]+)\)")
TOKEN, USER = "hf_docs_write", "me"


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def readme_tool():
    sys.path.insert(0, str(ROOT / "tools"))
    import readme

    return readme


def prose(text: str) -> str:
    """A page without its fenced blocks: where links and headings are."""
    return FENCE.sub("", text)


def anchors(text: str) -> set[str]:
    """The anchors of a page's headings, as GitHub makes them: lower case, punctuation but `-` and `_` removed,
    spaces made `-`."""
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", prose(text), flags=re.M):
        found.add(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-"))
    return found


def test_the_readme_is_short_and_links_every_page():
    assert README.count("\n") < 200
    linked = {(ROOT / target).resolve() for target in re.findall(r"\]\((docs/[\w.-]+\.md)[)#]", README)}
    assert linked == {path.resolve() for path in DOCS.glob("*.md")}


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_every_link_of_a_page_resolves(path):
    text = path.read_text(encoding="utf-8")
    for target in LINK.findall(prose(text)):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        assert linked.exists(), f"{path.name}: {target}"
        if anchor and linked.suffix == ".md":
            assert anchor in anchors(linked.read_text(encoding="utf-8")), f"{path.name}: {target}"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_one_spelling_of_the_commands(path):
    """Bare `apt-hub` everywhere; `.venv/bin/...` only where the README and troubleshooting say how to reach it."""
    text = path.read_text(encoding="utf-8")
    spelled = re.findall(r"\.venv/bin/(?:apt-hub|python)\b", text)
    if path.name in ("README.md", "troubleshooting.md"):
        assert "source .venv/bin/activate" in text
    else:
        assert not spelled, f"{path.name}: {spelled}"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_is_in_the_reference(command):
    reference = page("reference.md")
    assert f"### `apt-hub {command}`" in reference
    assert f"$ apt-hub {command} --help\nusage: apt-hub {command}" in reference


def test_the_readme_set_up_commands_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("demo", "test"):
        assert f"make {target}" in README
        assert re.search(rf"^{target}:", makefile, flags=re.MULTILINE)
    assert "make test" in (ROOT / ".ci/run").read_text(encoding="utf-8")
    assert "pip install ." in README and 'pip install -e ".[dev]"' in README


def test_the_generated_blocks_are_what_the_code_declares():
    readme = readme_tool()
    texts = {path: path.read_text(encoding="utf-8") for path in readme.pages()}
    assert list(texts) == PAGES
    readme.check_placement(texts)
    made = readme.blocks()
    for path, text in texts.items():
        assert readme.rendered(text, made) == text, f"{path.name} is stale: run `make docs` and commit it"
    assert made["configs"].count("\n") == len(readme.CONFIGS) + 1


def test_the_reference_holds_every_build_option_and_config():
    from apt_hub.configs import CONFIGS
    from apt_hub.options import option_defaults

    reference = page("reference.md")
    commands = reference[reference.index("<!-- apt-hub:begin commands -->") :]
    assert "--allow-changed-upstream" in commands
    for name in option_defaults():
        assert f"--{name.replace('_', '-')}" in commands, name
    for name in CONFIGS:
        assert f"### `{name}`" in reference


def test_the_reference_conversion_rules_are_the_sources_rules():
    from apt_hub.sources import SOURCES
    from apt_hub.sources.custom import BUILT_IN

    reference = page("reference.md")
    section = reference[reference.index("## Conversion rules") : reference.index("## Export files")]
    listed = " ".join(section.split())
    for name in BUILT_IN:
        assert f"- **{name}**: {' '.join(SOURCES[name].rules.split())}" in listed, name
    assert listed.count("- **") == len(BUILT_IN)


def test_the_building_guide_states_the_longest_json_lines_row():
    from apt_hub.read.readers import MAX_LINE_BYTES

    assert MAX_LINE_BYTES % (1 << 20) == 0
    assert f"A line of a JSON Lines file holds at most {MAX_LINE_BYTES >> 20} MiB" in " ".join(
        page("building.md").split()
    )


# ------------------------------------------------------------------------------------------ runnable blocks


def runnable(text: str) -> list[tuple[str, str]]:
    """The blocks of a page marked runnable, in order: `(language, code)`."""
    blocks = []
    for match in FENCE.finditer(text):
        words = match["info"].split()
        if "runnable" in words[1:]:
            assert words[0] in ("bash", "python"), f"a runnable block must be bash or python, not {words[0]}"
            blocks.append((words[0], match["code"]))
    return blocks


RUNNABLE = [path for path in PAGES if runnable(path.read_text(encoding="utf-8"))]


def block_env(endpoint: str, home: Path) -> dict[str, str]:
    """The environment of a runnable block: a fresh HF home, the local Hub and its token, `.venv/bin` first."""
    from hub_server import client_env

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
    env |= client_env(endpoint, home) | {"HF_TOKEN": TOKEN, "HF_HUB_DISABLE_IMPLICIT_TOKEN": "0"}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


def test_pages_have_runnable_blocks():
    assert {"README.md", "building.md", "publishing.md", "quality.md"} <= {path.name for path in RUNNABLE}


def run_page(path: Path, work: Path, env: dict[str, str]) -> str:
    """Run a page's runnable blocks in order in `work`; the first failure, as a message, or empty."""
    for language, code in runnable(path.read_text(encoding="utf-8")):
        command = ["bash", "-euo", "pipefail", "-c", code] if language == "bash" else [sys.executable, "-c", code]
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=300)
        if done.returncode:
            return f"{path.name}:\n{code}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return ""


@pytest.fixture(scope="module")
def page_runs(samples_build, tmp_path_factory) -> dict[Path, str]:
    """Every page's runnable blocks, two pages at a time (the blocks wait on subprocesses), each page in its own
    folder that starts with a samples build in `dist/apt`, with its own HF home and its own Hub-compatible server,
    where the token of the blocks belongs to the user `me`."""
    from concurrent.futures import ThreadPoolExecutor

    from hub_server import HubServer

    def run(path: Path) -> str:
        root = tmp_path_factory.mktemp(path.stem)
        shutil.copytree(samples_build, root / "work" / "dist" / "apt")
        with HubServer(tokens={TOKEN: USER}) as hub:
            return run_page(path, root / "work", block_env(hub.endpoint, root / "hf_home"))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(RUNNABLE, pool.map(run, RUNNABLE), strict=True))


@pytest.mark.parametrize("path", RUNNABLE, ids=lambda p: p.name)
def test_the_runnable_blocks_of_a_page_run(path, page_runs):
    """Each page's runnable blocks, in order, against a samples build and the local Hub."""
    assert not page_runs[path], page_runs[path]


def test_the_numbers_the_guides_state_are_the_codes():
    """Values the code declares and the guide says in words: held equal here, as the generated blocks are."""
    from apt_hub.clean.decontamination import CHAR_N, TEXT_COLUMNS, WORD_N
    from apt_hub.network import CONNECT_TIMEOUT, DOWNLOAD_WORKERS, READ_TIMEOUT, TIMEOUT_VARIABLE, WORKERS_VARIABLE
    from apt_hub.sources.custom import MAX_YAML_VALUES

    timeouts = f"{CONNECT_TIMEOUT:g} s without a connection or {READ_TIMEOUT:g} s without an answer"
    for name in ("publishing.md", "troubleshooting.md"):
        text = " ".join(page(name).split())
        assert timeouts in text and f"{TIMEOUT_VARIABLE}=SECONDS" in text, name
    building = " ".join(page("building.md").split())
    assert f"downloads the files of each source {DOWNLOAD_WORKERS} at a time" in building
    assert f"`{WORKERS_VARIABLE}=1` downloads one file at a time" in building
    quality = " ".join(page("quality.md").split())
    assert f"character {CHAR_N}-grams, any other into word {WORD_N}-grams" in quality
    assert "the first of " + ", ".join(f"`{c}`" for c in TEXT_COLUMNS[:-1]) + f", `{TEXT_COLUMNS[-1]}`" in quality
    assert f"up to {MAX_YAML_VALUES:,} values" in " ".join(page("custom-sources.md").split())
