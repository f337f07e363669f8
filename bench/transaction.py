"""What a build-folder transaction costs beside the work inside it: staging copy, fsync, exchange, removal.

    python -m bench.transaction [--shard-mb 512] [--repeat 5]

Makes a build folder in bench/out/transaction with one parquet-named shard of `--shard-mb` MB (the staging copy
hard-links it) plus a build record, card and image, then times an empty transaction (the fixed cost every build,
merge, card and stats pays) and, for scale, a plain copy of the same folder. Prints medians in milliseconds.
"""

import argparse
import os
import shutil
import statistics
import time
from pathlib import Path

from apt_hub.folder import atomic_write, transaction

WORK = Path(__file__).resolve().parent / "out" / "transaction"


def make_folder(root: Path, shard_mb: int) -> None:
    shard = root / "data" / "sft" / "train-00000-of-00001.parquet"
    shard.parent.mkdir(parents=True)
    with open(shard, "wb") as file:
        for _ in range(shard_mb):
            file.write(os.urandom(1 << 20))
    atomic_write(root / "build.json", '{"configs": {}}\n')
    atomic_write(root / "README.md", "card\n" * 2000)
    atomic_write(root / "images" / "lengths-sft.png", os.urandom(20_000))


def median_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def empty_transaction(root: Path) -> None:
    with transaction(root) as staging:
        atomic_write(staging / "build.json", '{"configs": {}}\n')


def plain_copy(root: Path) -> None:
    copy = root.with_name("copy")
    shutil.copytree(root, copy)
    shutil.rmtree(copy)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shard-mb", type=int, default=512)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    root = WORK / "apt"
    make_folder(root, args.shard_mb)
    transaction_ms = median_ms(lambda: empty_transaction(root), args.repeat)
    copy_ms = median_ms(lambda: plain_copy(root), args.repeat)
    print(f"folder of {args.shard_mb} MB: empty transaction {transaction_ms:.1f} ms, plain copy {copy_ms:.1f} ms")
    shutil.rmtree(WORK)


if __name__ == "__main__":
    main()
