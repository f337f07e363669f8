"""Two steps of LLaMA-Factory's `sft` and `dpo` stages on the card's `dataset_info.json` entries, pointed at the
local build, with the tiny local model.

The entries are `apt_hub.chat.recipes.training(...)`'s, with the build folder as `hf_hub_url` (LLaMA-Factory hands
it to `datasets.load_dataset`, which reads a local folder of the Hub layout the same way). `dpo` is evaluated on
its test split through one more entry, the card's `apt_dpo` with `"split": "test"`. Every loss must be finite, and
every SFT row's labels, as LLaMA-Factory's own `get_dataset` builds them, must leave out everything but the
response. The results go to a JSON file that `table.py` prints.

    python training/llamafactory_check.py --build .train/apt --model .train/tiny --output .train/runs/llamafactory
"""

import argparse
import importlib.machinery
import json
import math
import sys
import time
import types
from pathlib import Path
from typing import Any

from apt_hub.chat.recipes import training

STEPS = 2
CUTOFF = 512
TEMPLATE = "chatml"  # the tiny tokenizer's template, with no default system message
SFT_CONFIGS = ("sft", "ruozhiba", "storm")


class _Missing(types.ModuleType):
    def __getattr__(self, name: str):
        raise AttributeError(f"{self.__name__} is not installed: this environment trains on text only")


def without_torchaudio() -> None:
    """Let LLaMA-Factory import without torchaudio. Its `data/mm_plugin.py` imports torchaudio at the top, for
    audio inputs only; no CPU build of torchaudio exists for torch 2.13 (the last one on the index is built for
    CUDA against torch 2.11), and the text stages never load audio. Any use of it fails with a clear error."""
    if "torchaudio" not in sys.modules:
        module = _Missing("torchaudio")
        module.__spec__ = importlib.machinery.ModuleSpec("torchaudio", None)
        sys.modules["torchaudio"] = module


def dataset_info(build: Path) -> dict[str, Any]:
    """The card's entries for the flat configs, reading the local build, and the test split of `apt_dpo`."""
    entries = json.loads(training(["sft", "ruozhiba", "dpo", "storm"], str(build.resolve()))["llama_factory"])
    return entries | {"apt_dpo_test": {**entries["apt_dpo"], "split": "test"}}


def arguments(stage: str, dataset: str, model: Path, data_dir: Path, output: Path) -> dict[str, Any]:
    return {
        "stage": stage,
        "do_train": True,
        "model_name_or_path": str(model),
        "finetuning_type": "full",
        "template": TEMPLATE,
        "dataset": dataset,
        "dataset_dir": str(data_dir),
        "cutoff_len": CUTOFF,
        "output_dir": str(output),
        "overwrite_output_dir": True,
        "per_device_train_batch_size": 2,
        "max_steps": STEPS,
        "logging_steps": 1,
        "save_strategy": "no",
        "report_to": "none",
        "use_cpu": True,
        "seed": 0,
        "disable_tqdm": True,
        "dataloader_num_workers": 0,
    }


def prepared(args: dict[str, Any], stage: str):
    """The tokenizer and the train dataset that LLaMA-Factory's workflow builds from these arguments."""
    from llamafactory.data import get_dataset, get_template_and_fix_tokenizer
    from llamafactory.hparams import get_train_args
    from llamafactory.model import load_tokenizer

    model_args, data_args, training_args, _, _ = get_train_args(dict(args))
    tokenizer_module = load_tokenizer(model_args)
    template = get_template_and_fix_tokenizer(tokenizer_module["tokenizer"], data_args)
    module = get_dataset(template, model_args, data_args, training_args, stage=stage, **tokenizer_module)
    return tokenizer_module["tokenizer"], module["train_dataset"]


def check_sft_labels(args: dict[str, Any], build: Path, config: str, response: str) -> str:
    """Every row: labels are -100 exactly on the prompt, and the rest is the response with the template's
    end-of-turn (a prefix of it, if the row is cut at `cutoff_len`)."""
    import datasets

    tokenizer, rows = prepared(args, "sft")
    flat = datasets.load_dataset(str(build), config, split="train")
    if len(rows) != len(flat):
        raise AssertionError(f"{config}: {len(flat)} rows, {len(rows)} prepared")
    for source, row in zip(flat, rows, strict=True):
        ids, labels = row["input_ids"], row["labels"]
        start = next(i for i, label in enumerate(labels) if label != -100)
        if labels[start:] != ids[start:]:
            raise AssertionError(f"{source['id']}: the labels are not one run from the response to the end")
        expected, trained = source[response] + "<|im_end|>\n", tokenizer.decode(ids[start:])
        if not (trained == expected or (len(ids) >= CUTOFF and expected.startswith(trained))):
            raise AssertionError(f"{source['id']}: the trained tokens are not the response: {trained[:80]!r}")
    return f"labels = response only, {len(rows)} rows"


def check_dpo_turns(args: dict[str, Any], build: Path) -> str:
    """How many user turns LLaMA-Factory renders for each prompt of the flat `dpo` rows, against the turns of
    the same rows in `dpo_chat`: the flat prompt holds a multi-turn history as one text."""
    import datasets

    tokenizer, rows = prepared(args, "rm")
    twin = datasets.load_dataset(str(build), "dpo_chat", split="train")
    multi = [
        (len(t["prompt"]), tokenizer.decode(r["chosen_input_ids"]).count("<|im_start|>user"))
        for t, r in zip(twin, rows, strict=True)
        if len(t["prompt"]) > 1
    ]
    turns, rendered = max(n for n, _ in multi), max(u for _, u in multi)
    return f"{len(multi)} multi-turn prompts (up to {turns} turns) rendered as at most {rendered} user turn"


class Losses:
    """A trainer callback keeping the logged losses (the callback class is made once transformers is imported)."""

    def __new__(cls):
        from transformers import TrainerCallback

        class Recorder(TrainerCallback):
            def __init__(self):
                self.train, self.eval = [], []

            def on_log(self, args, state, control, logs=None, **kwargs):
                if logs and "loss" in logs:
                    self.train.append(logs["loss"])
                if logs and "eval_loss" in logs:
                    self.eval.append(logs["eval_loss"])

        return Recorder()


def finite(losses: list[float], count: int, what: str) -> list[float]:
    if len(losses) != count or not all(math.isfinite(loss) for loss in losses):
        raise AssertionError(f"expected {count} finite {what} losses, got {losses}")
    return losses


def run(args: dict[str, Any]):
    from llamafactory.train.tuner import run_exp

    recorder = Losses()
    run_exp(dict(args), callbacks=[recorder])
    return recorder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, required=True)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()
    without_torchaudio()
    data_dir = args.output / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    entries = dataset_info(args.build)
    (data_dir / "dataset_info.json").write_text(json.dumps(entries, indent=2), encoding="utf-8")
    results = []
    for config in SFT_CONFIGS:
        start = time.perf_counter()
        sft = arguments("sft", f"apt_{config}", args.model, data_dir, args.output / f"sft-{config}")
        check = check_sft_labels(sft, args.build, config, entries[f"apt_{config}"]["columns"]["response"])
        losses = finite(run(sft).train, STEPS, "training")
        seconds = time.perf_counter() - start
        results.append({"config": config, "trainer": "sft", "loss": losses, "check": check, "seconds": seconds})
    start = time.perf_counter()
    dpo = arguments("dpo", "apt_dpo", args.model, data_dir, args.output / "dpo")
    dpo |= {"eval_dataset": "apt_dpo_test", "do_eval": True, "per_device_eval_batch_size": 2}
    turns = check_dpo_turns(dpo, args.build)
    recorder = run(dpo)
    losses, eval_loss = finite(recorder.train, STEPS, "training"), finite(recorder.eval, 1, "eval")[0]
    check = f"{turns}; eval on the test split (`apt_dpo_test`): loss {eval_loss:.4f}"
    results.append(
        {"config": "dpo", "trainer": "dpo", "loss": losses, "check": check, "seconds": time.perf_counter() - start}
    )
    results = [{"framework": "LLaMA-Factory", "steps": STEPS, **result} for result in results]
    (args.output / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
