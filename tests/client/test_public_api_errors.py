"""Only LayerError leaves the public API, whatever the server sends."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
from pytest_httpx import HTTPXMock

from layer_client import (
    AuthenticationError,
    BadRequestError,
    GraphQLError,
    Inference,
    InsufficientCreditsError,
    InvalidResponseError,
    LayerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    StyleNotUsableError,
)
from tests.client.conftest import Layer
from tests.fakes import (
    Script,
    data,
    error_member,
    file_url,
    inference_node,
    operation_of,
    style_answer,
    usage_answer,
)

FIELDS = {
    "ListStyles": "listStyles",
    "GetStyleById": "getStyleById",
    "GetWorkspaceUsage": "getWorkspaceUsage",
    "ListWorkspaces": "getMyUser",
    "GenerateImages": "generateImages",
    "GetInferencesById": "getInferencesById",
    "DeleteInference": "deleteInference",
}
TYPENAMES = {
    "listStyles": "StylesConnection",
    "getStyleById": "Style",
    "getWorkspaceUsage": "WorkspaceUsage",
    "getMyUser": "User",
    "generateImages": "Inference",
    "getInferencesById": "InferencesResult",
    "deleteInference": "Error",
}

Call = Callable[[Layer, Path], Awaitable[Any]]


def complete() -> Inference:
    return Inference.model_validate(inference_node("inf_1", "COMPLETE", files=1))


METHODS: dict[str, Call] = {
    "list_styles": lambda layer, _: layer.call("list_styles"),
    "get_style": lambda layer, _: layer.call("get_style", "sty_1"),
    "get_usage": lambda layer, _: layer.call("get_usage"),
    "list_workspaces": lambda layer, _: layer.call("list_workspaces"),
    "generate_images": lambda layer, _: layer.call(
        "generate_images", style_id="sty_1", prompt="a castle"
    ),
    "wait": lambda layer, _: layer.call("wait", "inf_1", timeout=10),
    "wait_many": lambda layer, _: layer.call(
        "wait_many", ["inf_1", "inf_2"], timeout=10
    ),
    "generate": lambda layer, out_dir: layer.call(
        "generate", style_id="sty_1", prompt="a castle", out_dir=out_dir, timeout=10
    ),
    "delete_inference": lambda layer, _: layer.call("delete_inference", "inf_1"),
}


def json_body(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode())


MALFORMED: dict[str, Callable[[str], httpx.Response]] = {
    "html-200": lambda _: httpx.Response(200, text="<html><body>hi</body></html>"),
    "empty-200": lambda _: httpx.Response(200, content=b""),
    "invalid-utf8": lambda _: httpx.Response(200, content=b"\xff\xfe\x00{"),
    "truncated-json": lambda _: httpx.Response(200, content=b'{"data": {"listSt'),
    "json-null": lambda _: json_body(200, None),
    "json-string": lambda _: json_body(200, "data"),
    "json-list": lambda _: json_body(200, [{"data": {}}]),
    "json-number": lambda _: json_body(200, 42),
    "data-null": lambda _: json_body(200, {"data": None}),
    "data-string": lambda _: json_body(200, {"data": "ok"}),
    "empty-object": lambda _: json_body(200, {}),
    "data-empty": lambda _: json_body(200, {"data": {}}),
    "field-number": lambda field: json_body(200, {"data": {field: 5}}),
    "field-string": lambda field: json_body(200, {"data": {field: "oops"}}),
    "field-list": lambda field: json_body(200, {"data": {field: [1, 2]}}),
    "typename-only": lambda field: json_body(
        200, {"data": {field: {"__typename": TYPENAMES[field]}}}
    ),
    "typename-number": lambda field: json_body(
        200, {"data": {field: {"__typename": 7}}}
    ),
    "errors-string": lambda _: json_body(200, {"errors": "boom"}),
    "errors-of-strings": lambda _: json_body(200, {"errors": ["boom", 3]}),
    "errors-partial-data": lambda field: json_body(
        200, {"data": {field: None}, "errors": [{"message": "partial"}]}
    ),
    "errors-empty-data-null": lambda _: json_body(200, {"errors": [], "data": None}),
    "errors-no-message": lambda _: json_body(200, {"errors": [{"path": ["x"]}]}),
    "html-500": lambda _: httpx.Response(500, text="<html>Internal</html>"),
    "html-418": lambda _: httpx.Response(418, text="<html>teapot</html>"),
    "json-400-odd": lambda _: json_body(400, {"errors": [None, {"message": 1}]}),
    "redirect": lambda _: httpx.Response(
        307, headers={"location": "https://elsewhere.test/graphql"}
    ),
}

LEAKS: tuple[type[BaseException], ...] = (
    pydantic.ValidationError,
    json.JSONDecodeError,
    KeyError,
    TypeError,
    AttributeError,
    httpx.HTTPError,
    AssertionError,
)


def serve_everywhere(script: Script, answer: Callable[[str], httpx.Response]) -> None:
    """Respond to every operation with answer(result field of the operation)."""
    for operation in FIELDS:
        script.add(operation, lambda request: answer(FIELDS[operation_of(request)]))


def assert_only_layer_error(exc: BaseException, body: str) -> None:
    assert isinstance(exc, LayerError), f"{body}: {type(exc).__name__}: {exc}"
    assert not isinstance(exc, LEAKS), f"{body}: {type(exc).__name__}: {exc}"


def file_answer(
    answer: Callable[[str], httpx.Response],
) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: answer("file")


def reset(script: Script) -> None:
    script.queues.clear()
    script.requests.clear()


# One test per method runs every body, which keeps the suite fast; the
# assertion messages name the body.
@pytest.mark.parametrize("method", sorted(METHODS))
async def test_malformed_bodies_layer_error(
    layer: Layer, script: Script, tmp_path: Path, method: str
) -> None:
    for body in sorted(MALFORMED):
        reset(script)
        serve_everywhere(script, MALFORMED[body])

        try:
            await METHODS[method](layer, tmp_path)
        except BaseException as exc:  # every escape is checked below
            assert_only_layer_error(exc, body)
        else:
            pytest.fail(f"{body}: {method} returned without an error")


async def test_malformed_files_layer_error(
    layer: Layer, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    # Redirects of file downloads are tested with the downloads.
    for body in sorted(set(MALFORMED) - {"redirect"}):
        httpx_mock.reset()
        httpx_mock.add_callback(
            file_answer(MALFORMED[body]), url=file_url(1), is_reusable=True
        )
        out_dir = tmp_path / body

        try:
            await layer.call("download", complete(), out_dir)
        except BaseException as exc:  # every escape is checked below
            assert_only_layer_error(exc, body)


# Typed errors


@pytest.mark.parametrize("method", sorted(METHODS))
async def test_401_authentication(
    layer: Layer, script: Script, tmp_path: Path, method: str
) -> None:
    serve_everywhere(script, lambda _: httpx.Response(401, text="Unauthorized"))

    with pytest.raises(AuthenticationError) as caught:
        await METHODS[method](layer, tmp_path)

    assert "LAYER_API_KEY" in str(caught.value)
    assert caught.value.status_code == 401
    assert len(script.requests) == 1


@pytest.mark.parametrize("method", sorted(METHODS))
async def test_unauthorized_member(
    layer: Layer, script: Script, tmp_path: Path, method: str
) -> None:
    member = error_member("UNAUTHORIZED_ERROR", "Invalid token", "unauthorized")
    serve_everywhere(script, lambda field: data({field: member}))

    with pytest.raises(AuthenticationError) as caught:
        await METHODS[method](layer, tmp_path)

    assert "LAYER_API_KEY" in str(caught.value)
    assert caught.value.error_type == "UNAUTHORIZED_ERROR"
    assert caught.value.code == "unauthorized"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (402, InsufficientCreditsError),
        (422, BadRequestError),
        (400, BadRequestError),
    ],
)
@pytest.mark.parametrize("method", ["get_usage", "list_styles", "generate_images"])
async def test_status_typed_error(
    layer: Layer,
    script: Script,
    tmp_path: Path,
    method: str,
    status: int,
    expected: type[LayerError],
) -> None:
    serve_everywhere(script, lambda _: httpx.Response(status, text="no"))

    with pytest.raises(expected) as caught:
        await METHODS[method](layer, tmp_path)

    assert caught.value.status_code == status
    assert len(script.requests) == 1


@pytest.mark.parametrize(
    ("error_type", "expected"),
    [
        ("PAYMENT_REQUIRED_ERROR", InsufficientCreditsError),
        ("FORBIDDEN_ERROR", PermissionDeniedError),
        ("NOT_FOUND_ERROR", NotFoundError),
        ("BAD_REQUEST_ERROR", BadRequestError),
    ],
)
@pytest.mark.parametrize("method", ["get_usage", "list_styles", "generate_images"])
async def test_member_typed_error(
    layer: Layer,
    script: Script,
    tmp_path: Path,
    method: str,
    error_type: str,
    expected: type[LayerError],
) -> None:
    member = error_member(error_type, "not allowed", "c9")
    serve_everywhere(script, lambda field: data({field: member}))

    if method == "generate_images" and error_type == "NOT_FOUND_ERROR":
        # The style check reports a missing style as unusable input.
        expected = StyleNotUsableError

    with pytest.raises(expected) as caught:
        await METHODS[method](layer, tmp_path)

    assert "not allowed" in str(caught.value.__cause__ or caught.value)


async def test_payment_member_generate_images(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", style_answer())
    script.add(
        "GenerateImages",
        data({"generateImages": error_member("PAYMENT_REQUIRED_ERROR", "No credits")}),
    )

    with pytest.raises(InsufficientCreditsError, match="No credits"):
        await layer.call("generate_images", style_id="sty_1", prompt="a castle")

    assert script.count("GenerateImages") == 1


@pytest.mark.parametrize(
    "body", ["html-200", "empty-200", "json-null", "json-string", "data-null"]
)
async def test_bad_body_invalid_response(
    layer: Layer, script: Script, body: str
) -> None:
    serve_everywhere(script, MALFORMED[body])

    with pytest.raises(InvalidResponseError) as caught:
        await layer.call("get_usage")

    assert caught.value.operation == "GetWorkspaceUsage"
    assert len(script.requests) == 1


@pytest.mark.parametrize("body", ["data-empty", "typename-only", "field-number"])
async def test_wrong_shape_invalid_response(
    layer: Layer, script: Script, body: str
) -> None:
    serve_everywhere(script, MALFORMED[body])

    with pytest.raises(InvalidResponseError) as caught:
        await layer.call("get_usage")

    assert "make schema" in str(caught.value)


async def test_missing_non_null_field(layer: Layer, script: Script) -> None:
    node = inference_node("inf_1", "COMPLETE")
    del node["createdAt"]
    script.add(
        "GetInferencesById",
        data(
            {
                "getInferencesById": {
                    "__typename": "InferencesResult",
                    "inferences": [node],
                }
            }
        ),
    )

    with pytest.raises(InvalidResponseError) as caught:
        await layer.call("wait", "inf_1")

    assert "createdAt" in str(caught.value)


async def test_null_non_null_field(layer: Layer, script: Script) -> None:
    node = inference_node("inf_1", "COMPLETE")
    node["status"] = None
    script.add(
        "GetInferencesById",
        data(
            {
                "getInferencesById": {
                    "__typename": "InferencesResult",
                    "inferences": [node],
                }
            }
        ),
    )

    with pytest.raises(InvalidResponseError, match="status"):
        await layer.call("wait", "inf_1")


async def test_wrong_type_field(layer: Layer, script: Script) -> None:
    body = json.loads(usage_answer().content)
    body["data"]["getWorkspaceUsage"]["entitlement"]["balance"] = "lots"
    script.add("GetWorkspaceUsage", httpx.Response(200, json=body))

    with pytest.raises(InvalidResponseError, match="balance"):
        await layer.call("get_usage")


async def test_partial_data_keeps_data(layer: Layer, script: Script) -> None:
    script.add(
        "GetWorkspaceUsage",
        httpx.Response(
            200,
            json={
                "data": {"getWorkspaceUsage": None},
                "errors": [
                    {"message": "usage service down", "path": ["getWorkspaceUsage"]}
                ],
            },
        ),
    )

    with pytest.raises(GraphQLError) as caught:
        await layer.call("get_usage")

    assert caught.value.data == {"getWorkspaceUsage": None}
    assert "usage service down" in str(caught.value)
    assert caught.value.errors[0]["path"] == ["getWorkspaceUsage"]


async def test_retry_after_huge_value(layer: Layer, script: Script) -> None:
    script.add(
        "GetWorkspaceUsage",
        httpx.Response(429, headers={"retry-after": "99999999999"}),
    )

    with pytest.raises(RateLimitError):
        await layer.call("get_usage")

    assert len(script.requests) == 1


async def test_retry_after_overflow_backoff(layer: Layer, script: Script) -> None:
    # A value that overflows a float counts as malformed: plain backoff.
    script.add(
        "GetWorkspaceUsage",
        httpx.Response(429, headers={"retry-after": "1" + "0" * 400}),
    )

    with pytest.raises(RateLimitError) as caught:
        await layer.call("get_usage")

    assert caught.value.retry_after is None
    assert len(script.requests) == 4
