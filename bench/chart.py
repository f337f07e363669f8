"""The card's length charts alone: how long `histogram_png` takes on the numbers of a real build.

python -m bench.chart BUILD_DIR [REPEAT]

Prints the first chart's time (the drawing library's import and the fonts' loading included), then the median
time of each config's chart over REPEAT draws (5 by default) and their sum: what a build of every config spends
on its charts.
"""

import json
import statistics
import sys
import time
from pathlib import Path

from apt_hub.card import chart_inputs
from apt_hub.card.chart import histogram_png


def main(root: str, repeat: int = 5) -> None:
    stats = json.loads((Path(root) / "stats.json").read_text(encoding="utf-8"))
    inputs, edges = chart_inputs(stats), stats["histogram_bins"]
    start = time.perf_counter()
    histogram_png(inputs[0][1], edges, title=inputs[0][2])
    print(f"first chart, imports included: {time.perf_counter() - start:.3f} s")
    total = 0.0
    for config, histograms, title in inputs:
        times = []
        for _ in range(int(repeat)):
            start = time.perf_counter()
            histogram_png(histograms, edges, title=title)
            times.append(time.perf_counter() - start)
        total += statistics.median(times)
        print(f"{config}: {statistics.median(times):.3f} s ({len(histograms)} panels)")
    print(f"all charts: {total:.3f} s")


if __name__ == "__main__":
    main(*sys.argv[1:])
