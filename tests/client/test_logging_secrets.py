"""The token never leaks, and the logs record each step with its ids."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_httpx import HTTPXMock

from layer_client import (
    NO_RETRIES,
    GenerationFailedError,
    Inference,
    LayerClient,
    LayerError,
    LayerInputError,
    SubmissionUnknownError,
)
from tests.client.conftest import Layer, LayerFactory
from tests.fakes import (
    API_URL,
    PNG_BYTES,
    TOKEN,
    FakeClock,
    Script,
    data,
    error_member,
    file_url,
    generate_answer,
    inference_node,
    inferences_answer,
    style_answer,
    usage_answer,
)


def exception_text(exc: BaseException) -> str:
    """Return every rendering of an exception: str, repr, traceback, causes."""
    parts = [str(exc), repr(exc)]
    parts.extend(traceback.format_exception(exc))
    return "\n".join(parts)


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    lines = [caplog.text]
    for record in caplog.records:
        lines.append(record.getMessage())
        lines.append(repr(record.args))
        lines.append(repr(record.__dict__))
    return "\n".join(lines)


async def test_generate_logs_no_token(
    layer: Layer,
    script: Script,
    httpx_mock: HTTPXMock,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    script.add("GetWorkspaceUsage", httpx.ConnectError("refused"), usage_answer())
    script.add(
        "GetStyleById",
        httpx.Response(429, headers={"retry-after": "1"}),
        style_answer(),
    )
    script.add("GenerateImages", generate_answer("inf_1"))
    script.add(
        "GetInferencesById",
        httpx.Response(502, text="<html>bad gateway</html>"),
        inferences_answer(inference_node("inf_1", "COMPLETE", files=1)),
    )
    httpx_mock.add_response(
        url=file_url(1), content=PNG_BYTES, headers={"content-type": "image/png"}
    )

    with caplog.at_level(logging.DEBUG):
        await layer.call(
            "generate", style_id="sty_1", prompt="a castle", out_dir=tmp_path
        )

    assert caplog.records
    assert TOKEN not in log_text(caplog)


async def test_logs_operations_and_ids(
    layer: Layer, script: Script, caplog: pytest.LogCaptureFixture
) -> None:
    script.add("GetStyleById", httpx.ConnectError("refused"), style_answer("sty_1"))
    script.add("GenerateImages", generate_answer("inf_77"))
    script.add(
        "GetInferencesById",
        inferences_answer(inference_node("inf_77", "COMPLETE")),
    )

    with caplog.at_level(logging.DEBUG, logger="layer_client"):
        await layer.call("generate_images", style_id="sty_1", prompt="a castle")
        await layer.call("wait", "inf_77")

    messages = [record.getMessage() for record in caplog.records]
    assert any("retrying GetStyleById" in m for m in messages)
    assert any("GetStyleById succeeded" in m for m in messages)
    assert any("submitted inference inf_77" in m for m in messages)
    assert any("inference inf_77 ended COMPLETE" in m for m in messages)
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert any("inf_77" in m for m in info)


async def test_poll_failure_logged(
    make_layer: LayerFactory, script: Script, caplog: pytest.LogCaptureFixture
) -> None:
    layer = make_layer(retry=NO_RETRIES)
    script.add(
        "GetInferencesById",
        httpx.Response(503, text="busy"),
        inferences_answer(inference_node("inf_1", "COMPLETE")),
    )

    with caplog.at_level(logging.WARNING, logger="layer_client"):
        await layer.call("wait", "inf_1", timeout=10)

    assert any("poll failed" in r.getMessage() for r in caplog.records)


FAILURES: dict[str, tuple[str, Callable[[], httpx.Response | Exception]]] = {
    "401": ("GetStyleById", lambda: httpx.Response(401, text="no")),
    "403": ("GetStyleById", lambda: httpx.Response(403, text="no")),
    "unauthorized-member": (
        "GetStyleById",
        lambda: data({"getStyleById": error_member("UNAUTHORIZED_ERROR", "bad token")}),
    ),
    "connect-error": ("GetStyleById", lambda: httpx.ConnectError(f"refused {API_URL}")),
    "read-timeout": ("GenerateImages", lambda: httpx.ReadTimeout("timed out")),
    "429": (
        "GetStyleById",
        lambda: httpx.Response(429, headers={"retry-after": "999"}),
    ),
    "not-json": ("GetStyleById", lambda: httpx.Response(200, text="<html>")),
    "graphql-errors": (
        "GetStyleById",
        lambda: httpx.Response(
            200, json={"errors": [{"message": "boom"}], "data": {"getStyleById": None}}
        ),
    ),
}


@pytest.mark.parametrize("kind", sorted(FAILURES))
async def test_errors_hide_token(
    layer: Layer, script: Script, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    operation, answer = FAILURES[kind]
    script.add(operation, answer())
    script.add("GetStyleById", style_answer())

    with caplog.at_level(logging.DEBUG), pytest.raises(LayerError) as caught:
        await layer.call("generate_images", style_id="sty_1", prompt="a castle")

    assert TOKEN not in exception_text(caught.value)
    assert TOKEN not in log_text(caplog)


async def test_generation_errors_hide_token(layer: Layer, script: Script) -> None:
    node = inference_node("inf_1", "FAILED", error_code="INTERNAL_SERVER_ERROR")
    script.add("GetInferencesById", inferences_answer(node))

    with pytest.raises(GenerationFailedError) as caught:
        await layer.call("wait", "inf_1")

    assert TOKEN not in exception_text(caught.value)


def test_key_error_hides_token() -> None:
    secret = "tok_with space_secret"

    with pytest.raises(LayerInputError) as caught:
        LayerClient(secret)

    assert "space_secret" not in exception_text(caught.value)


async def test_repr_hides_token(layer: Layer) -> None:
    client: Any = layer.client

    assert TOKEN not in repr(client)
    assert TOKEN not in str(client)
    assert TOKEN not in repr(client.settings)
    assert TOKEN not in str(client.settings)
    assert API_URL in repr(client)


async def test_token_sent_as_bearer(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", style_answer())
    script.add("GetWorkspaceUsage", usage_answer())

    await layer.call("get_style", "sty_1")
    await layer.call("get_usage")

    assert len(script.requests) == 2
    for request in script.requests:
        assert str(request.url) == API_URL
        assert request.headers["authorization"] == f"Bearer {TOKEN}"


async def test_token_not_sent_to_files(
    make_layer: LayerFactory, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    layer = make_layer(http_client=None)
    for index in (1, 2):
        httpx_mock.add_response(
            url=file_url(index),
            content=PNG_BYTES,
            headers={"content-type": "image/png"},
        )
    done = Inference.model_validate(inference_node("inf_1", "COMPLETE", files=2))

    await layer.call("download", done, tmp_path)

    file_requests = [
        r for r in httpx_mock.get_requests() if r.url.host == "media.test.layer"
    ]
    assert len(file_requests) == 2
    for request in file_requests:
        assert "authorization" not in request.headers
        assert TOKEN not in str(request.headers)
        assert TOKEN not in str(request.url)


async def test_submission_unknown_message(
    make_layer: LayerFactory, script: Script, clock: FakeClock
) -> None:
    layer = make_layer(check_style=False)
    script.add("GenerateImages", httpx.ReadTimeout("timed out"))

    with pytest.raises(SubmissionUnknownError) as caught:
        await layer.call("generate_images", style_id="sty_1", prompt="a castle")

    message = str(caught.value)
    assert "not resubmitted" in message
    assert TOKEN not in message
