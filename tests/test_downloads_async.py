"""Tests for download_inference_async with an httpx.AsyncClient and pytest-httpx."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from layer_graphql.fragments import InferenceFields
from pytest_httpx import HTTPXMock, IteratorStream

from layer_client import download_async
from layer_client.errors import DownloadError, LayerInputError
from tests.download_helpers import (
    RecordingAsyncSleep,
    dir_entries,
    file_entry,
    leftover_temp_files,
    make_inference,
    png_body,
)

FILES = "https://files.example"
PNG = {"content-type": "image/png"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        headers={"Authorization": "Bearer layer-token"},
        cookies={"session": "api-cookie"},
    ) as http_client:
        yield http_client


@pytest.fixture
def sleep() -> RecordingAsyncSleep:
    return RecordingAsyncSleep()


async def download_inference_async(
    http_client: httpx.AsyncClient,
    inference: InferenceFields,
    out_dir: Path,
    **options: Any,
) -> list[Path]:
    """Call download_async.download_inference_async, never really sleeping."""
    options.setdefault("sleep", RecordingAsyncSleep())
    return await download_async.download_inference_async(
        http_client, inference, out_dir, **options
    )


class BlockingStream(httpx.AsyncByteStream):
    """A body that sends one chunk, then waits until the reader is cancelled."""

    def __init__(self, first_chunk: bytes) -> None:
        self.first_chunk = first_chunk
        self.waiting = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.first_chunk
        self.waiting.set()
        await asyncio.Event().wait()
        yield b""


async def test_async_download_saves_files_in_order(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    httpx_mock.add_response(url=f"{FILES}/1.png", headers=PNG, content=png_body(300))
    httpx_mock.add_response(
        url=f"{FILES}/2.webp",
        headers={"content-type": "image/webp"},
        content=b"RIFF1234",
    )
    inference = make_inference(
        [
            file_entry(f"{FILES}/1.png", size_bytes=300),
            file_entry(f"{FILES}/2.webp", content_type="image/webp"),
        ]
    )

    paths = await download_inference_async(client, inference, tmp_path)

    assert paths == [tmp_path / "inf_1-1.png", tmp_path / "inf_1-2.webp"]
    assert paths[0].read_bytes() == png_body(300)
    assert paths[1].read_bytes() == b"RIFF1234"
    assert leftover_temp_files(tmp_path) == []


async def test_async_download_sends_no_credentials(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    httpx_mock.add_response(
        url=f"{FILES}/1.png",
        status_code=308,
        headers={"location": "https://cdn.example/1.png"},
    )
    httpx_mock.add_response(
        url="https://cdn.example/1.png", headers=PNG, content=png_body(64)
    )
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    await download_inference_async(client, inference, tmp_path)

    requests = httpx_mock.get_requests()
    assert len(requests) == 2
    for request in requests:
        assert "authorization" not in request.headers
        assert "cookie" not in request.headers


async def test_async_download_truncated_body_leaves_nothing(
    httpx_mock: HTTPXMock,
    client: httpx.AsyncClient,
    tmp_path: Path,
    sleep: RecordingAsyncSleep,
) -> None:
    httpx_mock.add_response(
        url=f"{FILES}/1.png",
        headers={"content-type": "image/png", "content-length": "1000"},
        content=png_body(400),
        is_reusable=True,
    )
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    with pytest.raises(DownloadError, match="truncated"):
        await download_inference_async(client, inference, tmp_path, sleep=sleep)

    assert dir_entries(tmp_path) == []
    assert len(httpx_mock.get_requests()) == 3
    assert len(sleep.delays) == 2


async def test_async_download_rejects_html_body(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    httpx_mock.add_response(
        url=f"{FILES}/1.png", headers=PNG, content=b"\n<!doctype html><p>Sign in</p>"
    )
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    with pytest.raises(DownloadError, match="nothing was saved"):
        await download_inference_async(client, inference, tmp_path)

    assert dir_entries(tmp_path) == []


async def test_async_download_stops_after_max_redirects(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    httpx_mock.add_response(
        url=f"{FILES}/loop.png",
        status_code=302,
        headers={"location": "loop.png"},
        is_reusable=True,
    )
    inference = make_inference([file_entry(f"{FILES}/loop.png")])

    with pytest.raises(DownloadError, match="too many redirects"):
        await download_inference_async(client, inference, tmp_path)

    assert len(httpx_mock.get_requests()) == 6


async def test_async_download_failure_keeps_other_files(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    httpx_mock.add_response(url=f"{FILES}/1.png", status_code=410, text="gone")
    httpx_mock.add_response(url=f"{FILES}/2.png", headers=PNG, content=png_body(20))
    inference = make_inference(
        [file_entry(f"{FILES}/1.png"), file_entry(f"{FILES}/2.png")]
    )

    with pytest.raises(DownloadError) as caught:
        await download_inference_async(client, inference, tmp_path)

    assert caught.value.status_code == 410
    assert caught.value.saved_paths == [tmp_path / "inf_1-2.png"]
    assert (tmp_path / "inf_1-2.png").read_bytes() == png_body(20)
    assert leftover_temp_files(tmp_path) == []


async def test_async_download_retries_then_succeeds(
    httpx_mock: HTTPXMock,
    client: httpx.AsyncClient,
    tmp_path: Path,
    sleep: RecordingAsyncSleep,
) -> None:
    httpx_mock.add_exception(httpx.ReadTimeout("slow"), url=f"{FILES}/1.png")
    httpx_mock.add_response(url=f"{FILES}/1.png", status_code=500)
    httpx_mock.add_response(url=f"{FILES}/1.png", headers=PNG, content=png_body(64))
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    paths = await download_inference_async(
        client, inference, tmp_path, sleep=sleep, random=lambda: 0.0
    )

    assert paths[0].read_bytes() == png_body(64)
    assert sleep.delays == [0.25, 0.5]


async def test_async_download_skips_complete_file(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    (tmp_path / "inf_1-1.png").write_bytes(png_body(10))
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    paths = await download_inference_async(client, inference, tmp_path)

    assert paths == [tmp_path / "inf_1-1.png"]
    assert httpx_mock.get_requests() == []


async def test_async_download_refuses_non_loopback_http(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    inference = make_inference([file_entry("http://10.1.2.3/1.png")])

    with pytest.raises(DownloadError, match="plain http"):
        await download_inference_async(client, inference, tmp_path)

    assert httpx_mock.get_requests() == []


async def test_async_download_out_dir_file_sends_nothing(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    file_in_the_way = tmp_path / "out"
    file_in_the_way.write_bytes(b"")
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    with pytest.raises(LayerInputError):
        await download_inference_async(client, inference, file_in_the_way)

    assert httpx_mock.get_requests() == []


async def test_async_download_bounds_concurrency(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    in_flight = [0]
    peak = [0]

    def body() -> Iterator[bytes]:
        yield png_body(16)
        in_flight[0] -= 1

    def respond(request: httpx.Request) -> httpx.Response:
        in_flight[0] += 1
        peak[0] = max(peak[0], in_flight[0])
        return httpx.Response(200, headers=PNG, stream=IteratorStream(body()))

    httpx_mock.add_callback(respond, is_reusable=True)
    inference = make_inference([file_entry(f"{FILES}/{n}.png") for n in range(6)])

    paths = await download_inference_async(
        client, inference, tmp_path, max_concurrency=3
    )

    assert len(paths) == 6
    assert 1 <= peak[0] <= 3


async def test_async_download_cancel_removes_temp_file(
    httpx_mock: HTTPXMock, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    stream = BlockingStream(png_body(4096))
    httpx_mock.add_response(url=f"{FILES}/1.png", headers=PNG, stream=stream)
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    task = asyncio.create_task(download_inference_async(client, inference, tmp_path))
    await stream.waiting.wait()
    temp_files = leftover_temp_files(tmp_path)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert len(temp_files) == 1
    assert dir_entries(tmp_path) == []


def test_async_download_interrupt_removes_temp_file(
    httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    def body() -> Iterator[bytes]:
        yield png_body(4096)
        raise KeyboardInterrupt

    httpx_mock.add_response(
        url=f"{FILES}/1.png", headers=PNG, stream=IteratorStream(body())
    )
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    async def run() -> None:
        async with httpx.AsyncClient() as http_client:
            await download_inference_async(http_client, inference, tmp_path)

    # KeyboardInterrupt raised in a task leaves the event loop itself, so
    # this test runs its own loop and then lets the main task unwind, as
    # asyncio.run does.
    loop = asyncio.new_event_loop()
    try:
        main = loop.create_task(run())
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(main)
        main.cancel()
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(main)
        assert isinstance(main.exception(), KeyboardInterrupt)
    finally:
        loop.close()

    assert dir_entries(tmp_path) == []
