"""What content-defined chunking buys on the Hub: how much of a shard is already stored after one row is inserted.

    .venv/bin/python -m bench.parquet_dedup [--rows 50000]

Writes the same synthetic rows twice, the second time with one row inserted in the middle, once with plain parquet
and once with the options of `apt_hub.layout.parquet_writer` (page index, content-defined chunking). The Hub's
storage cuts files into content-defined blocks and stores a block once; a rolling hash over the bytes stands in
for its chunker here, so the share of blocks of the new file already stored estimates what an upload would skip.
"""

import argparse
import hashlib
import io
import random
import time

import pyarrow as pa
import pyarrow.parquet as pq

from apt_hub.layout import cdc_options, parquet_writer, rows_per_group


def synthetic(rows: int, seed: int = 0) -> list[str]:
    """Texts of 20 to 400 words drawn from a 5,000-word vocabulary."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(5000)]
    return [" ".join(rng.choices(words, k=rng.randint(20, 400))) for _ in range(rows)]


def parquet_bytes(table: pa.Table, *, plain: bool) -> tuple[bytes, float]:
    """The file and the seconds its writing took, row groups sized as apt-hub sizes them; `plain` leaves out the
    page index and content-defined chunking."""
    sink, start = io.BytesIO(), time.perf_counter()
    writer = pq.ParquetWriter(sink, table.schema, compression="zstd") if plain else parquet_writer(sink, table.schema)
    with writer:
        writer.write_table(table, row_group_size=rows_per_group(table.num_rows, table.nbytes))
    return sink.getvalue(), time.perf_counter() - start


def blocks(data: bytes, mask: int = 0x1FFF, minimum: int = 2048) -> set[bytes]:
    """Digests of content-defined blocks of about 8 KB: a cut where a rolling hash of the bytes hits the mask."""
    found, start, rolling = set(), 0, 0
    for index, byte in enumerate(data):
        rolling = ((rolling << 1) + byte) & 0xFFFFFFFF
        if rolling & mask == 0 and index - start > minimum:
            found.add(hashlib.sha1(data[start:index]).digest())
            start = index
    found.add(hashlib.sha1(data[start:]).digest())
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    rows = parser.parse_args().rows
    texts = synthetic(rows)
    before = pa.table({"prompt": texts, "n": list(range(rows))})
    middle = rows // 2
    inserted = [*texts[:middle], "an inserted row " * 30, *texts[middle:]]
    after = pa.table({"prompt": inserted, "n": list(range(rows + 1))})
    for name, plain in (("plain", True), (f"page index, chunking {cdc_options()}", False)):
        old, seconds = parquet_bytes(before, plain=plain)
        new, _ = parquet_bytes(after, plain=plain)
        stored, sent = blocks(old), blocks(new)
        print(
            f"{name}: {len(old):,} bytes, written in {seconds:.2f} s; after one inserted row, "
            f"{len(sent & stored):,} of {len(sent):,} blocks ({len(sent & stored) / len(sent):.0%}) already stored"
        )


if __name__ == "__main__":
    main()
