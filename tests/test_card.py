"""The dataset card: YAML that round-trips through `DatasetCard`, numbers that match the parquet files, kept text."""

import json
import shutil
import struct
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from huggingface_hub import DatasetCard, DatasetCardData

from apt_hub.build import build
from apt_hub.card import (
    CARD_FILE,
    GENERATED_KEYS,
    card_data,
    configs_yaml,
    merge_card,
    repo_id_in,
    templates_dir,
    write_card,
)
from apt_hub.cli import main
from apt_hub.configs import CONFIGS
from apt_hub.layout import splits_on_disk
from apt_hub.sources import SOURCES
from apt_hub.stats import compute_stats, write_stats

SIZE_CATEGORIES = {"n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M", "1M<n<10M", "10M<n<100M", "100M<n<1B"}
MY_SECTION = "## How we use it\n\nOur trainer reads `sft` first.\n"
MY_NOTE = "Written by hand: ask Li before changing the loyalty rows."


@pytest.fixture(scope="module")
def card_build(samples_build, tmp_path_factory) -> Path:
    out = Path(shutil.copytree(samples_build, tmp_path_factory.mktemp("card") / "apt"))
    write_card(out, write_stats(out), repo_id="org/apt")
    return out


@pytest.fixture
def folder(card_build, tmp_path) -> Path:
    """A copy of the samples build that a test may change."""
    return Path(shutil.copytree(card_build, tmp_path / "apt"))


def card_of(root: Path) -> DatasetCard:
    return DatasetCard((root / CARD_FILE).read_text(encoding="utf-8"))


def parquet_rows(root: Path, config: str, split: str) -> int:
    return sum(pq.read_metadata(root / path).num_rows for path in splits_on_disk(root)[config][split])


def test_yaml_round_trips_through_dataset_card(card_build):
    text = (card_build / CARD_FILE).read_text(encoding="utf-8")
    data = DatasetCard(text).data
    assert data.to_dict() == card_data(card_build, compute_stats(card_build)).to_dict()
    assert DatasetCardData(**data.to_dict()).to_yaml() == text.split("---\n")[1].strip()
    assert data.configs == configs_yaml(card_build, compute_stats(card_build))
    assert [c["config_name"] for c in data.configs if c.get("default")] == ["sft"]


def test_yaml_metadata_values_are_valid(card_build):
    data = card_of(card_build).data
    assert data.license == "other" and data.license_name
    assert data.language == ["zh", "en"]
    assert data.size_categories[0] in SIZE_CATEGORIES
    assert set(data.source_datasets) == {
        "m-a-p/COIG-CQIA",
        "Anthropic/hh-rlhf",
        "HuggingFaceH4/ultrafeedback_binarized",
        "simplescaling/s1K-1.1",
    }
    assert data.pretty_name and "text-generation" in data.task_categories and "apt-hub" in data.tags


def test_dataset_info_numbers_match_the_parquet_files(card_build):
    infos = {info["config_name"]: info for info in card_of(card_build).data.dataset_info}
    assert set(infos) == set(splits_on_disk(card_build))
    for config, splits in splits_on_disk(card_build).items():
        recorded = {s["name"]: s for s in infos[config]["splits"]}
        assert set(recorded) == set(splits)
        for split, paths in splits.items():
            assert recorded[split]["num_examples"] == parquet_rows(card_build, config, split)
            table = pa.concat_tables(pq.read_table(card_build / p) for p in paths)
            assert recorded[split]["num_bytes"] == table.nbytes
        schema = pq.read_schema(card_build / next(iter(splits.values()))[0])
        assert [f["name"] for f in infos[config]["features"]] == schema.names


@pytest.mark.parametrize("config", ["sft", "ruozhiba", "dpo", "storm", "loyalty"])
def test_load_dataset_accepts_the_card_and_its_split_sizes(card_build, config):
    """`load_dataset` checks the card's `num_examples` against the rows it reads."""
    loaded = datasets.load_dataset(str(card_build), config)
    for split, dataset in loaded.items():
        assert len(dataset) == parquet_rows(card_build, config, split)


def test_body_shows_rows_per_source_lengths_rules_provenance_and_citations(card_build):
    text = card_of(card_build).text
    stats = compute_stats(card_build)
    dpo_test = stats["configs"]["dpo"]["splits"]["test"]["sources"]["hh-rlhf/harmless-base"]
    kept = dpo_test["rows"]
    assert f"| test | hh-rlhf/harmless-base | {dpo_test['build']['rows']} | {kept} |" in text
    sft_prompt = stats["configs"]["sft"]["splits"]["train"]["all"]["fields"]["prompt"]
    assert f"| train | `prompt` | {sft_prompt['mean']:,.1f} |" in text or f"| {sft_prompt['max']:,} |" in text
    assert "![Length of each text field of storm" in text and "(images/lengths-storm.png)" in text
    assert 'load_dataset("org/apt", "sft")' in text
    assert "7126866ea243d43c3d11ba4111f688eb5e017c97" in text  # COIG-CQIA's pinned revision
    assert "arXiv:2403.18058" in text and "2204.05862" in text
    assert "COIG-CQIA states no license" in text
    assert "Read by the APT **DPO and GRPO** stage" in text
    for name in ("coig-cqia", "hh-rlhf", "ultrafeedback", "s1k", "loyalty"):  # every source of the samples build
        assert f"- **{name}**: {SOURCES[name].rules}" in text
    assert "| loyalty | the rows of the loyalty file belong to whoever wrote them |" in text
    header = (
        "| config | upstream | only | max samples | seed | on bad rows | drop | keep | decontaminate | storm trace |"
    )
    assert header + " loyalty file |" in text
    assert "| `storm` | samples | all | all | 42 | error | - | - | - | deepseek | - |" in text
    assert "| `loyalty` | samples | all | all | 42 | error | - | - | - | - | loyalty.json |" in text
    twins = [c for c in stats["configs"] if c.endswith("_chat")]
    checked = sum(split["rows"] for c in twins for split in stats["configs"][c]["splits"].values())
    assert twins and f"apt-hub checks every row of them as it writes it ({checked:,} rows in this build)" in text
    assert "every row is checked with TRL" not in text  # TRL runs on the samples in the tests, not in a build


def test_a_twin_says_what_differs_from_its_flat_config_and_shows_its_chart_only_alone(card_build, tmp_path):
    text = card_of(card_build).text
    section = text[text.index("### storm_chat") : text.index("<!-- apt-hub:end config-storm_chat -->")]
    assert "What differs from [`storm`](#storm): its texts `problem`, `cot_explicit` and `attempt`" in section
    assert "its string `completion` (the same texts in the form another trainer reads) gives way to" in section
    assert "| split | source |" not in section and "lengths-" not in section
    assert text.count("(images/lengths-storm.png)") == 1
    dpo_chat = text[text.index("### dpo_chat") : text.index("<!-- apt-hub:end config-dpo_chat -->")]
    assert "its `history` and `last_turn` (the same texts in the form another trainer reads) are left out" in dpo_chat
    assert "gives way to" not in dpo_chat  # dpo_chat reuses the name of none of dpo's derived columns
    alone = tmp_path / "apt"
    build(["storm_chat"], upstream="samples", output_dir=alone)
    assert (alone / "images" / "lengths-storm_chat.png").is_file()
    assert "(images/lengths-storm_chat.png)" in (alone / "README.md").read_text(encoding="utf-8")


def test_a_twin_not_made_from_its_flat_configs_rows_shows_its_own_tables(folder):
    """A build always writes a flat config and its twin together; a folder whose record says otherwise (an older
    one, a hand edit) gets the twin's own tables, never a claim that its rows are the flat config's."""
    record = json.loads((folder / "build.json").read_text(encoding="utf-8"))
    record["configs"]["storm_chat"]["options"]["seed"] = 7
    (folder / "build.json").write_text(json.dumps(record), encoding="utf-8")
    write_card(folder, write_stats(folder))
    text = card_of(folder).text
    section = text[text.index("### storm_chat") : text.index("<!-- apt-hub:end config-storm_chat -->")]
    assert "What differs from" not in section and "| split | source |" in section
    assert "The texts of `storm_chat` are those of `storm`, whose chart shows their lengths" in section


def test_images_are_pngs_800_pixels_wide_with_a_panel_per_text_field(card_build):
    stats = compute_stats(card_build)
    heights = {}
    for config in splits_on_disk(card_build):
        if CONFIGS[config].flat:  # a twin shows its flat config's chart: same texts
            assert not (card_build / "images" / f"lengths-{config}.png").exists()
            continue
        data = (card_build / "images" / f"lengths-{config}.png").read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        width, heights[config] = struct.unpack(">II", data[16:24])
        assert width == 800
    # storm has five text fields, sft two: its chart is taller by three panels.
    assert len(stats["configs"]["storm"]["text_fields"]) == 5 and len(stats["configs"]["sft"]["text_fields"]) == 2
    assert heights["storm"] - heights["sft"] == 3 * 210


def add_my_text(root: Path) -> None:
    """What a user does to the card: a section of their own between generated ones, a note, a YAML key."""
    path = root / CARD_FILE
    text = path.read_text(encoding="utf-8")
    text = text.replace("## Configs\n", MY_SECTION + "\n## Configs\n", 1)
    text = text.rstrip("\n") + "\n\n" + MY_NOTE + "\n"
    text = text.replace("---\n", "---\nannotations_creators:\n- machine-generated\n", 1)
    path.write_text(text, encoding="utf-8")


def test_hand_written_text_survives_a_rebuild_and_a_re_render(folder, tmp_path):
    add_my_text(folder)
    build(["storm"], upstream="samples", output_dir=folder, storm_trace="gemini")
    write_card(folder, write_stats(folder))
    card = card_of(folder)
    assert MY_SECTION in card.text and card.text.rstrip().endswith(MY_NOTE)
    assert card.text.index(MY_SECTION) < card.text.index("## Configs")
    assert card.data.annotations_creators == ["machine-generated"]
    assert "gemini" in card.text  # the storm block was regenerated
    assert 'load_dataset("org/apt", "sft")' in card.text  # the repository is remembered
    assert card.text.count("<!-- apt-hub:begin config-storm -->") == 1


def test_a_new_config_gets_its_block_after_the_one_it_follows(folder):
    add_my_text(folder)
    (folder / "data" / "sft_mix").mkdir()
    shutil.copy(folder / "data/sft/train-00000-of-00001.parquet", folder / "data/sft_mix/train-00000-of-00001.parquet")
    write_card(folder, write_stats(folder))
    text = card_of(folder).text
    # The registry's configs first, each flat config with its twin, then the others (merged) by name.
    order = [text.index(f"<!-- apt-hub:begin config-{c} -->") for c in ("ruozhiba", "storm", "loyalty", "sft_mix")]
    assert order == sorted(order)
    assert MY_SECTION in text and MY_NOTE in text
    assert "sft_mix" in [c["config_name"] for c in card_of(folder).data.configs]
    assert (folder / "images" / "lengths-sft_mix.png").is_file()
    shutil.rmtree(folder / "data" / "sft_mix")
    write_card(folder, write_stats(folder))
    assert "config-sft_mix" not in card_of(folder).text and MY_NOTE in card_of(folder).text
    assert not (folder / "images" / "lengths-sft_mix.png").exists()


def test_merge_keeps_only_yaml_keys_apt_hub_does_not_write():
    old = "---\nlicense: mit\nmy_key: 1\n---\n<!-- apt-hub:begin a -->\nx\n<!-- apt-hub:end a -->\n"
    new = "---\nlicense: other\n---\n<!-- apt-hub:begin a -->\ny\n<!-- apt-hub:end a -->\n"
    merged = yaml.safe_load(merge_card(old, new).split("---\n")[1])
    assert merged == {"license": "other", "my_key": 1}
    assert "license" in GENERATED_KEYS


def test_a_card_without_generated_blocks_is_replaced():
    new = "---\nlicense: other\n---\n\n<!-- apt-hub:begin a -->\ny\n<!-- apt-hub:end a -->\n"
    assert merge_card("---\nlicense: mit\n---\n# old minimal card\n", new) == new


def test_repo_id_is_read_back_from_the_usage_example():
    assert repo_id_in('x = load_dataset("my-org/apt.v2", "sft")') == "my-org/apt.v2"
    assert repo_id_in('x = load_dataset("ORG/NAME", "sft")') is None
    assert repo_id_in(None) is None


def test_card_is_the_same_bytes_when_nothing_changed(folder):
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    write_card(folder, write_stats(folder))
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before


def test_templates_are_found_beside_the_package_and_as_package_data():
    assert (templates_dir() / "dataset_card.md.j2").is_file()
    from importlib import resources

    assert (resources.files("apt_hub") / "cards" / "dataset_card.md.j2").is_file()


def test_cli_card_sets_the_repository_and_reports_a_missing_build(folder, tmp_path, capsys):
    assert main(["card", str(folder), "--repo-id", "team/apt-v2"]) == 0
    assert 'load_dataset("team/apt-v2", "dpo")' in card_of(folder).text
    capsys.readouterr()
    assert main(["card", str(tmp_path / "nothing")]) == 1
    nothing = tmp_path / "nothing"
    assert capsys.readouterr().err == (
        f"error: {nothing} is not a build folder (no build.json): build one first: "
        f"apt-hub build --build-dir {nothing}\n"
    )


def field_tables(text: str) -> dict[str, dict[str, tuple[str, str]]]:
    """`{config: {field: (type, doc)}}` from the field tables of the card's config sections."""
    tables, config = {}, None
    for line in text.splitlines():
        if line.startswith("### "):
            config = line.removeprefix("### ").strip("`").split()[0].strip("`")
        elif config and line.startswith("| `") and line.count(" | ") == 2:
            name, kind, doc = (cell.strip() for cell in line.strip("| ").split(" | "))
            tables.setdefault(config, {})[name.strip("`")] = (kind, doc)
    return tables


def test_each_field_doc_says_what_every_row_of_its_config_holds(card_build):
    """The field tables are held against the rows: a message column's doc says which messages every row holds,
    a text column's never speaks of messages, and no doc speaks of another config."""
    tables = field_tables(card_of(card_build).text)
    assert set(tables) >= set(CONFIGS)
    for config, fields in tables.items():
        rows = datasets.load_dataset(str(card_build), config, split="train").to_list()
        for name, (kind, doc) in fields.items():
            assert doc, (config, name)
            values = [row[name] for row in rows]
            assert not any(f"({other}:" in doc for other in CONFIGS), (config, name, doc)
            if kind == "string":
                assert all(isinstance(v, str) for v in values) and "message" not in doc, (config, name, doc)
            if kind.endswith("messages"):
                assert "message" in doc and all(isinstance(v, list) for v in values), (config, name, doc)
            if doc.startswith(("one user message", "one assistant message")):
                role = doc.split()[1]
                assert all([m["role"] for m in v] == [role] for v in values), (config, name)
            if doc.startswith("the conversation so far"):
                assert all([m["role"] for m in v][-1] == "user" for v in values), (config, name)
            if "`<think>\\n`" in doc:
                texts = [v if isinstance(v, str) else v[0]["content"] for v in values]
                assert all(text.startswith("<think>\n") for text in texts), (config, name)


def lines_before_first_config(card: str) -> int:
    """How many lines of markdown come after the front matter before the first config's heading (`### sft`): the
    line after the closing `---` is line 1, the heading itself the last one counted."""
    body = card.split("\n---\n", 1)[1].splitlines()
    configs = body.index("## Configs")
    return next(i for i, line in enumerate(body) if i > configs and line.startswith("### ")) + 1


def test_the_card_shows_the_data_first(card_build):
    card = (card_build / CARD_FILE).read_text(encoding="utf-8")
    assert lines_before_first_config(card) <= 90  # about two screens of the rendered card
    headings = [line for line in card.splitlines() if line.startswith("## ")]
    assert headings[:4] == ["## Content warning", "## Usage", "## Configs", "## Training"]
    assert card.index("```python\nfrom datasets import load_dataset\nfrom trl") > card.index("### loyalty")


def test_the_card_names_apt_hub_and_its_version_with_a_link_when_the_package_has_one(folder, monkeypatch):
    from apt_hub import __version__
    from apt_hub import card as card_module

    assert f"made by apt-hub {__version__} from public" in card_of(folder).text or "[apt-hub](" in card_of(folder).text
    monkeypatch.setattr(card_module, "homepage", lambda: "https://example.org/apt-hub")
    write_card(folder, write_stats(folder))
    assert f"made by [apt-hub](https://example.org/apt-hub) {__version__} from public" in card_of(folder).text


def test_the_card_says_the_ruozhiba_rows_are_also_in_sft(card_build):
    text = card_of(card_build).text
    intro = text[: text.index("<!-- apt-hub:end intro -->")]
    assert "the rows of `ruozhiba` are also in `sft`" in intro
    section = text[text.index("### ruozhiba\n") : text.index("<!-- apt-hub:end config-ruozhiba -->")]
    assert "**Also in `sft`**" in section and "apt-hub merge sft ruozhiba --output NAME" in section
    assert "**Also in" not in text[text.index("### dpo\n") : text.index("<!-- apt-hub:end config-dpo -->")]
