"""The commands of `apt-hub`, each a function whose docstring is its `--help`."""

from pathlib import Path

from ..folder import one_file_change, repair
from ..layout import DEFAULT_OUTPUT_DIR, json_text


def stats_command(output_dir: str = DEFAULT_OUTPUT_DIR) -> str:
    """Measure a build folder: rows, text lengths, empties, duplicates, drops; writes DIR/stats.json.

    Args:
        output_dir: the build folder (default dist/apt).
    """
    from ..report import format_stats
    from ..stats import STATS_FILE, compute_stats, shards_of

    repair(output_dir)
    shards_of(Path(output_dir))
    # stats.json is the one file written: moved in by one rename, the folder is whole without a staging copy.
    with one_file_change(output_dir, STATS_FILE) as file:
        stats = compute_stats(output_dir)
        file.write(json_text(stats))
    return format_stats(stats) + f"\n\nWrote {Path(output_dir) / STATS_FILE}"
