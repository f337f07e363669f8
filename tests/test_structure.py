"""The shape of the code: imports flow one way, the loyalty file is reached through the source registry, the
fingerprint covers the conversion code only."""

import ast
from pathlib import Path

import pytest

from apt_hub.pipeline import fingerprinted_files

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "apt_hub"
# Lower layers never import higher ones: core <- builder <- build, stats, card, publish <- workflows <- CLI, menu.
# A name covers its sub-modules: `apt_hub.card` is the card with its chart, `apt_hub.cli` the CLI with its menu.
LAYERS = {
    **dict.fromkeys(["builders", "apt_hub.builders"], 1),
    **dict.fromkeys(["apt_hub.build", "apt_hub.stats", "apt_hub.report", "apt_hub.card", "apt_hub.publish"], 2),
    **dict.fromkeys(["apt_hub.changes", "apt_hub.release"], 2),
    "apt_hub.measurements": 2,
    **dict.fromkeys(["apt_hub.merge", "apt_hub.export", "apt_hub.loyalty.template"], 3),
    "apt_hub.cli": 4,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """The modules a file imports, relative imports made absolute, wherever the import statement is."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def layer(module: str) -> int:
    return next((level for name, level in LAYERS.items() if module == name or module.startswith(f"{name}.")), 0)


CLI = PACKAGE / "cli"
CODE = sorted([*PACKAGE.rglob("*.py"), *(ROOT / "builders").rglob("*.py")])


@pytest.mark.parametrize("path", CODE, ids=lambda path: module_name(path))
def test_imports_flow_one_way(path):
    own = layer(module_name(path))
    upward = sorted(m for m in imported(path) if m.startswith(("apt_hub", "builders")) and layer(m) > own)
    assert not upward, f"{module_name(path)} (layer {own}) imports {upward}"


def test_no_module_of_the_package_imports_the_cli():
    outside = [p for p in PACKAGE.rglob("*.py") if CLI not in p.parents]
    importers = [module_name(p) for p in outside if any(m.split(".")[:2] == ["apt_hub", "cli"] for m in imported(p))]
    assert importers == []


def code_words(path: Path) -> list[tuple[int, str]]:
    """Names and strings of a module's code, with their lines; docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    words = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            words.append((node.lineno, node.value))
        elif isinstance(node, ast.Name | ast.alias | ast.Attribute):
            words.append((getattr(node, "lineno", 0), getattr(node, "id", None) or getattr(node, "attr", None) or ""))
    return words


# What a config is lives in its declaration (apt_hub/configs/), what a source is in the source registry: the code
# that builds, adapts, renders and exports names no config or source.
REGISTRY_ONLY = [
    "apt_hub/build.py",
    "apt_hub/pipeline.py",
    "builders/apt.py",
    *sorted(p.relative_to(ROOT).as_posix() for p in (PACKAGE / "card").glob("*.py")),
    "apt_hub/export.py",
]


@pytest.mark.parametrize("name", REGISTRY_ONLY)
def test_configs_and_the_loyalty_file_are_reached_through_the_registries(name):
    hits = [(line, word) for line, word in code_words(ROOT / name) if "loyalty" in word.lower()]
    assert hits == []


def test_the_fingerprint_covers_the_conversion_code_only():
    names = {path.relative_to(ROOT).as_posix() for path in fingerprinted_files()}
    assert {"apt_hub/convert.py", "apt_hub/read/readers.py", "apt_hub/pipeline.py", "apt_hub/clean/checks.py"} <= names
    assert {f"apt_hub/sources/{p.name}" for p in (PACKAGE / "sources").glob("*.py")} <= names
    assert {f"apt_hub/configs/{p.name}" for p in (PACKAGE / "configs").glob("*.py")} <= names
    left_out = ("apt_hub/card/", "apt_hub/cli/", "apt_hub/publish.py", "apt_hub/stats.py", "apt_hub/build.py")
    assert not [name for name in names if name.startswith(left_out)]
