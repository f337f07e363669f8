"""Write the manifest of every built-in source's repository at its pinned revision, from the Hub's tree API.

A build checks an upstream directory (a mirror, a download) against these files before it converts anything
(`apt_hub.read.manifest`): every file the build reads must be there, as the Hub lists it at the pinned revision.
Run this where the Hub, or a mirror of it, can be reached (it honours `HF_ENDPOINT` and `HF_TOKEN`), and again
whenever a source's revision changes; commit what it writes.

Usage:
    python tools/manifests.py [SOURCE ...] [--out apt_hub/sources/manifests]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from apt_hub.errors import AptHubError
from apt_hub.read.manifest import MANIFESTS, hub_manifest
from apt_hub.sources import SOURCES, get_source


def write_manifests(names: list[str], out: Path) -> dict[str, Path]:
    """Write the manifest of each named source (none: every built-in source backed by a Hub repository) into
    `out/<source>.json`; the files written, by source.

    Raises:
        UpstreamError: a repository or revision is not found, or the Hub cannot be reached.
        ConfigError: an unknown source, or one without a Hub repository.
    """
    sources = [get_source(name) for name in names] or [s for s in SOURCES.values() if s.repo_id]
    written = {}
    for source in sources:
        if not source.repo_id:
            raise AptHubError(f"Source {source.name!r} reads a local file: it has no Hub repository to list.")
        manifest = hub_manifest(source.repo_id, source.revision)
        out.mkdir(parents=True, exist_ok=True)
        written[source.name] = out / f"{source.name}.json"
        written[source.name].write_text(manifest.text(), encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    """Write the manifests and print what was written; exit status 1, with one line, when the Hub says no."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="*", help="source names (default: every built-in Hub source)")
    parser.add_argument(
        "--out", type=Path, default=MANIFESTS, help="output folder (default: apt_hub/sources/manifests)"
    )
    args = parser.parse_args(argv)
    try:
        written = write_manifests(args.sources, args.out)
    except AptHubError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for name, path in written.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
