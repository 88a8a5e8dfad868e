"""One emulated timeline shared by the emulator and the client under test.

The emulator runs `speed` times faster than the wall clock. The client gets
the same timeline for its monotonic clock, its wall clock and its sleeps.
Its polling defaults (first poll after 2 s, cap 10 s) so keep their meaning
in emulated seconds, while the run takes 1/speed of the time.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

__all__ = ["EmulatedTime"]


class EmulatedTime:
    """Emulated time at `speed`; usable as the emulator's `Clock`."""

    def __init__(self, speed: float) -> None:
        if not speed > 0:
            raise ValueError(f"speed must be positive, got {speed!r}")
        self.speed = speed
        self.start = datetime.now(UTC)
        self._monotonic_start = time.monotonic()

    def monotonic(self) -> float:
        """Return emulated seconds since this timeline started."""
        return (time.monotonic() - self._monotonic_start) * self.speed

    def now(self) -> datetime:
        """Return the emulated wall-clock time (the emulator's `Clock` method)."""
        return self.start + timedelta(seconds=self.monotonic())

    def reported(self, moment: datetime) -> datetime:
        """Return moment unchanged: the client shares this timeline."""
        return moment

    def seconds_of(self, moment: datetime) -> float:
        """Return `moment` as emulated seconds on this timeline's monotonic scale."""
        return (moment - self.start).total_seconds()

    async def sleep(self, seconds: float) -> None:
        """Sleep for `seconds` of emulated time."""
        await asyncio.sleep(max(0.0, seconds) / self.speed)
