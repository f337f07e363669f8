"""The card's YAML header against the Hub's rules: offline, and through the test Hub's `/api/validate-yaml`, which
the real `huggingface_hub` client calls before it uploads a README."""

import shutil
from pathlib import Path

import pytest
import yaml
from huggingface_hub import DatasetCard, HfApi

from apt_hub.card import CARD_FILE, card_data, write_card
from apt_hub.card.rules import LICENSES, TASK_CATEGORIES, metadata_errors, size_categories
from apt_hub.errors import AptHubError
from apt_hub.stats import compute_stats, write_stats

VALID = {
    "license": "other",
    "license_name": "mixed",
    "license_link": "README.md#license",
    "task_categories": ["text-generation"],
    "size_categories": ["1K<n<10K"],
    "configs": [
        {"config_name": "sft", "data_files": [{"split": "train", "path": "data/sft/train-*"}], "default": True}
    ],
}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"license": "mit-ish"}, "license: 'mit-ish' is not one the Hub knows"),
        ({"license": ["mit", "gpl-9"]}, "license: 'gpl-9'"),
        ({"license_link": None}, "license_link: required when license is 'other'"),
        ({"license_name": ""}, "license_name: required when license is 'other'"),
        ({"task_categories": ["chat"]}, "task_categories: 'chat'"),
        ({"size_categories": ["n>1M"]}, "size_categories: 'n>1M'"),
        ({"size_categories": "1K-10K"}, "size_categories: '1K-10K'"),
        ({"configs": {"sft": "data"}}, "configs: expected a list"),
        ({"configs": [{"data_files": "x"}]}, "configs[0]: config_name must be a non-empty string"),
        ({"configs": [{"config_name": "a", "data_files": [{"path": "x"}]}]}, "configs[0] (a): data_files"),
        ({"configs": [{"config_name": "a", "data_files": "x"}] * 2}, "configs[1]: config_name 'a' appears twice"),
        (
            {"configs": [{"config_name": n, "data_files": "x", "default": True} for n in "ab"]},
            "configs: more than one config is marked default",
        ),
    ],
)
def test_each_rule_names_the_key_it_breaks(change, expected):
    assert metadata_errors(VALID) == []
    errors = metadata_errors(VALID | change)
    assert len(errors) == 1 and errors[0].startswith(expected), errors


def test_the_tables_hold_the_hubs_values():
    assert {"mit", "apache-2.0", "cc-by-nc-sa-4.0", "odc-by", "other"} <= LICENSES
    assert {"text-generation", "question-answering", "reinforcement-learning"} <= TASK_CATEGORIES
    assert {"n<1K", "1M<n<10M", "n>1T"} <= size_categories() and "n>1M" not in size_categories()


def test_the_samples_card_passes_and_a_bad_header_stops_the_card(samples_build, tmp_path):
    folder = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    write_card(folder, write_stats(folder))
    header = yaml.safe_load((folder / CARD_FILE).read_text(encoding="utf-8").split("---\n")[1])
    assert metadata_errors(header) == []
    assert metadata_errors(card_data(folder, compute_stats(folder)).to_dict()) == []


def test_card_data_refuses_a_header_the_hub_would_refuse(samples_build, monkeypatch):
    monkeypatch.setattr("apt_hub.card.TASK_CATEGORIES", ["text-generation", "chatting"])
    with pytest.raises(AptHubError, match="task_categories: 'chatting' is not one the Hub knows"):
        card_data(samples_build, compute_stats(samples_build))


def test_the_test_hub_refuses_a_bad_card_and_accepts_the_generated_one(hub, samples_build, tmp_path):
    api = HfApi(endpoint=hub.endpoint, token="hf_alice_write")
    api.create_repo("alice/apt", repo_type="dataset")
    folder = Path(shutil.copytree(samples_build, tmp_path / "apt"))
    write_card(folder, write_stats(folder))
    good = (folder / CARD_FILE).read_text(encoding="utf-8")
    api.upload_file(path_or_fileobj=good.encode(), path_in_repo=CARD_FILE, repo_id="alice/apt", repo_type="dataset")
    card = DatasetCard(good)
    card.data.license_link = None
    card.data.size_categories = ["10K-100K"]
    with pytest.raises(ValueError, match="Invalid metadata in README.md") as refused:
        api.upload_file(
            path_or_fileobj=str(card).encode(), path_in_repo=CARD_FILE, repo_id="alice/apt", repo_type="dataset"
        )
    assert "license_link: required when license is 'other'" in str(refused.value)
    assert "size_categories: '10K-100K'" in str(refused.value)
    broken = "---\nconfigs: [a\n---\n# apt\n"
    with pytest.raises(ValueError, match="Invalid YAML"):
        api.upload_file(
            path_or_fileobj=broken.encode(), path_in_repo=CARD_FILE, repo_id="alice/apt", repo_type="dataset"
        )
    assert hub.repo_files("alice/apt")[CARD_FILE] == good.encode()
