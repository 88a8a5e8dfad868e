"""The SQLite journal: states, the run lock and the check against the file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from layer_client.batch import JOURNAL_NAME, BatchRow, JournalError, RowState, SavedFile
from layer_client.batch.journal import Journal, format_lines
from layer_client.batch.rows import RowProblem, parse_row


def make_rows(*prompts: str) -> list[BatchRow]:
    rows = []
    for line, prompt in enumerate(prompts, start=1):
        parsed = parse_row(
            line, f'{{"prompt": "{prompt}"}}', default_style_id="sty", workspace_id="ws"
        )
        assert isinstance(parsed, BatchRow)
        rows.append(parsed)
    return rows


def test_journal_records_states(tmp_path: Path) -> None:
    rows = make_rows("a", "b")
    with Journal(tmp_path) as journal:
        journal.sync_rows(rows)
        journal.mark_submitting(1)
        journal.mark_submitted(1, "inf_1")
        journal.mark_done(1, [SavedFile(path="inf_1-1.png", size=10)])
        journal.mark_submitting(2)
        journal.mark_state(
            2, RowState.FAILED, error_type="BadRequestError", error_message="no"
        )
        entries = journal.entries()
    assert entries[1].state is RowState.DONE
    assert entries[1].inference_id == "inf_1"
    assert entries[1].files == (SavedFile(path="inf_1-1.png", size=10),)
    assert entries[1].submit_attempts == 1
    assert entries[2].state is RowState.FAILED
    assert entries[2].error_type == "BadRequestError"


def test_journal_uses_wal(tmp_path: Path) -> None:
    with Journal(tmp_path):
        pass
    with sqlite3.connect(tmp_path / JOURNAL_NAME) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        assert [name for (name,) in tables] == ["rows"]


def test_sync_rows_keeps_states(tmp_path: Path) -> None:
    rows = make_rows("a")
    with Journal(tmp_path) as journal:
        journal.sync_rows(rows)
        journal.mark_submitting(1)
        journal.sync_rows(rows)
        assert journal.entries()[1].state is RowState.SUBMITTING


def test_second_run_is_locked_out(tmp_path: Path) -> None:
    with Journal(tmp_path), pytest.raises(JournalError, match="Another batch run"):
        Journal(tmp_path)
    with Journal(tmp_path):
        pass


def test_journal_matches_appended_rows(tmp_path: Path) -> None:
    with Journal(tmp_path) as journal:
        journal.sync_rows(make_rows("a", "b"))
        assert journal.check_matches(make_rows("a", "b", "c"), []) == []


@pytest.mark.parametrize(
    ("rows", "problems", "expected"),
    [
        (make_rows("a", "x"), [], "line 2 has other content"),
        (make_rows("a"), [RowProblem(line=2, reason="bad")], "line 2 is invalid now"),
        (make_rows("a"), [], "line 2 is missing or blank now"),
    ],
)
def test_journal_rejects_other_batch(
    tmp_path: Path, rows: list[BatchRow], problems: list[RowProblem], expected: str
) -> None:
    with Journal(tmp_path) as journal:
        journal.sync_rows(make_rows("a", "b"))
        journal.mark_submitting(2)
        journal.mark_submitted(2, "inf_2")
        with pytest.raises(JournalError, match=expected) as caught:
            journal.check_matches(rows, problems)
    message = str(caught.value)
    assert "already submitted (state submitted)" in message
    assert "Rows submitted from this journal: line 2 (1 in all)" in message
    assert "use another --out directory" in message


def test_pending_mismatches_are_returned(tmp_path: Path) -> None:
    with Journal(tmp_path) as journal:
        journal.sync_rows(make_rows("a", "b", "c"))
        journal.mark_submitting(1)
        journal.mark_submitted(1, "inf_1")
        mismatches = journal.check_matches(make_rows("a", "x"), [])
    assert [(item.line, item.state) for item in mismatches] == [
        (2, RowState.PENDING),
        (3, RowState.PENDING),
    ]
    assert mismatches[0].change.startswith("has other content")
    assert mismatches[1].change == "is missing or blank now"


def test_sync_rows_rewrites_pending_rows(tmp_path: Path) -> None:
    with Journal(tmp_path) as journal:
        journal.sync_rows(make_rows("a", "b", "c"))
        journal.mark_submitting(1)
        journal.mark_submitted(1, "inf_1")
        journal.mark_submitting(2)
        journal.mark_state(
            2, RowState.PENDING, error_type="RateLimitError", error_message="busy"
        )
        edited = make_rows("a", "x")
        journal.sync_rows(edited)
        entries = journal.entries()
    assert sorted(entries) == [1, 2]
    assert entries[1].state is RowState.SUBMITTED
    assert entries[1].inference_id == "inf_1"
    assert entries[2].row_hash == edited[1].row_hash
    assert entries[2].error_type is None
    assert entries[2].submit_attempts == 0


def test_sync_rows_leaves_submitted_rows(tmp_path: Path) -> None:
    original = make_rows("a")
    with Journal(tmp_path) as journal:
        journal.sync_rows(original)
        journal.mark_submitting(1)
        journal.mark_submitted(1, "inf_1")
        journal.sync_rows(make_rows("x"))
        entries = journal.entries()
    assert entries[1].row_hash == original[0].row_hash
    assert entries[1].state is RowState.SUBMITTED


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([3], "3"),
        ([1, 2, 3, 5, 7, 8], "1-3, 5, 7-8"),
        (list(range(1, 40, 2)), "1, 3, 5, 7, 9, 11, 13, 15, 17, 19, and 10 more"),
    ],
)
def test_format_lines(lines: list[int], expected: str) -> None:
    assert format_lines(lines) == expected


def test_journal_not_sqlite(tmp_path: Path) -> None:
    (tmp_path / JOURNAL_NAME).write_bytes(b"this is not a database, " * 100)
    with pytest.raises(JournalError, match="cannot be opened as SQLite"):
        Journal(tmp_path)
