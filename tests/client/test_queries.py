"""The single-request methods: get_style, get_usage and delete_inference."""

from __future__ import annotations

import pytest

from layer_client import NotFoundError
from tests.client.conftest import Layer
from tests.fakes import (
    WORKSPACE,
    Script,
    data,
    error_member,
    style_answer,
    usage_answer,
    variables_of,
)


async def test_get_style(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", style_answer("sty_1"))

    style = await layer.call("get_style", " sty_1 ")

    assert style.id == "sty_1"
    assert style.status.value == "COMPLETE"
    assert style.can_forge_from.value == "YES"
    assert variables_of(script.requests[0])["input"] == {"styleId": "sty_1"}


async def test_get_style_not_found_member(layer: Layer, script: Script) -> None:
    script.add(
        "GetStyleById",
        data({"getStyleById": error_member("NOT_FOUND_ERROR", "No such style")}),
    )

    with pytest.raises(NotFoundError, match="No such style"):
        await layer.call("get_style", "sty_9")


async def test_get_usage(layer: Layer, script: Script) -> None:
    script.add("GetWorkspaceUsage", usage_answer(balance=42.5, has_access=True))

    usage = await layer.call("get_usage")

    assert usage.balance == 42.5
    assert usage.has_access is True
    assert variables_of(script.requests[0])["input"] == {
        "workspaceId": WORKSPACE,
        "filtering": [],
    }


async def test_get_usage_other_workspace(layer: Layer, script: Script) -> None:
    script.add("GetWorkspaceUsage", usage_answer())

    await layer.call("get_usage", " ws_other ")

    assert variables_of(script.requests[0])["input"]["workspaceId"] == "ws_other"


async def test_delete_inference(layer: Layer, script: Script) -> None:
    script.add("DeleteInference", data({"deleteInference": None}))

    assert await layer.call("delete_inference", "inf_1") is None
    assert variables_of(script.requests[0])["input"] == {"inferenceId": "inf_1"}


async def test_delete_not_found(layer: Layer, script: Script) -> None:
    script.add(
        "DeleteInference",
        data({"deleteInference": error_member("NOT_FOUND_ERROR", "No inference")}),
    )

    with pytest.raises(NotFoundError) as caught:
        await layer.call("delete_inference", "inf_404")

    assert caught.value.operation == "DeleteInference"
    assert script.count("DeleteInference") == 1
