"""Styles, paging, workspaces and usage, read through the generated client.

The tests only read, so one emulator with a large catalogue serves them all.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from layer_graphql import LayerGraphQLClient
from layer_graphql.enums import ObjectVisibility, StyleStatus
from layer_graphql.input_types import (
    GetStyleByIdInput,
    GetUserMembershipsInput,
    GetWorkspaceUsageInput,
    ListStylesInput,
)

from layer_client.emulator import MODEL_URL_STYLE_ID, Emulator, EmulatorConfig
from tests.emulator.helpers import LIST_STYLES, graphql_client, http_client, post

STYLE_COUNT = 47


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    config = EmulatorConfig(style_count=STYLE_COUNT, forbidden_workspace_ids=("ws_x",))
    with Emulator(config) as emulator:
        yield emulator


@pytest.fixture
def client(emulator: Emulator) -> Iterator[LayerGraphQLClient]:
    with graphql_client(emulator) as client:
        yield client


@pytest.fixture
def raw_client() -> Iterator[httpx.Client]:
    with http_client() as client:
        yield client


def list_all(
    client: LayerGraphQLClient, page_size: int, **filters: Any
) -> tuple[list[str], int]:
    """Follow every page forward; return the style ids and the number of pages."""
    ids: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        page = client.list_styles(
            ListStylesInput(first=page_size, after=after, **filters)
        ).list_styles
        assert page.typename__ == "StylesConnection", page
        pages += 1
        ids.extend(edge.node.id for edge in page.edges or [] if edge and edge.node)
        if not page.page_info.has_next_page:
            return ids, pages
        after = page.page_info.end_cursor
        assert pages < 100, "paging does not end"


def test_paging_visits_every_style_once(
    emulator: Emulator, client: LayerGraphQLClient
) -> None:
    ids, pages = list_all(client, page_size=5)

    assert pages == 10
    assert len(ids) == STYLE_COUNT
    assert len(set(ids)) == STYLE_COUNT
    assert ids == [style.id for style in emulator.state.styles()]


def test_page_info_fields(client: LayerGraphQLClient) -> None:
    first = client.list_styles(ListStylesInput(first=10)).list_styles
    assert first.typename__ == "StylesConnection"
    second = client.list_styles(
        ListStylesInput(first=10, after=first.page_info.end_cursor)
    ).list_styles
    assert second.typename__ == "StylesConnection"

    assert first.page_info.total_count == STYLE_COUNT
    assert first.page_info.has_previous_page is False
    assert first.page_info.has_next_page is True
    assert second.page_info.has_previous_page is True
    edges = first.edges or []
    assert first.page_info.start_cursor == edges[0].cursor if edges[0] else None
    assert first.page_info.end_cursor == edges[-1].cursor if edges[-1] else None


def test_cursors_are_opaque(client: LayerGraphQLClient) -> None:
    page = client.list_styles(ListStylesInput(first=3)).list_styles
    assert page.typename__ == "StylesConnection"

    cursors = [edge.cursor for edge in page.edges or [] if edge]
    assert len(set(cursors)) == 3
    for cursor in cursors:
        assert not cursor.isdigit()
        assert base64.b64decode(cursor)


def test_paging_backward(emulator: Emulator, client: LayerGraphQLClient) -> None:
    all_ids = [style.id for style in emulator.state.styles()]
    ids: list[str] = []
    before: str | None = None
    while True:
        page = client.list_styles(ListStylesInput(last=7, before=before)).list_styles
        assert page.typename__ == "StylesConnection"
        ids = [edge.node.id for edge in page.edges or [] if edge and edge.node] + ids
        if not page.page_info.has_previous_page:
            break
        before = page.page_info.start_cursor

    assert ids == all_ids


def test_default_and_max_page_size(client: LayerGraphQLClient) -> None:
    default_page = client.list_styles(ListStylesInput()).list_styles
    huge_page = client.list_styles(ListStylesInput(first=10_000)).list_styles

    assert default_page.typename__ == "StylesConnection"
    assert huge_page.typename__ == "StylesConnection"
    assert len(default_page.edges or []) == 20
    assert len(huge_page.edges or []) == STYLE_COUNT


def test_status_filter(emulator: Emulator, client: LayerGraphQLClient) -> None:
    complete, _ = list_all(client, page_size=8, status=[StyleStatus.COMPLETE])
    building, _ = list_all(client, page_size=8, status=[StyleStatus.BUILDING])

    assert len(complete) == STYLE_COUNT - 2
    assert building == ["sty_building"]


def test_featured_visibility_topic_filters(
    emulator: Emulator, client: LayerGraphQLClient
) -> None:
    featured, _ = list_all(client, page_size=50, is_featured=True)
    public, _ = list_all(client, page_size=50, visibility=[ObjectVisibility.PUBLIC])
    three_d, _ = list_all(client, page_size=50, topics=["3d"])

    styles = emulator.state.styles()
    assert featured == [style.id for style in styles if style.is_featured]
    assert 0 < len(featured) < STYLE_COUNT
    assert public == [style.id for style in styles if style.visibility == "PUBLIC"]
    assert three_d == [MODEL_URL_STYLE_ID]


def test_invalid_cursor_bad_request(
    emulator: Emulator, raw_client: httpx.Client
) -> None:
    for cursor in ("not-a-cursor", base64.b64encode(b"12").decode()):
        response = post(
            raw_client, emulator, LIST_STYLES, {"input": {"first": 2, "after": cursor}}
        )

        result = response.json()["data"]["listStyles"]
        assert result["__typename"] == "Error", cursor
        assert result["type"] == "BAD_REQUEST_ERROR", cursor


def test_negative_first_bad_request(
    emulator: Emulator, raw_client: httpx.Client
) -> None:
    response = post(raw_client, emulator, LIST_STYLES, {"input": {"first": -1}})

    result = response.json()["data"]["listStyles"]
    assert result["__typename"] == "Error"
    assert result["type"] == "BAD_REQUEST_ERROR"


def test_get_style_by_id(emulator: Emulator, client: LayerGraphQLClient) -> None:
    style = client.get_style_by_id(
        GetStyleByIdInput(style_id=emulator.style_id)
    ).get_style_by_id
    missing = client.get_style_by_id(
        GetStyleByIdInput(style_id="sty_missing")
    ).get_style_by_id

    assert style is not None
    assert style.typename__ == "Style"
    assert style.can_forge_from.value == "YES"
    assert style.status.value == "COMPLETE"
    assert style.type_.value == "LAYER_TRAINED_CHECKPOINT"
    assert style.slug
    assert missing is not None
    assert missing.typename__ == "Error"
    assert missing.error_type.value == "NOT_FOUND_ERROR"


def test_list_workspaces(emulator: Emulator, client: LayerGraphQLClient) -> None:
    user = client.list_workspaces(GetUserMembershipsInput(first=10)).get_my_user

    assert user.typename__ == "User"
    assert user.memberships.page_info.total_count == 1
    edges = user.memberships.edges or []
    assert len(edges) == 1
    membership = edges[0]
    assert membership is not None
    assert membership.node is not None
    assert membership.node.workspace.id == emulator.workspace_id
    assert membership.node.workspace.name == "emulator"
    assert membership.node.workspace.display_name == "Layer Emulator"


def test_workspace_usage(emulator: Emulator, client: LayerGraphQLClient) -> None:
    usage = client.get_workspace_usage(
        GetWorkspaceUsageInput(workspace_id=emulator.workspace_id, filtering=[])
    ).get_workspace_usage

    assert usage.typename__ == "WorkspaceUsage"
    assert usage.workspace_id == emulator.workspace_id
    assert usage.entitlement.balance == emulator.config.balance
    assert usage.entitlement.has_access is True
    assert usage.entitlement.overage == 0.0


@pytest.mark.parametrize(
    ("workspace_id", "error_type"),
    [("ws_nowhere", "NOT_FOUND_ERROR"), ("ws_x", "FORBIDDEN_ERROR")],
)
def test_usage_of_foreign_workspace(
    client: LayerGraphQLClient, workspace_id: str, error_type: str
) -> None:
    usage = client.get_workspace_usage(
        GetWorkspaceUsageInput(workspace_id=workspace_id, filtering=[])
    ).get_workspace_usage

    assert usage.typename__ == "Error"
    assert usage.error_type.value == error_type
