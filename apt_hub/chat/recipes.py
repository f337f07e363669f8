"""How to train on each config with the trainers people use: TRL snippets and LLaMA-Factory `dataset_info.json`
entries, shown in the card and the README, from what each config declares (`Config.trl`, `Config.llama_factory`).

TRL reads the conversational twins (`sft_chat`, `dpo_chat`, `storm_chat`) as they are, and `loyalty` prompts after
one `map`. LLaMA-Factory reads the flat configs in its `alpaca` format (`ranking` for preference pairs); it cannot
read the twins: its `sharegpt` format wants the prompt and the response in one message list for SFT, and a single
message (not a list) for `chosen` and `rejected` (`llamafactory/data/converter.py`, `SharegptDatasetConverter`).
"""

import json
from typing import Any

from ..configs import CONFIGS, get_config

MODEL = "Qwen/Qwen2.5-0.5B-Instruct"


def trl_snippet(config: str, repo_id: str) -> str | None:
    """The TRL training code of a config, `None` for a config TRL is not shown on (use its twin).

    >>> "SFTTrainer(" in trl_snippet("sft_chat", "org/apt"), trl_snippet("sft", "org/apt")
    (True, None)
    """
    recipe = get_config(config).trl
    if recipe is None:
        return None
    return recipe.code.format(repo_id=repo_id, config=config, model=MODEL)


def llama_factory_entry(config: str, repo_id: str) -> dict[str, Any] | None:
    """The `dataset_info.json` entry of a config for LLaMA-Factory, `None` when it cannot read the config.

    >>> llama_factory_entry("dpo", "org/apt")["ranking"], llama_factory_entry("dpo_chat", "org/apt")
    (True, None)
    """
    declared = get_config(config)
    if declared.llama_factory is None:
        return None
    entry: dict[str, Any] = {"hf_hub_url": repo_id, "subset": config, "formatting": "alpaca"}
    entry |= {"ranking": True} if declared.pair else {}
    return entry | {"columns": dict(declared.llama_factory)}


def training(configs: list[str], repo_id: str) -> dict[str, Any]:
    """What the card shows of training: per config, the TRL trainer and code, and the LLaMA-Factory entries.

    Args:
        configs: the configs of the build.
        repo_id: the Hub repository the snippets load.

    Returns:
        `{"trl": [{"config", "trainer", "code"}], "llama_factory": "<JSON of the entries>", "twins": [...]}`.
    """
    declared = [CONFIGS[name] for name in configs if name in CONFIGS]
    trl = [
        {"config": c.name, "trainer": c.trl.trainer, "code": (trl_snippet(c.name, repo_id) or "").rstrip()}
        for c in declared
        if c.trl is not None
    ]
    entries = {f"apt_{c.name}": llama_factory_entry(c.name, repo_id) for c in declared if c.llama_factory}
    return {
        "trl": trl,
        "llama_factory": json.dumps(entries, indent=2, ensure_ascii=False) if entries else "",
        "twins": [c.name for c in declared if c.is_twin],
    }
