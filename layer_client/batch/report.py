"""The result of a batch run: the outcome of every row, counts and progress."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import LayerError
from .journal import JournalEntry, RowState, SavedFile
from .rows import RowProblem, count_noun

__all__ = [
    "INVALID",
    "BatchProgress",
    "BatchReport",
    "RowResult",
    "format_table",
]

INVALID = "invalid"
"""State of a row that failed validation and was skipped (--skip-invalid)."""

# Report order of the states, most final first.
STATE_ORDER = (
    RowState.DONE.value,
    RowState.FAILED.value,
    RowState.UNKNOWN.value,
    RowState.SUBMITTED.value,
    RowState.SUBMITTING.value,
    RowState.PENDING.value,
    INVALID,
)


@dataclass(frozen=True)
class RowResult:
    """The state of one row when the run ended."""

    line: int
    state: str
    """A `RowState` value, or `"invalid"`."""
    name: str | None = None
    inference_id: str | None = None
    files: tuple[SavedFile, ...] = ()
    error_type: str | None = None
    error_code: str | None = None
    message: str | None = None
    """The reason the row failed, is unknown, or is not finished yet."""

    @classmethod
    def from_entry(cls, entry: JournalEntry) -> RowResult:
        """Build the result of a row from its journal entry."""
        return cls(
            line=entry.line,
            state=entry.state.value,
            name=entry.name,
            inference_id=entry.inference_id,
            files=entry.files,
            error_type=entry.error_type,
            error_code=entry.error_code,
            message=entry.error_message,
        )

    @classmethod
    def from_problem(cls, problem: RowProblem) -> RowResult:
        """Build the result of an invalid, skipped row."""
        return cls(line=problem.line, state=INVALID, message=problem.reason)

    def to_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {
            "line": self.line,
            "name": self.name,
            "state": self.state,
            "inference_id": self.inference_id,
            "files": [{"path": item.path, "size": item.size} for item in self.files],
            "error_type": self.error_type,
            "error_code": self.error_code,
            "message": self.message,
        }


@dataclass(frozen=True)
class BatchProgress:
    """A snapshot of a running batch, passed to the progress callback."""

    total: int
    """Valid rows in the prompts file."""
    counts: dict[str, int]
    """Rows per `RowState` value."""
    finished_this_run: int
    """Rows that reached done or failed since this run started."""
    elapsed: float
    """Seconds since this run started."""

    @property
    def finished(self) -> int:
        """Rows that need nothing more: done, failed or unknown."""
        return sum(
            self.counts.get(state.value, 0)
            for state in (RowState.DONE, RowState.FAILED, RowState.UNKNOWN)
        )

    @property
    def eta_seconds(self) -> float | None:
        """Estimated seconds left, from this run's pace; None before any row ends."""
        if self.finished_this_run == 0:
            return None
        remaining = self.total - self.finished
        return max(0.0, remaining * self.elapsed / self.finished_this_run)


@dataclass
class BatchReport:
    """The outcome of a batch run: one result per line, in file order."""

    rows: list[RowResult]
    journal_path: Path | None
    out_dir: Path
    elapsed: float = 0.0
    submitted_this_run: int = 0
    """generateImages calls that created an inference during this run."""
    stopped_by: LayerError | None = None
    """The error that stopped the run early (credits ran out, the token was
    rejected), or None when it ran to the end."""
    counts: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.counts = dict(Counter(row.state for row in self.rows))

    @property
    def ok(self) -> bool:
        """True when every valid row is done and nothing stopped the run.

        Invalid rows skipped with skip_invalid do not count against it.
        """
        return self.stopped_by is None and all(
            row.state in (RowState.DONE.value, INVALID) for row in self.rows
        )

    def rows_in(self, *states: str) -> list[RowResult]:
        """Return the rows in any of states, in file order."""
        return [row for row in self.rows if row.state in states]

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        stopped = None
        if self.stopped_by is not None:
            stopped = {
                "error_type": type(self.stopped_by).__name__,
                "message": str(self.stopped_by),
            }
        return {
            "ok": self.ok,
            "out_dir": str(self.out_dir),
            "journal": str(self.journal_path) if self.journal_path else None,
            "elapsed_seconds": round(self.elapsed, 3),
            "submitted_this_run": self.submitted_this_run,
            "counts": {state: self.counts.get(state, 0) for state in STATE_ORDER},
            "stopped_by": stopped,
            "rows": [row.to_dict() for row in self.rows],
        }


def _describe(row: RowResult) -> str:
    if row.state == RowState.DONE.value:
        return ", ".join(item.path for item in row.files)
    parts = [part for part in (row.error_type, row.error_code) if part]
    detail = f"{': '.join(parts)}: " if parts else ""
    return f"{detail}{row.message or ''}".strip()


def format_table(report: BatchReport, *, show_done: bool = False) -> str:
    """Return the report as a plain-text table and a summary line.

    Done rows are listed only with show_done, since a batch can have
    hundreds of them; every other row is listed with its reason.
    """
    listed = [
        row for row in report.rows if show_done or row.state != RowState.DONE.value
    ]
    lines: list[str] = []
    if listed:
        lines.append(f"{'LINE':>6}  {'STATE':<10}  {'INFERENCE':<20}  DETAIL")
        for row in listed:
            label = f"{row.name}: " if row.name else ""
            lines.append(
                f"{row.line:>6}  {row.state:<10}  {row.inference_id or '-':<20}  "
                f"{label}{_describe(row)}"
            )
        lines.append("")
    counts = ", ".join(
        f"{report.counts[state]} {state}"
        for state in STATE_ORDER
        if report.counts.get(state)
    )
    lines.append(
        f"{count_noun(len(report.rows), 'row')}: {counts or 'none'} "
        f"({report.submitted_this_run} submitted in this run, "
        f"{report.elapsed:.1f} s)"
    )
    if report.stopped_by is not None:
        lines.append(f"Stopped early: {report.stopped_by}")
    if not report.ok and report.stopped_by is None:
        unfinished = report.rows_in(RowState.PENDING.value, RowState.SUBMITTED.value)
        if len(unfinished) == 1:
            lines.append(
                "1 row is not finished: run the same command again to resume it."
            )
        elif unfinished:
            lines.append(
                f"{len(unfinished)} rows are not finished: run the same command "
                "again to resume them."
            )
        unknown = report.rows_in(RowState.UNKNOWN.value)
        if len(unknown) == 1:
            lines.append(
                "1 row is unknown: its submission was sent but the response was "
                "lost, so it may have been charged. Check the balance with "
                "`layer-client usage`, and re-run with --retry-unknown to submit "
                "it again if you accept a possible double charge."
            )
        elif unknown:
            lines.append(
                f"{len(unknown)} rows are unknown: their submission was sent but "
                "the response was lost, so each may have been charged. Check the "
                "balance with `layer-client usage`, and re-run with "
                "--retry-unknown to submit them again if you accept a possible "
                "double charge."
            )
    return "\n".join(lines)
