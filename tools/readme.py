"""The generated blocks of the README and of `docs/`, from what the code declares: the configs at a glance (with
which trainer reads each as it is), the training block (the card's `cards/training.md.j2` for every config, loaded
from `org/apt`), and the reference: every command's help (`apt_hub.cli`, `apt_hub.options` and the sources'
options), every config's fields (`apt_hub.configs`), the quality checks (`apt_hub.clean.checks`), the conversion
rules (`Source.rules`), the sources and the old export files.

    python tools/readme.py          # rewrites the blocks between the apt-hub:begin/end markers (make docs)
    python tools/readme.py --check  # exits 1 when a page differs from what the code declares

A block is `<!-- apt-hub:begin NAME -->` ... `<!-- apt-hub:end NAME -->`; every name below sits in some page.
`tests/test_docs.py` runs the check.
"""

import re
import sys
from pathlib import Path

from apt_hub.card import template_environment, words
from apt_hub.card.fields import FIELD_DOCS, id_formats
from apt_hub.chat.recipes import splits_of, trainers, training
from apt_hub.clean.checks import card_context
from apt_hub.configs import CONFIGS, FLAT
from apt_hub.export import _file_name as file_name
from apt_hub.sources import SOURCES, sources_for
from apt_hub.sources.custom import BUILT_IN

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
REPO_ID = "org/apt"
_BLOCK = re.compile(r"(<!-- apt-hub:begin (?P<name>[\w-]+) -->\n).*?(<!-- apt-hub:end (?P=name) -->)", re.S)


def pages() -> list[Path]:
    """The README, then every page of `docs/`, by name."""
    return [README, *sorted(DOCS.glob("*.md"))]


def upstream(name: str) -> str:
    """Where a config's rows come from, for the table: its sources' Hub repositories, or its flat config."""
    config = CONFIGS[name]
    if config.flat:
        return f"the rows of `{config.flat}`"
    return ", ".join(
        f"`{s.repo_id}`" if s.repo_id else f"a local file (`{s.option(s.file_option).flag}`)"
        for s in sources_for(name)
    )


def configs_table() -> str:
    lines = [
        "| config | training stage | upstream | fields | TRL | LLaMA-Factory | APT trainer |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, config in CONFIGS.items():
        cells = trainers(name)
        fields = ", ".join(f"`{field}`" for field in config.unified)
        lines.append(
            f"| `{name}` | {config.stage} | {upstream(name)} | {fields} | {cells['trl']} | "
            f"{cells['llama_factory']} | {cells['apt']} |"
        )
    return "\n".join(lines)


def commands_help() -> str:
    """`apt-hub --help`, then every command's `--help`, as the command line prints them."""
    from apt_hub.cli import COMMANDS, command_spec, overview

    parts = ["```text\n$ apt-hub --help\n" + re.sub(r"\(apt-hub [^)]*\)", "(apt-hub VERSION)", overview()) + "\n```"]
    for name in COMMANDS:
        parts.append(f"### `apt-hub {name}`\n\n```text\n$ apt-hub {name} --help\n{command_spec(name).help()}\n```")
    return "\n\n".join(parts)


def config_fields() -> str:
    """Each config's fields in file order, their type and what they hold, as the registry declares them."""
    parts = []
    for name, config in CONFIGS.items():
        tags = ", ".join(f"`{s.name}/<subset>`" if s.tag else f"`{s.name}`" for s in sources_for(config.flat or name))
        own = {
            "source": f"where the row came from: {tags}",
            "id": f"a stable row id, {id_formats([s.name for s in sources_for(config.flat or name)])}",
        }
        lines = [f"### `{name}`", "", f"{config.purpose} Stage: {config.stage}.", ""]
        lines += [rules_line(config), ""] if not config.is_twin else []
        if config.custom:
            lines += [f"A source of your own feeding it must give {words(f'`{f}`' for f in config.custom)}.", ""]
        lines += ["| field | type | meaning |", "|---|---|---|"]
        for field, kind in config.fields:
            doc = own.get(field) or config.docs.get(field) or FIELD_DOCS.get(field, "")
            lines.append(f"| `{field}` | {kind} | {doc} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def code(names) -> str:
    return ", ".join(f"`{name}`" for name in names)


def rules_line(config) -> str:
    """What the checks of a flat config compare, as it declares them."""
    texts = words(f"`{field}`" for field in config.duplicate)
    compared = f"Two rows are duplicates when their {texts} are the same (the duplicate rule)"
    if config.prompt in config.field_names:
        compared += f"; `duplicate_prompt` and `test_overlap` compare `{config.prompt}`"
    return f"Checks: {code(config.checks)}. {compared}."


def twins_list() -> str:
    """What each twin's message columns hold, from its declaration."""
    lines = []
    for name, config in CONFIGS.items():
        if config.is_twin:
            held = "; ".join(f"`{f}`: {config.docs[f]}" for f in config.field_names if f in config.docs)
            lines.append(f"- `{name}`: {held}.")
    return "\n".join(lines)


def checks_table() -> str:
    lines = ["| check | configs | catches | by default |", "|---|---|---|---|"]
    lines += [
        f"| `{c['name']}` | {c['configs']} | {c['catches']} | {c['default']} |" for c in card_context({})["checks"]
    ]
    return "\n".join(lines)


def built_in() -> list[str]:
    """The built-in sources, in registration order."""
    return [name for name in SOURCES if name in BUILT_IN]


def conversion_rules() -> str:
    """Each built-in source's rules, as the card shows them (`Source.rules`)."""
    return "\n".join(f"- **{name}**: {' '.join(SOURCES[name].rules.split())}" for name in built_in())


def sources_table() -> str:
    lines = ["| source | upstream | pinned revision | feeds | license |", "|---|---|---|---|---|"]
    for name in built_in():
        s = SOURCES[name]
        where = f"`{s.repo_id}`" if s.repo_id else f"a local file (`{s.option(s.file_option).flag}`)"
        feeds = ", ".join(f"`{config}`" for config in s.feeds)
        lines.append(f"| `{name}` | {where} | `{s.revision or '-'}` | {feeds} | {s.license} |")
    return "\n".join(lines)


def export_table() -> str:
    """The old tool's files `apt-hub export` writes: per source or per config, and their fields."""
    lines = ["| config | files | fields (exactly these, in this order) |", "|---|---|---|"]
    for config in FLAT:
        if config.export is None:
            continue
        if config.export.per_source:
            files = "one per source: " + ", ".join(f"`{s.name}_<split>.json`" for s in sources_for(config.name))
        else:
            files = ", ".join(
                f"`{name}`"
                for name in dict.fromkeys(
                    file_name(config.name, config.name, split) for split in splits_of(config.name)
                )
            )
        lines.append(f"| `{config.name}` | {files} | {', '.join(config.export.fields)} |")
    return "\n".join(lines)


def blocks() -> dict[str, str]:
    """The text of each generated block, by name."""
    shown = training(list(CONFIGS), REPO_ID)
    text = template_environment().get_template("training.md.j2").render(training=shown)
    return {
        "configs": configs_table(),
        # The page's own heading stands above the block.
        "training": text.strip().removeprefix("## Training").strip(),
        "commands": commands_help(),
        "fields": config_fields(),
        "twins": twins_list(),
        "checks": checks_table(),
        "rules": conversion_rules(),
        "sources": sources_table(),
        "export": export_table(),
    }


def rendered(text: str, made: dict[str, str] | None = None) -> str:
    """A page with its generated blocks as the code declares them; a block of an unknown name is left alone."""
    made = blocks() if made is None else made
    return _BLOCK.sub(lambda m: m[1] + made[m["name"]] + "\n" + m[3] if m["name"] in made else m[0], text)


def block_names(text: str) -> list[str]:
    return [match["name"] for match in _BLOCK.finditer(text)]


def check_placement(texts: dict[Path, str]) -> None:
    """Every block is in some page (a block may stand in several: the checks in the reference and their guide)."""
    found = {name for text in texts.values() for name in block_names(text)}
    if missing := sorted(set(blocks()) - found):
        raise SystemExit(f"no page has the apt-hub:begin/end markers of {missing}")


def main() -> int:
    texts = {path: path.read_text(encoding="utf-8") for path in pages()}
    check_placement(texts)
    made = blocks()
    stale = []
    for path, current in texts.items():
        wanted = rendered(current, made)
        if wanted == current:
            continue
        stale.append(path.relative_to(ROOT))
        if "--check" not in sys.argv[1:]:
            path.write_text(wanted, encoding="utf-8")
    if stale and "--check" in sys.argv[1:]:
        print(f"not what the code declares: {', '.join(map(str, stale))}; run make docs", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
