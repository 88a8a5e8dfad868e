"""Exceptions raised by layer_client.

Every exception the public API raises is a `LayerError`::

    LayerError
    ├── LayerInputError(ValueError)        bad input, caught before sending
    │   └── StyleNotUsableError            style missing, not COMPLETE, not usable
    ├── LayerAPIError                      the API returned an error
    │   ├── AuthenticationError            401, UNAUTHORIZED_ERROR
    │   ├── PermissionDeniedError          403, FORBIDDEN_ERROR
    │   ├── NotFoundError                  404, NOT_FOUND_ERROR
    │   ├── RateLimitError                 429, RATE_LIMITED_ERROR (.retry_after)
    │   ├── InsufficientCreditsError       402, PAYMENT_REQUIRED_ERROR, low balance
    │   ├── BadRequestError                400, 422, BAD_REQUEST_ERROR
    │   ├── ServerError                    5xx, INTERNAL_SERVER_ERROR, "pixel wizards"
    │   └── GraphQLError                   an `errors` array, usually schema drift
    ├── InvalidResponseError               not JSON, wrong shape, unknown __typename
    ├── TransportError                     network failure after retries
    │   └── SubmissionUnknownError         a mutation may or may not have run
    ├── DownloadError                      a file could not be saved intact
    └── GenerationError                    the inference ended badly (.inference_id)
        ├── GenerationFailedError          FAILED (.error_code)
        ├── GenerationCancelledError       CANCELLED or DELETED
        └── GenerationTimeoutError         deadline passed; wait(inference_id) resumes

Each error carries its message and, where known, the `Error.type`, the
`Error.code`, the HTTP status, the operation name and the inference id.
No raw pydantic, json, KeyError or httpx exception leaves the public API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "DownloadError",
    "GenerationCancelledError",
    "GenerationError",
    "GenerationFailedError",
    "GenerationTimeoutError",
    "GraphQLError",
    "InsufficientCreditsError",
    "InvalidResponseError",
    "LayerAPIError",
    "LayerError",
    "LayerInputError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "StyleNotUsableError",
    "SubmissionUnknownError",
    "TransportError",
]


class LayerError(Exception):
    """Base class of every exception raised by layer_client."""

    def __init__(
        self,
        message: str,
        *,
        error_type: str | None = None,
        code: str | None = None,
        status_code: int | None = None,
        operation: str | None = None,
        inference_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.error_type = error_type
        self.code = code
        self.status_code = status_code
        self.operation = operation
        self.inference_id = inference_id

    def __str__(self) -> str:
        details = [
            f"{name}={value}"
            for name, value in (
                ("operation", self.operation),
                ("type", self.error_type),
                ("code", self.code),
                ("status", self.status_code),
                ("inference_id", self.inference_id),
            )
            if value is not None
        ]
        if not details:
            return self.message
        return f"{self.message} ({', '.join(details)})"


class LayerInputError(LayerError, ValueError):
    """Invalid input, found before any request was sent."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class StyleNotUsableError(LayerInputError):
    """The style does not exist, is not COMPLETE, or cannot be used here."""

    def __init__(
        self,
        message: str,
        *,
        style_id: str,
        status: str | None = None,
        can_forge_from: str | None = None,
    ) -> None:
        super().__init__(message, field="style_id")
        self.style_id = style_id
        self.status = status
        self.can_forge_from = can_forge_from


class LayerAPIError(LayerError):
    """The API returned an error."""


class AuthenticationError(LayerAPIError):
    """The token is missing, invalid or expired (401, UNAUTHORIZED_ERROR)."""


class PermissionDeniedError(LayerAPIError):
    """The token has no access to the resource (403, FORBIDDEN_ERROR)."""


class NotFoundError(LayerAPIError):
    """The style, inference or workspace does not exist (404, NOT_FOUND_ERROR)."""


class RateLimitError(LayerAPIError):
    """Too many requests or concurrent runs (429, RATE_LIMITED_ERROR)."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, **context: Any
    ) -> None:
        super().__init__(message, **context)
        self.retry_after = retry_after


class InsufficientCreditsError(LayerAPIError):
    """The workspace balance does not cover the request (402, PAYMENT_REQUIRED)."""

    def __init__(
        self,
        message: str,
        *,
        balance: float | None = None,
        required: float | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message, **context)
        self.balance = balance
        self.required = required


class BadRequestError(LayerAPIError):
    """The API rejected the request as invalid (400, 422, BAD_REQUEST_ERROR)."""


class ServerError(LayerAPIError):
    """The API failed on its side (5xx, INTERNAL_SERVER_ERROR) after retries."""


class GraphQLError(LayerAPIError):
    """The response carried a GraphQL `errors` array.

    This usually means the saved operations no longer match the live schema.
    `errors` keeps the raw error objects and `data` any partial data.
    """

    def __init__(
        self,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        data: dict[str, Any] | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message, **context)
        self.errors = errors or []
        self.data = data


class InvalidResponseError(LayerError):
    """The response is not JSON, has the wrong shape, or an unknown __typename."""


class TransportError(LayerError):
    """The request failed on the network after every retry."""


class SubmissionUnknownError(TransportError):
    """A mutation was sent but its response was lost, so it may have run.

    It is never retried automatically because a second submission could
    spend credits twice. Check the workspace for the inference before
    submitting again.
    """

    def __init__(
        self, message: str, *, cause: str | None = None, **context: Any
    ) -> None:
        super().__init__(message, **context)
        # What went wrong on the wire, without the advice of the message.
        self.cause = cause


class DownloadError(LayerError):
    """A generated file could not be downloaded and saved intact."""

    def __init__(self, message: str, *, url: str | None = None, **context: Any) -> None:
        super().__init__(message, **context)
        self.url = url
        # Files of the same call that were saved intact before the failure.
        self.saved_paths: list[Path] = []


class GenerationError(LayerError):
    """The inference ended without usable files."""

    def __init__(self, message: str, *, inference_id: str, **context: Any) -> None:
        super().__init__(message, inference_id=inference_id, **context)


class GenerationFailedError(GenerationError):
    """The inference ended FAILED, with the API's reason in `error_code` if it gave one."""

    def __init__(
        self,
        message: str,
        *,
        inference_id: str,
        error_code: str | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message, inference_id=inference_id, code=error_code, **context)
        self.error_code = error_code


class GenerationCancelledError(GenerationError):
    """The inference ended CANCELLED or DELETED."""

    def __init__(
        self, message: str, *, inference_id: str, status: str, **context: Any
    ) -> None:
        super().__init__(message, inference_id=inference_id, **context)
        self.status = status


class GenerationTimeoutError(GenerationError):
    """The deadline passed before the inference ended.

    The inference may still complete: call `wait(error.inference_id)` to
    resume waiting.
    """

    def __init__(
        self,
        message: str,
        *,
        inference_id: str,
        last_status: str | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message, inference_id=inference_id, **context)
        self.last_status = last_status
        # Every id still pending when a wait over many inferences timed out.
        self.pending_ids: list[str] = [inference_id]
