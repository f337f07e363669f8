"""Per-row content hashes: `hashes/<config>/<split>.parquet` beside the shards, two columns, `id` and `hash`.

A row's hash is the XXH3 64-bit hash of the row without its `id` as one JSON object, its fields in name order
(polars' `struct.json_encode`, UTF-8). Two rows of the same `id` hold the same content exactly when their hashes are
equal (but for a collision, about one in 2^64 per pair). The build computes them as it writes the shards, so that
`apt-hub diff` and the changelog of a publish compare two builds by reading these small files, never the texts.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import one_line
from .folder import FolderError, atomic_write
from .layout import repair_hint

if TYPE_CHECKING:
    import pyarrow as pa

HASHES_DIR = "hashes"
ID = "id"


def hashes_path(root: str | Path, config: str, split: str) -> Path:
    return Path(root) / HASHES_DIR / config / f"{split}.parquet"


def content_hashes(table: pa.Table) -> pa.Table:
    """`id` and `hash` of every row of a table that has an `id` column, in its order: the JSON of each row is
    made by polars at once, and hashed from Arrow's buffer without a Python string per row.

    >>> import pyarrow as pa
    >>> rows = pa.table({"id": ["a:1", "b:2", "c:3"], "prompt": ["Hi", "Hi", "Hi "], "n": [1, 1, 1]})
    >>> hashes = content_hashes(rows)["hash"].to_pylist()
    >>> hashes[0] == hashes[1] != hashes[2]
    True
    """
    import numpy as np
    import polars as pl
    import pyarrow as pa
    import xxhash

    content = pl.DataFrame(pl.from_arrow(table.drop_columns([ID])))
    encoded = content.select(pl.struct(sorted(content.columns)).struct.json_encode().alias("row"))["row"]
    texts = pa.concat_arrays(pa.chunked_array([encoded.to_arrow()]).cast(pa.large_string()).chunks or [])
    hashes: list[int] = []
    if len(texts):
        _, offsets_buffer, data = texts.buffers()
        offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[texts.offset : texts.offset + len(texts) + 1].tolist()
        view, digest = memoryview(data), xxhash.xxh3_64_intdigest
        hashes = [digest(view[start:end]) for start, end in zip(offsets, offsets[1:], strict=False)]
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
    computed from its shards.

    Raises:
        FolderError: the hashes file is damaged; the message names it and the build that writes it anew.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = hashes_path(root, config, split)
    if path.is_file():
        try:
            return pq.read_table(path)
        except Exception as error:  # pyarrow raises many unrelated types for a damaged file
            if isinstance(error, OSError) and error.errno is not None:  # the file system's: a permission
                raise
            raise FolderError(f"{path}: damaged row hashes ({one_line(error)}); {repair_hint(root, config)}") from None
    tables = [content_hashes(pq.read_table(Path(root) / shard)) for shard in shards]
    return pa.concat_tables(tables) if tables else pa.table({ID: pa.array([], pa.string()), "hash": []})
