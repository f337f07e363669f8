"""The layout of a build folder, which is exactly the layout of the published Hub repository.

DIR/README.md                                   card, whose YAML `configs:` maps configs to files
DIR/build.json                                  what was built: sources, commits, options, counts
DIR/data/<config>/<split>-NNNNN-of-NNNNN.parquet

pyarrow is imported by the functions that read or write shards, not with this module: `apt-hub stats` finds the
shards and writes `stats.json` without it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from .errors import AptHubError, one_line
from .folder import RECORD, FolderError, atomic_write, read_record, writing  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq

DEFAULT_OUTPUT_DIR = "dist/apt"
# Where `apt-hub export` writes the old APT tool's files.
DEFAULT_EXPORT_DIR = "data/apt_datasets"
MAX_SHARD_BYTES = 500 << 20
# Small row groups let the Hub's dataset viewer read pages of rows without loading a whole shard.
ROW_GROUP_BYTES = 32 << 20
# Content-defined chunking (pyarrow 21 and later) cuts pages where the content says, not every N bytes, so a
# file that changed in a few rows shares most of its pages with the old one and the Hub's storage keeps them once.
# The same options as `datasets`' own parquet writer (`cdc_options`).
SHARD = re.compile(r"(?P<split>[\w-]+?)-(?P<index>\d{5})-of-(?P<total>\d{5})\.parquet")


def data_dir(root: str | Path, config: str) -> Path:
    return Path(root) / "data" / config


def write_split(table: pa.Table, root: str | Path, config: str, split: str) -> list[str]:
    """Write one split as deterministic parquet shards; returns their paths relative to `root`."""
    return write_batches(
        table.to_batches(),
        table.schema,
        rows=table.num_rows,
        nbytes=table.nbytes,
        root=root,
        config=config,
        split=split,
    )


def write_batches(
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    *,
    rows: int,
    nbytes: int,
    root: str | Path,
    config: str,
    split: str,
) -> list[str]:
    """Write a split that arrives as record batches, holding one row group at a time, and the content hash of each
    row (`apt_hub.hashes`) in `hashes/<config>/<split>.parquet`, computed from the rows as they are written.

    Shards and row groups depend only on `rows` and `nbytes`, never on how the batches are cut, so the same rows
    always give the same bytes.
    """
    from .hashes import ID, content_hashes, write_hashes

    hashed = ID in schema.names
    hashes = []
    folder = data_dir(root, config)
    folder.mkdir(parents=True, exist_ok=True)
    shards = max(1, math.ceil(nbytes / MAX_SHARD_BYTES))
    per_shard = math.ceil(rows / shards) if rows else 0
    row_group = rows_per_group(rows, nbytes)
    stream = _RowStream(batches, schema)
    written = []
    for index in range(shards):
        path = folder / f"{split}-{index:05d}-of-{shards:05d}.parquet"
        with writing(path), parquet_writer(path, schema) as writer:
            left = per_shard if index < shards - 1 else rows - per_shard * index
            while left > 0:
                group = stream.take(min(row_group, left))
                writer.write_table(group, row_group_size=group.num_rows)
                hashes += [content_hashes(group)] if hashed else []
                left -= group.num_rows
        written.append(path.relative_to(root).as_posix())
    stream.finish()
    if hashed:
        write_hashes(root, config, split, hashes)
    return written


@functools.cache
def cdc_options() -> dict[str, int] | None:
    """The content-defined chunking options of `datasets`' parquet writer, where pyarrow has the feature (21 and
    later). `datasets` is imported here, not with this module: `apt-hub stats` does without it."""
    import pyarrow as pa
    from datasets import config

    return config.DEFAULT_CDC_OPTIONS if int(pa.__version__.split(".")[0]) >= 21 else None


def batch_groups(
    batches: Iterable[pa.RecordBatch], limit: int, size: Callable[[pa.RecordBatch], int]
) -> Iterator[list[pa.RecordBatch]]:
    """Consecutive record batches taken together until their `size` (bytes, rows) reaches `limit`; the last group
    may be smaller. Work done per group rather than per batch costs far less, and per group rather than per split
    holds a bounded part of the split in memory.

    >>> import pyarrow as pa
    >>> batch = pa.record_batch({"x": [1, 2, 3]})
    >>> [sum(b.num_rows for b in group) for group in batch_groups([batch] * 5, 6, lambda b: b.num_rows)]
    [6, 6, 3]
    """
    held: list[pa.RecordBatch] = []
    total = 0
    for batch in batches:
        held.append(batch)
        total += size(batch)
        if total >= limit:
            yield held
            held, total = [], 0
    if held:
        yield held


def parquet_writer(path: str | Path | BinaryIO, schema: pa.Schema) -> pq.ParquetWriter:
    """A parquet writer with the options `datasets` writes with: zstd pages, the page index (offset and column
    indexes, which let a reader fetch only the pages of the rows it wants) and content-defined chunking where the
    installed pyarrow has it, recorded in the file's metadata as `datasets` records it."""
    import pyarrow.parquet as pq

    options = cdc_options()
    cdc = {"use_content_defined_chunking": options} if options else {}
    writer = pq.ParquetWriter(path, schema, compression="zstd", write_page_index=True, **cdc)
    if options:
        writer.add_key_value_metadata({"content_defined_chunking": json.dumps(options)})
    return writer


def rows_per_group(rows: int, nbytes: int) -> int:
    """Rows per row group: about `ROW_GROUP_BYTES`, as a power of two from 128 to 65,536.

    The power of two makes the choice stable: the Arrow size of the same rows varies a little with how they are
    chunked, and the parquet bytes must not.

    >>> rows_per_group(1_000, 50_000_000), rows_per_group(200_000, 300_000_000)
    (512, 16384)
    """
    per_row = max(1, nbytes // max(1, rows))
    return 1 << max(7, min(16, (ROW_GROUP_BYTES // per_row).bit_length() - 1))


class _RowStream:
    """Record batches taken `n` rows at a time, whatever their own sizes."""

    def __init__(self, batches: Iterable[pa.RecordBatch], schema: pa.Schema):
        self.batches, self.schema = iter(batches), schema
        self.buffered: list[pa.RecordBatch] = []
        self.held = 0

    def take(self, n: int) -> pa.Table:
        import pyarrow as pa

        while self.held < n and (batch := next(self.batches, None)) is not None:
            self.buffered.append(batch)
            self.held += batch.num_rows
        table = pa.Table.from_batches(self.buffered, schema=self.schema)
        rest = table.slice(n)
        self.buffered, self.held = rest.to_batches(), rest.num_rows
        return table.slice(0, n).combine_chunks()

    def finish(self) -> None:
        """Read the batches to their end, so that a generator feeding them runs its last lines; none may hold a row
        more than was taken."""
        extra = self.held + sum(batch.num_rows for batch in self.batches)
        if extra:
            raise ValueError(f"{extra} rows beyond the rows announced")


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


def read_config(build_dir: str | Path, config: str, split: str, columns: list[str] | None = None) -> pa.Table:
    """The rows of one config and split of a build folder (only `columns`, if given), shards in order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    files = splits_on_disk(build_dir).get(config, {}).get(split)
    if not files:
        raise AptHubError(f"{build_dir} has no split {split!r} of config {config!r}.")
    return pa.concat_tables([pq.read_table(Path(build_dir) / path, columns=columns) for path in files])


def config_schema(build_dir: str | Path, config: str, split: str) -> pa.Schema:
    """The schema of one config and split, read from its first shard's footer."""
    import pyarrow.parquet as pq

    return pq.read_schema(Path(build_dir) / splits_on_disk(build_dir)[config][split][0])


@contextlib.contextmanager
def shards_checked(root: str | Path) -> Iterator[None]:
    """Turn what a parquet library raises while a command reads a build folder into one line naming the damaged
    shard and how to repair it, when a shard is damaged (truncated, overwritten); any other error goes on as it
    was. The shards are read whole only then, so a sound folder costs nothing more.

    Raises:
        FolderError: a shard of `root` cannot be read whole (`damaged_shard`).
    """
    try:
        yield
    except AptHubError:
        raise
    except Exception as error:
        if isinstance(error, OSError) and error.errno is not None:  # the file system's: a full disk, a permission
            raise
        found = damaged_shard(root)
        if found is None:
            raise
        raise FolderError(found) from None


def damaged_shard(root: str | Path) -> str | None:
    """The first shard of a build folder that pyarrow or polars cannot read whole, as one line naming it, what is
    wrong and how to repair it; `None` when every shard reads."""
    import polars as pl
    import pyarrow.parquet as pq

    for config, splits in splits_on_disk(root).items():
        for path in (path for paths in splits.values() for path in paths):
            try:
                pq.ParquetFile(Path(root) / path).read().validate(full=True)
                pl.read_parquet(Path(root) / path)
            except Exception as error:  # pyarrow and polars raise many unrelated types for a damaged file
                return f"{Path(root) / path}: damaged parquet shard ({one_line(error)}); {repair_hint(root, config)}"
    return None


def repair_hint(root: str | Path, config: str) -> str:
    """How to write a config's shards anew: build it again, or run its merge again."""
    try:
        entry = read_record(root)["configs"].get(config, {})
    except FolderError:
        entry = {}
    if isinstance(entry, dict) and "merged_from" in entry:
        return f"run the apt-hub merge that made config {config!r} again (--output {config} --build-dir {root})"
    return f"rebuild config {config!r}: apt-hub build {config} --build-dir {root}"


def write_json(path: str | Path, value: Any) -> None:
    """JSON the same bytes for the same value: sorted keys, UTF-8 unescaped, a final newline."""
    atomic_write(path, json_text(value))


def json_text(value: Any) -> str:
    """The text `write_json` writes: the same for the same value.

    >>> print(json_text({"b": 1, "a": "é"}), end="")
    {
      "a": "é",
      "b": 1
    }
    """
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
