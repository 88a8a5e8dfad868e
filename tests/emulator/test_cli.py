"""The command line: start in a subprocess, serve one request, stop cleanly."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from layer_client.emulator import main
from tests.emulator.helpers import WORKSPACE_USAGE, http_client

STARTUP_LINES = 20


def start_cli(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "layer_client.emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_until(stream: IO[str], pattern: str) -> re.Match[str]:
    """Read lines until one matches `pattern`; fail after STARTUP_LINES lines."""
    seen = []
    for _ in range(STARTUP_LINES):
        line = stream.readline()
        seen.append(line)
        match = re.search(pattern, line)
        if match is not None:
            return match
    raise AssertionError(f"no line matched {pattern!r} in {seen!r}")


@pytest.fixture
def stop_process() -> Iterator[list[subprocess.Popen[str]]]:
    """Kill any process a test leaves running, then close its pipes."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def usage_request(url: str, token: str, workspace_id: str) -> dict[str, object]:
    with http_client() as client:
        response = client.post(
            url,
            json={
                "query": WORKSPACE_USAGE,
                "variables": {"input": {"workspaceId": workspace_id, "filtering": []}},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    result: dict[str, object] = response.json()["data"]["getWorkspaceUsage"]
    return result


def test_cli_serves_and_terminates(stop_process: list[subprocess.Popen[str]]) -> None:
    process = start_cli(
        "--port", "0", "--files-port", "0", "--speed", "50", "--token", "cli-token",
        "--seed", "4", "--balance", "321",
    )  # fmt: skip
    stop_process.append(process)
    assert process.stdout is not None

    url = read_until(process.stdout, r"API URL:\s+(\S+)")[1]
    token = read_until(process.stdout, r"Token:\s+(\S+)")[1]
    workspace_id = read_until(process.stdout, r"Workspace:\s+(\S+)")[1]
    result = usage_request(url, token, workspace_id)
    process.terminate()
    stdout, _ = process.communicate(timeout=20)

    assert url.startswith("http://127.0.0.1:")
    assert url.endswith("/graphql")
    assert token == "cli-token"
    assert result["__typename"] == "WorkspaceUsage"
    assert result["entitlement"] == {"balance": 321.0, "usage": 0.0}
    assert process.returncode == 0
    assert "Layer emulator stopped" in stdout


def test_cli_json_output_and_ctrl_c(
    tmp_path: Path, stop_process: list[subprocess.Popen[str]]
) -> None:
    faults = tmp_path / "faults.json"
    faults.write_text('{"rules": [{"operation": "GetWorkspaceUsage", "kind": "503"}]}')
    process = start_cli("--port", "0", "--json", "--faults", str(faults))
    stop_process.append(process)
    assert process.stdout is not None

    addresses = json.loads(process.stdout.readline())
    with http_client() as client:
        response = client.post(
            addresses["url"],
            json={"query": WORKSPACE_USAGE, "operationName": "GetWorkspaceUsage"},
        )
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=20)

    assert response.status_code == 503
    assert addresses["files_url"].startswith("http://127.0.0.1:")
    assert addresses["token"] == "emulator-token"
    assert addresses["workspace_id"] == "ws_emulator"
    assert process.returncode == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--styles", "2"], "style_count must be at least 4"),
        (["--speed", "0"], "speed must be a positive number"),
        (["--faults", "/nonexistent/faults.json"], "not found"),
        (["--min-duration", "9", "--max-duration", "1"], "must not exceed"),
    ],
)
def test_cli_invalid_arguments(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code = main(argv)

    assert exit_code == 2
    assert message in capsys.readouterr().err


def test_cli_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        exit_code = main(["--port", str(port)])

    assert exit_code == 1
    assert f"127.0.0.1:{port}" in capsys.readouterr().err
