"""How to train on each config with the trainers people use: TRL snippets and LLaMA-Factory `dataset_info.json`
entries, shown in the card and the README.

TRL reads the conversational twins (`sft_chat`, `dpo_chat`, `storm_chat`) as they are, and `loyalty` prompts after
one `map`. LLaMA-Factory reads the flat configs in its `alpaca` format (`ranking` for `dpo`); it cannot read the
twins: its `sharegpt` format wants the prompt and the response in one message list for SFT, and a single message
(not a list) for `chosen` and `rejected` (`llamafactory/data/converter.py`, `SharegptDatasetConverter`).
"""

import json
from typing import Any

from . import TWINS

MODEL = "Qwen/Qwen2.5-0.5B-Instruct"

# Reward functions, kept apart from the snippets so that a test runs them on built rows.
REWARDS: dict[str, str] = {
    "storm_chat": '''def answer_reward(completions, answer, **kwargs):
    """1.0 when the text after the reasoning holds the reference answer, else 0.0."""
    finals = [completion[0]["content"].rpartition("</think>")[2] for completion in completions]
    return [1.0 if ref and ref in final else 0.0 for final, ref in zip(finals, answer)]
''',
    "loyalty": '''def loyalty_reward(completions, owner_response, public_response, is_owner, reward_bonus, **kwargs):
    """reward_bonus when an owner prompt gets an answer closer to the owner response than to the public one."""
    rewards = []
    for completion, owner, public, mine, bonus in zip(
        completions, owner_response, public_response, is_owner, reward_bonus
    ):
        words = set(completion[0]["content"].split())
        closer_to_owner = len(words & set(owner.split())) > len(words & set(public.split()))
        rewards.append(bonus if mine and closer_to_owner else float(not mine and not closer_to_owner))
    return rewards
''',
}

_SFT = """from datasets import load_dataset
from trl import SFTConfig, SFTTrainer

model = "{model}"
train = load_dataset("{repo_id}", "{config}", split="train")
trainer = SFTTrainer(model=model, train_dataset=train, args=SFTConfig(output_dir="{config}"))
trainer.train()
"""
_DPO = """from datasets import load_dataset
from trl import DPOConfig, DPOTrainer

model = "{model}"
data = load_dataset("{repo_id}", "dpo_chat")
args = DPOConfig(output_dir="dpo")
trainer = DPOTrainer(model=model, train_dataset=data["train"], eval_dataset=data["test"], args=args)
trainer.train()
"""
_GRPO = """from datasets import load_dataset
from trl import GRPOConfig, GRPOTrainer

model = "{model}"
# GRPO generates the completion: the reference one is left out, `answer` reaches the reward function.
train = load_dataset("{repo_id}", "storm_chat", split="train").remove_columns("completion")

{reward}


args = GRPOConfig(output_dir="storm")
trainer = GRPOTrainer(model=model, reward_funcs=answer_reward, train_dataset=train, args=args)
trainer.train()
"""
_LOYALTY = """from datasets import load_dataset
from trl import GRPOConfig, GRPOTrainer

model = "{model}"
train = load_dataset("{repo_id}", "loyalty", split="train")
train = train.map(lambda row: {{"prompt": [{{"role": "user", "content": row["prompt"]}}]}})

{reward}


args = GRPOConfig(output_dir="loyalty")
trainer = GRPOTrainer(model=model, reward_funcs=loyalty_reward, train_dataset=train, args=args)
trainer.train()
"""
TRL: dict[str, tuple[str, str]] = {
    "sft_chat": ("SFTTrainer", _SFT),
    "ruozhiba_chat": ("SFTTrainer", _SFT),
    "dpo_chat": ("DPOTrainer", _DPO),
    "storm_chat": ("GRPOTrainer, rewarded on `answer`", _GRPO),
    "loyalty": ("GRPOTrainer on the prompts, rewarded with `reward_bonus`", _LOYALTY),
}

# LLaMA-Factory's `alpaca` columns for each flat config it can read.
LLAMA_FACTORY_COLUMNS: dict[str, dict[str, str]] = {
    "sft": {"prompt": "prompt", "response": "response"},
    "ruozhiba": {"prompt": "prompt", "response": "response"},
    "dpo": {"prompt": "prompt", "chosen": "chosen", "rejected": "rejected"},
    "storm": {"prompt": "problem", "response": "attempt"},
}


def trl_snippet(config: str, repo_id: str) -> str | None:
    """The TRL training code of a config, `None` for a config TRL is not shown on (use its twin).

    >>> "SFTTrainer(" in trl_snippet("sft_chat", "org/apt"), trl_snippet("sft", "org/apt")
    (True, None)
    """
    if config not in TRL:
        return None
    template = TRL[config][1]
    return template.format(repo_id=repo_id, config=config, model=MODEL, reward=REWARDS.get(config, "").strip())


def llama_factory_entry(config: str, repo_id: str) -> dict[str, Any] | None:
    """The `dataset_info.json` entry of a config for LLaMA-Factory, `None` when it cannot read the config.

    >>> llama_factory_entry("dpo", "org/apt")["ranking"], llama_factory_entry("dpo_chat", "org/apt")
    (True, None)
    """
    if config not in LLAMA_FACTORY_COLUMNS:
        return None
    entry = {"hf_hub_url": repo_id, "subset": config, "formatting": "alpaca"}
    entry |= {"ranking": True} if config == "dpo" else {}
    return entry | {"columns": LLAMA_FACTORY_COLUMNS[config]}


def training(configs: list[str], repo_id: str) -> dict[str, Any]:
    """What the card shows of training: per config, the TRL trainer and code, and the LLaMA-Factory entries.

    Args:
        configs: the configs of the build.
        repo_id: the Hub repository the snippets load.

    Returns:
        `{"trl": [{"config", "trainer", "code"}], "llama_factory": "<JSON of the entries>", "unreadable": [...]}`.
    """
    trl = [
        {"config": name, "trainer": TRL[name][0], "code": trl_snippet(name, repo_id).rstrip()}
        for name in configs
        if name in TRL
    ]
    entries = {f"apt_{name}": llama_factory_entry(name, repo_id) for name in configs if name in LLAMA_FACTORY_COLUMNS}
    return {
        "trl": trl,
        "llama_factory": json.dumps(entries, indent=2, ensure_ascii=False) if entries else "",
        "twins": [name for name in configs if name in TWINS],
    }
