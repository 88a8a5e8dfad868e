"""Rows of a prompts file: parsing, validation and the content hash.

A prompts file is JSON Lines: one object per line with a required `prompt`
and the optional keys in `ROW_KEYS`. Blank lines are skipped. Every row is
checked here, with the same checks `generate_images` runs, before the batch
spends anything.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from ..errors import LayerInputError
from ..validation import build_generate_input

__all__ = [
    "ROW_KEYS",
    "BatchRow",
    "RowProblem",
    "count_noun",
    "group_problems",
    "hash_text",
    "parse_row",
    "read_rows",
]

ROW_KEYS = ("prompt", "style_id", "seed", "batch_size", "width", "height", "name")
"""Keys a row may have; `prompt` is required."""


@dataclass(frozen=True)
class BatchRow:
    """One valid row of a prompts file, with its effective style id."""

    line: int
    """1-based line number in the prompts file."""
    prompt: str
    style_id: str
    seed: int | None = None
    batch_size: int | None = None
    width: int | None = None
    height: int | None = None
    name: str | None = None
    """Free-form label, shown in the report and stored in the journal."""
    row_hash: str = ""
    """SHA-256 of the row's generation parameters and workspace id."""

    @property
    def label(self) -> str:
        """The row's name, else its line number, for messages."""
        return self.name if self.name else f"line {self.line}"

    def generate_arguments(self) -> dict[str, Any]:
        """Return the keyword arguments of `generate_images` for this row."""
        return {
            "style_id": self.style_id,
            "prompt": self.prompt,
            "seed": self.seed,
            "batch_size": self.batch_size,
            "width": self.width,
            "height": self.height,
        }


@dataclass(frozen=True)
class RowProblem:
    """A line of the prompts file that cannot be submitted, and why."""

    line: int
    reason: str


def count_noun(count: int, noun: str) -> str:
    """Return "1 row" or "3 rows": count and noun, with an s unless count is 1."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def group_problems(problems: list[RowProblem]) -> list[tuple[str, str]]:
    """Group problems by reason, as ("lines 1-3, 7", reason) pairs.

    A bad --style gives every row the same reason, so each reason is listed
    once with its lines. The pairs keep the order of each reason's first line.
    """
    lines_of: dict[str, list[int]] = {}
    for problem in problems:
        lines_of.setdefault(problem.reason, []).append(problem.line)
    return [(_line_label(lines), reason) for reason, lines in lines_of.items()]


def _line_label(lines: list[int]) -> str:
    """Return "line 4" or "lines 1-3, 7" for line numbers."""
    ranges: list[list[int]] = []
    for line in sorted(set(lines)):
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1][1] = line
        else:
            ranges.append([line, line])
    parts = [
        f"{first}-{last}" if last > first else f"{first}" for first, last in ranges
    ]
    noun = "line" if len(lines) == 1 else "lines"
    return f"{noun} {', '.join(parts)}"


def hash_text(text: str) -> str:
    """Return the hex SHA-256 of text encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _row_hash(fields: dict[str, Any], workspace_id: str) -> str:
    canonical = json.dumps(
        {**fields, "workspace_id": workspace_id},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hash_text(canonical)


def parse_row(
    line: int,
    text: str,
    *,
    default_style_id: str | None,
    workspace_id: str,
    documented_limits: bool = True,
) -> BatchRow | RowProblem:
    """Parse and check one non-blank line of a prompts file."""

    def problem(reason: str) -> RowProblem:
        return RowProblem(line=line, reason=reason)

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return problem(f"invalid JSON: {error.msg} at column {error.colno}")
    if not isinstance(data, dict):
        return problem(f"expected a JSON object, got {type(data).__name__}")

    unknown = sorted(set(data) - set(ROW_KEYS))
    if unknown:
        return problem(
            f"unknown keys {', '.join(unknown)}; allowed keys: {', '.join(ROW_KEYS)}"
        )
    prompt = data.get("prompt")
    if prompt is None:
        return problem("prompt is missing: every row needs a prompt string")
    if not isinstance(prompt, str) or not prompt.strip():
        return problem(f"invalid prompt {prompt!r}: expected a non-empty string")
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        return problem(f"invalid name {name!r}: expected a string")

    style_id = data.get("style_id", default_style_id)
    try:
        checked = build_generate_input(
            workspace_id=workspace_id,
            style_id=style_id,
            prompt=prompt,
            batch_size=data.get("batch_size"),
            seed=data.get("seed"),
            width=data.get("width"),
            height=data.get("height"),
            documented_limits=documented_limits,
        )
    except LayerInputError as error:
        reason = error.message
        if error.field == "style_id" and "style_id" not in data:
            reason += " (set --style, or style_id in the row)"
        return problem(reason)

    fields: dict[str, Any] = {
        "prompt": prompt,
        "style_id": checked.style_id,
        "seed": data.get("seed"),
        "batch_size": data.get("batch_size"),
        "width": data.get("width"),
        "height": data.get("height"),
        "name": name,
    }
    return BatchRow(line=line, **fields, row_hash=_row_hash(fields, workspace_id))


def read_rows(
    path: str | PathLike[str],
    *,
    default_style_id: str | None,
    workspace_id: str,
    documented_limits: bool = True,
) -> tuple[list[BatchRow], list[RowProblem]]:
    """Read a prompts file; return its valid rows and its invalid lines.

    Raises LayerInputError when the file cannot be read or is not UTF-8.
    """
    source = Path(path)
    try:
        # utf-8-sig drops a byte order mark that some editors write.
        text = source.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise LayerInputError(
            f"Prompts file {source} not found", field="rows_path"
        ) from None
    except UnicodeDecodeError as error:
        raise LayerInputError(
            f"Prompts file {source} is not UTF-8 text: {error.reason} at byte "
            f"{error.start}",
            field="rows_path",
        ) from None
    except OSError as error:
        raise LayerInputError(
            f"Cannot read prompts file {source}: {error.strerror or error}",
            field="rows_path",
        ) from None

    rows: list[BatchRow] = []
    problems: list[RowProblem] = []
    # Split on "\n" only: str.splitlines also breaks at U+2028 and other
    # separators that JSON allows inside strings, which would shift the
    # line numbers.
    for number, line_text in enumerate(text.split("\n"), start=1):
        if not line_text.strip():
            continue
        parsed = parse_row(
            number,
            line_text,
            default_style_id=default_style_id,
            workspace_id=workspace_id,
            documented_limits=documented_limits,
        )
        if isinstance(parsed, BatchRow):
            rows.append(parsed)
        else:
            problems.append(parsed)
    return rows, problems
