"""`apt-hub build` without the card it writes at the end: the builder's conversion and the parquet shards only.

    python -m bench.convert_only UPSTREAM_DIR OUTPUT_DIR

It separates the cost of converting rows (builders/apt.py, apt_hub/convert.py) from the cost of the statistics
and histograms of the card (apt_hub/stats.py, apt_hub/card.py) in the benchmark.
"""

import sys

from apt_hub.layout import write_split
from apt_hub.schemas import CONFIG_NAMES
from builders.apt import Apt


def main(upstream: str, output_dir: str) -> None:
    for name in CONFIG_NAMES:
        if name == "loyalty":
            continue
        builder = Apt(config_name=name, upstream=upstream)
        builder.download_and_prepare()
        for split in builder.info.splits:
            write_split(builder.as_dataset(split=split).data.table, output_dir, name, split)


if __name__ == "__main__":
    main(*sys.argv[1:])
