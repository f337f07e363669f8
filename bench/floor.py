"""The I/O floor: read the upstream files a build reads and write their rows to parquet, converting nothing.

python -m bench.floor INPUTS.json OUTPUT_DIR
"""

import json
import sys
from pathlib import Path

import pyarrow.json as pj
import pyarrow.parquet as pq


def main(inputs_file: str, output_dir: str) -> None:
    plan = json.loads(Path(inputs_file).read_text())
    for config, splits in plan.items():
        for split, files in splits.items():
            for n, item in enumerate(files):
                path = item["local"]
                table = pq.read_table(path) if path.endswith(".parquet") else pj.read_json(path)
                out = Path(output_dir) / config / f"{split}-{n:05d}.parquet"
                out.parent.mkdir(parents=True, exist_ok=True)
                pq.write_table(table, out, compression="zstd")


if __name__ == "__main__":
    main(*sys.argv[1:])
