"""Rules for the file URLs a download may request, and its request headers.

Generated files are served from signed URLs on another origin than the
API. The rules here keep the API token and cookies away from that origin,
reject plain http except on loopback, bound redirects, and keep the
signature in the query string out of logs and messages.
"""

from __future__ import annotations

import re

import httpx

from .config import is_loopback_host
from .errors import DownloadError

__all__ = [
    "DEFAULT_MAX_REDIRECTS",
    "FORWARDED_HEADERS",
    "REDIRECT_STATUSES",
    "build_file_request",
    "check_file_url",
    "redact_urls",
    "redirect_target",
    "url_for_log",
]

DEFAULT_MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# File requests keep only these headers from the client's defaults.
FORWARDED_HEADERS = frozenset({"host", "accept", "user-agent", "connection"})

_URL_QUERY = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^\s?#'\"<>]*)[?#][^\s'\"<>]*")


def _parse_url(url: str | httpx.URL, inference_id: str | None) -> httpx.URL:
    try:
        return httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise DownloadError(
            f"file URL is not a valid URL: {exc}", inference_id=inference_id
        ) from exc


def check_file_url(url: str | httpx.URL, *, inference_id: str | None = None) -> None:
    """Raise DownloadError unless `url` is https, or http to a loopback host.

    Loopback means 127.0.0.0/8, ::1 and localhost. URLs with a user name
    or password are rejected too, since httpx would send them as Basic auth.
    """
    parsed = _parse_url(url, inference_id)
    logged_url = url_for_log(parsed)
    if parsed.scheme not in ("http", "https"):
        raise DownloadError(
            f"file URL scheme {parsed.scheme!r} is not supported; "
            "only https is accepted",
            url=logged_url,
            inference_id=inference_id,
        )
    if parsed.userinfo:
        raise DownloadError(
            f"file URL {logged_url} contains a user name or password; it was rejected "
            "so that no credentials are sent",
            url=logged_url,
            inference_id=inference_id,
        )
    if not parsed.host:
        raise DownloadError(
            f"file URL {logged_url} has no host",
            url=logged_url,
            inference_id=inference_id,
        )
    if parsed.scheme == "http" and not is_loopback_host(parsed.host):
        raise DownloadError(
            f"file URL {logged_url} uses plain http to a host that is not loopback; "
            "only https is accepted outside 127.0.0.0/8, ::1 and localhost",
            url=logged_url,
            inference_id=inference_id,
        )


def url_for_log(url: str | httpx.URL) -> str:
    """Return scheme, host, port and path of `url`, without query or fragment.

    Signed file URLs carry credentials in the query string, so messages and
    logs show only this form.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<invalid URL>"
    port = f":{parsed.port}" if parsed.port is not None else ""
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}{port}{parsed.path}"


def redirect_target(
    response: httpx.Response,
    *,
    redirects_done: int,
    max_redirects: int,
    inference_id: str | None = None,
) -> httpx.URL | None:
    """Return the URL to follow for a redirect response, or None for others.

    The target is resolved against the response URL and checked with
    `check_file_url`. A redirect from a remote host to a loopback host is
    rejected, so a file server cannot point downloads at local services.
    Raises DownloadError past `max_redirects` or on a missing Location.
    """
    if response.status_code not in REDIRECT_STATUSES:
        return None
    source = response.url
    logged_url = url_for_log(source)
    if redirects_done >= max_redirects:
        raise DownloadError(
            f"too many redirects: more than {max_redirects} starting from the "
            f"file URL, last at {logged_url}; increase max_redirects if this is expected",
            status_code=response.status_code,
            url=logged_url,
            inference_id=inference_id,
        )
    location = response.headers.get("location")
    if not location:
        raise DownloadError(
            f"redirect from {logged_url} has no Location header",
            status_code=response.status_code,
            url=logged_url,
            inference_id=inference_id,
        )
    try:
        target = source.join(location)
    except httpx.InvalidURL as exc:
        raise DownloadError(
            f"redirect from {logged_url} has an invalid Location: {exc}",
            status_code=response.status_code,
            url=logged_url,
            inference_id=inference_id,
        ) from exc
    check_file_url(target, inference_id=inference_id)
    if is_loopback_host(target.host) and not is_loopback_host(source.host):
        raise DownloadError(
            f"redirect from {logged_url} to loopback host {target.host!r} rejected",
            status_code=response.status_code,
            url=logged_url,
            inference_id=inference_id,
        )
    return target


def build_file_request(
    client: httpx.Client | httpx.AsyncClient,
    url: httpx.URL,
    *,
    timeout: httpx.Timeout | float | None = None,
) -> httpx.Request:
    """Build a GET for a file URL that carries no credential of the API.

    The client's defaults are merged by `build_request`, then every header
    but FORWARDED_HEADERS is deleted, so Authorization, Cookie and custom
    API headers do not reach the file server. A request event hook
    installed on the client still runs at send time and could add them
    back. Accept-Encoding is set to
    identity so that Content-Length and the API's size both count the
    stored bytes. A `timeout` of None keeps the client's own timeout.
    """
    if timeout is None:
        request = client.build_request("GET", url)
    else:
        request = client.build_request("GET", url, timeout=timeout)
    for name in set(request.headers.keys()):
        if name not in FORWARDED_HEADERS:
            del request.headers[name]
    request.headers["Accept-Encoding"] = "identity"
    return request


def redact_urls(text: str) -> str:
    """Remove query strings and fragments from every URL inside `text`."""
    return _URL_QUERY.sub(r"\1", text)
