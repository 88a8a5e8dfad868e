"""The pytest plugin: a fresh emulator per test, configured by a fixture."""

from __future__ import annotations

import httpx
import pytest

from layer_client.emulator import Emulator, EmulatorConfig
from tests.emulator.helpers import generate, http_client


@pytest.fixture
def layer_emulator_config() -> EmulatorConfig:
    return EmulatorConfig(balance=7.0, workspace_id="ws_plugin", speed=500.0)


@pytest.mark.parametrize("round_number", [1, 2])
def test_fixture_state_fresh(layer_emulator: Emulator, round_number: int) -> None:
    assert layer_emulator.counters.generate_images_accepted == 0
    assert layer_emulator.state.balance == 7.0

    with http_client() as client:
        result = generate(client, layer_emulator)

    assert result["__typename"] == "Inference", round_number
    assert layer_emulator.state.balance == 6.0


def test_fixture_uses_config(layer_emulator: Emulator) -> None:
    assert layer_emulator.workspace_id == "ws_plugin"
    assert layer_emulator.config.speed == 500.0
    assert layer_emulator.url.startswith("http://127.0.0.1:")
    assert layer_emulator.environ == {
        "LAYER_API_KEY": "emulator-token",
        "LAYER_WORKSPACE_ID": "ws_plugin",
        "LAYER_API_URL": layer_emulator.url,
    }


def test_emulator_stopped_after_exit() -> None:
    emulator = Emulator(EmulatorConfig())
    with emulator:
        url = emulator.url

    with pytest.raises(RuntimeError, match="not running"):
        _ = emulator.url
    with http_client() as client, pytest.raises(httpx.ConnectError):
        client.post(url, json={"query": "{ __typename }"})


async def test_async_context_manager() -> None:
    async with Emulator(EmulatorConfig(), style_count=5) as emulator:
        assert len(emulator.state.styles()) == 5
        assert emulator.files_url.startswith("http://127.0.0.1:")
