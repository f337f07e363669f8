"""A bare polars scan of a build folder, the reference of `apt-hub stats`: rows and text lengths per split file.

python -m bench.scan BUILD_DIR
"""

import sys
from pathlib import Path

import polars as pl


def main(root: str) -> None:
    for path in sorted(Path(root).glob("data/*/*.parquet")):
        frame = pl.scan_parquet(path)
        text = [name for name, dtype in frame.collect_schema().items() if dtype == pl.String]
        lengths = [pl.col(name).str.len_chars().mean().alias(name) for name in text]
        print(path.name, frame.select(pl.len(), *lengths).collect(engine="streaming").row(0))


if __name__ == "__main__":
    main(*sys.argv[1:])
