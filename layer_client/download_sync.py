"""Saving the files of an inference with a blocking httpx.Client.

The decisions live in `layer_client.downloads`. This module only sends the
requests, reads the bodies and runs files side by side in a thread pool.
"""

from __future__ import annotations

import logging
import os
import random as random_module
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import httpx
from layer_graphql.fragments import InferenceFields

from .download_receiver import FileReceiver
from .downloads import (
    DEFAULT_ATTEMPTS,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_MAX_REDIRECTS,
    FileTarget,
    TransientDownloadError,
    build_file_request,
    collect_results,
    error_from_exception,
    log_outcome,
    log_retry,
    redirect_target,
    retry_delay,
    start_downloads,
    url_for_log,
)
from .errors import DownloadError

__all__ = ["download_inference"]

logger = logging.getLogger("layer_client.downloads")


class _DownloadCancelled(BaseException):
    """Stops a worker thread after the caller was interrupted.

    It derives from BaseException so that the handlers that turn every
    Exception into a DownloadError let it through.
    """


def download_inference(
    http_client: httpx.Client,
    inference: InferenceFields,
    out_dir: str | os.PathLike[str],
    *,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    timeout: httpx.Timeout | float | None = None,
    skip_existing: bool = True,
    attempts: int = DEFAULT_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
    random: Callable[[], float] = random_module.random,
) -> list[Path]:
    """Download every file of `inference` into `out_dir` and return the paths.

    Files are saved as `<inference id>-<n>.<ext>` in file order, up to
    `max_concurrency` at a time. Requests never carry the client's
    Authorization, Cookie or other custom headers. `timeout` of None keeps
    the client's timeout. Each file gets `attempts` tries against transient
    failures, waiting with `sleep` in between. With `skip_existing`, a file
    already on disk with the expected size is not requested again.

    Raises LayerInputError for a bad option or `out_dir` and DownloadError
    for a bad file URL, both before any request. When files fail, the
    others still finish, then the first failure is raised with
    `saved_paths` listing the files on disk. KeyboardInterrupt stops the
    downloads, removes their temporary files and is re-raised.
    """
    targets, outcomes, pending = start_downloads(
        inference,
        out_dir,
        max_concurrency=max_concurrency,
        max_redirects=max_redirects,
        attempts=attempts,
        skip_existing=skip_existing,
    )
    if not pending:
        return collect_results(targets, outcomes)

    cancelled = threading.Event()

    def download(target: FileTarget) -> Path | DownloadError:
        return _download_file(
            http_client,
            target,
            max_redirects=max_redirects,
            timeout=timeout,
            attempts=attempts,
            sleep=sleep,
            random=random,
            cancelled=cancelled,
        )

    workers = min(max_concurrency, len(pending))
    with ThreadPoolExecutor(workers, thread_name_prefix="layer-download") as pool:
        futures = {pool.submit(download, target): target for target in pending}
        try:
            for future in as_completed(futures):
                outcomes[futures[future].index] = future.result()
        except BaseException:
            # Leaving the with block waits for the running workers. They stop
            # at their next chunk and remove their temporary files first.
            cancelled.set()
            for future in futures:
                future.cancel()
            raise
    return collect_results(targets, outcomes)


def _download_file(
    client: httpx.Client,
    target: FileTarget,
    *,
    max_redirects: int,
    timeout: httpx.Timeout | float | None,
    attempts: int,
    sleep: Callable[[float], None],
    random: Callable[[], float],
    cancelled: threading.Event,
) -> Path | DownloadError:
    """Fetch one file with retries; return its path or the final error."""
    for attempt in range(1, attempts + 1):
        try:
            size = _fetch_once(
                client,
                target,
                max_redirects=max_redirects,
                timeout=timeout,
                attempt=attempt,
                cancelled=cancelled,
            )
        except TransientDownloadError as error:
            if attempt == attempts:
                log_outcome(target, error)
                return error
            delay = retry_delay(attempt, random)
            log_retry(error, target, attempt, attempts, delay)
            sleep(delay)
            continue
        except DownloadError as error:
            log_outcome(target, error)
            return error
        log_outcome(target, size)
        return target.path
    raise AssertionError("the retry loop always returns")


def _fetch_once(
    client: httpx.Client,
    target: FileTarget,
    *,
    max_redirects: int,
    timeout: httpx.Timeout | float | None,
    attempt: int,
    cancelled: threading.Event,
) -> int:
    """Fetch one file once, following redirects by hand; return its size."""
    receiver = FileReceiver(target)
    url = httpx.URL(target.url)
    redirects = 0
    try:
        while True:
            if cancelled.is_set():
                raise _DownloadCancelled
            request = build_file_request(client, url, timeout=timeout)
            started = time.monotonic()
            # auth=None keeps a client-level httpx.Auth from signing the request.
            response = client.send(
                request, stream=True, auth=None, follow_redirects=False
            )
            try:
                logger.debug(
                    "download GET %s: HTTP %d in %.3f s "
                    "(inference %s, file %d, attempt %d, redirect %d)",
                    url_for_log(url),
                    response.status_code,
                    time.monotonic() - started,
                    target.inference_id,
                    target.index,
                    attempt,
                    redirects,
                )
                next_url = redirect_target(
                    response,
                    redirects_done=redirects,
                    max_redirects=max_redirects,
                    inference_id=target.inference_id,
                )
                if next_url is not None:
                    url = next_url
                    redirects += 1
                    continue

                receiver.accept(response)
                for chunk in response.iter_bytes():
                    if cancelled.is_set():
                        raise _DownloadCancelled
                    receiver.write(chunk, raw_received=response.num_bytes_downloaded)
                return receiver.commit(raw_received=response.num_bytes_downloaded)
            finally:
                response.close()
    except DownloadError:
        receiver.discard()
        raise
    except Exception as exc:
        receiver.discard()
        raise error_from_exception(exc, target, url_for_log(url)) from exc
    except BaseException:
        receiver.discard()
        raise
