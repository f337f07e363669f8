"""The training recipes of the card and the README: every snippet is valid Python and imports its reward from the
package, and every LLaMA-Factory entry names columns the config has, in the keys of its `dataset_info.json`.
The rewards themselves are tested in `test_rewards.py`."""

import ast
import importlib
import json
from pathlib import Path

import pytest

from apt_hub.chat.recipes import llama_factory_entry, trl_snippet
from apt_hub.configs import CONFIGS

README = Path(__file__).resolve().parent.parent / "README.md"
TRL = [name for name, config in CONFIGS.items() if config.trl]
LLAMA_FACTORY = [name for name, config in CONFIGS.items() if config.llama_factory]
# From LLaMA-Factory's data/README.md: the keys of a dataset entry and the columns of the alpaca format.
ENTRY_KEYS = {"hf_hub_url", "subset", "split", "folder", "ranking", "formatting", "columns", "tags", "num_samples"}
ALPACA_COLUMNS = {"prompt", "query", "response", "history", "system", "tools", "chosen", "rejected", "kto_tag"}


@pytest.mark.parametrize(("config", "reward"), [("storm_chat", "storm_reward"), ("loyalty", "loyalty_reward")])
def test_the_grpo_snippets_train_with_the_package_rewards(config, reward):
    tree = ast.parse(trl_snippet(config, "org/apt"))
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert ("apt_hub.rewards", reward) in imported
    assert callable(getattr(importlib.import_module("apt_hub.rewards"), reward))
    trainer = next(
        node for node in ast.walk(tree) if isinstance(node, ast.Call) and ast.unparse(node.func) == "GRPOTrainer"
    )
    assert {keyword.arg: ast.unparse(keyword.value) for keyword in trainer.keywords}["reward_funcs"] == reward


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
