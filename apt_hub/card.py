"""The dataset card of a build folder: YAML metadata through `DatasetCardData`, then a body."""

from pathlib import Path

from huggingface_hub import DatasetCard, DatasetCardData

from .layout import read_record, splits_on_disk
from .schemas import STAGES

DEFAULT_CONFIG = "sft"


def configs_yaml(root: str | Path) -> list[dict]:
    """The `configs:` entries for every config and split in the folder, the default config marked."""
    on_disk = splits_on_disk(root)
    default = DEFAULT_CONFIG if DEFAULT_CONFIG in on_disk else next(iter(sorted(on_disk)), None)
    entries = []
    for config in sorted(on_disk, key=lambda c: (c != default, c)):
        files = [{"split": split, "path": f"data/{config}/{split}-*"} for split in sorted(on_disk[config])]
        entries.append({"config_name": config, "data_files": files} | ({"default": True} if config == default else {}))
    return entries


def card_data(root: str | Path) -> DatasetCardData:
    return DatasetCardData(configs=configs_yaml(root), language=["zh", "en"], pretty_name="APT training sets")


def render_card(root: str | Path) -> str:
    """The README.md text of a build folder."""
    record = read_record(root)
    lines = ["# APT training sets", "", "| config | stage | splits |", "|---|---|---|"]
    for config, splits in sorted(splits_on_disk(root).items()):
        rows = record.get("configs", {}).get(config, {}).get("splits", {})
        shown = ", ".join(f"{split} ({rows.get(split, {}).get('rows', '?')} rows)" for split in sorted(splits))
        lines.append(f"| `{config}` | {STAGES.get(config, config)} | {shown} |")
    return DatasetCard.from_template(
        card_data(root), template_str="---\n{{ card_data }}\n---\n\n" + "\n".join(lines) + "\n"
    ).content


def write_card(root: str | Path) -> Path:
    path = Path(root) / "README.md"
    path.write_text(render_card(root), encoding="utf-8")
    return path
