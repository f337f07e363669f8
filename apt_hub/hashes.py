"""Per-row content hashes: `hashes/<config>/<split>.parquet` beside the shards, two columns, `id` and `hash`.

A row's hash is the first 8 bytes (big-endian, as an unsigned 64-bit number) of the BLAKE2b digest of the row
without its `id`, as JSON with sorted keys, UTF-8 unescaped and no spaces. Two rows of the same `id` hold the same
content exactly when their hashes are equal (but for a collision, about one in 2^64 per pair). The build computes
them as it writes the shards, so that `apt-hub diff` and the changelog of a publish compare two builds by reading
these small files, never the texts.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .folder import atomic_write

if TYPE_CHECKING:
    import pyarrow as pa

HASHES_DIR = "hashes"
ID = "id"


def hashes_path(root: str | Path, config: str, split: str) -> Path:
    return Path(root) / HASHES_DIR / config / f"{split}.parquet"


def row_hash(row: dict) -> int:
    """The content hash of a row, its `id` left out.

    >>> row_hash({"id": "a:1", "prompt": "Hi"}) == row_hash({"prompt": "Hi", "id": "b:2"})
    True
    >>> row_hash({"prompt": "Hi"}) == row_hash({"prompt": "Hi "})
    False
    """
    content = {key: value for key, value in row.items() if key != ID}
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def content_hashes(table: pa.Table) -> pa.Table:
    """`id` and `hash` of every row of a table that has an `id` column, in its order."""
    import pyarrow as pa

    hashes = [row_hash(row) for row in table.drop_columns([ID]).to_pylist()]
    return pa.table({ID: table[ID].cast(pa.string()), "hash": pa.array(hashes, pa.uint64())})


def write_hashes(root: str | Path, config: str, split: str, tables: Iterable[pa.Table]) -> Path:
    """Write the hashes of one split (the tables of `content_hashes`, in row order) as one parquet file, whole."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(ID, pa.string()), ("hash", pa.uint64())])
    table = pa.concat_tables([schema.empty_table(), *tables])
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    path = hashes_path(root, config, split)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, sink.getvalue().to_pybytes())


def read_hashes(root: str | Path, config: str, split: str, shards: list[str]) -> pa.Table:
    """The hashes of one split of a build folder: its hashes file, else (a folder built before apt-hub wrote them)
    computed from its shards."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = hashes_path(root, config, split)
    if path.is_file():
        return pq.read_table(path)
    tables = [content_hashes(pq.read_table(Path(root) / shard)) for shard in shards]
    return pa.concat_tables(tables) if tables else pa.table({ID: pa.array([], pa.string()), "hash": []})
