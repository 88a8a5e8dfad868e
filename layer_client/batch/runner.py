"""run_batch and run_batch_sync: generate images for every row of a prompts file.

A run goes through these steps, and spends nothing before the last one:

1. Read and check every row (`rows`); stop on an invalid row unless
   `skip_invalid`.
2. Open the journal in the output directory and check that it belongs to
   this prompts file, style and workspace (`journal`).
3. Sort the rows by their journal state: done rows with intact files are
   skipped, submitted rows are re-attached to their inference, rows left
   `submitting` by a crash become `unknown`.
4. Check each style the remaining rows use, and the credit balance once.
5. Submit, poll and download (`inflight`), then build the report.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from os import PathLike
from pathlib import Path

from ..async_client import AsyncLayerClient
from ..client import LayerClient
from ..downloads import prepare_out_dir
from ..errors import LayerInputError, NotFoundError, StyleNotUsableError
from ..validation import check_timeout, optional_int
from .inflight import InFlight
from .journal import Journal, JournalEntry, RowState
from .report import BatchProgress, BatchReport, RowResult
from .rows import BatchRow, RowProblem, read_rows

__all__ = [
    "DEFAULT_CONCURRENCY",
    "InvalidRowsError",
    "run_batch",
    "run_batch_sync",
]

logger = logging.getLogger("layer_client.batch")

DEFAULT_CONCURRENCY = 5
"""Layer runs at most 5 inferences at a time per workspace."""

# Message of a row found `submitting` when a run starts.
CUT_OFF_MESSAGE = (
    "The previous run ended after sending this row's submission and before "
    "recording the response, so the inference may exist and may be charged."
)


class InvalidRowsError(LayerInputError):
    """Rows of the prompts file are invalid; `problems` lists each line."""

    def __init__(self, problems: list[RowProblem], path: Path) -> None:
        shown = "; ".join(f"line {item.line}: {item.reason}" for item in problems[:5])
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        super().__init__(
            f"{len(problems)} invalid rows in {path}, nothing was submitted: "
            f"{shown}{more}. Fix them, or pass --skip-invalid (skip_invalid=True) "
            "to run the valid rows only.",
            field="rows",
        )
        self.problems = problems


def _files_intact(entry: JournalEntry, out_dir: Path) -> bool:
    """True when every recorded file exists with its recorded size."""
    if not entry.files:
        return False
    for saved in entry.files:
        path = out_dir / saved.path
        try:
            if path.stat().st_size != saved.size:
                return False
        except OSError:
            return False
    return True


def _sort_rows(
    rows: list[BatchRow],
    journal: Journal,
    out_dir: Path,
    *,
    retry_unknown: bool,
) -> tuple[list[tuple[BatchRow, str]], list[BatchRow], dict[int, RowState]]:
    """Return the rows to re-attach, the rows to submit, and every row's state.

    Moves rows left `submitting` to `unknown` in the journal first.
    """
    entries = journal.entries()
    to_attach: list[tuple[BatchRow, str]] = []
    to_submit: list[BatchRow] = []
    states: dict[int, RowState] = {}
    for row in rows:
        entry = entries[row.line]
        state = entry.state
        if state is RowState.SUBMITTING:
            logger.warning("batch: %s was cut off while submitting", row.label)
            journal.mark_state(
                row.line,
                RowState.UNKNOWN,
                error_type="SubmissionUnknownError",
                error_message=CUT_OFF_MESSAGE,
            )
            state = RowState.UNKNOWN
        if state is RowState.DONE and not _files_intact(entry, out_dir):
            logger.warning("batch: files of %s are missing or changed", row.label)
            state = RowState.SUBMITTED
        if state is RowState.UNKNOWN and retry_unknown:
            logger.warning("batch: submitting unknown %s again", row.label)
            state = RowState.PENDING
        if state is RowState.SUBMITTED and entry.inference_id:
            to_attach.append((row, entry.inference_id))
        elif state is RowState.PENDING:
            to_submit.append(row)
        states[row.line] = state
    return to_attach, to_submit, states


async def _check_styles(
    client: AsyncLayerClient, rows: list[BatchRow]
) -> list[RowProblem]:
    """Return a problem for each row whose style cannot generate."""
    if not client.checks_styles:
        return []
    reasons: dict[str, str] = {}
    for style_id in sorted({row.style_id for row in rows}):
        try:
            await client.check_style(style_id)
        except (NotFoundError, StyleNotUsableError) as error:
            reasons[style_id] = error.message
    return [
        RowProblem(line=row.line, reason=reasons[row.style_id])
        for row in rows
        if row.style_id in reasons
    ]


async def run_batch(
    client: AsyncLayerClient,
    rows_path: str | PathLike[str],
    out_dir: str | PathLike[str],
    *,
    style_id: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    skip_invalid: bool = False,
    retry_unknown: bool = False,
    timeout: float | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
) -> BatchReport:
    """Generate the images of every row of a JSONL prompts file into out_dir.

    `style_id` applies to rows without their own. At most `concurrency`
    inferences are in flight. `timeout` bounds the wait for each inference
    in seconds (default: the client's polling timeout). A row that times
    out stays submitted, and a re-run waits for it again. Running again
    with the same arguments resumes from the journal in out_dir and never
    submits a row twice, except unknown rows with `retry_unknown`.

    Raises before anything is spent: InvalidRowsError (unless
    `skip_invalid`), JournalError, InsufficientCreditsError when the
    balance is zero, LayerInputError for a bad argument. Once submissions
    have started, errors are recorded per row and the report is returned;
    `report.stopped_by` holds an error that ended the run early.
    """
    loop = asyncio.get_running_loop()
    started = loop.time()
    concurrency = optional_int("concurrency", concurrency, minimum=1) or 1
    budget = check_timeout(timeout, client.settings.polling.timeout)
    workspace_id = client.settings.require_workspace_id()
    source = Path(rows_path)

    rows, problems = read_rows(
        source,
        default_style_id=style_id,
        workspace_id=workspace_id,
        documented_limits=client.documented_limits,
    )
    if problems and not skip_invalid:
        raise InvalidRowsError(problems, source)
    for problem in problems:
        logger.warning("batch: skipping line %d: %s", problem.line, problem.reason)

    target = prepare_out_dir(out_dir)
    with Journal(target) as journal:
        journal.check_matches(rows, problems)
        journal.add_pending(rows)
        to_attach, to_submit, states = _sort_rows(
            rows, journal, target, retry_unknown=retry_unknown
        )

        style_problems = await _check_styles(client, to_submit)
        if style_problems and not skip_invalid:
            raise InvalidRowsError(style_problems, source)
        unusable = {problem.line for problem in style_problems}
        to_submit = [row for row in to_submit if row.line not in unusable]
        for line in unusable:
            del states[line]
        if to_submit:
            await client.check_credits(workspace_id)

        logger.info(
            "batch: %d rows, %d to submit, %d to re-attach, %d invalid",
            len(rows),
            len(to_submit),
            len(to_attach),
            len(problems) + len(style_problems),
        )
        flight = InFlight(
            client,
            journal,
            target,
            concurrency=concurrency,
            timeout=budget,
            states=states,
            on_progress=on_progress,
        )
        await flight.run(to_attach, to_submit)
        entries = journal.entries()

    results = [RowResult.from_entry(entries[row.line]) for row in rows]
    invalid = {problem.line: problem for problem in problems + style_problems}
    results = [
        RowResult.from_problem(invalid[result.line])
        if result.line in invalid and result.state == RowState.PENDING.value
        else result
        for result in results
    ]
    results.extend(RowResult.from_problem(problem) for problem in problems)
    results.sort(key=lambda result: result.line)
    return BatchReport(
        rows=results,
        journal_path=journal.path,
        out_dir=target,
        elapsed=loop.time() - started,
        submitted_this_run=flight.submitted_this_run,
        stopped_by=flight.stopped_by,
    )


def run_batch_sync(
    client: LayerClient,
    rows_path: str | PathLike[str],
    out_dir: str | PathLike[str],
    *,
    style_id: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    skip_invalid: bool = False,
    retry_unknown: bool = False,
    timeout: float | None = None,
    on_progress: Callable[[BatchProgress], None] | None = None,
) -> BatchReport:
    """Run `run_batch` from synchronous code; same arguments and result.

    It calls `asyncio.run` on a fresh AsyncLayerClient built from the
    settings of `client` (key, URL, workspace, timeouts, polling, retries,
    style check and limits), so it cannot be called from a running event
    loop. `client` itself sends no request.
    """
    settings = client.settings

    async def main() -> BatchReport:
        async with AsyncLayerClient(
            settings.api_key,
            workspace_id=settings.workspace_id,
            api_url=settings.api_url,
            timeout=settings.timeout,
            polling=settings.polling,
            retry=settings.retry,
            check_style=client.checks_styles,
            documented_limits=client.documented_limits,
        ) as async_client:
            return await run_batch(
                async_client,
                rows_path,
                out_dir,
                style_id=style_id,
                concurrency=concurrency,
                skip_invalid=skip_invalid,
                retry_unknown=retry_unknown,
                timeout=timeout,
                on_progress=on_progress,
            )

    return asyncio.run(main())
