"""Output paths for the generated files of an inference.

Names are built from the inference id and the file's position only, never
from a name the server sends, and the id is cleaned so that no name can
leave the output directory.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from layer_graphql.fragments import InferenceFields

from .download_urls import check_file_url
from .errors import DownloadError, LayerInputError

__all__ = [
    "FileTarget",
    "extension_for",
    "is_already_saved",
    "plan_downloads",
    "prepare_out_dir",
]

_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/pjpeg": "jpg",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/avif": "avif",
    "image/svg+xml": "svg",
    "video/mp4": "mp4",
    "model/gltf-binary": "glb",
}

_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]+")
_UNSAFE_CHAR = re.compile(r"[^A-Za-z0-9._-]")
_MAX_STEM_CHARS = 100


@dataclass(frozen=True)
class FileTarget:
    """One generated file to fetch and the place where it is saved."""

    url: str
    path: Path
    temp_path: Path
    expected_size: int | None
    inference_id: str
    index: int
    content_type: str | None
    file_id: str | None = None


def prepare_out_dir(out_dir: str | os.PathLike[str]) -> Path:
    """Create `out_dir` with its parents when missing and return it resolved.

    Raises LayerInputError(field="out_dir") when the path is empty, is an
    existing file, cannot be created, or is not writable.
    """
    if not isinstance(out_dir, str | os.PathLike):
        raise LayerInputError(
            f"out_dir must be a path, got {type(out_dir).__name__}", field="out_dir"
        )
    if os.fspath(out_dir) == "":
        raise LayerInputError(
            "out_dir is empty; pass '.' to save into the current directory",
            field="out_dir",
        )

    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise LayerInputError(
            f"out_dir {str(path)!r} is an existing file, not a directory; "
            "pass a directory path or move the file away",
            field="out_dir",
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise LayerInputError(
            f"out_dir {str(path)!r} could not be created ({reason}); "
            "pass a directory you can write to",
            field="out_dir",
        ) from exc
    if not os.access(path, os.W_OK | os.X_OK):
        raise LayerInputError(
            f"out_dir {str(path)!r} is not writable; "
            "fix its permissions or pass another directory",
            field="out_dir",
        )
    return path.resolve()


def extension_for(content_type: str | None) -> str:
    """Return the file extension for a MIME type, or "bin" when it is unknown."""
    if not content_type:
        return "bin"
    media_type = content_type.split(";", 1)[0].strip().lower()
    return _EXTENSIONS.get(media_type, "bin")


def _safe_stem(inference_id: str) -> str:
    """Turn an inference id into a file name stem that cannot leave a directory.

    Ids made of [A-Za-z0-9._-] without a leading dot are kept as they are.
    Any other id is cleaned and gets a hash of the original appended, so
    two ids that clean to the same text still get different names.
    """
    if (
        _SAFE_NAME.fullmatch(inference_id)
        and not inference_id.startswith(".")
        and len(inference_id) <= _MAX_STEM_CHARS
    ):
        return inference_id

    cleaned = _UNSAFE_CHAR.sub("_", inference_id)
    cleaned = re.sub(r"^\.+", lambda match: "_" * len(match.group()), cleaned)
    cleaned = cleaned[: _MAX_STEM_CHARS - 9] or "inference"
    digest = hashlib.sha256(inference_id.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{cleaned}-{digest[:8]}"


def plan_downloads(inference: InferenceFields, out_dir: Path) -> list[FileTarget]:
    """Return one FileTarget per file of `inference`, in file order.

    Files are named `<inference id>-<n>.<ext>` with n counted from 1 and the
    extension taken from the content type. No other part of a name comes
    from the server. Every URL is checked with `check_file_url`, so a bad
    file fails the whole plan before any request is sent.

    Raises DownloadError for a file without a URL or with a rejected URL.
    """
    directory = out_dir.resolve()
    stem = _safe_stem(inference.id)
    targets: list[FileTarget] = []

    for index, file in enumerate(inference.files, start=1):
        if not file.url:
            status = file.status.value if file.status is not None else "unknown"
            raise DownloadError(
                f"file {file.id!r} has no URL "
                f"(file status {status}); wait until the inference is COMPLETE "
                "and its files are PROCESSED, then download again",
                inference_id=inference.id,
            )
        check_file_url(file.url, inference_id=inference.id)

        name = f"{stem}-{index}.{extension_for(file.content_type)}"
        path = directory / name
        # resolve() follows a symlink already sitting at the final name, so
        # a link that points out of the directory is rejected here too.
        if path.name != name or path.resolve().parent != directory:
            raise DownloadError(
                f"file {str(path)!r} resolves outside {str(directory)!r}; "
                "remove the link or pick another out_dir",
                inference_id=inference.id,
            )
        # A size of 0 or less means the API does not know it yet.
        expected_size = (
            file.size_bytes if file.size_bytes and file.size_bytes > 0 else None
        )
        targets.append(
            FileTarget(
                url=file.url,
                path=path,
                temp_path=directory / f".{name}.{secrets.token_hex(6)}.part",
                expected_size=expected_size,
                inference_id=inference.id,
                index=index,
                content_type=file.content_type,
                file_id=file.id,
            )
        )
    return targets


def is_already_saved(target: FileTarget) -> bool:
    """Return True when the final file exists and has the expected size.

    With no expected size any non-empty regular file counts, because files
    are only ever moved into place once complete. An empty file never
    counts, since a download never saves an empty body.
    """
    try:
        status = target.path.stat()
    except OSError:
        return False
    if not stat.S_ISREG(status.st_mode):
        return False
    if target.expected_size is None:
        return status.st_size > 0
    return status.st_size == target.expected_size
