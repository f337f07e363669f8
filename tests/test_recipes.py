"""The training recipes of the card and of `docs/training.md`: every snippet is valid Python and imports its reward
from the package, every LLaMA-Factory entry names columns the config has, in the keys of its `dataset_info.json`, and
the alpaca columns of `dpo` hold its prompt turn by turn. The rewards themselves are tested in `test_rewards.py`;
`make train-check` trains on every recipe."""

import ast
import importlib
import json
from pathlib import Path

import datasets
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from apt_hub.chat import alpaca_turns, join_transcript
from apt_hub.chat.recipes import llama_factory_entries, splits_of, trainers, training, trl_snippets
from apt_hub.configs import CONFIGS

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "training.md"
TRL = [name for name, config in CONFIGS.items() if config.trl]
LLAMA_FACTORY = [name for name, config in CONFIGS.items() if config.llama_factory]
# From LLaMA-Factory's data/README.md: the keys of a dataset entry and the columns of the alpaca format.
ENTRY_KEYS = {"hf_hub_url", "subset", "split", "folder", "ranking", "formatting", "columns", "tags", "num_samples"}
ALPACA_COLUMNS = {"prompt", "query", "response", "history", "system", "tools", "chosen", "rejected", "kto_tag"}


@pytest.mark.parametrize(("config", "reward"), [("storm_chat", "storm_reward"), ("loyalty", "loyalty_reward")])
def test_the_grpo_snippets_train_with_the_package_rewards(config, reward):
    (code,) = [code for code in trl_snippets(config, "org/apt") if "GRPOTrainer(" in code]
    tree = ast.parse(code)
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
def test_every_trl_snippet_is_python_and_in_the_training_guide(config):
    for code in trl_snippets(config, "org/apt"):
        compile(code, config, "exec")
        assert code in GUIDE.read_text(encoding="utf-8")


@pytest.mark.parametrize("config", LLAMA_FACTORY)
def test_llama_factory_entries_name_columns_the_config_has(config):
    entries = llama_factory_entries(config, "org/apt")
    assert len(entries) == len(CONFIGS[config].llama_factory) * len(splits_of(config))
    for name, entry in entries.items():
        assert set(entry) <= ENTRY_KEYS and entry["formatting"] == "alpaca"
        assert set(entry["columns"]) <= ALPACA_COLUMNS
        assert set(entry["columns"].values()) <= set(CONFIGS[config].features)
        assert entry.get("ranking", False) == ({"chosen", "rejected"} <= set(entry["columns"]))
        assert entry.get("split", "train") in splits_of(config) and name.endswith(entry.get("split", ""))
        assert json.dumps({name: entry}, indent=2)[2:-2] in GUIDE.read_text(encoding="utf-8")


def test_every_split_of_dpo_has_its_entry():
    assert splits_of("dpo") == ["train", "test"]
    assert {name: entry.get("split") for name, entry in llama_factory_entries("dpo", "org/apt").items()} == {
        "apt_dpo": None,
        "apt_dpo_test": "test",
    }


@pytest.mark.parametrize("config", CONFIGS)
def test_each_config_is_read_as_it_is_by_trl_or_llama_factory_or_names_the_one_to_take(config):
    cells = trainers(config)
    declared = CONFIGS[config]
    assert cells["apt"] == ("yes" if not declared.is_twin else f"use `{declared.flat}`")
    if declared.twin:  # TRL takes the twin, for a reason the card gives
        assert cells["trl"] == f"use `{config}_chat`" and declared.twin.reason
    assert any(not cell.startswith(("use", "no")) for cell in cells.values())


def test_the_card_shows_the_recipes_of_the_built_configs(samples_build):
    card = (samples_build / "README.md").read_text(encoding="utf-8")
    for config in TRL:
        for code in trl_snippets(config, "ORG/NAME"):
            assert code.rstrip() in card
    for config in LLAMA_FACTORY:
        for name, entry in llama_factory_entries(config, "ORG/NAME").items():
            assert json.dumps({name: entry}, indent=2)[2:-2] in card
    shown = training(list(CONFIGS), "ORG/NAME")
    for recipe in shown["recipes"]:
        assert f"| `{recipe['config']}` | {recipe['framework']} | `{recipe['entry']}` | {recipe['trains']} |" in card
    for reason in shown["reasons"]:
        assert reason["reason"] in card


def turns_of(history: list[list[str]], last: str) -> list[dict[str, str]]:
    pairs = [m for q, a in history for m in ({"role": "user", "content": q}, {"role": "assistant", "content": a})]
    return [*pairs, {"role": "user", "content": last}]


@given(st.lists(st.lists(st.text(max_size=5), min_size=1, max_size=4).map(lambda t: t[: len(t) - 1 + len(t) % 2])))
def test_alpaca_turns_give_back_every_turn(prompts):
    messages = [[{"role": ("user", "assistant")[i % 2], "content": c} for i, c in enumerate(p)] for p in prompts]
    column = pa.array(messages, type=pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())])))
    made = alpaca_turns(column.slice(1))  # a slice, as a batch of a larger table is
    rebuilt = [
        turns_of(h, last) for h, last in zip(made["history"].to_pylist(), made["last_turn"].to_pylist(), strict=True)
    ]
    assert rebuilt == messages[1:]


def test_alpaca_turns_refuse_a_prompt_that_does_not_end_on_its_own_turn():
    with pytest.raises(ValueError, match="row 1: a prompt of 2 messages"):
        alpaca_turns(pa.array([[{"role": "user", "content": "a"}], [{"role": "user", "content": "b"}] * 2]))


def test_the_alpaca_columns_of_dpo_are_its_prompt_and_the_twin_prompt_turn_by_turn(samples_build):
    multi = 0
    for split in ("train", "test"):
        flat = datasets.load_dataset(str(samples_build), "dpo", split=split)
        twin = datasets.load_dataset(str(samples_build), "dpo_chat", split=split)
        for row, chat in zip(flat, twin, strict=True):
            turns = turns_of(row["history"], row["last_turn"])
            assert turns == chat["prompt"]
            assert (join_transcript(turns) if row["history"] else row["last_turn"]) == row["prompt"]
            multi += bool(row["history"])
    assert multi  # the samples hold multi-turn prompts
