"""Checks on a file response: status, error pages and sizes.

A file server that fails often still returns 200 with an HTML or XML error
page, or closes the connection early. These checks make sure neither ends
up saved as an image.
"""

from __future__ import annotations

import httpx

from .download_plan import FileTarget
from .errors import DownloadError

__all__ = [
    "RETRY_STATUSES",
    "SNIFF_BYTES",
    "TransientDownloadError",
    "check_content_length",
    "check_error_body",
    "parse_content_length",
]

# Statuses besides 5xx after which a retry may help: timeout and rate limit.
# NOTE: a Retry-After header is not read; the usual backoff applies.
RETRY_STATUSES = frozenset({408, 429})

# Bytes of the body read before deciding whether it is an error page.
SNIFF_BYTES = 512

_ERROR_PAGE_PREFIXES = (b"<!doctype", b"<html", b"<?xml", b"<error>")


class TransientDownloadError(DownloadError):
    """A download failure that another attempt may fix.

    Raised for 5xx, 408 and 429 responses, network errors, timeouts and
    bodies shorter than announced. After the last attempt it reaches the
    caller like any other DownloadError.
    """


def check_error_body(content_type: str | None, first_bytes: bytes) -> str | None:
    """Return why a response looks like an error page rather than media.

    Checks the content type (HTML, XML, JSON, any text/*) and then the
    first bytes for `<!doctype`, `<html`, `<?xml` or `<Error>`, ignoring
    case, leading whitespace and a UTF-8 byte order mark. Returns None for
    a body that looks like media. An SVG image is XML by nature, so
    `image/svg+xml` skips the sniffing.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type.startswith("text/"):
        return f"the server sent {media_type} instead of a media file"
    if media_type in ("application/json", "application/xml") or (
        media_type.startswith("application/") and media_type.endswith(("+json", "+xml"))
    ):
        return f"the server sent {media_type} instead of a media file"
    if media_type == "image/svg+xml":
        return None

    start = first_bytes.removeprefix(b"\xef\xbb\xbf").lstrip()[:16].lower()
    for prefix in _ERROR_PAGE_PREFIXES:
        if start.startswith(prefix):
            return (
                f"the body starts with {prefix.decode()!r}, "
                "an HTML or XML error page, not a media file"
            )
    return None


def parse_content_length(
    headers: httpx.Headers, *, inference_id: str | None = None
) -> int | None:
    """Return the Content-Length as an int, or None when it is absent.

    Raises DownloadError when it is not a non-negative integer, or when
    repeated values differ.
    """
    values = headers.get_list("content-length", split_commas=True)
    if not values:
        return None
    distinct = {value.strip() for value in values}
    if len(distinct) != 1 or not next(iter(distinct)).isdigit():
        raise DownloadError(
            f"invalid Content-Length header {', '.join(values)!r}",
            inference_id=inference_id,
        )
    return int(next(iter(distinct)))


def check_content_length(
    target: FileTarget,
    *,
    declared: int | None,
    raw_received: int,
    body_received: int,
    url: str,
) -> None:
    """Raise DownloadError when the received size differs from what was announced.

    `declared` is the Content-Length, compared with the bytes on the wire
    (`raw_received`). The API's size_bytes is compared with the stored
    bytes (`body_received`). A short body raises TransientDownloadError,
    because a retry may get the whole file.
    """
    for label, expected, received in (
        ("Content-Length", declared, raw_received),
        ("the size the API reported", target.expected_size, body_received),
    ):
        if expected is None or expected == received:
            continue
        if received < expected:
            raise TransientDownloadError(
                f"download of file {target.index} from {url} is truncated: "
                f"received {received} of {expected} bytes ({label})",
                url=url,
                inference_id=target.inference_id,
            )
        raise DownloadError(
            f"download of file {target.index} from {url} received {received} "
            f"bytes, more than {label} ({expected} bytes)",
            url=url,
            inference_id=target.inference_id,
        )
    if body_received == 0:
        raise TransientDownloadError(
            f"download of file {target.index} from {url} returned an empty body",
            url=url,
            inference_id=target.inference_id,
        )
