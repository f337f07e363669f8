"""The card's length charts: the same counts give the same bytes, in any process; the pixels show each split's
share of rows per length bin; the counts they draw are per split."""

import hashlib
import io
import os
import struct
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from PIL import Image, ImageDraw, ImageFont

from apt_hub.card.chart import (
    AXES_BOTTOM,
    AXES_TOP,
    FONTS,
    GRID,
    INPUT_KEY,
    LEFT,
    RIGHT,
    SPLIT_COLORS,
    TOP,
    chart_digest,
    histogram_png,
    png_text,
    write_histogram,
)
from apt_hub.layout import splits_on_disk
from apt_hub.stats import compute_stats, histogram_edges

COUNTS = {
    "prompt": {"train": [0, 3, 5, 1, 0], "test": [1, 1, 2, 0, 0]},
    "response": {"train": [0, 0, 2, 6, 1], "test": [0, 1, 1, 1, 1]},
}
EDGES = [1, 2, 4, 8, 16, 32]
# Pillow 13.0 (pinned to that minor version in pyproject.toml: its FreeType and zlib) with the bundled DejaVu Sans.
PINNED_SHA256 = "21b92d7f2ce16720b3d006e200f41656f20e683097e3e25b42f91cdd90e6f249"
SCRIPT = (
    "import hashlib, sys; from apt_hub.card.chart import histogram_png; from tests.test_chart import COUNTS, EDGES; "
    "digest = hashlib.sha256(histogram_png(COUNTS, EDGES, title='pinned')).hexdigest(); "
    "sys.stdout.write(digest + ' ' + str(sorted(m for m in sys.modules if m.startswith('matplotlib'))))"
)


def test_a_chart_has_pinned_bytes():
    assert hashlib.sha256(histogram_png(COUNTS, EDGES, title="pinned")).hexdigest() == PINNED_SHA256


def test_the_bytes_are_the_same_in_another_process_that_imports_no_plotting_library():
    """Another hash seed (the order of sets and dicts of strings) gives the same bytes; drawing a chart does not
    pay for importing matplotlib."""
    env = os.environ | {"PYTHONHASHSEED": "123"}
    root = Path(__file__).parents[1]
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{PINNED_SHA256} []"


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


def test_each_split_is_drawn_in_its_colour_up_to_its_share_of_rows():
    """`train` has all its 8 rows in the third bin, `test` a quarter of its 4 in each: read back from the pixels of
    the column in the middle of a bin, the first coloured pixel from the top is the split whose bar is highest
    there, at the height of its share of its own rows (the y axis ends 5% above the highest share). The legend
    covers the top of the last bin."""
    edges = [1, 10, 100, 1_000, 10_000]  # four bins of the same width on the log axis
    data = histogram_png({"prompt": {"train": [0, 0, 8, 0], "test": [1, 1, 1, 1]}}, edges)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    top, bottom = TOP + AXES_TOP, TOP + AXES_BOTTOM
    train, test = (tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in SPLIT_COLORS[:2])

    def first_coloured(bin_: int) -> tuple[int, tuple[int, int, int]]:
        x = round(LEFT + (bin_ + 0.5) * (RIGHT - LEFT) / 4)
        y = next(y for y in range(top, bottom) if image.getpixel((x, y)) not in {(255, 255, 255), GRID})
        return y, image.getpixel((x, y))

    def height_of(share: float) -> float:
        return bottom - share / 105 * (bottom - top)

    y, colour = first_coloured(2)
    assert colour == train and abs(y - height_of(100)) <= 2
    for bin_ in (0, 1):
        y, colour = first_coloured(bin_)
        assert colour == test and abs(y - height_of(25)) <= 2, bin_
    x = round(LEFT + 2.5 * (RIGHT - LEFT) / 4)
    under = image.getpixel((x, round(height_of(60))))
    assert under not in {train, test, (255, 255, 255)}  # a translucent fill, not an empty bar


@pytest.mark.parametrize("name", ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"])
def test_the_bundled_font_draws_every_latin_character(name):
    """The bundled font is a subset: a character outside it is drawn as the box of a missing glyph."""
    font = ImageFont.truetype(FONTS / name, 14)

    def drawn(character: str) -> bytes:
        image = Image.new("L", (20, 20))
        ImageDraw.Draw(image).text((2, 2), character, font=font, fill=255)
        return image.tobytes()

    missing = drawn("\u4e2d")  # a Chinese character: never in the subset
    characters = [chr(c) for c in [*range(0x21, 0x7F), *range(0xA1, 0x180)]] + list("‘’“”–—…")
    assert sum(missing) > 0
    assert [c for c in characters if drawn(c) == missing] == []
