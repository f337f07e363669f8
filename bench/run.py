"""`make bench`: time `apt-hub build`, `stats`, `card` and `publish` on full-scale mirrors, beside the old way
and the I/O floor, and write the figures with the machine's description to `bench/out/results.md` (ignored by
git). `make bench-report` copies the last run to the tracked `bench/results.md` on purpose.

    python -m bench.run [--scales 1 2] [--repeats 3] [--output bench/out/results.md]

Every step runs as a subprocess with a fresh `HF_HOME` (cold `datasets` and Hub caches); its wall time and peak
resident memory come from `os.wait4`. Steps under a minute run `--repeats` times, interleaved, and report medians.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
DATA, WORK, OUT = HERE / "data", HERE / "work", HERE / "out"
REPO_ID = "alice/apt-bench"
FLAT = ("sft", "ruozhiba", "dpo", "storm")


def measure(command: list[str], env: dict[str, str] | None = None, *, cold_stats: Path | None = None) -> dict:
    """Run a command; its wall seconds and peak RSS in MB (the largest of it and its children).

    `cold_stats` is a build folder whose stats.json, which `apt-hub stats` reuses when nothing changed, is removed
    first, so that every run measures the statistics from scratch.
    """
    if cold_stats is not None:
        (cold_stats / "stats.json").unlink(missing_ok=True)
    start = time.perf_counter()
    with tempfile.TemporaryFile(dir=WORK) as errors:
        process = subprocess.Popen(command, cwd=ROOT, env=os.environ | (env or {}), stdout=errors, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            sys.stderr.write(errors.read().decode(errors="replace")[-4000:])
            raise SystemExit(f"failed ({os.waitstatus_to_exitcode(status)}): {' '.join(command)}")
    return {"seconds": seconds, "rss_mb": usage.ru_maxrss / 1024}


def cold_env() -> dict[str, str]:
    home = Path(tempfile.mkdtemp(prefix="hf-", dir=WORK))
    return {"HF_HOME": str(home), "HF_DATASETS_CACHE": str(home / "datasets"), "HF_HUB_CACHE": str(home / "hub")}


def mirror(scale: float) -> Path:
    """The mirror of that scale, generated unless one with the same scale is there."""
    path = DATA / f"scale-{scale:g}"
    manifest = path / "bench_manifest.json"
    if not manifest.is_file() or json.loads(manifest.read_text())["scale"] != scale:
        subprocess.run(
            [sys.executable, "-m", "bench.mirror", "--output-dir", str(path), f"--scale={scale}"], cwd=ROOT, check=True
        )
    return path


def write_inputs(upstream: Path, out: Path) -> Path:
    """The files every config reads, as resolved by the build itself, for the old way and the floor."""
    from apt_hub.configs import CONFIGS
    from apt_hub.options import BuildOptions
    from apt_hub.pipeline import resolve

    plan: dict[str, dict[str, list]] = {}
    for name in FLAT:
        for item in resolve(CONFIGS[name], BuildOptions(upstream=str(upstream)))[1]:
            plan.setdefault(name, {}).setdefault(item.split, []).append({"source": item.source, "local": item.local})
    out.write_text(json.dumps(plan, indent=1))
    return out


def reference_steps(upstream: Path, scale: float) -> dict[str, callable]:
    inputs = write_inputs(upstream, WORK / f"inputs-{scale:g}.json")
    python = str(BIN / "python")

    def fresh(name: str) -> str:
        path = WORK / f"{name}-{scale:g}"
        shutil.rmtree(path, ignore_errors=True)
        return str(path)

    build, prepared = WORK / f"build-{scale:g}", WORK / f"prepared-{scale:g}"

    def output_floor() -> dict:
        """Read the upstream files and write the build's parquet files (kept by `prepare`, untimed, from the
        first build); then check that they are the build's, byte for byte."""
        if not prepared.is_dir():
            subprocess.run([python, "-m", "bench.floor", "prepare", str(build), str(prepared)], cwd=ROOT, check=True)
        out = fresh("output-floor")
        result = measure([python, "-m", "bench.floor", "output", str(inputs), str(prepared), out], cold_env())
        subprocess.run([python, "-m", "bench.floor", "check", str(build), out], cwd=ROOT, check=True)
        return result

    return {
        "floor": lambda: measure([python, "-m", "bench.floor", "input", str(inputs), fresh("floor")], cold_env()),
        "build": lambda: measure(
            [str(BIN / "apt-hub"), "build", f"--upstream={upstream}", f"--output-dir={fresh('build')}"], cold_env()
        ),
        "output_floor": output_floor,
        # The flat configs alone, beside `build` (flat and chat twins): what the twins add.
        "build_flat": lambda: measure(
            [str(BIN / "apt-hub"), "build", *FLAT, f"--upstream={upstream}", f"--output-dir={fresh('flat')}"],
            cold_env(),
        ),
        # The same build with the quality checks turned off: what the checks add.
        "build_no_checks": lambda: measure(
            [python, "-m", "bench.no_checks", str(upstream), fresh("no-checks")], cold_env()
        ),
        "build_no_card": lambda: measure(
            [python, "-m", "bench.convert_only", str(upstream), fresh("convert")], cold_env()
        ),
        "old_way": lambda: measure([python, "-m", "bench.old_way", str(inputs), fresh("old")], cold_env()),
    }


def repeated(steps: dict, repeats: int) -> dict[str, dict]:
    """Each step once, then the ones under a minute `repeats - 1` more times, interleaved; medians and all runs."""
    runs = {name: [step()] for name, step in steps.items()}
    for _ in range(repeats - 1):
        for name, step in steps.items():
            if runs[name][0]["seconds"] < 60:
                runs[name].append(step())
    return {name: _median(r) for name, r in runs.items()}


def _median(runs: list[dict]) -> dict:
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "rss_mb": max(r["rss_mb"] for r in runs),
        "runs": [round(r["seconds"], 2) for r in runs],
    }


def tool_steps(build: Path, repeats: int) -> dict[str, dict]:
    """stats, the bare polars scan, card, then a first and a second publish to a local Hub-compatible server."""
    apt, python = str(BIN / "apt-hub"), str(BIN / "python")
    results = repeated(
        {
            "scan": lambda: measure([python, "-m", "bench.scan", str(build)]),
            "stats": lambda: measure([apt, "stats", str(build)], cold_stats=build),
            "card": lambda: measure([apt, "card", str(build)]),
        },
        repeats,
    )
    sys.path.insert(0, str(ROOT / "tests"))
    from hub_server import HubServer, client_env

    with HubServer(tokens={"tok": "alice"}) as hub:
        env = client_env(hub.endpoint, cold_env()["HF_HOME"]) | {"HF_TOKEN": "tok"}
        for name in ("publish_1", "publish_2"):
            before = len(hub.requests)
            results[name] = measure([apt, "publish", str(build), f"--repo-id={REPO_ID}"], env)
            results[name]["bytes_sent"] = sum(r["bytes_in"] for r in hub.requests[before:])
            results[name]["requests"] = len(hub.requests) - before
    return results


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) / 1024**2
    import datasets
    import polars
    import pyarrow

    versions = f"datasets {datasets.__version__}, pyarrow {pyarrow.__version__}, polars {polars.__version__}"
    system = f"{platform.platform()}; Python {platform.python_version()}"
    return f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GB RAM; {system}; {versions}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark apt-hub at full upstream scale.")
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default=str(OUT / "results.md"))
    args = parser.parse_args(argv)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    results, started = {}, time.perf_counter()
    for scale in args.scales:
        upstream = mirror(scale)
        subprocess.run(
            ["cat", *(str(p) for p in upstream.rglob("*") if p.is_file())], stdout=subprocess.DEVNULL
        )  # same page cache for all
        repeats = args.repeats if scale == args.scales[0] else 1
        results[scale] = repeated(reference_steps(upstream, scale), repeats)
        print(f"scale {scale:g}: {json.dumps(results[scale])}", flush=True)
        if scale == args.scales[0]:
            results[scale] |= tool_steps(WORK / f"build-{scale:g}", args.repeats)
            print(f"scale {scale:g}: {json.dumps(results[scale])}", flush=True)
    from bench.report import write_report

    run = {
        "results": results,
        "machine": machine(),
        "seconds": time.perf_counter() - started,
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(["python -m bench.run", *(argv or sys.argv[1:])]),
    }
    # The figures beside the table, so that `python -m bench.report` renders them again.
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).with_suffix(".json").write_text(json.dumps(run, indent=1) + "\n")
    write_report(args.output, **run)
    print(Path(args.output).read_text())
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
