"""Storage of the generated images and the `File` objects that describe them."""

from __future__ import annotations

from dataclasses import dataclass, field

from .clock import Clock
from .models import File, Inference
from .png import render_pattern_png

__all__ = ["ImageStore"]

PREVIEW_MAX_SIDE = 256
"""Maximum width or height of a preview image, in pixels."""


@dataclass
class _StoredImage:
    inference: Inference
    index: int
    content: bytes
    preview: bytes | None = None


@dataclass
class ImageStore:
    """PNG bytes of every generated file, keyed by file id.

    Not thread-safe on its own: `EmulatorState` calls it under its lock.
    """

    clock: Clock
    files_url: str = ""
    """Origin of the file URLs, set once the files server has a port."""
    _images: dict[str, _StoredImage] = field(default_factory=dict)

    def add_files(self, inference: Inference) -> None:
        """Render the inference's images and append one `File` per image."""
        now = self.clock.now()
        for index in range(inference.batch_size):
            file_id = f"fil_{inference.id.removeprefix('inf_')}_{index + 1}"
            content = render_pattern_png(
                inference.width,
                inference.height,
                seed=inference.seed,
                prompt=inference.prompt,
                index=index,
            )
            self._images[file_id] = _StoredImage(inference, index, content)
            inference.files.append(
                File(
                    id=file_id,
                    name=f"{file_id}.png",
                    status="PROCESSED",
                    content_type="image/png",
                    url=f"{self.files_url}/files/{file_id}.png",
                    preview_url=f"{self.files_url}/files/{file_id}/preview.png",
                    size_bytes=len(content),
                    width=inference.width,
                    height=inference.height,
                    created_at=now,
                )
            )

    def content(self, file_id: str, *, preview: bool = False) -> bytes | None:
        """Return a file's PNG bytes, or its preview's; None if it is gone.

        Files of DELETED and CANCELLED inferences are gone.
        """
        stored = self._images.get(file_id)
        if stored is None or stored.inference.status in ("DELETED", "CANCELLED"):
            return None
        if not preview:
            return stored.content
        if stored.preview is None:
            inference = stored.inference
            scale = min(1.0, PREVIEW_MAX_SIDE / max(inference.width, inference.height))
            stored.preview = render_pattern_png(
                max(1, round(inference.width * scale)),
                max(1, round(inference.height * scale)),
                seed=inference.seed,
                prompt=inference.prompt,
                index=stored.index,
            )
        return stored.preview
