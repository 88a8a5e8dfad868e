"""Helpers of the batch tests: prompts files, fast clients and a PNG check.

Every client here talks to the in-process emulator on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import sqlite3
import struct
import zlib
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from layer_client import AsyncLayerClient, LayerClient, PollingConfig, RetryConfig
from layer_client.batch import JOURNAL_NAME, BatchReport
from layer_client.emulator import Emulator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Short delays so that a batch against the accelerated emulator takes
# about a second. max_delay matters most: the emulator's etaAt runs on
# emulated time, ahead of the wall clock, so the poll schedule would
# otherwise sleep its full max_delay.
FAST_POLLING = PollingConfig(
    initial_delay=0.02, max_delay=0.1, min_delay=0.01, timeout=30.0
)
FAST_RETRY = RetryConfig(initial_delay=0.01, max_delay=0.05, deadline=30.0)


@asynccontextmanager
async def async_client(emulator: Emulator) -> AsyncIterator[AsyncLayerClient]:
    """Yield an AsyncLayerClient for emulator with fast polling and retries."""
    # Proxy variables from the environment must not divert loopback traffic.
    async with (
        httpx.AsyncClient(trust_env=False, timeout=30.0) as transport,
        AsyncLayerClient(
            emulator.token,
            workspace_id=emulator.workspace_id,
            api_url=emulator.url,
            polling=FAST_POLLING,
            retry=FAST_RETRY,
            http_client=transport,
        ) as client,
    ):
        yield client


def sync_client(emulator: Emulator) -> LayerClient:
    """Return a LayerClient for emulator with fast polling and retries."""
    return LayerClient(
        emulator.token,
        workspace_id=emulator.workspace_id,
        api_url=emulator.url,
        polling=FAST_POLLING,
        retry=FAST_RETRY,
    )


def write_rows(path: Path, rows: Iterable[dict[str, Any] | str]) -> Path:
    """Write rows as JSON Lines; a str row is written as it is."""
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sized_rows(count: int) -> list[dict[str, Any]]:
    """Return count rows with small, distinct image sizes."""
    return [
        {
            "prompt": f"a castle on a hill, view {index}",
            "width": 16 + index % 7,
            "height": 12 + index % 5,
            "name": f"castle-{index}",
        }
        for index in range(count)
    ]


def png_size(path: Path) -> tuple[int, int]:
    """Return (width, height) of a complete, valid 8-bit RGB PNG; assert otherwise.

    Checks the signature, every chunk's CRC, the IEND chunk, and that the
    image data decompresses to exactly one filter byte plus 3 * width bytes
    per row.
    """
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), f"{path} has no PNG signature"
    offset = len(PNG_SIGNATURE)
    width = height = 0
    image_data = b""
    seen_end = False
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        tag = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert zlib.crc32(tag + body) & 0xFFFFFFFF == crc, f"bad CRC in {path}"
        if tag == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert (depth, color) == (8, 2), f"{path} is not 8-bit RGB"
        elif tag == b"IDAT":
            image_data += body
        elif tag == b"IEND":
            seen_end = True
        offset += 12 + length
    assert seen_end, f"{path} has no IEND chunk"
    assert len(zlib.decompress(image_data)) == height * (1 + 3 * width)
    return width, height


def journal_states(out_dir: Path, *, timeout: float = 5.0) -> Counter[str]:
    """Return the number of journal rows per state, reading it read-only.

    Raises sqlite3.OperationalError when a writer holds the database locked
    for longer than timeout seconds.
    """
    path = out_dir / JOURNAL_NAME
    if not path.exists():
        return Counter()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout) as db:
        return Counter(state for (state,) in db.execute("SELECT state FROM rows"))


def assert_files_intact(report: BatchReport, rows: list[dict[str, Any]]) -> None:
    """Assert each done row has one valid PNG of its requested size."""
    by_name = {row["name"]: row for row in rows}
    for result in report.rows:
        assert result.state == "done", f"line {result.line} is {result.state}"
        assert result.name is not None
        requested = by_name[result.name]
        assert len(result.files) == 1, f"line {result.line}: {result.files}"
        path = report.out_dir / result.files[0].path
        assert path.stat().st_size == result.files[0].size
        assert png_size(path) == (requested["width"], requested["height"])
