"""Input checks: every bad argument raises LayerInputError before a request."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from layer_graphql import StyleStatus
from pytest_httpx import HTTPXMock

from layer_client import LayerInputError
from layer_client.validation import (
    LONG_MAX,
    LONG_MIN,
    MAX_PROMPT_LENGTH,
    build_generate_input,
    check_enum_values,
    check_timeout,
    optional_bool,
    optional_int,
    optional_positive_float,
    require_id,
    require_ids,
)
from tests.client.conftest import Layer, LayerFactory
from tests.fakes import Script, generate_answer, inference_node

GOOD: dict[str, Any] = {"style_id": "sty_1", "prompt": "a castle"}

BAD_GENERATE_ARGUMENTS = [
    ("style_id", None),
    ("style_id", ""),
    ("style_id", "   "),
    ("style_id", 42),
    ("style_id", ["sty_1"]),
    ("seed", True),
    ("seed", 2**63),
    ("seed", -(2**63) - 1),
    ("seed", 1.0),
    ("batch_size", 0),
    ("batch_size", -1),
    ("batch_size", 17),
    ("batch_size", True),
    ("batch_size", 2.0),
    ("width", 0),
    ("width", -64),
    ("width", 64.5),
    ("height", 0),
    ("height", -64),
    ("height", 64.5),
    ("height", "64"),
    ("guidance_scale", math.nan),
    ("guidance_scale", math.inf),
    ("guidance_scale", -math.inf),
    ("guidance_scale", 0),
    ("guidance_scale", -2.5),
    ("guidance_scale", True),
    ("guidance_scale", "7"),
    ("num_inference_steps", 0),
    ("num_inference_steps", -5),
    ("num_inference_steps", False),
    ("prompt", 123),
    ("prompt", b"a castle"),
    ("prompt", "x" * (MAX_PROMPT_LENGTH + 1)),
    ("workspace_id", ""),
    ("workspace_id", "  "),
    ("workspace_id", 7),
]


def argument_id(value: object) -> str:
    text = repr(value)
    return text if len(text) < 20 else f"{text[:12]}...{len(text)}"


def assert_nothing_sent(script: Script, httpx_mock: HTTPXMock) -> None:
    assert script.requests == []
    assert httpx_mock.get_requests() == []


@pytest.mark.parametrize(("field", "value"), BAD_GENERATE_ARGUMENTS, ids=argument_id)
async def test_generate_images_bad_argument(
    layer: Layer,
    script: Script,
    httpx_mock: HTTPXMock,
    field: str,
    value: object,
) -> None:
    with pytest.raises(LayerInputError) as caught:
        await layer.call("generate_images", **{**GOOD, field: value})

    assert caught.value.field == field
    assert field in str(caught.value)
    assert_nothing_sent(script, httpx_mock)


@pytest.mark.parametrize(("field", "value"), BAD_GENERATE_ARGUMENTS, ids=argument_id)
async def test_generate_bad_argument(
    layer: Layer,
    script: Script,
    httpx_mock: HTTPXMock,
    tmp_path: Path,
    field: str,
    value: object,
) -> None:
    with pytest.raises(LayerInputError) as caught:
        await layer.call("generate", out_dir=tmp_path, **{**GOOD, field: value})

    assert caught.value.field == field
    assert_nothing_sent(script, httpx_mock)


async def test_style_id_omitted(layer: Layer, script: Script) -> None:
    with pytest.raises((TypeError, LayerInputError), match="style_id"):
        await layer.call("generate_images", prompt="a castle")

    assert script.requests == []


async def test_style_id_error_names_fix(layer: Layer, script: Script) -> None:
    with pytest.raises(LayerInputError) as caught:
        await layer.call("generate_images", style_id=None, prompt="a castle")

    assert "COMPLETE style" in str(caught.value)


async def test_seed_error_names_range(layer: Layer, script: Script) -> None:
    with pytest.raises(LayerInputError) as caught:
        await layer.call("generate_images", **GOOD, seed=2**63)

    assert str(LONG_MIN) in str(caught.value)
    assert str(LONG_MAX) in str(caught.value)


async def test_batch_limit_can_be_off(make_layer: LayerFactory, script: Script) -> None:
    layer = make_layer(check_style=False, documented_limits=False)
    script.add("GenerateImages", generate_answer())

    await layer.call(
        "generate_images",
        style_id="sty_1",
        prompt="x" * (MAX_PROMPT_LENGTH + 1),
        batch_size=17,
    )

    sent = json.loads(script.requests[0].content)["variables"]["input"]
    assert sent["batchSize"] == 17
    assert len(sent["prompt"]) == MAX_PROMPT_LENGTH + 1


async def test_batch_limit_zero_still_rejected(
    make_layer: LayerFactory, script: Script
) -> None:
    layer = make_layer(documented_limits=False)

    with pytest.raises(LayerInputError):
        await layer.call("generate_images", **GOOD, batch_size=0)

    assert script.requests == []


async def test_limits_at_edges_sent(make_layer: LayerFactory, script: Script) -> None:
    layer = make_layer(check_style=False)
    script.add("GenerateImages", generate_answer())

    await layer.call(
        "generate_images",
        style_id=" sty_1 ",
        prompt="x" * MAX_PROMPT_LENGTH,
        batch_size=16,
        seed=LONG_MIN,
        width=1,
        height=1,
        num_inference_steps=1,
        guidance_scale=1e-9,
    )

    sent = json.loads(script.requests[0].content)["variables"]["input"]
    assert sent["styleId"] == "sty_1"
    assert sent["batchSize"] == 16
    assert sent["seed"] == LONG_MIN
    assert sent["guidanceScale"] == 1e-9
    assert sent["workspaceId"] == "ws_1"


async def test_unset_arguments_left_out(
    make_layer: LayerFactory, script: Script
) -> None:
    layer = make_layer(check_style=False)
    script.add("GenerateImages", generate_answer())

    await layer.call("generate_images", style_id="sty_1")

    sent = json.loads(script.requests[0].content)["variables"]["input"]
    assert sent == {"workspaceId": "ws_1", "styleId": "sty_1"}


async def test_workspace_missing(
    make_layer: LayerFactory, script: Script, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAYER_WORKSPACE_ID", raising=False)
    layer = make_layer(workspace_id=None)

    with pytest.raises(LayerInputError) as caught:
        await layer.call("generate_images", **GOOD)

    assert caught.value.field == "workspace_id"
    assert "LAYER_WORKSPACE_ID" in str(caught.value)
    assert script.requests == []


@pytest.mark.parametrize("method", ["get_usage", "generate"])
async def test_workspace_missing_other_methods(
    make_layer: LayerFactory,
    script: Script,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    method: str,
) -> None:
    monkeypatch.delenv("LAYER_WORKSPACE_ID", raising=False)
    layer = make_layer(workspace_id=None)
    arguments = {**GOOD, "out_dir": tmp_path} if method == "generate" else {}

    with pytest.raises(LayerInputError, match="LAYER_WORKSPACE_ID"):
        await layer.call(method, **arguments)

    assert script.requests == []


@pytest.mark.parametrize(
    "arguments",
    [
        {"status": ["COMPLETE", "PENDING"]},
        {"status": "nope"},
        {"status": [None]},
        {"status": []},
        {"status": 5},
        {"visibility": ["SECRET"]},
        {"visibility": [1]},
        {"featured": "yes"},
        {"featured": 1},
        {"page_size": 0},
        {"page_size": 101},
        {"page_size": True},
        {"page_size": 2.5},
    ],
    ids=repr,
)
async def test_list_styles_bad_filter(
    layer: Layer, script: Script, arguments: dict[str, Any]
) -> None:
    with pytest.raises(LayerInputError) as caught:
        await layer.call("list_styles", **arguments)

    [field] = arguments
    assert caught.value.field == field
    assert script.requests == []


async def test_list_styles_bad_filter_eager(layer: Layer, script: Script) -> None:
    with pytest.raises(LayerInputError, match="COMPLETE"):
        layer.client.list_styles(status=["PENDING"])


@pytest.mark.parametrize("style_id", [None, "", " ", 3])
async def test_get_style_bad_id(layer: Layer, script: Script, style_id: object) -> None:
    with pytest.raises(LayerInputError) as caught:
        await layer.call("get_style", style_id)

    assert caught.value.field == "style_id"
    assert script.requests == []


@pytest.mark.parametrize("inference_id", [None, "", " ", 3])
async def test_delete_bad_id(
    layer: Layer, script: Script, inference_id: object
) -> None:
    with pytest.raises(LayerInputError) as caught:
        await layer.call("delete_inference", inference_id)

    assert caught.value.field == "inference_id"
    assert script.requests == []


async def test_wait_many_empty(layer: Layer, script: Script) -> None:
    with pytest.raises(LayerInputError) as caught:
        await layer.call("wait_many", [])

    assert caught.value.field == "inference_ids"
    assert script.requests == []


@pytest.mark.parametrize("bad", [None, 5, b"inf_1", [3], ["ok", ""]], ids=repr)
async def test_wait_many_bad_ids(layer: Layer, script: Script, bad: object) -> None:
    with pytest.raises(LayerInputError):
        await layer.call("wait_many", bad)

    assert script.requests == []


async def test_out_dir_is_file_generate(
    layer: Layer, script: Script, tmp_path: Path
) -> None:
    existing = tmp_path / "taken.txt"
    existing.write_text("keep me")

    with pytest.raises(LayerInputError) as caught:
        await layer.call("generate", **GOOD, out_dir=existing)

    assert caught.value.field == "out_dir"
    assert script.requests == []
    assert existing.read_text() == "keep me"


async def test_out_dir_is_file_download(
    layer: Layer, script: Script, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    from layer_client import Inference

    existing = tmp_path / "taken.txt"
    existing.write_text("keep me")
    done = Inference.model_validate(inference_node(status="COMPLETE", files=1))

    with pytest.raises(LayerInputError) as caught:
        await layer.call("download", done, existing)

    assert caught.value.field == "out_dir"
    assert_nothing_sent(script, httpx_mock)


@pytest.mark.parametrize("status", ["IN_PROGRESS", "FAILED", "CANCELLED"])
async def test_download_not_complete(
    layer: Layer,
    script: Script,
    httpx_mock: HTTPXMock,
    tmp_path: Path,
    status: str,
) -> None:
    from layer_client import Inference

    pending = Inference.model_validate(inference_node(status=status, files=1))

    with pytest.raises(LayerInputError, match="wait"):
        await layer.call("download", pending, tmp_path)

    assert_nothing_sent(script, httpx_mock)


@pytest.mark.parametrize("timeout", [0, -5, math.nan, math.inf, True, "60"])
async def test_generate_bad_timeout(
    layer: Layer, script: Script, tmp_path: Path, timeout: object
) -> None:
    with pytest.raises(LayerInputError) as caught:
        await layer.call("generate", **GOOD, out_dir=tmp_path, timeout=timeout)

    assert caught.value.field == "timeout"
    assert script.requests == []


# The check functions themselves


def test_require_id_strips() -> None:
    assert require_id("style_id", "  sty_1 ") == "sty_1"


def test_require_ids_rejects_string() -> None:
    with pytest.raises(LayerInputError):
        require_ids("inference_ids", "abc")


def test_require_ids_keeps_order() -> None:
    assert require_ids("ids", ["b", "a", "b", " a "]) == ["b", "a"]


@pytest.mark.parametrize("value", [0, 101, True, 1.0, "5"])
def test_optional_int_rejects(value: object) -> None:
    with pytest.raises(LayerInputError, match="1 to 100"):
        optional_int("page_size", value, minimum=1, maximum=100)


def test_optional_int_open_range() -> None:
    with pytest.raises(LayerInputError, match=">= 1"):
        optional_int("width", 0, minimum=1)

    assert optional_int("width", 10**6, minimum=1) == 10**6
    assert optional_int("width", None, minimum=1) is None


def test_positive_float_converts_int() -> None:
    value = optional_positive_float("guidance_scale", 7)

    assert value == 7.0
    assert isinstance(value, float)


def test_enum_values_accept_members() -> None:
    values = check_enum_values("status", [StyleStatus.COMPLETE, "failed"], StyleStatus)

    assert values == ["COMPLETE", "FAILED"]


def test_enum_values_reject_unknown_member() -> None:
    unknown = StyleStatus("PENDING_REVIEW")

    with pytest.raises(LayerInputError):
        check_enum_values("status", [unknown], StyleStatus)


@pytest.mark.parametrize("value", [None, True, False])
def test_optional_bool_accepts(value: bool | None) -> None:
    assert optional_bool("featured", value) is value


def test_check_timeout_default() -> None:
    assert check_timeout(None, 120.0) == 120.0
    assert check_timeout(5, 120.0) == 5.0


def test_build_input_leaves_unset_out() -> None:
    built = build_generate_input(workspace_id="ws_1", style_id="sty_1", prompt=None)

    assert built.model_dump(by_alias=True, exclude_unset=True) == {
        "workspaceId": "ws_1",
        "styleId": "sty_1",
    }
