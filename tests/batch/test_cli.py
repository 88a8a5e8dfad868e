"""The `layer-client batch` command: a SIGKILL in the middle, then a resume.

The emulator runs in the test process; the command runs in a subprocess
started with a small wrapper that shortens the client's poll delays.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from layer_client.batch import JOURNAL_NAME, BatchReport, RowResult, SavedFile
from layer_client.cli import main
from layer_client.emulator import (
    BUILDING_STYLE_ID,
    Emulator,
    EmulatorConfig,
    FaultRule,
)

from .helpers import assert_files_intact, journal_states, sized_rows, write_rows

# Runs `layer-client` with the polling and retry delays of the tests.
WRAPPER = """
import sys
from layer_client import LayerClient
from layer_client.cli import context, main
from tests.batch.helpers import FAST_POLLING, FAST_RETRY

def open_fast_client(api_url, workspace_id):
    return LayerClient(
        api_url=api_url, workspace_id=workspace_id,
        polling=FAST_POLLING, retry=FAST_RETRY,
    )

context.open_client = open_fast_client
sys.exit(main(sys.argv[1:]))
"""

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    # Generations of 0.1 to 0.3 s, so that a run of 30 rows lasts a few
    # seconds and can be stopped in the middle.
    with Emulator(EmulatorConfig(speed=50.0)) as running:
        yield running


def start_batch(
    emulator: Emulator, *arguments: str, response_wait: float | None = None
) -> subprocess.Popen[str]:
    """Start `layer-client batch` with arguments against emulator.

    response_wait sets how long an interrupted run waits for the response
    to a submission already sent.
    """
    environment = {**os.environ, **emulator.environ}
    environment["PYTHONPATH"] = str(PROJECT_ROOT)
    wrapper = WRAPPER
    if response_wait is not None:
        wrapper = (
            "import layer_client.batch.inflight as inflight\n"
            f"inflight.INTERRUPT_RESPONSE_WAIT = {response_wait!r}\n{WRAPPER}"
        )
    return subprocess.Popen(
        [sys.executable, "-c", wrapper, "batch", *arguments],
        env=environment,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_midway(process: subprocess.Popen[str], out: Path) -> dict[str, int]:
    """SIGKILL process once the journal has submitted and pending rows.

    The process is frozen with SIGSTOP while the journal is read, and is
    killed only when no row is `submitting`: a row killed there would be
    unknown, and this test checks that every row ends up charged once.
    """
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "the batch ended before it could be killed"
        process.send_signal(signal.SIGSTOP)
        try:
            states = journal_states(out, timeout=0.05)
        except sqlite3.OperationalError:
            # Frozen while writing: the journal stays locked until SIGCONT.
            states = Counter()
        started = states["submitted"] + states["done"]
        if states["pending"] and started and not states["submitting"]:
            process.kill()
            process.wait(timeout=10)
            return dict(states)
        process.send_signal(signal.SIGCONT)
        time.sleep(0.01)
    process.kill()
    raise AssertionError("the journal never showed submitted and pending rows")


def test_sigkill_then_resume(emulator: Emulator, tmp_path: Path) -> None:
    rows = sized_rows(30)
    prompts = write_rows(tmp_path / "prompts.jsonl", rows)
    out = tmp_path / "out"
    options = [str(prompts), "--style", emulator.style_id, "--out", str(out)]

    killed = start_batch(emulator, *options)
    at_kill = kill_midway(killed, out)
    assert killed.returncode == -signal.SIGKILL
    assert 0 < at_kill["pending"] < 30

    resumed = start_batch(emulator, *options, "--json")
    stdout, stderr = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, stderr
    data = json.loads(stdout)
    assert data["ok"] is True
    assert data["counts"]["done"] == 30
    assert data["submitted_this_run"] == at_kill["pending"]
    # Every row was generated exactly once over both runs.
    assert emulator.counters.generate_images_accepted == 30
    assert journal_states(out) == {"done": 30}

    report = BatchReport(
        rows=[
            RowResult(
                line=row["line"],
                state=row["state"],
                name=row["name"],
                files=tuple(SavedFile(**item) for item in row["files"]),
            )
            for row in data["rows"]
        ],
        journal_path=None,
        out_dir=out,
    )
    assert_files_intact(report, rows)


def wait_for_state(out: Path, state: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "the batch ended too early"
        try:
            if journal_states(out, timeout=0.05)[state]:
                return
        except sqlite3.OperationalError:
            pass
        time.sleep(0.01)
    raise AssertionError(f"the journal never showed a {state} row")


def test_ctrl_c_records_response(tmp_path: Path) -> None:
    rows = sized_rows(8)
    prompts = write_rows(tmp_path / "prompts.jsonl", rows)
    out = tmp_path / "out"
    # The response to the third submission comes 1 s late, so Ctrl-C lands
    # while it is out.
    slow_third = FaultRule(
        operation="GenerateImages", sequence=["ok", "ok", "slow"], delay=1.0
    )
    with Emulator(EmulatorConfig(speed=50.0), faults=(slow_third,)) as emulator:
        options = [str(prompts), "--style", emulator.style_id, "--out", str(out)]
        interrupted = start_batch(emulator, *options)
        wait_for_state(out, "submitting", interrupted)
        time.sleep(0.2)
        interrupted.send_signal(signal.SIGINT)
        _, stderr = interrupted.communicate(timeout=30)
        assert interrupted.returncode == 130, stderr
        assert "run the same command again to resume" in stderr
        assert "interrupted while submitting castle-2" in stderr
        assert "Traceback" not in stderr
        states = journal_states(out)
        assert states["submitting"] == 0
        assert states["unknown"] == 0

        resumed = start_batch(emulator, *options)
        _, stderr = resumed.communicate(timeout=60)
        assert resumed.returncode == 0, stderr
        assert emulator.counters.generate_images_accepted == 8
    assert journal_states(out) == {"done": 8}


def wait_for_journal(
    out: Path, process: subprocess.Popen[str], *states: str
) -> Counter[str]:
    """Wait until the journal has a row in each of states; return its counts."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "the batch ended too early"
        try:
            counts = journal_states(out, timeout=0.05)
        except sqlite3.OperationalError:
            counts = Counter()
        if all(counts[state] for state in states):
            return counts
        time.sleep(0.01)
    raise AssertionError(f"the journal never showed rows in {states}")


def interrupt(process: subprocess.Popen[str]) -> tuple[str, float]:
    """Send SIGINT to process; return its stderr and the seconds it took to end."""
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    return stderr, time.monotonic() - sent


def interrupt_while_polling(process: subprocess.Popen[str], out: Path) -> None:
    """Send SIGINT once 5 rows are submitted, none is submitting and some wait.

    The process is frozen with SIGSTOP while the journal is read, so the
    Ctrl-C lands in the state that was read: the poll loop waiting between
    rounds, and the next submission waiting for a free slot.
    """
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "the batch ended before it could be stopped"
        process.send_signal(signal.SIGSTOP)
        try:
            states = journal_states(out, timeout=0.05)
        except sqlite3.OperationalError:
            states = Counter()
        ready = (
            states["pending"] and states["submitted"] >= 5 and not states["submitting"]
        )
        if ready:
            process.send_signal(signal.SIGINT)
        process.send_signal(signal.SIGCONT)
        if ready:
            return
        time.sleep(0.01)
    process.kill()
    raise AssertionError("the journal never showed 5 submitted rows")


def test_ctrl_c_stops_promptly(tmp_path: Path) -> None:
    rows = sized_rows(10)
    prompts = write_rows(tmp_path / "prompts.jsonl", rows)
    out = tmp_path / "out"
    # Generations of 0.5 to 1 s, so that the poll loop spends most of its
    # time waiting between rounds when the Ctrl-C comes.
    config = EmulatorConfig(speed=10.0, min_duration=5.0, max_duration=10.0)
    with Emulator(config) as emulator:
        options = [str(prompts), "--style", emulator.style_id, "--out", str(out)]
        interrupted = start_batch(emulator, *options)
        interrupt_while_polling(interrupted, out)
        sent = time.monotonic()
        _, stderr = interrupted.communicate(timeout=30)
        took = time.monotonic() - sent
        assert interrupted.returncode == 130, stderr
        assert "Traceback" not in stderr
        assert "never awaited" not in stderr
        resume_lines = [
            line for line in stderr.splitlines() if "run the same command again" in line
        ]
        assert len(resume_lines) == 1, stderr
        assert took < 2.0, f"the batch took {took:.1f} s to stop"
        assert journal_states(out)["submitting"] == 0

        resumed = start_batch(emulator, *options)
        _, stderr = resumed.communicate(timeout=60)
        assert resumed.returncode == 0, stderr
        assert emulator.counters.generate_images_accepted == 10
    assert journal_states(out) == {"done": 10}


def test_ctrl_c_response_wait_is_bounded(tmp_path: Path) -> None:
    prompts = write_rows(tmp_path / "prompts.jsonl", sized_rows(4))
    out = tmp_path / "out"
    # The response to the second submission comes 20 s late.
    slow_second = FaultRule(
        operation="GenerateImages", sequence=["ok", "slow"], delay=20.0
    )
    with Emulator(EmulatorConfig(speed=50.0), faults=(slow_second,)) as emulator:
        options = [str(prompts), "--style", emulator.style_id, "--out", str(out)]
        interrupted = start_batch(emulator, *options, response_wait=0.5)
        # The first row is submitted, the second one waits for its response.
        wait_for_journal(out, interrupted, "submitted", "submitting")
        stderr, took = interrupt(interrupted)
        assert interrupted.returncode == 130, stderr
        assert "Traceback" not in stderr
        assert "no response came within 0.5 s" in stderr
        assert took < 3.0, f"the batch took {took:.1f} s to stop"
        states = journal_states(out)
        assert states["unknown"] == 1
        assert states["submitting"] == 0


def test_wrong_style_then_fixed(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in emulator.environ.items():
        monkeypatch.setenv(name, value)
    prompts = write_rows(tmp_path / "prompts.jsonl", [{"prompt": "a"}, {"prompt": "b"}])
    out = tmp_path / "out"
    for wrong in (BUILDING_STYLE_ID, "sty_missing"):
        status = main(["batch", str(prompts), "--style", wrong, "--out", str(out)])
        err = capsys.readouterr().err
        assert status == 5
        assert "nothing was submitted" in err
        assert not (out / JOURNAL_NAME).exists()

    status = main(
        ["batch", str(prompts), "--style", emulator.style_id, "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert status == 0, err
    assert emulator.counters.generate_images_accepted == 2


def test_wrong_style_reason_listed_once(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in emulator.environ.items():
        monkeypatch.setenv(name, value)
    prompts = write_rows(tmp_path / "prompts.jsonl", sized_rows(8))
    out = str(tmp_path / "out")
    status = main(["batch", str(prompts), "--style", "sty_nope", "--out", out])
    err = capsys.readouterr().err
    assert status == 5
    # One notice and the error line, each naming the reason once.
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("layer-client: lines 1-8: ")
    assert lines[1].startswith("layer-client: error: 8 invalid rows in ")
    assert "nothing was submitted: lines 1-8: " in lines[1]
    assert "more" not in lines[1]
    assert err.count("sty_nope") == 2


def test_empty_prompts_file(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in emulator.environ.items():
        monkeypatch.setenv(name, value)
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text("\n", encoding="utf-8")
    out = tmp_path / "out"
    status = main(
        ["batch", str(prompts), "--style", emulator.style_id, "--out", str(out)]
    )
    captured = capsys.readouterr()
    assert status == 5
    assert f"Prompts file {prompts} has no rows" in captured.err
    assert "0/0" not in captured.err + captured.out
    assert not out.exists()


def test_timeout_names_cli_commands(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    prompts = write_rows(tmp_path / "prompts.jsonl", sized_rows(1))
    # Generations of 5 to 15 s against a timeout of 0.3 s.
    with Emulator(EmulatorConfig(speed=1.0)) as emulator:
        for name, value in emulator.environ.items():
            monkeypatch.setenv(name, value)
        status = main(
            [
                "batch",
                str(prompts),
                "--style",
                emulator.style_id,
                "--out",
                str(tmp_path / "out"),
                "--timeout",
                "0.3",
            ]
        )
    captured = capsys.readouterr()
    assert status == 7, captured.err
    assert "call wait(" not in captured.out + captured.err
    assert "`layer-client wait inf_" in captured.out
    assert "1 row is not finished: run the same command again to resume it." in (
        captured.out
    )


def test_invalid_rows_exit_status(
    emulator: Emulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in emulator.environ.items():
        monkeypatch.setenv(name, value)
    prompts = write_rows(
        tmp_path / "prompts.jsonl",
        [{"prompt": "fine"}, {"prompt": "bad", "seed": "x"}, {"prompt": "", "n": 1}],
    )
    out = str(tmp_path / "out")
    status = main(
        ["batch", str(prompts), "--style", emulator.style_id, "--out", out, "--json"]
    )
    captured = capsys.readouterr()
    assert status == 5
    assert "line 2: Invalid seed 'x'" in captured.err
    assert "line 3: unknown keys n" in captured.err
    error = json.loads(captured.out)["error"]
    assert [row["line"] for row in error["invalid_rows"]] == [2, 3]
    assert emulator.counters.requests["GenerateImages"] == 0


def test_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["batch", "prompts.jsonl"]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["batch", "p.jsonl", "--out", str(tmp_path), "--concurrency", "0"]) == 2
    assert "--concurrency" in capsys.readouterr().err
