"""The benchmark harness runs: one quick overhead pass, no timing asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_bench_quick_overhead_runs() -> None:
    pytest.importorskip("gql", reason="the bench extra is not installed")
    completed = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "overhead", "--reps", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "overhead: ListStyles, 50 styles" in completed.stdout
    assert "LayerClient" in completed.stdout
