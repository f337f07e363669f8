"""`apt-hub card`: the dataset card of a build folder, rendered from the numbers in `stats.json`.

The YAML header goes through `huggingface_hub.DatasetCardData`; the body comes from the Jinja templates in
`cards/`. Generated parts of the body sit between `<!-- apt-hub:begin NAME -->` and `<!-- apt-hub:end NAME -->`
markers and are replaced on every render; text outside them, and YAML keys apt-hub does not write, are kept.
"""

import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pyarrow.parquet as pq
import yaml
from datasets import Features
from datasets.info import DatasetInfo, DatasetInfosDict
from datasets.splits import SplitDict, SplitInfo
from huggingface_hub import DatasetCard, DatasetCardData
from huggingface_hub.repocard import REGEX_YAML_BLOCK

from .. import __version__
from ..changes import card_release, latest_release
from ..chat.recipes import trainers, training
from ..clean import checks
from ..configs import CONFIGS, FLAT
from ..configs.base import BOOL, FLOAT, MESSAGES, PAIRS, STRING, STRINGS
from ..errors import AptHubError, Problem, one_line
from ..folder import atomic_write
from ..layout import read_record, splits_on_disk
from ..options import option_defaults
from ..read.jsontext import decode_utf8
from ..report import check_lines
from ..sources import SOURCES
from ..stats import compute_stats, drops
from .chart import write_histogram
from .fields import EXAMPLE_CHARS, example_json, example_row, field_docs
from .rules import LICENSES, metadata_errors
from .sections import sections_context

CARD_FILE = "README.md"
IMAGES_DIR = "images"
DEFAULT_CONFIG = "sft"
PLACEHOLDER_REPO_ID = "ORG/NAME"
PRETTY_NAME = "APT training sets"
# The curators line the card starts with, outside the generated blocks: the publisher replaces it by hand.
CURATORS_PLACEHOLDER = "Curated by: *your names or team here*."
LANGUAGES = ["zh", "en"]
TASK_CATEGORIES = ["text-generation", "question-answering"]
# The keys of the YAML header that apt-hub writes; any other key a user added is kept.
GENERATED_KEYS = (
    "pretty_name",
    "language",
    "license",
    "license_name",
    "license_link",
    "task_categories",
    "size_categories",
    "source_datasets",
    "tags",
    "configs",
    "dataset_info",
)
SIZE_CATEGORIES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")]
SIZE_CATEGORIES += [(10**7, "1M<n<10M"), (10**8, "10M<n<100M"), (10**9, "100M<n<1B")]
# A single licence shared by every source becomes the repository's; anything else is `other`, explained in the card.
HUB_LICENSES = LICENSES - {"other", "unknown"}
# Where `license: other` points: the card's own License section, which links each source's terms.
LICENSE_LINK = "README.md#license"
_BLOCK = re.compile(r"<!-- apt-hub:begin (?P<name>[\w.-]+) -->\n.*?<!-- apt-hub:end (?P=name) -->\n?", re.S)


class CardError(AptHubError):
    """A card whose text or YAML header cannot be read: its file and line, and what to fix."""


def read_card(text: str, name: str = CARD_FILE) -> DatasetCard:
    """The card of a text, its YAML header read as the Hub reads it.

    Raises:
        CardError: the header is not valid YAML, not a mapping, or has a key that is not a string; the message
            names the line of the file `name` where it goes wrong.
    """
    match = REGEX_YAML_BLOCK.search(text)
    first = text.count("\n", 0, match.start(2)) + 1 if match else 1  # the header's first line in the file
    try:
        return DatasetCard(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = first + mark.line if mark else first
        where = f" (column {mark.column + 1})" if mark else ""
        problem = one_line(getattr(error, "problem", None) or error)
        raise CardError(_card_problem(name, line, f"is not valid YAML: {problem}{where}")) from None
    except RecursionError:
        raise CardError(_card_problem(name, first, "is nested too deeply")) from None
    except ValueError:  # huggingface_hub: "repo card metadata block should be a dict"
        raise CardError(_card_problem(name, first, "is not a mapping of keys to values")) from None
    except TypeError:  # DatasetCardData(**data): a key such as `1:` is not a name
        raise CardError(_card_problem(name, first, "has a key that is not a string")) from None


def _card_problem(name: str, line: int, problem: str) -> str:
    return f"{name}:{line}: the card's YAML header {problem}; fix the header at line {line}, then run this again"


def read_card_file(path: str | Path) -> str | None:
    """The text of a build folder's `README.md` (`None` when there is none), checked as `read_card` checks it.

    Raises:
        CardError: the file is not UTF-8, or its YAML header cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        return None
    text = decode_utf8(path.read_bytes())
    if isinstance(text, Problem):
        raise CardError(text.format(str(path)))
    read_card(text, str(path))
    return text


def check_card(root: str | Path) -> None:
    """Refuse a build folder whose card cannot be read, before any work: a build, `card`, `merge` and `publish`
    all render the card from the one there."""
    read_card_file(Path(root) / CARD_FILE)


def templates_dir() -> Path:
    """The folder of the card templates: `cards/` beside the package (a checkout or an editable install), else
    the copy installed as package data."""
    beside = Path(__file__).resolve().parents[2] / "cards"
    if (beside / "dataset_card.md.j2").is_file():
        return beside
    return Path(str(resources.files("apt_hub") / "cards"))


def write_card(root: str | Path, stats: dict[str, Any], *, repo_id: str | None = None) -> Path:
    """Write the length charts and `README.md` of a build folder from its stats (`apt_hub.stats.write_stats`, which
    the build, `card`, `merge` and `publish` call first: the card shows the numbers `stats.json` holds).

    Text a user wrote in the card outside the generated blocks, and YAML keys apt-hub does not write, are kept.

    Args:
        root: the build folder.
        stats: its stats, as `stats.json` holds them.
        repo_id: the Hub repository shown in the `load_dataset` examples; by default the one the current card
            shows, else `ORG/NAME`.

    Returns:
        The path of the card.

    Example:
        >>> write_card("dist/apt", write_stats("dist/apt"), repo_id="org/apt")  # doctest: +SKIP
        PosixPath('dist/apt/README.md')
    """
    root = Path(root)
    path = root / CARD_FILE
    existing = read_card_file(path)
    write_images(root, stats)
    text = render_card(root, stats, repo_id=repo_id or repo_id_in(existing) or PLACEHOLDER_REPO_ID)
    atomic_write(path, merge_card(existing, text) if existing else text)
    return path


def render_card(root: str | Path, stats: dict[str, Any], *, repo_id: str) -> str:
    """The card text of a build folder, from the templates only (no text of an existing card)."""
    data = card_data(root, stats)
    context = card_context(root, stats, repo_id=repo_id)
    body = template_environment().get_template("dataset_card.md.j2").render(**context)
    return f"---\n{data.to_yaml()}\n---\n\n{body.strip()}\n"


def card_data(root: str | Path, stats: dict[str, Any]) -> DatasetCardData:
    """The YAML metadata: configs and files, `dataset_info`, license, languages, size, sources and tags."""
    record = read_record(root).get("configs", {})
    sources = _sources(record)
    licenses = {SOURCES[n].license if n in SOURCES else s.get("license", "unknown") for n, s in sources.items()}
    license_ = next(iter(licenses)) if len(licenses) == 1 and licenses <= HUB_LICENSES else "other"
    rows = sum(split["rows"] for entry in stats["configs"].values() for split in entry["splits"].values())
    other: dict[str, Any] = {"license_name": "mixed-upstream-licenses", "license_link": LICENSE_LINK}
    data = DatasetCardData(
        pretty_name=PRETTY_NAME,
        language=LANGUAGES,
        license=license_,
        **(other if license_ == "other" else {}),
        task_categories=TASK_CATEGORIES,
        size_categories=[size_category(rows)],
        source_datasets=sorted({s["repo_id"] for s in sources.values()}),
        tags=sorted({"apt-hub", "alignment", *(t for c in stats["configs"] if c in CONFIGS for t in CONFIGS[c].tags)}),
        configs=configs_yaml(root, stats),
    )
    DatasetInfosDict(dataset_infos(root, stats)).to_dataset_card_data(data)
    if errors := metadata_errors(data.to_dict()):
        raise AptHubError(f"The card's YAML header breaks the Hub's rules: {'; '.join(errors)}")
    return data


def configs_yaml(root: str | Path, stats: dict[str, Any]) -> list[dict]:
    """The `configs:` entries for every config and split in the folder that has rows, the default config marked.

    A split without rows is left out (and a config without any): `datasets` cannot load an empty split, and
    `load_dataset(repo, config)` would fail on it rather than give the others.
    """
    on_disk = {
        config: [s for s in splits if _rows(stats, config, s)] for config, splits in splits_on_disk(root).items()
    }
    on_disk = {config: splits for config, splits in on_disk.items() if splits}
    default = default_config(on_disk)
    entries = []
    for config in sorted(on_disk, key=lambda c: (c != default, c)):
        files = [{"split": split, "path": f"data/{config}/{split}-*"} for split in _split_order(on_disk[config])]
        entries.append({"config_name": config, "data_files": files} | ({"default": True} if config == default else {}))
    return entries


def _splits_with_rows(stats: dict[str, Any]) -> dict[str, list[str]]:
    """The splits of each config that have rows, train first: those the `configs:` header lists."""
    return {
        config: [s for s in _split_order(entry["splits"]) if _rows(stats, config, s)]
        for config, entry in stats["configs"].items()
    }


def _rows(stats: dict[str, Any], config: str, split: str) -> int:
    return stats["configs"].get(config, {}).get("splits", {}).get(split, {}).get("rows", 0)


def dataset_infos(root: str | Path, stats: dict[str, Any]) -> dict[str, DatasetInfo]:
    """`DatasetInfo` per config: features from the parquet schema, rows and bytes per split from the stats."""
    infos = {}
    for config, entry in stats["configs"].items():
        splits = SplitDict()
        for split in _split_order(entry["splits"]):
            info = entry["splits"][split]
            if info["rows"]:  # as `configs:` leaves empty splits out
                splits.add(SplitInfo(name=split, num_bytes=info["num_bytes"], num_examples=info["rows"]))
        if not splits:
            continue
        first = Path(root) / next(iter(entry["splits"].values()))["files"][0]
        infos[config] = DatasetInfo(
            features=Features.from_arrow_schema(pq.read_schema(first)),
            splits=splits,
            download_size=sum(s["download_size"] for s in entry["splits"].values()),
            dataset_size=sum(s["num_bytes"] for s in entry["splits"].values()),
        )
    return infos


def size_category(rows: int) -> str:
    """The Hub's `size_categories` value for a number of rows.

    >>> size_category(999), size_category(1000), size_category(250_000)
    ('n<1K', '1K<n<10K', '100K<n<1M')
    """
    return next((name for bound, name in SIZE_CATEGORIES if rows < bound), "n>1T" if rows >= 10**12 else "1B<n<10B")


def default_config(configs) -> str | None:
    return DEFAULT_CONFIG if DEFAULT_CONFIG in configs else next(iter(sorted(configs)), None)


def card_context(root: str | Path, stats: dict[str, Any], *, repo_id: str) -> dict[str, Any]:
    """The variables of the card templates."""
    record = read_record(root)
    configs_record = record.get("configs", {})
    sources = _sources(configs_record)
    default = default_config(stats["configs"])
    order = card_order(stats["configs"], default)
    licenses = {name: _license(name, s) for name, s in sources.items()}
    tags = {c: _tags(stats["configs"][c]) for c in order}
    preference = [c for c in order if {"chosen", "rejected"} <= set(stats["configs"][c]["features"])]
    return {
        "pretty_name": PRETTY_NAME,
        "curators_placeholder": CURATORS_PLACEHOLDER,
        "repo_id": repo_id,
        "version": record.get("apt_hub_version", __version__),
        "homepage": homepage(),
        "configs": [
            config_context(
                c, stats["configs"][c], configs_record.get(c, {}), c == default, root=root, chart=chart_of(c, stats)
            )
            | {"same_as": same_rows_as(c, configs_record, stats), "overlaps": overlaps(c, tags)}
            for c in order
        ],
        "overlaps": [{"config": c, "also_in": found} for c in order if (found := overlaps(c, tags)["also_in"])],
        "rules": [{"name": n, "text": SOURCES[n].rules or SOURCES[n].description} for n in _built(sources, stats)],
        "sources": [_source_context(name, s, licenses[name]) for name, s in sources.items()],
        "license_note": _license_note(licenses),
        # The flat configs' sections say why TRL takes their twin: the training block need not.
        "training": training(order, repo_id, _splits_with_rows(stats)) | {"reasons": []},
        "twin_rows": sum(
            split["rows"]
            for c in order
            if CONFIGS.get(c) and CONFIGS[c].is_twin
            for split in stats["configs"][c]["splits"].values()
        ),
        "local_sources": [{"name": n, "license": SOURCES[n].license} for n in _built({}, stats)],
        "example_chars": EXAMPLE_CHARS,
        "option_names": [name.replace("_", " ") for name in option_defaults()],
        "quality": checks.card_context(configs_record),
        "release": card_release(latest_release(root)),
    } | sections_context(_built(sources, stats), preference_configs=preference)


def card_order(configs, default: str | None) -> list[str]:
    """The configs in the order of the card: the default first, then each flat config of the registry followed by
    its twin, then the others (merged configs) by name.

    >>> card_order(["storm_chat", "sft_mix", "dpo", "storm", "sft"], "sft")
    ['sft', 'dpo', 'storm', 'storm_chat', 'sft_mix']
    """
    registry = {name: index for index, name in enumerate(n for flat in FLAT for n in (flat.name, f"{flat.name}_chat"))}
    return sorted(configs, key=lambda c: (c != default, registry.get(c, len(registry)), c))


def same_rows_as(name: str, configs_record: dict[str, Any], stats: dict[str, Any]) -> str:
    """The flat config whose rows a twin holds as messages, when this build wrote both from the same conversion
    (same sources, options and counts), so that the twin's section need only say what differs; else empty."""
    flat = CONFIGS[name].flat if name in CONFIGS else None
    if not flat or flat not in stats["configs"] or flat not in configs_record or name not in configs_record:
        return ""
    mine, theirs = configs_record[name], configs_record[flat]
    same = all(mine.get(key) == theirs.get(key) for key in ("sources", "options", "counts"))
    rows = {s: e["rows"] for s, e in stats["configs"][name]["splits"].items()}
    return flat if same and rows == {s: e["rows"] for s, e in stats["configs"][flat]["splits"].items()} else ""


def overlaps(name: str, tags: dict[str, set[str]]) -> dict[str, list[str]]:
    """The other configs of the same form (flat or chat) whose sources hold every source of this one (`also_in`:
    `ruozhiba` in `sft`, which also reads COIG-CQIA's ruozhiba subset), and those whose sources this one holds and
    more (`holds`): a trainer that mixes them sees those rows twice.

    >>> tags = {"sft": {"coig-cqia/ruozhiba", "coig-cqia/zhihu"}, "ruozhiba": {"coig-cqia/ruozhiba"}, "dpo": {"hh"}}
    >>> overlaps("ruozhiba", tags), overlaps("sft", tags)["holds"]
    ({'also_in': ['sft'], 'holds': []}, ['ruozhiba'])
    """

    def chat(config: str) -> bool:
        return bool(CONFIGS[config].is_twin) if config in CONFIGS else False

    mine = tags[name]
    others = [c for c in tags if c != name and chat(c) == chat(name) and mine and tags[c]]
    return {
        "also_in": [c for c in others if mine <= tags[c]],
        "holds": [c for c in others if tags[c] < mine],
    }


def turned_texts(name: str) -> list[str]:
    """The flat texts a twin holds as messages (`Twin.turned`); none for any other config.

    >>> turned_texts("sft_chat"), turned_texts("sft")
    (['prompt', 'response'], [])
    """
    flat = CONFIGS[name].flat if name in CONFIGS else None
    recipe = CONFIGS[flat].twin if flat else None
    return list(recipe.turned) if recipe else []


def left_out(name: str) -> list[str]:
    """The flat config's derived columns a twin does not carry: the same texts in another trainer's form.

    >>> left_out("dpo_chat"), left_out("sft_chat")
    (['history', 'last_turn'], [])
    """
    flat = CONFIGS[name].flat if name in CONFIGS else None
    derived = CONFIGS[flat].derived if flat else None
    return [field for field in derived.fields if field not in CONFIGS[name].field_names] if derived else []


def replaced(name: str) -> list[str]:
    """The flat config's derived text columns a twin holds under the same name as a message list instead.

    >>> replaced("storm_chat"), replaced("dpo_chat")
    (['completion'], [])
    """
    flat = CONFIGS[name].flat if name in CONFIGS else None
    derived = CONFIGS[flat].derived if flat else None
    twin = CONFIGS[name] if flat else None
    return [f for f in derived.fields if twin and dict(twin.fields).get(f) == MESSAGES] if derived and twin else []


def uncurated(root: str | Path) -> bool:
    """Whether a build folder's card still has the placeholder curators line (`CURATORS_PLACEHOLDER`)."""
    path = Path(root) / CARD_FILE
    return path.is_file() and CURATORS_PLACEHOLDER in path.read_text(encoding="utf-8", errors="replace")


def homepage() -> str:
    """Where apt-hub lives, from the package's metadata (`[project.urls]`); empty when it names none."""
    from importlib import metadata

    try:
        urls = metadata.metadata("apt-hub").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return ""
    return next((url.partition(",")[2].strip() for url in urls), "")


def _tags(entry: dict[str, Any]) -> set[str]:
    return {tag for split in entry["splits"].values() for tag in split["sources"]}


def config_context(
    name: str, entry: dict[str, Any], record: dict[str, Any], default: bool, *, root: str | Path, chart: str = ""
) -> dict[str, Any]:
    """The variables of one config's section: fields in schema order, rows, lengths, an example, its options."""
    splits = _split_order(entry["splits"])
    first = entry["splits"][splits[0]]["files"][0]
    example = example_row(root, first)
    tags = sorted({tag for s in splits for tag in entry["splits"][s]["sources"]})
    declared = CONFIGS.get(name)
    reason = declared.twin.reason if declared and declared.twin else ""
    return {
        "name": name,
        "default": default,
        "stage": declared.stage if declared else "",
        "purpose": declared.purpose if declared else _merged_purpose(record),
        "trainers": trainers(name) if declared else {"trl": "-", "llama_factory": "-", "apt": "-"},
        "twin": f"{name}_chat",
        "twin_reason": reason,
        "messages": [n for n, kind in declared.fields if kind == MESSAGES] if declared else [],
        "turned": turned_texts(name),
        "left_out": left_out(name),
        "replaced": replaced(name),
        "text_fields": entry["text_fields"],
        "fields": declared.unified if declared else entry["text_fields"],
        "features": field_docs(_feature_types(root, first, entry), sources=tags, example_id=example.get("id", "")),
        "example": {"split": splits[0], "json": example_json(example)},
        "splits": [{"name": s, "summary": f"{s} {entry['splits'][s]['rows']:,}"} for s in splits],
        "source_rows": [row for s in splits for row in _source_rows(s, entry["splits"][s])],
        "length_rows": [
            row for s in splits for row in _length_rows(s, entry["splits"][s]["all"], entry["text_fields"])
        ],
        "image": f"{IMAGES_DIR}/lengths-{chart or name}.png",
        "chart_of": chart if chart and chart != name else "",
        "checks": [line for s in splits for line in check_lines(s, entry["splits"][s]["all"])]
        + [
            f"{s}: no rows, so the `configs:` of this card leave it out (`datasets` cannot load an empty split)."
            for s in splits
            if not entry["splits"][s]["rows"]
        ],
        "options": record.get("options"),
        "option_cells": _option_cells(record.get("options") or {}),
    }


def _merged_purpose(record: dict[str, Any]) -> str:
    inputs = [f"`{item['name']}`" for item in record.get("merged_from", {}).get("inputs", [])]
    made = f"Made with `apt-hub merge` from {', '.join(inputs)}, duplicates removed" if inputs else "A custom config"
    return f"{made}; `source` still says where each row came from."


def write_images(root: str | Path, stats: dict[str, Any]) -> list[Path]:
    """Write `images/lengths-<config>.png` for every config and delete those of configs no longer there."""
    folder = Path(root) / IMAGES_DIR
    written = []
    for config, histograms, title in chart_inputs(stats):
        path = folder / f"lengths-{config}.png"
        written.append(write_histogram(path, histograms, stats["histogram_bins"], title=title))
    for stale in set(folder.glob("lengths-*.png")) - set(written):
        stale.unlink()
    return written


def chart_inputs(stats: dict[str, Any]) -> list[tuple[str, dict[str, dict[str, list[int]]], str]]:
    """`(config, {field: {split: rows per bin}}, title)` for every config that has a chart of its own."""
    inputs = []
    for config, entry in stats["configs"].items():
        if chart_of(config, stats) != config:
            continue
        splits = _split_order(entry["splits"])
        histograms = {f: {s: entry["splits"][s]["histograms"][f] for s in splits} for f in entry["text_fields"]}
        inputs.append((config, histograms, f"{config}: length of each text field, per split"))
    return inputs


def chart_of(config: str, stats: dict[str, Any]) -> str:
    """The config whose length chart a config's section shows: a twin's texts are its flat config's, so it shows
    that chart when the flat config is in the build (drawing it again would say nothing new)."""
    flat = CONFIGS[config].flat if config in CONFIGS else None
    return flat if flat is not None and flat in stats["configs"] else config


def merge_card(existing: str, rendered: str) -> str:
    """The rendered card with what a user wrote in the existing one: text outside the generated blocks, in place,
    and YAML keys apt-hub does not write.

    A block of the rendered card that the existing card lacks goes after the block it follows in the rendered
    card; a block the rendered card no longer has is removed. An existing card without any block is replaced.

    Example:
        >>> block = "<!-- apt-hub:begin a -->\\n{}\\n<!-- apt-hub:end a -->\\n"
        >>> old = "---\\ncolor: red\\n---\\n# T\\n" + block.format("old") + "mine\\n"
        >>> merged = merge_card(old, "---\\nlicense: mit\\n---\\n# T\\n" + block.format("new"))
        >>> merged == "---\\nlicense: mit\\ncolor: red\\n---\\n\\n# T\\n" + block.format("new") + "mine\\n"
        True
    """
    old_card, new_card = read_card(existing), DatasetCard(rendered)
    old_body, new_body = old_card.text, new_card.text
    if not _BLOCK.search(old_body):
        return rendered
    data = new_card.data.to_dict()
    for key, value in old_card.data.to_dict().items():
        if key not in GENERATED_KEYS and key not in data:
            data[key] = value
    yaml = DatasetCardData(**data).to_yaml() if data else ""
    return f"---\n{yaml}\n---\n\n{_merge_bodies(old_body, new_body).strip()}\n"


def handwritten(card: str, name: str = CARD_FILE) -> str:
    """What a user wrote in a card: the body outside the generated blocks, and YAML keys apt-hub does not write.

    Raises:
        CardError: the card's YAML header cannot be read (`read_card`; `name` is the card's file in messages).
    """
    read = read_card(card, name)
    extra = {k: v for k, v in read.data.to_dict().items() if k not in GENERATED_KEYS}
    return f"{sorted(extra.items())!r}\n{_BLOCK.sub('', read.text).strip()}"


def render_card_for(root: str | Path, *, repo_id: str) -> str:
    """The card a build folder gets from the templates alone, without writing anything."""
    return render_card(root, compute_stats(root), repo_id=repo_id)


def repo_id_in(card: str | None) -> str | None:
    """The repository of the `load_dataset` examples of an existing card, unless it is the placeholder."""
    match = re.search(r'load_dataset\("([\w.-]+/[\w.-]+)"', card or "")
    return match[1] if match and match[1] != PLACEHOLDER_REPO_ID else None


def _merge_bodies(old: str, new: str) -> str:
    new_blocks = {m["name"]: m[0] for m in _BLOCK.finditer(new)}
    new_order = list(new_blocks)
    pieces: list[tuple[str | None, str]] = []  # (block name or None for the user's text, text)
    position = 0
    for match in _BLOCK.finditer(old):
        pieces.append((None, old[position : match.start()]))
        if match["name"] in new_blocks:
            pieces.append((match["name"], new_blocks[match["name"]]))
        position = match.end()
    pieces.append((None, old[position:]))
    for index, name in enumerate(new_order):
        if any(piece_name == name for piece_name, _ in pieces):
            continue
        before = [n for n in new_order[:index] if any(p == n for p, _ in pieces)]
        at = max((i for i, (p, _) in enumerate(pieces) if before and p == before[-1]), default=-1)
        pieces.insert(at + 1, (name, "\n" + new_blocks[name] if at >= 0 else new_blocks[name] + "\n"))
    return "".join(text for _, text in _in_rendered_order(pieces, new_order))


def _in_rendered_order(pieces: list[tuple[str | None, str]], order: list[str]) -> list[tuple[str | None, str]]:
    """The pieces with each run of blocks that no text of the user's separates (only blank lines) in the rendered
    order: the config sections of an older card take the order of a new one, and the user's text stays in place."""
    runs: list[list[int]] = [[]]
    for index, (name, text) in enumerate(pieces):
        if name is not None:
            runs[-1].append(index)
        elif text.strip():
            runs.append([])
    reordered = list(pieces)
    for run in runs:
        names = sorted((pieces[i][0] or "" for i in run), key=order.index)
        for index, name in zip(run, names, strict=True):
            reordered[index] = (name, next(text for n, text in pieces if n == name))
    return reordered


def template_environment() -> jinja2.Environment:
    """The Jinja environment of the card templates (`cards/`), which the generated blocks of the docs use too."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["code"] = lambda value: f"`{value}`"
    env.filters["words"] = words
    return env


def words(items: Iterable[str]) -> str:
    """Items as a sentence lists them.

    >>> words(["a"]), words(["a", "b"]), words(["a", "b", "c"])
    ('a', 'a and b', 'a, b and c')
    """
    items = list(items)
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def _sources(configs_record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The upstream sources of every config in the build record, by name, in first-seen order."""
    found: dict[str, dict[str, Any]] = {}
    for entry in configs_record.values():
        for name, source in entry.get("sources", {}).items():
            found.setdefault(name, {**source, "files": []})
            found[name]["files"] = sorted({*found[name]["files"], *source.get("files", [])})
    return dict(sorted(found.items()))


def _license(name: str, source: dict[str, Any]) -> str:
    return SOURCES[name].license if name in SOURCES else source.get("license", "unknown")


def _license_note(licenses: dict[str, str]) -> str:
    if len(set(licenses.values())) <= 1 and set(licenses.values()) <= HUB_LICENSES:
        return ""
    notes = [SOURCES[name].license_note for name in licenses if name in SOURCES and SOURCES[name].license_note]
    mixed = (
        "The configs mix sources under different terms, so the repository's license is `other`: each row keeps "
        "the license of its source, given below (the `source` column says which)."
    )
    return " ".join([mixed, *notes])


def _source_context(name: str, source: dict[str, Any], license_: str) -> dict[str, Any]:
    repo_id = source.get("repo_id", "")
    files = source.get("files", [])
    shown = ", ".join(f"`{f}`" for f in files[:4]) + (f" and {len(files) - 4} more" if len(files) > 4 else "")
    return {
        "name": name,
        "link": f"[{repo_id}](https://huggingface.co/datasets/{repo_id})",
        "revision": source.get("revision", ""),
        "commit": source.get("commit", ""),
        "files": shown,
        "license": license_,
        "license_link": SOURCES[name].license_link if name in SOURCES else "",
        "citation": SOURCES[name].citation.strip() if name in SOURCES else "",
    }


def _built(recorded: dict[str, Any], stats: dict[str, Any]) -> list[str]:
    """The registered sources of the build: those of the record (Hub sources), and the sources backed by a local
    file whose rows are in the build (the record has no commit for them)."""
    tags = {tag for e in stats["configs"].values() for s in e["splits"].values() for tag in s["sources"]}
    local = [name for name, source in SOURCES.items() if source.file_option and name in tags]
    return [name for name in recorded if name in SOURCES] + local


def _option_cells(options: dict[str, Any]) -> list[str]:
    """The build options of a config as the card's table shows them, in the order of `option_defaults`."""
    cells = {"only": ", ".join(options.get("only") or []) or "all", "max_samples": options.get("max_samples") or "all"}
    cells |= {
        name: ", ".join(value) or "-"
        for name, value in options.items()
        if name not in cells and isinstance(value, list)
    }
    return [str(cells.get(name, options.get(name, "-"))) for name in option_defaults()]


def _feature_types(root: str | Path, path: str, entry: dict[str, Any]) -> dict[str, str]:
    """`{field: type}` in the order of the parquet schema (stats.json keeps its keys sorted)."""
    names = {
        "String": STRING,
        "Boolean": BOOL,
        "Float64": FLOAT,
        "Int64": "int64",
        "List(String)": STRINGS,
        "List(List(String))": PAIRS,
        "List(Struct({'role': String, 'content': String}))": MESSAGES,
    }
    order = pq.read_schema(Path(root) / path).names
    return {field: names.get(entry["features"][field], entry["features"][field]) for field in order}


def _source_rows(split: str, entry: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for tag, group in [*entry["sources"].items(), ("**all**", entry["all"])]:
        build = group.get("build", {})
        reasons = drops(build) | ({"sampled out": build["sampled_out"]} if build.get("sampled_out") else {})
        rows.append(
            {
                "split": split,
                "source": tag,
                "read": f"{build['rows']:,}" if "rows" in build else "",
                "kept": f"{group['rows']:,}",
                "dropped": ", ".join(f"{reason} {n:,}" for reason, n in sorted(reasons.items())) or "0",
                "flagged": ", ".join(f"{name} {n:,}" for name, n in sorted(checks.flagged(build).items())) or "0",
            }
        )
    return rows


def _length_rows(split: str, group: dict[str, Any], text: list[str]) -> list[dict[str, Any]]:
    rows = []
    for field in text:
        f = group["fields"][field]
        rows.append(
            {"split": split, "field": field}
            | {k: _number(f[k]) for k in ("mean", "median", "p95", "max")}
            | {"empty": f"{f['empty']:,}"}
        )
    return rows


def _number(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}" if isinstance(value, float) and not value.is_integer() else f"{int(value):,}"


def _split_order(splits) -> list[str]:
    return sorted(splits, key=lambda s: (s != "train", s != "test", s))
