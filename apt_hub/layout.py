"""The layout of a build folder, which is exactly the layout of the published Hub repository.

DIR/README.md                                   card, whose YAML `configs:` maps configs to files
DIR/build.json                                  what was built: sources, commits, options, counts
DIR/data/<config>/<split>-NNNNN-of-NNNNN.parquet
"""

import json
import math
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

DEFAULT_OUTPUT_DIR = "dist/apt"
RECORD = "build.json"
MAX_SHARD_BYTES = 500 << 20
# Small row groups let the Hub's dataset viewer read pages of rows without loading a whole shard.
ROW_GROUP_BYTES = 32 << 20
SHARD = re.compile(r"(?P<split>[\w-]+?)-(?P<index>\d{5})-of-(?P<total>\d{5})\.parquet")


def data_dir(root: str | Path, config: str) -> Path:
    return Path(root) / "data" / config


def write_split(table: pa.Table, root: str | Path, config: str, split: str) -> list[str]:
    """Write one split as deterministic parquet shards; returns their paths relative to `root`."""
    folder = data_dir(root, config)
    folder.mkdir(parents=True, exist_ok=True)
    shards = max(1, math.ceil(table.nbytes / MAX_SHARD_BYTES))
    per_shard = math.ceil(table.num_rows / shards) if table.num_rows else 0
    row_bytes = max(1, table.nbytes // max(1, table.num_rows))
    row_group = max(100, min(100_000, ROW_GROUP_BYTES // row_bytes))
    written = []
    for index in range(shards):
        path = folder / f"{split}-{index:05d}-of-{shards:05d}.parquet"
        pq.write_table(table.slice(index * per_shard, per_shard), path, row_group_size=row_group, compression="zstd")
        written.append(path.relative_to(root).as_posix())
    return written


def splits_on_disk(root: str | Path) -> dict[str, dict[str, list[str]]]:
    """`{config: {split: [shard paths]}}` for every parquet shard under `DIR/data`, sorted."""
    found: dict[str, dict[str, list[str]]] = {}
    for path in sorted(Path(root).glob("data/*/*.parquet")):
        match = SHARD.fullmatch(path.name)
        if match:
            found.setdefault(path.parent.name, {}).setdefault(match["split"], []).append(
                path.relative_to(root).as_posix()
            )
    return found


def read_record(root: str | Path) -> dict[str, Any]:
    path = Path(root) / RECORD
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"configs": {}}


def write_json(path: str | Path, value: Any) -> None:
    """JSON the same bytes for the same value: sorted keys, UTF-8 unescaped, a final newline."""
    Path(path).write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
