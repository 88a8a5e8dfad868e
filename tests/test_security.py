"""Security properties, checked over real HTTP on loopback servers these tests start.

The token stays out of logs, messages and reprs. It never reaches the file
origin, also not after a cross-origin redirect. Plain http is rejected
unless the host is loopback. A hostile inference id cannot write outside
the output folder, and a partial download never replaces a complete file.

Every client here uses `LoopbackOnlyTransport`, so even a client bug
cannot send a request off this machine.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bench.soak import SOAK_TOKEN, SoakConfig, run_soak_async
from layer_client import (
    NO_RETRIES,
    AsyncLayerClient,
    AuthenticationError,
    DownloadError,
    Inference,
    LayerClient,
    LayerError,
    LayerInputError,
)
from layer_client.config import is_loopback_host
from layer_client.download_async import download_inference_async
from layer_client.download_sync import download_inference
from layer_client.emulator import Emulator, EmulatorConfig
from layer_client.emulator.png import render_pattern_png

pytestmark = pytest.mark.e2e

TOKEN = "security-secret-token-4b1d9e"
WORKSPACE = "ws_security"
# Nothing listens there, and the download tests never call the API.
UNUSED_API_URL = "http://127.0.0.1:9/graphql"
PNG = render_pattern_png(64, 64, seed=1, prompt="security", index=0)


class LoopbackOnlyTransport(httpx.BaseTransport):
    """Send loopback requests, and record and reject any other host without connecting."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.refused: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not is_loopback_host(request.url.host):
            self.refused.append(str(request.url))
            raise httpx.ConnectError("test guard: only loopback hosts", request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class AsyncLoopbackOnlyTransport(httpx.AsyncBaseTransport):
    """The async form of LoopbackOnlyTransport, for AsyncLayerClient."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.refused: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not is_loopback_host(request.url.host):
            self.refused.append(str(request.url))
            raise httpx.ConnectError("test guard: only loopback hosts", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]


Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class RecordingServer:
    """A loopback HTTP server with test-defined routes that records every request."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def handle_any(self) -> None:
                path = self.path.split("?", 1)[0]
                owner.requests.append(
                    RecordedRequest(
                        self.command,
                        path,
                        {k.lower(): v for k, v in self.headers.items()},
                    )
                )
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                route = owner.routes.get(path)
                if route is None:
                    self.send_error(404)
                    return
                route(self)

            do_GET = handle_any
            do_POST = handle_any

            def log_message(self, format: str, *args: object) -> None:
                """No access log in the test output."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def serve_png(body: bytes = PNG) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return route


def serve_truncated(body: bytes = PNG) -> Route:
    """Announce the whole body, send half of it, and close the connection."""

    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "image/png")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[: len(body) // 2])
        handler.wfile.flush()
        handler.close_connection = True

    return route


def redirect_to(location: str, status: int = 302) -> Route:
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


@pytest.fixture
def servers() -> Iterator[tuple[RecordingServer, RecordingServer]]:
    """Two loopback servers on different ports, so two different origins."""
    first, second = RecordingServer(), RecordingServer()
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()


@pytest.fixture
def guard() -> LoopbackOnlyTransport:
    return LoopbackOnlyTransport()


def inference_with_files(
    inference_id: str, urls: list[str], size: int | None = len(PNG)
) -> Inference:
    return Inference.model_validate(
        {
            "__typename": "Inference",
            "id": inference_id,
            "status": "COMPLETE",
            "errorCode": None,
            "createdAt": "2025-08-01T12:00:00.000Z",
            "etaAt": None,
            "files": [
                {
                    "__typename": "File",
                    "id": f"file_{n}",
                    "status": "PROCESSED",
                    "url": url,
                    "previewUrl": None,
                    "contentType": "image/png",
                    "sizeBytes": size,
                    "width": 64,
                    "height": 64,
                }
                for n, url in enumerate(urls)
            ],
        }
    )


def download_client(http: httpx.Client) -> LayerClient:
    return LayerClient(
        TOKEN, workspace_id=WORKSPACE, api_url=UNUSED_API_URL, http_client=http
    )


def async_download_client(http: httpx.AsyncClient) -> AsyncLayerClient:
    return AsyncLayerClient(
        TOKEN, workspace_id=WORKSPACE, api_url=UNUSED_API_URL, http_client=http
    )


def exception_chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def files_under(folder: Path) -> set[Path]:
    return {path for path in folder.rglob("*") if path.is_file()}


# The token in logs, messages and reprs


def test_soak_run_keeps_token_secret(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    config = SoakConfig(generations=12, seed=5, deadline=120.0, out_dir=tmp_path)
    report = asyncio.run(run_soak_async(config))

    assert sum(report.faults.values()) > 0, report.render()
    debug_records = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert debug_records, "no DEBUG records were captured"
    for record in caplog.records:
        message = record.getMessage()
        assert SOAK_TOKEN not in message, f"{record.name}: {message[:500]}"
        assert SOAK_TOKEN not in (record.exc_text or ""), record.name
    assert SOAK_TOKEN not in caplog.text

    # Seed 5 plans a prompt with the forbidden word, which always ends in an
    # error, so there is at least one error to inspect.
    errors = [o.error for o in report.outcomes if o.error is not None]
    assert errors, report.render()
    for error in errors:
        for item in exception_chain(error):
            assert SOAK_TOKEN not in str(item), type(item).__name__
            assert SOAK_TOKEN not in repr(item), type(item).__name__
        assert SOAK_TOKEN not in "".join(traceback.format_exception(error))


def test_reprs_hide_token() -> None:
    with LayerClient(TOKEN, workspace_id=WORKSPACE, api_url=UNUSED_API_URL) as layer:
        assert TOKEN not in repr(layer)
        assert TOKEN not in repr(layer.settings)
        assert TOKEN not in str(layer.settings)


def test_invalid_key_error_hides_key() -> None:
    bad_key = "secret-part-one secret-part-two"
    with pytest.raises(LayerInputError) as caught:
        LayerClient(bad_key, workspace_id=WORKSPACE, api_url=UNUSED_API_URL)
    assert "secret-part" not in str(caught.value)
    assert "secret-part" not in repr(caught.value)


def test_rejected_token_error_hides_token(guard: LoopbackOnlyTransport) -> None:
    with (
        Emulator(EmulatorConfig(token="the-right-token")) as emulator,
        httpx.Client(transport=guard) as http,
        LayerClient(
            TOKEN,
            workspace_id=emulator.workspace_id,
            api_url=emulator.url,
            http_client=http,
            retry=NO_RETRIES,
        ) as layer,
        pytest.raises(AuthenticationError) as caught,
    ):
        layer.get_usage()
    for item in exception_chain(caught.value):
        assert TOKEN not in str(item)
        assert TOKEN not in repr(item)


# Where the token is sent


def test_generate_sends_token_only_to_api(
    guard: LoopbackOnlyTransport, tmp_path: Path
) -> None:
    sent: list[httpx.Request] = []
    config = EmulatorConfig(token=TOKEN, min_duration=0.0, max_duration=0.0)
    with (
        Emulator(config) as emulator,
        httpx.Client(transport=guard, event_hooks={"request": [sent.append]}) as http,
        LayerClient(
            TOKEN,
            workspace_id=emulator.workspace_id,
            api_url=emulator.url,
            http_client=http,
        ) as layer,
    ):
        result = layer.generate(
            style_id=emulator.style_id,
            prompt="a castle",
            out_dir=tmp_path,
            batch_size=2,
        )
        files_origin = httpx.URL(emulator.files_url)
        api_origin = httpx.URL(emulator.url)

    assert len(result.paths) == 2
    file_requests = [r for r in sent if r.url.port == files_origin.port]
    api_requests = [r for r in sent if r.url.port == api_origin.port]
    assert len(file_requests) == 2
    assert api_requests
    for request in file_requests:
        assert "authorization" not in request.headers
        assert TOKEN not in str(request.url)
    for request in api_requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_file_redirect_to_other_origin_gets_no_token(
    servers: tuple[RecordingServer, RecordingServer],
    guard: LoopbackOnlyTransport,
    tmp_path: Path,
    status: int,
) -> None:
    first, second = servers
    first.routes["/file.png"] = redirect_to(f"{second.origin}/file.png", status)
    second.routes["/file.png"] = serve_png()
    # Default headers a caller might set on their own client: none may
    # follow the download, to either origin.
    defaults = {"Authorization": f"Bearer {TOKEN}", "Cookie": f"session={TOKEN}"}
    inference = inference_with_files("inf_redirect", [f"{first.origin}/file.png"])

    with httpx.Client(transport=guard, headers=defaults) as http:
        paths = download_client(http).download(inference, tmp_path)

    assert [p.read_bytes() for p in paths] == [PNG]
    assert [r.path for r in first.requests] == ["/file.png"]
    assert [r.path for r in second.requests] == ["/file.png"]
    for request in first.requests + second.requests:
        assert "authorization" not in request.headers
        assert "cookie" not in request.headers
        assert TOKEN not in " ".join(request.headers.values())


def test_api_redirect_is_not_followed(
    servers: tuple[RecordingServer, RecordingServer], guard: LoopbackOnlyTransport
) -> None:
    first, second = servers
    first.routes["/graphql"] = redirect_to(f"{second.origin}/graphql", 307)
    with (
        httpx.Client(transport=guard) as http,
        LayerClient(
            TOKEN,
            workspace_id=WORKSPACE,
            api_url=f"{first.origin}/graphql",
            http_client=http,
            retry=NO_RETRIES,
        ) as layer,
        pytest.raises(LayerError),
    ):
        layer.get_usage()
    assert len(first.requests) == 1
    assert second.requests == []


def test_file_redirect_to_plain_http_host_is_refused(
    servers: tuple[RecordingServer, RecordingServer],
    guard: LoopbackOnlyTransport,
    tmp_path: Path,
) -> None:
    first, _ = servers
    first.routes["/file.png"] = redirect_to("http://files.example.com/file.png")
    inference = inference_with_files("inf_plain", [f"{first.origin}/file.png"])
    with httpx.Client(transport=guard) as http, pytest.raises(DownloadError):
        download_client(http).download(inference, tmp_path)
    assert guard.refused == []
    assert files_under(tmp_path) == set()


# Plain http endpoints

NOT_LOOPBACK_HTTP_URLS = [
    "http://api.example.com/graphql",
    "http://10.0.0.1/graphql",
    "http://0.0.0.0:8080/graphql",
    "http://[::ffff:8.8.8.8]/graphql",
    "http://localhost.example.com/graphql",
    "http://127.0.0.1.nip.io/graphql",
]


@pytest.mark.parametrize("url", NOT_LOOPBACK_HTTP_URLS)
def test_plain_http_api_url_is_refused(url: str) -> None:
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    with httpx.Client(transport=httpx.MockTransport(record)) as http:
        with pytest.raises(LayerInputError) as caught:
            LayerClient(TOKEN, workspace_id=WORKSPACE, api_url=url, http_client=http)
        assert caught.value.field == "api_url"
    assert sent == []


@pytest.mark.parametrize("url", NOT_LOOPBACK_HTTP_URLS[:2])
def test_plain_http_from_environment_is_refused(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAYER_API_KEY", TOKEN)
    monkeypatch.setenv("LAYER_WORKSPACE_ID", WORKSPACE)
    monkeypatch.setenv("LAYER_API_URL", url)
    with pytest.raises(LayerInputError):
        LayerClient()
    with pytest.raises(LayerInputError):
        AsyncLayerClient()


def test_plain_http_loopback_api_url_is_accepted() -> None:
    for url in ("http://127.0.0.1:9/graphql", "http://localhost:9/graphql"):
        with LayerClient(TOKEN, workspace_id=WORKSPACE, api_url=url) as layer:
            assert layer.settings.api_url == url


def test_plain_http_file_url_is_refused(
    guard: LoopbackOnlyTransport, tmp_path: Path
) -> None:
    inference = inference_with_files("inf_http", ["http://files.example.com/a.png"])
    with httpx.Client(transport=guard) as http, pytest.raises(DownloadError):
        download_client(http).download(inference, tmp_path)
    assert guard.refused == []


# Paths on disk

HOSTILE_IDS = [
    "../x",
    "../../etc/passwd",
    "/tmp/absolute",
    "a/../../b",
    "..",
    ".",
    ".hidden",
    "x\\..\\..\\y",
    "inf_\x00null",
    "~/home",
]


@pytest.mark.parametrize("inference_id", HOSTILE_IDS)
def test_hostile_inference_id_stays_in_out_dir(
    servers: tuple[RecordingServer, RecordingServer],
    guard: LoopbackOnlyTransport,
    tmp_path: Path,
    inference_id: str,
) -> None:
    first, _ = servers
    first.routes["/file.png"] = serve_png()
    out_dir = tmp_path / "nested" / "out"
    out_dir.mkdir(parents=True)
    inference = inference_with_files(inference_id, [f"{first.origin}/file.png"])

    with httpx.Client(transport=guard) as http:
        try:
            paths = download_client(http).download(inference, out_dir)
        except LayerError:
            paths = []

    for path in paths:
        assert path.resolve().parent == out_dir.resolve()
        assert path.read_bytes() == PNG
    assert files_under(tmp_path) == set(paths)


def test_complete_file_is_kept_when_server_truncates(
    servers: tuple[RecordingServer, RecordingServer],
    guard: LoopbackOnlyTransport,
    tmp_path: Path,
) -> None:
    first, _ = servers
    first.routes["/file.png"] = serve_png()
    inference = inference_with_files("inf_keep", [f"{first.origin}/file.png"])
    with httpx.Client(transport=guard) as http:
        (path,) = download_client(http).download(inference, tmp_path)
        assert path.read_bytes() == PNG

        # The same download again: the complete file is kept, not requested.
        first.routes["/file.png"] = serve_truncated()
        (again,) = download_client(http).download(inference, tmp_path)
    assert again == path
    assert len(first.requests) == 1
    assert path.read_bytes() == PNG


@pytest.mark.parametrize("size", [len(PNG), None])
def test_forced_redownload_that_truncates_keeps_file(
    servers: tuple[RecordingServer, RecordingServer],
    guard: LoopbackOnlyTransport,
    tmp_path: Path,
    size: int | None,
) -> None:
    first, _ = servers
    first.routes["/file.png"] = serve_png()
    inference = inference_with_files("inf_force", [f"{first.origin}/file.png"], size)
    with httpx.Client(transport=guard) as http:
        (path,) = download_inference(http, inference, tmp_path)
        first.routes["/file.png"] = serve_truncated()
        with pytest.raises(DownloadError):
            download_inference(
                http, inference, tmp_path, skip_existing=False, sleep=lambda s: None
            )
    assert path.read_bytes() == PNG
    assert files_under(tmp_path) == {path}


# The same download checks through AsyncLayerClient, whose download code is
# separate from the sync one.


@pytest.mark.parametrize("status", [302, 307])
async def test_async_file_redirect_gets_no_token(
    servers: tuple[RecordingServer, RecordingServer], tmp_path: Path, status: int
) -> None:
    first, second = servers
    first.routes["/file.png"] = redirect_to(f"{second.origin}/file.png", status)
    second.routes["/file.png"] = serve_png()
    defaults = {"Authorization": f"Bearer {TOKEN}", "Cookie": f"session={TOKEN}"}
    inference = inference_with_files("inf_redirect", [f"{first.origin}/file.png"])
    guard = AsyncLoopbackOnlyTransport()

    async with httpx.AsyncClient(transport=guard, headers=defaults) as http:
        paths = await async_download_client(http).download(inference, tmp_path)

    assert [p.read_bytes() for p in paths] == [PNG]
    assert len(second.requests) == 1
    for request in first.requests + second.requests:
        assert "authorization" not in request.headers
        assert "cookie" not in request.headers


@pytest.mark.parametrize("inference_id", HOSTILE_IDS)
async def test_async_hostile_inference_id_stays_in_out_dir(
    servers: tuple[RecordingServer, RecordingServer],
    tmp_path: Path,
    inference_id: str,
) -> None:
    first, _ = servers
    first.routes["/file.png"] = serve_png()
    out_dir = tmp_path / "nested" / "out"
    out_dir.mkdir(parents=True)
    inference = inference_with_files(inference_id, [f"{first.origin}/file.png"])

    async with httpx.AsyncClient(transport=AsyncLoopbackOnlyTransport()) as http:
        try:
            paths = await async_download_client(http).download(inference, out_dir)
        except LayerError:
            paths = []

    for path in paths:
        assert path.resolve().parent == out_dir.resolve()
    assert files_under(tmp_path) == set(paths)


@pytest.mark.parametrize("size", [len(PNG), None])
async def test_async_truncated_redownload_keeps_file(
    servers: tuple[RecordingServer, RecordingServer], tmp_path: Path, size: int | None
) -> None:
    first, _ = servers
    first.routes["/file.png"] = serve_png()
    inference = inference_with_files("inf_force", [f"{first.origin}/file.png"], size)

    async def no_sleep(seconds: float) -> None:
        return None

    async with httpx.AsyncClient(transport=AsyncLoopbackOnlyTransport()) as http:
        (path,) = await download_inference_async(http, inference, tmp_path)
        first.routes["/file.png"] = serve_truncated()
        with pytest.raises(DownloadError):
            await download_inference_async(
                http, inference, tmp_path, skip_existing=False, sleep=no_sleep
            )
    assert path.read_bytes() == PNG
    assert files_under(tmp_path) == {path}
