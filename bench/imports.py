"""Import time of layer_client against its two dependencies, httpx and pydantic.

Each measurement is a fresh interpreter that imports the modules and
prints how long the import took, so no module cache is shared between
contenders. Interpreter start-up itself is left out.
"""

from __future__ import annotations

import random
import subprocess
import sys

from .stats import Row, format_table, ratios, summarize

__all__ = ["run"]

BASELINE = "import httpx, pydantic"

STATEMENTS = {
    BASELINE: "import httpx, pydantic",
    "import layer_client": "import layer_client",
}


def import_seconds(statement: str) -> float:
    """Return the seconds one fresh interpreter spends on `statement`."""
    program = (
        "import time\n"
        "start = time.perf_counter()\n"
        f"{statement}\n"
        "print(time.perf_counter() - start)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", program],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(output.strip())


def run(quick: bool, reps: int | None = None) -> list[str]:
    """Time each import `reps` times, alternating the order, and print a table."""
    reps = reps or (5 if quick else 15)
    import_seconds(STATEMENTS["import layer_client"])  # fill the OS file cache
    seconds: dict[str, list[float]] = {name: [] for name in STATEMENTS}
    order = list(STATEMENTS)
    shuffler = random.Random(2)
    for _ in range(reps):
        shuffler.shuffle(order)
        for name in order:
            seconds[name].append(import_seconds(STATEMENTS[name]))

    rows = [
        Row(
            name,
            summarize(ratios(seconds[name], seconds[BASELINE])),
            f"{summarize(seconds[name]).median * 1000:6.0f} ms",
        )
        for name in STATEMENTS
    ]
    table = format_table("import time, fresh interpreter", BASELINE, rows)
    print(table, flush=True)
    return [table]
