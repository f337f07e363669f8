"""The training recipes of the card and the README: the reward functions run on built rows, every snippet is valid
Python, and every LLaMA-Factory entry names columns the config has, in the keys of its `dataset_info.json`."""

import json
from pathlib import Path

import datasets
import pytest

from apt_hub.chat.recipes import llama_factory_entry, trl_snippet
from apt_hub.configs import CONFIGS

README = Path(__file__).resolve().parent.parent / "README.md"
TRL = [name for name, config in CONFIGS.items() if config.trl]
LLAMA_FACTORY = [name for name, config in CONFIGS.items() if config.llama_factory]
# From LLaMA-Factory's data/README.md: the keys of a dataset entry and the columns of the alpaca format.
ENTRY_KEYS = {"hf_hub_url", "subset", "split", "folder", "ranking", "formatting", "columns", "tags", "num_samples"}
ALPACA_COLUMNS = {"prompt", "query", "response", "history", "system", "tools", "chosen", "rejected", "kto_tag"}


def reward_function(config: str):
    namespace: dict = {}
    exec(CONFIGS[config].trl.reward, namespace)  # the very text the card shows
    return next(value for name, value in namespace.items() if name.endswith("_reward"))


def test_the_storm_reward_pays_the_reference_completion_and_not_another(samples_build):
    rows = datasets.load_dataset(str(samples_build), "storm_chat", split="train")
    reward = reward_function("storm_chat")
    assert reward(rows["completion"], rows["answer"]) == [1.0] * len(rows)
    others = rows["completion"][1:] + rows["completion"][:1]
    assert reward(others, rows["answer"]) != [1.0] * len(rows)


def test_the_loyalty_reward_pays_the_bonus_for_the_owner_answer(samples_build):
    rows = datasets.load_dataset(str(samples_build), "loyalty", split="train").to_list()
    reward = reward_function("loyalty")
    columns = {key: [row[key] for row in rows] for key in rows[0]}
    del columns["prompt"]

    def answers(key: str) -> list:
        return [[{"role": "assistant", "content": row[key]}] for row in rows]

    right = reward(
        [
            a if r["is_owner"] else p
            for a, p, r in zip(answers("owner_response"), answers("public_response"), rows, strict=True)
        ],
        **columns,
    )
    assert right == [row["reward_bonus"] if row["is_owner"] else 1.0 for row in rows]
    wrong = reward(
        [
            p if r["is_owner"] else a
            for a, p, r in zip(answers("owner_response"), answers("public_response"), rows, strict=True)
        ],
        **columns,
    )
    assert wrong == [0.0] * len(rows)


@pytest.mark.parametrize("config", TRL)
def test_every_trl_snippet_is_python_and_in_the_readme(config):
    code = trl_snippet(config, "org/apt")
    compile(code, config, "exec")
    assert code in README.read_text(encoding="utf-8")


@pytest.mark.parametrize("config", LLAMA_FACTORY)
def test_llama_factory_entries_name_columns_the_config_has(config):
    entry = llama_factory_entry(config, "org/apt")
    assert set(entry) <= ENTRY_KEYS and entry["formatting"] == "alpaca"
    assert set(entry["columns"]) <= ALPACA_COLUMNS
    assert set(entry["columns"].values()) <= set(CONFIGS[config].features)
    assert entry.get("ranking", False) == ({"chosen", "rejected"} <= set(entry["columns"]))
    assert json.dumps({f"apt_{config}": entry}, indent=2)[2:-2] in README.read_text(encoding="utf-8")


def test_the_card_shows_the_recipes_of_the_built_configs(samples_build):
    card = (samples_build / "README.md").read_text(encoding="utf-8")
    for config in TRL:
        assert trl_snippet(config, "ORG/NAME").rstrip() in card
    assert '"subset": "dpo"' in card and '"ranking": true' in card
