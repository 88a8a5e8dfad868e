"""The polling schedule and the terminal states of an inference.

Pure logic shared by `wait` and `wait_many` in both clients.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime

from layer_graphql import InferenceFields, InferenceStatus

from .config import PollingConfig
from .errors import (
    GenerationCancelledError,
    GenerationFailedError,
    GenerationTimeoutError,
    NotFoundError,
)
from .validation import MAX_IDS_PER_REQUEST

logger = logging.getLogger("layer_client")

TERMINAL_STATUSES = frozenset(
    {
        InferenceStatus.COMPLETE,
        InferenceStatus.FAILED,
        InferenceStatus.CANCELLED,
        InferenceStatus.DELETED,
    }
)


def is_terminal(inference: InferenceFields) -> bool:
    """True once the inference will not change any more.

    An unknown status counts as not terminal: the wait goes on until its
    deadline, which always fires.
    """
    return inference.status in TERMINAL_STATUSES


def raise_for_status(inference: InferenceFields) -> None:
    """Raise the GenerationError of a FAILED, CANCELLED or DELETED inference."""
    status = inference.status
    if status is InferenceStatus.FAILED:
        code = inference.error_code.value if inference.error_code else None
        raise GenerationFailedError(
            f"Inference {inference.id} failed"
            + (f" with {code}" if code else " without an error code"),
            inference_id=inference.id,
            error_code=code,
        )
    if status in (InferenceStatus.CANCELLED, InferenceStatus.DELETED):
        raise GenerationCancelledError(
            f"Inference {inference.id} ended {status.value}",
            inference_id=inference.id,
            status=status.value,
        )


def timeout_error(
    inference_id: str,
    last_status: str | None,
    waited: float,
    pending_ids: list[str] | None = None,
) -> GenerationTimeoutError:
    status_text = last_status or "never seen"
    others = len(pending_ids or []) - 1
    also = f" {others} other inferences are still pending too." if others > 0 else ""
    error = GenerationTimeoutError(
        f"Inference {inference_id} did not finish within {waited:g} s "
        f"(last status: {status_text}). It may still complete: call "
        f"wait({inference_id!r}) to keep waiting.{also}",
        inference_id=inference_id,
        last_status=last_status,
    )
    error.pending_ids = list(pending_ids or [inference_id])
    return error


class PollSchedule:
    """Delays between polls: exponential with jitter, steered by `etaAt`."""

    def __init__(self, config: PollingConfig, rng: random.Random) -> None:
        self._config = config
        self._rng = rng
        self._base = config.initial_delay

    def next_delay(
        self, *, eta_at: datetime | None, now: datetime, remaining: float
    ) -> float:
        """Return how long to sleep before the next poll, in seconds.

        A future `etaAt` replaces the blind schedule: sleep until it. A past
        one shortens the delay to how long the inference is overdue. Jitter
        never takes a delay beyond max_delay, and every delay stops at the
        deadline.
        """
        config = self._config
        base = self._base
        self._base = min(config.max_delay, base * config.multiplier)

        delay = base
        if eta_at is not None and eta_at.tzinfo is not None and now.tzinfo is not None:
            until_eta = (eta_at - now).total_seconds()
            if until_eta > 0:
                delay = min(config.max_delay, max(config.min_delay, until_eta))
            else:
                # Overdue: an inference often ends just after its estimate,
                # so wait as long as it has been overdue, from min_delay up
                # to the blind schedule's delay.
                delay = min(base, max(config.min_delay, -until_eta))

        spread = delay * config.jitter
        delay = delay + self._rng.uniform(-spread, spread)
        return max(0.0, min(delay, config.max_delay, remaining))


class Poller:
    """The state of one wait over many inferences, without any I/O.

    The clients drive it: sleep `next_delay()`, send one request per
    `chunks()` entry, and pass each response to `finished()`.
    """

    def __init__(
        self,
        ids: list[str],
        known: dict[str, InferenceFields],
        *,
        budget: float,
        config: PollingConfig,
        clock: Callable[[], float],
        wall_clock: Callable[[], datetime],
        rng: random.Random,
    ) -> None:
        self._ids = ids
        self._latest = dict(known)
        self._pending = dict.fromkeys(ids)
        self._budget = budget
        self._clock = clock
        self._wall_clock = wall_clock
        self._schedule = PollSchedule(config, rng)
        self.deadline = clock() + budget
        self._last_error: Exception | None = None
        self._missing_polls = config.missing_polls
        # Responses in a row that left out an id never seen so far.
        self._absent: dict[str, int] = {}
        self._first_round = True

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def already_finished(self) -> list[InferenceFields]:
        """Return the given inferences that are terminal already: no poll needed."""
        done = []
        for inference_id in self._ids:
            inference = self._latest.get(inference_id)
            if inference is not None and is_terminal(inference):
                del self._pending[inference_id]
                done.append(inference)
        return done

    def next_delay(self) -> float:
        """Return the sleep before the next round; 0 once the deadline passed."""
        remaining = self.deadline - self._clock()
        if remaining <= 0:
            return 0.0
        if self._first_round:
            self._first_round = False
            # Nothing is known yet about ids given as strings (a resumed
            # wait, say), so the first round looks at once.
            if any(i not in self._latest for i in self._pending):
                return 0.0
        known = [self._latest[i] for i in self._pending if i in self._latest]
        return self._schedule.next_delay(
            eta_at=earliest_eta(known), now=self._wall_clock(), remaining=remaining
        )

    def check_deadline(self) -> None:
        """Raise GenerationTimeoutError once the deadline has passed."""
        if self.deadline - self._clock() > 0:
            return
        pending = list(self._pending)
        first = pending[0]
        last = self._latest.get(first)
        error = timeout_error(
            first, last.status.value if last else None, self._budget, pending
        )
        raise error from self._last_error

    def chunks(self) -> list[list[str]]:
        """Return the pending ids, split into one list per request."""
        pending = list(self._pending)
        return [
            pending[start : start + MAX_IDS_PER_REQUEST]
            for start in range(0, len(pending), MAX_IDS_PER_REQUEST)
        ]

    def record_error(self, error: Exception) -> None:
        """Note a failed poll; polling goes on until the deadline."""
        logger.warning("poll failed, polling goes on: %s", error)
        self._last_error = error

    def finished(
        self, chunk: list[str], found: dict[str, InferenceFields]
    ) -> list[InferenceFields]:
        """Record one response and return the inferences of chunk that ended.

        Raises NotFoundError for an id that the API has never returned and
        left out of `missing_polls` responses in a row.
        """
        done = []
        for inference_id in chunk:
            inference = found.get(inference_id)
            if inference is None:
                self._note_absent(inference_id)
                continue
            self._latest[inference_id] = inference
            if is_terminal(inference) and inference_id in self._pending:
                del self._pending[inference_id]
                log_terminal(inference)
                done.append(inference)
        return done

    def _note_absent(self, inference_id: str) -> None:
        if inference_id in self._latest:
            logger.debug("inference %s missing from this response", inference_id)
            return
        count = self._absent.get(inference_id, 0) + 1
        self._absent[inference_id] = count
        if self._missing_polls is not None and count >= self._missing_polls:
            raise NotFoundError(
                f"Inference {inference_id!r} was not found: the API left it out "
                f"of {count} responses in a row. Check the id.",
                operation="GetInferencesById",
                inference_id=inference_id,
            )


def earliest_eta(inferences: list[InferenceFields]) -> datetime | None:
    """Return the soonest `etaAt` among inferences, ignoring naive datetimes."""
    etas = [i.eta_at for i in inferences if i.eta_at is not None and i.eta_at.tzinfo]
    return min(etas) if etas else None


def log_terminal(inference: InferenceFields) -> None:
    # wait_many may end thousands of inferences per round: skip building
    # the arguments when INFO is off.
    if not logger.isEnabledFor(logging.INFO):
        return
    logger.info(
        "inference %s ended %s%s",
        inference.id,
        inference.status.value,
        f" ({inference.error_code.value})" if inference.error_code else "",
    )
