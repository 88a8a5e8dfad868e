"""The style check that generate_images runs before submitting."""

from __future__ import annotations

import logging

import pytest

from layer_client import NotFoundError, StyleNotUsableError
from tests.client.conftest import Layer, LayerFactory
from tests.fakes import (
    Script,
    data,
    error_member,
    generate_answer,
    operation_of,
    style_answer,
    style_node,
    variables_of,
)

PROMPT = "a castle"


@pytest.mark.parametrize(
    "status", ["BUILDING", "FAILED", "DRAFT", "INITIALIZING", "DELETED", "ARCHIVED"]
)
async def test_style_not_complete(layer: Layer, script: Script, status: str) -> None:
    script.add("GetStyleById", style_answer("sty_1", status=status))
    script.add("GenerateImages", generate_answer())

    with pytest.raises(StyleNotUsableError) as caught:
        await layer.call("generate_images", style_id="sty_1", prompt=PROMPT)

    assert caught.value.status == status
    assert caught.value.style_id == "sty_1"
    assert status in str(caught.value)
    assert script.count("GenerateImages") == 0


async def test_style_null_not_usable(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", data({"getStyleById": None}))

    with pytest.raises(StyleNotUsableError) as caught:
        await layer.call("generate_images", style_id="sty_404", prompt=PROMPT)

    assert caught.value.style_id == "sty_404"
    assert "not found" in str(caught.value)
    assert script.count("GenerateImages") == 0


async def test_style_not_found_member(layer: Layer, script: Script) -> None:
    script.add(
        "GetStyleById",
        data({"getStyleById": error_member("NOT_FOUND_ERROR", "Style not found")}),
    )

    with pytest.raises(StyleNotUsableError) as caught:
        await layer.call("generate_images", style_id="sty_404", prompt=PROMPT)

    assert isinstance(caught.value.__cause__, NotFoundError)
    assert script.count("GenerateImages") == 0


async def test_get_style_null_not_found(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", data({"getStyleById": None}))

    with pytest.raises(NotFoundError, match="sty_404"):
        await layer.call("get_style", "sty_404")


async def test_style_cannot_forge(layer: Layer, script: Script) -> None:
    node = {**style_node("sty_1"), "canForgeFrom": "NO_CUSTOM_STYLE_ON_FREE_TIER"}
    script.add("GetStyleById", data({"getStyleById": node}))

    with pytest.raises(StyleNotUsableError) as caught:
        await layer.call("generate_images", style_id="sty_1", prompt=PROMPT)

    assert caught.value.can_forge_from == "NO_CUSTOM_STYLE_ON_FREE_TIER"
    assert caught.value.status == "COMPLETE"
    assert script.count("GenerateImages") == 0


async def test_style_check_cached(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", style_answer("sty_1"))
    script.add("GenerateImages", generate_answer("inf_1"), generate_answer("inf_2"))

    await layer.call("generate_images", style_id="sty_1", prompt=PROMPT)
    await layer.call("generate_images", style_id=" sty_1 ", prompt=PROMPT)

    assert script.count("GetStyleById") == 1
    assert script.count("GenerateImages") == 2


async def test_style_check_per_style(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", style_answer("sty_1"), style_answer("sty_2"))
    script.add("GenerateImages", generate_answer())

    await layer.call("generate_images", style_id="sty_1", prompt=PROMPT)
    await layer.call("generate_images", style_id="sty_2", prompt=PROMPT)

    requested = [
        variables_of(request)["input"]["styleId"]
        for request in script.requests
        if operation_of(request) == "GetStyleById"
    ]
    assert requested == ["sty_1", "sty_2"]


async def test_style_check_cache_per_client(
    make_layer: LayerFactory, script: Script
) -> None:
    script.add("GetStyleById", style_answer("sty_1"))
    script.add("GenerateImages", generate_answer())

    await make_layer().call("generate_images", style_id="sty_1", prompt=PROMPT)
    await make_layer().call("generate_images", style_id="sty_1", prompt=PROMPT)

    assert script.count("GetStyleById") == 2


async def test_unusable_style_not_cached(layer: Layer, script: Script) -> None:
    script.add(
        "GetStyleById",
        style_answer("sty_1", status="BUILDING"),
        style_answer("sty_1", status="COMPLETE"),
    )
    script.add("GenerateImages", generate_answer())

    with pytest.raises(StyleNotUsableError):
        await layer.call("generate_images", style_id="sty_1", prompt=PROMPT)
    await layer.call("generate_images", style_id="sty_1", prompt=PROMPT)

    assert script.count("GetStyleById") == 2
    assert script.count("GenerateImages") == 1


async def test_model_url_warns(
    layer: Layer, script: Script, caplog: pytest.LogCaptureFixture
) -> None:
    script.add("GetStyleById", style_answer("sty_1", style_type="MODEL_URL"))
    script.add("GenerateImages", generate_answer())

    with caplog.at_level(logging.WARNING, logger="layer_client"):
        await layer.call("generate_images", style_id="sty_1", prompt=PROMPT)

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "MODEL_URL" in warnings[0].getMessage()
    assert "sty_1" in warnings[0].getMessage()
    assert script.count("GenerateImages") == 1


async def test_trained_style_no_warning(
    layer: Layer, script: Script, caplog: pytest.LogCaptureFixture
) -> None:
    script.add("GetStyleById", style_answer("sty_1"))
    script.add("GenerateImages", generate_answer())

    with caplog.at_level(logging.WARNING, logger="layer_client"):
        await layer.call("generate_images", style_id="sty_1", prompt=PROMPT)

    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_style_check_off(make_layer: LayerFactory, script: Script) -> None:
    layer = make_layer(check_style=False)
    script.add("GenerateImages", generate_answer())

    await layer.call("generate_images", style_id="sty_1", prompt=PROMPT)

    assert script.count("GetStyleById") == 0
    assert script.count("GenerateImages") == 1


async def test_style_check_sends_stripped_id(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", style_answer("sty_1"))
    script.add("GenerateImages", generate_answer())

    await layer.call("generate_images", style_id="  sty_1 ", prompt=PROMPT)

    assert variables_of(script.requests[0])["input"] == {"styleId": "sty_1"}
    assert variables_of(script.requests[1])["input"]["styleId"] == "sty_1"
