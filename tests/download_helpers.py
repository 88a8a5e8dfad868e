"""Builders shared by the download tests: inferences, files and bodies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from layer_graphql.fragments import InferenceFields

PNG_HEADER = b"\x89PNG\r\n\x1a\n"


def png_body(size: int, fill: bytes = b"x") -> bytes:
    """Return `size` bytes that start like a PNG file."""
    return (PNG_HEADER + fill * size)[:size]


def file_entry(
    url: str | None,
    *,
    file_id: str = "file_1",
    content_type: str | None = "image/png",
    size_bytes: int | None = None,
    status: str | None = "PROCESSED",
) -> dict[str, Any]:
    """Return a File object as the API sends it in `InferenceFields.files`."""
    return {
        "__typename": "File",
        "id": file_id,
        "status": status,
        "url": url,
        "previewUrl": None,
        "contentType": content_type,
        "sizeBytes": size_bytes,
        "width": 1024,
        "height": 1024,
    }


def make_inference(
    files: list[dict[str, Any]], inference_id: str = "inf_1"
) -> InferenceFields:
    """Return a COMPLETE inference with the given files."""
    return InferenceFields.model_validate(
        {
            "__typename": "Inference",
            "id": inference_id,
            "status": "COMPLETE",
            "errorCode": None,
            "createdAt": "2025-08-01T12:00:00Z",
            "etaAt": None,
            "files": files,
        }
    )


def dir_entries(directory: Path) -> list[Path]:
    """Return every entry of `directory`, sorted."""
    return sorted(directory.iterdir())


def leftover_temp_files(directory: Path) -> list[Path]:
    """Return the temporary `.part` files left in `directory`."""
    return sorted(directory.glob(".*.part"))


class RecordingSleep:
    """A `sleep` replacement that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class RecordingAsyncSleep:
    """An async `sleep` replacement that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
