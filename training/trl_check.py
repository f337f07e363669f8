"""Two steps of every TRL recipe of the card, on the build's sample rows and the tiny local model.

SFT on `sft_chat`, `ruozhiba_chat` and `storm_chat`, DPO on `dpo_chat` (its test split as the eval set), GRPO on
`storm_chat` with `apt_hub.rewards.storm_reward` and on `loyalty` with `apt_hub.rewards.loyalty_reward`. Every
loss must be finite, and every SFT row's labels, as TRL's own dataset preparation builds them, must leave out
everything but the assistant reply. The results go to a JSON file that `table.py` prints.

    python training/trl_check.py --build .train/apt --model .train/tiny --output .train/runs/trl
"""

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import datasets
from steps import STEPS, step_arguments  # beside this file: run as training/<name>.py
from transformers import AutoTokenizer
from trl import DPOConfig, DPOTrainer, GRPOConfig, GRPOTrainer, SFTConfig, SFTTrainer

from apt_hub.configs import CONFIGS
from apt_hub.rewards import loyalty_reward, storm_reward

# Long enough for every sample prompt; the storm traces are cut, which the mask check allows for.
MAX_LENGTH = 512


def losses(trainer) -> list[float]:
    """The training loss of every logged step; raises unless there is one finite loss per step."""
    found = [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
    if len(found) != STEPS or not all(math.isfinite(loss) for loss in found):
        raise AssertionError(f"expected {STEPS} finite losses, got {found}")
    return found


def check_sft_labels(trainer, rows: datasets.Dataset, tokenizer) -> str:
    """Every prepared row: the labels are -100 exactly on the prompt as the chat template renders it with the
    generation prompt, and the rest is the assistant reply with its end-of-turn (a prefix of it, if cut)."""
    prepared = trainer.train_dataset
    for row, example in zip(rows, prepared, strict=True):
        ids, labels = example["input_ids"], example["labels"]
        start = next(i for i, label in enumerate(labels) if label != -100)
        if any(label == -100 for label in labels[start:]) or labels[start:] != ids[start:]:
            raise AssertionError(f"{row['id']}: the labels are not one run from the reply to the end")
        prompt = tokenizer.apply_chat_template(row["prompt"], tokenize=False, add_generation_prompt=True)
        reply = row["completion"][0]["content"] + "<|im_end|>\n"
        if tokenizer.decode(ids[:start]) != prompt:
            raise AssertionError(f"{row['id']}: the masked tokens are not the prompt")
        trained = tokenizer.decode(ids[start:])
        if not (trained == reply or (len(ids) == MAX_LENGTH and reply.startswith(trained))):
            raise AssertionError(f"{row['id']}: the trained tokens are not the reply: {trained[:80]!r}")
    return f"labels = reply only, {len(prepared)} rows"


def sft(config: str, build: Path, model: Path, output: Path) -> dict[str, Any]:
    rows = datasets.load_dataset(str(build), config, split="train")
    tokenizer = AutoTokenizer.from_pretrained(model)
    args = SFTConfig(**step_arguments(output / f"sft-{config}"), max_length=MAX_LENGTH)
    trainer = SFTTrainer(model=str(model), args=args, train_dataset=rows, processing_class=tokenizer)
    check = check_sft_labels(trainer, rows, tokenizer)
    trainer.train()
    return {"trainer": "SFTTrainer", "loss": losses(trainer), "check": check}


def dpo(build: Path, model: Path, output: Path) -> dict[str, Any]:
    data = datasets.load_dataset(str(build), "dpo_chat")
    tokenizer = AutoTokenizer.from_pretrained(model)
    args = DPOConfig(**step_arguments(output / "dpo"), max_length=MAX_LENGTH, per_device_eval_batch_size=2)
    trainer = DPOTrainer(
        model=str(model), args=args, train_dataset=data["train"], eval_dataset=data["test"], processing_class=tokenizer
    )
    turns = check_dpo_turns(trainer, data["train"], tokenizer)
    trainer.train()
    eval_loss = trainer.evaluate()["eval_loss"]
    if not math.isfinite(eval_loss):
        raise AssertionError(f"eval loss {eval_loss}")
    return {"trainer": "DPOTrainer", "loss": losses(trainer), "check": f"{turns}; eval loss {eval_loss:.4f}"}


def check_dpo_turns(trainer, rows: datasets.Dataset, tokenizer) -> str:
    """Every prepared prompt holds each turn of its row as a turn of the chat template: one `<|im_start|>` per
    message, plus the generation prompt."""
    most = 0
    for row, example in zip(rows, trainer.train_dataset, strict=True):
        rendered = tokenizer.decode(example["prompt_ids"])
        if rendered.count("<|im_start|>") != len(row["prompt"]) + 1:
            raise AssertionError(f"{row['id']}: {len(row['prompt'])} turns, rendered {rendered[:80]!r}")
        most = max(most, len(row["prompt"]))
    return f"prompts as turns (up to {most})"


def grpo(config: str, build: Path, model: Path, output: Path) -> dict[str, Any]:
    tokenizer = AutoTokenizer.from_pretrained(model)
    if config == "storm_chat":
        rows = datasets.load_dataset(str(build), "storm_chat", split="train").remove_columns("completion")
        reward, scale = storm_reward, "group"
    else:
        rows = datasets.load_dataset(str(build), "loyalty", split="train")
        rows = rows.map(lambda row: {"prompt": [{"role": "user", "content": row["prompt"]}]})
        reward, scale = loyalty_reward, "batch"
    args = GRPOConfig(
        **step_arguments(output / f"grpo-{config}"), num_generations=2, max_completion_length=32, scale_rewards=scale
    )
    trainer = GRPOTrainer(
        model=str(model), reward_funcs=reward, args=args, train_dataset=rows, processing_class=tokenizer
    )
    trainer.train()
    rewards = [entry["reward"] for entry in trainer.state.log_history if "reward" in entry]
    if len(rewards) != STEPS or not all(math.isfinite(value) for value in rewards):
        raise AssertionError(f"expected a finite mean reward per step, got {rewards}")
    name = reward.__name__
    # A random model's completions have no <think> block and resemble no response: they earn 0, so the group
    # advantages and the loss are 0 too.
    check = f"mean {name} per step {rewards} (random completions)"
    return {"trainer": f"GRPOTrainer ({name})", "loss": losses(trainer), "check": check}


def timed(run) -> dict[str, Any]:
    start = time.perf_counter()
    return run() | {"seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, required=True)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    runs = [
        ("sft_chat", lambda: sft("sft_chat", args.build, args.model, args.output)),
        ("ruozhiba_chat", lambda: sft("ruozhiba_chat", args.build, args.model, args.output)),
        ("storm_chat", lambda: sft("storm_chat", args.build, args.model, args.output)),
        ("dpo_chat", lambda: dpo(args.build, args.model, args.output)),
        ("storm_chat", lambda: grpo("storm_chat", args.build, args.model, args.output)),
        ("loyalty", lambda: grpo("loyalty", args.build, args.model, args.output)),
    ]
    results = [{"framework": "TRL", "config": config, "steps": STEPS, **timed(run)} for config, run in runs]
    ran = {(r["config"], r["trainer"].split()[0]) for r in results}
    if ran != (shown := {(name, r.trainer) for name, config in CONFIGS.items() for r in config.trl}):
        raise AssertionError(f"the card shows TRL recipes {sorted(shown)}, this ran {sorted(ran)}")
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
