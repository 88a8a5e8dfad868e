"""ASGI plumbing shared by the API and files servers.

Both servers run on uvicorn's h11 protocol. Dropped connections rely on how
it handles an application error (checked with uvicorn 0.55): once
`http.response.start` has been sent, an exception makes uvicorn close the
socket, so the client sees a truncated response
(`httpx.RemoteProtocolError`) instead of a 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from datetime import datetime
from email.utils import format_datetime as format_http_date
from typing import Any, NoReturn

from .faults import FaultKind, FaultRule

__all__ = [
    "InjectedDisconnectError",
    "InjectedDisconnectFilter",
    "Receive",
    "RequestBodyTooLargeError",
    "Scope",
    "Send",
    "drop_connection",
    "handle_lifespan",
    "read_body",
    "send_http_fault",
    "send_json",
    "send_response",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = Sequence[tuple[str, str]]

BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
SERVICE_UNAVAILABLE_PAGE = (
    b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>"
    b"\r\n<body>\r\n<center><h1>503 Service Temporarily Unavailable</h1></center>"
    b"\r\n</body>\r\n</html>\r\n"
)


class InjectedDisconnectError(Exception):
    """Raised inside a response to make uvicorn close the connection."""


class InjectedDisconnectFilter(logging.Filter):
    """Drop uvicorn's error log records for connections closed on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info is None:
            return True
        error = record.exc_info[1]
        return not isinstance(error, InjectedDisconnectError)


class RequestBodyTooLargeError(Exception):
    """The request body exceeds the server's limit."""


async def read_body(receive: Receive, *, limit: int) -> bytes:
    """Read the whole request body, raising RequestBodyTooLargeError past `limit`."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body += message.get("body", b"")
        if len(body) > limit:
            raise RequestBodyTooLargeError(f"request body over {limit} bytes")
        if not message.get("more_body", False):
            break
    return bytes(body)


def _header_list(
    content_type: str, length: int, date: datetime | None, extra: Headers
) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-type", content_type.encode("latin-1")),
        (b"content-length", str(length).encode("ascii")),
    ]
    if date is not None:
        headers.append((b"date", format_http_date(date, usegmt=True).encode("ascii")))
    headers.extend(
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in extra
    )
    return headers


async def send_response(
    send: Send,
    status: int,
    body: bytes,
    *,
    content_type: str,
    date: datetime | None = None,
    headers: Headers = (),
    head_only: bool = False,
) -> None:
    """Send a complete response; `head_only` leaves the body out (HEAD)."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": _header_list(content_type, len(body), date, headers),
        }
    )
    await send({"type": "http.response.body", "body": b"" if head_only else body})


async def send_json(
    send: Send,
    status: int,
    payload: Any,
    *,
    date: datetime | None = None,
    headers: Headers = (),
) -> None:
    """Send `payload` as a JSON response."""
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    await send_response(
        send, status, body, content_type="application/json", date=date, headers=headers
    )


async def drop_connection(
    send: Send,
    *,
    content_type: str,
    declared_length: int,
    partial_body: bytes = b"",
    date: datetime | None = None,
) -> NoReturn:
    """Send a 200 status line, then part of the body (maybe none), then close.

    The headers announce `declared_length` bytes, so the client notices the
    missing rest when the connection closes.
    """
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": _header_list(content_type, declared_length, date, ()),
        }
    )
    if partial_body:
        await send(
            {"type": "http.response.body", "body": partial_body, "more_body": True}
        )
    raise InjectedDisconnectError("connection closed by fault injection")


async def send_http_fault(
    send: Send, kind: FaultKind, rule: FaultRule, *, date: datetime | None = None
) -> bool:
    """Send the response of an HTTP status fault; return False for other kinds."""
    if kind is FaultKind.RATE_LIMITED:
        payload = {
            "errors": [
                {"message": "Too many requests", "extensions": {"code": "RATE_LIMITED"}}
            ]
        }
        await send_json(
            send,
            429,
            payload,
            date=date,
            headers=[("retry-after", str(rule.retry_after))],
        )
        return True
    if kind is FaultKind.BAD_GATEWAY:
        await send_response(
            send, 502, BAD_GATEWAY_PAGE, content_type="text/html", date=date
        )
        return True
    if kind is FaultKind.SERVICE_UNAVAILABLE:
        await send_response(
            send, 503, SERVICE_UNAVAILABLE_PAGE, content_type="text/html", date=date
        )
        return True
    return False


async def handle_lifespan(receive: Receive, send: Send) -> None:
    """Complete the ASGI lifespan protocol; the apps need no startup work."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
