"""The card's length charts: the same counts give the same bytes, in any process and whatever the user's
matplotlib settings; the counts they draw are per split."""

import hashlib
import os
import struct
import subprocess
import sys
from pathlib import Path

import polars as pl

from apt_hub.card.chart import INPUT_KEY, chart_digest, histogram_png, png_text, write_histogram
from apt_hub.layout import splits_on_disk
from apt_hub.stats import compute_stats, histogram_edges

COUNTS = {
    "prompt": {"train": [0, 3, 5, 1, 0], "test": [1, 1, 2, 0, 0]},
    "response": {"train": [0, 0, 2, 6, 1], "test": [0, 1, 1, 1, 1]},
}
EDGES = [1, 2, 4, 8, 16, 32]
# matplotlib 3.11 (pinned to that minor version in pyproject.toml) with its bundled DejaVu Sans.
PINNED_SHA256 = "2caa6fabdc0bb15156f963eb7aa717cdb6298f4f6594cdfc6ed54656f8ef00c2"
SCRIPT = (
    "import hashlib, sys; from apt_hub.card.chart import histogram_png; from tests.test_chart import COUNTS, EDGES; "
    "sys.stdout.write(hashlib.sha256(histogram_png(COUNTS, EDGES, title='pinned')).hexdigest())"
)


def test_a_chart_has_pinned_bytes():
    assert hashlib.sha256(histogram_png(COUNTS, EDGES, title="pinned")).hexdigest() == PINNED_SHA256


def test_the_bytes_are_the_same_in_another_process_with_other_user_settings(tmp_path):
    """A user's matplotlibrc (another font size, style, DPI) must not reach the card's charts."""
    (tmp_path / "matplotlibrc").write_text("font.size: 17\nsavefig.dpi: 300\naxes.grid: False\n", encoding="utf-8")
    env = os.environ | {"MPLCONFIGDIR": str(tmp_path), "PYTHONHASHSEED": "123"}
    root = Path(__file__).parents[1]
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == PINNED_SHA256


def test_what_is_drawn_changes_the_bytes_and_the_size():
    one_split = {field: {"train": splits["train"]} for field, splits in COUNTS.items()}
    assert histogram_png(one_split, EDGES) != histogram_png(COUNTS, EDGES)
    data = histogram_png({"prompt": COUNTS["prompt"]}, EDGES)
    assert struct.unpack(">II", data[16:24]) == (800, 280)  # 0.7 inch of title and axis label, one 2.1 inch panel


def test_stats_keep_a_histogram_per_split_counting_its_non_empty_values(samples_build):
    stats = compute_stats(samples_build)
    dpo = stats["configs"]["dpo"]
    assert len(histogram_edges()) == len(dpo["splits"]["train"]["histograms"]["prompt"]) + 1
    for split, paths in splits_on_disk(samples_build)["dpo"].items():
        frame = pl.read_parquet([samples_build / p for p in paths])
        for field in dpo["text_fields"]:
            non_empty = frame.filter(pl.col(field).str.len_chars() > 0).height
            assert sum(dpo["splits"][split]["histograms"][field]) == non_empty, (split, field)


def test_a_chart_drawn_from_the_same_numbers_is_not_drawn_again(tmp_path):
    path = write_histogram(tmp_path / "lengths-x.png", COUNTS, EDGES, title="pinned")
    assert png_text(path.read_bytes())[INPUT_KEY] == chart_digest(COUNTS, EDGES, "pinned")
    path.write_bytes(path.read_bytes() + b"marker")  # a redrawn chart would lose it
    write_histogram(path, COUNTS, EDGES, title="pinned")
    assert path.read_bytes().endswith(b"marker")
    write_histogram(path, COUNTS, EDGES, title="another title")
    assert not path.read_bytes().endswith(b"marker")
    assert path.read_bytes() == histogram_png(COUNTS, EDGES, title="another title")
