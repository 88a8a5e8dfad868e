"""Map what the API and the network return to the layer_client exceptions.

Everything here is pure, shared by the sync and async clients.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable
from typing import Any

import httpx
import pydantic
from layer_graphql import ErrorFields
from layer_graphql.exceptions import (
    GraphQLHttpError,
    GraphQLInvalidResponseError,
    GraphQLResponseErrors,
)
from pydantic_core import from_json

from .errors import (
    AuthenticationError,
    BadRequestError,
    GraphQLError,
    InsufficientCreditsError,
    InvalidResponseError,
    LayerAPIError,
    LayerError,
    LayerInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TransportError,
)

MISSING_STYLE_MESSAGE = "At least one style must be provided"
BUSY_MESSAGE = "pixel wizards"

SCHEMA_DRIFT_HINT = (
    "The saved operations may not match the live schema: run `make schema` "
    "to compare, then `make generate`."
)

_ERROR_CLASSES: dict[str, type[LayerAPIError]] = {
    "BAD_REQUEST_ERROR": BadRequestError,
    "UNAUTHORIZED_ERROR": AuthenticationError,
    "FORBIDDEN_ERROR": PermissionDeniedError,
    "NOT_FOUND_ERROR": NotFoundError,
    "RATE_LIMITED_ERROR": RateLimitError,
    "PAYMENT_REQUIRED_ERROR": InsufficientCreditsError,
    "INTERNAL_SERVER_ERROR": ServerError,
}

_STATUS_CLASSES: dict[int, type[LayerAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientCreditsError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: BadRequestError,
    429: RateLimitError,
}

# Error types of a workspace that is unknown or not the caller's.
_WORKSPACE_ERRORS = frozenset({"NOT_FOUND_ERROR", "FORBIDDEN_ERROR"})

_STATUS_HINTS: dict[int, str] = {
    401: "Check LAYER_API_KEY: the token is missing, invalid or expired.",
    403: "Check LAYER_WORKSPACE_ID: the token has no access to this workspace.",
}


def is_busy_member(member: ErrorFields) -> bool:
    """True for the "Our pixel wizards need a moment to recharge" Error member."""
    return BUSY_MESSAGE in member.message.lower()


def error_from_member(member: ErrorFields, operation: str) -> LayerAPIError:
    """Map an `Error` union member to the exception for its type and message."""
    error_type = member.error_type.value
    message = member.message or member.title or "the API returned an Error"
    context: dict[str, Any] = {
        "error_type": error_type,
        "code": member.code,
        "operation": operation,
    }

    if MISSING_STYLE_MESSAGE.lower() in message.lower():
        return BadRequestError(
            f"{message}: pass style_id with the id of a COMPLETE style "
            "(`layer-client styles` lists them)",
            **context,
        )
    if is_busy_member(member):
        return ServerError(
            f"{message}. Layer has returned this repeatedly for MODEL_URL (base "
            "model) styles; retry later or use a style you trained.",
            **context,
        )

    error_class = _ERROR_CLASSES.get(error_type, LayerAPIError)
    if error_type == "UNAUTHORIZED_ERROR":
        message = f"{message}. {_STATUS_HINTS[401]}"
    elif operation == "GetWorkspaceUsage" and error_type in _WORKSPACE_ERRORS:
        message = (
            f"{message}. `layer-client workspaces` lists the workspaces you can use."
        )
    return error_class(message, **context)


def error_from_http(
    response: httpx.Response,
    operation: str,
    *,
    now: Callable[[], float] = time.time,
) -> LayerError:
    """Map a non-2xx response, reading a GraphQL error body when there is one."""
    status = response.status_code
    errors = _graphql_errors_in(response)
    server_message = "; ".join(str(e.get("message", "")) for e in errors if e)
    context: dict[str, Any] = {"status_code": status, "operation": operation}

    if 300 <= status < 400:
        location = response.headers.get("location", "")
        return InvalidResponseError(
            f"Unexpected redirect (HTTP {status}) to {location!r}; the token is "
            "not sent after a redirect. Check LAYER_API_URL.",
            **context,
        )

    if errors and _looks_like_drift(errors):
        return GraphQLError(
            f"{server_message}. {SCHEMA_DRIFT_HINT}", errors=errors, **context
        )

    description = server_message or f"HTTP {status} {response.reason_phrase}".strip()
    hint = _STATUS_HINTS.get(status)
    if hint:
        description = f"{description}. {hint}"
    elif not errors and status in (404, 405):
        # No GraphQL body: the URL is most likely not a GraphQL endpoint.
        url = response.request.url
        description = (
            f"{description} from {url.scheme}://{url.netloc.decode('ascii', 'replace')}"
            f"{url.path}: check LAYER_API_URL, which must name the GraphQL "
            "endpoint, such as https://api.app.layer.ai/graphql"
        )

    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=now)
        return RateLimitError(description, retry_after=retry_after, **context)
    if status >= 500:
        return ServerError(description, **context)
    error_class = _STATUS_CLASSES.get(status)
    if error_class is not None:
        return error_class(description, **context)
    if errors:
        return GraphQLError(description, errors=errors, **context)
    return LayerAPIError(description, **context)


def error_from_graphql_errors(
    exc: GraphQLResponseErrors, operation: str
) -> LayerAPIError:
    """Map a GraphQL `errors` array in a 2xx response, keeping partial data."""
    codes = {
        str(error.get("extensions", {}).get("code", ""))
        for error in exc.errors
        if isinstance(error.get("extensions"), dict)
    }
    message = str(exc)
    if "UNAUTHENTICATED" in codes:
        return AuthenticationError(
            f"{message}. {_STATUS_HINTS[401]}", operation=operation
        )
    if "FORBIDDEN" in codes:
        return PermissionDeniedError(
            f"{message}. {_STATUS_HINTS[403]}", operation=operation
        )
    return GraphQLError(
        f"{message}. {SCHEMA_DRIFT_HINT}",
        errors=exc.errors,
        data=exc.data,
        operation=operation,
    )


def error_from_invalid_response(
    exc: GraphQLInvalidResponseError, operation: str
) -> InvalidResponseError:
    """Map a body that is not a GraphQL response."""
    return InvalidResponseError(
        f"Invalid response: {exc.reason}",
        status_code=exc.response.status_code,
        operation=operation,
    )


def error_from_validation(
    exc: pydantic.ValidationError, operation: str
) -> InvalidResponseError:
    """Map a response that does not fit the generated models."""
    for detail in exc.errors():
        if detail["type"] == "union_tag_invalid":
            tag = detail.get("ctx", {}).get("tag")
            return InvalidResponseError(
                f"Unknown __typename {tag!r} in the {operation} response at "
                f"{_location(detail['loc'])}. {SCHEMA_DRIFT_HINT}",
                operation=operation,
            )
    first = exc.errors()[0] if exc.errors() else None
    where = _location(first["loc"]) if first else "?"
    problem = first["msg"] if first else str(exc)
    return InvalidResponseError(
        f"The {operation} response does not match the saved operation at "
        f"{where}: {problem}. {SCHEMA_DRIFT_HINT}",
        operation=operation,
    )


def error_from_exception(exc: BaseException, operation: str) -> LayerError:
    """Map any exception raised while running a generated client method."""
    if isinstance(exc, LayerError):
        return exc
    if isinstance(exc, GraphQLHttpError):
        return error_from_http(exc.response, operation)
    if isinstance(exc, GraphQLResponseErrors):
        return error_from_graphql_errors(exc, operation)
    if isinstance(exc, GraphQLInvalidResponseError):
        return error_from_invalid_response(exc, operation)
    if isinstance(exc, pydantic.ValidationError):
        return error_from_validation(exc, operation)
    if isinstance(exc, httpx.HTTPError):
        return TransportError(_transport_message(exc), operation=operation)
    if isinstance(exc, RuntimeError) and "client has been closed" in str(exc):
        return LayerInputError(
            "The client is closed: create a new one, or keep using it inside "
            "its `with` block",
            field="client",
        )
    return InvalidResponseError(
        f"Unexpected {type(exc).__name__} while reading the {operation} "
        f"response: {exc}",
        operation=operation,
    )


def _transport_message(exc: httpx.HTTPError) -> str:
    """Describe a network failure with the URL (without its query) and a hint."""
    detail = f"{type(exc).__name__}: {exc or 'no detail'}"
    try:
        url = exc.request.url
    except RuntimeError:  # httpx raises this when no request is attached
        return detail
    where = f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}{url.path}"
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        return (
            f"Cannot connect to {where} ({detail}). Is the server running? "
            "Check LAYER_API_URL; for the local emulator, start "
            "`layer-client emulator` first."
        )
    return f"{detail} ({where})"


def parse_retry_after(
    value: str | None, *, now: Callable[[], float] = time.time
) -> float | None:
    """Return the delay a Retry-After header requests, in seconds.

    Accepts delta-seconds and HTTP dates; returns None for a missing or
    malformed value, so the caller falls back to its own backoff.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        seconds = None
    if seconds is not None:
        if not math.isfinite(seconds) or seconds < 0:
            return None
        return seconds
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - now())


def _graphql_errors_in(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = from_json(response.content)
    except ValueError:
        return []
    if not isinstance(body, dict):
        return []
    errors = body.get("errors")
    if not isinstance(errors, list):
        return []
    return [error for error in errors if isinstance(error, dict)]


def _looks_like_drift(errors: list[dict[str, Any]]) -> bool:
    for error in errors:
        extensions = error.get("extensions")
        code = extensions.get("code") if isinstance(extensions, dict) else None
        message = str(error.get("message", ""))
        if code == "GRAPHQL_VALIDATION_FAILED" or message.startswith(
            "Cannot query field"
        ):
            return True
    return False


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "the top level"
