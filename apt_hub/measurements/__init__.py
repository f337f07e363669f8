"""`evaluate` modules shipped with apt-hub, loadable without the Hub: `evaluate.load(module_path("apt_stats"))`."""

from pathlib import Path

MODULES = ("apt_stats",)


def module_path(name: str = "apt_stats") -> str:
    """The local folder of a shipped `evaluate` module, to pass to `evaluate.load`.

    Example:
        >>> import evaluate
        >>> stats = evaluate.load(module_path("apt_stats"))  # doctest: +SKIP
        >>> stats.compute(data_dir=["dist/apt"])["configs"]["sft"]["splits"]["train"]["rows"]  # doctest: +SKIP
        4217
    """
    if name not in MODULES:
        raise ValueError(f"Unknown apt-hub evaluate module {name!r}. Available: {list(MODULES)}")
    return str(Path(__file__).parent / name)
