"""run_batch and run_batch_sync: generate images for every row of a prompts file.

A run goes through these steps. It spends nothing before the last one, and
it creates or changes the journal only once every check has passed:

1. Read and check every row (`rows`).
2. Read the journal of the output directory, if there is one, and check
   that every row it submitted is still in the file with the same content
   (`journal`). Pending rows that changed are rewritten later.
3. Sort the rows by their journal state: done rows with intact files are
   skipped, submitted rows are re-attached to their inference, rows left
   `submitting` by a crash become `unknown`.
4. Check each style the rows to submit use, and report the invalid rows
   and the unusable styles together, unless `skip_invalid`.
5. Check the credit balance once.
6. Create or update the journal, then submit, poll and download
   (`inflight`), and build the report.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

from ..async_client import AsyncLayerClient
from ..client import LayerClient
from ..downloads import prepare_out_dir
from ..errors import LayerInputError, NotFoundError, StyleNotUsableError
from ..validation import check_timeout, optional_int
from .inflight import InFlight
from .journal import (
    JOURNAL_NAME,
    Journal,
    JournalEntry,
    JournalError,
    Mismatch,
    RowState,
    format_lines,
)
from .report import BatchProgress, BatchReport, RowResult
from .rows import BatchRow, RowProblem, count_noun, group_problems, read_rows

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
        groups = group_problems(problems)
        shown = "; ".join(f"{lines}: {reason}" for lines, reason in groups[:5])
        hidden = len(groups) - 5
        more = f"; and {count_noun(hidden, 'more reason')}" if hidden > 0 else ""
        # Reasons often end with a full stop of their own.
        listed = f"{shown}{more}".rstrip(".")
        them = "it" if len(problems) == 1 else "them"
        super().__init__(
            f"{count_noun(len(problems), 'invalid row')} in {path}, nothing was "
            f"submitted: {listed}. Fix {them}, or pass --skip-invalid "
            "(skip_invalid=True) to run the valid rows only.",
            field="rows",
        )
        self.problems = problems


@dataclass
class _Plan:
    """What a run does with each valid row, decided before anything changes."""

    to_attach: list[tuple[BatchRow, str]] = field(default_factory=list)
    """Rows already submitted, with their inference id, to poll again."""
    to_submit: list[BatchRow] = field(default_factory=list)
    cut_off: list[BatchRow] = field(default_factory=list)
    """Rows left `submitting` by a crash, to record as unknown."""
    states: dict[int, RowState] = field(default_factory=dict)

    def drop(self, lines: set[int]) -> None:
        """Leave out the rows on lines: they are reported as invalid."""
        self.to_submit = [row for row in self.to_submit if row.line not in lines]
        for line in lines:
            self.states.pop(line, None)


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


def _plan_rows(
    rows: list[BatchRow],
    entries: Mapping[int, JournalEntry],
    out_dir: Path,
    *,
    retry_unknown: bool,
) -> _Plan:
    """Sort the rows by their journal state; a row without an entry is pending."""
    plan = _Plan()
    for row in rows:
        entry = entries.get(row.line)
        state = entry.state if entry is not None else RowState.PENDING
        if state is RowState.SUBMITTING:
            plan.cut_off.append(row)
            state = RowState.UNKNOWN
        if (
            state is RowState.DONE
            and entry is not None
            and not _files_intact(entry, out_dir)
        ):
            logger.warning("files of %s are missing or changed", row.label)
            state = RowState.SUBMITTED
        if state is RowState.UNKNOWN and retry_unknown:
            logger.warning("submitting unknown %s again", row.label)
            state = RowState.PENDING
        if state is RowState.SUBMITTED and entry is not None and entry.inference_id:
            plan.to_attach.append((row, entry.inference_id))
        elif state is RowState.PENDING:
            plan.to_submit.append(row)
        plan.states[row.line] = state
    return plan


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


def _check_out_dir(out_dir: str | PathLike[str]) -> Path:
    """Check out_dir as `prepare_out_dir` does, without creating it."""
    given = isinstance(out_dir, str | PathLike) and os.fspath(out_dir) != ""
    if not given or Path(out_dir).exists():
        return prepare_out_dir(out_dir)
    return Path(out_dir).resolve()


def _open_existing_journal(out_dir: Path) -> Journal | None:
    """Open and lock the journal of out_dir, or return None when there is none."""
    if not (out_dir / JOURNAL_NAME).exists():
        return None
    return Journal(out_dir)


def _create_journal(out_dir: Path) -> Journal:
    """Create out_dir and its journal, checking no other run made one meanwhile."""
    journal = Journal(prepare_out_dir(out_dir))
    if journal.entries():
        journal.close()
        raise JournalError(
            f"Another batch run created the journal {journal.path} while this "
            "run was starting; run the command again once it has ended",
            path=journal.path,
        )
    return journal


def _log_rewrites(journal: Journal, mismatches: Sequence[Mismatch]) -> None:
    """Log the pending journal rows that sync_rows is about to rewrite."""
    if not mismatches:
        return
    first = mismatches[0]
    if len(mismatches) == len(journal.entries()):
        logger.warning(
            "replacing the journal %s: it was made for another prompts "
            "file, style or workspace (line %d %s), and none of its rows was "
            "submitted",
            journal.path,
            first.line,
            first.change,
        )
        return
    lines = [item.line for item in mismatches]
    logger.warning(
        "updating %d pending rows of the journal %s that changed since "
        "the last run (%s %s), because none of them was submitted",
        len(lines),
        journal.path,
        "line" if len(lines) == 1 else "lines",
        format_lines(lines),
    )


def _record_cut_off(journal: Journal, rows: list[BatchRow]) -> None:
    for row in rows:
        logger.warning("%s was cut off while submitting", row.label)
        journal.mark_state(
            row.line,
            RowState.UNKNOWN,
            error_type="SubmissionUnknownError",
            error_message=CUT_OFF_MESSAGE,
        )


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

    Raises before anything is spent or written to the journal:
    InvalidRowsError (unless `skip_invalid`) listing the invalid rows and
    the rows with an unusable style, JournalError, InsufficientCreditsError
    when the balance is zero, LayerInputError for an empty prompts file or
    a bad argument. Once submissions have started, errors are recorded per
    row and the report is returned; `report.stopped_by` holds an error that
    ended the run early. Cancelling the run (Ctrl-C) waits a few seconds
    for the response to a submission already sent, cancels polls and
    downloads, records every row, and raises CancelledError.
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
    if not rows and not problems:
        raise LayerInputError(
            f"Prompts file {source} has no rows, nothing was submitted: write "
            'one JSON object with a "prompt" per line.',
            field="rows_path",
        )
    target = _check_out_dir(out_dir)

    with contextlib.ExitStack() as stack:
        journal = _open_existing_journal(target)
        mismatches: list[Mismatch] = []
        entries: dict[int, JournalEntry] = {}
        if journal is not None:
            stack.enter_context(journal)
            mismatches = journal.check_matches(rows, problems)
            changed = {item.line for item in mismatches}
            entries = {
                line: entry
                for line, entry in journal.entries().items()
                if line not in changed
            }
        plan = _plan_rows(rows, entries, target, retry_unknown=retry_unknown)

        style_problems = await _check_styles(client, plan.to_submit)
        invalid = sorted([*problems, *style_problems], key=lambda item: item.line)
        if invalid and not skip_invalid:
            raise InvalidRowsError(invalid, source)
        for lines, reason in group_problems(invalid):
            logger.warning("skipping %s: %s", lines, reason)
        plan.drop({problem.line for problem in style_problems})
        if plan.to_submit:
            await client.check_credits(workspace_id)

        # Every check has passed: from here on the journal is written.
        if journal is None:
            journal = stack.enter_context(_create_journal(target))
        _log_rewrites(journal, mismatches)
        journal.sync_rows(rows)
        _record_cut_off(journal, plan.cut_off)

        logger.info(
            "%d rows, %d to submit, %d to re-attach, %d invalid",
            len(rows),
            len(plan.to_submit),
            len(plan.to_attach),
            len(invalid),
        )
        flight = InFlight(
            client,
            journal,
            target,
            concurrency=concurrency,
            timeout=budget,
            states=plan.states,
            on_progress=on_progress,
        )
        await flight.run(plan.to_attach, plan.to_submit)
        entries = journal.entries()

    results = [RowResult.from_entry(entries[row.line]) for row in rows]
    invalid_lines = {problem.line: problem for problem in invalid}
    results = [
        RowResult.from_problem(invalid_lines[result.line])
        if result.line in invalid_lines and result.state == RowState.PENDING.value
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
