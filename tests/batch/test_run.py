"""run_batch against the in-process emulator: faults, resumes and rejections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from layer_client.batch import (
    JOURNAL_NAME,
    BatchProgress,
    InvalidRowsError,
    JournalError,
    RowState,
    format_table,
    run_batch,
    run_batch_sync,
)
from layer_client.batch.journal import Journal
from layer_client.batch.rows import BatchRow, parse_row
from layer_client.emulator import (
    BUILDING_STYLE_ID,
    Emulator,
    EmulatorConfig,
    FaultRule,
)
from layer_client.errors import InsufficientCreditsError, LayerInputError
from layer_client.results import Inference

from .helpers import (
    assert_files_intact,
    async_client,
    sized_rows,
    sync_client,
    write_rows,
)

FAST_EMULATOR = EmulatorConfig(speed=200.0)


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(FAST_EMULATOR) as running:
        yield running


async def test_batch_completes_every_row(emulator: Emulator, tmp_path: Path) -> None:
    rows = sized_rows(12)
    prompts = write_rows(tmp_path / "prompts.jsonl", rows)
    snapshots: list[BatchProgress] = []
    async with async_client(emulator) as client:
        report = await run_batch(
            client,
            prompts,
            tmp_path / "out",
            style_id=emulator.style_id,
            on_progress=snapshots.append,
        )
    assert report.ok
    assert report.counts == {"done": 12}
    assert report.submitted_this_run == 12
    assert emulator.counters.generate_images_accepted == 12
    assert_files_intact(report, rows)
    assert snapshots[-1].finished == 12
    assert snapshots[-1].eta_seconds == 0.0
    # The balance is checked once, before the first submission.
    assert emulator.counters.requests["GetWorkspaceUsage"] == 1


async def test_faults_finish_or_are_reported(tmp_path: Path) -> None:
    rows = sized_rows(50)
    prompts = write_rows(tmp_path / "prompts.jsonl", rows)
    faults = (
        # 429s the client retries, and a run of them that exhausts the
        # client's 4 attempts, so the batch waits and submits again.
        FaultRule(
            operation="GenerateImages",
            sequence=["ok", "429", "ok", "429", "429", "429", "429", "ok"],
            retry_after=0,
        ),
        # A 502 and a response dropped after the mutation ran: both unknown.
        FaultRule(
            operation="GenerateImages",
            sequence=["ok"] * 10 + ["502"] + ["ok"] * 10 + ["drop_after"],
        ),
        FaultRule(operation="GetInferencesById", kind="502", probability=0.2),
        FaultRule(operation="GetInferencesById", kind="drop_before", limit=2),
        FaultRule(operation="file", kind="502", probability=0.1),
        FaultRule(operation="file", kind="truncate", limit=2),
    )
    with Emulator(FAST_EMULATOR, faults=faults, seed=3) as emulator:
        async with async_client(emulator) as client:
            report = await run_batch(
                client, prompts, tmp_path / "out", style_id=emulator.style_id
            )
        counters = emulator.counters
        assert counters.faults["429"] >= 5
        assert counters.faults["drop_after"] == 1
        assert report.counts == {"done": 48, "unknown": 2}
        assert not report.ok
        unknown = report.rows_in("unknown")
        assert {row.error_type for row in unknown} == {"SubmissionUnknownError"}
        # The response was dropped after the inference was created.
        assert counters.generate_images_accepted == 49

        # A plain re-run leaves unknown rows alone and spends nothing.
        async with async_client(emulator) as client:
            again = await run_batch(
                client, prompts, tmp_path / "out", style_id=emulator.style_id
            )
        assert again.counts == {"done": 48, "unknown": 2}
        assert again.submitted_this_run == 0
        assert counters.generate_images_accepted == 49

        async with async_client(emulator) as client:
            retried = await run_batch(
                client,
                prompts,
                tmp_path / "out",
                style_id=emulator.style_id,
                retry_unknown=True,
            )
        assert retried.ok
        assert retried.submitted_this_run == 2
        assert counters.generate_images_accepted == 51
    assert_files_intact(retried, rows)


async def test_rate_limit_waits_for_slot(tmp_path: Path) -> None:
    rows = sized_rows(15)
    prompts = write_rows(tmp_path / "prompts.jsonl", rows)
    # Generations of 0.25 to 0.75 s, so that the runs overlap.
    with Emulator(FAST_EMULATOR, speed=20.0) as emulator:
        async with async_client(emulator) as client:
            # Above the emulator's 5 concurrent runs: it returns
            # RATE_LIMITED_ERROR, which the batch waits out.
            report = await run_batch(
                client,
                prompts,
                tmp_path / "out",
                style_id=emulator.style_id,
                concurrency=9,
            )
        assert report.ok
        assert emulator.counters.generate_images_accepted == 15
        assert emulator.counters.requests["GenerateImages"] > 15


async def test_invalid_rows_spend_nothing(emulator: Emulator, tmp_path: Path) -> None:
    prompts = write_rows(
        tmp_path / "prompts.jsonl",
        [
            {"prompt": "fine"},
            "",
            {"prompt": "bad", "batch_size": 99},
            "{not json",
            {"prompt": "unknown style", "style_id": "sty_missing"},
        ],
    )
    out = tmp_path / "out"
    async with async_client(emulator) as client:
        with pytest.raises(InvalidRowsError) as caught:
            await run_batch(client, prompts, out, style_id=emulator.style_id)
    assert [problem.line for problem in caught.value.problems] == [3, 4, 5]
    assert "line 3: Invalid batch_size 99" in str(caught.value)
    assert not out.exists()
    assert emulator.counters.requests["GenerateImages"] == 0

    # A style that does not exist is found before anything is spent, too.
    styles = write_rows(
        tmp_path / "styles.jsonl",
        [{"prompt": "fine"}, {"prompt": "unknown style", "style_id": "sty_missing"}],
    )
    async with async_client(emulator) as client:
        with pytest.raises(InvalidRowsError) as caught:
            await run_batch(
                client, styles, tmp_path / "styles-out", style_id=emulator.style_id
            )
    assert [problem.line for problem in caught.value.problems] == [2]
    assert "sty_missing" in caught.value.problems[0].reason
    assert emulator.counters.requests["GenerateImages"] == 0

    async with async_client(emulator) as client:
        report = await run_batch(
            client, prompts, out, style_id=emulator.style_id, skip_invalid=True
        )
    assert report.counts == {"done": 1, "invalid": 3}
    assert [row.line for row in report.rows_in("invalid")] == [3, 4, 5]
    assert report.ok
    assert emulator.counters.generate_images_accepted == 1


async def test_resume_skips_done_rows(emulator: Emulator, tmp_path: Path) -> None:
    rows = sized_rows(6)
    prompts = write_rows(tmp_path / "prompts.jsonl", rows)
    out = tmp_path / "out"
    async with async_client(emulator) as client:
        first = await run_batch(client, prompts, out, style_id=emulator.style_id)
    assert first.ok
    downloads = emulator.counters.file_downloads

    async with async_client(emulator) as client:
        second = await run_batch(client, prompts, out, style_id=emulator.style_id)
    assert second.ok
    assert second.submitted_this_run == 0
    assert emulator.counters.file_downloads == downloads

    # A deleted and a damaged file are downloaded again from the same
    # inference, never generated again.
    (out / first.rows[0].files[0].path).unlink()
    (out / first.rows[1].files[0].path).write_bytes(b"broken")
    async with async_client(emulator) as client:
        third = await run_batch(client, prompts, out, style_id=emulator.style_id)
    assert third.ok
    assert third.submitted_this_run == 0
    assert emulator.counters.generate_images_accepted == 6
    assert emulator.counters.file_downloads == downloads + 2
    assert_files_intact(third, rows)


async def test_cut_off_submission_is_unknown(
    emulator: Emulator, tmp_path: Path
) -> None:
    rows = sized_rows(3)
    prompts = write_rows(tmp_path / "prompts.jsonl", rows)
    out = tmp_path / "out"
    async with async_client(emulator) as client:
        await run_batch(client, prompts, out, style_id=emulator.style_id)
    # As if the process died between sending row 2 and recording the response.
    with Journal(out) as journal:
        journal.mark_submitting(2)

    async with async_client(emulator) as client:
        report = await run_batch(client, prompts, out, style_id=emulator.style_id)
    assert report.counts == {"done": 2, "unknown": 1}
    assert report.rows[1].state == "unknown"
    assert "may be charged" in (report.rows[1].message or "")
    assert emulator.counters.generate_images_accepted == 3

    async with async_client(emulator) as client:
        retried = await run_batch(
            client, prompts, out, style_id=emulator.style_id, retry_unknown=True
        )
    assert retried.ok
    assert emulator.counters.generate_images_accepted == 4


async def test_other_batch_is_rejected(emulator: Emulator, tmp_path: Path) -> None:
    prompts = write_rows(tmp_path / "prompts.jsonl", sized_rows(2))
    out = tmp_path / "out"
    async with async_client(emulator) as client:
        await run_batch(client, prompts, out, style_id=emulator.style_id)
        other_style = emulator.state.usable_style_ids()[1]
        with pytest.raises(JournalError, match="different prompts file") as caught:
            await run_batch(client, prompts, out, style_id=other_style)
        message = str(caught.value)
        assert "Rows submitted from this journal: lines 1-2 (2 in all)" in message
        assert "use another --out directory" in message
        assert "only if you accept losing track of the submitted rows" in message
        edited = write_rows(
            tmp_path / "edited.jsonl", [*sized_rows(1), {"prompt": "x"}]
        )
        with pytest.raises(JournalError, match="line 2 has other content"):
            await run_batch(client, edited, out, style_id=emulator.style_id)
    assert emulator.counters.generate_images_accepted == 2


async def test_no_credits_rejected_before_submit(tmp_path: Path) -> None:
    prompts = write_rows(tmp_path / "prompts.jsonl", sized_rows(2))
    with Emulator(FAST_EMULATOR, balance=0.0) as emulator:
        async with async_client(emulator) as client:
            with pytest.raises(InsufficientCreditsError):
                await run_batch(
                    client, prompts, tmp_path / "out", style_id=emulator.style_id
                )
        assert emulator.counters.requests["GenerateImages"] == 0


async def test_credits_run_out_midway(tmp_path: Path) -> None:
    rows = sized_rows(8)
    prompts = write_rows(tmp_path / "prompts.jsonl", rows)
    out = tmp_path / "out"
    with Emulator(FAST_EMULATOR, balance=3.0) as emulator:
        async with async_client(emulator) as client:
            report = await run_batch(client, prompts, out, style_id=emulator.style_id)
        assert isinstance(report.stopped_by, InsufficientCreditsError)
        assert report.counts == {"done": 3, "pending": 5}

        emulator.state.set_balance(100.0)
        async with async_client(emulator) as client:
            resumed = await run_batch(client, prompts, out, style_id=emulator.style_id)
        assert resumed.ok
        assert emulator.counters.generate_images_accepted == 8
    assert_files_intact(resumed, rows)


async def test_failed_generation_is_reported(
    emulator: Emulator, tmp_path: Path
) -> None:
    prompts = write_rows(
        tmp_path / "prompts.jsonl",
        [{"prompt": "a castle"}, {"prompt": "something forbidden"}],
    )
    async with async_client(emulator) as client:
        report = await run_batch(
            client, prompts, tmp_path / "out", style_id=emulator.style_id
        )
    assert report.counts == {"done": 1, "failed": 1}
    failed = report.rows[1]
    assert failed.state == RowState.FAILED.value
    assert failed.error_type == "GenerationFailedError"
    assert failed.error_code == "CONTENT_POLICY_VIOLATION"
    assert failed.inference_id is not None


def test_sync_batch(emulator: Emulator, tmp_path: Path) -> None:
    rows = sized_rows(4)
    prompts = write_rows(tmp_path / "prompts.jsonl", rows)
    with sync_client(emulator) as client:
        report = run_batch_sync(
            client, prompts, tmp_path / "out", style_id=emulator.style_id
        )
    assert report.ok
    assert (tmp_path / "out" / JOURNAL_NAME).exists()
    assert_files_intact(report, rows)


async def test_polls_in_flight_ids_together(
    emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts = write_rows(tmp_path / "prompts.jsonl", sized_rows(10))
    polled: list[list[str]] = []
    async with async_client(emulator) as client:
        fetch = client._fetch

        async def spy(ids: list[str], deadline: float) -> dict[str, Inference]:
            polled.append(list(ids))
            return await fetch(ids, deadline)

        monkeypatch.setattr(client, "_fetch", spy)
        report = await run_batch(
            client, prompts, tmp_path / "out", style_id=emulator.style_id
        )
    assert report.ok
    assert max(len(ids) for ids in polled) > 1
    assert max(len(ids) for ids in polled) <= 5
    assert emulator.counters.requests["GetInferencesById"] == len(polled)


async def test_failed_download_resumes(tmp_path: Path) -> None:
    rows = sized_rows(1)
    prompts = write_rows(tmp_path / "prompts.jsonl", rows)
    out = tmp_path / "out"
    # The downloader tries each file 3 times: all three get a 502.
    broken_files = FaultRule(operation="file", kind="502", limit=3)
    with Emulator(FAST_EMULATOR, faults=(broken_files,)) as emulator:
        async with async_client(emulator) as client:
            report = await run_batch(client, prompts, out, style_id=emulator.style_id)
        assert report.counts == {"submitted": 1}
        assert report.rows[0].error_type == "TransientDownloadError"
        assert report.rows[0].inference_id is not None

        async with async_client(emulator) as client:
            resumed = await run_batch(client, prompts, out, style_id=emulator.style_id)
        assert resumed.ok
        assert resumed.submitted_this_run == 0
        assert emulator.counters.generate_images_accepted == 1
    assert_files_intact(resumed, rows)


async def test_row_and_style_problems_together(
    emulator: Emulator, tmp_path: Path
) -> None:
    prompts = write_rows(
        tmp_path / "prompts.jsonl",
        [
            {"prompt": "fine"},
            {"prompt": "still building", "style_id": BUILDING_STYLE_ID},
            {"prompt": "bad", "batch_size": 99},
            {"prompt": "unknown style", "style_id": "sty_missing"},
            "{not json",
        ],
    )
    out = tmp_path / "out"
    async with async_client(emulator) as client:
        with pytest.raises(InvalidRowsError) as caught:
            await run_batch(client, prompts, out, style_id=emulator.style_id)
    assert [problem.line for problem in caught.value.problems] == [2, 3, 4, 5]
    assert BUILDING_STYLE_ID in caught.value.problems[0].reason
    assert "sty_missing" in caught.value.problems[2].reason
    assert not out.exists()
    assert emulator.counters.requests["GenerateImages"] == 0


async def test_wrong_style_leaves_no_journal(
    emulator: Emulator, tmp_path: Path
) -> None:
    rows = sized_rows(3)
    prompts = write_rows(tmp_path / "prompts.jsonl", rows)
    out = tmp_path / "out"
    out.mkdir()
    async with async_client(emulator) as client:
        with pytest.raises(InvalidRowsError) as caught:
            await run_batch(client, prompts, out, style_id=BUILDING_STYLE_ID)
        assert [problem.line for problem in caught.value.problems] == [1, 2, 3]
        assert not (out / JOURNAL_NAME).exists()

        report = await run_batch(client, prompts, out, style_id=emulator.style_id)
    assert report.ok
    assert emulator.counters.generate_images_accepted == 3
    assert_files_intact(report, rows)


def pending_journal(
    out: Path, prompts: list[str], style_id: str, workspace: str
) -> None:
    """Write a journal whose rows are all pending, as a rejected run left it."""
    rows: list[BatchRow] = []
    for line, prompt in enumerate(prompts, start=1):
        parsed = parse_row(
            line,
            f'{{"prompt": "{prompt}"}}',
            default_style_id=style_id,
            workspace_id=workspace,
        )
        assert isinstance(parsed, BatchRow)
        rows.append(parsed)
    out.mkdir()
    with Journal(out) as journal:
        journal.sync_rows(rows)


async def test_unsubmitted_journal_is_replaced(
    emulator: Emulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = sized_rows(3)
    prompts = write_rows(tmp_path / "prompts.jsonl", rows)
    out = tmp_path / "out"
    pending_journal(out, ["a", "b"], BUILDING_STYLE_ID, emulator.workspace_id)

    async with async_client(emulator) as client:
        report = await run_batch(client, prompts, out, style_id=emulator.style_id)
    assert report.ok
    assert emulator.counters.generate_images_accepted == 3
    assert "replacing the journal" in caplog.text
    assert_files_intact(report, rows)


async def test_changed_pending_rows_are_updated(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rows = sized_rows(6)
    out = tmp_path / "out"
    with Emulator(FAST_EMULATOR, balance=3.0) as emulator:
        prompts = write_rows(tmp_path / "prompts.jsonl", rows)
        async with async_client(emulator) as client:
            first = await run_batch(client, prompts, out, style_id=emulator.style_id)
        assert first.counts == {"done": 3, "pending": 3}

        # Rows 4 to 6 were never submitted, so they may change.
        rows[4]["prompt"] = "a castle in the snow"
        del rows[5]
        write_rows(prompts, rows)
        emulator.state.set_balance(100.0)
        async with async_client(emulator) as client:
            resumed = await run_batch(client, prompts, out, style_id=emulator.style_id)
        assert resumed.ok
        assert resumed.submitted_this_run == 2
        assert emulator.counters.generate_images_accepted == 5
    assert "updating 2 pending rows" in caplog.text
    assert "(lines 5-6)" in caplog.text
    assert_files_intact(resumed, rows)


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
async def test_empty_prompts_file_rejected(
    emulator: Emulator, tmp_path: Path, text: str
) -> None:
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    async with async_client(emulator) as client:
        with pytest.raises(LayerInputError, match="has no rows"):
            await run_batch(client, prompts, out, style_id=emulator.style_id)
    assert not out.exists()


async def test_timed_out_row_message(tmp_path: Path) -> None:
    prompts = write_rows(tmp_path / "prompts.jsonl", sized_rows(1))
    # Generations of 5 to 15 s against a timeout of 0.2 s.
    with Emulator(EmulatorConfig(speed=1.0)) as emulator:
        async with async_client(emulator) as client:
            report = await run_batch(
                client,
                prompts,
                tmp_path / "out",
                style_id=emulator.style_id,
                timeout=0.2,
            )
    row = report.rows[0]
    assert row.state == "submitted"
    assert row.error_type == "GenerationTimeoutError"
    assert row.message is not None
    assert f"`layer-client wait {row.inference_id}`" in row.message
    assert "run the same batch again" in row.message
    assert "call wait(" not in row.message


async def test_unknown_row_message(tmp_path: Path) -> None:
    prompts = write_rows(tmp_path / "prompts.jsonl", sized_rows(2))
    lost = FaultRule(operation="GenerateImages", kind="drop_after", limit=1)
    with Emulator(FAST_EMULATOR, faults=(lost,)) as emulator:
        async with async_client(emulator) as client:
            report = await run_batch(
                client, prompts, tmp_path / "out", style_id=emulator.style_id
            )
    assert report.counts == {"done": 1, "unknown": 1}
    unknown = report.rows_in("unknown")[0]
    assert unknown.message is not None
    assert "may be charged" in unknown.message
    assert "recent inferences" not in unknown.message
    table = format_table(report)
    assert "recent inferences" not in table
    assert "Check the balance with `layer-client usage`" in table
    assert "re-run with --retry-unknown" in table
    assert "possible double charge" in table
    assert "1 row is unknown: its submission was sent" in table
    assert "rows are unknown" not in table
    assert "2 rows: 1 done, 1 unknown" in table
