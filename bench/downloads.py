"""`make bench-downloads`: a cold build from a Hub whose every request takes `--latency` seconds (100 ms by
default), downloading a source's files one at a time and concurrently, beside `snapshot_download` of the same
files followed by a warm build.

    python -m bench.downloads [--upstream DIR] [--latency 0.1] [--repeats 3] [--configs sft dpo storm]

The Hub is the test server of `tests/hub_server.py` on 127.0.0.1 serving `--upstream` (a folder laid out as
`<org>/<name>/<path>`: the bundled samples by default, or a bench mirror from `make bench-data`), each repository
at the commit its source pins. Every run has a fresh HF cache; runs are interleaved and medians reported.
"""

import argparse
import statistics
import sys
from pathlib import Path

from bench.run import BIN, ROOT, WORK, cold_env, measure

sys.path.insert(0, str(ROOT / "tests"))
from hub_server import HubServer, client_env  # noqa: E402

from apt_hub.read.upstream import SAMPLES, open_upstream, resolve_inputs  # noqa: E402
from apt_hub.sources import SOURCES, sources_for  # noqa: E402


def serve(hub: HubServer, upstream: Path, configs: list[str]) -> dict[str, list[str]]:
    """Add every repository the configs read to the server; the files a build of them downloads, per repo."""
    local = open_upstream(upstream)
    wanted: dict[str, list[str]] = {}
    for config in configs:
        for source in sources_for(config):
            if source.file_option:
                continue
            if not any(repo == source.repo_id for repo, _ in hub.repos):
                sha = source.revision if len(source.revision) == 40 else None
                hub.add_repo(source.repo_id, upstream / source.repo_id, sha=sha)
            _, inputs = resolve_inputs(local, source, config)
            wanted.setdefault(source.repo_id, [])
            wanted[source.repo_id] += [f.path for f in inputs if f.path not in wanted[source.repo_id]]
    return wanted


def snapshot_command(wanted: dict[str, list[str]]) -> list[str]:
    """`snapshot_download` of exactly the files a build reads, each repository at its pinned revision."""
    revisions = {s.repo_id: s.revision for s in SOURCES.values() if s.repo_id}
    calls = "".join(
        f"snapshot_download({repo!r}, repo_type='dataset', revision={revisions[repo]!r}, allow_patterns={paths!r})\n"
        for repo, paths in wanted.items()
    )
    return [str(BIN / "python"), "-c", f"from huggingface_hub import snapshot_download\n{calls}"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Cold builds through a Hub with latency.")
    parser.add_argument("--upstream", type=Path, default=SAMPLES)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--configs", nargs="+", default=["sft", "dpo", "storm"])
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    apt = str(BIN / "apt-hub")
    runs: dict[str, list[float]] = {"sequential": [], "concurrent": [], "snapshot": [], "warm": []}
    with HubServer() as hub:
        wanted = serve(hub, args.upstream, args.configs)
        hub.latency = args.latency

        def build(env: dict[str, str], name: str) -> float:
            out = WORK / f"downloads-{name}"
            command = [apt, "build", *args.configs, "--upstream=hub", f"--output-dir={out}"]
            return measure(command, env)["seconds"]

        for _ in range(args.repeats):
            home = cold_env()
            runs["sequential"].append(
                build(client_env(hub.endpoint, home["HF_HOME"]) | {"APT_HUB_DOWNLOAD_WORKERS": "1"}, "seq")
            )
            runs["concurrent"].append(build(client_env(hub.endpoint, cold_env()["HF_HOME"]), "conc"))
            env = client_env(hub.endpoint, cold_env()["HF_HOME"])
            runs["snapshot"].append(measure(snapshot_command(wanted), env)["seconds"])
            runs["warm"].append(build(env, "warm"))
    median = {name: statistics.median(seconds) for name, seconds in runs.items()}
    floor = median["snapshot"] + median["warm"]
    files = sum(len(paths) for paths in wanted.values())
    print(
        f"{files} files from {len(wanted)} repositories, {args.latency * 1000:g} ms per request, "
        f"medians of {args.repeats}:"
    )
    print(f"  cold build, one download at a time: {median['sequential']:.2f} s")
    print(f"  cold build, concurrent downloads:   {median['concurrent']:.2f} s")
    print(f"  snapshot_download + warm build:     {median['snapshot']:.2f} + {median['warm']:.2f} = {floor:.2f} s")
    print(
        f"  concurrent / sequential {median['concurrent'] / median['sequential']:.2f}x, "
        f"concurrent / (snapshot_download + warm build) {median['concurrent'] / floor:.2f}x"
    )


if __name__ == "__main__":
    main()
