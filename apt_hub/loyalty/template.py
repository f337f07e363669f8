"""`apt-hub loyalty-template`: prompts drawn from hh-rlhf, written as a loyalty file to be finished by hand.

Each row has the five loyalty fields: the hh-rlhf prompt, the chosen hh-rlhf response as a draft of
`public_response`, an `owner_response` that is an obvious placeholder (`apt-hub validate` rejects it until it
is rewritten), `is_owner` and `reward_bonus`.

How prompts are drawn, so that the same seed always gives the same rows:

- Only prompts that a `dpo` build keeps are drawn: each file's rows go through the conversion and the row checks
  of `dpo` (a transcript that does not split, a response holding another turn, ... is skipped and counted).
- Files are read in this order, only as far as needed to find N distinct single-turn prompts: `helpful-base`,
  `helpful-online`, `helpful-rejection-sampled`, then `harmless-base`, each `train` then `test`.
- Every file read gives two pools, its single-turn prompts and its multi-turn ones. The pools are taken in the
  order: single-turn pools file by file, then multi-turn pools file by file. So single-turn prompts always come
  first, helpful ones before harmless ones.
- Each pool is shuffled with `random.Random(f"{seed}:{file}:{pool}")`; prompts already taken (equal after
  `normalize_text`) are skipped; the first N are written. A larger N with the same seed extends the same list;
  an upstream with fewer distinct prompts gives them all.
"""

import json
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..clean.text import normalize_text
from ..errors import AptHubError, check_input_file
from ..folder import atomic_write
from ..progress import bar
from ..read.upstream import InputFile, open_upstream
from ..sources import get_source
from ..stats import drops
from . import BONUS, DEFAULT_REWARD_BONUS, DEFAULT_TEMPLATE, NEGATIVE_BONUS, PLACEHOLDER

SUBSET_ORDER = ("helpful-base", "helpful-online", "helpful-rejection-sampled", "harmless-base")
OWNER_PLACEHOLDER = (
    f"{PLACEHOLDER} here: more detailed, personal and proactive than public_response, as you want the model to "
    "answer its owner."
)


@dataclass(frozen=True)
class Candidate:
    """A prompt of hh-rlhf with its chosen response, and the file it comes from."""

    prompt: str
    response: str
    file: str
    single_turn: bool


@dataclass(frozen=True)
class TemplateReport:
    """What `make_template` wrote: the rows (fewer than asked when the upstream holds fewer distinct prompts that
    a `dpo` build keeps), and the rows of the files read that the `dpo` row checks dropped, by reason."""

    path: Path
    rows: int
    asked: int
    single_turn: int
    files_read: list[str]
    skipped: dict[str, int]


def template_files(available: list[str]) -> list[str]:
    """The hh-rlhf files a template reads, in order, among those the repository holds.

    >>> template_files(["harmless-base/test.jsonl.gz", "helpful-base/train.jsonl.gz", "README.md"])
    ['helpful-base/train.jsonl.gz', 'harmless-base/test.jsonl.gz']
    """
    wanted = [f"{subset}/{split}.jsonl.gz" for subset in SUBSET_ORDER for split in ("train", "test")]
    return [path for path in wanted if path in available]


def candidates(path: str | Path, name: str, counter: Counter) -> Iterator[Candidate]:
    """The prompts of one hh-rlhf file that a `dpo` build keeps: its rows converted and screened by the row checks
    of `dpo`, as the build does (a broken row skipped). Every row read is counted in `counter` (`rows`, `kept`,
    `dropped_<reason>`)."""
    from ..configs import get_config
    from ..options import BuildOptions
    from ..pipeline import checked_tables

    split = "test" if name.endswith("/test.jsonl.gz") else "train"
    item = InputFile(source="hh-rlhf", split=split, path=name, local=str(path), fingerprint="")
    counts: dict = {}
    tables = checked_tables(get_config("dpo"), get_source("hh-rlhf"), [item], BuildOptions(on_bad_rows="skip"), counts)
    for table in tables:
        for prompt, chosen, turns in zip(
            table["prompt"].to_pylist(), table["chosen"].to_pylist(), table["prompt_messages"].to_pylist(), strict=True
        ):
            yield Candidate(prompt, chosen, name, single_turn=len(turns) == 1)
    for counted in counts.values():
        counter.update(counted)


def draw_prompts(pools: list[list[Candidate]], n: int, seed: int) -> list[Candidate]:
    """The first `n` distinct prompts of the pools, each pool shuffled with its own seed, in pool order."""
    chosen: list[Candidate] = []
    seen: set[str] = set()
    for pool in pools:
        if not pool:
            continue
        kind = "single" if pool[0].single_turn else "multi"
        shuffled = list(pool)
        random.Random(f"{seed}:{pool[0].file}:{kind}").shuffle(shuffled)
        for candidate in shuffled:
            key = normalize_text(candidate.prompt)
            if key not in seen:
                seen.add(key)
                chosen.append(candidate)
                if len(chosen) == n:
                    return chosen
    return chosen


def template_row(candidate: Candidate, *, reward_bonus: float, is_owner: bool = True) -> dict[str, Any]:
    """One loyalty row to finish by hand: the owner response is a placeholder, the public one a draft."""
    return {
        "prompt": candidate.prompt,
        "owner_response": OWNER_PLACEHOLDER,
        "public_response": candidate.response,
        "is_owner": is_owner,
        "reward_bonus": reward_bonus,
    }


def make_template(
    output: str | Path = DEFAULT_TEMPLATE,
    *,
    n: int = 100,
    seed: int = 42,
    upstream: str = "hub",
    reward_bonus: float = DEFAULT_REWARD_BONUS,
    is_owner: bool = True,
    force: bool = False,
) -> TemplateReport:
    """Draw `n` prompts from hh-rlhf and write them as a loyalty file to edit by hand.

    The format follows the extension: `.json` is a pretty-printed JSON array with UTF-8 unescaped (the old
    `loyalty_template.json`), `.jsonl` one row a line. An existing file is never replaced unless `force` is true,
    because it may hold hours of hand-written responses.

    Args:
        output: the file to write.
        n: how many prompts.
        seed: the same seed gives the same prompts; a larger `n` extends the same list.
        upstream: `"hub"`, `"samples"` or a directory laid out like the Hub.
        reward_bonus: the `reward_bonus` of every row.
        is_owner: the `is_owner` of every row.
        force: replace an existing file.

    Returns:
        A `TemplateReport`.

    Raises:
        AptHubError: the file exists (without `force`), a bad option, or no prompt at all to draw.

    Example:
        >>> make_template("loyalty.json", n=100, upstream="samples")  # doctest: +SKIP
    """
    path = Path(output)
    _check_options(path, n, seed, reward_bonus, force)
    counter: Counter = Counter()
    pools, files_read = _read_pools(upstream, n, counter)
    drawn = draw_prompts(pools, n, seed)
    if not drawn:
        raise AptHubError(f"hh-rlhf at {upstream!r} has no prompt that a dpo build keeps; nothing to draft from.")
    rows = [template_row(candidate, reward_bonus=float(reward_bonus), is_owner=is_owner) for candidate in drawn]
    write_rows(path, rows, force=force)
    return TemplateReport(path, len(rows), n, sum(c.single_turn for c in drawn), files_read, drops(counter))


def _check_options(path: Path, n: int, seed: int, reward_bonus: float, force: bool) -> None:
    if path.suffix not in (".json", ".jsonl"):
        raise AptHubError(f"--output {path}: expected a .json (JSON array) or .jsonl (JSON Lines) file name.")
    if path.exists() and not path.is_file():
        check_input_file(path, "--output")  # a directory or a device: said as what it is, --force or not
    if path.exists() and not force:
        raise AptHubError(
            f"{path} exists and may hold your edits; pass --force to replace it, or choose another --output."
        )
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise AptHubError(f"--n expects a positive whole number, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise AptHubError(f"--seed expects a whole number, got {seed!r}")
    if isinstance(reward_bonus, bool) or not isinstance(reward_bonus, int | float) or not math.isfinite(reward_bonus):
        raise AptHubError(f"--reward-bonus expects {BONUS}, got {reward_bonus!r}")
    if reward_bonus < 0:
        raise AptHubError(f"--reward-bonus expects {BONUS}, got {reward_bonus!r}: {NEGATIVE_BONUS}")


def _read_pools(upstream_spec: str, n: int, counter: Counter) -> tuple[list[list[Candidate]], list[str]]:
    """Single-turn pools then multi-turn pools, reading files until `n` distinct single-turn prompts are found."""
    source, upstream = get_source("hh-rlhf"), open_upstream(upstream_spec)
    commit = upstream.commit(source)
    files = template_files(upstream.list_files(source, commit))
    if not files:
        raise AptHubError(f"{upstream.describe} has no hh-rlhf file of {', '.join(SUBSET_ORDER)} (train or test).")
    singles, multis, read, distinct = [], [], [], set()
    for path in bar(files, desc="Reading hh-rlhf", unit="file"):
        local, _ = upstream.fetch(source, commit, path)
        found = list(candidates(local, path, counter))
        singles.append([c for c in found if c.single_turn])
        multis.append([c for c in found if not c.single_turn])
        read.append(path)
        distinct |= {normalize_text(c.prompt) for c in singles[-1]}
        if len(distinct) >= n:
            break
    return singles + multis, read


def write_rows(path: str | Path, rows: list[dict[str, Any]], *, force: bool = False) -> None:
    """Write loyalty rows as a JSON array (`.json`) or JSON Lines (`.jsonl`), never clobbering unless `force`.

    The file appears whole or not at all; without `force` an existing file (even one created meanwhile) is kept.
    """
    path = Path(path)
    if path.suffix == ".jsonl":
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    else:
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    try:
        atomic_write(path, text, clobber=force)
    except FileExistsError:
        raise AptHubError(f"{path} exists and may hold your edits; pass --force to replace it.") from None
