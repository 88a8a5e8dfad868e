"""Batch generation from a JSONL prompts file, resumable through a journal.

    from layer_client import AsyncLayerClient
    from layer_client.batch import run_batch

    async with AsyncLayerClient() as layer:
        report = await run_batch(layer, "prompts.jsonl", "out/", style_id="...")
    print(report.counts)

`run_batch_sync` does the same from synchronous code. Running the same
batch again resumes it from the journal in the output directory: no row is
submitted twice, and rows whose response was lost are reported as unknown.
"""

from .journal import JOURNAL_NAME, JournalError, RowState, SavedFile
from .report import BatchProgress, BatchReport, RowResult, format_table
from .rows import ROW_KEYS, BatchRow, RowProblem, group_problems, read_rows
from .runner import DEFAULT_CONCURRENCY, InvalidRowsError, run_batch, run_batch_sync

__all__ = [
    "DEFAULT_CONCURRENCY",
    "JOURNAL_NAME",
    "ROW_KEYS",
    "BatchProgress",
    "BatchReport",
    "BatchRow",
    "InvalidRowsError",
    "JournalError",
    "RowProblem",
    "RowResult",
    "RowState",
    "SavedFile",
    "format_table",
    "group_problems",
    "read_rows",
    "run_batch",
    "run_batch_sync",
]
