"""When to retry an operation, and how long to wait first.

The decision is a pure function of the failure, the kind of operation, the
attempt number and the time left, so every branch is tested without I/O.

The loop is written here by hand instead of with stamina or tenacity for two
reasons. The core install depends on httpx and pydantic only. And the rule
that matters most is not a list of exceptions to retry on. A
`generateImages` mutation may be retried only when the server cannot have
acted, which depends on whether the request left this machine. A
`Retry-After` longer than the remaining deadline must raise at once.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass

import httpx
from layer_graphql import ErrorFields

from .config import RetryConfig
from .error_mapping import error_from_exception, error_from_member, is_busy_member
from .errors import (
    LayerError,
    RateLimitError,
    ServerError,
    SubmissionUnknownError,
    TransportError,
)

# Transient statuses worth retrying for a query.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


class FailureKind(enum.Enum):
    """The server state that a failed attempt reveals."""

    NOT_SENT = "not sent"  # the connection never opened: nothing reached the server
    NO_ANSWER = "no answer"  # sent, then timed out or dropped: it may have run
    REJECTED = "rejected"  # 429 or a RATE_LIMITED_ERROR member: nothing was done
    UNAVAILABLE = "unavailable"  # 502, 503, 504: a gateway responded
    BUSY = "busy"  # the "pixel wizards" Error member: nothing was created
    FINAL = "final"  # retrying cannot help


@dataclass(frozen=True)
class Failure:
    """One failed attempt: its kind and the error to raise if it is the last."""

    kind: FailureKind
    error: LayerError


@dataclass(frozen=True)
class Decision:
    """Retry after `delay` seconds, or raise `error`."""

    retry: bool
    delay: float = 0.0
    error: LayerError | None = None


_NOT_SENT_ERRORS: tuple[type[httpx.HTTPError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


def classify_exception(exc: BaseException, operation: str) -> Failure:
    """Classify an exception raised by one attempt."""
    error = error_from_exception(exc, operation)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return Failure(FailureKind.FINAL, error)
    if isinstance(exc, _NOT_SENT_ERRORS):
        return Failure(FailureKind.NOT_SENT, error)
    # Every other transport error (read and write timeouts, a dropped
    # connection, a protocol error from the server) happens after the
    # request may have left this machine.
    if isinstance(exc, httpx.TransportError):
        return Failure(FailureKind.NO_ANSWER, error)
    if error.status_code == 429:
        return Failure(FailureKind.REJECTED, error)
    if error.status_code in RETRYABLE_STATUSES:
        return Failure(FailureKind.UNAVAILABLE, error)
    return Failure(FailureKind.FINAL, error)


def classify_member(member: ErrorFields, operation: str) -> Failure:
    """Classify an `Error` union member returned in a 200 response."""
    error = error_from_member(member, operation)
    if member.error_type.value == "RATE_LIMITED_ERROR":
        return Failure(FailureKind.REJECTED, error)
    if is_busy_member(member):
        return Failure(FailureKind.BUSY, error)
    return Failure(FailureKind.FINAL, error)


def backoff_delay(attempt: int, config: RetryConfig, rng: random.Random) -> float:
    """Return the full-jitter delay before attempt `attempt + 1` (attempt >= 1)."""
    ceiling = min(
        config.max_delay, config.initial_delay * config.multiplier ** (attempt - 1)
    )
    return rng.uniform(0.0, ceiling)


def decide(
    failure: Failure,
    *,
    is_mutation: bool,
    attempt: int,
    busy_retries: int,
    remaining: float,
    config: RetryConfig,
    rng: random.Random,
) -> Decision:
    """Decide whether attempt number `attempt` (from 1) is followed by another.

    `remaining` is the time left before the operation's deadline, in seconds,
    and `busy_retries` how many "pixel wizards" retries were made already.
    """
    kind = failure.kind
    error = failure.error

    if kind is FailureKind.FINAL:
        return Decision(retry=False, error=error)

    if is_mutation and kind in (FailureKind.NO_ANSWER, FailureKind.UNAVAILABLE):
        return Decision(retry=False, error=_submission_unknown(error))

    if kind is FailureKind.BUSY and busy_retries >= config.max_busy_retries:
        return Decision(retry=False, error=error)

    if attempt >= config.max_attempts:
        return Decision(retry=False, error=_final_error(kind, error, attempt))

    delay = backoff_delay(attempt, config, rng)
    retry_after = error.retry_after if isinstance(error, RateLimitError) else None
    if retry_after is not None:
        if retry_after > remaining:
            return Decision(retry=False, error=error)
        delay = max(delay, retry_after)

    if delay >= remaining:
        return Decision(retry=False, error=_final_error(kind, error, attempt))
    return Decision(retry=True, delay=delay)


def _submission_unknown(error: LayerError) -> SubmissionUnknownError:
    return SubmissionUnknownError(
        f"The {error.operation} request was sent but its response was lost "
        f"({error.message}), so the inference may exist and may have been "
        "charged. It was not resubmitted: look for it among the workspace's "
        "recent inferences before submitting again.",
        operation=error.operation,
        status_code=error.status_code,
        cause=error.message,
    )


def _final_error(kind: FailureKind, error: LayerError, attempt: int) -> LayerError:
    """Return the error to raise once retries are used up."""
    if kind in (FailureKind.NOT_SENT, FailureKind.NO_ANSWER) or isinstance(
        error, TransportError
    ):
        return TransportError(
            f"{error.message} (after {attempt} attempts)", operation=error.operation
        )
    if kind is FailureKind.UNAVAILABLE and not isinstance(error, ServerError):
        return ServerError(
            f"{error.message} (after {attempt} attempts)",
            status_code=error.status_code,
            operation=error.operation,
        )
    return error


@dataclass
class RetryState:
    """Attempt bookkeeping of one operation, shared by the sync and async loops."""

    operation: str
    is_mutation: bool
    config: RetryConfig
    started: float
    deadline: float
    rng: random.Random
    attempt: int = 1
    busy_retries: int = 0

    def remaining(self, now: float) -> float:
        return self.deadline - now

    def after_failure(self, failure: Failure, now: float) -> float:
        """Return the delay before the next attempt, or raise the final error."""
        decision = decide(
            failure,
            is_mutation=self.is_mutation,
            attempt=self.attempt,
            busy_retries=self.busy_retries,
            remaining=self.remaining(now),
            config=self.config,
            rng=self.rng,
        )
        if not decision.retry:
            assert decision.error is not None
            raise decision.error
        self.attempt += 1
        if failure.kind is FailureKind.BUSY:
            self.busy_retries += 1
        return decision.delay
