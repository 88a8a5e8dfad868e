"""Downloads over real sockets from a file server on 127.0.0.1.

pytest-httpx replaces the transport, so it cannot show how httpx reports a
connection closed mid-body. These tests run a small http.server instead, and their clients ignore proxy
settings from the environment so that traffic stays on loopback.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from layer_client.download_sync import download_inference
from layer_client.errors import DownloadError
from tests.download_helpers import (
    RecordingSleep,
    dir_entries,
    file_entry,
    make_inference,
    png_body,
)

BODY = png_body(5000)


class FileHandler(BaseHTTPRequestHandler):
    """Serves /ok.png whole, /short.png cut off, /redirect to /ok.png."""

    seen_headers: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen_headers.append(dict(self.headers))
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "/ok.png?sig=2")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        if self.path.startswith("/short.png"):
            self.wfile.write(BODY[:2000])
            self.close_connection = True
            return
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server_url() -> Iterator[str]:
    FileHandler.seen_headers = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FileHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_loopback_download_and_redirect(server_url: str, tmp_path: Path) -> None:
    inference = make_inference(
        [file_entry(f"{server_url}/ok.png?sig=1"), file_entry(f"{server_url}/redirect")]
    )

    with httpx.Client(
        headers={"Authorization": "Bearer layer-token"}, trust_env=False
    ) as client:
        paths = download_inference(client, inference, tmp_path, sleep=RecordingSleep())

    assert [path.read_bytes() for path in paths] == [BODY, BODY]
    assert dir_entries(tmp_path) == sorted(paths)
    assert len(FileHandler.seen_headers) == 3
    for headers in FileHandler.seen_headers:
        assert "Authorization" not in headers


def test_loopback_connection_closed_mid_body(server_url: str, tmp_path: Path) -> None:
    sleep = RecordingSleep()
    inference = make_inference([file_entry(f"{server_url}/short.png")])

    with (
        httpx.Client(timeout=10, trust_env=False) as client,
        pytest.raises(DownloadError) as caught,
    ):
        download_inference(client, inference, tmp_path, sleep=sleep)

    assert "RemoteProtocolError" in str(caught.value)
    assert len(sleep.delays) == 2
    assert len(FileHandler.seen_headers) == 3
    assert dir_entries(tmp_path) == []
