"""Two steps of LLaMA-Factory's `sft` and `dpo` stages on every `dataset_info.json` entry of the card, pointed at
the local build, with the tiny local model; and, with LLaMA-Factory's own data code, that every row reaches its
template as TRL renders the config's chat twin.

The entries are `apt_hub.chat.recipes.training(...)`'s, with the build folder as `hf_hub_url` (LLaMA-Factory hands
it to `datasets.load_dataset`, which reads a local folder of the Hub layout the same way): `apt_sft`,
`apt_ruozhiba`, `apt_storm` and `apt_storm_attempt` on the sft stage, `apt_dpo` on the dpo stage, evaluated on
`apt_dpo_test`. Every loss must be finite. Every row, as `llamafactory.data.get_dataset` prepares it, must be the
twin's prompt turn by turn with the generation prompt, as TRL's chat template renders it, and then the entry's
response (each of chosen and rejected for a pair), trained on that alone. `--hh-rlhf` names a build of real
hh-rlhf rows (`make train-check` makes one from ../shared/upstream where it exists), whose `apt_dpo_test` is
checked the same way, row by row. The results go to a JSON file that `table.py` prints.

    python training/llamafactory_check.py --build .train/apt --model .train/tiny --output .train/runs/llamafactory \
        [--hh-rlhf .train/hh]
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

import datasets
from steps import STEPS, step_arguments  # beside this file: run as training/<name>.py

from apt_hub.chat.recipes import training
from apt_hub.configs import CONFIGS

CUTOFF = 512
# Long enough that no prepared row is cut: the rendering checks see every token.
WHOLE = 1 << 20
TEMPLATE = "chatml"  # the tiny tokenizer's template, with no default system message
IGNORE = -100
END = "<|im_end|>\n"


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


def dataset_info(build: Path, prefix: str = "") -> dict[str, Any]:
    """The card's entries for every config LLaMA-Factory reads, reading the local build, each name prefixed."""
    flat = [name for name, config in CONFIGS.items() if config.llama_factory]
    entries = json.loads(training(flat, str(build.resolve()))["llama_factory"])
    return {f"{prefix}{name}": entry for name, entry in entries.items()}


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
        "overwrite_output_dir": True,
        **step_arguments(output),
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


def trained(labels: list[int]) -> int:
    """Where the trained tokens start; they must run, unmasked, to the end."""
    start = next(i for i, label in enumerate(labels) if label != IGNORE)
    if any(label == IGNORE for label in labels[start:]):
        raise AssertionError("the trained tokens are not one run to the end")
    return start


def as_trl(tokenizer, prompt: list[dict[str, str]]) -> str:
    """The prompt as TRL renders a twin's prompt: the chat template, with the generation prompt."""
    return tokenizer.apply_chat_template(prompt, tokenize=False, add_generation_prompt=True)


def check_rows(args: dict[str, Any], stage: str, build: Path, entry: dict[str, Any]) -> dict[str, int]:
    """Every row of the entry's split, as LLaMA-Factory prepares it: the twin's prompt as TRL renders it, then
    each response column of the entry, and nothing else trained. Counts of rows and of multi-turn prompts."""
    split = entry.get("split", "train")
    tokenizer, rows = prepared(args | {"cutoff_len": WHOLE}, stage)
    flat = datasets.load_dataset(str(build), entry["subset"], split=split)
    twin = datasets.load_dataset(str(build), f"{entry['subset']}_chat", split=split)
    if not len(flat) == len(twin) == len(rows):
        raise AssertionError(f"{entry['subset']}/{split}: {len(flat)} rows, {len(rows)} prepared")
    sides = ("chosen", "rejected") if stage == "rm" else ("",)
    for source, chat, row in zip(flat, twin, rows, strict=True):
        for side in sides:
            ids, labels = (
                row[f"{side}_input_ids" if side else "input_ids"],
                row[f"{side}_labels" if side else "labels"],
            )
            start = trained(labels)
            response = source[entry["columns"][side or "response"]] + END
            if tokenizer.decode(ids[:start]) != as_trl(tokenizer, chat["prompt"]):
                raise AssertionError(f"{source['id']}: the prompt is not the twin's, turn by turn")
            if tokenizer.decode(ids[start:]) != response:
                raise AssertionError(f"{source['id']}: the trained tokens are not {entry['columns']}")
    return {"rows": len(rows), "multi_turn": sum(len(chat["prompt"]) > 1 for chat in twin)}


def same_target(build: Path, entry: dict[str, Any]) -> bool:
    """Whether an sft entry's response is, row by row, what TRL trains on in the twin (its completion)."""
    flat = datasets.load_dataset(str(build), entry["subset"], split=entry.get("split", "train"))
    twin = datasets.load_dataset(str(build), f"{entry['subset']}_chat", split=entry.get("split", "train"))
    column = entry["columns"]["response"]
    return all(f[column] == t["completion"][0]["content"] for f, t in zip(flat, twin, strict=True))


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


def said(counts: dict[str, int], what: str = "") -> str:
    return f"{counts['rows']} rows ({counts['multi_turn']} multi-turn) {what}".strip()


def sft_run(name: str, entry: dict[str, Any], build: Path, model: Path, data_dir: Path, output: Path) -> dict:
    """Two steps of the sft stage on an entry, after its rows are checked. A config's main entry (`apt_storm`)
    trains on what TRL trains on in the twin; another (`apt_storm_attempt`) on something else."""
    args = arguments("sft", name, model, data_dir, output / f"sft-{name}")
    subset, column = entry["subset"], entry["columns"]["response"]
    counts = check_rows(args, "sft", build, entry)
    same = same_target(build, entry)
    if same != (name == f"apt_{subset}"):
        raise AssertionError(f"{name}: `{column}` is {'' if same else 'not '}{subset}_chat's completion")
    check = said(counts, f"as TRL renders {subset}_chat, trained on `{column}`")
    check += f" (= {subset}_chat's completion)" if same else f" (not {subset}_chat's completion)"
    losses = finite(run(args).train, STEPS, "training")
    return {"config": subset, "trainer": f"sft `{name}`", "loss": losses, "check": check}


def dpo_run(entries: dict[str, Any], build: Path, model: Path, data_dir: Path, output: Path) -> dict:
    args = arguments("dpo", "apt_dpo", model, data_dir, output / "dpo")
    args |= {"eval_dataset": "apt_dpo_test", "do_eval": True, "per_device_eval_batch_size": 2}
    train = check_rows(args, "rm", build, entries["apt_dpo"])
    test = check_rows(args | {"dataset": "apt_dpo_test"}, "rm", build, entries["apt_dpo_test"])
    recorder = run(args)
    losses, eval_loss = finite(recorder.train, STEPS, "training"), finite(recorder.eval, 1, "eval")[0]
    check = f"train {said(train)} and test {said(test)} as TRL renders dpo_chat; eval loss {eval_loss:.4f}"
    return {"config": "dpo", "trainer": "dpo `apt_dpo`", "loss": losses, "check": check}


def real_rows(hh: Path, model: Path, data_dir: Path, output: Path) -> dict:
    """The real hh-rlhf rows of `hh`'s dpo test split through the card's `apt_dpo_test` entry: checked, not
    trained."""
    entries = dataset_info(hh, prefix="real_")
    args = arguments("dpo", "real_apt_dpo_test", model, data_dir, output / "real")
    counts = check_rows(args, "rm", hh, entries["real_apt_dpo_test"])
    twin = datasets.load_dataset(str(hh), "dpo_chat", split="test").filter(
        lambda row: row["source"] == "hh-rlhf/harmless-base"
    )
    real = {"rows": len(twin), "multi_turn": sum(len(prompt) > 1 for prompt in twin["prompt"])}
    check = f"{said(counts, 'as TRL renders dpo_chat')}, of which the real harmless-base/test: {said(real)}"
    return {"config": "dpo (real rows)", "trainer": "data only", "loss": [], "check": check}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, required=True)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--hh-rlhf", type=Path, help="a build of real hh-rlhf rows (dpo and dpo_chat)")
    args = parser.parse_args()
    without_torchaudio()
    data_dir = args.output / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    entries = dataset_info(args.build) | (dataset_info(args.hh_rlhf, prefix="real_") if args.hh_rlhf else {})
    (data_dir / "dataset_info.json").write_text(json.dumps(entries, indent=2), encoding="utf-8")
    results = []
    for name, entry in entries.items():
        if "response" in entry["columns"] and not name.startswith("real_"):
            start = time.perf_counter()
            result = sft_run(name, entry, args.build, args.model, data_dir, args.output)
            results.append(result | {"seconds": time.perf_counter() - start})
    runs = [lambda: dpo_run(entries, args.build, args.model, data_dir, args.output)]
    if args.hh_rlhf:
        runs.append(lambda: real_rows(args.hh_rlhf, args.model, data_dir, args.output))
    for step in runs:
        start = time.perf_counter()
        results.append(step() | {"seconds": time.perf_counter() - start})
    results = [{"framework": "LLaMA-Factory", "steps": STEPS if r["loss"] else 0, **r} for r in results]
    (args.output / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
