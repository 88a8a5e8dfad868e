"""Saving one response body to disk so that only complete files appear.

`FileReceiver` takes the response headers and the body chunks from either
the sync or the async download loop. It writes to a temporary file next to
the final one and moves it into place only after every check passed, so a
reader of the output directory finds a complete file or none.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import BinaryIO

import httpx

from .download_checks import (
    RETRY_STATUSES,
    SNIFF_BYTES,
    TransientDownloadError,
    check_content_length,
    check_error_body,
    parse_content_length,
)
from .download_plan import FileTarget
from .download_urls import url_for_log
from .errors import DownloadError

__all__ = ["FileReceiver"]

logger = logging.getLogger("layer_client.downloads")


class FileReceiver:
    """Receiver of one file body: a temporary file, then an atomic rename.

    Call `accept` with the final (non-redirect) response, `write` for each
    body chunk and `commit` at the end of the body. Call `discard` when
    anything fails. It removes the temporary file and is safe to call
    more than once, also after `commit`.
    """

    def __init__(self, target: FileTarget) -> None:
        self.target = target
        self._url = url_for_log(target.url)
        self._file: BinaryIO | None = None
        self._pending = bytearray()
        self._sniffed = False
        self._content_type: str | None = None
        self._declared: int | None = None
        self._received = 0
        self._committed = False

    def accept(self, response: httpx.Response) -> None:
        """Check the status and headers before any byte of the body is read.

        Raises DownloadError for a status outside 2xx, for 206 (this client
        never asks for a range), for an error content type and for an
        invalid Content-Length. 5xx, 408 and 429 raise TransientDownloadError.
        """
        self._url = url_for_log(response.url)
        status = response.status_code
        if not 200 <= status < 300 or status == 206:
            transient = status >= 500 or status in RETRY_STATUSES
            error_type = TransientDownloadError if transient else DownloadError
            raise error_type(
                f"download of file {self.target.index} from {self._url} "
                f"failed with HTTP {status} {response.reason_phrase}".rstrip(),
                status_code=status,
                url=self._url,
                inference_id=self.target.inference_id,
            )

        self._content_type = response.headers.get("content-type")
        reason = check_error_body(self._content_type, b"")
        if reason is not None:
            self._raise_error_body(reason, status)
        self._declared = parse_content_length(
            response.headers, inference_id=self.target.inference_id
        )

    def write(self, chunk: bytes, *, raw_received: int) -> None:
        """Store one body chunk.

        `raw_received` is the count of bytes read from the wire so far
        (httpx's `num_bytes_downloaded`), which Content-Length bounds.
        The first SNIFF_BYTES are held back until `check_error_body` has
        seen them, so an error page never reaches the disk.
        """
        self._received += len(chunk)
        self._check_not_over(raw_received)
        if self._sniffed:
            self._write(chunk)
            return
        self._pending += chunk
        if len(self._pending) >= SNIFF_BYTES:
            self._sniff()
            self._write(b"")

    def commit(self, *, raw_received: int) -> int:
        """Check sizes, make the file durable, move it into place, return its size."""
        if not self._sniffed:
            self._sniff()
        check_content_length(
            self.target,
            declared=self._declared,
            raw_received=raw_received,
            body_received=self._received,
            url=self._url,
        )
        self._write(b"")
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None

        os.replace(self.target.temp_path, self.target.path)
        self._committed = True
        _fsync_directory(self.target.path.parent)
        return self._received

    def discard(self) -> None:
        """Close and remove the temporary file if there is one, suppressing OSError."""
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
        if not self._committed:
            with contextlib.suppress(OSError):
                self.target.temp_path.unlink(missing_ok=True)

    def _check_not_over(self, raw_received: int) -> None:
        # NOTE: with neither Content-Length nor a size from the API, nothing
        # bounds the body, and a misbehaving server can fill the disk.
        for label, limit, received in (
            ("Content-Length", self._declared, raw_received),
            ("the size the API reported", self.target.expected_size, self._received),
        ):
            if limit is not None and received > limit:
                raise DownloadError(
                    f"download of file {self.target.index} from {self._url} "
                    f"sent more than {label} ({limit} bytes)",
                    url=self._url,
                    inference_id=self.target.inference_id,
                )

    def _sniff(self) -> None:
        reason = check_error_body(self._content_type, bytes(self._pending))
        if reason is not None:
            self._raise_error_body(reason, None)
        self._sniffed = True

    def _raise_error_body(self, reason: str, status: int | None) -> None:
        raise DownloadError(
            f"download of file {self.target.index} from {self._url} "
            f"was rejected: {reason}; nothing was saved",
            status_code=status,
            url=self._url,
            inference_id=self.target.inference_id,
        )

    def _write(self, chunk: bytes) -> None:
        if self._file is None:
            # "x" creates the file exclusively, so an existing file or a
            # planted symlink at the temporary name is never written through.
            self._file = open(self.target.temp_path, "xb")  # noqa: SIM115
        if self._pending:
            self._file.write(self._pending)
            self._pending.clear()
        if chunk:
            self._file.write(chunk)


def _fsync_directory(directory: Path) -> None:
    """Persist the rename on POSIX; other systems cannot open a directory."""
    if os.name != "posix":
        return
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError as exc:
        logger.debug("could not open %s to sync the rename: %s", directory, exc)
        return
    try:
        os.fsync(descriptor)
    except OSError as exc:
        logger.debug("could not sync directory %s: %s", directory, exc)
    finally:
        os.close(descriptor)
