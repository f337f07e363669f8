"""How to train on each config with the trainers people use, and which of them reads which config as it is: TRL
snippets and LLaMA-Factory `dataset_info.json` entries, shown in the card and in `docs/training.md`, from what each
config declares (`Config.trl`, `Config.llama_factory`, `Twin.reason`).

TRL reads the conversational twins (`sft_chat`, `dpo_chat`, `storm_chat`) as they are, and `loyalty` prompts after
one `map`. LLaMA-Factory reads the flat configs in its `alpaca` format (`ranking` for preference pairs), a multi-turn
`dpo` prompt as turns through its `history` and `last_turn` columns; it cannot read the twins: its `sharegpt` format
wants the prompt and the response in one message list for SFT, and a single message (not a list) for `chosen` and
`rejected` (`llamafactory/data/converter.py`, `SharegptDatasetConverter`). The APT trainer reads the flat configs
(their `unified` fields), or the files `apt-hub export` writes from them.
"""

import json
from typing import Any

from ..configs import CONFIGS, get_config
from ..sources import sources_for
from ..tokens import CONTEXTS, METHOD

MODEL = "Qwen/Qwen2.5-0.5B-Instruct"


def trl_snippets(config: str, repo_id: str) -> list[str]:
    """The TRL training code of a config, one per trainer; none for a config TRL is not shown on (use its twin).

    >>> [code.split("trainer = ")[1].split("(")[0] for code in trl_snippets("storm_chat", "org/apt")]
    ['SFTTrainer', 'GRPOTrainer']
    >>> trl_snippets("sft", "org/apt")
    []
    """
    return [recipe.code.format(repo_id=repo_id, config=config, model=MODEL) for recipe in get_config(config).trl]


def splits_of(config: str) -> list[str]:
    """The splits the registered sources feed to a config (a twin has its flat config's), train first.

    >>> splits_of("dpo_chat"), splits_of("sft")
    (['train', 'test'], ['train'])
    """
    flat = get_config(config).flat or config
    found = {split for source in sources_for(flat) for split in source.feeds[flat]}
    return sorted(found, key=lambda split: (split != "train", split != "test", split))


def llama_factory_entries(config: str, repo_id: str, splits: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """The `dataset_info.json` entries of a config for LLaMA-Factory, by name: each declared entry reads the train
    split, and one more per other split reads that split (`apt_dpo_test`); none when it cannot read the config.

    Args:
        config: the config.
        repo_id: the Hub repository (or a local build folder) the entries read.
        splits: the splits of the config; by default those its sources feed (`splits_of`).

    >>> entries = llama_factory_entries("dpo", "org/apt")
    >>> list(entries), entries["apt_dpo_test"]["split"], entries["apt_dpo"]["columns"]["history"]
    (['apt_dpo', 'apt_dpo_test'], 'test', 'history')
    >>> llama_factory_entries("dpo_chat", "org/apt")
    {}
    """
    declared = get_config(config)
    splits = splits_of(config) if splits is None else splits
    entries = {}
    for item in declared.llama_factory:
        name = item.name(config)
        for split in splits:
            entry: dict[str, Any] = {"hf_hub_url": repo_id, "subset": config}
            entry |= {"split": split} if split != "train" else {}
            entry |= {"formatting": "alpaca"} | ({"ranking": True} if declared.pair else {})
            entries[name if split == "train" else f"{name}_{split}"] = entry | {"columns": dict(item.columns)}
    return entries


def trainers(config: str) -> dict[str, str]:
    """What the config tables say of a config for each trainer: what reads it as it is, or which config to take.

    >>> trainers("sft"), trainers("dpo_chat")["trl"]
    ({'trl': 'use `sft_chat`', 'llama_factory': '`apt_sft`', 'apt': 'yes'}, '`DPOTrainer`')
    """
    declared = get_config(config)
    twin = f"{config}_chat" if declared.twin else None
    flat = f"use `{declared.flat}`" if declared.flat else None
    entries = ", ".join(f"`{item.name(config)}`" for item in declared.llama_factory)
    return {
        "trl": ", ".join(f"`{r.trainer}`" for r in declared.trl) or (f"use `{twin}`" if twin else "no"),
        "llama_factory": entries or flat or "no",
        "apt": flat or "yes",
    }


def training(configs: list[str], repo_id: str, splits: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """What the card and the training guide show of training: per config, the TRL trainers and code, what each recipe
    trains, and the LLaMA-Factory entries.

    Args:
        configs: the configs shown.
        repo_id: the Hub repository the snippets load.
        splits: the splits of each config (the card's: those with rows); by default those its sources feed.

    Returns:
        `{"trl": [{"config", "trainer", "code"}], "recipes": [{"config", "framework", "entry", "trains"}],
        "llama_factory": "<JSON of the entries>", "twins": [...], "reasons": [{"config", "twin", "reason"}],
        "tokens": "<how token counts are estimated>", "contexts": "1k, 2k, ..."}`.
    """
    declared = [CONFIGS[name] for name in configs if name in CONFIGS]
    trl, recipes = [], []
    entries: dict[str, dict[str, Any]] = {}
    for c in declared:
        for recipe, code in zip(c.trl, trl_snippets(c.name, repo_id), strict=True):
            trl.append({"config": c.name, "trainer": recipe.said, "code": code.rstrip()})
            recipes.append({"config": c.name, "framework": "TRL", "entry": recipe.trainer, "trains": recipe.trains})
        found = llama_factory_entries(c.name, repo_id, (splits or {}).get(c.name))
        entries |= found
        for item in c.llama_factory:
            if item.name(c.name) in found:
                recipes.append(
                    {"config": c.name, "framework": "LLaMA-Factory", "entry": item.name(c.name), "trains": item.trains}
                )
    return {
        "trl": trl,
        "recipes": recipes,
        "llama_factory": json.dumps(entries, indent=2, ensure_ascii=False) if entries else "",
        "twins": [c.name for c in declared if c.is_twin],
        "tokens": METHOD if any(c.sequences for c in declared) else "",
        "contexts": ", ".join(f"{size // 1024}k" for size in CONTEXTS),
        "reasons": [
            {"config": c.name, "twin": f"{c.name}_chat", "reason": c.twin.reason}
            for c in declared
            if c.twin and c.twin.reason
        ],
    }
