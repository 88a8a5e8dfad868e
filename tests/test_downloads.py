"""Tests for download_inference with a blocking httpx.Client and pytest-httpx."""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from layer_graphql.fragments import InferenceFields
from pytest_httpx import HTTPXMock, IteratorStream

from layer_client import download_sync
from layer_client.errors import DownloadError, LayerInputError
from tests.download_helpers import (
    RecordingSleep,
    file_entry,
    leftover_temp_files,
    make_inference,
    png_body,
)

FILES = "https://files.example"
PNG = {"content-type": "image/png"}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(
        headers={"Authorization": "Bearer layer-token", "X-Api-Key": "key"},
        cookies={"session": "api-cookie"},
    ) as http_client:
        yield http_client


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


def download_inference(
    http_client: httpx.Client,
    inference: InferenceFields,
    out_dir: Path,
    **options: Any,
) -> list[Path]:
    """Call download_sync.download_inference, never really sleeping between retries."""
    options.setdefault("sleep", RecordingSleep())
    return download_sync.download_inference(http_client, inference, out_dir, **options)


def test_download_saves_files_in_order(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path
) -> None:
    first, second = png_body(300), png_body(500, b"y")
    httpx_mock.add_response(url=f"{FILES}/1.png?sig=a", headers=PNG, content=first)
    httpx_mock.add_response(
        url=f"{FILES}/2.jpg?sig=b",
        headers={"content-type": "image/jpeg"},
        content=second,
    )
    inference = make_inference(
        [
            file_entry(f"{FILES}/1.png?sig=a", size_bytes=300),
            file_entry(f"{FILES}/2.jpg?sig=b", content_type="image/jpeg"),
        ]
    )

    paths = download_inference(client, inference, tmp_path)

    assert paths == [tmp_path / "inf_1-1.png", tmp_path / "inf_1-2.jpg"]
    assert paths[0].read_bytes() == first
    assert paths[1].read_bytes() == second
    assert leftover_temp_files(tmp_path) == []


def test_download_sends_no_credentials(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path
) -> None:
    httpx_mock.add_response(url=f"{FILES}/1.png", headers=PNG, content=png_body(64))

    download_inference(client, make_inference([file_entry(f"{FILES}/1.png")]), tmp_path)

    (request,) = httpx_mock.get_requests()
    assert "authorization" not in request.headers
    assert "cookie" not in request.headers
    assert "x-api-key" not in request.headers


def test_download_skips_client_auth(httpx_mock: HTTPXMock, tmp_path: Path) -> None:
    httpx_mock.add_response(url=f"{FILES}/1.png", headers=PNG, content=png_body(64))
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    with httpx.Client(auth=httpx.BasicAuth("user", "password")) as auth_client:
        download_inference(auth_client, inference, tmp_path)

    (request,) = httpx_mock.get_requests()
    assert "authorization" not in request.headers


def test_download_truncated_body_leaves_nothing(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path, sleep: RecordingSleep
) -> None:
    httpx_mock.add_response(
        url=f"{FILES}/1.png",
        headers={"content-type": "image/png", "content-length": "1000"},
        content=png_body(400),
        is_reusable=True,
    )
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    with pytest.raises(DownloadError, match="truncated") as caught:
        download_inference(client, inference, tmp_path, sleep=sleep)

    assert caught.value.saved_paths == []
    assert list(tmp_path.iterdir()) == []
    assert len(httpx_mock.get_requests()) == 3
    assert len(sleep.delays) == 2


def test_download_truncated_large_body_removes_temp(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path, sleep: RecordingSleep
) -> None:
    # 4000 bytes pass the error-page check, so a temporary file is written
    # before the size check fails.
    httpx_mock.add_response(
        url=f"{FILES}/1.png",
        headers={"content-type": "image/png", "content-length": "10000"},
        content=png_body(4000),
    )
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    with pytest.raises(DownloadError, match="received 4000 of 10000"):
        download_inference(client, inference, tmp_path, attempts=1, sleep=sleep)

    assert list(tmp_path.iterdir()) == []


def test_download_short_of_api_size_fails(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path, sleep: RecordingSleep
) -> None:
    httpx_mock.add_response(url=f"{FILES}/1.png", headers=PNG, content=png_body(400))
    inference = make_inference([file_entry(f"{FILES}/1.png", size_bytes=1000)])

    with pytest.raises(DownloadError, match="received 400 of 1000"):
        download_inference(client, inference, tmp_path, attempts=1, sleep=sleep)

    assert list(tmp_path.iterdir()) == []


def test_download_longer_than_api_size_fails(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path, sleep: RecordingSleep
) -> None:
    httpx_mock.add_response(url=f"{FILES}/1.png", headers=PNG, content=png_body(4000))
    inference = make_inference([file_entry(f"{FILES}/1.png", size_bytes=1000)])

    with pytest.raises(DownloadError, match="more than"):
        download_inference(client, inference, tmp_path, sleep=sleep)

    assert list(tmp_path.iterdir()) == []
    assert sleep.delays == []


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        (
            {"content-type": "text/html"},
            b"<html><body>Service unavailable</body></html>",
        ),
        (PNG, b"<!DOCTYPE html><html><body>Sign in</body></html>"),
        (
            {"content-type": "application/xml"},
            b"<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>",
        ),
        (
            {"content-type": "binary/octet-stream"},
            b"<Error><Code>Expired</Code></Error>",
        ),
    ],
)
def test_download_rejects_error_body(
    httpx_mock: HTTPXMock,
    client: httpx.Client,
    tmp_path: Path,
    headers: dict[str, str],
    body: bytes,
) -> None:
    httpx_mock.add_response(url=f"{FILES}/1.png", headers=headers, content=body)
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    with pytest.raises(DownloadError, match="nothing was saved"):
        download_inference(client, inference, tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_download_follows_redirects_without_credentials(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path
) -> None:
    body = png_body(256)
    httpx_mock.add_response(
        url=f"{FILES}/start.png?sig=1",
        status_code=302,
        headers={"location": "/moved/once.png?sig=2"},
    )
    httpx_mock.add_response(
        url=f"{FILES}/moved/once.png?sig=2",
        status_code=307,
        headers={"location": "https://cdn.example/final.png?sig=3"},
    )
    httpx_mock.add_response(
        url="https://cdn.example/final.png?sig=3",
        status_code=301,
        headers={"location": "../final-2.png"},
    )
    httpx_mock.add_response(
        url="https://cdn.example/final-2.png", headers=PNG, content=body
    )
    inference = make_inference([file_entry(f"{FILES}/start.png?sig=1")])

    paths = download_inference(client, inference, tmp_path, max_redirects=3)

    assert paths[0].read_bytes() == body
    requests = httpx_mock.get_requests()
    assert len(requests) == 4
    for request in requests:
        assert "authorization" not in request.headers
        assert "cookie" not in request.headers


def test_download_stops_after_max_redirects(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path, sleep: RecordingSleep
) -> None:
    for hop in range(3):
        httpx_mock.add_response(
            url=f"{FILES}/{hop}.png",
            status_code=302,
            headers={"location": f"/{hop + 1}.png"},
        )
    inference = make_inference([file_entry(f"{FILES}/0.png")])

    with pytest.raises(DownloadError, match="too many redirects"):
        download_inference(client, inference, tmp_path, max_redirects=2, sleep=sleep)

    assert len(httpx_mock.get_requests()) == 3
    assert sleep.delays == []
    assert list(tmp_path.iterdir()) == []


def test_download_rejects_redirect_to_plain_http(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path
) -> None:
    httpx_mock.add_response(
        url=f"{FILES}/1.png",
        status_code=302,
        headers={"location": "http://files.example/1.png"},
    )
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    with pytest.raises(DownloadError, match="plain http"):
        download_inference(client, inference, tmp_path)

    assert len(httpx_mock.get_requests()) == 1


def test_download_refuses_non_loopback_http(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path
) -> None:
    inference = make_inference(
        [file_entry(f"{FILES}/ok.png"), file_entry("http://files.example/1.png")]
    )

    with pytest.raises(DownloadError, match="plain http"):
        download_inference(client, inference, tmp_path)

    assert httpx_mock.get_requests() == []


def test_download_allows_loopback_http(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path
) -> None:
    httpx_mock.add_response(
        url="http://127.0.0.1:8765/1.png", headers=PNG, content=png_body(32)
    )
    inference = make_inference([file_entry("http://127.0.0.1:8765/1.png")])

    paths = download_inference(client, inference, tmp_path)

    assert paths == [tmp_path / "inf_1-1.png"]


def test_download_skips_complete_file(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path
) -> None:
    existing = tmp_path / "inf_1-1.png"
    existing.write_bytes(png_body(120))
    inference = make_inference([file_entry(f"{FILES}/1.png", size_bytes=120)])

    paths = download_inference(client, inference, tmp_path)

    assert paths == [existing]
    assert httpx_mock.get_requests() == []


def test_download_replaces_wrong_size_file(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path
) -> None:
    existing = tmp_path / "inf_1-1.png"
    existing.write_bytes(b"old")
    body = png_body(120)
    httpx_mock.add_response(url=f"{FILES}/1.png", headers=PNG, content=body)
    inference = make_inference([file_entry(f"{FILES}/1.png", size_bytes=120)])

    download_inference(client, inference, tmp_path)

    assert existing.read_bytes() == body


def test_download_without_skip_fetches_again(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path
) -> None:
    (tmp_path / "inf_1-1.png").write_bytes(png_body(120))
    httpx_mock.add_response(url=f"{FILES}/1.png", headers=PNG, content=png_body(120))
    inference = make_inference([file_entry(f"{FILES}/1.png", size_bytes=120)])

    download_inference(client, inference, tmp_path, skip_existing=False)

    assert len(httpx_mock.get_requests()) == 1


def test_download_failure_keeps_other_files(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path
) -> None:
    httpx_mock.add_response(url=f"{FILES}/1.png", headers=PNG, content=png_body(10))
    httpx_mock.add_response(url=f"{FILES}/2.png", status_code=404, text="gone")
    httpx_mock.add_response(url=f"{FILES}/3.png", headers=PNG, content=png_body(30))
    httpx_mock.add_response(url=f"{FILES}/4.png", status_code=403, text="denied")
    inference = make_inference([file_entry(f"{FILES}/{n}.png") for n in (1, 2, 3, 4)])

    with pytest.raises(DownloadError) as caught:
        download_inference(client, inference, tmp_path)

    assert caught.value.status_code == 404
    assert caught.value.saved_paths == [
        tmp_path / "inf_1-1.png",
        tmp_path / "inf_1-3.png",
    ]
    assert (tmp_path / "inf_1-1.png").read_bytes() == png_body(10)
    assert (tmp_path / "inf_1-3.png").read_bytes() == png_body(30)
    assert not (tmp_path / "inf_1-2.png").exists()
    assert leftover_temp_files(tmp_path) == []


def test_download_retries_then_succeeds(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path, sleep: RecordingSleep
) -> None:
    httpx_mock.add_response(url=f"{FILES}/1.png", status_code=503, text="busy")
    httpx_mock.add_exception(httpx.ConnectError("refused"), url=f"{FILES}/1.png")
    httpx_mock.add_response(url=f"{FILES}/1.png", headers=PNG, content=png_body(64))
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    paths = download_inference(
        client, inference, tmp_path, sleep=sleep, random=lambda: 0.5
    )

    assert paths[0].read_bytes() == png_body(64)
    assert sleep.delays == [0.375, 0.75]
    assert len(httpx_mock.get_requests()) == 3


def test_download_gives_up_after_attempts(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path, sleep: RecordingSleep
) -> None:
    httpx_mock.add_response(
        url=f"{FILES}/1.png", status_code=502, html="<h1>502</h1>", is_reusable=True
    )
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    with pytest.raises(DownloadError) as caught:
        download_inference(client, inference, tmp_path, attempts=4, sleep=sleep)

    assert caught.value.status_code == 502
    assert len(httpx_mock.get_requests()) == 4
    assert len(sleep.delays) == 3


def test_download_does_not_retry_client_errors(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path, sleep: RecordingSleep
) -> None:
    httpx_mock.add_response(url=f"{FILES}/1.png", status_code=403, text="expired")
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    with pytest.raises(DownloadError, match="HTTP 403"):
        download_inference(client, inference, tmp_path, sleep=sleep)

    assert sleep.delays == []


def test_download_disk_full_keeps_old_file(
    httpx_mock: HTTPXMock,
    client: httpx.Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    existing = tmp_path / "inf_1-1.png"
    existing.write_bytes(b"old")
    httpx_mock.add_response(url=f"{FILES}/1.png", headers=PNG, content=png_body(64))

    def full_disk(descriptor: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_disk)
    inference = make_inference([file_entry(f"{FILES}/1.png", size_bytes=64)])

    with pytest.raises(DownloadError, match="could not save"):
        download_inference(client, inference, tmp_path)

    assert existing.read_bytes() == b"old"
    assert leftover_temp_files(tmp_path) == []


def test_download_interrupt_removes_temp_file(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path
) -> None:
    temp_seen: list[list[Path]] = []

    def body() -> Iterator[bytes]:
        yield png_body(4096)
        temp_seen.append(leftover_temp_files(tmp_path))
        raise KeyboardInterrupt

    httpx_mock.add_response(
        url=f"{FILES}/1.png", headers=PNG, stream=IteratorStream(body())
    )
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    with pytest.raises(KeyboardInterrupt):
        download_inference(client, inference, tmp_path)

    assert len(temp_seen[0]) == 1
    assert list(tmp_path.iterdir()) == []


def test_download_bounds_concurrency(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path
) -> None:
    lock = threading.Lock()
    in_flight = [0]
    peak = [0]

    def body() -> Iterator[bytes]:
        yield png_body(16)
        with lock:
            in_flight[0] -= 1

    def respond(request: httpx.Request) -> httpx.Response:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        return httpx.Response(200, headers=PNG, stream=IteratorStream(body()))

    httpx_mock.add_callback(respond, is_reusable=True)
    inference = make_inference([file_entry(f"{FILES}/{n}.png") for n in range(6)])

    paths = download_inference(client, inference, tmp_path, max_concurrency=2)

    assert len(paths) == 6
    assert 1 <= peak[0] <= 2


def test_download_out_dir_file_sends_nothing(
    httpx_mock: HTTPXMock, client: httpx.Client, tmp_path: Path
) -> None:
    file_in_the_way = tmp_path / "out"
    file_in_the_way.write_bytes(b"")
    inference = make_inference([file_entry(f"{FILES}/1.png")])

    with pytest.raises(LayerInputError) as caught:
        download_inference(client, inference, file_in_the_way)

    assert caught.value.field == "out_dir"
    assert httpx_mock.get_requests() == []


def test_download_logs_without_query_string(
    httpx_mock: HTTPXMock,
    client: httpx.Client,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    signed = f"{FILES}/1.png?X-Amz-Signature=topsecret"
    httpx_mock.add_response(url=signed, headers=PNG, content=png_body(99))
    httpx_mock.add_response(url=f"{FILES}/2.png?token=topsecret", status_code=403)
    inference = make_inference(
        [file_entry(signed), file_entry(f"{FILES}/2.png?token=topsecret")],
        inference_id="inf_log",
    )
    caplog.set_level(logging.DEBUG, logger="layer_client.downloads")

    with pytest.raises(DownloadError) as caught:
        download_inference(client, inference, tmp_path)

    done = [r for r in caplog.records if r.getMessage().startswith("download done")]
    assert len(done) == 1
    assert done[0].levelno == logging.INFO
    assert "inf_log" in done[0].getMessage()
    assert str(tmp_path / "inf_log-1.png") in done[0].getMessage()
    assert "99 bytes" in done[0].getMessage()
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    assert "topsecret" not in caplog.text
    assert "topsecret" not in str(caught.value)
    assert "topsecret" not in (caught.value.url or "")
