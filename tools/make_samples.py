"""Write the bundled upstream mirror of apt-hub (`apt_hub/samples`) from the sample rows in `tools/samples/`.

The Hub is not always reachable, so apt-hub ships a small mirror of every upstream it converts, laid out
like the Hub (`<org>/<name>/<path in repo>`) and in the exact upstream file formats, but holding rows
written for this mirror (none is copied from the upstream datasets). The rows, their upstream README and the
fate the build must give each row (`expect`) live in one YAML file per upstream; this script only lays them
out, and `tests/test_samples.py` checks every `expect` against a build of the mirror:

- `coig-cqia.yaml` -> `m-a-p/COIG-CQIA`: 13 subset folders of JSON Lines, the root `COIG-CQIA-full.jsonl`
  trap (a copy of every subset row, never to be read) and a card whose YAML lists `finance` twice.
- `hh-rlhf.yaml` -> `Anthropic/hh-rlhf`: gzipped JSON Lines preference pairs for the four preference
  subsets, whose rows show every known transcript quirk, and `red-team-attempts/` with another schema.
- `ultrafeedback.yaml` -> `HuggingFaceH4/ultrafeedback_binarized`: parquet shards of the six splits.
- `s1k.yaml` -> `simplescaling/s1K-1.1`: one parquet shard with every answer shape the `storm` answer
  extraction meets.
- `loyalty.yaml` -> `loyalty.json`: an edited example loyalty file.

`expect` is `kept`, or a mapping: `dropped: <reason>`, or the `flags` the kept row carries (default none) and
the unified fields it must have (`answer: "42"`). `expect_gemini` is the fate with `--storm-trace gemini`.

The output is byte-identical on every run: JSON is serialised with fixed options, gzip members carry no
file name and mtime 0, parquet files are written by pyarrow with fixed settings, and nothing depends on
the clock, the locale or dict/set ordering beyond the order of the YAML files.

Usage:
    python tools/make_samples.py [--out apt_hub/samples]
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "apt_hub" / "samples"
SAMPLES = Path(__file__).resolve().parent / "samples"

# A build option set a case needs beyond the defaults: the key of `expect_<name>` in a row.
VARIANTS = {"expect": {}, "expect_gemini": {"storm_trace": "gemini"}}


@dataclass(frozen=True)
class Case:
    """One sample row and the fate a build of the mirror must give it.

    Args:
        id: the unified row id (`<source>:<file in the upstream repo>:<line>`).
        configs: the flat configs the row feeds.
        split: the unified split.
        tag: the `source` column of its unified rows.
        dropped: the drop reason, or `None` when the row is kept.
        flags: the quality flags of the kept row.
        fields: unified fields the kept row must have.
        options: the build options the fate holds under (`{}`: the defaults).
    """

    id: str
    configs: tuple[str, ...]
    split: str
    tag: str
    dropped: str | None = None
    flags: tuple[str, ...] = ()
    fields: dict[str, Any] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)


@dataclass
class Mirror:
    """The files of the mirror (`{path relative to the output folder: bytes}`) and the cases of its rows."""

    files: dict[str, bytes] = field(default_factory=dict)
    cases: list[Case] = field(default_factory=list)

    def add_cases(self, row: dict, **where: Any) -> None:
        """Record the cases of `row` (one per `expect*` key it has), with its id, configs, split and tag."""
        for key, options in VARIANTS.items():
            if key in row:
                self.cases.append(expected_case(row[key], options=options, **where))


def expected_case(expect: str | dict, **where: Any) -> Case:
    """A `Case` from a row's `expect` value: `kept`, or a mapping of `dropped`, `flags` and fields.

    Raises:
        ValueError: when `expect` is neither `kept` nor a mapping.
    """
    if expect == "kept":
        return Case(**where)
    if not isinstance(expect, dict):
        raise ValueError(f"{where['id']}: expect must be `kept` or a mapping, got {expect!r}")
    fields = {key: value for key, value in expect.items() if key not in ("dropped", "flags")}
    return Case(**where, dropped=expect.get("dropped"), flags=tuple(expect.get("flags", ())), fields=fields)


def without_expect(row: dict) -> dict:
    """The upstream row: every key but the `expect*` ones."""
    return {key: value for key, value in row.items() if key not in VARIANTS}


def read_samples(name: str) -> dict:
    """The YAML file `tools/samples/<name>.yaml`."""
    return yaml.safe_load((SAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------------------
# Serialisation helpers
# ---------------------------------------------------------------------------------------------------------


def jsonl_bytes(rows: list[dict]) -> bytes:
    """JSON Lines as upstream writes them: `ensure_ascii=False`, default separators, one final newline."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    """A gzip member without file name and with mtime 0, so equal input gives equal bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as member:
        member.write(data)
    return buffer.getvalue()


def parquet_bytes(table: pa.Table) -> bytes:
    """A parquet file written with fixed settings (one row group, snappy, format 2.6)."""
    sink = pa.BufferOutputStream()
    pq.write_table(
        table,
        sink,
        row_group_size=max(table.num_rows, 1),
        compression="snappy",
        version="2.6",
        data_page_version="1.0",
        use_dictionary=True,
        write_statistics=True,
        store_schema=True,
    )
    return sink.getvalue().to_pybytes()


def pretty_json_bytes(value: Any) -> bytes:
    """JSON indented by two spaces, non-ASCII kept, one final newline."""
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------------------
# m-a-p/COIG-CQIA
# ---------------------------------------------------------------------------------------------------------

COIG_FIELDS = (
    "instruction",
    "input",
    "output",
    "task_type",
    "domain",
    "metadata",
    "answer_from",
    "human_verified",
    "copyright",
)


def coig_row(defaults: dict, shared: dict, row: dict) -> dict:
    """One COIG-CQIA row in upstream key order; `row` overrides its file's `shared` values and the defaults.

    Raises:
        ValueError: on a field COIG-CQIA does not have.
    """
    values = {**defaults, **shared, **without_expect(row)}
    unknown = set(values) - set(COIG_FIELDS)
    if unknown:
        raise ValueError(f"unknown COIG-CQIA fields: {sorted(unknown)}")
    return {name: values[name] for name in COIG_FIELDS}


def coig_cqia(mirror: Mirror) -> None:
    """COIG-CQIA: a JSON Lines file per subset file, the root copy of every row and the card."""
    data = read_samples("coig-cqia")
    every_row = []
    for path in sorted(data["files"]):
        subset = path.split("/")[0]
        configs = ("sft", "ruozhiba") if subset == "ruozhiba" else ("sft",)
        entry = data["files"][path]
        rows = [coig_row(data["defaults"], entry["shared"], row) for row in entry["rows"]]
        mirror.files[f"m-a-p/COIG-CQIA/{path}"] = jsonl_bytes(rows)
        every_row.extend(rows)
        for line, row in enumerate(entry["rows"], start=1):
            where = {"id": f"coig-cqia:{path}:{line}", "configs": configs, "split": "train"}
            mirror.add_cases(row, **where, tag=f"coig-cqia/{subset}")
    mirror.files["m-a-p/COIG-CQIA/COIG-CQIA-full.jsonl"] = jsonl_bytes(every_row)  # the trap: never read
    mirror.files["m-a-p/COIG-CQIA/README.md"] = data["readme"].encode("utf-8")


# ---------------------------------------------------------------------------------------------------------
# Anthropic/hh-rlhf
# ---------------------------------------------------------------------------------------------------------


def dialog(turns: list[dict[str, str]]) -> str:
    """A transcript `"\\n\\nHuman: ...\\n\\nAssistant: ..."` from `[{Human: ...}, {Assistant: ...}]`.

    An empty text leaves `"Assistant: "`, as upstream.
    """
    return "".join(f"\n\n{role}: {text}" for turn in turns for role, text in turn.items())


def hh_pair(row: dict) -> dict:
    """The upstream line of a sample row, given as one of three shapes.

    `history` with `chosen`/`rejected` responses: transcripts that share the history and differ in the last
    assistant turn; `transcript`: identical transcripts; `chosen`/`rejected` as turn lists: two transcripts.
    """
    if "history" in row:
        return {side: dialog([*row["history"], {"Assistant": row[side]}]) for side in ("chosen", "rejected")}
    if "transcript" in row:
        return {side: dialog(row["transcript"]) for side in ("chosen", "rejected")}
    return {side: dialog(row[side]) for side in ("chosen", "rejected")}


def hh_rlhf(mirror: Mirror) -> None:
    """hh-rlhf: gzipped JSON Lines per subset and split, the red-team file (one JSON array) and the card."""
    data = read_samples("hh-rlhf")
    for path in sorted(data["files"]):
        rows = data["files"][path]
        mirror.files[f"Anthropic/hh-rlhf/{path}"] = gzip_bytes(jsonl_bytes([hh_pair(row) for row in rows]))
        subset, name = path.split("/")
        for line, row in enumerate(rows, start=1):
            where = {"id": f"hh-rlhf:{path}:{line}", "configs": ("dpo",), "split": name.split(".")[0]}
            mirror.add_cases(row, **where, tag=f"hh-rlhf/{subset}")
    red_team = [{**record, "transcript": dialog(record["transcript"])} for record in data["red_team"]]
    red_team_text = json.dumps(red_team, ensure_ascii=False, indent=2) + "\n"
    mirror.files["Anthropic/hh-rlhf/red-team-attempts/red_team_attempts.jsonl.gz"] = gzip_bytes(
        red_team_text.encode("utf-8")
    )
    mirror.files["Anthropic/hh-rlhf/README.md"] = data["readme"].encode("utf-8")


# ---------------------------------------------------------------------------------------------------------
# HuggingFaceH4/ultrafeedback_binarized
# ---------------------------------------------------------------------------------------------------------

MESSAGE = pa.struct([("content", pa.string()), ("role", pa.string())])
ULTRAFEEDBACK_SCHEMA = pa.schema(
    [
        ("prompt", pa.string()),
        ("prompt_id", pa.string()),
        ("chosen", pa.list_(MESSAGE)),
        ("rejected", pa.list_(MESSAGE)),
        ("messages", pa.list_(MESSAGE)),
        ("score_chosen", pa.float64()),
        ("score_rejected", pa.float64()),
    ]
)


def ultrafeedback_record(row: dict) -> dict:
    """An upstream row: the prompt's SHA-256, user-then-assistant message lists, `messages` = `chosen`."""
    prompt = row["prompt"]
    chosen = [{"content": prompt, "role": "user"}, {"content": row["chosen"], "role": "assistant"}]
    rejected = [{"content": prompt, "role": "user"}, {"content": row["rejected"], "role": "assistant"}]
    return {
        "prompt": prompt,
        "prompt_id": hashlib.sha256(prompt.encode("utf-8")).hexdigest(),
        "chosen": chosen,
        "rejected": rejected,
        "messages": chosen,
        "score_chosen": float(row["score_chosen"]),
        "score_rejected": float(row["score_rejected"]),
    }


def ultrafeedback_shard(split: str) -> str:
    """`data/<split>-00000-of-00001-<16 hex>.parquet`, the hex fixed per split like an upstream shard hash."""
    digest = hashlib.sha256(f"ultrafeedback_binarized/{split}".encode()).hexdigest()[:16]
    return f"data/{split}-00000-of-00001-{digest}.parquet"


def ultrafeedback(mirror: Mirror) -> None:
    """UltraFeedback: the `_prefs` splits, copied as the `_sft` and `_gen` ones, and the card."""
    data = read_samples("ultrafeedback")
    for kind in ("prefs", "sft", "gen"):
        for split in ("train", "test"):
            records = [ultrafeedback_record(row) for row in data["splits"][split]]
            table = pa.Table.from_pylist(records, schema=ULTRAFEEDBACK_SCHEMA)
            shard = ultrafeedback_shard(f"{split}_{kind}")
            mirror.files[f"HuggingFaceH4/ultrafeedback_binarized/{shard}"] = parquet_bytes(table)
    for split in ("train", "test"):
        shard = ultrafeedback_shard(f"{split}_prefs")
        for line, row in enumerate(data["splits"][split], start=1):
            mirror.add_cases(
                row, id=f"ultrafeedback:{shard}:{line}", configs=("dpo",), split=split, tag="ultrafeedback"
            )
    mirror.files["HuggingFaceH4/ultrafeedback_binarized/README.md"] = data["readme"].encode("utf-8")


# ---------------------------------------------------------------------------------------------------------
# simplescaling/s1K-1.1 and the loyalty file
# ---------------------------------------------------------------------------------------------------------


def s1k(mirror: Mirror) -> None:
    """s1K-1.1: one parquet shard of string columns, in the order of `columns`, and the card.

    Raises:
        ValueError: when a row's columns differ from `columns`.
    """
    data = read_samples("s1k")
    columns = data["columns"]
    rows = [without_expect(row) for row in data["rows"]]
    for line, row in enumerate(rows, start=1):
        if list(row) != columns:
            raise ValueError(f"s1k.yaml row {line}: columns {list(row)}, expected {columns}")
    schema = pa.schema([(column, pa.string()) for column in columns])
    shard = "data/train-00000-of-00001.parquet"
    mirror.files[f"simplescaling/s1K-1.1/{shard}"] = parquet_bytes(pa.Table.from_pylist(rows, schema=schema))
    for line, row in enumerate(data["rows"], start=1):
        mirror.add_cases(row, id=f"s1k:{shard}:{line}", configs=("storm",), split="train", tag="s1k")
    mirror.files["simplescaling/s1K-1.1/README.md"] = data["readme"].encode("utf-8")


def loyalty(mirror: Mirror) -> None:
    """The example loyalty file: a JSON array indented by two spaces."""
    rows = read_samples("loyalty")["rows"]
    mirror.files["loyalty.json"] = pretty_json_bytes([without_expect(row) for row in rows])
    for line, row in enumerate(rows, start=1):
        mirror.add_cases(row, id=f"loyalty:{line}", configs=("loyalty",), split="train", tag="loyalty")


# What the mirror is, in the manifest beside each of its repositories (`apt_hub.read.manifest`): a build checks the
# mirror against what it was made with, never against the upstream repositories, whose files it does not hold.
COPY = "the bundled samples: rows written for apt-hub in the upstream formats, not the upstream files"
REMAKE = "python tools/make_samples.py --out {root}"


def manifests(mirror: Mirror) -> None:
    """The manifest of each repository of the mirror: its files' sizes and sha256, at the source's revision."""
    from apt_hub.read.manifest import COPY_SUFFIX, Listed, Manifest
    from apt_hub.sources import SOURCES

    for source in SOURCES.values():
        prefix = f"{source.repo_id}/"
        files = {
            path.removeprefix(prefix): Listed(len(data), hashlib.sha256(data).hexdigest())
            for path, data in mirror.files.items()
            if source.repo_id and path.startswith(prefix)
        }
        if files:
            manifest = Manifest(source.repo_id, source.revision, files, COPY, REMAKE)
            mirror.files[f"{source.repo_id}{COPY_SUFFIX}"] = manifest.text().encode("utf-8")


def mirror() -> Mirror:
    """Every file of the mirror, the manifests of its repositories and the case of every sample row."""
    result = Mirror()
    for upstream in (coig_cqia, hh_rlhf, ultrafeedback, s1k, loyalty):
        upstream(result)
    manifests(result)
    return result


def write_mirror(out: Path) -> dict[str, bytes]:
    """Write every file of the mirror under `out`; return them."""
    files = mirror().files
    for relative in sorted(files):
        target = out / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(files[relative])
    return files


def main(argv: list[str] | None = None) -> None:
    """Write the mirror into `--out` (default: `apt_hub/samples`) and print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: apt_hub/samples)")
    args = parser.parse_args(argv)
    files = write_mirror(args.out)
    total = sum(len(data) for data in files.values())
    print(f"wrote {len(files)} files, {total:,} bytes, under {args.out}")


if __name__ == "__main__":
    main()
