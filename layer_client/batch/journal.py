"""The batch journal: one SQLite table recording the state of every row.

The journal lives in the output directory (`JOURNAL_NAME`) and is what
makes a batch resumable. Each row moves through these states::

    pending ──> submitting ──> submitted ──> done
       ^            │              │
       └────────────┤              └──> failed
                    ├──> failed
                    └──> unknown

`submitting` is committed before the `generateImages` request is sent and
`submitted`, with the inference id, right after its response arrives. A row
found `submitting` when a run starts was cut off by a crash between the
two, so it may or may not have been charged: it counts as `unknown`.
A row goes back to `pending` only when the server cannot have created
anything (a rate limit, a connection that never opened).

Every commit is durable (WAL mode, `synchronous=FULL`) before the next
request goes out. A lock file next to the database keeps a second run
from using the same journal at the same time.
"""

from __future__ import annotations

import enum
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from ..errors import LayerInputError
from .rows import BatchRow, RowProblem

__all__ = [
    "JOURNAL_NAME",
    "Journal",
    "JournalEntry",
    "JournalError",
    "Mismatch",
    "RowState",
    "SavedFile",
    "find_mismatches",
    "format_lines",
]

JOURNAL_NAME = ".layer-batch.sqlite3"
LOCK_SUFFIX = ".lock"
SCHEMA_VERSION = 1


class RowState(enum.StrEnum):
    """The state of a row in the journal; the module docstring shows the moves."""

    PENDING = "pending"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    DONE = "done"
    FAILED = "failed"
    UNKNOWN = "unknown"


class JournalError(LayerInputError):
    """The journal cannot be used: another run uses it, or the rows differ."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(message, field="out_dir")
        self.path = path


@dataclass(frozen=True)
class SavedFile:
    """A downloaded file: its path relative to the output directory, its size."""

    path: str
    size: int


@dataclass(frozen=True)
class JournalEntry:
    """One row of the journal table."""

    line: int
    row_hash: str
    name: str | None
    state: RowState
    inference_id: str | None
    files: tuple[SavedFile, ...]
    error_type: str | None
    error_code: str | None
    error_message: str | None
    submit_attempts: int
    updated_at: str


@dataclass(frozen=True)
class Mismatch:
    """A journal row whose line of the prompts file has changed."""

    line: int
    change: str
    """What changed, as a phrase after "line N", e.g. "is invalid now"."""
    state: RowState
    """The state of the journal row."""


def find_mismatches(
    entries: Mapping[int, JournalEntry],
    rows: Sequence[BatchRow],
    problems: Sequence[RowProblem],
) -> list[Mismatch]:
    """Return the journal rows that no longer match the file, by line."""
    by_line = {row.line: row for row in rows}
    invalid = {problem.line for problem in problems}
    found: list[Mismatch] = []
    for entry in entries.values():
        row = by_line.get(entry.line)
        if row is not None and row.row_hash == entry.row_hash:
            continue
        if row is not None:
            change = "has other content (prompt, parameters, style or workspace)"
        elif entry.line in invalid:
            change = "is invalid now"
        else:
            change = "is missing or blank now"
        found.append(Mismatch(line=entry.line, change=change, state=entry.state))
    return sorted(found, key=lambda item: item.line)


def format_lines(lines: Iterable[int], *, limit: int = 10) -> str:
    """Return line numbers as "1-3, 7, 9-12", listing at most limit ranges."""
    ordered = sorted(set(lines))
    ranges: list[tuple[int, int]] = []
    for line in ordered:
        if ranges and ranges[-1][1] == line - 1:
            ranges[-1] = (ranges[-1][0], line)
        else:
            ranges.append((line, line))
    shown = [
        str(first) if first == last else f"{first}-{last}"
        for first, last in ranges[:limit]
    ]
    if len(ranges) > limit:
        hidden = sum(last - first + 1 for first, last in ranges[limit:])
        shown.append(f"and {hidden} more")
    return ", ".join(shown)


def _conflict_error(
    path: Path, conflicts: Sequence[Mismatch], submitted: Sequence[int]
) -> JournalError:
    first = conflicts[0]
    noun = "line" if len(submitted) == 1 else "lines"
    others = (
        f" (and {len(conflicts) - 1} more submitted rows changed)"
        if len(conflicts) > 1
        else ""
    )
    return JournalError(
        f"The journal {path} was made for a different prompts file, style or "
        f"workspace: line {first.line} {first.change}, but that row was already "
        f"submitted (state {first.state.value}){others}. Rows submitted from "
        f"this journal: {noun} {format_lines(submitted)} ({len(submitted)} in all). "
        "To resume them, run again with the original prompts file, --style and "
        "workspace. To start a new batch, use another --out directory, or "
        f"delete {path} only if you accept losing track of the submitted rows: "
        "their results would not be downloaded, and a new run would submit "
        "and charge them again.",
        path=path,
    )


_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS rows (
    line INTEGER PRIMARY KEY,
    row_hash TEXT NOT NULL,
    name TEXT,
    state TEXT NOT NULL,
    inference_id TEXT,
    files TEXT NOT NULL DEFAULT '[]',
    error_type TEXT,
    error_code TEXT,
    error_message TEXT,
    submit_attempts INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
)
"""

_COLUMNS = (
    "line, row_hash, name, state, inference_id, files, error_type, "
    "error_code, error_message, submit_attempts, updated_at"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _lock_file(handle: IO[str], path: Path) -> None:
    """Take an exclusive lock on handle, or raise JournalError when taken."""
    if sys.platform == "win32":
        # NOTE: this branch has not been run; the tests run on Linux only.
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            raise _locked_error(path) from None
        return
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise _locked_error(path) from None


def _locked_error(path: Path) -> JournalError:
    return JournalError(
        f"Another batch run is using the journal {path}; wait for it to end "
        "or use another output directory",
        path=path,
    )


class Journal:
    """The open journal of one output directory; use it as a context manager.

    Each `mark_*` method commits at once. The operating system releases
    the run lock when the process ends, even on SIGKILL.
    """

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / JOURNAL_NAME
        lock_path = out_dir / (JOURNAL_NAME + LOCK_SUFFIX)
        self._lock_handle = lock_path.open("a", encoding="utf-8")
        try:
            _lock_file(self._lock_handle, self.path)
            self._db = self._connect()
        except BaseException:
            self._lock_handle.close()
            raise

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                db.close()
                raise JournalError(
                    f"Journal {self.path} has format version {version}; this "
                    f"layer-client reads version {SCHEMA_VERSION}. Use a newer "
                    "layer-client or another output directory.",
                    path=self.path,
                )
            db.execute(_CREATE_TABLE)
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as error:
            raise JournalError(
                f"Journal {self.path} cannot be opened as SQLite: {error}. Move "
                "it away, or use another output directory.",
                path=self.path,
            ) from error
        return db

    def close(self) -> None:
        """Close the database and release the run lock."""
        self._db.close()
        self._lock_handle.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def entries(self) -> dict[int, JournalEntry]:
        """Return every journal row by line number."""
        cursor = self._db.execute(f"SELECT {_COLUMNS} FROM rows ORDER BY line")
        found: dict[int, JournalEntry] = {}
        for record in cursor.fetchall():
            files = tuple(
                SavedFile(path=str(item["path"]), size=int(item["size"]))
                for item in json.loads(record[5])
            )
            found[record[0]] = JournalEntry(
                line=record[0],
                row_hash=record[1],
                name=record[2],
                state=RowState(record[3]),
                inference_id=record[4],
                files=files,
                error_type=record[6],
                error_code=record[7],
                error_message=record[8],
                submit_attempts=record[9],
                updated_at=record[10],
            )
        return found

    def check_matches(
        self, rows: Sequence[BatchRow], problems: Sequence[RowProblem]
    ) -> list[Mismatch]:
        """Return the pending journal rows that no longer match the file.

        Lines added to the end of the file since the last run are fine: they
        start pending. A journal line that is missing, invalid now, or has
        other content (prompt, parameters, style, workspace) is a mismatch.
        Nothing was submitted for a pending row, so `sync_rows` may rewrite
        it. Raises JournalError when a row that left pending mismatches,
        because the journal then tracks inferences of another batch.
        """
        entries = self.entries()
        mismatches = find_mismatches(entries, rows, problems)
        conflicts = [item for item in mismatches if item.state is not RowState.PENDING]
        if conflicts:
            submitted = [
                entry.line
                for entry in entries.values()
                if entry.state is not RowState.PENDING
            ]
            raise _conflict_error(self.path, conflicts, submitted)
        return mismatches

    def sync_rows(self, rows: Sequence[BatchRow]) -> None:
        """Make the pending journal rows match rows, in one transaction.

        Inserts rows that have no journal row yet as pending, rewrites the
        content hash and name of pending rows whose content changed, and
        deletes pending rows whose line has no valid row now. Rows in any
        other state are left alone: call `check_matches` first.
        """
        now = _now()
        lines = {row.line for row in rows}
        with self._transaction():
            pending = self._db.execute(
                "SELECT line FROM rows WHERE state = ?", (RowState.PENDING.value,)
            ).fetchall()
            self._db.executemany(
                "DELETE FROM rows WHERE line = ? AND state = ?",
                [
                    (line, RowState.PENDING.value)
                    for (line,) in pending
                    if line not in lines
                ],
            )
            self._db.executemany(
                "INSERT INTO rows (line, row_hash, name, state, updated_at) "
                "VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (line) DO UPDATE SET row_hash = excluded.row_hash, "
                "name = excluded.name, error_type = NULL, error_code = NULL, "
                "error_message = NULL, submit_attempts = 0, "
                "updated_at = excluded.updated_at "
                "WHERE rows.state = ? AND rows.row_hash != excluded.row_hash",
                [
                    (
                        row.line,
                        row.row_hash,
                        row.name,
                        RowState.PENDING.value,
                        now,
                        RowState.PENDING.value,
                    )
                    for row in rows
                ],
            )

    def mark_submitting(self, line: int) -> None:
        """Record that the submission of line is about to be sent."""
        self._update(
            line,
            state=RowState.SUBMITTING,
            increment_attempts=True,
            clear_error=True,
        )

    def mark_submitted(self, line: int, inference_id: str) -> None:
        """Record the inference id the API returned for line."""
        self._update(
            line, state=RowState.SUBMITTED, inference_id=inference_id, clear_error=True
        )

    def mark_done(self, line: int, files: Sequence[SavedFile]) -> None:
        """Record the saved files of line."""
        self._update(line, state=RowState.DONE, files=files, clear_error=True)

    def mark_state(
        self,
        line: int,
        state: RowState,
        *,
        error_type: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
    ) -> None:
        """Move line to state, recording the error that moved it there."""
        self._update(
            line,
            state=state,
            error=(error_type, error_code, error_message),
        )

    def _update(
        self,
        line: int,
        *,
        state: RowState,
        inference_id: str | None = None,
        files: Sequence[SavedFile] | None = None,
        error: tuple[str | None, str | None, str | None] | None = None,
        clear_error: bool = False,
        increment_attempts: bool = False,
    ) -> None:
        assignments = ["state = ?", "updated_at = ?"]
        values: list[object] = [state.value, _now()]
        if inference_id is not None:
            assignments.append("inference_id = ?")
            values.append(inference_id)
        if files is not None:
            assignments.append("files = ?")
            values.append(
                json.dumps([{"path": item.path, "size": item.size} for item in files])
            )
        if error is not None:
            assignments.append("error_type = ?, error_code = ?, error_message = ?")
            values.extend(error)
        elif clear_error:
            assignments.append(
                "error_type = NULL, error_code = NULL, error_message = NULL"
            )
        if increment_attempts:
            assignments.append("submit_attempts = submit_attempts + 1")
        values.append(line)
        with self._transaction():
            cursor = self._db.execute(
                f"UPDATE rows SET {', '.join(assignments)} WHERE line = ?", values
            )
            if cursor.rowcount != 1:
                raise RuntimeError(f"journal has no row for line {line}")

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back when the block raises."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self._db.execute("COMMIT")
        else:
            self._db.execute("ROLLBACK")


def relative_to_out_dir(path: Path, out_dir: Path) -> str:
    """Return path relative to out_dir when it is inside it, else absolute."""
    try:
        return os.fspath(path.resolve().relative_to(out_dir.resolve()))
    except ValueError:
        return os.fspath(path.resolve())
