"""Fixtures of the client tests: a fake clock and a scripted GraphQL server.

`layer` and `make_layer` run each test twice, once with LayerClient and once
with AsyncLayerClient, behind one awaitable interface (`Layer.call`).

Test clients get an httpx client that shares one SSL context, because
building a context for each httpx client costs about 30 ms. Pass
`http_client=None` to `make_layer` to let the Layer client build its own.
"""

from __future__ import annotations

import functools
import inspect
import random
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from layer_client import AsyncLayerClient, LayerClient
from tests.fakes import API_URL, TOKEN, WORKSPACE, FakeClock, Script


class Layer:
    """A LayerClient or an AsyncLayerClient, driven the same way by tests."""

    def __init__(self, client: LayerClient | AsyncLayerClient) -> None:
        self.client = client

    @property
    def is_async(self) -> bool:
        return isinstance(self.client, AsyncLayerClient)

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """Call a public method; iterators are collected into a list."""
        result = getattr(self.client, method)(*args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, AsyncIterator):
            return [item async for item in result]
        if isinstance(result, Iterator):
            return list(result)
        return result

    async def stream(
        self, method: str, *args: Any, **kwargs: Any
    ) -> AsyncIterator[Any]:
        """Yield the items of an iterating method one by one."""
        result = getattr(self.client, method)(*args, **kwargs)
        if isinstance(result, AsyncIterator):
            async for item in result:
                yield item
        else:
            for item in result:
                yield item

    async def close(self) -> None:
        if isinstance(self.client, AsyncLayerClient):
            await self.client.aclose()
        else:
            self.client.close()


LayerFactory = Callable[..., Layer]


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def client_options(clock: FakeClock, **options: Any) -> dict[str, Any]:
    """Return the constructor arguments of a test client, updated by options."""
    defaults: dict[str, Any] = {
        "api_key": TOKEN,
        "workspace_id": WORKSPACE,
        "api_url": API_URL,
        "clock": clock.monotonic,
        "wall_clock": clock.wall,
        "rng": random.Random(7),
    }
    defaults.update(options)
    return defaults


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def script(httpx_mock: HTTPXMock) -> Script:
    scripted = Script()
    httpx_mock.add_callback(scripted, url=API_URL, is_reusable=True, is_optional=True)
    return scripted


@pytest.fixture(params=["sync", "async"])
async def make_layer(
    request: pytest.FixtureRequest, script: Script, clock: FakeClock
) -> AsyncIterator[LayerFactory]:
    """Build clients of one flavor with FakeClock; closed after the test."""
    layers: list[Layer] = []
    http_clients: list[httpx.Client | httpx.AsyncClient] = []

    def make(**options: Any) -> Layer:
        arguments = client_options(clock, **options)
        client: LayerClient | AsyncLayerClient
        if request.param == "sync":
            if "http_client" not in options:
                arguments["http_client"] = httpx.Client(verify=shared_ssl_context())
                http_clients.append(arguments["http_client"])
            client = LayerClient(sleep=clock.sleep, **arguments)
        else:
            if "http_client" not in options:
                arguments["http_client"] = httpx.AsyncClient(
                    verify=shared_ssl_context()
                )
                http_clients.append(arguments["http_client"])
            client = AsyncLayerClient(sleep=clock.async_sleep, **arguments)
        layer = Layer(client)
        layers.append(layer)
        return layer

    yield make
    for layer in layers:
        await layer.close()
    for http_client in http_clients:
        if isinstance(http_client, httpx.AsyncClient):
            await http_client.aclose()
        else:
            http_client.close()


@pytest.fixture
def layer(make_layer: LayerFactory) -> Layer:
    return make_layer()


@pytest.fixture
def client(script: Script, clock: FakeClock) -> Iterator[LayerClient]:
    with (
        httpx.Client(verify=shared_ssl_context()) as http_client,
        LayerClient(
            sleep=clock.sleep, http_client=http_client, **client_options(clock)
        ) as layer,
    ):
        yield layer


@pytest.fixture
async def async_client(
    script: Script, clock: FakeClock
) -> AsyncIterator[AsyncLayerClient]:
    async with (
        httpx.AsyncClient(verify=shared_ssl_context()) as http_client,
        AsyncLayerClient(
            sleep=clock.async_sleep, http_client=http_client, **client_options(clock)
        ) as layer,
    ):
        yield layer
