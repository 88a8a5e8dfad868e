"""Emulated time: the clock that decides when inferences finish.

One `Clock` decides when inferences finish. `AcceleratedClock` runs `speed`
times faster than the wall clock from the moment it is created, so with
`speed=100` a generation of 10 emulated seconds finishes after 0.1 s of wall
time. The timestamps the emulator reports (`createdAt`, `etaAt`, the `Date`
header) go through `reported()`, which maps emulated time back onto the wall
clock: a client that sleeps toward `etaAt` by its own clock then wakes when
the inference really ends. `ManualClock` moves only when a test calls
`advance()`, and reports its own time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["AcceleratedClock", "Clock", "ManualClock", "format_datetime"]


@runtime_checkable
class Clock(Protocol):
    """A source of emulated time, as timezone-aware UTC datetimes."""

    def now(self) -> datetime:
        """Return the current emulated time."""
        ...

    def reported(self, moment: datetime) -> datetime:
        """Return the timestamp to report to clients for an emulated moment."""
        ...


class AcceleratedClock:
    """Emulated time that starts at the wall-clock time and runs `speed` times faster."""

    def __init__(
        self,
        speed: float = 1.0,
        *,
        start: datetime | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be a positive number, got {speed!r}")
        self.speed = speed
        self._start = start if start is not None else datetime.now(UTC)
        self._monotonic = monotonic
        self._monotonic_start = monotonic()

    def now(self) -> datetime:
        elapsed = (self._monotonic() - self._monotonic_start) * self.speed
        return self._start + timedelta(seconds=elapsed)

    def reported(self, moment: datetime) -> datetime:
        return self._start + (moment - self._start) / self.speed


class ManualClock:
    """Emulated time that moves only through `advance()` or `set()`.

    Tests use it to hold inferences IN_PROGRESS for as long as they need,
    without sleeping.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start if start is not None else datetime.now(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def reported(self, moment: datetime) -> datetime:
        return moment

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward by `seconds` and return the new time."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go back: seconds={seconds!r}")
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now

    def set(self, moment: datetime) -> None:
        """Jump to `moment`, which must be timezone-aware and not in the past."""
        if moment.tzinfo is None:
            raise ValueError("the clock needs a timezone-aware datetime")
        with self._lock:
            if moment < self._now:
                raise ValueError(f"a clock cannot go back: {moment} < {self._now}")
            self._now = moment


def format_datetime(moment: datetime) -> str:
    """Format a datetime as ISO 8601 in UTC with milliseconds and a `Z` suffix."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"
