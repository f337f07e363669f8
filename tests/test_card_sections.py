"""The card's sections for a user deciding whether to train on the data: one test per section, on the card of the
samples build, and the parts that follow the sources and configs a build holds."""

import json
import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard

from apt_hub.build import build
from apt_hub.card import CARD_FILE, write_card
from apt_hub.card.fields import EXAMPLE_CHARS, cut, field_docs
from apt_hub.card.sections import UPSTREAM_PERSONAL, sections_context
from apt_hub.configs import of_columns
from apt_hub.layout import splits_on_disk
from apt_hub.sources import SOURCES
from apt_hub.stats import write_stats

CONFIGS = ["sft", "ruozhiba", "dpo", "storm", "loyalty"]
BUILT = [*CONFIGS, "sft_chat", "ruozhiba_chat", "dpo_chat", "storm_chat"]  # the flat configs and their chat twins
EXAMPLE = re.compile(
    r"<summary>An example row of <code>(?P<config>[\w.-]+)</code>.*?</summary>\n\n````json\n(?P<json>.*?)\n````", re.S
)


@pytest.fixture(scope="module")
def card_build(samples_build, tmp_path_factory) -> Path:
    out = Path(shutil.copytree(samples_build, tmp_path_factory.mktemp("sections") / "apt"))
    (out / CARD_FILE).unlink(missing_ok=True)  # a first card, from the templates alone
    write_card(out, write_stats(out), repo_id="org/apt")
    return out


@pytest.fixture(scope="module")
def text(card_build) -> str:
    return DatasetCard((card_build / CARD_FILE).read_text(encoding="utf-8")).text


def block(text: str, name: str) -> str:
    match = re.search(rf"<!-- apt-hub:begin {name} -->\n(.*?)<!-- apt-hub:end {name} -->", text, re.S)
    assert match, f"no block {name!r} in the card"
    return match[1]


def test_content_warning_comes_from_the_sources_present(text):
    warning = block(text, "warning")
    assert warning.startswith("## Content warning")
    assert SOURCES["hh-rlhf"].warning in warning
    assert "not for supervised training of dialogue agents" in warning
    assert text.index("## Content warning") < text.index("## Configs")  # read before any row
    assert sections_context(["coig-cqia", "s1k"], preference_configs=[])["warnings"] == []


def test_uses_list_every_config_and_the_out_of_scope_uses(text):
    uses = block(text, "uses")
    for config in CONFIGS:
        assert f"- `{config}`: " in uses
    assert "### Out-of-scope use" in uses
    assert "Supervised fine-tuning on the `chosen` responses" in uses


def test_bias_risks_and_limitations_name_each_source(text):
    risks = block(text, "risks")
    assert risks.startswith("## Bias, risks and limitations")
    for name in ("coig-cqia", "hh-rlhf", "ultrafeedback", "s1k"):
        assert f"- **{name}**: {SOURCES[name].risks}" in risks
    assert "- **loyalty**: " in risks


def test_personal_information_says_what_never_goes_into_a_published_loyalty_repo(text):
    personal = block(text, "personal")
    assert personal.startswith("## Personal and sensitive information")
    assert UPSTREAM_PERSONAL in personal
    assert f"- **loyalty**: {SOURCES['loyalty'].personal}" in personal
    assert "never real names, addresses, phone numbers" in personal
    assert "Publishing rows of `loyalty` that hold a real person's details" in block(text, "uses")
    assert sections_context(["hh-rlhf"], preference_configs=["dpo"])["personal"] == []


def test_curation_rationale_names_the_stages_and_the_sources(text):
    rationale = block(text, "curation")
    assert rationale.startswith("## Curation rationale")
    for word in ("`sft`", "`ruozhiba`", "`dpo`", "`storm`", "`loyalty`", "COIG-CQIA", "UltraFeedback", "s1K-1.1"):
        assert word in rationale


def test_curators_placeholder_is_hand_written_text_that_survives_a_re_render(card_build, tmp_path):
    folder = Path(shutil.copytree(card_build, tmp_path / "apt"))
    path = folder / CARD_FILE
    card = path.read_text(encoding="utf-8")
    assert "## Curators and contact" in block(card, "curators")
    assert "Curated by: *your names or team here*." in card
    path.write_text(card.replace("*your names or team here*", "the APT data team"), encoding="utf-8")
    write_card(folder, write_stats(folder))
    assert "Curated by: the APT data team." in path.read_text(encoding="utf-8")


def test_preferences_say_how_chosen_and_rejected_were_picked_upstream(text):
    preferences = block(text, "preferences")
    assert preferences.startswith("## How chosen and rejected were picked")
    assert SOURCES["hh-rlhf"].preferences in preferences and "less harmful" in preferences
    assert SOURCES["ultrafeedback"].preferences in preferences and "GPT-4" in preferences
    assert "in `dpo`" in preferences
    assert sections_context(["coig-cqia"], preference_configs=[])["preferences"] == []


def test_one_collapsed_example_row_per_config_is_the_first_row_with_texts_cut(card_build, text):
    examples = {m["config"]: json.loads(m["json"]) for m in EXAMPLE.finditer(text)}
    assert sorted(examples) == sorted(BUILT)
    assert text.count("<details>") == len(BUILT) and text.count("</details>") == len(BUILT)
    for config, shown in examples.items():
        assert f"<!-- apt-hub:begin config-{config} -->" in text[: text.index(f"<code>{config}</code>")]
        first = splits_on_disk(card_build)[config]["train"][0]
        row = pq.read_table(card_build / first).slice(0, 1).to_pylist()[0]
        assert shown == {k: cut(v) for k, v in row.items()}
    # The samples' storm trace is longer than the cut: the example says how much was left out.
    trace = pq.read_table(card_build / splits_on_disk(card_build)["storm"]["train"][0])["cot_explicit"][0].as_py()
    assert len(trace) > EXAMPLE_CHARS
    assert (
        examples["storm"]["cot_explicit"]
        == f"{trace[:EXAMPLE_CHARS]}… [{len(trace) - EXAMPLE_CHARS:,} more characters]"
    )


def field_table(text: str, config: str) -> list[tuple[str, str]]:
    section = block(text, f"config-{config}")
    return re.findall(r"^\| `(\w+)` \| [\w ]+ \| (.*) \|$", section.split("<details>")[0], re.M)


@pytest.mark.parametrize("config", CONFIGS)
def test_fields_are_documented_in_schema_order_for_that_config(card_build, text, config):
    rows = field_table(text, config)
    schema = pq.read_schema(card_build / splits_on_disk(card_build)[config]["train"][0])
    assert [name for name, _ in rows] == schema.names
    docs = dict(rows)
    assert all(docs.values()), docs
    tags = {t for s in ("train", "test") for t in _tags(card_build, config, s)}
    for tag in tags:
        head, _, subset = tag.partition("/")
        assert (f"`{head}/<subset>`" in docs["source"] and subset in docs["source"]) or f"`{tag}`" in docs["source"]
    if config != "sft" and config != "ruozhiba":
        assert "coig-cqia" not in docs["source"]


def _tags(root: Path, config: str, split: str) -> set[str]:
    paths = splits_on_disk(root)[config].get(split, [])
    return {tag for path in paths for tag in pq.read_table(root / path, columns=["source"])["source"].to_pylist()}


def test_field_docs_say_what_is_true_of_each_config(text):
    assert "`loyalty:<N>`" in dict(field_table(text, "loyalty"))["id"]
    assert "such as `loyalty:1`" in dict(field_table(text, "loyalty"))["id"]
    assert "`<source>:<file in the upstream repo>:<line>`" in dict(field_table(text, "dpo"))["id"]
    for config in ("sft", "ruozhiba"):
        assert "Human:" not in dict(field_table(text, config))["prompt"]
    assert "Human:" in dict(field_table(text, "dpo"))["prompt"]
    reference = (Path(__file__).parents[1] / "docs" / "reference.md").read_text(encoding="utf-8")
    assert "whether the row is about the owner" in reference
    assert "whether the row is about the owner" in dict(field_table(text, "loyalty"))["is_owner"]


def test_a_merged_config_is_documented_as_the_schema_it_shares():
    features = {"prompt": "string", "response": "string", "source": "string", "task_type": "string", "id": "string"}
    features |= {"domain": "list of strings", "answer_from": "string", "human_verified": "bool"}
    features |= {"quality_flags": "list of strings"}
    assert of_columns(features).name == "sft"
    docs = {d["name"]: d["doc"] for d in field_docs(features, sources=["coig-cqia/zhihu"], example_id="coig-cqia:a:1")}
    assert "upstream `input`" in docs["prompt"] and docs["source"].endswith("`coig-cqia/<subset>` (zhihu)")


def test_build_options_are_shown_only_where_they_apply(text):
    provenance = block(text, "provenance")
    header = re.search(r"^\| config \| (.*) \|$", provenance, re.M)[1].split(" | ")
    rows = {m[1]: m[2].split(" | ") for m in re.finditer(r"^\| `(\w+)` \| (.*) \|$", provenance, re.M)}
    assert sorted(rows) == sorted(BUILT)
    columns = {name: {config: cells[i] for config, cells in rows.items()} for i, name in enumerate(header)}
    assert {c for c, v in columns["storm trace"].items() if v != "-"} == {"storm", "storm_chat"}
    assert {c for c, v in columns["loyalty file"].items() if v != "-"} == {"loyalty"}
    assert all(v == "42" for v in columns["seed"].values())


def test_license_section_links_each_source_and_the_yaml_links_it(card_build, text):
    card = DatasetCard((card_build / CARD_FILE).read_text(encoding="utf-8"))
    assert card.data.license == "other" and card.data.license_link == "README.md#license"
    license_ = block(text, "license")
    for name in ("hh-rlhf", "ultrafeedback", "s1k", "coig-cqia"):
        assert f"[upstream]({SOURCES[name].license_link})" in license_
    assert SOURCES["coig-cqia"].license_note in license_


def test_a_build_without_hh_rlhf_or_loyalty_carries_neither_warning(tmp_path):
    out = tmp_path / "apt"
    build(["sft", "storm"], upstream="samples", output_dir=out)
    text = DatasetCard((out / CARD_FILE).read_text(encoding="utf-8")).text
    assert "<!-- apt-hub:begin warning -->" not in text and "<!-- apt-hub:begin preferences -->" not in text
    assert SOURCES["hh-rlhf"].risks not in text and "- **loyalty**" not in text
    assert SOURCES["loyalty"].personal not in text and UPSTREAM_PERSONAL in text
    assert SOURCES["s1k"].risks in block(text, "risks")
    assert "Supervised fine-tuning on the `chosen`" not in block(text, "uses")
