"""Fixtures of the client tests: a fake clock and a scripted GraphQL server."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator

import pytest
from pytest_httpx import HTTPXMock

from layer_client import AsyncLayerClient, LayerClient
from tests.fakes import API_URL, TOKEN, WORKSPACE, FakeClock, Script


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def script(httpx_mock: HTTPXMock) -> Script:
    scripted = Script()
    httpx_mock.add_callback(scripted, url=API_URL, is_reusable=True, is_optional=True)
    return scripted


@pytest.fixture
def client(script: Script, clock: FakeClock) -> Iterator[LayerClient]:
    with LayerClient(
        TOKEN,
        workspace_id=WORKSPACE,
        api_url=API_URL,
        clock=clock.monotonic,
        sleep=clock.sleep,
        wall_clock=clock.wall,
        rng=random.Random(7),
    ) as layer:
        yield layer


@pytest.fixture
async def async_client(
    script: Script, clock: FakeClock
) -> AsyncIterator[AsyncLayerClient]:
    async with AsyncLayerClient(
        TOKEN,
        workspace_id=WORKSPACE,
        api_url=API_URL,
        clock=clock.monotonic,
        sleep=clock.async_sleep,
        wall_clock=clock.wall,
        rng=random.Random(7),
    ) as layer:
        yield layer
