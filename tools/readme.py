"""The generated blocks of the README, from what the code declares: the table of configs (with which trainer reads
each as it is), the training block, the card's (`cards/training.md.j2`) for every config, loaded from `org/apt`,
and the help of `apt-hub build`, whose options are declared once (`apt_hub.options` and the sources).

    python tools/readme.py          # rewrites the blocks between the README's apt-hub:begin/end markers (make docs)
    python tools/readme.py --check  # exits 1 when the README differs from what the registry says

`tests/test_docs.py` runs the check.
"""

import re
import sys
from pathlib import Path

from apt_hub.card import template_environment
from apt_hub.chat.recipes import trainers, training
from apt_hub.configs import CONFIGS
from apt_hub.sources import sources_for

README = Path(__file__).resolve().parents[1] / "README.md"
REPO_ID = "org/apt"
_BLOCK = re.compile(r"(<!-- apt-hub:begin (?P<name>[\w-]+) -->\n).*?(<!-- apt-hub:end (?P=name) -->)", re.S)


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


def build_help() -> str:
    from apt_hub.cli import command_spec

    return f"```text\n$ apt-hub build --help\n{command_spec('build').help()}\n```"


def blocks() -> dict[str, str]:
    """The text of each generated block, by name."""
    shown = training(list(CONFIGS), REPO_ID)
    text = template_environment().get_template("training.md.j2").render(training=shown)
    # The README's own heading stands above the block.
    return {
        "configs": configs_table(),
        "training": text.strip().removeprefix("## Training").strip(),
        "build-help": build_help(),
    }


def rendered(readme: str) -> str:
    """The README with its generated blocks as the registry says them; every block must be there."""
    made = blocks()
    found = {match["name"] for match in _BLOCK.finditer(readme)}
    if missing := sorted(set(made) - found):
        raise SystemExit(f"{README}: no apt-hub:begin/end markers for {missing}")
    return _BLOCK.sub(lambda m: m[1] + made[m["name"]] + "\n" + m[3] if m["name"] in made else m[0], readme)


def main() -> int:
    current = README.read_text(encoding="utf-8")
    wanted = rendered(current)
    if "--check" in sys.argv[1:]:
        if wanted != current:
            print(f"{README.name} is not what the code declares: run make docs", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
