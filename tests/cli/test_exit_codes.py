"""Exit statuses and error lines of `layer-client`, one case per status."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

import layer_client.cli
from layer_client import LayerClient
from layer_client.cli import context
from layer_client.emulator import BUILDING_STYLE_ID, Emulator, FaultRule
from tests.cli.conftest import CLI, fast_client, point_at


def submit(emulator: Emulator, prompt: str = "a castle") -> str:
    with LayerClient(
        emulator.token, workspace_id=emulator.workspace_id, api_url=emulator.url
    ) as layer:
        return layer.generate_images(style_id=emulator.style_id, prompt=prompt).id


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["nonsense"],
        ["generate"],
        ["generate", "--style", "sty_0001", "--batch-size", "two"],
        ["generate", "--style", "sty_0001", "--batch-size", "0"],
        ["generate", "--style", "sty_0001", "--guidance", "nan"],
        ["generate", "--style", "sty_0001", "--timeout", "-1"],
        ["styles", "--status", "NOPE"],
        ["styles", "--unknown-option"],
        ["wait"],
        ["download"],
    ],
)
def test_bad_arguments_exit_2(cli: CLI, argv: list[str]) -> None:
    run = cli(*argv)

    assert run.code == 2
    assert run.out == ""
    assert "usage: layer-client" in run.err
    assert "layer-client: error:" in run.err


def test_missing_token_one_line(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAYER_API_KEY")

    run = cli("styles")

    assert run.code == 3
    assert run.out == ""
    lines = run.err.splitlines()
    assert len(lines) == 1
    assert "LAYER_API_KEY" in lines[0]
    assert "LAYER_API_URL" in lines[0]
    assert "layer-client emulator" in lines[0]


def test_wrong_token_exit_3(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYER_API_KEY", "not-the-token")

    run = cli("styles")

    assert run.code == 3
    assert len(run.err.splitlines()) == 1
    assert "Traceback" not in run.err


def test_missing_workspace_exit_5(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LAYER_WORKSPACE_ID")

    run = cli("usage")

    assert run.code == 5
    assert "--workspace" in run.err
    assert "LAYER_WORKSPACE_ID" in run.err


def test_building_style_exit_5(cli: CLI, tmp_path: Path) -> None:
    run = cli("generate", "--style", BUILDING_STYLE_ID, "--out", str(tmp_path))

    assert run.code == 5
    assert "BUILDING" in run.err
    assert "Traceback" not in run.err
    assert list(tmp_path.iterdir()) == []


def test_unknown_style_exit_5(cli: CLI, tmp_path: Path) -> None:
    run = cli("generate", "--style", "sty_missing", "--out", str(tmp_path))

    assert run.code == 5
    assert "sty_missing" in run.err


def test_error_json_on_stdout(cli: CLI, tmp_path: Path) -> None:
    run = cli(
        "--json", "generate", "--style", BUILDING_STYLE_ID, "--out", str(tmp_path)
    )

    assert run.code == 5
    error = json.loads(run.out)["error"]
    assert error["type"] == "StyleNotUsableError"
    assert error["exit_code"] == 5
    assert "BUILDING" in error["message"]


def test_forbidden_prompt_exit_6(cli: CLI, emulator: Emulator, tmp_path: Path) -> None:
    run = cli(
        "generate",
        "--style",
        emulator.style_id,
        "--prompt",
        "something forbidden",
        "--out",
        str(tmp_path),
    )

    assert run.code == 6
    assert "CONTENT_POLICY_VIOLATION" in run.err
    assert run.out == ""


def test_wait_failed_inference_exit_6(cli: CLI, emulator: Emulator) -> None:
    good = submit(emulator)
    bad = submit(emulator, prompt="forbidden words")

    run = cli("wait", good, bad)

    assert run.code == 6
    assert f"{good}  COMPLETE" in run.out
    assert f"{bad}  FAILED  CONTENT_POLICY_VIOLATION" in run.out
    assert bad in run.err


def test_download_failed_inference_exit_6(
    cli: CLI, emulator: Emulator, tmp_path: Path
) -> None:
    bad = submit(emulator, prompt="forbidden")
    cli("wait", bad)

    run = cli("download", bad, "--out", str(tmp_path))

    assert run.code == 6


@pytest.fixture
def frozen_cli(
    cli: CLI, monkeypatch: pytest.MonkeyPatch, frozen_emulator: Emulator
) -> CLI:
    """The CLI pointed at the emulator whose inferences never finish."""
    point_at(monkeypatch, frozen_emulator)
    return cli


def test_generate_timeout_exit_7(
    frozen_cli: CLI, frozen_emulator: Emulator, tmp_path: Path
) -> None:
    run = frozen_cli(
        "generate",
        "--style",
        frozen_emulator.style_id,
        "--prompt",
        "a slow castle",
        "--timeout",
        "0.2",
        "--out",
        str(tmp_path),
    )

    assert run.code == 7
    assert "layer-client wait inf_" in run.err
    assert "layer-client download inf_" in run.err
    assert "Traceback" not in run.err


def test_timeout_hint_absolute_out(
    frozen_cli: CLI,
    frozen_emulator: Emulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)

    run = frozen_cli(
        "generate", "--style", frozen_emulator.style_id, "--timeout", "0.2"
    )

    assert run.code == 7
    assert f"--out {tmp_path}`" in run.err


def test_wait_timeout_json(frozen_cli: CLI, frozen_emulator: Emulator) -> None:
    inference_id = submit(frozen_emulator)

    run = frozen_cli("--json", "wait", inference_id, "--timeout", "0.1")

    assert run.code == 7
    error = json.loads(run.out)["error"]
    assert error["pending_ids"] == [inference_id]
    assert error["inferences"] == []
    assert f"layer-client wait {inference_id}" in run.err


def test_download_in_progress_exit_5(
    frozen_cli: CLI, frozen_emulator: Emulator, tmp_path: Path
) -> None:
    inference_id = submit(frozen_emulator)

    run = frozen_cli("download", inference_id, "--out", str(tmp_path))

    assert run.code == 5
    assert "IN_PROGRESS" in run.err
    assert f"layer-client wait {inference_id}" in run.err


def test_download_unknown_inference_exit_5(cli: CLI, tmp_path: Path) -> None:
    run = cli("download", "inf_missing", "--out", str(tmp_path))

    assert run.code == 5
    assert "inf_missing" in run.err


@pytest.fixture
def broke_emulator() -> Iterator[Emulator]:
    with Emulator(balance=0.0) as running:
        yield running


def test_no_credits_exit_4(
    cli: CLI, monkeypatch: pytest.MonkeyPatch, broke_emulator: Emulator, tmp_path: Path
) -> None:
    point_at(monkeypatch, broke_emulator)

    run = cli("generate", "--style", broke_emulator.style_id, "--out", str(tmp_path))

    assert run.code == 4
    assert "credits" in run.err


@pytest.fixture
def dropping_emulator() -> Iterator[Emulator]:
    rule = FaultRule(operation="GenerateImages", kind="drop_after")
    with Emulator(speed=1000.0, faults=(rule,)) as running:
        yield running


def test_lost_submission_exit_8(
    cli: CLI,
    monkeypatch: pytest.MonkeyPatch,
    dropping_emulator: Emulator,
    tmp_path: Path,
) -> None:
    point_at(monkeypatch, dropping_emulator)

    run = cli("generate", "--style", dropping_emulator.style_id, "--out", str(tmp_path))

    assert run.code == 8
    assert "before submitting again" in run.err
    assert "Traceback" not in run.err


def test_unreachable_api_exit_8(cli: CLI, unused_port: int) -> None:
    url = f"http://127.0.0.1:{unused_port}/graphql"

    run = cli("--api-url", url, "styles")

    assert run.code == 8
    assert "Traceback" not in run.err
    assert len(run.err.splitlines()) == 1
    assert url in run.err
    assert run.err.count("Is the server running?") == 1
    assert "Check LAYER_API_URL or --api-url" in run.err
    assert "start `layer-client emulator`" in run.err


def test_wait_unknown_inference_exit_5(cli: CLI) -> None:
    run = cli("wait", "inf_missing", "--timeout", "10")

    assert run.code == 5
    assert "inf_missing" in run.err
    assert "not found" in run.err


def test_download_and_wait_not_found_alike(cli: CLI, tmp_path: Path) -> None:
    download = cli("download", "inf_missing", "--out", str(tmp_path))
    wait = cli("wait", "inf_missing", "--timeout", "10")

    assert download.code == wait.code == 5
    for run in (download, wait):
        assert "layer-client: error: Inference 'inf_missing' was not found" in run.err
        assert "check the id" in run.err.lower()
        assert "inference_id=inf_missing" in run.err


def test_wait_unknown_inference_json(cli: CLI, emulator: Emulator) -> None:
    known = submit(emulator)

    run = cli("--json", "wait", known, "inf_missing", "--timeout", "10")

    assert run.code == 5
    error = json.loads(run.out)["error"]
    assert error["type"] == "NotFoundError"
    assert error["exit_code"] == 5


def test_missing_faults_file_exit_2(cli: CLI, tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"

    run = cli("emulator", "--faults", str(missing))

    assert run.code == 2
    assert f"faults file {missing} not found" in run.err
    assert "Errno" not in run.err


def test_ctrl_c_while_loading_exit_130(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class InterruptedModule(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            raise KeyboardInterrupt

    module_name = "layer_client.cli.app"
    monkeypatch.setitem(sys.modules, module_name, InterruptedModule(module_name))

    code = layer_client.cli.main(["styles"])

    assert code == 130
    err = capsys.readouterr().err
    assert err == "layer-client: interrupted\n"


def test_plain_http_to_other_host_exit_5(cli: CLI) -> None:
    run = cli("--api-url", "http://example.invalid/graphql", "styles")

    assert run.code == 5
    assert "http" in run.err


def test_debug_log_prints_traceback(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYER_LOG", "debug")

    run = cli("generate", "--style", BUILDING_STYLE_ID)

    assert run.code == 5
    assert "Traceback" in run.err
    assert "DEBUG layer_client" in run.err


def test_info_log_lines(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYER_LOG", "info")

    run = cli("styles")

    assert run.code == 0
    assert "DEBUG" not in run.err


def test_unknown_log_level_warns(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAYER_LOG", "loud")

    run = cli("styles")

    assert run.code == 0
    assert "ignoring LAYER_LOG='loud'" in run.err


def test_ctrl_c_exit_130(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(api_url: str | None, workspace_id: str | None) -> LayerClient:
        raise KeyboardInterrupt

    monkeypatch.setattr(context, "open_client", interrupted)

    run = cli("styles")

    assert run.code == 130
    assert "interrupted" in run.err


def test_ctrl_c_while_generating_names_inference(
    cli: CLI, monkeypatch: pytest.MonkeyPatch, emulator: Emulator, tmp_path: Path
) -> None:
    def interrupted_wait(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(LayerClient, "wait", interrupted_wait)
    monkeypatch.setattr(context, "open_client", fast_client)

    run = cli("generate", "--style", emulator.style_id, "--out", str(tmp_path))

    assert run.code == 130
    assert "keeps running: resume with `layer-client wait inf_" in run.err


@pytest.fixture
def broken_files_emulator() -> Iterator[Emulator]:
    rule = FaultRule(operation="file", kind="502")
    with Emulator(speed=1000.0, faults=(rule,)) as running:
        yield running


def test_failed_download_names_command(
    cli: CLI,
    monkeypatch: pytest.MonkeyPatch,
    broken_files_emulator: Emulator,
    tmp_path: Path,
) -> None:
    point_at(monkeypatch, broken_files_emulator)

    run = cli(
        "generate", "--style", broken_files_emulator.style_id, "--out", str(tmp_path)
    )

    assert run.code == 8
    assert (
        "is COMPLETE: save its files again with `layer-client download inf_" in run.err
    )
    assert str(tmp_path) in run.err
