"""The alert state machine: hold times, one open alert per (kind, subject), flapping, writes on change.

Rules turn readings and states into observations: a condition holds (True), is clear (False), or is in
its hysteresis band (None: no change). The engine opens an alert once a condition has held for its
raise hold, closes it once it has been clear for its clear hold, and reopens the same record when it
comes back within the flap window. Open alerts are kept in memory, so they can be raised, listed and
sent even while the database cannot be written (a full disk); the records are written on every change
and rewritten at each tick until the database takes them.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace
from typing import Callable, Iterable

from appliance.alerts import kinds
from appliance.alerts.settings import RuleSettings
from appliance.jsontypes import JsonObject
from appliance.store import alerts as store
from appliance.store.alerts import AlertRecord
from appliance.store.db import database_path, describe

log = logging.getLogger(__name__)

Key = tuple[str, str]


@dataclass(frozen=True)
class Observation:
    """What a rule saw about one (kind, subject) at `ts`."""

    kind: str
    subject: str
    state: bool | None  # True: the condition holds; False: it is clear; None: between (hysteresis)
    ts: int
    message: str = ""
    device_id: str | None = None
    system_id: str | None = None
    entity: str | None = None
    details: JsonObject = field(default_factory=dict)
    severity: str | None = None
    #: What the alert reports, not a live figure: an open alert is rewritten only when this changes.
    signature: str = ""


@dataclass(frozen=True)
class Change:
    """An alert that opened, reopened, changed, closed or was acknowledged."""

    event: str  # opened, reopened, updated, closed, acknowledged
    alert: AlertRecord


@dataclass
class _Track:
    true_since: int | None = None
    false_since: int | None = None
    latest: Observation | None = None  # the newest observation that held
    signature: str = ""


class Engine:
    """Thread-safe: poll jobs and the timer observe at the same time."""

    def __init__(self, settings: Callable[[], RuleSettings]) -> None:
        self.settings = settings
        self.write_error: str | None = None
        self._lock = threading.RLock()
        self._tracks: dict[Key, _Track] = {}
        self._open: dict[Key, AlertRecord] = {}
        self._closed: dict[Key, AlertRecord] = {}  # the latest closed alert of each key, for the flap window
        self._dirty: dict[int, AlertRecord] = {}
        self._next_id = 0
        self._listeners: list[Callable[[Change], None]] = []

    def load(self, now_ms: int) -> None:
        """Take up the open alerts of the previous run, and those that closed within the flap window."""
        with self._lock:
            self._next_id = store.next_id()
            self._open = {(r.kind, r.subject): r for r in store.open_records()}
            window = self.settings().flap_window_ms
            self._closed = {(r.kind, r.subject): r for r in store.closed_since(now_ms - window)}

    def subscribe(self, listener: Callable[[Change], None]) -> None:
        """Call `listener(change)` after every change (outside the engine's lock; it must not block)."""
        self._listeners.append(listener)

    def active(self) -> list[AlertRecord]:
        """The open alerts, worst and newest first."""
        with self._lock:
            found = list(self._open.values())
        return sorted(found, key=lambda a: (-kinds.rank(a.severity), -a.started_at, -a.alert_id))

    def find(self, alert_id: int) -> AlertRecord | None:
        """An open (or unsaved) alert by id."""
        with self._lock:
            return self._dirty.get(alert_id) or next((a for a in self._open.values() if a.alert_id == alert_id), None)

    def is_open(self, kind: str, subject: str) -> bool:
        """Whether an alert of `kind` about `subject` is open."""
        with self._lock:
            return (kind, subject) in self._open

    def open_subjects(self) -> set[str]:
        """Subjects with an open alert."""
        with self._lock:
            return {subject for _, subject in self._open}

    def observe(self, observations: Iterable[Observation], now_ms: int | None = None) -> list[Change]:
        """Take observations; open, update or close alerts as their holds say."""
        settings = self.settings()
        changes: list[Change] = []
        with self._lock:
            for obs in observations:
                changes += self._observe(obs, settings, now_ms if now_ms is not None else obs.ts)
            self._save()
        self._emit(changes)
        return changes

    def _observe(self, obs: Observation, settings: RuleSettings, now: int) -> list[Change]:
        key = (obs.kind, obs.subject)
        track = self._tracks.setdefault(key, _Track())
        hold, clear = settings.timing(obs.kind)
        if obs.state is True:
            track.false_since = None
            if track.true_since is None:
                track.true_since = obs.ts
            track.latest = obs
            if key in self._open:
                return self._update(key, obs, now)
            if now - track.true_since >= hold:
                return self._raise(key, obs, now, settings)
        elif obs.state is False:
            track.true_since, track.latest = None, None
            if key in self._open:
                if track.false_since is None:
                    track.false_since = obs.ts
                if now - track.false_since >= clear:
                    return self._close(key, now, track.false_since)
        return []

    def tick(self, now_ms: int) -> list[Change]:
        """Raise and close what held long enough since its last observation; retry unsaved records."""
        settings = self.settings()
        changes: list[Change] = []
        with self._lock:
            for key, track in list(self._tracks.items()):
                hold, clear = settings.timing(key[0])
                if track.latest is not None and track.true_since is not None and key not in self._open \
                        and now_ms - track.true_since >= hold:
                    changes += self._raise(key, track.latest, now_ms, settings)
                elif track.false_since is not None and key in self._open and now_ms - track.false_since >= clear:
                    changes += self._close(key, now_ms, track.false_since)
            self._save()
        self._emit(changes)
        return changes

    def raise_event(self, obs: Observation) -> list[Change]:
        """Open an event alert now (no hold); an open one of the same kind and subject is kept (idempotent)."""
        with self._lock:
            key = (obs.kind, obs.subject)
            changes = self._update(key, obs, obs.ts) if key in self._open else \
                self._raise(key, obs, obs.ts, self.settings())
            self._save()
        self._emit(changes)
        return changes

    def end(self, kind: str, subject: str, now_ms: int) -> list[Change]:
        """Close an open alert at once (its clearing event came, or its subject is gone); none: nothing."""
        with self._lock:
            key = (kind, subject)
            self._tracks.pop(key, None)
            changes = self._close(key, now_ms) if key in self._open else []
            self._save()
        self._emit(changes)
        return changes

    def acknowledge(self, alert_id: int, by: str, now_ms: int) -> AlertRecord | None:
        """Acknowledge one alert (an event alert ends with it); the alert after it, None if unknown."""
        with self._lock:
            key = next((k for k, a in self._open.items() if a.alert_id == alert_id), None)
            if key is None:
                found = store.acknowledge(alert_id, now_ms, by)
                changes = [Change("acknowledged", found)] if found is not None else []
            else:
                alert = self._open[key]
                if alert.acknowledged_at is None:
                    alert = replace(alert, acknowledged_at=now_ms, acknowledged_by=by, updated_at=now_ms)
                    self._store(key, alert)
                changes = [Change("acknowledged", alert)]
                if getattr(kinds.KINDS.get(alert.kind), "event", False):
                    changes += self._close(key, now_ms)
                self._save()
        self._emit(changes)
        return changes[-1].alert if changes else None

    def _store(self, key: Key, alert: AlertRecord) -> None:
        self._open[key] = alert
        self._dirty[alert.alert_id] = alert

    def _raise(self, key: Key, obs: Observation, now: int, settings: RuleSettings) -> list[Change]:
        kind = kinds.KINDS.get(obs.kind)
        severity = obs.severity or (kind.severity if kind else "warning")
        track = self._tracks.setdefault(key, _Track())
        track.signature = obs.signature
        previous = self._closed.pop(key, None)
        if previous is not None and previous.ended_at is not None and now - previous.ended_at <= \
                settings.flap_window_ms:
            alert = replace(previous, ended_at=None, flaps=previous.flaps + 1, updated_at=now, severity=severity,
                            message=obs.message or previous.message, details=dict(obs.details) or previous.details)
            self._store(key, alert)
            log.info("alert %d reopened (%s, %s): %s", alert.alert_id, obs.kind, obs.subject, alert.message)
            return [Change("reopened", alert)]
        self._next_id = max(self._next_id, 1)
        # It started when the condition began (the hold only made sure it was no flicker), not when raised.
        started = min(now, track.true_since) if track.true_since is not None else now
        alert = AlertRecord(self._next_id, obs.kind, obs.subject, severity, obs.message, started, now,
                            device_id=obs.device_id, system_id=obs.system_id, entity=obs.entity,
                            details=dict(obs.details))
        self._next_id += 1
        self._store(key, alert)
        log.warning("alert %d: %s", alert.alert_id, alert.message)
        return [Change("opened", alert)]

    def _update(self, key: Key, obs: Observation, now: int) -> list[Change]:
        track = self._tracks.setdefault(key, _Track())
        alert = self._open[key]
        if obs.signature == track.signature or not obs.message:
            return []
        track.signature = obs.signature
        alert = replace(alert, message=obs.message, details=dict(obs.details), updated_at=now,
                        severity=obs.severity or alert.severity)
        self._store(key, alert)
        return [Change("updated", alert)]

    def _close(self, key: Key, now: int, cleared_at: int | None = None) -> list[Change]:
        """Close an open alert; it ended when its condition cleared (`cleared_at`), else now."""
        alert = self._open.pop(key)
        ended = max(alert.started_at, min(now, cleared_at)) if cleared_at is not None else now
        alert = replace(alert, ended_at=ended, updated_at=now)
        self._dirty[alert.alert_id] = alert
        self._closed[key] = alert
        track = self._tracks.get(key)
        if track is not None:
            track.false_since = None
        log.info("alert %d cleared: %s", alert.alert_id, alert.message)
        return [Change("closed", alert)]

    def _save(self) -> None:
        """Write the changed records; on failure keep them for the next try (the caller holds the lock)."""
        if not self._dirty:
            return
        try:
            store.save(self._dirty.values())
        except Exception as exc:  # noqa: BLE001 - a full or broken database must not lose an alert or stop a poll
            message = describe(exc, database_path() or None)
            if self.write_error != message:
                log.error("cannot write %d alert record(s): %s; kept in memory and retried", len(self._dirty), message)
            self.write_error = message
            return
        if self.write_error is not None:
            log.info("alert records are written again")
        self.write_error = None
        self._dirty.clear()

    def _emit(self, changes: list[Change]) -> None:
        for change in changes:
            for listener in list(self._listeners):
                try:
                    listener(change)
                except Exception:  # noqa: BLE001 - a subscriber's bug never stops the alerts
                    log.exception("alert listener %r failed", listener)

    def flush(self) -> None:
        """Try again to write the records the database refused (write_error says whether it took them)."""
        with self._lock:
            self._save()

    def pending_writes(self) -> int:
        """Records changed but not yet written (the database refused them)."""
        with self._lock:
            return len(self._dirty)
