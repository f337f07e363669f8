"""Decontamination: drop the rows whose prompt shares an n-gram with a benchmark the user names.

Texts are compared in their normal form (`apt_hub.clean.text.normalized`). A text mostly of Chinese characters is cut
into character 13-grams (Chinese has no spaces between words; 13 characters is about the span of 8 English
words, 1.5 to 2 characters a word); any other text into word 8-grams, the length open-r1's `decontaminate.py`
uses: long enough that common phrases ("what is the value of the") do not match, short enough that a benchmark
question reworded at its ends still does (the GPT-3 janitor's 13-grams miss short questions). A text shorter
than its n is one gram, so a short benchmark question is found when a prompt is exactly that question.
N-grams are hashed to 64 bits and looked up in a hash set, column-wise (polars and numpy), never row by row.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ..errors import ConfigError, UpstreamError, check_input_file
from ..read.readers import Problem, read_rows
from ..sources.base import Source
from .text import normalized

WORD_N = 8
CHAR_N = 13
# Columns tried, in order, when a Hub benchmark spec names none.
TEXT_COLUMNS = ("problem", "question", "prompt", "text", "input", "instruction")
DATA_SUFFIXES = (".parquet", ".jsonl", ".jsonl.gz", ".json", ".json.gz")
_P = np.uint64(0x100000001B3)  # the 64-bit FNV prime: the multiplier that combines token hashes into a gram hash


@dataclass(frozen=True)
class Benchmark:
    """A benchmark named with `--decontaminate`, resolved to files on this machine.

    Args:
        spec: as the user wrote it; names the benchmark in `build.json` and the card.
        revision: the commit read (Hub), or `local`.
        files: `(local path, name in messages)` of each file read.
        column: the column whose texts are compared.
        fingerprint: changes whenever the files may have changed, for the build cache.
    """

    spec: str
    revision: str
    files: tuple[tuple[str, str], ...]
    column: str
    fingerprint: str


def resolve_benchmark(spec: str, upstream=None) -> Benchmark:
    """The benchmark of a `--decontaminate` spec: `PATH.jsonl:column`, `PATH.parquet:column`, a Hub dataset
    `org/name` or `org/name:config:split:column` (config `default` or empty for any; split `test` by default).

    Hub benchmarks are read like the upstreams: through huggingface_hub, honouring `HF_ENDPOINT`, `HF_TOKEN`,
    the HF cache and `HF_HUB_OFFLINE`.

    Raises:
        ConfigError: a malformed spec, or a local file that does not exist.
        UpstreamError: the Hub dataset, or a data file of its split, cannot be found.
    """
    path, _, column = spec.rpartition(":")
    if path.endswith(DATA_SUFFIXES):
        if not Path(path).exists():
            raise ConfigError(f"--decontaminate {spec!r}: no such file {path!r}.")
        check_input_file(path, f"--decontaminate {spec!r}: the benchmark file")
        stat = Path(path).stat()
        return Benchmark(spec, "local", ((path, path),), column, f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
    return _hub_benchmark(spec, upstream)


def _hub_benchmark(spec: str, upstream) -> Benchmark:
    repo_id, *rest = spec.split(":")
    if repo_id.count("/") != 1 or len(rest) > 3:
        raise ConfigError(
            f"--decontaminate {spec!r}: expected org/name[:config[:split[:column]]], PATH.jsonl:column or "
            "PATH.parquet:column."
        )
    config, split, column = [*rest, "", "", ""][:3]
    from ..read.upstream import HubUpstream

    upstream = upstream or HubUpstream()
    source = Source(name=f"benchmark {spec}", repo_id=repo_id, revision="main", feeds={}, columns={}, convert=_unused)
    commit = upstream.commit(source)
    paths = [p for p in upstream.list_files(source, commit) if _in_split(p, config, split or "test")]
    if not paths:
        raise UpstreamError(f"--decontaminate {spec!r}: no data file of split {split or 'test'!r} in {repo_id}.")
    fetched = upstream.fetch_all(source, commit, paths)
    files = tuple((local, f"{repo_id}/{p}") for (local, _), p in zip(fetched, paths, strict=True))
    return Benchmark(spec, commit, files, column, f"{repo_id}@{commit}:{paths}")


def _unused(row: dict, context: Any) -> dict:
    """The row mapper of a benchmark's source, which is only listed and fetched, never converted."""
    raise NotImplementedError


def _in_split(path: str, config: str, split: str) -> bool:
    """Whether a repository file holds that config's split: `[<config>/]<split>[-.]...` or `.../<split>/...`."""
    *folders, name = path.split("/")
    if not name.endswith(DATA_SUFFIXES) or (config not in ("", "default") and config not in folders):
        return False
    return split in folders or name.startswith((f"{split}-", f"{split}.", f"{split}_"))


def read_texts(benchmark: Benchmark) -> list[str]:
    """The texts of a benchmark's column, from every file.

    Raises:
        ConfigError: a row lacks the column or holds a non-string there (file, line and field named).
    """
    texts = []
    for local, name in benchmark.files:
        column = benchmark.column or _first_column(local, name)
        for line, row in read_rows(local, name=name, columns=[column]):
            value = row.message if isinstance(row, Problem) else row.get(column, _MISSING)
            if not isinstance(value, str):
                got = "missing" if value is _MISSING else type(value).__name__
                raise ConfigError(f"{name}:{line}: field {column!r}: expected a benchmark text (string), got {got}.")
            texts.append(value)
    return texts


_MISSING = object()


def _first_column(local: str, name: str) -> str:
    for _, row in read_rows(local, name=name):
        found = [c for c in TEXT_COLUMNS if isinstance(row, dict) and c in row]
        if found:
            return found[0]
        break
    raise ConfigError(f"{name}: none of the columns {list(TEXT_COLUMNS)}; name one: org/name:config:split:column.")


def gram_hashes(texts: pl.Series, *, normalised: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The 64-bit hashes of the n-grams of each text, with the index of the text each comes from.

    Args:
        texts: the texts.
        normalised: they are normal forms already (`apt_hub.clean.text.with_keys`).

    Returns:
        `(rows, hashes)`, two arrays of equal length.
    """
    text = pl.col("text") if normalised else normalized(pl.col("text"))
    frame = pl.DataFrame({"text": texts}).select(pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), text)
    chinese = pl.col("text").str.count_matches(r"\p{Han}") * 2 > pl.col("text").str.len_chars()
    words = pl.col("text").str.split(" ")
    characters = pl.col("text").str.replace_all(" ", "").str.split("")
    parts = [_grams(frame.filter(~chinese), words, WORD_N), _grams(frame.filter(chinese), characters, CHAR_N)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _grams(frame: pl.DataFrame, split: pl.Expr, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Polynomial hashes of each run of `n` consecutive tokens of a text; a text shorter than `n` is one gram."""
    # Tokens are hashed inside their lists and only the hashes exploded: exploding the strings costs 5x more.
    tokens = frame.filter(pl.col("text") != "").select("row", split.list.eval(pl.element().hash(seed=7)).alias("h"))
    lengths = tokens["h"].list.len().to_numpy()
    rows = np.repeat(tokens["row"].to_numpy(), lengths)
    hashes = tokens["h"].explode().to_numpy()
    total = max(len(hashes) - n + 1, 0)
    grams = np.zeros(total, dtype=np.uint64)
    with np.errstate(over="ignore"):  # the hash is computed modulo 2**64 on purpose
        for k in range(n):
            grams *= _P
            grams += hashes[k : k + total]
    whole = rows[:total] == rows[n - 1 : n - 1 + total]
    short = tokens.filter(pl.Series(lengths < n)).join(frame, on="row")
    short_rows, short_hashes = short["row"].to_numpy(), short["text"].hash(seed=11).to_numpy()
    return np.concatenate([rows[:total][whole], short_rows]), np.concatenate([grams[whole], short_hashes])


def gram_set(texts: list[str]) -> pl.Series:
    """The distinct n-gram hashes of a benchmark's texts."""
    return pl.Series("gram", gram_hashes(pl.Series(texts, dtype=pl.String))[1]).unique()


def contaminated(
    texts: pl.Series, benchmarks: dict[str, pl.Series], *, normalised: bool = False
) -> dict[str, np.ndarray]:
    """Whether each text shares an n-gram with each benchmark's grams (`gram_set`), by benchmark; the texts' grams
    are computed once for all of them."""
    rows, hashes = gram_hashes(texts, normalised=normalised)
    found = pl.Series(hashes)
    masks = {}
    for spec, grams in benchmarks.items():
        mask = np.zeros(len(texts), dtype=bool)
        mask[rows[found.is_in(grams.implode()).to_numpy()]] = True
        masks[spec] = mask
    return masks
