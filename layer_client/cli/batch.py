"""The `batch` command: generate images for every row of a JSONL prompts file."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..batch import (
    DEFAULT_CONCURRENCY,
    JOURNAL_NAME,
    ROW_KEYS,
    BatchProgress,
    BatchReport,
    InvalidRowsError,
    RowState,
    format_table,
    group_problems,
    run_batch_sync,
)
from .arguments import Commands, positive_float, positive_int
from .context import Context
from .exit_codes import (
    API_ERROR,
    GENERATION_FAILED,
    INTERRUPTED,
    OK,
    TIMEOUT,
    error_message,
    exit_code_for,
)
from .output import PROGRAM
from .progress import rich_available

if TYPE_CHECKING:
    from rich.progress import Progress as RichProgress

EPILOG = f"""\
Each line of PROMPTS is a JSON object with a "prompt" and optionally
{", ".join(f'"{key}"' for key in ROW_KEYS[1:])}. Blank lines are skipped.
Every row is checked before anything is submitted.

The journal {JOURNAL_NAME} in --out records the state of every row. Run
the same command again to resume after a crash, Ctrl-C or a lost network:
submitted rows are polled again, never submitted twice. Rows whose
submission was sent but got no response are reported as unknown and left
alone unless --retry-unknown is given.

exit status: 0 when every valid row is done; 6 when rows failed; 7 when
only timed-out rows are left; 8 when rows are unknown or unfinished; 4, 3
or 8 when running out of credits, a rejected token or another error
stopped the run; 5 for invalid rows, an empty prompts file or a journal
of another batch; 130 for Ctrl-C."""

# Plain progress lines: at most one per PLAIN_MIN_INTERVAL seconds when rows
# end, and one every PLAIN_MAX_INTERVAL seconds while none does.
PLAIN_MIN_INTERVAL = 1.0
PLAIN_MAX_INTERVAL = 10.0


def register(commands: Commands) -> None:
    """Add the batch command to the subparsers action commands."""
    batch = commands.add_parser(
        "batch",
        help="generate images for every row of a JSONL prompts file",
        description=(
            "Generate images for every row of a JSON Lines prompts file, at "
            "most --concurrency at a time, saving the files into --out. The "
            "run can be resumed: run the same command again."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )

    batch.add_argument("prompts", type=Path, metavar="PROMPTS.jsonl")
    batch.add_argument(
        "--style",
        metavar="ID",
        help="id of a COMPLETE style, for rows without their own style_id",
    )
    batch.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR",
        help="directory for the files and the journal, created if missing",
    )

    batch.add_argument(
        "--concurrency",
        type=positive_int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=(
            "inferences in flight at most (default: "
            f"{DEFAULT_CONCURRENCY}, Layer's limit per workspace)"
        ),
    )
    batch.add_argument(
        "--skip-invalid",
        action="store_true",
        help="run the valid rows and report the invalid ones, instead of stopping",
    )
    batch.add_argument(
        "--retry-unknown",
        action="store_true",
        help=("submit rows in the unknown state again; each may then be charged twice"),
    )
    batch.add_argument(
        "--timeout",
        type=positive_float,
        metavar="S",
        help="seconds to wait for each inference after submission (default: 120)",
    )

    batch.set_defaults(run=run_batch_command)


def run_batch_command(args: argparse.Namespace, context: Context) -> int:
    display = _make_display()
    with context.client() as layer:
        try:
            report = run_batch_sync(
                layer,
                args.prompts,
                args.out,
                style_id=args.style,
                concurrency=args.concurrency,
                skip_invalid=args.skip_invalid,
                retry_unknown=args.retry_unknown,
                timeout=args.timeout,
                on_progress=display.update,
            )
        except InvalidRowsError as error:
            # A bad --style gives every row the same reason: list it once.
            for lines, reason in group_problems(error.problems):
                context.output.notice(f"{lines}: {reason}")
            context.error_details["invalid_rows"] = [
                {"line": problem.line, "reason": problem.reason}
                for problem in error.problems
            ]
            raise
        except KeyboardInterrupt:
            # The run has recorded every row in the journal before stopping.
            display.close()
            context.output.notice(
                f"batch interrupted. The journal {args.out / JOURNAL_NAME} "
                "records every row: run the same command again to resume."
            )
            return INTERRUPTED
        finally:
            display.close()

    context.output.result(report.to_dict(), format_table(report))
    if report.stopped_by is not None:
        context.output.error(error_message(report.stopped_by))
    return exit_status(report)


def exit_status(report: BatchReport) -> int:
    """Return the exit status for the rows of a finished run."""
    if report.stopped_by is not None:
        return exit_code_for(report.stopped_by)
    if report.ok:
        return OK
    if report.rows_in(RowState.FAILED.value):
        return GENERATION_FAILED
    unfinished = report.rows_in(
        RowState.UNKNOWN.value, RowState.PENDING.value, RowState.SUBMITTED.value
    )
    if unfinished and all(
        row.error_type == "GenerationTimeoutError" for row in unfinished
    ):
        return TIMEOUT
    return API_ERROR


class _PlainDisplay:
    """Prints progress lines for logs: when rows end, and now and then."""

    def __init__(self) -> None:
        self._last_finished = -1
        self._last_print = -PLAIN_MAX_INTERVAL

    def update(self, progress: BatchProgress) -> None:
        now = time.monotonic()
        since = now - self._last_print
        changed = progress.finished != self._last_finished
        if since < PLAIN_MIN_INTERVAL or (not changed and since < PLAIN_MAX_INTERVAL):
            return
        self._last_finished = progress.finished
        self._last_print = now
        print(f"{PROGRAM}: batch: {describe(progress)}", file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


class _RichDisplay:
    """A live bar of finished rows with the counts per state and time left."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress: RichProgress = Progress(
            TextColumn("batch"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=Console(stderr=True),
        )
        self._task = self._progress.add_task("starting", total=None)
        self._progress.start()
        self._running = True

    def update(self, progress: BatchProgress) -> None:
        self._progress.update(
            self._task,
            total=progress.total,
            completed=_finished(progress),
            description=describe(progress),
        )

    def close(self) -> None:
        if self._running:
            self._running = False
            self._progress.stop()


def describe(progress: BatchProgress) -> str:
    """Return the counts per state and the estimated time left, in one line.

    The estimate is left out while no row is submitting or submitted, so a
    run that has given up on its pending rows shows none.
    """
    counts = ", ".join(
        f"{progress.counts[state.value]} {state.value}"
        for state in RowState
        if progress.counts.get(state.value)
    )
    in_flight = sum(
        progress.counts.get(state.value, 0)
        for state in (RowState.SUBMITTING, RowState.SUBMITTED)
    )
    eta = progress.eta_seconds
    left = f", about {_duration(eta)} left" if eta is not None and in_flight else ""
    return f"{_finished(progress)}/{progress.total} finished ({counts}){left}"


def _finished(progress: BatchProgress) -> int:
    """Return the number of done and failed rows.

    Unlike BatchProgress.finished, this leaves out unknown rows, because
    whether their inference ran is not known.
    """
    return sum(
        progress.counts.get(state.value, 0)
        for state in (RowState.DONE, RowState.FAILED)
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def _make_display() -> _PlainDisplay | _RichDisplay:
    if sys.stderr.isatty() and rich_available():
        return _RichDisplay()
    return _PlainDisplay()
