"""Progress bars for long steps, shown only when stderr is a terminal.

Logs, CI and pipes get no bars at all, neither ours nor those of `datasets` and `huggingface_hub`: a bar redrawn
into a file is only noise.
"""

import contextlib
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def interactive(stream: IO[str] | None = None) -> bool:
    """Whether `stream` (default: stderr) is a terminal."""
    stream = stream if stream is not None else sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def bar(iterable: Iterable[T], *, desc: str, total: int | None = None, unit: str = "it", **kwargs: Any) -> tqdm:
    """A tqdm bar over `iterable` that is disabled when stderr is not a terminal; it vanishes when done.

    Example:
        >>> for path in bar(["a.jsonl", "b.jsonl"], desc="Reading", unit="file"):
        ...     pass
    """
    file = kwargs.pop("file", sys.stderr)
    return tqdm(
        iterable, desc=desc, total=total, unit=unit, leave=False, file=file, disable=not interactive(file), **kwargs
    )


def counter(*, desc: str, total: int | None = None, unit: str = "rows") -> tqdm:
    """A bar updated by hand (`.update(n)`), disabled when stderr is not a terminal."""
    return tqdm(desc=desc, total=total, unit=unit, leave=False, file=sys.stderr, disable=not interactive())


@contextlib.contextmanager
def library_bars() -> Iterator[None]:
    """Silence the bars of `datasets` and `huggingface_hub` within the block when stderr is not a terminal."""
    if interactive():
        yield
        return
    import datasets
    import huggingface_hub.utils as hub_utils

    datasets_were_on = datasets.is_progress_bar_enabled()
    hub_was_on = not hub_utils.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    hub_utils.disable_progress_bars()
    try:
        yield
    finally:
        if datasets_were_on:
            datasets.enable_progress_bars()
        if hub_was_on:
            hub_utils.enable_progress_bars()
