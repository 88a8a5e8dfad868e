"""`generate` checks every option before it sends anything, in CLI terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from layer_client import LayerClient
from layer_client.emulator import Emulator
from tests.cli.conftest import CLI


def request_count(emulator: Emulator) -> int:
    return sum(emulator.counters.requests.values())


@pytest.fixture
def existing_file(tmp_path: Path) -> Path:
    path = tmp_path / "taken.png"
    path.write_bytes(b"not a directory")
    return path


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--out", "{file}"], "--out "),
        (["--out", "{file}/inside"], "--out "),
        (["--batch-size", "17"], "Invalid --batch-size 17: allowed range is 1 to 16"),
        (["--seed", str(2**63)], f"Invalid --seed {2**63}"),
        (["--prompt", "x" * 100_001], "--prompt is 100001 characters long"),
    ],
)
def test_bad_option_sends_nothing(
    cli: CLI,
    emulator: Emulator,
    existing_file: Path,
    options: list[str],
    named: str,
) -> None:
    argv = [option.replace("{file}", str(existing_file)) for option in options]
    before = request_count(emulator)

    run = cli("generate", "--style", emulator.style_id, *argv)

    assert run.code == 5
    assert request_count(emulator) == before
    assert "Submitting" not in run.err
    assert named in run.err
    assert "Traceback" not in run.err


def test_blank_style_names_option(cli: CLI, emulator: Emulator) -> None:
    before = request_count(emulator)

    run = cli("generate", "--style", " ")

    assert run.code == 5
    assert request_count(emulator) == before
    assert "--style is missing" in run.err
    assert "style_id" not in run.err


def test_prompt_limit_drops_library_hint(cli: CLI, emulator: Emulator) -> None:
    run = cli("generate", "--style", emulator.style_id, "--prompt", "x" * 100_001)

    assert run.code == 5
    assert "documented_limits" not in run.err
    assert "Shorten it." in run.err


def test_unknown_style_names_option(cli: CLI, tmp_path: Path) -> None:
    run = cli("generate", "--style", "sty_missing", "--out", str(tmp_path))

    assert run.code == 5
    assert "layer-client: error: --style: " in run.err
    assert "Submitting" not in run.err


@pytest.mark.parametrize(
    "option", ["--batch-size", "--width", "--height", "--steps", "--guidance"]
)
def test_zero_is_usage_error(cli: CLI, option: str) -> None:
    run = cli("generate", "--style", "sty_0001", option, "0")

    assert run.code == 2
    assert f"argument {option}: expected a number above 0, got 0" in run.err


def test_help_explains_exit_statuses(cli: CLI) -> None:
    run = cli("generate", "--help")

    assert run.code == 0
    text = " ".join(run.out.split())
    assert "exit status: 2 when a number is malformed" in text
    assert "--batch-size above 16" in text


def test_ctrl_c_while_submitting_warns_of_charge(
    cli: CLI, monkeypatch: pytest.MonkeyPatch, emulator: Emulator, tmp_path: Path
) -> None:
    def interrupted_submission(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(LayerClient, "generate_images", interrupted_submission)

    run = cli("generate", "--style", emulator.style_id, "--out", str(tmp_path))

    assert run.code == 130
    warnings = [line for line in run.err.splitlines() if "may be charged" in line]
    assert len(warnings) == 1
    assert "interrupted after its request was sent" in warnings[0]
    assert "`layer-client usage`" in warnings[0]
    assert "cannot list recent inferences" in warnings[0]
    assert "layer-client wait" not in run.err


def test_paths_are_absolute(
    cli: CLI, monkeypatch: pytest.MonkeyPatch, emulator: Emulator, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)

    run = cli("generate", "--style", emulator.style_id, "--out", "relative/dir")

    assert run.code == 0, run.err
    paths = [Path(line) for line in run.out.splitlines()]
    assert paths
    assert all(path.is_absolute() for path in paths)
    assert all(path.parent == tmp_path / "relative" / "dir" for path in paths)


def test_download_checks_out_first(
    cli: CLI, emulator: Emulator, existing_file: Path
) -> None:
    before = request_count(emulator)

    run = cli("download", "inf_any", "--out", str(existing_file))

    assert run.code == 5
    assert request_count(emulator) == before
    assert "--out " in run.err
