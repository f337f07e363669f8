"""Small length-histogram PNGs for the dataset card, drawn and encoded with the standard library only.

The same counts always give the same bytes: no timestamp chunk, fixed compression level, fixed palette. Text is
drawn with a 3x5 pixel font (capitals, digits and a few signs), enough for field names and axis ticks.
"""

import struct
import zlib
from pathlib import Path

from .folder import atomic_write

Color = tuple[int, int, int]

WHITE, INK, GRID = (255, 255, 255), (60, 60, 60), (225, 225, 225)
BARS: tuple[Color, ...] = ((66, 133, 244), (219, 68, 55), (244, 160, 0), (15, 157, 88), (171, 71, 188))
SCALE = 2  # pixels per font pixel
BAR_WIDTH, PANEL_HEIGHT, LEFT = 14, 56, 24
# title, gap, bars, tick marks and labels, gap
PANEL_SPAN = 5 * SCALE + 4 + PANEL_HEIGHT + 6 + 5 * SCALE + 10

_FONT = {
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
    "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001010010010",
    "8": "111101111101111", "9": "111101111001111", "A": "010101111101101", "B": "110101110101110",
    "C": "011100100100011", "D": "110101101101110", "E": "111100110100111", "F": "111100110100100",
    "G": "011100101101011", "H": "101101111101101", "I": "111010010010111", "J": "001001001101010",
    "K": "101101110101101", "L": "100100100100111", "M": "101111111101101", "N": "110101101101101",
    "O": "010101101101010", "P": "110101110100100", "Q": "010101101110011", "R": "110101110101101",
    "S": "011100010001110", "T": "111010010010010", "U": "101101101101111", "V": "101101101101010",
    "W": "101101111111101", "X": "101101010101101", "Y": "101101010010010", "Z": "111001010100111",
    " ": "000000000000000", "_": "000000000000111", "-": "000000111000000", ".": "000000000000010",
    ":": "000010000010000", "/": "001001010100100", "<": "001010100010001", ">": "100010001010100",
}  # fmt: skip


class Canvas:
    """An RGB image held as rows of bytearrays."""

    def __init__(self, width: int, height: int, background: Color = WHITE):
        self.width, self.height = width, height
        self.rows = [bytearray(bytes(background) * width) for _ in range(height)]

    def fill(self, x: int, y: int, w: int, h: int, color: Color) -> None:
        """Paint the rectangle at `(x, y)` of size `w` x `h`, clipped to the canvas."""
        x0, x1 = max(0, x), min(self.width, x + w)
        for row in self.rows[max(0, y) : min(self.height, y + h)]:
            row[3 * x0 : 3 * x1] = bytes(color) * max(0, x1 - x0)

    def text(self, x: int, y: int, text: str, color: Color = INK) -> int:
        """Draw `text` (upper-cased; unknown characters as blanks) with its top left at `(x, y)`; returns the end x."""
        for char in text.upper():
            glyph = _FONT.get(char, _FONT[" "])
            for i, bit in enumerate(glyph):
                if bit == "1":
                    self.fill(x + (i % 3) * SCALE, y + (i // 3) * SCALE, SCALE, SCALE, color)
            x += 4 * SCALE
        return x

    def png(self) -> bytes:
        """The image as PNG bytes (8-bit RGB, no ancillary chunks)."""
        raw = b"".join(b"\x00" + bytes(row) for row in self.rows)
        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw, 9))
            + _chunk(b"IEND", b"")
        )


def text_width(text: str) -> int:
    return len(text) * 4 * SCALE


def histogram_png(histograms: dict[str, list[int]], edges: list[int]) -> bytes:
    """One panel per field: rows per length bin (log-spaced characters), ticks at each power of ten.

    Args:
        histograms: `{field: [rows per bin]}`, every list as long as `edges` minus one.
        edges: the lower edge of each bin in characters, then the upper edge of the last.

    Returns:
        The PNG bytes; the same arguments always give the same bytes.

    Example:
        >>> histogram_png({"prompt": [0, 3, 5, 1]}, [1, 2, 4, 8, 16])[:4]
        b'\\x89PNG'
    """
    bins = len(edges) - 1
    width = LEFT + bins * BAR_WIDTH + 16
    height = len(histograms) * PANEL_SPAN + 4
    canvas = Canvas(width, height)
    y = 4
    for index, (field, counts) in enumerate(histograms.items()):
        _panel(canvas, y, field, counts, edges, BARS[index % len(BARS)])
        y += PANEL_SPAN
    return canvas.png()


def write_histogram(path: str | Path, histograms: dict[str, list[int]], edges: list[int]) -> Path:
    """Write `histogram_png(histograms, edges)` to `path`; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, histogram_png(histograms, edges))


def _panel(canvas: Canvas, y: int, field: str, counts: list[int], edges: list[int], color: Color) -> None:
    top = y + 5 * SCALE + 4
    peak = max(counts) or 1
    canvas.text(LEFT, y, f"{field} chars")
    label = f"max {peak}"
    canvas.text(canvas.width - 8 - text_width(label), y, label)
    canvas.fill(LEFT, top, len(counts) * BAR_WIDTH, PANEL_HEIGHT, GRID)
    for i, count in enumerate(counts):
        bar = round(PANEL_HEIGHT * count / peak)
        if count and not bar:
            bar = 1  # a bin with rows is never invisible
        canvas.fill(LEFT + i * BAR_WIDTH + 1, top + PANEL_HEIGHT - bar, BAR_WIDTH - 2, bar, color)
    canvas.fill(LEFT, top + PANEL_HEIGHT, len(counts) * BAR_WIDTH, 1, INK)
    for i, edge in enumerate(edges):
        if i < len(edges) - 1 and _is_power_of_ten(edge):
            x = LEFT + i * BAR_WIDTH
            canvas.fill(x, top + PANEL_HEIGHT, 1, 4, INK)
            canvas.text(x - text_width(_tick(edge)) // 2, top + PANEL_HEIGHT + 6, _tick(edge))


def _is_power_of_ten(n: int) -> bool:
    return n > 0 and str(n).strip("0") == "1"


def _tick(n: int) -> str:
    """`1`, `10`, `100`, `1K`, `10K`, `100K`, `1M`."""
    for factor, suffix in ((1_000_000, "M"), (1_000, "K")):
        if n >= factor:
            return f"{n // factor}{suffix}"
    return str(n)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
