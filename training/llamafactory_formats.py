"""Which row shapes LLaMA-Factory reads as turns, checked with its own converter, templates and processors.

For multi-turn preference rows (the build's `dpo_chat`, and real hh-rlhf rows when `--hh-rlhf` names an upstream
file, mapped by apt-hub's own hh-rlhf source) and for the storm rows, each candidate shape is written
to a JSON Lines file of a scratch folder, read through `llamafactory.data.get_dataset` with its `dataset_info.json`
entry, and the tokens it trains on are decoded. A shape passes when every row is kept and renders exactly as TRL
renders the conversational twin with the same ChatML template: the prompt turn by turn with the generation
prompt, then the response (for SFT, only the last response trained). Nothing is written outside `--output`.

    python training/llamafactory_formats.py --build .train/apt --model .train/tiny --output .train/runs/formats \
        [--hh-rlhf ../shared/upstream/hh-rlhf/harmless-base/test.jsonl.gz]
"""

import argparse
import gzip
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import datasets
from llamafactory_check import arguments, prepared, without_torchaudio

from apt_hub.sources.base import Context, Drop
from apt_hub.sources.hh_rlhf import to_dpo

IGNORE = -100
END = "<|im_end|>\n"
TAGS = {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"}
# A pair: the prompt turns, the chosen and the rejected response (for SFT, the chosen one is the reply).
Pair = tuple[list[dict[str, str]], str, str]


@dataclass(frozen=True)
class Shape:
    """A row shape: its `dataset_info.json` entry (without the file), the row written for a pair, the stage that
    reads it (`rm` prepares pairs as `dpo` does), and whether only the last turn is trained (`mask_history`)."""

    entry: dict[str, Any]
    row: Callable[[Pair], dict[str, Any]]
    stage: str = "sft"
    mask_history: bool = True


def flat_row(pair: Pair) -> dict[str, Any]:
    """A `dpo` row as the build writes it today: the history as one transcript text."""
    return {"prompt": flat_prompt(pair[0]), "chosen": pair[1], "rejected": pair[2]}


def twin_row(pair: Pair) -> dict[str, Any]:
    """A `dpo_chat` row as the build writes it today: TRL's conversational preference form."""
    return {"prompt": pair[0], "chosen": [assistant(pair[1])], "rejected": [assistant(pair[2])]}


def with_history(row: dict[str, Any], pair: Pair) -> dict[str, Any]:
    """Proposed flat columns: `history`, the `[user, assistant]` pairs before the last user turn, and `turn`,
    that last user turn."""
    return row | {"history": history(pair[0]), "turn": pair[0][-1]["content"]}


def sft_twin_row(pair: Pair) -> dict[str, Any]:
    """An SFT twin row with the proposed `messages` column: the prompt turns and the reply in one list."""
    return {"prompt": pair[0], "completion": [assistant(pair[1])], "messages": [*pair[0], assistant(pair[1])]}


_PAIR = {"chosen": "chosen", "rejected": "rejected"}
_MESSAGES = {"formatting": "sharegpt", "columns": {"messages": "messages"}, "tags": TAGS}
# The preference and SFT shapes of multi-turn rows: today's entries, then the proposed columns.
PAIR_SHAPES = {
    "dpo: today's apt_dpo (alpaca, transcript in prompt)": Shape(
        {"formatting": "alpaca", "ranking": True, "columns": {"prompt": "prompt", **_PAIR}},
        flat_row,
        stage="rm",
    ),
    "dpo: today's dpo_chat as sharegpt (chosen/rejected are lists)": Shape(
        {"formatting": "sharegpt", "ranking": True, "columns": {"messages": "prompt", **_PAIR}, "tags": TAGS},
        twin_row,
        stage="rm",
    ),
    "dpo: + history, turn (alpaca)": Shape(
        {"formatting": "alpaca", "ranking": True, "columns": {"prompt": "turn", "history": "history", **_PAIR}},
        lambda pair: with_history(flat_row(pair), pair),
        stage="rm",
    ),
    "dpo_chat: + chosen_message, rejected_message (sharegpt)": Shape(
        {
            "formatting": "sharegpt",
            "ranking": True,
            "columns": {"messages": "prompt", "chosen": "chosen_message", "rejected": "rejected_message"},
            "tags": TAGS,
        },
        lambda pair: twin_row(pair) | {"chosen_message": assistant(pair[1]), "rejected_message": assistant(pair[2])},
        stage="rm",
    ),
    "sft-style: + history, turn (alpaca), mask_history": Shape(
        {"formatting": "alpaca", "columns": {"prompt": "turn", "history": "history", "response": "response"}},
        lambda pair: with_history({"prompt": flat_prompt(pair[0]), "response": pair[1]}, pair),
    ),
    "sft-style twin: + messages (sharegpt), mask_history": Shape(_MESSAGES, sft_twin_row),
    "sft-style twin: + messages (sharegpt), without mask_history": Shape(_MESSAGES, sft_twin_row, mask_history=False),
}
# `storm`, as pairs of (prompt, `storm_chat`'s completion, `attempt`): today's entry, then the reasoning target.
STORM_SHAPES = {
    "storm: today's apt_storm (response = attempt)": Shape(
        {"formatting": "alpaca", "columns": {"prompt": "problem", "response": "attempt"}},
        lambda pair: {"problem": pair[0][-1]["content"], "attempt": pair[2]},
    ),
    "storm: + response = the <think> completion (alpaca)": Shape(
        {"formatting": "alpaca", "columns": {"prompt": "problem", "response": "response"}},
        lambda pair: {"problem": pair[0][-1]["content"], "attempt": pair[2], "response": pair[1]},
    ),
    "storm_chat: + messages (sharegpt)": Shape(_MESSAGES, sft_twin_row),
}


def assistant(text: str) -> dict[str, str]:
    return {"role": "assistant", "content": text}


def history(turns: list[dict[str, str]]) -> list[list[str]]:
    """Alpaca's `history`: the `[user, assistant]` pairs before the last user turn."""
    return [[turns[i]["content"], turns[i + 1]["content"]] for i in range(0, len(turns) - 1, 2)]


def flat_prompt(turns: list[dict[str, str]]) -> str:
    """The flat `dpo` prompt of these turns (`apt_hub.chat.join_transcript`, or the bare message)."""
    from apt_hub.chat import join_transcript

    return turns[0]["content"] if len(turns) == 1 else join_transcript(turns)


def build_pairs(build: Path) -> list[Pair]:
    rows = datasets.load_dataset(str(build), "dpo_chat", split="train")
    return [(row["prompt"], row["chosen"][0]["content"], row["rejected"][0]["content"]) for row in rows]


def hh_rlhf_pairs(path: Path) -> Iterator[Pair]:
    """The pairs of an upstream hh-rlhf file as apt-hub's `hh-rlhf` source maps them into `dpo` rows, with the
    prompt turns it records for `dpo_chat` (the rows it drops are left out)."""
    context = Context(tag=f"hh-rlhf/{path.parent.name}")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = to_dpo(json.loads(line), context)
            if not isinstance(row, Drop):
                yield row["prompt_messages"], row["chosen"], row["rejected"]


def storm_pairs(build: Path) -> list[Pair]:
    """Storm rows as (prompt, TRL's completion, attempt)."""
    twin = datasets.load_dataset(str(build), "storm_chat", split="train")
    flat = datasets.load_dataset(str(build), "storm", split="train")
    return [(t["prompt"], t["completion"][0]["content"], f["attempt"]) for t, f in zip(twin, flat, strict=True)]


def read(shape: Shape, pairs: list[Pair], name: str, model: Path, work: Path) -> tuple:
    """LLaMA-Factory's tokenizer and prepared rows for these pairs written in this shape; no rows when it drops
    every one ("Cannot find valid samples")."""
    folder = work / re.sub(r"[^\w]+", "-", name).strip("-")
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "rows.jsonl", "w", encoding="utf-8") as out:
        out.writelines(json.dumps(shape.row(pair), ensure_ascii=False) + "\n" for pair in pairs)
    entry = {"rows": {"file_name": "rows.jsonl", **shape.entry}}
    (folder / "dataset_info.json").write_text(json.dumps(entry), encoding="utf-8")
    args = arguments(shape.stage, "rows", model, folder, work / "out")
    args |= {"cutoff_len": 1 << 20} | ({"mask_history": shape.mask_history} if shape.stage == "sft" else {})
    try:
        return prepared(args, shape.stage)
    except RuntimeError as error:
        print(f"{name}: {error}")
        return None, []


def pair_rendering(tokenizer, example: dict[str, list[int]], pair: Pair) -> bool:
    """Whether a prepared pair is the prompt as turns and then each response, as TRL renders them."""
    prompt = tokenizer.apply_chat_template(pair[0], tokenize=False, add_generation_prompt=True)
    for side, response in (("chosen", pair[1]), ("rejected", pair[2])):
        ids, labels = example[f"{side}_input_ids"], example[f"{side}_labels"]
        start = next(i for i, label in enumerate(labels) if label != IGNORE)
        if tokenizer.decode(ids[:start]) != prompt or tokenizer.decode(labels[start:]) != response + END:
            return False
    return True


def sft_rendering(tokenizer, example: dict[str, list[int]], pair: Pair) -> bool:
    """Whether a prepared SFT row is the prompt as turns, trained on the reply only, as TRL renders it."""
    prompt = tokenizer.apply_chat_template(pair[0], tokenize=False, add_generation_prompt=True)
    ids, labels = example["input_ids"], example["labels"]
    start = next(i for i, label in enumerate(labels) if label != IGNORE)
    return tokenizer.decode(ids[:start]) == prompt and tokenizer.decode(labels[start:]) == pair[1] + END


def trained_turns(example: dict[str, list[int]]) -> int:
    """How many separate runs of trained tokens an SFT row has: one per assistant turn trained."""
    labels = example["labels"]
    return sum(1 for i, label in enumerate(labels) if label != IGNORE and (i == 0 or labels[i - 1] == IGNORE))


def check(source: str, name: str, shape: Shape, pairs: list[Pair], model: Path, work: Path) -> dict[str, Any]:
    tokenizer, rows = read(shape, pairs, name, model, work)
    multi = sum(len(pair[0]) > 1 for pair in pairs)
    result = {"source": source, "shape": name, "rows": len(pairs), "multi_turn": multi, "kept": len(rows)}
    if len(rows) == len(pairs):
        same = pair_rendering if shape.stage == "rm" else sft_rendering
        result["as_trl"] = sum(same(tokenizer, row, pair) for row, pair in zip(rows, pairs, strict=True))
        if shape.stage == "sft":
            result["most_trained_turns"] = max(trained_turns(row) for row in rows)
    return result | {"entry": shape.entry}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, required=True)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--hh-rlhf", type=Path, help="an upstream hh-rlhf file (`<subset>/<split>.jsonl.gz`)")
    args = parser.parse_args()
    without_torchaudio()
    work = args.output / "work"
    sources = {"build dpo_chat": build_pairs(args.build)}
    if args.hh_rlhf:
        sources[f"hh-rlhf {args.hh_rlhf.parent.name}/{args.hh_rlhf.name}"] = list(hh_rlhf_pairs(args.hh_rlhf))
    results = [
        check(source, name, shape, pairs, args.model, work)
        for source, pairs in sources.items()
        for name, shape in PAIR_SHAPES.items()
    ]
    storm = storm_pairs(args.build)
    results += [
        check("build storm_chat", name, shape, storm, args.model, work) for name, shape in STORM_SHAPES.items()
    ]
    (args.output / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    for result in results:
        print(json.dumps({key: value for key, value in result.items() if key != "entry"}, ensure_ascii=False))


if __name__ == "__main__":
    main()
