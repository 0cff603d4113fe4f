"""Device health and lifecycle: kept in memory, stored on every change of state and as a periodic summary.

A poll that changes nothing but the time a device was last seen must not cost the SD card a commit:
that was over half of all bytes the appliance wrote. A change of health status or lifecycle state
is written at once (registry row and a `device_health` row); last seen, response time and the error
count are written for every device that polled since, in the sample writer's next flush after
`summary_every_s`, inside its transaction.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass, replace
from typing import Any

from appliance.store import registry as registry_store
from appliance.store.models import database

log = logging.getLogger(__name__)

DEGRADED_ABOVE_MS = 1000
#: Seconds between summaries of last seen, response time and error counts (docs: Write path).
SUMMARY_EVERY_S = 900.0


@dataclass(frozen=True)
class PollOutcome:
    """The result of one poll, as health sees it."""

    ok: bool
    response_time_ms: int | None = None
    error: str | None = None
    garbled: bool = False  # the device answered, but with data that could not be decoded


@dataclass(frozen=True)
class DeviceState:
    """What health knows of a device; `dirty` when the database is behind."""

    status: str
    lifecycle: str
    last_seen: int | None
    response_time_ms: int | None
    error_count: int
    dirty: bool = False


def status_of(outcome: PollOutcome) -> str:
    """online, degraded (slower than 1000 ms), offline (no answer) or error (a wrong answer)."""
    if outcome.ok:
        slow = outcome.response_time_ms is not None and outcome.response_time_ms > DEGRADED_ABOVE_MS
        return "degraded" if slow else "online"
    return "error" if outcome.garbled else "offline"


class HealthBook:
    """Health of the polled devices in memory; thread-safe (poll jobs run in several threads)."""

    def __init__(self, *, summary_every_s: float = SUMMARY_EVERY_S) -> None:
        self.summary_every_ms = int(summary_every_s * 1000)
        self._states: dict[str, DeviceState] = {}
        self._lock = threading.Lock()
        self._summarised_ms: int | None = None

    def forget(self, device_id: str) -> None:
        """Read the device from the database again at its next poll (its row changed elsewhere)."""
        with self._lock:
            self._states.pop(device_id, None)

    def state(self, device_id: str) -> DeviceState | None:
        """The device's health as of its latest poll (newer than the database between summaries)."""
        with self._lock:
            return self._states.get(device_id)

    def record(self, device_id: str, outcome: PollOutcome, now_ms: int, *, failures: int,
               failed_after: int = 3) -> tuple[str, str]:
        """Take a poll's outcome; write at once only when the status or lifecycle changes."""
        status = status_of(outcome)
        with self._lock:
            known = self._states.get(device_id)
        if known is None:
            device = registry_store.stored_health(device_id)
            if device is None:
                return status, "decommissioned"
            known = DeviceState(device.health_status, device.lifecycle_state, device.last_seen,
                                device.response_time_ms, device.error_count)
        lifecycle = _next_lifecycle(known.lifecycle, outcome.ok, failures, failed_after)
        new = replace(known, status=status, lifecycle=lifecycle, dirty=True,
                      error_count=known.error_count + (0 if outcome.ok else 1))
        if outcome.ok:
            new = replace(new, last_seen=now_ms, response_time_ms=outcome.response_time_ms)
        if status != known.status or lifecycle != known.lifecycle:
            if not self._write_change(device_id, known, new, outcome, now_ms, failures):
                return status, "decommissioned"
            new = replace(new, dirty=False)
        with self._lock:
            self._states[device_id] = new
        return status, lifecycle

    def _write_change(self, device_id: str, old: DeviceState, new: DeviceState, outcome: PollOutcome, now_ms: int,
                      failures: int) -> bool:
        """The registry row and a device_health row, in one short transaction."""
        if not registry_store.record_health_change(
                device_id, status=new.status, lifecycle=new.lifecycle, last_seen=new.last_seen,
                response_time_ms=new.response_time_ms, error_count=new.error_count, ts=now_ms,
                poll_response_ms=outcome.response_time_ms, failures=failures,
                last_successful_poll=now_ms if outcome.ok else old.last_seen,
                diagnostics={"error": outcome.error, "lifecycle": new.lifecycle}):
            return False
        if new.lifecycle != old.lifecycle:
            log.info("%s: lifecycle %s -> %s", device_id, old.lifecycle, new.lifecycle)
        return True

    def due(self, now_ms: int) -> bool:
        """Whether a summary is due and has something to write (the sample writer asks before a flush)."""
        with self._lock:
            if not any(s.dirty for s in self._states.values()):
                return False
        return self._summarised_ms is None or now_ms - self._summarised_ms >= self.summary_every_ms

    def write(self, conn: sqlite3.Connection, now_ms: int) -> None:
        """Write the summary when due, inside the caller's transaction (the sample writer's flush)."""
        if not self.due(now_ms):
            return
        with self._lock:
            dirty = {k: s for k, s in self._states.items() if s.dirty}
            for key, state in dirty.items():
                self._states[key] = replace(state, dirty=False)
        registry_store.put_health_summary(conn, [(s.last_seen, s.response_time_ms, s.error_count, k)
                                                 for k, s in dirty.items()])
        self._summarised_ms = now_ms

    def summary_now(self) -> None:
        """Write the summary at once in its own transaction (shutdown, tests)."""
        self._summarised_ms = None
        with database.atomic():
            self.write(database.connection(), 0)

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every known device's health, for the UI and /health."""
        with self._lock:
            return {k: {"health_status": s.status, "lifecycle_state": s.lifecycle, "last_seen": s.last_seen,
                        "response_time_ms": s.response_time_ms, "error_count": s.error_count}
                    for k, s in self._states.items()}


def record(device_id: str, outcome: PollOutcome, now_ms: int, *, failures: int,
           failed_after: int = 3) -> tuple[str, str]:
    """Store one poll's outcome straight away (a book of one poll: every field is written)."""
    book = HealthBook(summary_every_s=0)
    result = book.record(device_id, outcome, now_ms, failures=failures, failed_after=failed_after)
    book.summary_now()
    return result


def _next_lifecycle(state: str, ok: bool, failures: int, failed_after: int) -> str:
    """The registry document's transitions driven by polls."""
    if state == "configured":
        # First poll attempt: Configured -> Testing, and on to Active or Failed at once.
        state = "testing"
    if state == "testing":
        if ok:
            return "active"
        return "failed" if failures >= failed_after else "testing"
    if state == "failed" and ok:
        # A failed device that answers again was retried: back through Configured and Testing to Active.
        return "active"
    return state


def disable(device_id: str, reason: str, now_ms: int) -> None:
    """A device whose stored configuration cannot be polled: Failed, health error, the reason in its history."""
    before = registry_store.disable(device_id, reason, now_ms)
    if before is not None and before.lifecycle_state != "failed":
        log.info("%s: lifecycle %s -> failed", device_id, before.lifecycle_state)
