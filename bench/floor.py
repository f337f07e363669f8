"""The I/O floors of a build: reading its upstream files and writing its output, converting nothing.

    python -m bench.floor input INPUTS.json OUTPUT_DIR
    python -m bench.floor prepare BUILD_DIR PREPARED_DIR
    python -m bench.floor output INPUTS.json PREPARED_DIR OUTPUT_DIR

`input` reads every upstream file a build reads (pyarrow) and writes its rows to zstd parquet as they are.

`output` reads the same upstream files with pyarrow, then writes exactly the parquet files the build wrote: every
config and twin, each shard with the build's rows, schema, row groups and writer (`apt_hub.layout.parquet_writer`:
zstd, page index, content-defined chunking). The rows come from `prepare`, untimed, which keeps each shard of a
finished build as an uncompressed Arrow file, read back memory-mapped; `check` then compares the files written
with the build's, byte for byte, so that the floor does the build's writing and no more.
"""

import base64
import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pj
import pyarrow.parquet as pq

from apt_hub.layout import parquet_writer

PLAN = "plan.json"


def read_upstream(inputs_file: str):
    """Every upstream file the build reads, as a table; pyarrow decompresses `.gz` by the name."""
    plan = json.loads(Path(inputs_file).read_text())
    for config, splits in plan.items():
        for split, files in splits.items():
            for n, item in enumerate(files):
                path = item["local"]
                yield config, split, n, pq.read_table(path) if path.endswith(".parquet") else pj.read_json(path)


def input_floor(inputs_file: str, output_dir: str) -> None:
    for config, split, n, table in read_upstream(inputs_file):
        out = Path(output_dir) / config / f"{split}-{n:05d}.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, out, compression="zstd")


def prepare(build_dir: str, prepared_dir: str) -> None:
    """Each parquet file of a build as an Arrow file, with its row groups' sizes in `plan.json`."""
    root, prepared = Path(build_dir), Path(prepared_dir)
    plan = {}
    for shard in sorted(root.glob("data/*/*.parquet")):
        name = shard.relative_to(root).as_posix()
        file = pq.ParquetFile(shard)
        table = file.read().cast(written_schema(file))
        arrow = prepared / f"{len(plan):05d}.arrow"
        arrow.parent.mkdir(parents=True, exist_ok=True)
        with pa.OSFile(str(arrow), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        groups = [file.metadata.row_group(i).num_rows for i in range(file.metadata.num_row_groups)]
        plan[name] = {"arrow": arrow.name, "row_groups": groups}
    (prepared / PLAN).write_text(json.dumps(plan, indent=1))


def written_schema(file: pq.ParquetFile) -> pa.Schema:
    """The schema the build wrote a parquet file with (its lists' items named `item`, not parquet's `element`), with
    the metadata it was given, not what the writer adds of its own."""
    stored = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(file.metadata.metadata[b"ARROW:schema"])))
    return stored.with_metadata({k: v for k, v in stored.metadata.items() if k != b"content_defined_chunking"})


def output_floor(inputs_file: str, prepared_dir: str, output_dir: str) -> None:
    for _ in read_upstream(inputs_file):
        pass
    prepared, out = Path(prepared_dir), Path(output_dir)
    for name, shard in json.loads((prepared / PLAN).read_text()).items():
        with pa.memory_map(str(prepared / shard["arrow"])) as source:
            table = pa.ipc.open_file(source).read_all()
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        offset = 0
        with parquet_writer(path, table.schema) as writer:
            for rows in shard["row_groups"]:
                writer.write_table(table.slice(offset, rows), row_group_size=rows)
                offset += rows


def check(build_dir: str, output_dir: str) -> None:
    """The floor wrote the build's parquet files, byte for byte, and no others."""
    built = {p.relative_to(build_dir).as_posix(): p for p in Path(build_dir).glob("data/*/*.parquet")}
    floor = {p.relative_to(output_dir).as_posix(): p for p in Path(output_dir).glob("data/*/*.parquet")}
    if built.keys() != floor.keys():
        raise SystemExit(f"the output floor wrote other files than the build: {sorted(built.keys() ^ floor.keys())}")
    if differ := [name for name in built if built[name].read_bytes() != floor[name].read_bytes()]:
        raise SystemExit(f"the output floor's files differ from the build's: {differ}")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"input": input_floor, "prepare": prepare, "output": output_floor, "check": check}[command](*args)
