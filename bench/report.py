"""`bench/results.md` from the figures of `bench/run.py`: the table, the ratios and whether each target is met."""

from pathlib import Path

STEPS = (
    *("floor", "build", "output_floor", "build_flat", "build_no_checks", "build_no_card", "old_way"),
    *("scan", "stats", "card", "publish_1", "publish_2"),
)


def targets(results: dict[float, dict]) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for every target that the figures cover."""
    first, *rest = results
    one = results[first]
    rows = []
    if "output_floor" in one:
        ratio = one["build"]["seconds"] / one["output_floor"]["seconds"]
        rows.append(("build within 2x of the output floor (aim 1.5x)", f"{ratio:.2f}x", ratio <= 2))
    rows += [
        (
            "(continuity) build within 1.5x of the input floor",
            f"{one['build']['seconds'] / one['floor']['seconds']:.2f}x",
            one["build"]["seconds"] <= 1.5 * one["floor"]["seconds"],
        ),
        (
            "at least 3x faster than the old way",
            f"{one['old_way']['seconds'] / one['build']['seconds']:.2f}x",
            one["old_way"]["seconds"] >= 3 * one["build"]["seconds"],
        ),
        (
            f"build peak memory under 1 GB at scale {first:g}",
            f"{one['build']['rss_mb']:.0f} MB",
            one["build"]["rss_mb"] < 1024,
        ),
    ]
    if "build_flat" in one:
        extra = one["build"]["seconds"] / one["build_flat"]["seconds"] - 1
        rows.append(
            ("the chat twins add at most 25% to the build of the flat configs", f"{extra:+.0%}", extra <= 0.25)
        )
    if "build_no_checks" in one:
        extra = one["build"]["seconds"] / one["build_no_checks"]["seconds"] - 1
        rows.append(("the quality checks add at most 20% to the build", f"{extra:+.0%}", extra <= 0.20))
    if "build_no_card" in one:
        ratio = one["build_no_card"]["seconds"] / one["floor"]["seconds"]
        rows.append(("(breakdown) build without its card, vs the floor", f"{ratio:.2f}x", ratio <= 1.5))
    if rest:
        two = results[rest[-1]]
        growth = two["build"]["rss_mb"] / one["build"]["rss_mb"]
        rows.append(
            (f"build memory grows < 1.3x from scale {first:g} to {rest[-1]:g}", f"{growth:.2f}x", growth < 1.3)
        )
    if "stats" in one:
        ratio = one["stats"]["seconds"] / one["scan"]["seconds"]
        rows.append(("stats within 2x of a bare polars scan", f"{ratio:.2f}x", ratio <= 2))
    if "publish_2" in one:
        second = one["publish_2"]
        rows.append(
            (
                "second publish sends no bytes, under 3 s",
                f"{second['bytes_sent']:,} bytes, {second['seconds']:.2f} s",
                second["bytes_sent"] == 0 and second["seconds"] < 3,
            )
        )
    return rows


def write_report(
    path: str | Path, *, results: dict[float, dict], machine: str, seconds: float, command: str, measured: str
) -> None:
    """Write the results table, the targets and their analysis to `path`."""
    total = seconds
    lines = [
        "# apt-hub benchmark at full upstream scale",
        "",
        f"Measured {measured} with `{command}` (`make bench`), {total / 60:.1f} minutes in all.",
        "",
        f"Machine: {machine}.",
        "",
        "Wall seconds are medians of the runs listed (steps under a minute are repeated); peak RSS is the largest "
        "of the runs. Each step is a fresh subprocess with an empty `HF_HOME` (cold `datasets` and Hub caches); "
        "the OS page cache holds the mirror for every step alike.",
        "",
        "| scale | step | wall s | runs | peak RSS MB | bytes sent |",
        "|---|---|---|---|---|---|",
    ]
    for scale, steps in results.items():
        for name in STEPS:
            if name in steps:
                step = steps[name]
                sent = f"{step['bytes_sent']:,}" if "bytes_sent" in step else ""
                runs = ", ".join(map(str, step.get("runs", [round(step["seconds"], 2)])))
                lines.append(
                    f"| {scale:g} | {name} | {step['seconds']:.2f} | {runs} | {step['rss_mb']:.0f} | {sent} |"
                )
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {'yes' if met else '**no**'} |" for name, value, met in targets(results)]
    lines += ["", "Steps: " + STEP_NOTES, "", *analysis(results)]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


def analysis(results: dict[float, dict]) -> list[str]:
    """The analysis paragraph, every figure and verdict computed from `results`, so it cannot disagree with the
    table above it."""
    rows = [row for row in targets(results) if not row[0].startswith("(")]
    missed = [f"{name} ({value})" for name, value, met in rows if not met]
    one = results[next(iter(results))]
    lines = [f"## Analysis (generated from the figures above, scale {next(iter(results)):g})", ""]
    lines.append(
        f"{len(rows) - len(missed)} of {len(rows)} targets met."
        + (f" Not met: {'; '.join(missed)}." if missed else "")
    )
    breakdown = []
    if "build_no_card" in one:
        card = one["build"]["seconds"] - one["build_no_card"]["seconds"]
        breakdown.append(
            f"of the build's {one['build']['seconds']:.2f} s, {one['build_no_card']['seconds']:.2f} s convert and "
            f"write parquet ({one['build_no_card']['seconds'] / one['floor']['seconds']:.2f}x the floor's "
            f"{one['floor']['seconds']:.2f} s) and {card:.2f} s go to the statistics and card written at the end"
        )
    if "stats" in one and "scan" in one:
        breakdown.append(
            f"stats take {one['stats']['seconds']:.2f} s where a bare polars scan takes {one['scan']['seconds']:.2f} s"
        )
    if breakdown:
        lines += ["", "Breakdown: " + "; ".join(breakdown) + "."]
    return lines


STEP_NOTES = (
    "`floor` (the input floor) reads every upstream file the build reads (pyarrow) and writes its rows to zstd "
    "parquet, converting nothing; `output_floor` reads the same files and writes exactly the parquet files the build "
    "wrote, every config and twin, with the build's writer and row groups, checked byte for byte against them "
    "(`bench/floor.py`); `build` is `apt-hub build` of all configs but loyalty, the chat twins included (it also "
    "writes build.json and the card); `build_flat` the same with the flat configs only (`sft ruozhiba dpo storm`); "
    "`build_no_checks` the same as `build` with the quality checks turned off (`bench/no_checks.py`); "
    "`old_way` is `load_dataset` + Python `.map` + `to_json` per output file (`bench/old_way.py`); `scan` is a "
    "bare polars scan (rows, mean text lengths) of the build's parquet files (`bench/scan.py`); `stats`, `card`, "
    "`publish_1` and `publish_2` are the `apt-hub` commands on that build, publishing to `tests/hub_server.py`."
)


def main(source: str, target: str) -> None:
    """Render `target` (a results.md) from the figures in `source` (a results.json), and copy the figures beside it."""
    import json

    run = json.loads(Path(source).read_text())
    Path(target).with_suffix(".json").write_text(json.dumps(run, indent=1) + "\n")
    run["results"] = {float(scale): steps for scale, steps in run["results"].items()}
    write_report(target, **run)


if __name__ == "__main__":
    # `make bench-report`: publish the last `make bench` run (bench/out/) as the tracked bench/results.md.
    import sys

    main(
        *(
            sys.argv[1:]
            or [str(Path(__file__).with_name("out") / "results.json"), str(Path(__file__).with_name("results.md"))]
        )
    )
