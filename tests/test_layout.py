"""Parquet shards written as `datasets` writes them: page index, content-defined chunking, row groups sized for the
dataset viewer, and the same bytes for the same rows however they arrive."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import config as datasets_config

from apt_hub.layout import cdc_options, rows_per_group, splits_on_disk, write_batches, write_split


def shards(root):
    return [root / path for splits in splits_on_disk(root).values() for paths in splits.values() for path in paths]


def test_every_sample_shard_has_the_page_index(samples_build):
    paths = shards(samples_build)
    assert len(paths) == 11  # five configs and four chat twins, dpo and dpo_chat with a test split
    for path in paths:
        metadata = pq.ParquetFile(path).metadata
        for group in range(metadata.num_row_groups):
            for column in range(metadata.num_columns):
                chunk = metadata.row_group(group).column(column)
                assert chunk.has_offset_index and chunk.has_column_index, (path.name, chunk.path_in_schema)


def test_content_defined_chunking_is_on_and_recorded_as_datasets_records_it(samples_build):
    if int(pa.__version__.split(".")[0]) < 21:
        pytest.skip("content-defined chunking needs pyarrow 21")
    assert cdc_options() == datasets_config.DEFAULT_CDC_OPTIONS
    for path in shards(samples_build):
        recorded = pq.ParquetFile(path).metadata.metadata[b"content_defined_chunking"]
        assert json.loads(recorded) == datasets_config.DEFAULT_CDC_OPTIONS


def table(rows: int) -> pa.Table:
    return pa.table({"prompt": [f"question {i} " * (i % 50) for i in range(rows)], "n": list(range(rows))})


def test_same_rows_give_the_same_bytes_however_the_batches_are_cut(tmp_path):
    rows = table(3_000)
    write_split(rows, tmp_path / "a", "sft", "train")
    batches = rows.to_batches(max_chunksize=7)
    write_batches(
        batches, rows.schema, rows=rows.num_rows, nbytes=rows.nbytes, root=tmp_path / "b", config="sft", split="train"
    )
    name = "data/sft/train-00000-of-00001.parquet"
    assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert pq.read_table(tmp_path / "a" / name).equals(rows)


def test_row_groups_follow_the_row_size():
    assert rows_per_group(1_000, 1_000) == 1 << 16  # tiny rows: the cap
    assert rows_per_group(100, 100 << 20) == 128  # 1 MB rows: the floor, a row group of 128 MB at most
    assert rows_per_group(10_000, 10_000 * 2_000) == 16_384  # 2 KB rows: about 32 MB a row group
