"""Fixtures of the CLI tests: emulators on loopback and an in-process runner."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from layer_client import LayerClient, PollingConfig, RetryConfig
from layer_client.cli import context, main
from layer_client.emulator import Emulator, ManualClock

# Short polling delays, so that a wait ends a few milliseconds after the
# emulator finishes instead of after the 2 s first delay.
FAST_POLLING = PollingConfig(initial_delay=0.01, max_delay=0.05, min_delay=0.01)
FAST_RETRY = RetryConfig(max_attempts=2, initial_delay=0.01, max_delay=0.05)


@dataclass
class Run:
    """The outcome of one in-process `layer-client` run."""

    code: int
    out: str
    err: str


class CLI:
    """Runs `main(argv)` in this process and captures what it prints."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def __call__(self, *argv: str) -> Run:
        self._capsys.readouterr()
        code = main(list(argv))
        captured = self._capsys.readouterr()
        return Run(code, captured.out, captured.err)


def fast_client(api_url: str | None, workspace_id: str | None) -> LayerClient:
    return LayerClient(
        api_url=api_url,
        workspace_id=workspace_id,
        polling=FAST_POLLING,
        retry=FAST_RETRY,
    )


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One fast emulator for the tests that only read or generate."""
    with Emulator(speed=1000.0) as running:
        yield running


@pytest.fixture(scope="session")
def frozen_emulator() -> Iterator[Emulator]:
    """An emulator whose clock never moves: inferences stay IN_PROGRESS."""
    with Emulator(clock=ManualClock()) as running:
        yield running


def point_at(monkeypatch: pytest.MonkeyPatch, emulator: Emulator) -> None:
    """Set the LAYER_* variables for emulator and clear LAYER_LOG."""
    for name, value in emulator.environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LAYER_LOG", raising=False)


@pytest.fixture
def cli(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
) -> CLI:
    """The CLI with fast polling, pointed at the shared emulator."""
    monkeypatch.setattr(context, "open_client", fast_client)
    point_at(monkeypatch, emulator)
    return CLI(capsys)


@pytest.fixture
def unused_port() -> int:
    """A loopback TCP port that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
