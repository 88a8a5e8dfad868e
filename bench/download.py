"""Download throughput and memory: the clients' download against raw httpx streaming.

The file comes from a loopback server in a child process (`bench.fileserver`)
because the emulator's file origin serves generated PNGs of a few MB at
most, not 100 MB. Every contender writes the body to a file on the same
disk. The clients also fsync the file and rename it into place, so a raw
contender that does the same shows what that durability costs. Throughput is measured without tracing. Then one traced run of each
records the peak of Python allocations (tracemalloc) during the download,
which is the memory growth a caller sees.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from layer_client import AsyncLayerClient, Inference, LayerClient

from .stats import Row, format_table, ratios, summarize

__all__ = ["run"]

BASELINE = "raw httpx stream"
ASYNC_BASELINE = "raw async httpx stream"
ASYNC_CLIENT = "AsyncLayerClient.download"
MIB = 1024 * 1024
CHUNK_SIZE = 64 * 1024


@contextmanager
def file_server(size: int) -> Iterator[str]:
    """Start `bench.fileserver` serving `size` bytes; yield the file URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.fileserver", str(size)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}/file.png"
    finally:
        process.terminate()
        process.wait(timeout=10)


def complete_inference(url: str, size: int) -> Inference:
    """Return a COMPLETE inference whose only file is `url`."""
    return Inference.model_validate(
        {
            "__typename": "Inference",
            "id": "inf_bench_download",
            "status": "COMPLETE",
            "errorCode": None,
            "createdAt": "2025-08-01T12:00:00.000Z",
            "etaAt": None,
            "files": [
                {
                    "__typename": "File",
                    "id": "file_bench_download",
                    "status": "PROCESSED",
                    "url": url,
                    "previewUrl": None,
                    "contentType": "image/png",
                    "sizeBytes": size,
                    "width": 512,
                    "height": 512,
                }
            ],
        }
    )


def contenders(
    url: str, size: int, out_dir: Path
) -> tuple[dict[str, Callable[[], int]], Callable[[], None]]:
    """Build one call per contender (returning bytes saved) and a cleanup."""
    raw_http = httpx.Client(timeout=60.0)
    layer = LayerClient(
        "bench-token",
        workspace_id="ws_bench",
        api_url="http://127.0.0.1:9/graphql",
    )
    inference = complete_inference(url, size)

    def raw() -> int:
        target = out_dir / "raw.png"
        with raw_http.stream("GET", url) as response, target.open("wb") as file:
            response.raise_for_status()
            for chunk in response.iter_bytes(CHUNK_SIZE):
                file.write(chunk)
        saved = target.stat().st_size
        target.unlink()
        return saved

    def raw_durable() -> int:
        # What the clients add on top of streaming: a temporary file, fsync,
        # rename into place, and fsync of the folder.
        target = out_dir / "raw-durable.png"
        temporary = out_dir / ".raw-durable.png.part"
        with raw_http.stream("GET", url) as response, temporary.open("wb") as file:
            response.raise_for_status()
            for chunk in response.iter_bytes(CHUNK_SIZE):
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        temporary.replace(target)
        folder = os.open(out_dir, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        saved = target.stat().st_size
        target.unlink()
        return saved

    def layer_download() -> int:
        (path,) = layer.download(inference, out_dir)
        saved = path.stat().st_size
        path.unlink()
        return saved

    # One event loop for every async call, because the AsyncClient's pooled
    # connections belong to the loop that opened them.
    loop = asyncio.new_event_loop()
    async_layer = AsyncLayerClient(
        "bench-token",
        workspace_id="ws_bench",
        api_url="http://127.0.0.1:9/graphql",
    )

    async_raw_http = httpx.AsyncClient(timeout=60.0)

    async def stream_async() -> int:
        target = out_dir / "raw-async.png"
        async with async_raw_http.stream("GET", url) as response:
            response.raise_for_status()
            with target.open("wb") as file:
                async for chunk in response.aiter_bytes(CHUNK_SIZE):
                    file.write(chunk)
        saved = target.stat().st_size
        target.unlink()
        return saved

    def raw_async() -> int:
        return loop.run_until_complete(stream_async())

    def async_layer_download() -> int:
        (path,) = loop.run_until_complete(async_layer.download(inference, out_dir))
        saved = path.stat().st_size
        path.unlink()
        return saved

    def close() -> None:
        raw_http.close()
        layer.close()
        loop.run_until_complete(async_layer.aclose())
        loop.run_until_complete(async_raw_http.aclose())
        loop.close()

    calls = {
        BASELINE: raw,
        "raw httpx stream + fsync": raw_durable,
        "LayerClient.download": layer_download,
        ASYNC_BASELINE: raw_async,
        ASYNC_CLIENT: async_layer_download,
    }
    return calls, close


def memory_folder() -> str | None:
    """Return /dev/shm when it exists, else None for the default temporary folder.

    A memory-backed folder keeps disk latency, which varies a lot on shared
    machines, out of a comparison of client code. There fsync returns at once.
    """
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def traced_peak(call: Callable[[], int]) -> float:
    """Return the peak of traced allocations during one call, in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return float(peak - before)


def run(quick: bool, reps: int | None = None) -> list[str]:
    """Download the file `reps` times per contender and print the ratios."""
    size = (20 if quick else 100) * MIB
    reps = reps or (3 if quick else 7)
    out_dir = Path(
        tempfile.mkdtemp(prefix="layer-bench-download-", dir=memory_folder())
    )
    try:
        with file_server(size) as url:
            calls, close = contenders(url, size, out_dir)
            try:
                table = measure(calls, size, reps)
            finally:
                close()
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    table += f"\n  files written under {out_dir.parent}"
    print(table, flush=True)
    return [table]


def measure(calls: dict[str, Callable[[], int]], size: int, reps: int) -> str:
    for call in calls.values():  # warm-up, and a check that every byte arrives
        saved = call()
        if saved != size:
            raise RuntimeError(f"download saved {saved} bytes, expected {size}")

    throughput: dict[str, list[float]] = {name: [] for name in calls}
    order = list(calls)
    shuffler = random.Random(4)
    for _ in range(reps):
        shuffler.shuffle(order)
        for name in order:
            gc.collect()
            start = time.perf_counter()
            calls[name]()
            throughput[name].append(size / (time.perf_counter() - start))

    peaks = {name: traced_peak(call) for name, call in calls.items()}
    rows = []
    for name in calls:
        speed = summarize(throughput[name]).median / MIB
        target = ""
        if name.endswith(".download"):
            target = "(target >= 0.90x, < 20 MiB growth)"
        rows.append(
            Row(
                name,
                summarize(ratios(throughput[name], throughput[BASELINE])),
                f"{speed:6.0f} MiB/s, peak traced memory {peaks[name] / MIB:5.2f} MiB",
                target,
            )
        )
    title = f"download of {size // MIB} MiB from a loopback server, throughput"
    table = format_table(title, BASELINE, rows)

    # httpx streams slower on asyncio than in a blocking client, so the async
    # client is also compared with raw async httpx.
    async_ratio = summarize(
        ratios(throughput[ASYNC_CLIENT], throughput[ASYNC_BASELINE])
    )
    return (
        f"{table}\n  {ASYNC_CLIENT} to {ASYNC_BASELINE}: "
        f"{async_ratio.median:.2f}x [{async_ratio.spread()}]"
    )
