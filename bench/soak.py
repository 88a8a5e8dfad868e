"""Reliability soak: many generations through AsyncLayerClient under injected faults.

`python -m bench.soak [--generations N]` starts the emulator in accelerated
time with faults on every operation and on the file origin, runs N
`generate()` calls at concurrency 5, and then checks the outcome against
the emulator's own records:

- every generation either completed with valid files or raised a typed
  LayerError, carrying its inference id whenever the emulator created an
  inference for it (a SubmissionUnknownError cannot know the id, and is
  counted apart);
- no prompt was accepted twice, and the emulator's count of accepted
  generateImages calls equals the submissions the client saw succeed plus
  the SubmissionUnknownError cases that the emulator did accept;
- every file in the output folder is a whole PNG of the requested size,
  and no temporary `.part` file is left;
- the run ended within its deadline.

Every prompt is unique, so the emulator's inferences map back to the
generation that sent them.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from layer_client import (
    AsyncLayerClient,
    GenerationError,
    LayerError,
    SubmissionUnknownError,
)
from layer_client.emulator import Emulator, EmulatorConfig, FaultRule

from .emulated_time import EmulatedTime
from .pngcheck import PNGError, check_png

__all__ = [
    "GenerationOutcome",
    "SoakConfig",
    "SoakReport",
    "fault_rules",
    "main",
    "run_soak",
]

# A distinctive token, so that a leak into logs or messages is easy to find.
SOAK_TOKEN = "soak-secret-token-7f3a9c2e51"
# Wall-clock seconds: the client's request timeout, and how long a `slow`
# fault holds a response back (longer, so the client times out).
REQUEST_TIMEOUT = 1.0
SLOW_DELAY = 1.5
IMAGE_SIDES = (64, 96, 128)
MAX_BATCH_SIZE = 3
# Share of prompts that contain the emulator's forbidden word, so that some
# inferences end FAILED with CONTENT_POLICY_VIOLATION.
FORBIDDEN_SHARE = 0.05


def fault_rules() -> tuple[FaultRule, ...]:
    """Return the faults of the soak, each drawn with a seeded probability."""
    rules: list[FaultRule] = []

    def add(operation: str, kind: str, probability: float) -> None:
        rules.append(
            FaultRule(
                operation=operation,
                kind=kind,
                probability=probability,
                retry_after=1,
                delay=SLOW_DELAY,
            )
        )

    for operation in ("GenerateImages", "GetInferencesById"):
        add(operation, "429", 0.06)
        add(operation, "502", 0.04)
        add(operation, "503", 0.04)
        add(operation, "drop_before", 0.03)
        add(operation, "drop_after", 0.03)
        add(operation, "slow", 0.02)
    for operation in ("GetWorkspaceUsage", "GetStyleById"):
        add(operation, "502", 0.05)
        add(operation, "drop_after", 0.03)
    add("file", "truncate", 0.08)
    add("file", "502", 0.03)
    add("file", "drop_before", 0.03)
    return tuple(rules)


@dataclass(frozen=True)
class SoakConfig:
    """Settings of one soak run."""

    generations: int = 200
    concurrency: int = 5
    speed: float = 20.0
    """How many times faster than the wall clock the emulator and client run."""
    seed: int = 1
    deadline: float | None = None
    """Wall-clock seconds for the whole run; by default from `generations`."""
    out_dir: Path | None = None
    """Folder for the files; a temporary folder, removed afterwards, if None."""
    max_concurrent_inferences: int = 5
    """The emulator's limit per workspace; lost submissions also hold a slot,
    so RATE_LIMITED_ERROR members occur."""
    token: str = SOAK_TOKEN

    def wall_deadline(self) -> float:
        if self.deadline is not None:
            return self.deadline
        # An estimate: a generation takes at most 0.75 s of wall time at 20x
        # speed (15 emulated seconds), plus retries and slow responses.
        return 60.0 + 3.0 * self.generations / self.concurrency


@dataclass
class GenerationOutcome:
    """Result of one generation: its parameters and what it returned or raised."""

    index: int
    prompt: str
    width: int
    height: int
    batch_size: int
    inference_id: str | None = None
    paths: list[Path] = field(default_factory=list)
    error: LayerError | None = None
    untyped_error: BaseException | None = None

    @property
    def completed(self) -> bool:
        return self.error is None and self.untyped_error is None

    @property
    def submission_unknown(self) -> bool:
        return isinstance(self.error, SubmissionUnknownError)


@dataclass
class SoakReport:
    """The figures and the problems found by one soak run."""

    config: SoakConfig
    outcomes: list[GenerationOutcome]
    elapsed: float
    timed_out: bool
    faults: Counter[str]
    requests: Counter[str]
    rate_limited_members: int
    accepted: int
    credits_charged: float
    successful_submissions: int = 0
    unknown_accepted: int = 0
    unknown_not_accepted: int = 0
    files_checked: int = 0
    lost: list[str] = field(default_factory=list)
    double_charged: list[str] = field(default_factory=list)
    corrupt: list[str] = field(default_factory=list)
    leaked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.problems
            or self.lost
            or self.double_charged
            or self.corrupt
            or self.leaked
            or self.timed_out
        )

    def error_counts(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for outcome in self.outcomes:
            if outcome.error is not None:
                counts[type(outcome.error).__name__] += 1
            elif outcome.untyped_error is not None:
                counts[f"untyped {type(outcome.untyped_error).__name__}"] += 1
        return counts

    def render(self) -> str:
        """Return the report as text, one figure per line."""
        completed = sum(outcome.completed for outcome in self.outcomes)
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items()))
        errors = ", ".join(f"{k} {v}" for k, v in sorted(self.error_counts().items()))
        lines = [
            f"soak: {len(self.outcomes)} generations at concurrency "
            f"{self.config.concurrency}, speed {self.config.speed:g}x, seed "
            f"{self.config.seed}",
            f"  elapsed             {self.elapsed:.1f} s (deadline "
            f"{self.config.wall_deadline():.0f} s{', MISSED' if self.timed_out else ''})",
            f"  faults injected     {sum(self.faults.values())}: {faults or 'none'}",
            f"  RATE_LIMITED_ERROR  {self.rate_limited_members} members answered",
            f"  completed           {completed}",
            f"  typed errors        {len(self.outcomes) - completed}: {errors or 'none'}",
            f"  accepted (emulator) {self.accepted} = {self.successful_submissions} "
            f"submissions seen + {self.unknown_accepted} SubmissionUnknownError "
            f"accepted ({self.unknown_not_accepted} more were not accepted)",
            f"  credits charged     {self.credits_charged:g}",
            f"  files checked       {self.files_checked} PNGs",
            f"  lost                {len(self.lost)}",
            f"  double-charged      {len(self.double_charged)}",
            f"  corrupt files       {len(self.corrupt)}",
            f"  leaked temp files   {len(self.leaked)}",
        ]
        for label, items in (
            ("lost", self.lost),
            ("double-charged", self.double_charged),
            ("corrupt", self.corrupt),
            ("leaked", self.leaked),
            ("problem", self.problems),
        ):
            lines.extend(f"  {label}: {item}" for item in items[:20])
        lines.append(f"  result              {'PASS' if self.ok else 'FAIL'}")
        return "\n".join(lines)


class RateLimitCounter:
    """An httpx response hook counting RATE_LIMITED_ERROR members from the API."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self.count = 0

    async def __call__(self, response: httpx.Response) -> None:
        if str(response.request.url) != self.api_url or response.status_code != 200:
            return
        # A dropped body raises here, out of the client's own request call,
        # just as it would when the client read the body itself.
        body = await response.aread()
        self.count += body.count(b'"RATE_LIMITED_ERROR"')


def plan_generations(config: SoakConfig) -> list[GenerationOutcome]:
    """Draw the parameters of every generation from the seed."""
    rng = random.Random(config.seed)
    planned = []
    for index in range(config.generations):
        words = "a forbidden castle" if rng.random() < FORBIDDEN_SHARE else "a castle"
        planned.append(
            GenerationOutcome(
                index=index,
                prompt=f"soak {config.seed}-{index}: {words}",
                width=rng.choice(IMAGE_SIDES),
                height=rng.choice(IMAGE_SIDES),
                batch_size=rng.randint(1, MAX_BATCH_SIZE),
            )
        )
    return planned


async def run_generation(
    layer: AsyncLayerClient,
    style_id: str,
    outcome: GenerationOutcome,
    out_dir: Path,
    lanes: asyncio.Semaphore,
) -> None:
    """Run one generation and record what it returned or raised."""
    async with lanes:
        try:
            result = await layer.generate(
                style_id=style_id,
                prompt=outcome.prompt,
                out_dir=out_dir,
                batch_size=outcome.batch_size,
                width=outcome.width,
                height=outcome.height,
            )
        except LayerError as error:
            outcome.error = error
            outcome.inference_id = error.inference_id
        except Exception as error:  # recorded as a failure of the client
            outcome.untyped_error = error
        else:
            outcome.inference_id = result.inference.id
            outcome.paths = list(result.paths)


async def drive(
    config: SoakConfig, emulator: Emulator, time_line: EmulatedTime, out_dir: Path
) -> tuple[list[GenerationOutcome], int, bool]:
    """Run every generation.

    Return the outcomes, the number of RATE_LIMITED_ERROR members answered,
    and whether the deadline passed.
    """
    outcomes = plan_generations(config)
    counter = RateLimitCounter(emulator.url)
    http = httpx.AsyncClient(
        timeout=httpx.Timeout(REQUEST_TIMEOUT),
        event_hooks={"response": [counter]},
    )
    lanes = asyncio.Semaphore(config.concurrency)
    timed_out = False
    async with (
        http,
        AsyncLayerClient(
            config.token,
            workspace_id=emulator.workspace_id,
            api_url=emulator.url,
            timeout=httpx.Timeout(REQUEST_TIMEOUT),
            http_client=http,
            clock=time_line.monotonic,
            wall_clock=time_line.now,
            sleep=time_line.sleep,
            rng=random.Random(config.seed),
        ) as layer,
    ):
        tasks = [
            asyncio.create_task(
                run_generation(layer, emulator.style_id, outcome, out_dir, lanes)
            )
            for outcome in outcomes
        ]
        try:
            async with asyncio.timeout(config.wall_deadline()):
                await asyncio.gather(*tasks)
        except TimeoutError:
            timed_out = True
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return outcomes, counter.count, timed_out


def check_accounting(report: SoakReport, emulator: Emulator) -> None:
    """Match every outcome with the inferences the emulator created for it."""
    by_prompt: dict[str, list[str]] = {}
    charged_images = 0
    for inference in emulator.state.inferences():
        by_prompt.setdefault(inference.prompt, []).append(inference.id)
        charged_images += inference.batch_size

    for prompt, ids in by_prompt.items():
        if len(ids) > 1:
            report.double_charged.append(f"{prompt!r} accepted {len(ids)} times: {ids}")

    for outcome in report.outcomes:
        server_ids = by_prompt.get(outcome.prompt, [])
        label = f"generation {outcome.index} ({outcome.prompt!r})"
        if outcome.untyped_error is not None:
            report.lost.append(
                f"{label} raised {type(outcome.untyped_error).__name__}, "
                f"not a LayerError: {outcome.untyped_error}"
            )
            continue
        if outcome.submission_unknown:
            if server_ids:
                report.unknown_accepted += 1
            else:
                report.unknown_not_accepted += 1
            continue
        if outcome.inference_id is not None:
            report.successful_submissions += 1
            if outcome.inference_id not in server_ids:
                report.lost.append(
                    f"{label} reports inference {outcome.inference_id}, which "
                    "the emulator did not create for it"
                )
            if outcome.completed and len(outcome.paths) != outcome.batch_size:
                report.lost.append(
                    f"{label} completed with {len(outcome.paths)} files, "
                    f"expected {outcome.batch_size}"
                )
            continue
        if isinstance(outcome.error, GenerationError):
            report.lost.append(f"{label} raised {outcome.error!r} without an id")
        if server_ids:
            report.lost.append(
                f"{label} ended in {type(outcome.error).__name__} without an "
                f"inference id, but the emulator created {server_ids}"
            )

    expected = report.successful_submissions + report.unknown_accepted
    if report.accepted != expected:
        report.problems.append(
            f"the emulator accepted {report.accepted} generateImages calls, but "
            f"the client saw {report.successful_submissions} succeed and "
            f"{report.unknown_accepted} unknown ones were accepted ({expected})"
        )
    price = emulator.config.price_per_image
    if abs(report.credits_charged - charged_images * price) > 1e-6:
        report.problems.append(
            f"the emulator charged {report.credits_charged:g} credits for "
            f"{charged_images} images at {price:g} each"
        )


def check_files(report: SoakReport, out_dir: Path) -> None:
    """Check every file in out_dir: a whole PNG of the requested size, no leftovers."""
    sizes = {
        outcome.inference_id: (outcome.width, outcome.height)
        for outcome in report.outcomes
        if outcome.inference_id is not None
    }
    for outcome in report.outcomes:
        for path in outcome.paths:
            if not path.is_file():
                report.lost.append(f"generation {outcome.index}: {path} is missing")
    for path in sorted(out_dir.rglob("*")):
        if path.is_dir():
            continue
        if path.suffix != ".png" or path.name.startswith("."):
            report.leaked.append(str(path.name))
            continue
        inference_id = path.name.rsplit("-", 1)[0]
        try:
            header = check_png(path)
        except PNGError as error:
            report.corrupt.append(str(error))
            continue
        report.files_checked += 1
        expected = sizes.get(inference_id)
        if expected is None:
            report.corrupt.append(f"{path.name}: no generation has this inference id")
        elif (header.width, header.height) != expected:
            report.corrupt.append(
                f"{path.name}: {header.width}x{header.height}, expected "
                f"{expected[0]}x{expected[1]}"
            )


async def run_soak_async(config: SoakConfig) -> SoakReport:
    """Run one soak and return its report; see the module docstring."""
    time_line = EmulatedTime(config.speed)
    emulator_config = EmulatorConfig(
        token=config.token,
        clock=time_line,
        seed=config.seed,
        faults=fault_rules(),
        max_concurrent_inferences=config.max_concurrent_inferences,
        balance=1e9,
    )
    out_dir = config.out_dir or Path(tempfile.mkdtemp(prefix="layer-soak-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        async with Emulator(emulator_config) as emulator:
            started = time.monotonic()
            outcomes, rate_limited, timed_out = await drive(
                config, emulator, time_line, out_dir
            )
            elapsed = time.monotonic() - started
            # A `slow` fault runs its operation after the delay, even when the
            # client gave up on it: let those finish before counting.
            await asyncio.sleep(SLOW_DELAY + 0.5)
            report = SoakReport(
                config=config,
                outcomes=outcomes,
                elapsed=elapsed,
                timed_out=timed_out,
                faults=Counter(emulator.counters.faults),
                requests=Counter(emulator.counters.requests),
                rate_limited_members=rate_limited,
                accepted=emulator.counters.generate_images_accepted,
                credits_charged=emulator.counters.credits_charged,
            )
            check_accounting(report, emulator)
        check_files(report, out_dir)
    finally:
        if config.out_dir is None:
            shutil.rmtree(out_dir, ignore_errors=True)
    return report


def run_soak(config: SoakConfig) -> SoakReport:
    """Run one soak in a new event loop and return its report."""
    return asyncio.run(run_soak_async(config))


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak",
        description="Run generations through AsyncLayerClient against the "
        "emulator with faults injected, and check that none is lost, "
        "charged twice or saved corrupt.",
    )
    parser.add_argument(
        "--generations", type=int, default=200, help="generations to run (200)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=5, help="generations in flight (5)"
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=20.0,
        help="emulated time runs this many times faster than the wall clock (20)",
    )
    parser.add_argument("--seed", type=int, default=1, help="seed of every draw (1)")
    parser.add_argument(
        "--deadline",
        type=float,
        default=None,
        help="wall-clock seconds for the whole run (60 + 3 s per generation / "
        "concurrency)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="keep the files in this folder instead of a temporary one",
    )
    arguments = parser.parse_args(argv)
    if arguments.generations < 1 or arguments.concurrency < 1:
        parser.error("--generations and --concurrency must be at least 1")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    config = SoakConfig(
        generations=arguments.generations,
        concurrency=arguments.concurrency,
        speed=arguments.speed,
        seed=arguments.seed,
        deadline=arguments.deadline,
        out_dir=arguments.out,
    )
    report = run_soak(config)
    print(report.render(), flush=True)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
