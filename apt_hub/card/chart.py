"""The length charts of the dataset card, drawn with Pillow.

One PNG per config, one panel per text field: for each split, the share of its rows whose field has a length in
each log-spaced bin of characters. Splits are told apart by colour and named in the legend with their row count;
the axes say what is counted. A chart is made of axis-aligned rectangles and text only, so it is drawn directly
in pixels: no plotting library to import (matplotlib cost about a second to import and half a second a chart).

The same counts always give the same bytes: a fixed size, DejaVu Sans from `fonts/`, FreeType's basic layout (raqm,
present on some installs only, would place glyphs differently) and no `Software` or date chunk. The bytes depend on
the FreeType and zlib that Pillow bundles, so Pillow's version is part of a chart's digest. The fonts are a Latin
subset of DejaVu Sans 2.35 and its bold face, made with `pyftsubset DejaVuSans.ttf --notdef-outline
--unicodes=U+0020-007E,U+00A0-017F,U+2010-2027,U+2030-203A,U+2212` (a missing character is drawn as a box).
"""

import hashlib
import io
import json
import math
import struct
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..folder import atomic_write

if TYPE_CHECKING:  # Pillow is imported when a chart is drawn, not by every command that imports the card
    from PIL import Image, ImageDraw, ImageFont

# Bump when the drawing code changes, so that charts drawn by the old code are drawn again.
CHART_LAYOUT = 2
# The PNG text chunk that records what a chart was drawn from.
INPUT_KEY = "apt-hub:input"
FONTS = Path(__file__).parent / "fonts"
# Pixels: the header holds the title above the panels and the axis label below them.
WIDTH, PANEL_HEIGHT, TOP, BOTTOM, DPI = 800, 210, 40, 30, 100
LEFT, RIGHT = 80, 776  # the x axis, from the first edge to the last
AXES_TOP, AXES_BOTTOM = 24, 178  # of the plotting area, from the top of a panel's band
# Font sizes in pixels: 10, 9 and 12 points at 100 dots per inch.
TEXT, SMALL, BIG = 14, 12, 17
# Colour-blind safe (Okabe-Ito), one per split in the order train, test, others.
SPLIT_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
FILL_ALPHA = 64  # a quarter: an overlapping split still shows through
INK, GRID = (0, 0, 0), (221, 221, 221)
LINE = 2  # the width of a split's outline
TICK = 5  # the length of a tick mark, outside the axes


def histogram_png(histograms: dict[str, dict[str, list[int]]], edges: list[int], *, title: str = "") -> bytes:
    """One panel per text field: for each split, the share of its rows (in %) per length bin.

    Args:
        histograms: `{field: {split: [rows per bin]}}`, every list as long as `edges` minus one; empty values
            are not in the counts.
        edges: the lower edge of each bin in characters, then the upper edge of the last (log-spaced, from 1).
        title: the line above the panels, such as the config's name.

    Returns:
        The PNG bytes, 800 pixels wide and 70 + 210 per field high; the same arguments always give the same bytes.

    Example:
        >>> histogram_png({"prompt": {"train": [0, 3, 5, 1]}}, [1, 2, 4, 8, 16])[:4]
        b'\\x89PNG'
    """
    from PIL import Image, ImageDraw
    from PIL.PngImagePlugin import PngInfo

    height = TOP + PANEL_HEIGHT * len(histograms) + BOTTOM
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image, "RGBA")  # RGBA colours blend into the white image: the fills' transparency
    draw.text((WIDTH / 2, 24), title or "Length of each text field", font=_font(BIG), fill=INK, anchor="ms")
    for index, (field, splits) in enumerate(histograms.items()):
        _panel(image, draw, TOP + index * PANEL_HEIGHT, field, splits, edges)
    label = "characters in the field (log scale; empty values not counted)"
    draw.text(((LEFT + RIGHT) / 2, height - 10), label, font=_font(TEXT), fill=INK, anchor="ms")
    info = PngInfo()
    info.add_text(INPUT_KEY, chart_digest(histograms, edges, title))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info, dpi=(DPI, DPI))
    return buffer.getvalue()


def write_histogram(
    path: str | Path, histograms: dict[str, dict[str, list[int]]], edges: list[int], *, title: str = ""
) -> Path:
    """Write `histogram_png(histograms, edges, title=title)` to `path`; returns the path.

    A chart already drawn from the same numbers (its `INPUT_KEY` text chunk says so) is left as it is: a re-render
    of an unchanged config should not even rewrite its files.
    """
    path = Path(path)
    digest = chart_digest(histograms, edges, title)
    if path.is_file() and png_text(path.read_bytes()).get(INPUT_KEY) == digest:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, histogram_png(histograms, edges, title=title))
    return path


def chart_digest(histograms: dict[str, dict[str, list[int]]], edges: list[int], title: str) -> str:
    """A digest of what a chart shows and of the code that draws it (Pillow's version included)."""
    import PIL

    payload = [CHART_LAYOUT, PIL.__version__, histograms, edges, title]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def png_text(data: bytes) -> dict[str, str]:
    """The `tEXt` chunks of a PNG, read up to its first image data.

    >>> sorted(png_text(histogram_png({"a": {"train": [1]}}, [1, 10])))
    ['apt-hub:input']
    """
    found, position = {}, 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        if kind == b"IDAT":
            break
        if kind == b"tEXt":
            key, _, value = data[position + 8 : position + 8 + length].partition(b"\0")
            found[key.decode("latin-1")] = value.decode("latin-1")
        position += 12 + length
    return found


def _panel(
    image: "Image.Image",
    draw: "ImageDraw.ImageDraw",
    band: int,
    field: str,
    splits: dict[str, list[int]],
    edges: list[int],
) -> None:
    """One field: grid and axes, then a filled outline per split (fill first, so the outline stays crisp)."""
    top, bottom = band + AXES_TOP, band + AXES_BOTTOM
    shares = {split: _shares(counts) for split, counts in splits.items()}
    peak = max((max(values, default=0) for values in shares.values()), default=0)
    ticks = _y_ticks(peak)
    y_max = peak * 1.05 or ticks[-1]  # 5% of headroom above the highest bar

    def y(share: float) -> int:
        return round(bottom - share / y_max * (bottom - top))

    xs = [_x(edge, edges) for edge in edges]
    for value in ticks:
        draw.rectangle((LEFT, y(value), RIGHT, y(value)), fill=GRID)
    for index, values in enumerate(shares.values()):
        _stairs(draw, xs, [y(v) for v in values], bottom, SPLIT_COLORS[index % len(SPLIT_COLORS)])
    _axes(image, draw, top, bottom, edges, {y(v): f"{v:g}" for v in ticks})
    draw.text((LEFT, top - 6), field, font=_font(TEXT, bold=True), fill=INK, anchor="ls")
    _legend(draw, top, {split: sum(counts) for split, counts in splits.items()})


def _stairs(draw: "ImageDraw.ImageDraw", xs: list[int], ys: list[int], bottom: int, color: str) -> None:
    """A split's bars as one outline: a translucent fill under a step line that drops to the axis at both ends."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    for left, right, y in zip(xs, xs[1:], ys, strict=False):
        if y < bottom:
            draw.rectangle((left, y, right - 1, bottom - 1), fill=(red, green, blue, FILL_ALPHA))
    heights = [bottom, *ys, bottom]
    half = LINE // 2
    for index, x in enumerate(xs):
        before, after = heights[index], heights[index + 1]
        draw.rectangle((x - half, min(before, after) - half, x + half - 1, max(before, after)), fill=color)
    for left, right, y in zip(xs, xs[1:], ys, strict=False):
        draw.rectangle((left - half, y - half, right + half - 1, y + half - 1), fill=color)


def _axes(
    image: "Image.Image",
    draw: "ImageDraw.ImageDraw",
    top: int,
    bottom: int,
    edges: list[int],
    y_labels: dict[int, str],
) -> None:
    """The left and bottom spines, their ticks and labels, and the y axis's title turned upright."""
    draw.rectangle((LEFT - 1, top, LEFT - 1, bottom), fill=INK)
    draw.rectangle((LEFT - 1, bottom, RIGHT, bottom), fill=INK)
    font = _font(TEXT)
    for y, label in y_labels.items():
        draw.rectangle((LEFT - 1 - TICK, y, LEFT - 1, y), fill=INK)
        draw.text((LEFT - TICK - 4, y), label, font=font, fill=INK, anchor="rm")
    for value in _decades(edges):
        x = _x(value, edges)
        draw.rectangle((x, bottom, x, bottom + TICK), fill=INK)
        draw.text((x, bottom + TICK + 3), _tick(value), font=font, fill=INK, anchor="mt")
    _upright_text(image, "% of the split's rows", (24, (top + bottom) // 2), font)


def _legend(draw: "ImageDraw.ImageDraw", top: int, totals: dict[str, int]) -> None:
    """The splits with their row counts, a line of each split's colour before its name, at the top right."""
    font = _font(SMALL)
    labels = [f"{split}: {total:,} rows" for split, total in totals.items()]
    widest = max((font.getlength(label) for label in labels), default=0)
    start = round(RIGHT - 8 - widest - 34)
    for index, label in enumerate(labels):
        y = top + 14 + 20 * index
        color = SPLIT_COLORS[index % len(SPLIT_COLORS)]
        draw.rectangle((start, y - 1, start + 24, y), fill=color)
        draw.text((start + 34, y), label, font=font, fill=INK, anchor="lm")


def _upright_text(image: "Image.Image", text: str, center: tuple[int, int], font: "ImageFont.FreeTypeFont") -> None:
    """Text read from bottom to top, centred on `center`: drawn flat on a mask, then turned a quarter."""
    from PIL import Image, ImageDraw

    left, top, right, bottom = font.getbbox(text, anchor="ls")
    mask = Image.new("L", (int(right - left), int(bottom - top)))
    ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=255, anchor="ls")
    mask = mask.transpose(Image.Transpose.ROTATE_90)
    corner = (center[0] - mask.width // 2, center[1] - mask.height // 2)
    image.paste(INK, (*corner, corner[0] + mask.width, corner[1] + mask.height), mask)


@cache
def _font(size: int, bold: bool = False) -> "ImageFont.FreeTypeFont":
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(FONTS / name, size, layout_engine=ImageFont.Layout.BASIC)


def _shares(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [100 * count / total if total else 0.0 for count in counts]


def _x(value: float, edges: list[int]) -> int:
    """The pixel column of a length on the log-scaled x axis."""
    low, high = math.log10(edges[0]), math.log10(edges[-1])
    return round(LEFT + (math.log10(value) - low) / ((high - low) or 1) * (RIGHT - LEFT))


def _decades(edges: list[int]) -> list[int]:
    """The powers of ten between the first and the last edge: the labelled ticks of the x axis.

    >>> _decades([1, 2, 4, 1000]), _decades([3, 50])
    ([1, 10, 100, 1000], [10])
    """
    first, last = math.ceil(math.log10(edges[0]) - 1e-9), math.floor(math.log10(edges[-1]) + 1e-9)
    return [10**power for power in range(first, last + 1)]


def _y_ticks(peak: float) -> list[float]:
    """Round shares from 0 up to `peak` plus 5%: at most six ticks, 1, 2, 2.5 or 5 times a power of ten apart.

    >>> [" ".join(f"{v:g}" for v in _y_ticks(peak)) for peak in (33.2, 24.3, 63.0, 2.9, 0.0)]
    ['0 10 20 30', '0 5 10 15 20 25', '0 20 40 60', '0 1 2 3', '0 1']
    """
    if peak <= 0:
        return [0.0, 1.0]
    top = peak * 1.05
    power = 10.0 ** math.floor(math.log10(top / 6))
    step = next(power * m for m in (1, 2, 2.5, 5, 10) if top / (power * m) < 6)
    return [step * i for i in range(int(top / step + 1e-9) + 1)]


def _tick(value: float) -> str:
    """`1`, `10`, `100`, `1K`, `10K`, `100K`, `1M`: plain numbers a reader takes in without reading exponents.

    >>> [_tick(v) for v in (1, 100, 1000, 250_000, 1e6)]
    ['1', '100', '1K', '250K', '1M']
    """
    for factor, suffix in ((1_000_000, "M"), (1_000, "K")):
        if value >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"
