"""`apt-hub build` without the card it writes at the end: the builder's conversion and the parquet shards only.

    python -m bench.convert_only UPSTREAM_DIR OUTPUT_DIR

It runs the same `apt_hub.build.build` as the command, with the card step left out, to separate the cost of
converting rows (apt_hub/pipeline.py, apt_hub/convert.py, apt_hub/layout.py) from the cost of the statistics and
histograms of the card (apt_hub/stats.py, apt_hub/card/__init__.py).
"""

import sys

from apt_hub import build as build_module


def main(upstream: str, output_dir: str) -> None:
    build_module.write_card = lambda root, stats: None
    build_module.build(upstream=upstream, output_dir=output_dir)


if __name__ == "__main__":
    main(*sys.argv[1:])
