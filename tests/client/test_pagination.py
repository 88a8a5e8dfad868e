"""Relay pagination: the cursor guard and list_styles / list_workspaces."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from layer_client import AuthenticationError, RateLimitError
from layer_client.pagination import CursorGuard
from tests.client.conftest import Layer
from tests.fakes import (
    Script,
    data,
    error_member,
    page_info,
    style_node,
    styles_page,
    variables_of,
    workspaces_page,
)


@dataclass
class Info:
    has_next_page: bool
    end_cursor: str | None


def sent_inputs(script: Script, key: str = "input") -> list[dict[str, Any]]:
    return [dict(variables_of(request)[key]) for request in script.requests]


def connection(edges: list[Any], has_next: bool, cursor: str | None) -> httpx.Response:
    return data(
        {
            "listStyles": {
                "__typename": "StylesConnection",
                "edges": edges,
                "pageInfo": page_info(has_next, cursor),
            }
        }
    )


# CursorGuard


def test_guard_last_page() -> None:
    assert CursorGuard("ListStyles").next_cursor(Info(False, "c1"), 3) is None


def test_guard_next_cursor() -> None:
    assert CursorGuard("ListStyles").next_cursor(Info(True, "c1"), 3) == "c1"


def test_guard_no_edges_stops(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="layer_client"):
        cursor = CursorGuard("ListStyles").next_cursor(Info(True, "c1"), 0)

    assert cursor is None
    assert "no edges" in caplog.text


@pytest.mark.parametrize("cursor", [None, ""])
def test_guard_empty_cursor_stops(
    caplog: pytest.LogCaptureFixture, cursor: str | None
) -> None:
    with caplog.at_level(logging.WARNING, logger="layer_client"):
        next_cursor = CursorGuard("ListStyles").next_cursor(Info(True, cursor), 2)

    assert next_cursor is None
    assert "endCursor is empty" in caplog.text


def test_guard_repeated_cursor_stops(caplog: pytest.LogCaptureFixture) -> None:
    guard = CursorGuard("ListStyles")

    first = guard.next_cursor(Info(True, "abc"), 2)
    with caplog.at_level(logging.WARNING, logger="layer_client"):
        second = guard.next_cursor(Info(True, "abc"), 2)

    assert first == "abc"
    assert second is None
    assert "'abc' was returned before" in caplog.text
    assert "ListStyles" in caplog.text


def test_guard_skips_seen_nodes() -> None:
    guard = CursorGuard("ListStyles")

    assert guard.is_new("a") is True
    assert guard.is_new("b") is True
    assert guard.is_new("a") is False


# list_styles


async def test_list_styles_follows_pages(layer: Layer, script: Script) -> None:
    script.add(
        "ListStyles",
        styles_page(["a", "b"], True, "c1"),
        styles_page(["c"], True, "c2"),
        styles_page(["d"], False, "c3"),
    )

    styles = await layer.call("list_styles")

    assert [style.id for style in styles] == ["a", "b", "c", "d"]
    assert [sent.get("after") for sent in sent_inputs(script)] == [None, "c1", "c2"]


async def test_list_styles_empty(layer: Layer, script: Script) -> None:
    script.add("ListStyles", styles_page([], False, None))

    assert await layer.call("list_styles") == []


async def test_list_styles_filters_sent(layer: Layer, script: Script) -> None:
    script.add("ListStyles", styles_page(["a"]))

    await layer.call(
        "list_styles",
        status=["complete", "BUILDING"],
        visibility="public",
        featured=True,
        page_size=20,
    )

    [sent] = sent_inputs(script)
    assert sent["status"] == ["COMPLETE", "BUILDING"]
    assert sent["visibility"] == ["PUBLIC"]
    assert sent["isFeatured"] is True
    assert sent["first"] == 20


async def test_list_styles_default_page_size(layer: Layer, script: Script) -> None:
    script.add("ListStyles", styles_page(["a"]))

    await layer.call("list_styles")

    [sent] = sent_inputs(script)
    assert sent["first"] == 50
    assert "status" not in sent
    assert "isFeatured" not in sent


async def test_list_styles_repeated_nodes_skipped(layer: Layer, script: Script) -> None:
    script.add(
        "ListStyles",
        styles_page(["a", "b"], True, "c1"),
        styles_page(["b", "c"], False, "c2"),
    )

    styles = await layer.call("list_styles")

    assert [style.id for style in styles] == ["a", "b", "c"]


async def test_list_styles_null_edges_skipped(layer: Layer, script: Script) -> None:
    edges = [
        None,
        {"__typename": "StyleEdge", "cursor": "x", "node": None},
        {"__typename": "StyleEdge", "cursor": "y", "node": style_node("a")},
    ]
    script.add("ListStyles", connection(edges, False, "y"))

    styles = await layer.call("list_styles")

    assert [style.id for style in styles] == ["a"]


async def test_list_styles_null_edge_list(layer: Layer, script: Script) -> None:
    script.add("ListStyles", connection(None, True, "c1"))  # type: ignore[arg-type]

    assert await layer.call("list_styles") == []
    assert script.count("ListStyles") == 1


async def test_list_styles_next_without_edges(layer: Layer, script: Script) -> None:
    script.add("ListStyles", styles_page([], True, "c1"), styles_page(["z"]))

    assert await layer.call("list_styles") == []
    assert script.count("ListStyles") == 1


async def test_list_styles_next_without_cursor(layer: Layer, script: Script) -> None:
    script.add("ListStyles", styles_page(["a"], True, None), styles_page(["z"]))

    styles = await layer.call("list_styles")

    assert [style.id for style in styles] == ["a"]
    assert script.count("ListStyles") == 1


async def test_list_styles_cursor_cycle(layer: Layer, script: Script) -> None:
    script.add(
        "ListStyles",
        styles_page(["a"], True, "c1"),
        styles_page(["b"], True, "c2"),
        styles_page(["c"], True, "c1"),
        styles_page(["z"]),
    )

    styles = await layer.call("list_styles")

    assert [style.id for style in styles] == ["a", "b", "c"]
    assert script.count("ListStyles") == 3


async def test_list_styles_lazy(layer: Layer, script: Script) -> None:
    script.add("ListStyles", styles_page(["a"]))

    layer.client.list_styles()

    assert script.requests == []


async def test_list_styles_page_retried(layer: Layer, script: Script) -> None:
    limited = data({"listStyles": error_member("RATE_LIMITED_ERROR", "slow down")})
    script.add(
        "ListStyles",
        styles_page(["a"], True, "c1"),
        limited,
        styles_page(["b"], False, "c2"),
    )

    styles = await layer.call("list_styles")

    assert [style.id for style in styles] == ["a", "b"]
    assert [sent.get("after") for sent in sent_inputs(script)] == [None, "c1", "c1"]


async def test_list_styles_page_error_raises(layer: Layer, script: Script) -> None:
    limited = data({"listStyles": error_member("RATE_LIMITED_ERROR", "slow down")})
    script.add("ListStyles", styles_page(["a"], True, "c1"), limited)
    seen: list[str] = []

    async def collect() -> None:
        async for style in layer.stream("list_styles"):
            seen.append(style.id)

    with pytest.raises(RateLimitError):
        await collect()

    assert seen == ["a"]
    assert script.count("ListStyles") == 5


# list_workspaces


async def test_list_workspaces_pages(layer: Layer, script: Script) -> None:
    script.add(
        "ListWorkspaces",
        workspaces_page(["ws_1", "ws_2"], True, "m1"),
        workspaces_page(["ws_3"], False, "m2"),
    )

    memberships = await layer.call("list_workspaces")

    assert [m.workspace.id for m in memberships] == ["ws_1", "ws_2", "ws_3"]
    afters = [sent.get("after") for sent in sent_inputs(script, "memberships")]
    assert afters == [None, "m1"]
    assert memberships[0].workspace.display_name == "Workspace ws_1"


async def test_list_workspaces_repeated_cursor(layer: Layer, script: Script) -> None:
    script.add(
        "ListWorkspaces",
        workspaces_page(["ws_1"], True, "m1"),
        workspaces_page(["ws_1"], True, "m1"),
        workspaces_page(["ws_9"]),
    )

    memberships = await layer.call("list_workspaces")

    assert [m.workspace.id for m in memberships] == ["ws_1"]
    assert script.count("ListWorkspaces") == 2


async def test_list_workspaces_error_member(layer: Layer, script: Script) -> None:
    script.add(
        "ListWorkspaces",
        data({"getMyUser": error_member("UNAUTHORIZED_ERROR", "bad token")}),
    )

    with pytest.raises(AuthenticationError) as caught:
        await layer.call("list_workspaces")

    assert "LAYER_API_KEY" in str(caught.value)
    assert script.count("ListWorkspaces") == 1
