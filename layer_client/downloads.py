"""Decisions shared by the sync and async downloads of generated files.

`download_sync.download_inference` and `download_async.download_inference_async`
do the network I/O. Everything they decide lives in this module and the
ones it re-exports, so both behave the same:

- `download_plan`: the output directory, file names, files already saved.
- `download_urls`: which URLs may be fetched, redirects, request headers.
- `download_checks`: status, error pages and sizes of a response.
- here: options, retries, error wrapping, logging and the final result.

Apart from the filesystem checks in `prepare_out_dir` and
`is_already_saved`, none of them touches the disk or the network.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import httpx
from layer_graphql.fragments import InferenceFields

from .download_checks import (
    RETRY_STATUSES,
    SNIFF_BYTES,
    TransientDownloadError,
    check_content_length,
    check_error_body,
    parse_content_length,
)
from .download_plan import (
    FileTarget,
    extension_for,
    is_already_saved,
    plan_downloads,
    prepare_out_dir,
)
from .download_urls import (
    DEFAULT_MAX_REDIRECTS,
    REDIRECT_STATUSES,
    build_file_request,
    check_file_url,
    redact_urls,
    redirect_target,
    url_for_log,
)
from .errors import DownloadError, LayerInputError

__all__ = [
    "DEFAULT_ATTEMPTS",
    "DEFAULT_MAX_CONCURRENCY",
    "DEFAULT_MAX_REDIRECTS",
    "REDIRECT_STATUSES",
    "RETRY_STATUSES",
    "SNIFF_BYTES",
    "FileTarget",
    "TransientDownloadError",
    "build_file_request",
    "check_content_length",
    "check_download_options",
    "check_error_body",
    "check_file_url",
    "collect_results",
    "error_from_exception",
    "extension_for",
    "is_already_saved",
    "log_outcome",
    "log_retry",
    "parse_content_length",
    "plan_downloads",
    "prepare_out_dir",
    "redact_urls",
    "redirect_target",
    "retry_delay",
    "start_downloads",
    "url_for_log",
]

logger = logging.getLogger("layer_client.downloads")

DEFAULT_MAX_CONCURRENCY = 4
DEFAULT_ATTEMPTS = 3


def check_download_options(
    *, max_concurrency: int, max_redirects: int, attempts: int
) -> None:
    """Raise LayerInputError for option values no download can use."""
    for field, value, minimum in (
        ("max_concurrency", max_concurrency, 1),
        ("max_redirects", max_redirects, 0),
        ("attempts", attempts, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise LayerInputError(
                f"{field} must be an int of at least {minimum}, got {value!r}",
                field=field,
            )


def retry_delay(
    attempt: int,
    random: Callable[[], float],
    *,
    base: float = 0.5,
    cap: float = 8.0,
) -> float:
    """Return the seconds to wait after failed attempt number `attempt` (from 1).

    The ceiling doubles with each attempt from `base` up to `cap`. The
    delay is half the ceiling plus a random share of the other half, so
    concurrent downloads do not retry in step.
    """
    ceiling = min(cap, base * 2.0 ** (attempt - 1))
    return ceiling / 2 + random() * ceiling / 2


def collect_results(
    targets: Sequence[FileTarget], outcomes: Mapping[int, Path | DownloadError]
) -> list[Path]:
    """Return the saved paths in file order, or raise the first failure.

    `outcomes` maps each target's index to its saved path or its error. The
    raised error has `saved_paths`, the files that are on disk, so callers
    can keep what succeeded.
    """
    saved_paths: list[Path] = []
    failures: list[DownloadError] = []
    for target in targets:
        outcome = outcomes.get(target.index)
        if isinstance(outcome, Path):
            saved_paths.append(outcome)
        elif isinstance(outcome, DownloadError):
            failures.append(outcome)
        else:
            raise RuntimeError(f"no download outcome for file {target.index}")
    if not failures:
        return saved_paths

    first = failures[0]
    first.saved_paths = saved_paths
    listed = ", ".join(str(path) for path in saved_paths) or "none"
    first.add_note(
        f"{len(failures)} of {len(targets)} files failed; "
        f"{len(saved_paths)} saved: {listed}"
    )
    raise first


def start_downloads(
    inference: InferenceFields,
    out_dir: str | os.PathLike[str],
    *,
    max_concurrency: int,
    max_redirects: int,
    attempts: int,
    skip_existing: bool,
) -> tuple[list[FileTarget], dict[int, Path | DownloadError], list[FileTarget]]:
    """Check the options and the directory, plan the files, find those to fetch.

    Returns every target, the outcomes known so far (files already saved,
    when `skip_existing`) and the targets still to download. Raises before
    any request is sent when an option, the directory or a file URL is bad.
    """
    check_download_options(
        max_concurrency=max_concurrency, max_redirects=max_redirects, attempts=attempts
    )
    directory = prepare_out_dir(out_dir)
    targets = plan_downloads(inference, directory)

    outcomes: dict[int, Path | DownloadError] = {}
    pending: list[FileTarget] = []
    for target in targets:
        if skip_existing and is_already_saved(target):
            logger.info(
                "download skipped, file exists: inference %s, %s",
                target.inference_id,
                target.path,
            )
            outcomes[target.index] = target.path
        else:
            pending.append(target)
    return targets, outcomes, pending


def error_from_exception(exc: Exception, target: FileTarget, url: str) -> DownloadError:
    """Wrap an exception raised while fetching or saving `target` in a DownloadError.

    Timeouts, network errors and broken responses become
    TransientDownloadError. `url` is the URL in flight, already stripped of
    its query string. The message of `exc` is stripped of query strings too.
    """
    if isinstance(exc, DownloadError):
        return exc
    detail = redact_urls(str(exc)) or "no detail"
    context = {"url": url, "inference_id": target.inference_id}
    if isinstance(
        exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError
    ):
        return TransientDownloadError(
            f"download of file {target.index} from {url} failed: "
            f"{type(exc).__name__}: {detail}",
            **context,
        )
    if isinstance(exc, OSError):
        return DownloadError(
            f"could not save file {target.index} to {target.path}: "
            f"{exc.strerror or detail}; check free space and permissions",
            **context,
        )
    return DownloadError(
        f"download of file {target.index} from {url} failed: "
        f"{type(exc).__name__}: {detail}",
        **context,
    )


def log_retry(
    error: DownloadError, target: FileTarget, attempt: int, attempts: int, delay: float
) -> None:
    """Log a failed attempt that will be retried after `delay` seconds."""
    logger.warning(
        "download retry %d of %d in %.2f s: inference %s, file %d: %s",
        attempt,
        attempts - 1,
        delay,
        target.inference_id,
        target.index,
        error,
    )


def log_outcome(target: FileTarget, outcome: int | DownloadError) -> None:
    """Log a finished file: INFO with its size when saved, WARNING on failure."""
    if isinstance(outcome, DownloadError):
        logger.warning(
            "download failed: inference %s, file %d, %s: %s",
            target.inference_id,
            target.index,
            target.path,
            outcome,
        )
        return
    logger.info(
        "download done: inference %s, %s, %d bytes",
        target.inference_id,
        target.path,
        outcome,
    )
