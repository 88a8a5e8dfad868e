"""The progress display and the LAYER_LOG levels of the command line."""

from __future__ import annotations

import io
import logging
import re
import sys

import pytest

from layer_client.batch import BatchProgress
from layer_client.cli.batch import describe
from layer_client.cli.logs import CLIFormatter, resolve_level
from layer_client.cli.progress import PlainReporter, RichReporter, make_reporter

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class TerminalBuffer(io.StringIO):
    """A text buffer that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


def test_plain_reporter_without_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    reporter = make_reporter()

    with reporter.step("Downloading 2 files", expected_seconds=3.0):
        pass
    reporter.close()

    assert isinstance(reporter, PlainReporter)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "layer-client: Downloading 2 files... (expected about 3 s)"
    assert lines[1].startswith("layer-client: Downloading 2 files: done in ")


def test_rich_reporter_on_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = TerminalBuffer()
    monkeypatch.setattr(sys, "stderr", terminal)

    reporter = make_reporter()
    with reporter.step("Generating", expected_seconds=5.0):
        pass
    with pytest.raises(RuntimeError), reporter.step("Submitting with style [/x]"):
        raise RuntimeError("boom")
    reporter.close()

    assert isinstance(reporter, RichReporter)
    shown = ANSI_ESCAPE.sub("", terminal.getvalue())
    assert "Generating" in shown
    assert "Submitting with style [/x]" in shown
    assert "(stopped)" in shown


@pytest.mark.parametrize(
    ("env_value", "verbosity", "level"),
    [
        (None, 0, None),
        ("", 0, None),
        ("debug", 0, logging.DEBUG),
        ("INFO", 0, logging.INFO),
        ("warning", 0, logging.WARNING),
        ("warning", 1, logging.INFO),
        (None, 1, logging.INFO),
        ("debug", 1, logging.DEBUG),
        (None, 2, logging.DEBUG),
    ],
)
def test_log_level_from_variable_and_verbosity(
    env_value: str | None, verbosity: int, level: int | None
) -> None:
    resolved, warning = resolve_level(env_value, verbosity)

    assert resolved == level
    assert warning is None


def test_log_level_unknown_value() -> None:
    resolved, warning = resolve_level("chatty", 0)

    assert resolved is None
    assert warning is not None
    assert "LAYER_LOG='chatty'" in warning


@pytest.mark.parametrize(
    ("level", "prefixed"),
    [(logging.DEBUG, False), (logging.INFO, False), (logging.WARNING, True)],
)
def test_log_formatter_prefixes_warnings(level: int, prefixed: bool) -> None:
    record = logging.LogRecord(
        "layer_client.batch", level, __file__, 1, "line %d left pending", (1,), None
    )

    text = CLIFormatter().format(record)

    assert text.startswith("layer-client: ") == prefixed
    assert text.endswith("layer_client.batch: line 1 left pending")


def test_batch_progress_line_in_flight() -> None:
    progress = BatchProgress(
        total=10, counts={"done": 5, "submitted": 5}, finished_this_run=5, elapsed=25.0
    )

    assert describe(progress) == "5/10 finished (5 submitted, 5 done), about 25 s left"


def test_batch_progress_line_nothing_in_flight() -> None:
    # The run gave up on a pending row and lost the response of another.
    progress = BatchProgress(
        total=10,
        counts={"done": 8, "pending": 1, "unknown": 1},
        finished_this_run=8,
        elapsed=200.0,
    )

    assert describe(progress) == "8/10 finished (1 pending, 8 done, 1 unknown)"
