"""Run one generated operation with retries, deadlines and error mapping.

`call_sync` and `call_async` are the only places that catch what a
generated method raises; both hand every decision to `retries`.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from layer_graphql import ErrorFields

from .config import RetryConfig
from .retries import Failure, RetryState, classify_exception, classify_member

logger = logging.getLogger("layer_client")

T = TypeVar("T")

# The smallest per-request timeout, in seconds, so that a request sent just
# before the deadline still has a chance to finish.
MIN_REQUEST_TIMEOUT = 0.5


@dataclass(frozen=True)
class Operation:
    """One GraphQL operation to run: its name and whether it spends credits."""

    name: str
    is_mutation: bool = False


def shrink_timeout(base: httpx.Timeout, remaining: float) -> httpx.Timeout:
    """Cap every part of base at the time left before the deadline."""
    budget = max(MIN_REQUEST_TIMEOUT, remaining)
    parts = (base.connect, base.read, base.write, base.pool)
    if all(part is not None and part <= budget for part in parts):
        return base  # the deadline is further away than every timeout

    def cap(value: float | None) -> float:
        return budget if value is None else min(value, budget)

    return httpx.Timeout(
        connect=cap(base.connect),
        read=cap(base.read),
        write=cap(base.write),
        pool=cap(base.pool),
    )


def _start(
    operation: Operation,
    config: RetryConfig,
    now: float,
    deadline: float | None,
    rng: random.Random,
) -> RetryState:
    end = now + config.deadline
    if deadline is not None:
        end = min(end, deadline)
    return RetryState(
        operation=operation.name,
        is_mutation=operation.is_mutation,
        config=config,
        started=now,
        deadline=end,
        rng=rng,
    )


def _log_failure(state: RetryState, failure: Failure, elapsed: float) -> None:
    logger.debug(
        "%s attempt %d failed after %.0f ms: %s (%s)",
        state.operation,
        state.attempt,
        elapsed * 1000,
        failure.error.message,
        failure.kind.value,
    )


def _log_retry(state: RetryState, failure: Failure, delay: float) -> None:
    logger.info(
        "retrying %s in %.2f s (attempt %d of %d): %s",
        state.operation,
        delay,
        state.attempt,
        state.config.max_attempts,
        failure.error.message,
    )


def call_sync(
    operation: Operation,
    send: Callable[[httpx.Timeout], T],
    error_member: Callable[[T], ErrorFields | None],
    *,
    config: RetryConfig,
    request_timeout: httpx.Timeout,
    clock: Callable[[], float],
    sleep: Callable[[float], Any],
    rng: random.Random,
    deadline: float | None = None,
) -> T:
    """Call send until it succeeds or the retry policy gives up.

    send receives the per-request timeout; error_member returns the `Error`
    union member of a parsed result, if it is one.
    """
    state = _start(operation, config, clock(), deadline, rng)
    while True:
        sent_at = clock()
        try:
            result = send(shrink_timeout(request_timeout, state.remaining(sent_at)))
        except Exception as exc:  # every exception is mapped, none leaks raw
            failure = classify_exception(exc, operation.name)
        else:
            member = error_member(result)
            if member is None:
                logger.debug(
                    "%s succeeded in %.0f ms (attempt %d)",
                    operation.name,
                    (clock() - sent_at) * 1000,
                    state.attempt,
                )
                return result
            failure = classify_member(member, operation.name)

        _log_failure(state, failure, clock() - sent_at)
        delay = state.after_failure(failure, clock())
        _log_retry(state, failure, delay)
        sleep(delay)


async def call_async(
    operation: Operation,
    send: Callable[[httpx.Timeout], Awaitable[T]],
    error_member: Callable[[T], ErrorFields | None],
    *,
    config: RetryConfig,
    request_timeout: httpx.Timeout,
    clock: Callable[[], float],
    sleep: Callable[[float], Awaitable[Any]],
    rng: random.Random,
    deadline: float | None = None,
) -> T:
    """Await send until it succeeds or the retry policy gives up (see call_sync)."""
    state = _start(operation, config, clock(), deadline, rng)
    while True:
        sent_at = clock()
        try:
            result = await send(
                shrink_timeout(request_timeout, state.remaining(sent_at))
            )
        except Exception as exc:  # every exception is mapped, none leaks raw
            failure = classify_exception(exc, operation.name)
        else:
            member = error_member(result)
            if member is None:
                logger.debug(
                    "%s succeeded in %.0f ms (attempt %d)",
                    operation.name,
                    (clock() - sent_at) * 1000,
                    state.attempt,
                )
                return result
            failure = classify_member(member, operation.name)

        _log_failure(state, failure, clock() - sent_at)
        delay = state.after_failure(failure, clock())
        _log_retry(state, failure, delay)
        await sleep(delay)
