"""Run the benchmarks: `python -m bench [--quick] [--only NAME ...]`."""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time

BENCHMARKS = ("overhead", "polling", "download", "imports")


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmarks of layer_client; every figure is a ratio to a "
        "baseline measured in the same run.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer repetitions and smaller sizes; the whole run takes under a minute",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=BENCHMARKS,
        metavar="NAME",
        help=f"run only these benchmarks, among: {', '.join(BENCHMARKS)}",
    )
    parser.add_argument(
        "--reps",
        type=int,
        default=None,
        help="repetitions of every measurement (default: each benchmark's own)",
    )
    arguments = parser.parse_args(argv)
    if arguments.reps is not None and arguments.reps < 1:
        parser.error("--reps must be at least 1")
    return arguments


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    selected = arguments.only or list(BENCHMARKS)
    print(
        f"python {platform.python_version()} on {platform.platform()}, "
        f"{'quick' if arguments.quick else 'full'} run: {' '.join(selected)}",
        flush=True,
    )
    started = time.perf_counter()
    for name in BENCHMARKS:
        if name not in selected:
            continue
        module = importlib.import_module(f"bench.{name}")
        module.run(arguments.quick, arguments.reps)
        print(flush=True)
    print(f"done in {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
