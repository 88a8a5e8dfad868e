"""The installed `layer-client` script, run as a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from layer_client.emulator import Emulator


def layer_client_command() -> list[str]:
    """Return the console script of this environment, else `python -m`."""
    script = Path(sys.executable).with_name("layer-client")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "layer_client.cli"]


def run_script(*argv: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*layer_client_command(), *argv],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def instant_emulator() -> Iterator[Emulator]:
    """An emulator whose generations are COMPLETE as soon as they are submitted."""
    with Emulator(min_duration=0.0, max_duration=0.0) as running:
        yield running


def clean_env() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LAYER_")
    }


def test_script_generates_files(instant_emulator: Emulator, tmp_path: Path) -> None:
    env = {**clean_env(), **instant_emulator.environ}

    listed = run_script("--json", "styles", env=env)
    generated = run_script(
        "generate",
        "--style",
        instant_emulator.style_id,
        "--prompt",
        "a harbour",
        "--batch-size",
        "2",
        "--out",
        str(tmp_path),
        env=env,
    )

    assert listed.returncode == 0, listed.stderr
    assert instant_emulator.style_id in {s["id"] for s in json.loads(listed.stdout)}
    assert generated.returncode == 0, generated.stderr
    paths = [Path(line) for line in generated.stdout.splitlines()]
    assert len(paths) == 2
    assert all(path.is_file() for path in paths)
    # stderr is not a terminal here, so progress comes as plain lines.
    assert "layer-client: Generating (inference" in generated.stderr


def test_script_missing_token() -> None:
    run = run_script("styles", env=clean_env())

    assert run.returncode == 3
    assert run.stdout == ""
    assert len(run.stderr.splitlines()) == 1
    assert "LAYER_API_KEY" in run.stderr


def test_module_entry_point() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "layer_client.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 0
    assert "exit status:" in run.stdout
