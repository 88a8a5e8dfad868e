"""Saving the files of an inference with an httpx.AsyncClient.

The decisions live in `layer_client.downloads`. This module only sends the
requests, reads the bodies and runs files side by side as asyncio tasks.

Body chunks are written to disk synchronously from the event loop, and the
final fsync and rename run there too. This is acceptable for local disks,
where writing one network chunk (httpcore reads up to 64 KiB at a time)
usually lands in the page cache and returns at once. The fsync waits for the disk, and on a slow network file
system other tasks stall while a file is written.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random as random_module
import time
from collections.abc import Awaitable, Callable
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

__all__ = ["download_inference_async"]

logger = logging.getLogger("layer_client.downloads")


async def download_inference_async(
    http_client: httpx.AsyncClient,
    inference: InferenceFields,
    out_dir: str | os.PathLike[str],
    *,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
    max_redirects: int = DEFAULT_MAX_REDIRECTS,
    timeout: httpx.Timeout | float | None = None,
    skip_existing: bool = True,
    attempts: int = DEFAULT_ATTEMPTS,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
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
    `saved_paths` listing the files on disk. Cancellation and
    KeyboardInterrupt remove the temporary files before they propagate.
    """
    targets, outcomes, pending = start_downloads(
        inference,
        out_dir,
        max_concurrency=max_concurrency,
        max_redirects=max_redirects,
        attempts=attempts,
        skip_existing=skip_existing,
    )
    semaphore = asyncio.Semaphore(max_concurrency)

    async def download(target: FileTarget) -> None:
        async with semaphore:
            outcomes[target.index] = await _download_file(
                http_client,
                target,
                max_redirects=max_redirects,
                timeout=timeout,
                attempts=attempts,
                sleep=sleep,
                random=random,
            )

    # Each task returns its DownloadError as an outcome, so the group only
    # aborts the others on cancellation or KeyboardInterrupt.
    async with asyncio.TaskGroup() as group:
        for target in pending:
            group.create_task(download(target))
    return collect_results(targets, outcomes)


async def _download_file(
    client: httpx.AsyncClient,
    target: FileTarget,
    *,
    max_redirects: int,
    timeout: httpx.Timeout | float | None,
    attempts: int,
    sleep: Callable[[float], Awaitable[None]],
    random: Callable[[], float],
) -> Path | DownloadError:
    """Fetch one file with retries; return its path or the final error."""
    for attempt in range(1, attempts + 1):
        try:
            size = await _fetch_once(
                client,
                target,
                max_redirects=max_redirects,
                timeout=timeout,
                attempt=attempt,
            )
        except TransientDownloadError as error:
            if attempt == attempts:
                log_outcome(target, error)
                return error
            delay = retry_delay(attempt, random)
            log_retry(error, target, attempt, attempts, delay)
            await sleep(delay)
            continue
        except DownloadError as error:
            log_outcome(target, error)
            return error
        log_outcome(target, size)
        return target.path
    raise AssertionError("the retry loop always returns")


async def _fetch_once(
    client: httpx.AsyncClient,
    target: FileTarget,
    *,
    max_redirects: int,
    timeout: httpx.Timeout | float | None,
    attempt: int,
) -> int:
    """Fetch one file once, following redirects by hand; return its size."""
    receiver = FileReceiver(target)
    url = httpx.URL(target.url)
    redirects = 0
    try:
        while True:
            request = build_file_request(client, url, timeout=timeout)
            started = time.monotonic()
            # auth=None keeps a client-level httpx.Auth from signing the request.
            response = await client.send(
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
                async for chunk in response.aiter_bytes():
                    receiver.write(chunk, raw_received=response.num_bytes_downloaded)
                return receiver.commit(raw_received=response.num_bytes_downloaded)
            finally:
                await response.aclose()
    except DownloadError:
        receiver.discard()
        raise
    except Exception as exc:
        receiver.discard()
        raise error_from_exception(exc, target, url_for_log(url)) from exc
    except BaseException:
        receiver.discard()
        raise
