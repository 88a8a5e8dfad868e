"""Counters that tests read to check what the client sent."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["Counters"]


@dataclass
class Counters:
    """Totals of what the emulator has served since it started or since `reset()`.

    The servers update the counters from their own thread; read them after
    the client calls have returned.
    """

    requests: Counter[str] = field(default_factory=Counter)
    """GraphQL requests per `operationName`, including rejected and faulted ones."""
    generate_images_accepted: int = 0
    """`generateImages` calls that created an inference."""
    credits_charged: float = 0.0
    """Credits taken from the balance by accepted generations."""
    file_downloads: int = 0
    """GET requests for a file or preview that got file bytes, truncated ones too."""
    faults: Counter[str] = field(default_factory=Counter)
    """Injected faults per kind (`"429"`, `"drop_after"`, ...)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_request(self, operation: str) -> None:
        """Count one GraphQL request for `operation`."""
        with self._lock:
            self.requests[operation] += 1

    def record_generation(self, charge: float) -> None:
        """Count one accepted generation and the credits it cost."""
        with self._lock:
            self.generate_images_accepted += 1
            self.credits_charged += charge

    def record_download(self) -> None:
        """Count one file download."""
        with self._lock:
            self.file_downloads += 1

    def record_fault(self, kind: str) -> None:
        """Count one injected fault of `kind`."""
        with self._lock:
            self.faults[kind] += 1

    def reset(self) -> None:
        """Set every counter back to zero."""
        with self._lock:
            self.requests.clear()
            self.generate_images_accepted = 0
            self.credits_charged = 0.0
            self.file_downloads = 0
            self.faults.clear()
