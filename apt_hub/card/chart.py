"""The length charts of the dataset card, drawn with matplotlib's Agg backend.

One PNG per config, one panel per text field: for each split, the share of its rows whose field has a length in
each log-spaced bin of characters. Splits are told apart by colour and named in the legend with their row count;
the axes say what is counted. The same counts always give the same bytes: matplotlib's own defaults (not the
user's `matplotlibrc`), its bundled DejaVu font, a fixed size and resolution, and no `Software` or date chunk.
matplotlib is imported only when a chart is drawn: it costs a second or two.
"""

import hashlib
import io
import json
import struct
from pathlib import Path

from ..folder import atomic_write

# Bump when the drawing code changes, so that charts drawn by the old code are drawn again.
CHART_LAYOUT = 1
# The PNG text chunk that records what a chart was drawn from.
INPUT_KEY = "apt-hub:input"
WIDTH_INCHES, PANEL_INCHES, HEADER_INCHES, DPI = 8.0, 2.1, 0.7, 100
# Colour-blind safe (Okabe-Ito), one per split in the order train, test, others.
SPLIT_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
STYLE = {
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#dddddd",
}


def histogram_png(histograms: dict[str, dict[str, list[int]]], edges: list[int], *, title: str = "") -> bytes:
    """One panel per text field: for each split, the share of its rows (in %) per length bin.

    Args:
        histograms: `{field: {split: [rows per bin]}}`, every list as long as `edges` minus one; empty values
            are not in the counts.
        edges: the lower edge of each bin in characters, then the upper edge of the last (log-spaced).
        title: the line above the panels, such as the config's name.

    Returns:
        The PNG bytes, 800 pixels wide; the same arguments always give the same bytes.

    Example:
        >>> histogram_png({"prompt": {"train": [0, 3, 5, 1]}}, [1, 2, 4, 8, 16])[:4]
        b'\\x89PNG'
    """
    import matplotlib
    import matplotlib.style
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.style.context("default"), matplotlib.rc_context(STYLE):
        height = HEADER_INCHES + PANEL_INCHES * len(histograms)
        figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
        FigureCanvasAgg(figure)
        # Fixed margins in inches: a layout engine measures every label and costs seconds per chart.
        figure.subplots_adjust(
            left=0.8 / WIDTH_INCHES,
            right=1 - 0.2 / WIDTH_INCHES,
            top=1 - (HEADER_INCHES - 0.1) / height,
            bottom=0.55 / height,
            hspace=0.45,  # of a panel's height: room for the tick labels above and the next title
        )
        axes = figure.subplots(len(histograms), 1, squeeze=False)[:, 0]
        for ax, (field, splits) in zip(axes, histograms.items(), strict=True):
            _panel(ax, field, splits, edges)
        axes[-1].set_xlabel("characters in the field (log scale; empty values not counted)")
        figure.suptitle(title or "Length of each text field", fontsize=12)
        buffer = io.BytesIO()
        metadata = {"Software": None, INPUT_KEY: chart_digest(histograms, edges, title)}
        figure.savefig(buffer, format="png", dpi=DPI, metadata=metadata)
    return buffer.getvalue()


def write_histogram(
    path: str | Path, histograms: dict[str, dict[str, list[int]]], edges: list[int], *, title: str = ""
) -> Path:
    """Write `histogram_png(histograms, edges, title=title)` to `path`; returns the path.

    A chart already drawn from the same numbers (its `INPUT_KEY` text chunk says so) is left as it is: drawing
    costs about a second, and a re-render of an unchanged config should cost nothing.
    """
    path = Path(path)
    digest = chart_digest(histograms, edges, title)
    if path.is_file() and png_text(path.read_bytes()).get(INPUT_KEY) == digest:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, histogram_png(histograms, edges, title=title))
    return path


def chart_digest(histograms: dict[str, dict[str, list[int]]], edges: list[int], title: str) -> str:
    """A digest of what a chart shows and of the code that draws it (matplotlib's version included)."""
    from importlib.metadata import version

    payload = [CHART_LAYOUT, version("matplotlib"), histograms, edges, title]
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


def _panel(ax, field: str, splits: dict[str, list[int]], edges: list[int]) -> None:
    """One field: a filled outline per split, so an overlapping split still shows through."""
    from matplotlib.ticker import NullLocator

    for index, (split, counts) in enumerate(splits.items()):
        total = sum(counts)
        shares = [100 * count / total if total else 0.0 for count in counts]
        color = SPLIT_COLORS[index % len(SPLIT_COLORS)]
        ax.stairs(shares, edges, fill=True, alpha=0.25, color=color)
        ax.stairs(shares, edges, linewidth=1.6, color=color, label=f"{split}: {total:,} rows")
    ax.set_xscale("log")
    ax.set_xlim(edges[0], edges[-1])
    ax.xaxis.set_major_formatter(lambda value, _: _tick(value))
    ax.xaxis.set_minor_locator(NullLocator())  # unlabelled anyway, and a tick object each: slow to draw
    ax.set_ylim(bottom=0)
    ax.set_title(f"{field}", loc="left", fontsize=10, fontweight="bold")
    ax.set_ylabel("% of the split's rows")
    ax.legend(loc="upper right", frameon=False, fontsize=9)


def _tick(value: float) -> str:
    """`1`, `10`, `100`, `1K`, `10K`, `100K`, `1M`: plain numbers a reader takes in without reading exponents.

    >>> [_tick(v) for v in (1, 100, 1000, 250_000, 1e6)]
    ['1', '100', '1K', '250K', '1M']
    """
    for factor, suffix in ((1_000_000, "M"), (1_000, "K")):
        if value >= factor:
            return f"{value / factor:g}{suffix}"
    return f"{value:g}"
