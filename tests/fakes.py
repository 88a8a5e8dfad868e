"""Test doubles for the client: a fake clock and canned GraphQL answers."""

from __future__ import annotations

import json
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
    """Answers by operation name from per-operation queues; records requests."""

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
        return answer
