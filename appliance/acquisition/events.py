"""What every poll tells its listeners (the alert rules, later MQTT): the device, the outcome, the reading."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable

from appliance.acquisition.context import DeviceContext
from appliance.drivers.base import Reading

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollEvent:
    """One poll attempt of a device through one of its adapters."""

    ctx: DeviceContext
    ts_ms: int
    ok: bool
    adapter_id: str
    adapter_index: int  # 0: the preferred adapter; more: a backup the poller failed over to
    reading: Reading | None = None
    response_time_ms: int | None = None
    error: str | None = None
    garbled: bool = False  # the device answered, but with data that could not be decoded
    failures: int = 0  # failed polls in a row, this one included


PollListener = Callable[[PollEvent], None]


class Listeners:
    """The listeners of every poll; a listener that raises is logged, never breaks the poll."""

    def __init__(self) -> None:
        self._items: list[PollListener] = []
        self._lock = threading.Lock()

    def add(self, listener: PollListener) -> None:
        """Hear every poll from now on (from the poll jobs' threads: do little, never block)."""
        with self._lock:
            self._items.append(listener)

    def remove(self, listener: PollListener) -> None:
        """Stop hearing polls."""
        with self._lock:
            if listener in self._items:
                self._items.remove(listener)

    def __call__(self, event: PollEvent) -> None:
        with self._lock:
            items = list(self._items)
        for listener in items:
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - a listener's bug must not turn into a failed poll
                log.exception("poll listener %r failed on %s", listener, event.ctx.device_id)
