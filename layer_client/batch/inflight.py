"""The running part of a batch: submissions, one shared poll loop, downloads.

`InFlight` keeps at most `concurrency` inferences between submission and
their terminal state. One task submits rows in file order. A second task
polls every watched inference together, with one getInferencesById
request per 50 ids per round. Each finished inference gets a task that
downloads its files. Every state change goes to the journal before the
next request is sent.

Cancelling `InFlight.run` (Ctrl-C) cancels the polls and downloads at once.
A submission already sent gets up to `INTERRUPT_RESPONSE_WAIT` seconds for
its response, so that its row ends submitted instead of unknown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..async_client import TRANSIENT_POLL_ERRORS, AsyncLayerClient
from ..errors import GenerationError, LayerError
from ..polling import PollSchedule, is_terminal, raise_for_status, timeout_error
from ..results import Inference
from ..validation import MAX_IDS_PER_REQUEST
from .journal import Journal, RowState, SavedFile, relative_to_out_dir
from .outcomes import (
    MAX_RATE_LIMITED_ATTEMPTS,
    MAX_TRANSIENT_ATTEMPTS,
    SubmitOutcome,
    classify_submit_error,
    retry_delay,
    timeout_message,
    unknown_message,
)
from .report import BatchProgress
from .rows import BatchRow

__all__ = ["InFlight"]

logger = logging.getLogger("layer_client.batch")

ProgressCallback = Callable[[BatchProgress], None]

FINAL_STATES = (RowState.DONE, RowState.FAILED, RowState.UNKNOWN)

INTERRUPT_RESPONSE_WAIT = 5.0
"""Seconds a cancelled run waits for the response to a submission already sent.

A response normally takes well under a second. A row whose response does
not come in time is recorded as unknown.
"""


@dataclass
class _Watch:
    """An inference being polled for one row."""

    row: BatchRow
    inference_id: str
    deadline: float
    """Loop time after which the row stops being polled in this run."""
    schedule: PollSchedule
    next_poll: float


class InFlight:
    """Submit rows, poll their inferences together and save their files."""

    def __init__(
        self,
        client: AsyncLayerClient,
        journal: Journal,
        out_dir: Path,
        *,
        concurrency: int,
        timeout: float,
        states: dict[int, RowState],
        on_progress: ProgressCallback | None,
    ) -> None:
        self._client = client
        self._journal = journal
        self._out_dir = out_dir
        self._concurrency = concurrency
        self._timeout = timeout
        self._states = states
        self._on_progress = on_progress
        self._rng = random.Random()
        self._watches: dict[int, _Watch] = {}
        self._submitting = 0
        self._slot_freed = asyncio.Event()
        self._wake = asyncio.Event()
        self._submitter_done = False
        self._downloads = asyncio.Semaphore(concurrency)
        self._started = asyncio.get_running_loop().time()
        self._interrupted = False
        self.stopped_by: LayerError | None = None
        self.submitted_this_run = 0
        self.finished_this_run = 0

    async def run(
        self, to_attach: list[tuple[BatchRow, str]], to_submit: list[BatchRow]
    ) -> None:
        """Watch the rows already submitted, submit the others, wait for all."""
        for row, inference_id in to_attach:
            logger.info("re-attached %s to inference %s", row.label, inference_id)
            self._watch(row, inference_id)
        self._report_progress()
        # Both loops are tasks of the group, so that a cancellation of this
        # coroutine reaches the submitter, the poll loop and every download
        # at the same moment.
        async with asyncio.TaskGroup() as group:
            self._group = group
            group.create_task(self._poll_loop())
            group.create_task(self._submit_all(to_submit))

    # Submissions

    async def _submit_all(self, rows: list[BatchRow]) -> None:
        try:
            for row in rows:
                await self._wait_for_slot()
                if self.stopped_by is not None:
                    break
                await self._submit_row(row)
        finally:
            self._submitter_done = True
            self._wake.set()

    async def _wait_for_slot(self) -> None:
        while (
            self.stopped_by is None
            and len(self._watches) + self._submitting >= self._concurrency
        ):
            self._slot_freed.clear()
            await self._slot_freed.wait()

    async def _submit_row(self, row: BatchRow) -> None:
        """Submit one row until it is submitted, failed, unknown or given up."""
        attempts = {SubmitOutcome.RATE_LIMITED: 0, SubmitOutcome.TRANSIENT: 0}
        limits = {
            SubmitOutcome.RATE_LIMITED: MAX_RATE_LIMITED_ATTEMPTS,
            SubmitOutcome.TRANSIENT: MAX_TRANSIENT_ATTEMPTS,
        }
        self._submitting += 1
        try:
            while self.stopped_by is None:
                self._journal.mark_submitting(row.line)
                self._set_state(row.line, RowState.SUBMITTING)
                try:
                    inference = await self._send(row)
                except LayerError as error:
                    outcome = classify_submit_error(error)
                    if outcome not in attempts:
                        self._end_submission(row, outcome, error)
                        return
                    attempts[outcome] += 1
                    self._record(row.line, RowState.PENDING, error)
                    if attempts[outcome] >= limits[outcome]:
                        logger.warning(
                            "%s left pending after %d %s attempts: %s",
                            row.label,
                            attempts[outcome],
                            outcome.value,
                            error,
                        )
                        return
                    delay = retry_delay(
                        attempts[outcome], error, self._client.settings.retry, self._rng
                    )
                    logger.info(
                        "%s %s, submitting again in %.2f s: %s",
                        row.label,
                        outcome.value,
                        delay,
                        error,
                    )
                    await asyncio.sleep(delay)
                    continue
                self._journal.mark_submitted(row.line, inference.id)
                self.submitted_this_run += 1
                self._set_state(row.line, RowState.SUBMITTED)
                self._watch(row, inference.id, inference)
                return
        finally:
            self._submitting -= 1
            self._slot_freed.set()

    async def _send(self, row: BatchRow) -> Inference:
        """Send one generateImages request and wait for its response.

        A cancellation while the request is out records its response first
        (see `_record_late_response`), then raises CancelledError.
        """
        request = asyncio.ensure_future(
            self._client.generate_images(**row.generate_arguments())
        )
        try:
            return await asyncio.shield(request)
        except asyncio.CancelledError:
            self._interrupted = True
            await self._record_late_response(row, request)
            raise

    async def _record_late_response(
        self, row: BatchRow, request: asyncio.Future[Inference]
    ) -> None:
        """Wait up to INTERRUPT_RESPONSE_WAIT s for request and record its outcome.

        The row ends submitted, failed or pending as the response says, or
        unknown when no response came in time. Cancelling again cancels the
        request at once and records the row as unknown.
        """
        logger.warning(
            "interrupted while submitting %s; waiting up to %g s for its response",
            row.label,
            INTERRUPT_RESPONSE_WAIT,
        )
        try:
            async with asyncio.timeout(INTERRUPT_RESPONSE_WAIT) as scope:
                inference = await request
        except TimeoutError:
            if not scope.expired():
                raise
            self._record_interrupted(
                row, f"no response came within {INTERRUPT_RESPONSE_WAIT:g} s"
            )
            return
        except asyncio.CancelledError:
            self._record_interrupted(row, "the run was interrupted twice")
            raise
        except LayerError as error:
            outcome = classify_submit_error(error)
            if outcome is SubmitOutcome.UNKNOWN:
                self._record(row.line, RowState.UNKNOWN, error)
            elif outcome is SubmitOutcome.FAILED:
                self._record(row.line, RowState.FAILED, error)
            else:
                self._record(row.line, RowState.PENDING, error)
            return
        self._journal.mark_submitted(row.line, inference.id)
        self.submitted_this_run += 1
        self._set_state(row.line, RowState.SUBMITTED)

    def _record_interrupted(self, row: BatchRow, reason: str) -> None:
        """Record a row whose submission was sent but whose response never came."""
        logger.warning("%s is unknown: %s", row.label, reason)
        self._journal.mark_state(
            row.line,
            RowState.UNKNOWN,
            error_type="SubmissionUnknownError",
            error_message=(
                f"The run was interrupted after this row's submission was sent, "
                f"and {reason}, so the inference may exist and may be charged."
            ),
        )
        self._set_state(row.line, RowState.UNKNOWN)

    def _end_submission(
        self, row: BatchRow, outcome: SubmitOutcome, error: LayerError
    ) -> None:
        if outcome is SubmitOutcome.UNKNOWN:
            message = unknown_message(error)
            logger.warning("%s is unknown: %s", row.label, message)
            self._record(row.line, RowState.UNKNOWN, error, message)
        elif outcome is SubmitOutcome.STOP:
            logger.error("stopping submissions at %s: %s", row.label, error)
            self._record(row.line, RowState.PENDING, error)
            self._stop(error)
        else:
            logger.warning("%s failed: %s", row.label, error)
            self._record(row.line, RowState.FAILED, error)

    def _stop(self, error: LayerError) -> None:
        if self.stopped_by is None:
            self.stopped_by = error
        self._slot_freed.set()
        self._wake.set()

    # Polling

    def _watch(
        self, row: BatchRow, inference_id: str, inference: Inference | None = None
    ) -> None:
        now = asyncio.get_running_loop().time()
        polling = self._client.settings.polling
        watch = _Watch(
            row=row,
            inference_id=inference_id,
            deadline=now + self._timeout,
            schedule=PollSchedule(polling, self._rng),
            next_poll=now,
        )
        self._watches[row.line] = watch
        if inference is not None and is_terminal(inference):
            # The mutation returned a finished inference: no poll needed.
            self._finish(watch, inference)
            return
        watch.next_poll = now + self._next_delay(watch, inference, now)
        self._wake.set()

    def _next_delay(
        self, watch: _Watch, inference: Inference | None, now: float
    ) -> float:
        return watch.schedule.next_delay(
            eta_at=inference.eta_at if inference is not None else None,
            now=datetime.now(UTC),
            remaining=max(0.0, watch.deadline - now),
        )

    async def _poll_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if not self._watches:
                if self._submitter_done or self.stopped_by is not None:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            due = min(watch.next_poll for watch in self._watches.values())
            wait = due - loop.time()
            if wait > 0:
                self._wake.clear()
                # asyncio.timeout, unlike wait_for on Python 3.11, never
                # swallows a cancellation that arrives as the wait ends.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
                continue
            await self._poll_round()

    async def _poll_round(self) -> None:
        """Poll every watched inference, one request per 50 ids, all at once."""
        watches = {watch.inference_id: watch for watch in self._watches.values()}
        ids = list(watches)
        chunks = [
            ids[start : start + MAX_IDS_PER_REQUEST]
            for start in range(0, len(ids), MAX_IDS_PER_REQUEST)
        ]
        answers = await asyncio.gather(
            *(self._client.get_inferences(chunk) for chunk in chunks),
            return_exceptions=True,
        )
        found: dict[str, Inference] = {}
        for answer in answers:
            if isinstance(answer, TRANSIENT_POLL_ERRORS):
                logger.warning("poll failed, polling goes on: %s", answer)
            elif isinstance(answer, LayerError):
                # The token was rejected or the schema changed: no poll can
                # succeed. The rows stay submitted, so a re-run resumes them.
                logger.error("polling stopped: %s", answer)
                self._stop(answer)
                self._watches.clear()
                return
            elif isinstance(answer, BaseException):
                raise answer
            else:
                found.update(answer)

        now = asyncio.get_running_loop().time()
        for inference_id, watch in watches.items():
            inference = found.get(inference_id)
            if inference is not None and is_terminal(inference):
                self._finish(watch, inference)
            elif now >= watch.deadline:
                self._time_out(watch, inference)
            else:
                watch.next_poll = now + self._next_delay(watch, inference, now)

    def _finish(self, watch: _Watch, inference: Inference) -> None:
        """Free the slot of a finished inference; download or record failure.

        After a cancellation no download starts: the row stays submitted,
        and a re-run downloads its files.
        """
        self._release(watch)
        try:
            raise_for_status(inference)
        except GenerationError as error:
            logger.warning("%s failed: %s", watch.row.label, error)
            self._record(watch.row.line, RowState.FAILED, error)
            return
        if self._interrupted:
            return
        self._group.create_task(self._download(watch.row, inference))

    def _time_out(self, watch: _Watch, inference: Inference | None) -> None:
        self._release(watch)
        status = inference.status.value if inference is not None else None
        error = timeout_error(watch.inference_id, status, self._timeout)
        message = timeout_message(watch.inference_id, status, self._timeout)
        logger.warning("%s timed out: %s", watch.row.label, message)
        # It stays submitted: a re-run polls the same inference again.
        self._record(watch.row.line, RowState.SUBMITTED, error, message)

    def _release(self, watch: _Watch) -> None:
        self._watches.pop(watch.row.line, None)
        self._slot_freed.set()

    # Downloads

    async def _download(self, row: BatchRow, inference: Inference) -> None:
        async with self._downloads:
            try:
                paths = await self._client.download(inference, self._out_dir)
            except LayerError as error:
                logger.warning("download for %s failed: %s", row.label, error)
                # The inference is COMPLETE and paid for: a re-run downloads
                # its files again instead of resubmitting.
                self._record(row.line, RowState.SUBMITTED, error)
                return
        files = [
            SavedFile(
                path=relative_to_out_dir(path, self._out_dir), size=path.stat().st_size
            )
            for path in paths
        ]
        self._journal.mark_done(row.line, files)
        self._set_state(row.line, RowState.DONE)

    # Journal and progress

    def _record(
        self,
        line: int,
        state: RowState,
        error: LayerError,
        message: str | None = None,
    ) -> None:
        """Move line to state because of error, with message in place of its own."""
        if message is None:
            is_unknown = state is RowState.UNKNOWN
            message = unknown_message(error) if is_unknown else error.message
        self._journal.mark_state(
            line,
            state,
            error_type=type(error).__name__,
            error_code=error.code,
            error_message=message,
        )
        self._set_state(line, state)

    def _set_state(self, line: int, state: RowState) -> None:
        self._states[line] = state
        if state in FINAL_STATES:
            self.finished_this_run += 1
        self._report_progress()

    def _report_progress(self) -> None:
        if self._on_progress is None:
            return
        counts: dict[str, int] = {}
        for state in self._states.values():
            counts[state.value] = counts.get(state.value, 0) + 1
        self._on_progress(
            BatchProgress(
                total=len(self._states),
                counts=counts,
                finished_this_run=self.finished_this_run,
                elapsed=asyncio.get_running_loop().time() - self._started,
            )
        )
