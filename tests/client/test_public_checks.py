"""The public reads and checks: get_inferences, check_style, check_credits."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from layer_client import (
    InsufficientCreditsError,
    LayerAPIError,
    LayerInputError,
    NotFoundError,
    StyleNotUsableError,
    TransportError,
)
from tests.client.conftest import Layer, LayerFactory
from tests.fakes import (
    Script,
    data,
    error_member,
    inference_node,
    inferences_answer,
    style_answer,
    usage_answer,
    variables_of,
)


def answer_known_ids(request: httpx.Request) -> httpx.Response:
    """Return every requested id but `missing` from getInferencesById."""
    ids = variables_of(request)["input"]["inferenceIds"]
    nodes = [inference_node(i, "COMPLETE") for i in ids if i != "missing"]
    return inferences_answer(*nodes)


async def test_get_inferences_chunks_ids(layer: Layer, script: Script) -> None:
    script.add("GetInferencesById", answer_known_ids)
    ids = [f"inf_{n}" for n in range(120)] + ["missing"]

    found = await layer.call("get_inferences", ids)

    assert sorted(found) == sorted(ids[:-1])
    sizes = [
        len(json.loads(r.content)["variables"]["input"]["inferenceIds"])
        for r in script.requests
    ]
    assert sorted(sizes) == [21, 50, 50]


async def test_get_inferences_rejects_empty(layer: Layer, script: Script) -> None:
    with pytest.raises(LayerInputError, match="inference_ids"):
        await layer.call("get_inferences", [])

    assert script.requests == []


async def test_check_credits_returns_entitlement(layer: Layer, script: Script) -> None:
    script.add("GetWorkspaceUsage", usage_answer(balance=12.5))

    entitlement = await layer.call("check_credits")

    assert entitlement.balance == 12.5


async def test_check_credits_zero_balance(layer: Layer, script: Script) -> None:
    script.add("GetWorkspaceUsage", usage_answer(balance=0.0))

    with pytest.raises(InsufficientCreditsError) as caught:
        await layer.call("check_credits")

    assert caught.value.balance == 0.0


async def test_check_style_building(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", style_answer("sty_b", status="BUILDING"))

    with pytest.raises(StyleNotUsableError) as caught:
        await layer.call("check_style", "sty_b")

    assert caught.value.status == "BUILDING"


async def test_check_style_cached(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", style_answer("sty_1"))

    await layer.call("check_style", "sty_1")
    await layer.call("check_style", " sty_1 ")

    assert script.count("GetStyleById") == 1


async def test_check_style_blank(layer: Layer, script: Script) -> None:
    with pytest.raises(LayerInputError, match="style_id"):
        await layer.call("check_style", " ")

    assert script.requests == []


async def test_download_by_id(layer: Layer, script: Script, tmp_path: Path) -> None:
    script.add("GetInferencesById", inferences_answer(inference_node(status="FAILED")))

    with pytest.raises(LayerInputError, match="not COMPLETE"):
        await layer.call("download", "inf_1", tmp_path)


async def test_download_unknown_id(
    layer: Layer, script: Script, tmp_path: Path
) -> None:
    script.add("GetInferencesById", inferences_answer())

    with pytest.raises(NotFoundError) as caught:
        await layer.call("download", "inf_nope", tmp_path)

    assert caught.value.inference_id == "inf_nope"


async def test_download_wrong_type(
    layer: Layer, script: Script, tmp_path: Path
) -> None:
    with pytest.raises(LayerInputError, match="inference"):
        await layer.call("download", 42, tmp_path)

    assert script.requests == []


async def test_call_after_close(make_layer: LayerFactory) -> None:
    layer = make_layer(http_client=None)
    await layer.close()

    with pytest.raises(LayerInputError, match="closed"):
        await layer.call("get_usage")


async def test_connect_error_names_url(layer: Layer, script: Script) -> None:
    script.add("GetWorkspaceUsage", httpx.ConnectError("Connection refused"))

    with pytest.raises(TransportError) as caught:
        await layer.call("get_usage")

    assert "https://api.test.layer/graphql" in str(caught.value)
    assert "LAYER_API_URL" in str(caught.value)


async def test_download_unknown_id_no_folder(
    layer: Layer, script: Script, tmp_path: Path
) -> None:
    script.add("GetInferencesById", inferences_answer())

    with pytest.raises(NotFoundError):
        await layer.call("download", "inf_nope", tmp_path / "out")

    assert not (tmp_path / "out").exists()


async def test_wrong_endpoint_names_url(layer: Layer, script: Script) -> None:
    script.add("GetWorkspaceUsage", httpx.Response(405, text="Method Not Allowed"))

    with pytest.raises(LayerAPIError) as caught:
        await layer.call("get_usage")

    assert "https://api.test.layer/graphql" in str(caught.value)
    assert "LAYER_API_URL" in str(caught.value)


async def test_unknown_workspace_hint(layer: Layer, script: Script) -> None:
    script.add(
        "GetWorkspaceUsage",
        data(
            {
                "getWorkspaceUsage": error_member(
                    "NOT_FOUND_ERROR", "Workspace ws_x not found"
                )
            }
        ),
    )

    with pytest.raises(NotFoundError) as caught:
        await layer.call("get_usage")

    assert "layer-client workspaces" in str(caught.value)
