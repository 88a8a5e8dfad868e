"""Command output: tables and lines for people, JSON for scripts.

With --json, stdout carries exactly one JSON document per run: the result,
or `{"error": {...}}` when the command failed. Its keys are snake_case and
its paths absolute. Everything else (progress, logs, error lines) goes to
stderr.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

PROGRAM = "layer-client"
TYPENAME_FIELD = "typename__"


def model_json(model: BaseModel) -> dict[str, Any]:
    """Return model as a JSON object with snake_case keys, no __typename.

    The keys are the library's field names, as in the other JSON output of
    the command line, except that `type_` becomes `type`.
    """
    dumped = model.model_dump(mode="json")
    cleaned = _json_keys(dumped)
    assert isinstance(cleaned, dict)
    return cleaned


def _json_keys(value: Any) -> Any:
    if isinstance(value, dict):
        # The generated models add a trailing underscore to names that are
        # Python keywords or builtins, and call __typename `typename__`.
        return {
            key.removesuffix("_"): _json_keys(item)
            for key, item in value.items()
            if key != TYPENAME_FIELD
        }
    if isinstance(value, list):
        return [_json_keys(item) for item in value]
    return value


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Return rows as left-aligned columns under headers."""
    widths = [len(header) for header in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))
    lines = [
        "  ".join(
            cell.ljust(width) for cell, width in zip(line, widths, strict=True)
        ).rstrip()
        for line in [list(headers), *rows]
    ]
    return "\n".join(lines)


class Output:
    """Writes results to stdout and messages to stderr, in the chosen mode."""

    def __init__(self, *, json_mode: bool) -> None:
        self.json_mode = json_mode

    def result(self, data: Any, text: str | None) -> None:
        """Print a command's result: data as JSON, or text for people."""
        if self.json_mode:
            print(json.dumps(data, indent=2, ensure_ascii=False), file=sys.stdout)
        elif text:
            print(text, file=sys.stdout)

    def line(self, text: str) -> None:
        """Print a line of human output to stdout; nothing in JSON mode."""
        if not self.json_mode:
            print(text, file=sys.stdout)

    def error(self, message: str, *, data: dict[str, Any] | None = None) -> None:
        """Print an error line on stderr, and the error object in JSON mode."""
        print(f"{PROGRAM}: error: {message}", file=sys.stderr)
        if self.json_mode and data is not None:
            print(json.dumps({"error": data}, indent=2), file=sys.stdout)

    @staticmethod
    def notice(message: str) -> None:
        """Print a line for people on stderr, in both modes."""
        print(f"{PROGRAM}: {message}", file=sys.stderr)
