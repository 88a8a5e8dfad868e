"""Mapping of Error members, HTTP responses and exceptions to LayerError."""

from __future__ import annotations

import email.utils
from typing import Any

import httpx
import pydantic
import pytest
from layer_graphql import ErrorFields, GenerateImages
from layer_graphql.exceptions import GraphQLHttpError, GraphQLResponseErrors

from layer_client import (
    AuthenticationError,
    BadRequestError,
    GraphQLError,
    InsufficientCreditsError,
    InvalidResponseError,
    LayerAPIError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TransportError,
)
from layer_client.error_mapping import (
    SCHEMA_DRIFT_HINT,
    error_from_exception,
    error_from_graphql_errors,
    error_from_http,
    error_from_member,
    error_from_validation,
    is_busy_member,
    parse_retry_after,
)
from tests.fakes import API_URL, error_member

REQUEST = httpx.Request("POST", API_URL)
NOW = 1_800_000_000.0


def member(error_type: str, message: str = "failed", code: str = "c1") -> ErrorFields:
    return ErrorFields.model_validate(error_member(error_type, message, code))


def response(
    status: int,
    *,
    json: Any = None,
    text: str = "",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    if json is not None:
        return httpx.Response(status, json=json, headers=headers, request=REQUEST)
    return httpx.Response(status, text=text, headers=headers, request=REQUEST)


@pytest.mark.parametrize(
    ("error_type", "expected"),
    [
        ("BAD_REQUEST_ERROR", BadRequestError),
        ("UNAUTHORIZED_ERROR", AuthenticationError),
        ("FORBIDDEN_ERROR", PermissionDeniedError),
        ("NOT_FOUND_ERROR", NotFoundError),
        ("RATE_LIMITED_ERROR", RateLimitError),
        ("PAYMENT_REQUIRED_ERROR", InsufficientCreditsError),
        ("INTERNAL_SERVER_ERROR", ServerError),
    ],
)
def test_member_type_maps_class(error_type: str, expected: type[LayerAPIError]) -> None:
    error = error_from_member(member(error_type, "it broke", "e42"), "GenerateImages")

    assert type(error) is expected
    assert error.error_type == error_type
    assert error.code == "e42"
    assert error.operation == "GenerateImages"
    assert "it broke" in error.message


def test_member_unknown_type_generic() -> None:
    error = error_from_member(member("TEAPOT_ERROR", "short and stout"), "ListStyles")

    assert type(error) is LayerAPIError
    assert error.error_type == "TEAPOT_ERROR"


def test_member_unauthorized_names_variable() -> None:
    error = error_from_member(member("UNAUTHORIZED_ERROR", "Invalid token"), "X")

    assert "LAYER_API_KEY" in str(error)


def test_member_missing_style_hint() -> None:
    missing = member("BAD_REQUEST_ERROR", "At least one style must be provided")

    error = error_from_member(missing, "GenerateImages")

    assert isinstance(error, BadRequestError)
    assert "At least one style must be provided" in error.message
    assert "style_id" in error.message


def test_member_busy_server_error() -> None:
    busy = member("BAD_REQUEST_ERROR", "Our Pixel Wizards need a moment to recharge")

    error = error_from_member(busy, "GenerateImages")

    assert is_busy_member(busy)
    assert isinstance(error, ServerError)
    assert "MODEL_URL" in error.message


def test_member_empty_message_uses_title() -> None:
    fields = error_member("NOT_FOUND_ERROR", message="")
    fields["title"] = "Not found"

    error = error_from_member(ErrorFields.model_validate(fields), "GetStyleById")

    assert error.message == "Not found"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, InsufficientCreditsError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (422, BadRequestError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (418, LayerAPIError),
    ],
)
def test_http_status_maps_class(status: int, expected: type[LayerAPIError]) -> None:
    error = error_from_http(response(status, text="<html>oops</html>"), "ListStyles")

    assert type(error) is expected
    assert error.status_code == status
    assert error.operation == "ListStyles"
    assert f"HTTP {status}" in error.message


def test_http_401_names_variable() -> None:
    error = error_from_http(response(401), "ListStyles")

    assert "LAYER_API_KEY" in str(error)


def test_http_403_names_workspace_variable() -> None:
    error = error_from_http(response(403), "ListStyles")

    assert "LAYER_WORKSPACE_ID" in str(error)


def test_http_server_message_kept() -> None:
    body = {"errors": [{"message": "Variable $input got invalid value"}]}

    error = error_from_http(response(400, json=body), "ListStyles")

    assert isinstance(error, BadRequestError)
    assert "Variable $input got invalid value" in error.message


def test_http_drift_graphql_error() -> None:
    body = {
        "errors": [
            {
                "message": 'Cannot query field "etaAt" on type "Inference".',
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ]
    }

    error = error_from_http(response(400, json=body), "GenerateImages")

    assert isinstance(error, GraphQLError)
    assert "etaAt" in error.message
    assert SCHEMA_DRIFT_HINT in error.message
    assert error.errors == body["errors"]


def test_http_errors_unknown_status_graphql_error() -> None:
    body = {"errors": [{"message": "I am a teapot"}]}

    error = error_from_http(response(418, json=body), "ListStyles")

    assert isinstance(error, GraphQLError)
    assert "I am a teapot" in error.message


def test_http_redirect_invalid_response() -> None:
    redirect = response(302, headers={"location": "https://elsewhere.test/"})

    error = error_from_http(redirect, "ListStyles")

    assert isinstance(error, InvalidResponseError)
    assert "elsewhere.test" in error.message
    assert error.status_code == 302


def test_http_429_retry_after() -> None:
    limited = response(429, headers={"retry-after": "7"})

    error = error_from_http(limited, "ListStyles")

    assert isinstance(error, RateLimitError)
    assert error.retry_after == 7.0


@pytest.mark.parametrize(
    "body", [b"\xff\xfe", b"[1, 2]", b'"text"', b"null", b'{"errors": "x"}']
)
def test_http_odd_bodies_mapped(body: bytes) -> None:
    odd = httpx.Response(500, content=body, request=REQUEST)

    error = error_from_http(odd, "ListStyles")

    assert isinstance(error, ServerError)


def test_graphql_errors_keep_data() -> None:
    exc = GraphQLResponseErrors(
        [{"message": "field failed"}], {"listStyles": {"edges": []}}
    )

    error = error_from_graphql_errors(exc, "ListStyles")

    assert isinstance(error, GraphQLError)
    assert error.data == {"listStyles": {"edges": []}}
    assert "field failed" in error.message
    assert SCHEMA_DRIFT_HINT in error.message


def test_graphql_errors_unauthenticated() -> None:
    exc = GraphQLResponseErrors(
        [{"message": "no token", "extensions": {"code": "UNAUTHENTICATED"}}], None
    )

    error = error_from_graphql_errors(exc, "ListStyles")

    assert isinstance(error, AuthenticationError)
    assert "LAYER_API_KEY" in error.message


def test_graphql_errors_forbidden() -> None:
    exc = GraphQLResponseErrors(
        [{"message": "not yours", "extensions": {"code": "FORBIDDEN"}}], None
    )

    error = error_from_graphql_errors(exc, "ListStyles")

    assert isinstance(error, PermissionDeniedError)


def test_graphql_errors_odd_extensions() -> None:
    exc = GraphQLResponseErrors([{"message": "x", "extensions": "weird"}], None)

    error = error_from_graphql_errors(exc, "ListStyles")

    assert isinstance(error, GraphQLError)


def test_validation_unknown_typename() -> None:
    body = {"generateImages": {"__typename": "QueuedInference", "id": "inf_1"}}
    with pytest.raises(pydantic.ValidationError) as caught:
        GenerateImages.model_validate(body)

    error = error_from_validation(caught.value, "GenerateImages")

    assert isinstance(error, InvalidResponseError)
    assert "QueuedInference" in error.message
    assert "make schema" in error.message


def test_validation_missing_field() -> None:
    body = {"generateImages": {"__typename": "Inference", "id": "inf_1"}}
    with pytest.raises(pydantic.ValidationError) as caught:
        GenerateImages.model_validate(body)

    error = error_from_validation(caught.value, "GenerateImages")

    assert isinstance(error, InvalidResponseError)
    assert "generateImages" in error.message
    assert error.operation == "GenerateImages"


def test_exception_http_error() -> None:
    exc = GraphQLHttpError(response(503))

    error = error_from_exception(exc, "ListStyles")

    assert isinstance(error, ServerError)


def test_exception_httpx_error() -> None:
    error = error_from_exception(httpx.ConnectError("refused"), "ListStyles")

    assert isinstance(error, TransportError)
    assert "ConnectError" in error.message


def test_exception_other() -> None:
    error = error_from_exception(KeyError("data"), "ListStyles")

    assert isinstance(error, InvalidResponseError)
    assert "KeyError" in error.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 3 ", 3.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (None, None),
        ("", None),
        ("soon", None),
        ("-1", None),
        ("nan", None),
        ("inf", None),
        ("Wed, 21 Oct 2015 07:28:00", None),
    ],
)
def test_retry_after_values(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=lambda: NOW) == expected


def test_retry_after_http_date() -> None:
    header = email.utils.formatdate(NOW + 30, usegmt=True)

    assert parse_retry_after(header, now=lambda: NOW) == 30.0


def test_retry_after_past_date() -> None:
    header = email.utils.formatdate(NOW - 30, usegmt=True)

    assert parse_retry_after(header, now=lambda: NOW) == 0.0
