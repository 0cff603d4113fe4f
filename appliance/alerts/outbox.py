"""Delivery of notifications in one background thread: retried with backoff, never blocking an alert.

`offer()` only puts a job in memory and returns. The thread sends each job when it is due; a failure
is tried again after 10 s, 30 s, 1, 2, 5, 10 and 30 min and 1 h, then given up. What each channel
did last (sent, failed, waiting) is kept for the status page. Jobs live in memory only: the alerts
themselves are in the database and the sync feed; a restart loses at most unsent notifications.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from appliance.alerts.notify import SENDERS, ChannelSettings, DeliveryError, Notice

log = logging.getLogger(__name__)

BACKOFF_S = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)
MAX_JOBS = 500
TIMEOUT_S = 10.0


@dataclass
class ChannelStatus:
    """What one channel did last."""

    sent: int = 0
    failed: int = 0
    given_up: int = 0
    pending: int = 0
    last_ok_ms: int | None = None
    last_error: str | None = None
    last_error_ms: int | None = None


@dataclass(order=True)
class _Job:
    due: float
    order: int
    channel: str = field(compare=False)
    notice: Notice = field(compare=False)
    attempt: int = field(default=0, compare=False)


class Outbox:
    """The delivery thread and its queue."""

    def __init__(self, channels: Callable[[], ChannelSettings], *, clock_ms: Callable[[], int],
                 backoff_s: tuple[float, ...] = BACKOFF_S, timeout_s: float = TIMEOUT_S,
                 senders: dict[str, Callable[[ChannelSettings, Notice, float], None]] | None = None) -> None:
        self.channels, self.clock_ms = channels, clock_ms
        self.backoff_s, self.timeout_s = backoff_s, timeout_s
        self.senders = senders or SENDERS
        self.status: dict[str, ChannelStatus] = {}
        self.dropped = 0
        self._jobs: list[_Job] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stop = False

    def start(self) -> "Outbox":
        """Start the delivery thread."""
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="alert-notifications", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread (jobs not yet sent are dropped: the alerts stay in the database)."""
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def offer(self, notice: Notice, channels: list[str] | None = None) -> int:
        """Queue a notice for each enabled channel (or those named); returns how many jobs were queued."""
        names = channels if channels is not None else self.channels().enabled()
        with self._wake:
            for name in names:
                if len(self._jobs) >= MAX_JOBS:
                    heapq.heappop(self._jobs)  # the most overdue goes: a flood must not grow without bound
                    self.dropped += 1
                heapq.heappush(self._jobs, _Job(time.monotonic(), next(self._order), name, notice))
                self._status(name).pending += 1
            self._wake.notify_all()
        return len(names)

    def send_now(self, channel: str, notice: Notice) -> None:
        """One attempt at once, in this thread (the "send test" button); DeliveryError says why it failed."""
        if channel not in self.senders:
            raise DeliveryError(f"unknown channel {channel!r}")
        settings = self.channels()
        if channel not in settings.enabled():
            raise DeliveryError(f"the {channel} channel is not set up")
        self._attempt(channel, notice, settings)

    def _status(self, channel: str) -> ChannelStatus:
        return self.status.setdefault(channel, ChannelStatus())

    def _attempt(self, channel: str, notice: Notice, settings: ChannelSettings) -> None:
        try:
            self.senders[channel](settings, notice, self.timeout_s)
        except DeliveryError as exc:
            status = self._status(channel)
            status.failed += 1
            status.last_error, status.last_error_ms = exc.message, self.clock_ms()
            raise
        except Exception as exc:  # noqa: BLE001 - a sender's bug is a failed delivery, never a dead thread
            status = self._status(channel)
            status.failed += 1
            status.last_error, status.last_error_ms = f"{type(exc).__name__}: {exc}", self.clock_ms()
            raise DeliveryError(status.last_error) from exc
        status = self._status(channel)
        status.sent += 1
        status.last_ok_ms = self.clock_ms()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stop and (not self._jobs or self._jobs[0].due > time.monotonic()):
                    wait = self._jobs[0].due - time.monotonic() if self._jobs else None
                    self._wake.wait(wait)
                if self._stop:
                    return
                job = heapq.heappop(self._jobs)
                self._status(job.channel).pending -= 1
            settings = self.channels()
            if job.channel not in settings.enabled():
                continue  # turned off meanwhile
            try:
                self._attempt(job.channel, job.notice, settings)
            except DeliveryError as exc:
                self._retry(job, exc)

    def _retry(self, job: _Job, exc: DeliveryError) -> None:
        if job.attempt >= len(self.backoff_s):
            self._status(job.channel).given_up += 1
            log.error("notification of alert %d by %s given up after %d attempts: %s", job.notice.alert.alert_id,
                      job.channel, job.attempt + 1, exc.message)
            return
        if job.attempt == 0:
            log.warning("notification by %s failed (%s); retrying with backoff", job.channel, exc.message)
        with self._wake:
            heapq.heappush(self._jobs, _Job(time.monotonic() + self.backoff_s[job.attempt], next(self._order),
                                            job.channel, job.notice, job.attempt + 1))
            self._status(job.channel).pending += 1
            self._wake.notify_all()

    def idle(self) -> bool:
        """Whether nothing waits to be sent (tests)."""
        with self._wake:
            return not self._jobs
