"""The ASGI application of the files origin, which serves generated PNGs.

It runs on its own port, like Layer's separate media host, and needs no
token. Paths are `/files/<file id>.png` and `/files/<file id>/preview.png`.
"""

from __future__ import annotations

import asyncio
import logging
import re

from .asgi import (
    Receive,
    Scope,
    Send,
    drop_connection,
    handle_lifespan,
    send_http_fault,
    send_response,
)
from .counters import Counters
from .faults import FILE_OPERATION, FaultKind, FaultPlan
from .state import EmulatorState

__all__ = ["FilesApp"]

logger = logging.getLogger("layer_client.emulator")

_FILE_PATH = re.compile(
    r"^/files/(?P<file_id>[A-Za-z0-9_]+)(?P<suffix>\.png|/preview\.png)$"
)


class FilesApp:
    """ASGI app that serves the images of completed inferences."""

    def __init__(
        self, *, state: EmulatorState, counters: Counters, faults: FaultPlan
    ) -> None:
        self.state = state
        self.counters = counters
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await handle_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        date = self.state.clock.reported(self.state.clock.now())

        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await send_response(
                send,
                405,
                b"method not allowed: use GET\n",
                content_type="text/plain",
                date=date,
                headers=[("allow", "GET, HEAD")],
            )
            return
        match = _FILE_PATH.match(scope["path"])
        if match is None:
            await send_response(
                send, 404, b"not found\n", content_type="text/plain", date=date
            )
            return
        file_id = match["file_id"]
        preview = match["suffix"] != ".png"

        decision = self.faults.decide(FILE_OPERATION)
        kind, rule = decision if decision is not None else (FaultKind.OK, None)
        if rule is not None:
            self.counters.record_fault(kind.value)
            logger.debug("injecting fault %s into download of %s", kind.value, file_id)
            if kind is FaultKind.SLOW:
                await asyncio.sleep(rule.delay)
            if await send_http_fault(send, kind, rule, date=date):
                return
            if kind is FaultKind.DROP_BEFORE:
                await drop_connection(
                    send, content_type="image/png", declared_length=1024, date=date
                )

        content = self.state.file_content(file_id, preview=preview)
        if content is None:
            await send_response(
                send,
                404,
                f"file {file_id} not found\n".encode(),
                content_type="text/plain",
                date=date,
            )
            return
        if method == "GET":
            self.counters.record_download()
        if kind is FaultKind.TRUNCATE and method == "GET":
            await drop_connection(
                send,
                content_type="image/png",
                declared_length=len(content),
                partial_body=content[: len(content) // 2],
                date=date,
            )
        await send_response(
            send,
            200,
            content,
            content_type="image/png",
            date=date,
            headers=[("cache-control", "private, max-age=3600")],
            head_only=method == "HEAD",
        )
