"""`apt-hub build` with the quality checks turned off: the baseline that says what the checks cost.

    python -m bench.no_checks UPSTREAM_DIR OUTPUT_DIR

It runs the same `apt_hub.build.build` as the command, with the row checks a no-op and the pass over whole splits
(duplicates, test overlap, prefix pairs) skipped, as `bench.quality` does; `stats` then measures the texts
while the shards are written, so the build still normalises every text once.
"""

import sys

from apt_hub.build import build
from bench.quality import without_checks


def main(upstream: str, output_dir: str) -> None:
    with without_checks():
        build(upstream=upstream, output_dir=output_dir)


if __name__ == "__main__":
    main(*sys.argv[1:])
