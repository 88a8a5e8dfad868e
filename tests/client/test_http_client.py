"""Ownership of the pooled httpx client: the caller's is kept open."""

from __future__ import annotations

import httpx

from layer_client import AsyncLayerClient, LayerClient
from tests.fakes import API_URL, TOKEN, WORKSPACE, FakeClock, Script, style_answer


def test_own_client_closed_on_exit(script: Script, clock: FakeClock) -> None:
    with LayerClient(TOKEN, workspace_id=WORKSPACE, api_url=API_URL) as layer:
        own = layer.graphql.http_client
        assert not own.is_closed

    assert own.is_closed


def test_own_client_closed_by_close(script: Script) -> None:
    layer = LayerClient(TOKEN, api_url=API_URL)

    layer.close()
    layer.close()

    assert layer.graphql.http_client.is_closed


def test_own_client_timeout(script: Script) -> None:
    with LayerClient(TOKEN, api_url=API_URL, timeout=42.0) as layer:
        assert layer.graphql.http_client.timeout == httpx.Timeout(42.0)


def test_caller_client_used_and_kept(script: Script, clock: FakeClock) -> None:
    script.add("GetStyleById", style_answer("sty_1"))
    caller = httpx.Client(headers={"X-Caller": "yes"})

    with LayerClient(
        TOKEN, api_url=API_URL, http_client=caller, sleep=clock.sleep
    ) as layer:
        layer.get_style("sty_1")
        assert layer.graphql.http_client is caller

    assert not caller.is_closed
    assert script.requests[0].headers["x-caller"] == "yes"
    caller.close()


async def test_async_own_client_closed_on_exit(script: Script) -> None:
    async with AsyncLayerClient(TOKEN, api_url=API_URL) as layer:
        own = layer.graphql.http_client
        assert not own.is_closed

    assert own.is_closed


async def test_async_own_client_closed_by_aclose(script: Script) -> None:
    layer = AsyncLayerClient(TOKEN, api_url=API_URL)

    await layer.aclose()

    assert layer.graphql.http_client.is_closed


async def test_async_caller_client_used_and_kept(
    script: Script, clock: FakeClock
) -> None:
    script.add("GetStyleById", style_answer("sty_1"))
    caller = httpx.AsyncClient(headers={"X-Caller": "yes"})

    async with AsyncLayerClient(
        TOKEN, api_url=API_URL, http_client=caller, sleep=clock.async_sleep
    ) as layer:
        await layer.get_style("sty_1")
        assert layer.graphql.http_client is caller

    assert not caller.is_closed
    assert script.requests[0].headers["x-caller"] == "yes"
    await caller.aclose()


def test_exit_on_error_closes(script: Script) -> None:
    own: httpx.Client | None = None

    try:
        with LayerClient(TOKEN, api_url=API_URL) as layer:
            own = layer.graphql.http_client
            raise RuntimeError("caller failed")
    except RuntimeError:
        pass

    assert own is not None
    assert own.is_closed
