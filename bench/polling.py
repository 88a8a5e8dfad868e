"""Polling cost on the emulator: requests sent and completion-detection delay.

Three ways to wait for N concurrent inferences, each on its own fresh batch:

- `wait_many`: AsyncLayerClient.wait_many, one getInferencesById request
  per 50 pending ids each round, steered by `etaAt`.
- `wait per id`: one AsyncLayerClient.wait per inference, gathered.
- `fixed 2 s poll` (the baseline): per inference, sleep 2 s and ask again
  through the generated client until the status is terminal.

The detection delay of an inference runs from its completion time in the
emulator (its `etaAt`, which the emulator keeps exact) to the moment the
client hands it back. Time is accelerated, and every duration is reported
in emulated seconds.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from layer_graphql import (
    GetInferencesByIdGetInferencesByIdInferencesResult,
    GetInferencesByIdInput,
)

from layer_client import AsyncLayerClient, Inference, is_terminal
from layer_client.emulator import Emulator, EmulatorConfig

from .emulated_time import EmulatedTime
from .stats import Row, format_table, ratios, summarize

__all__ = ["run"]

BASELINE = "fixed 2 s poll"
FIXED_INTERVAL = 2.0  # emulated seconds
MAX_IDS_PER_REQUEST = 50
POLL_OPERATION = "GetInferencesById"
# The emulator renders each PNG when its inference completes, in the same
# process as the client. Small images keep that work from delaying the
# client, which accelerated time would multiply by the speed factor.
IMAGE_SIDE = 64


@dataclass
class Outcome:
    """Result of one strategy on one batch of N inferences."""

    delays: list[float]  # emulated seconds, one per inference
    requests: int
    round_requests: list[int] = field(default_factory=list)


class Bench:
    """The emulator, its timeline and the client factory of one benchmark run."""

    def __init__(self, emulator: Emulator, time_line: EmulatedTime) -> None:
        self.emulator = emulator
        self.time = time_line

    def client(self, sleep: Callable[[float], Awaitable[None]]) -> AsyncLayerClient:
        return AsyncLayerClient(
            self.emulator.token,
            workspace_id=self.emulator.workspace_id,
            api_url=self.emulator.url,
            check_style=False,
            clock=self.time.monotonic,
            wall_clock=self.time.now,
            sleep=sleep,
        )

    def poll_requests(self) -> int:
        return self.emulator.counters.requests[POLL_OPERATION]

    async def submit(self, count: int) -> list[Inference]:
        async with self.client(self.time.sleep) as layer:
            return list(
                await asyncio.gather(
                    *(
                        layer.generate_images(
                            style_id=self.emulator.style_id,
                            prompt=f"polling {n}",
                            width=IMAGE_SIDE,
                            height=IMAGE_SIDE,
                        )
                        for n in range(count)
                    )
                )
            )

    def delays(
        self, inferences: list[Inference], seen: dict[str, float]
    ) -> list[float]:
        delays = []
        for inference in inferences:
            if inference.eta_at is None:
                raise RuntimeError(f"inference {inference.id} has no etaAt")
            delays.append(seen[inference.id] - self.time.seconds_of(inference.eta_at))
        return delays

    async def wait_many(self, inferences: list[Inference]) -> Outcome:
        snapshots: list[int] = []

        async def counting_sleep(seconds: float) -> None:
            # wait_many sleeps once before each round: the request counter at
            # each sleep separates the rounds.
            snapshots.append(self.poll_requests())
            await self.time.sleep(seconds)

        seen: dict[str, float] = {}
        before = self.poll_requests()
        async with self.client(counting_sleep) as layer:
            async for finished in layer.wait_many(inferences):
                seen[finished.id] = self.time.monotonic()
        after = self.poll_requests()
        snapshots.append(after)
        rounds = [later - earlier for earlier, later in itertools.pairwise(snapshots)]
        return Outcome(self.delays(inferences, seen), after - before, rounds)

    async def wait_per_id(self, inferences: list[Inference]) -> Outcome:
        seen: dict[str, float] = {}
        before = self.poll_requests()
        async with self.client(self.time.sleep) as layer:

            async def wait_one(inference: Inference) -> None:
                await layer.wait(inference.id)
                seen[inference.id] = self.time.monotonic()

            await asyncio.gather(*(wait_one(i) for i in inferences))
        return Outcome(self.delays(inferences, seen), self.poll_requests() - before)

    async def fixed_poll(self, inferences: list[Inference]) -> Outcome:
        seen: dict[str, float] = {}
        before = self.poll_requests()
        async with self.client(self.time.sleep) as layer:

            async def poll_one(inference_id: str) -> None:
                while True:
                    await self.time.sleep(FIXED_INTERVAL)
                    result = await layer.graphql.get_inferences_by_id(
                        input=GetInferencesByIdInput(inference_ids=[inference_id])
                    )
                    answer = result.get_inferences_by_id
                    if not isinstance(
                        answer, GetInferencesByIdGetInferencesByIdInferencesResult
                    ):
                        raise RuntimeError(f"poll of {inference_id} failed: {answer}")
                    if any(is_terminal(i) for i in answer.inferences or []):
                        seen[inference_id] = self.time.monotonic()
                        return

            await asyncio.gather(*(poll_one(i.id) for i in inferences))
        return Outcome(self.delays(inferences, seen), self.poll_requests() - before)


async def measure(bench: Bench, count: int, reps: int) -> list[str]:
    strategies: dict[str, Callable[[list[Inference]], Awaitable[Outcome]]] = {
        BASELINE: bench.fixed_poll,
        "wait_many": bench.wait_many,
        "wait per id, gathered": bench.wait_per_id,
    }
    outcomes: dict[str, list[Outcome]] = {name: [] for name in strategies}
    order = list(strategies)
    shuffler = random.Random(5)
    for _ in range(reps):
        shuffler.shuffle(order)
        for name in order:
            inferences = await bench.submit(count)
            outcomes[name].append(await strategies[name](inferences))

    def median_delay(outcome: Outcome) -> float:
        return statistics.median(outcome.delays)

    delay_rows = []
    request_rows = []
    for name in strategies:
        delays = [median_delay(o) for o in outcomes[name]]
        base_delays = [median_delay(o) for o in outcomes[BASELINE]]
        requests = [float(o.requests) for o in outcomes[name]]
        base_requests = [float(o.requests) for o in outcomes[BASELINE]]
        all_delays = [d for o in outcomes[name] for d in o.delays]
        delay_rows.append(
            Row(
                name,
                summarize(ratios(delays, base_delays)),
                f"median {statistics.median(all_delays):5.2f} s, "
                f"max {max(all_delays):5.2f} s",
            )
        )
        per_inference = summarize(requests).median / count
        request_rows.append(
            Row(
                name,
                summarize(ratios(requests, base_requests)),
                f"{summarize(requests).median:7.0f} requests, "
                f"{per_inference:5.2f} per inference",
            )
        )

    limit = math.ceil(count / MAX_IDS_PER_REQUEST)
    most = max(max(o.round_requests, default=0) for o in outcomes["wait_many"])
    verdict = "met" if most <= limit else "MISSED"
    title = f"polling, N={count}"
    tables = [
        format_table(f"{title}: detection delay", BASELINE, delay_rows),
        format_table(f"{title}: {POLL_OPERATION} requests", BASELINE, request_rows),
        f"  wait_many sent at most {most} requests in one round "
        f"(target <= ceil(N/50) = {limit}: {verdict})",
    ]
    return tables


async def run_all(quick: bool, reps: int | None) -> list[str]:
    sizes = (10, 50) if quick else (1, 10, 50, 200)
    reps = reps or (2 if quick else 3)
    speed = 10.0
    time_line = EmulatedTime(speed)
    config = EmulatorConfig(
        clock=time_line,
        max_concurrent_inferences=10_000,
        balance=1e9,
        seed=11,
    )
    tables = []
    async with Emulator(config) as emulator:
        bench = Bench(emulator, time_line)
        print(
            f"polling on the emulator at {speed:g}x speed, generations of "
            f"{config.min_duration:g}-{config.max_duration:g} emulated s; "
            "delays in emulated seconds",
            flush=True,
        )
        for count in sizes:
            for table in await measure(bench, count, reps):
                print(table, flush=True)
                tables.append(table)
    return tables


def run(quick: bool, reps: int | None = None) -> list[str]:
    """Run the polling benchmark and return its tables."""
    return asyncio.run(run_all(quick, reps))
