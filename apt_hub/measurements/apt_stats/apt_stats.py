"""The numbers of `apt-hub stats` as an `evaluate` measurement: polars computes them, evaluate only wraps them."""

import datasets
import evaluate

from apt_hub.stats import compute_stats, measure_files

_DESCRIPTION = """\
Rows, characters per text field (mean, median, p95, max), empty fields, exact duplicates within a split and
across train/test, identical or prefix-related preference pairs, answers by grade and by how they were found,
loyalty shares and the build's drop counts by reason, for an apt-hub build folder or for a set of parquet files of
one split.
"""

_KWARGS_DESCRIPTION = """\
Args:
    data_dir (`list[str]`): one apt-hub build folder, or the parquet files of one split.
    config (`str`, optional): with a build folder, return only this config's stats.

Returns:
    With a build folder: the content of its `stats.json` (or one config's entry of it). With parquet files: the
    stats of one split (`rows`, `all`, `sources`).

Examples:
    >>> from apt_hub.measurements import module_path
    >>> stats = evaluate.load(module_path("apt_stats"))
    >>> stats.compute(data_dir=["dist/apt"], config="sft")["splits"]["train"]["rows"]  # doctest: +SKIP
    4217
"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class AptStats(evaluate.Measurement):
    """Stats of apt-hub training sets."""

    def _info(self) -> evaluate.MeasurementInfo:
        return evaluate.MeasurementInfo(
            module_type="measurement",
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"data_dir": datasets.Value("string")}),
        )

    def _compute(self, data_dir: list[str], config: str | None = None) -> dict:
        paths = list(data_dir)
        if all(path.endswith(".parquet") for path in paths):
            return measure_files(paths)
        if len(paths) != 1:
            raise ValueError(f"Expected one build folder or parquet files of one split, got {paths}")
        stats = compute_stats(paths[0])
        if config is None:
            return stats
        if config not in stats["configs"]:
            raise ValueError(f"No config {config!r} in {paths[0]}. Available: {sorted(stats['configs'])}")
        return stats["configs"][config]
