"""The Python examples of README.md: they type-check and run."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from layer_client.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_MARKER = "<!-- readme-example -->"
FIXTURE_EXAMPLE_MARKER = "<!-- readme-fixture-example -->"


def readme_block(marker: str = EXAMPLE_MARKER) -> str:
    """Return the Python block that follows marker in README.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    _, found, after = readme.partition(marker)
    assert found, f"README.md has no {marker} line"
    match = re.match(r"\s*```python\n(.*?)```", after, flags=re.DOTALL)
    assert match, f"no ```python block right after {marker}"
    return match.group(1)


def readme_example() -> str:
    return readme_block(EXAMPLE_MARKER)


@pytest.fixture(scope="module")
def example_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("readme") / "readme_example.py"
    path.write_text(readme_example(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def instant_emulator() -> Iterator[Emulator]:
    """An emulator whose generations are COMPLETE as soon as they are submitted."""
    with Emulator(min_duration=0.0, max_duration=0.0) as running:
        yield running


def test_example_has_ten_lines() -> None:
    lines = [line for line in readme_example().splitlines() if line.strip()]

    assert len(lines) <= 10


def test_example_type_checks(example_file: Path) -> None:
    # The project's configuration (strict, the pydantic plugin, the path of
    # the generated package) applies; the cache is the one `make typecheck`
    # has warmed.
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            str(example_file),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr


def test_example_runs_against_emulator(
    example_file: Path, instant_emulator: Emulator, tmp_path: Path
) -> None:
    run = subprocess.run(
        [sys.executable, str(example_file)],
        cwd=tmp_path,
        env={"PATH": "", **instant_emulator.environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    saved = sorted((tmp_path / "out").iterdir())
    assert len(saved) == 2
    assert all(path.suffix == ".png" for path in saved)
    assert str(saved[0]) in run.stdout
    assert "sty_0001" in run.stdout


def test_fixture_example_passes(tmp_path: Path) -> None:
    conftest, marker, test_module = readme_block(FIXTURE_EXAMPLE_MARKER).partition(
        "# test_pipeline.py\n"
    )
    assert marker, "the fixture example has no `# test_pipeline.py` part"
    (tmp_path / "conftest.py").write_text(conftest, encoding="utf-8")
    (tmp_path / "test_pipeline.py").write_text(test_module, encoding="utf-8")

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
