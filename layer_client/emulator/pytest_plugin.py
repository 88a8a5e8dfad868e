"""Pytest fixtures that run a fresh Layer emulator for each test.

Enable them in a `conftest.py`::

    pytest_plugins = ["layer_client.emulator.pytest_plugin"]

`layer_emulator` is a running `Emulator`. Override `layer_emulator_config`
to change its settings. The default runs emulated time 1000 times faster,
so a generation of 5 to 15 emulated seconds takes 5 to 15 ms. The fixtures
set no environment variables and no global state; pass
`layer_emulator.url`, `.token` and `.workspace_id` (or `.environ`) to the
code under test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .config import EmulatorConfig
from .server import Emulator

__all__ = ["layer_emulator", "layer_emulator_config"]

FAST_SPEED = 1000.0


@pytest.fixture
def layer_emulator_config() -> EmulatorConfig:
    """Settings of the `layer_emulator` fixture; override it to change them."""
    return EmulatorConfig(speed=FAST_SPEED)


@pytest.fixture
def layer_emulator(layer_emulator_config: EmulatorConfig) -> Iterator[Emulator]:
    """Run an emulator on free loopback ports for one test, then stop it."""
    with Emulator(layer_emulator_config) as emulator:
        yield emulator
