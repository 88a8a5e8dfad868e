"""Test doubles for the client: a fake clock and canned GraphQL responses."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

API_URL = "https://api.test.layer/graphql"
TOKEN = "tok_secret_value_123"
WORKSPACE = "ws_1"


@dataclass
class FakeClock:
    """A monotonic clock and wall clock that only move when sleep is called."""

    now: float = 1000.0
    start_wall: datetime = field(
        default_factory=lambda: datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    )
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return self.start_wall + timedelta(seconds=self.now - 1000.0)

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"negative sleep {seconds}"
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)


def operation_of(request: httpx.Request) -> str:
    return str(json.loads(request.content)["operationName"])


def variables_of(request: httpx.Request) -> dict[str, Any]:
    return dict(json.loads(request.content)["variables"])


def data(payload: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"data": payload})


def error_member(
    error_type: str, message: str = "failed", code: str = "code"
) -> dict[str, Any]:
    return {
        "__typename": "Error",
        "errorType": error_type,
        "code": code,
        "title": error_type.title(),
        "message": message,
    }


def style_node(
    style_id: str = "sty_1",
    status: str = "COMPLETE",
    style_type: str = "LAYER_TRAINED_CHECKPOINT",
) -> dict[str, Any]:
    return {
        "__typename": "Style",
        "id": style_id,
        "name": f"Style {style_id}",
        "slug": style_id,
        "status": status,
        "type": style_type,
        "modality": "IMAGE",
    }


def style_answer(style_id: str = "sty_1", **kwargs: Any) -> httpx.Response:
    node = style_node(style_id, **kwargs)
    node["canForgeFrom"] = "YES"
    return data({"getStyleById": node})


def file_node(index: int = 1, url: str | None = None) -> dict[str, Any]:
    return {
        "__typename": "File",
        "id": f"file_{index}",
        "status": "PROCESSED",
        "url": url or f"https://media.test.layer/f{index}.png",
        "previewUrl": None,
        "contentType": "image/png",
        "sizeBytes": None,
        "width": 64,
        "height": 64,
    }


def inference_node(
    inference_id: str = "inf_1",
    status: str = "IN_PROGRESS",
    *,
    files: int = 0,
    error_code: str | None = None,
    eta_at: str | None = None,
) -> dict[str, Any]:
    return {
        "__typename": "Inference",
        "id": inference_id,
        "status": status,
        "errorCode": error_code,
        "createdAt": "2026-01-01T12:00:00Z",
        "etaAt": eta_at,
        "files": [file_node(i) for i in range(1, files + 1)],
    }


def inferences_answer(*nodes: dict[str, Any]) -> httpx.Response:
    return data(
        {
            "getInferencesById": {
                "__typename": "InferencesResult",
                "inferences": list(nodes),
            }
        }
    )


def usage_answer(balance: float = 100.0, has_access: bool = True) -> httpx.Response:
    return data(
        {
            "getWorkspaceUsage": {
                "__typename": "WorkspaceUsage",
                "workspaceId": WORKSPACE,
                "entitlement": {
                    "__typename": "WorkspaceUsageEntitlement",
                    "balance": balance,
                    "hasAccess": has_access,
                    "overage": 0.0,
                    "usage": 1.0,
                },
            }
        }
    )


Responder = Callable[[httpx.Request], httpx.Response]


class Script:
    """Respond by operation name from per-operation queues; record requests."""

    def __init__(self) -> None:
        self.queues: dict[str, list[httpx.Response | Exception | Responder]] = {}
        self.requests: list[httpx.Request] = []

    def add(
        self, operation: str, *answers: httpx.Response | Exception | Responder
    ) -> Script:
        self.queues.setdefault(operation, []).extend(answers)
        return self

    def count(self, operation: str) -> int:
        return sum(1 for r in self.requests if operation_of(r) == operation)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        operation = operation_of(request)
        queue = self.queues.get(operation)
        assert queue, f"unexpected {operation} request"
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        # A fresh copy, because one response object is served many times
        # and by both the sync and the async transport.
        return httpx.Response(
            answer.status_code, headers=answer.headers, content=answer.content
        )


def graphql_errors(
    message: str, *, code: str | None = None, status: int = 200, **body: Any
) -> httpx.Response:
    """Return a response whose body carries a GraphQL `errors` array."""
    error: dict[str, Any] = {"message": message}
    if code is not None:
        error["extensions"] = {"code": code}
    return httpx.Response(status, json={"errors": [error], **body})


def raw(
    status: int = 200,
    text: str = "",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Return a response with a literal body, JSON or not."""
    return httpx.Response(status, text=text, headers=headers)


def member_answer(field: str, member: dict[str, Any]) -> httpx.Response:
    """Return a 200 response whose `field` is an `Error` union member."""
    return data({field: member})


def generate_answer(
    inference_id: str = "inf_1", status: str = "IN_PROGRESS", **kwargs: Any
) -> httpx.Response:
    return data({"generateImages": inference_node(inference_id, status, **kwargs)})


def page_info(has_next: bool, cursor: str | None) -> dict[str, Any]:
    return {
        "__typename": "PageInfo",
        "hasNextPage": has_next,
        "hasPreviousPage": False,
        "startCursor": None,
        "endCursor": cursor,
        "totalCount": None,
    }


def styles_page(
    ids: list[str], has_next: bool = False, cursor: str | None = None
) -> httpx.Response:
    return data(
        {
            "listStyles": {
                "__typename": "StylesConnection",
                "edges": [
                    {"__typename": "StyleEdge", "cursor": i, "node": style_node(i)}
                    for i in ids
                ],
                "pageInfo": page_info(has_next, cursor),
            }
        }
    )


def membership_node(workspace_id: str) -> dict[str, Any]:
    return {
        "__typename": "WorkspaceMembership",
        "id": f"mem_{workspace_id}",
        "role": "ADMIN",
        "status": "ACTIVE",
        "workspace": {
            "__typename": "Workspace",
            "id": workspace_id,
            "name": workspace_id,
            "displayName": f"Workspace {workspace_id}",
        },
    }


def workspaces_page(
    ids: list[str], has_next: bool = False, cursor: str | None = None
) -> httpx.Response:
    return data(
        {
            "getMyUser": {
                "__typename": "User",
                "id": "usr_1",
                "name": "Ada",
                "email": "ada@example.com",
                "memberships": {
                    "__typename": "WorkspaceMembershipsConnection",
                    "edges": [
                        {
                            "__typename": "WorkspaceMembershipEdge",
                            "cursor": i,
                            "node": membership_node(i),
                        }
                        for i in ids
                    ],
                    "pageInfo": page_info(has_next, cursor),
                },
            }
        }
    )


def deleted_answer() -> httpx.Response:
    return data({"deleteInference": None})


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


# A valid 1x1 grey PNG image.
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\x80"))
    + _png_chunk(b"IEND", b"")
)


def file_url(index: int = 1) -> str:
    """Return the URL that file_node(index) points at."""
    return f"https://media.test.layer/f{index}.png"
