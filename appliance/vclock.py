"""A wall clock that a backfill can hold at a simulated instant, then release to real time."""

from __future__ import annotations

import threading
import time


class VirtualClock:
    """Epoch time that follows the wall clock unless `hold()` pins it (accelerated backfill)."""

    def __init__(self) -> None:
        self._held: float | None = None
        self._lock = threading.Lock()

    def hold(self, epoch_s: float) -> None:
        """Pin the clock at an instant."""
        with self._lock:
            self._held = epoch_s

    def release(self) -> None:
        """Follow the wall clock again."""
        with self._lock:
            self._held = None

    def seconds(self) -> float:
        """Epoch seconds."""
        with self._lock:
            return time.time() if self._held is None else self._held

    def ms(self) -> int:
        """Epoch milliseconds."""
        return int(self.seconds() * 1000)
