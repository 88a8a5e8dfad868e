"""Classification of failed submissions, and the delay before a retry."""

from __future__ import annotations

import enum
import random

from ..config import RetryConfig
from ..errors import (
    AuthenticationError,
    GraphQLError,
    InsufficientCreditsError,
    InvalidResponseError,
    LayerError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    SubmissionUnknownError,
    TransportError,
)
from ..retries import backoff_delay

__all__ = [
    "MAX_RATE_LIMITED_ATTEMPTS",
    "MAX_TRANSIENT_ATTEMPTS",
    "SubmitOutcome",
    "classify_submit_error",
    "retry_delay",
    "timeout_message",
    "unknown_message",
]

# Submissions of one row per run after the client's own retries gave up.
# A rate limit is expected while the workspace is busy, so it gets many
# more tries than other failures.
# NOTE: both limits are estimates. At the default max_delay of 8 s,
# 60 rate-limited attempts wait up to about 8 minutes in all.
MAX_RATE_LIMITED_ATTEMPTS = 60
MAX_TRANSIENT_ATTEMPTS = 5


class SubmitOutcome(enum.Enum):
    """The handling of a row whose generateImages call raised."""

    RATE_LIMITED = "rate limited"
    """Nothing was created: wait, then submit the row again."""
    TRANSIENT = "transient"
    """Nothing was created (network or server trouble): retry a few times."""
    UNKNOWN = "unknown"
    """The inference may exist and may be charged: never resubmit on its own."""
    FAILED = "failed"
    """The API rejected this row; submitting it again cannot help."""
    STOP = "stop"
    """Nothing was created, but no further row can succeed either."""


def classify_submit_error(error: LayerError) -> SubmitOutcome:
    """Return what a generateImages failure means for the row and the run."""
    if isinstance(error, SubmissionUnknownError):
        return SubmitOutcome.UNKNOWN
    if isinstance(error, RateLimitError):
        return SubmitOutcome.RATE_LIMITED
    if isinstance(
        error,
        InsufficientCreditsError
        | AuthenticationError
        | PermissionDeniedError
        | GraphQLError,
    ):
        return SubmitOutcome.STOP
    if isinstance(error, TransportError):
        # Raised once the connection never opened on every attempt.
        return SubmitOutcome.TRANSIENT
    if isinstance(error, ServerError):
        # An HTTP 5xx may come after the mutation ran; an Error member
        # (no status code) means the server responded and created nothing.
        if error.status_code is not None and error.status_code >= 500:
            return SubmitOutcome.UNKNOWN
        return SubmitOutcome.TRANSIENT
    if isinstance(error, InvalidResponseError):
        # The server responded, so the mutation may have run.
        return SubmitOutcome.UNKNOWN
    return SubmitOutcome.FAILED


def retry_delay(
    attempt: int, error: LayerError, config: RetryConfig, rng: random.Random
) -> float:
    """Return the seconds to wait before submitting a row again.

    Full-jitter exponential backoff on the client's retry settings, and at
    least the server's Retry-After.
    """
    delay = backoff_delay(attempt, config, rng)
    if isinstance(error, RateLimitError) and error.retry_after is not None:
        delay = max(delay, error.retry_after)
    return delay


def unknown_message(error: LayerError) -> str:
    """Return the journal message of a row whose submission outcome is unknown.

    It states the cause and the possible charge without the client's advice,
    which is written for a single call. `format_table` adds what to do.
    """
    if isinstance(error, SubmissionUnknownError):
        cause = error.cause or type(error).__name__
    else:
        cause = error.message.rstrip(".")
    if error.status_code is not None and str(error.status_code) not in cause:
        cause = f"HTTP {error.status_code}: {cause}"
    return (
        f"The submission was sent but no usable response came back ({cause}), "
        "so the inference may exist and may be charged."
    )


def timeout_message(inference_id: str, last_status: str | None, waited: float) -> str:
    """Return the journal message of a row whose inference timed out."""
    return (
        f"Inference {inference_id} did not finish within {waited:g} s (last "
        f"status: {last_status or 'never seen'}). It may still complete: run "
        "the same batch again to keep waiting for it, or wait for this "
        f"inference alone with `layer-client wait {inference_id}`."
    )
