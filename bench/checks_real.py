"""Count what every quality check catches on the real upstream rows beside the checkout (`../shared/upstream`).

    python -m bench.checks_real [--shared ../shared/upstream]

The bundled sample mirror is copied and its hh-rlhf `harmless-base/test` file and COIG-CQIA subset folders are
replaced by the real ones; `sft`, `ruozhiba` and `dpo` are built from that mirror with every check on the
flagging side too (`--keep` of the dropping checks), so that each check's count is the rows it catches.
"""

import argparse
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from apt_hub.build import build
from apt_hub.clean.checks import CHECKS
from apt_hub.read.manifest import COPY_SUFFIX
from apt_hub.read.upstream import SAMPLES


def real_mirror(shared: Path, root: Path) -> Path:
    """The sample mirror with the real rows in place of the sample ones (and without the samples' manifests, which
    list the sample files)."""
    mirror = root / "mirror"
    shutil.copytree(SAMPLES, mirror, ignore=shutil.ignore_patterns(f"*{COPY_SUFFIX}"))
    coig = mirror / "m-a-p/COIG-CQIA"
    for folder in [p for p in coig.iterdir() if p.is_dir()]:
        shutil.rmtree(folder)
    for folder in [p for p in (shared / "COIG-CQIA").iterdir() if p.is_dir()]:
        shutil.copytree(folder, coig / folder.name)
    shutil.copy(
        shared / "hh-rlhf/harmless-base/test.jsonl.gz", mirror / "Anthropic/hh-rlhf/harmless-base/test.jsonl.gz"
    )
    return mirror


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("../shared/upstream"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        mirror = real_mirror(args.shared, Path(tmp))
        dropping = [name for name, check in CHECKS.items() if check.drops]
        for keep, label in ((dropping, "every check flags"), ([], "default: dropping checks drop")):
            report = build(
                ["sft", "dpo"],
                upstream=str(mirror),
                output_dir=Path(tmp) / "apt",
                only="coig-cqia,hh-rlhf",
                keep=keep,
            )
            print(f"## {label}")
            for config, entry in report.configs.items():
                for split, tags in entry["counts"].items():
                    if config == "dpo" and split != "test":  # only the test file of hh-rlhf is real
                        continue
                    real = {t: c for t, c in tags.items() if t.startswith("coig-cqia") or t == "hh-rlhf/harmless-base"}
                    total = sum((Counter(c) for c in real.values()), Counter())
                    print(f"{config}/{split}: " + ", ".join(f"{k} {n:,}" for k, n in sorted(total.items())))


if __name__ == "__main__":
    main()
