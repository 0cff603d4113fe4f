"""The alerts service: rules fed by every poll and by a timer, the records, notifications and hop status.

Built by runtime.py, the one composition root. It uses acquisition (its declared arrow: it listens to
every poll and reads which devices are polled); everything else it learns through the collaborators
the runtime passes in (disk room, database and writer state, clock, headend link, control events,
names). A collaborator not given leaves its rule silent and its hop "unknown"; nothing is made up.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable

from appliance.acquisition.events import PollEvent
from appliance.acquisition.service import Acquisition
from appliance.alerts import box, kinds, notify, restart, rules, status
from appliance.alerts import settings as alert_settings
from appliance.alerts.settings import RuleSettings
from appliance.alerts.engine import Change, Engine
from appliance.alerts.grid import GridWatch
from appliance.alerts.outbox import BACKOFF_S, ChannelStatus, Outbox
from appliance.clock import iso_ms, now_ms
from appliance.errors import NotFoundError, ValidationError
from appliance.jsontypes import Json
from appliance.store import alerts as store
from appliance.store.alerts import AlertRecord

log = logging.getLogger(__name__)

#: Rule settings are read again at most this often (and at once after a save through this service).
SETTINGS_TTL_MS = 60_000


@dataclass(frozen=True)
class Collaborators:
    """What the runtime passes in; each may be None."""

    disk_room: Callable[[], box.DiskRoom | None] | None = None
    database_problem: Callable[[], str | None] | None = None
    clock_synchronised: Callable[[], bool] | None = None
    headend: Callable[[], box.HeadendLink | None] | None = None
    writer: Callable[[], status.WriterState] | None = None
    scheduler: Callable[[], status.SchedulerState] | None = None
    #: Control audit entries after an id (issue 11): write mismatches and exhausted write budgets.
    control_events: box.ControlEvents | None = None
    device_name: Callable[[str], str] | None = None
    appliance_name: Callable[[], str] | None = None


class AlertsService:
    """Raises, clears, lists and acknowledges alerts; notifies; tells each hop's freshness."""

    def __init__(self, acquisition: Acquisition | None, collaborators: Collaborators | None = None, *,
                 clock: Callable[[], int] = now_ms, overrides: dict[str, float] | None = None,
                 backoff_s: tuple[float, ...] = BACKOFF_S) -> None:
        self.acquisition = acquisition
        self.collaborators = collaborators or Collaborators()
        self.clock = clock
        self.overrides = dict(overrides or {})
        self.engine = Engine(self.rule_settings)
        self.grid = GridWatch()
        self.hops = status.HopBook()
        self.outbox = Outbox(notify.load_channels, clock_ms=clock, backoff_s=backoff_s)
        self.previous_run: restart.PreviousRun | None = None
        self._settings: tuple[int, RuleSettings] | None = None
        self._notified: dict[int, tuple[str, int]] = {}  # alert id -> (state notified, when)
        self._control_cursor = 0
        self._lock = threading.Lock()
        self._started = False
        self.engine.subscribe(self._notify)

    # -- life cycle -------------------------------------------------------------------------------------------

    def start(self, previous_run: restart.PreviousRun | None = None) -> "AlertsService":
        """Take up the open alerts, raise what the previous run's end calls for, listen to polls, send."""
        now = self.clock()
        self.engine.load(now)
        self.previous_run = previous_run
        for observation in restart.observations(previous_run, now):
            self.engine.raise_event(observation)
        if self.collaborators.control_events is not None:
            # Control events are raised as they happen from now on; those of earlier runs were seen then.
            self._control_cursor = int(_ask(self.collaborators.control_events.latest) or 0)
        if self.acquisition is not None:
            self.acquisition.listeners.add(self.on_poll)
        self.outbox.start()
        self._started = True
        return self

    def stop(self) -> None:
        """Stop listening and sending."""
        if self.acquisition is not None:
            self.acquisition.listeners.remove(self.on_poll)
        self.outbox.stop()
        self._started = False

    # -- rules ------------------------------------------------------------------------------------------------

    def rule_settings(self) -> RuleSettings:
        """The rule settings in force (cached for a minute; a save through this service applies at once)."""
        now = self.clock()
        cached = self._settings
        if cached is None or now - cached[0] > SETTINGS_TTL_MS or now < cached[0]:
            cached = (now, alert_settings.load(self.overrides))
            self._settings = cached
        return cached[1]

    def save_rule_settings(self, form: Json) -> RuleSettings:
        """Check and store rule settings (all or nothing); they apply at once."""
        saved = alert_settings.save(form, now_ms=self.clock)
        self._settings = None
        return saved

    def on_poll(self, event: PollEvent) -> None:
        """Every poll, from the poll job's thread: the device's rules, its grid figures, its hops."""
        self.hops.take(event)
        settings = self.rule_settings()
        observations = rules.poll_rules(event, settings) + rules.battery_rules(event, settings)
        observations += self.grid.take(event, settings)
        self.engine.observe(observations)

    def tick(self) -> list[Change]:
        """The timer: the box's own rules, holds that ran out, devices gone, control events."""
        now = self.clock()
        settings = self.rule_settings()
        c = self.collaborators
        self.engine.flush()  # first: whether the database takes writes again is part of what is observed
        observations = []
        observations += box.disk(_ask(c.disk_room), now, settings)
        problem = _ask(c.database_problem) if c.database_problem else None
        observations += box.database(problem or self.engine.write_error, now)
        observations += box.clock(_ask(c.clock_synchronised), now)
        if c.headend is not None:
            observations += box.headend(_ask(c.headend), now, settings)
        observations += [self.grid.observe(system_id, now, settings) for system_id in self.grid.systems()]
        changes = self.engine.observe(observations, now)
        changes += self._control(now)
        changes += self._devices_gone(now)
        changes += self.engine.tick(now)
        return changes

    def _control(self, now: int) -> list[Change]:
        source = self.collaborators.control_events
        if source is None:
            return []
        events = _ask(lambda: source.after(self._control_cursor)) or []
        if not events:
            return []
        self._control_cursor = max(e.event_id for e in events)
        changes: list[Change] = []
        for observation in box.control(sorted(events, key=lambda e: e.event_id), self.device_name):
            if observation.state:
                changes += self.engine.raise_event(observation)
            else:
                changes += self.engine.end(observation.kind, observation.subject, observation.ts)
        return changes

    def _devices_gone(self, now: int) -> list[Change]:
        """Close the condition alerts of devices no longer polled (deleted, decommissioned, in maintenance)."""
        if self.acquisition is None:
            return []
        polled = {ctx.device_id for ctx in self.acquisition.devices()}
        changes: list[Change] = []
        for alert in self.engine.active():
            kind = kinds.KINDS.get(alert.kind)
            if kind is not None and kind.scope == "device" and not kind.event and alert.subject not in polled:
                changes += self.engine.end(alert.kind, alert.subject, now)
        return changes

    def device_name(self, device_id: str) -> str:
        """A device's name for a message (its id when no name is known)."""
        if self.acquisition is not None:
            for ctx in self.acquisition.devices():
                if ctx.device_id == device_id:
                    return ctx.name
        finder = self.collaborators.device_name
        return (_ask(lambda: finder(device_id)) if finder else None) or device_id

    # -- records ----------------------------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[Change], None]) -> None:
        """Hear every change of every alert (opened, reopened, updated, closed, acknowledged): MQTT, the demo."""
        self.engine.subscribe(listener)

    def active(self) -> list[AlertRecord]:
        """The active alerts, worst and newest first."""
        return self.engine.active()

    def summary(self) -> Json:
        """For the bell: how many are active, how many of those nobody acknowledged, the worst severity."""
        found = self.active()
        waiting = [a for a in found if a.acknowledged_at is None]
        worst = max((kinds.rank(a.severity) for a in waiting), default=-1)
        return {"active": len(found), "unacknowledged": len(waiting),
                "worst": kinds.SEVERITIES[worst] if worst >= 0 else None}

    def history(self, from_ms: int | None = None, to_ms: int | None = None, limit: int = store.MAX_HISTORY
                ) -> list[AlertRecord]:
        """Alerts active at some time in [from_ms, to_ms), newest first (active ones included)."""
        found = {a.alert_id: a for a in store.history(from_ms, to_ms, limit=limit)}
        for alert in self.active():  # those the database could not take yet are still history
            if (to_ms is None or alert.started_at < to_ms) and alert.alert_id not in found:
                found[alert.alert_id] = alert
        return sorted(found.values(), key=lambda a: (-a.started_at, -a.alert_id))[:limit]

    def get(self, alert_id: int) -> AlertRecord:
        """One alert by id; NotFoundError when there is none."""
        found = self.engine.find(alert_id) or store.get(alert_id)
        if found is None:
            raise NotFoundError(f"no alert {alert_id}", field="id")
        return found

    def acknowledge(self, alert_id: int, by: str) -> AlertRecord:
        """Acknowledge an alert (again: nothing changes); an event alert ends with it."""
        if not isinstance(by, str) or not by.strip() or len(by) > 120:
            raise ValidationError("who acknowledges must be 1 to 120 characters", field="by")
        self.get(alert_id)
        found = self.engine.acknowledge(alert_id, by.strip(), self.clock())
        if found is None:
            raise NotFoundError(f"no alert {alert_id}", field="id")
        return found

    def prune(self, keep_days: int) -> int:
        """Delete alerts that ended more than `keep_days` ago (retention; 0 keeps them forever)."""
        if keep_days <= 0:
            return 0
        return store.prune(self.clock() - keep_days * 86_400_000)

    # -- notifications ----------------------------------------------------------------------------------------

    def appliance_name(self) -> str:
        """How notifications name this box (its system's name)."""
        finder = self.collaborators.appliance_name
        return (_ask(finder) if finder else None) or "Appliance"

    def _notify(self, change: Change) -> None:
        """Queue notifications for an alert that opened, came back or closed: at most one per flap window."""
        alert = change.alert
        if change.event not in ("opened", "reopened", "closed"):
            return
        kind = kinds.KINDS.get(alert.kind)
        channels = notify.load_channels()
        if kinds.rank(alert.severity) < kinds.rank(channels.min_severity) or not channels.enabled():
            return
        now = self.clock()
        with self._lock:
            state, at = self._notified.get(alert.alert_id, ("", 0))
            if change.event == "closed":
                if state != "open" or (kind is not None and kind.event):
                    return
                self._notified[alert.alert_id] = ("closed", now)
            else:
                if state == "open" or (state and now - at < self.rule_settings().flap_window_ms):
                    return  # flapping: said once, not again until it has been quiet for the window
                self._notified[alert.alert_id] = ("open", now)
        self.outbox.offer(notify.Notice(change.event, alert, self.appliance_name()))

    def send_test(self, channel: str) -> None:
        """Send a test notification by one channel now; DeliveryError says why it failed."""
        if channel not in notify.CHANNELS:
            raise ValidationError(f"channel must be one of {', '.join(notify.CHANNELS)}", field="channel")
        self.outbox.send_now(channel, notify.test_notice(self.appliance_name(), self.clock()))

    # -- status -----------------------------------------------------------------------------------------------

    def status(self) -> Json:
        """Every hop's freshness: devices and their adapters, the appliance, the headend, the notifications."""
        now = self.clock()
        c = self.collaborators
        devices = self.acquisition.devices() if self.acquisition is not None else []
        limit = self.rule_settings().get("disk_nearly_full", "free_mb") * box.MB
        return {
            "now_ms": now,
            "devices": [self.hops.device(ctx, now) for ctx in sorted(devices, key=lambda d: d.name.lower())],
            "appliance": {"writer": status.writer_hop(_ask(c.writer) if c.writer else None, now),
                          "scheduler": status.scheduler_hop(_ask(c.scheduler) if c.scheduler else None),
                          "clock": status.clock_hop(_ask(c.clock_synchronised) if c.clock_synchronised else None),
                          "disk": status.disk_hop(_ask(c.disk_room) if c.disk_room else None, limit),
                          "alerts_pending_writes": self.engine.pending_writes()},
            "headend": status.headend_hop(_ask(c.headend) if c.headend else None, now),
            "notifications": {name: _channel(self.outbox.status.get(name) or ChannelStatus())
                              for name in notify.load_channels().enabled()},
        }


def _channel(found: ChannelStatus) -> Json:
    """A channel's delivery record for the status page and the API."""
    return {**vars(found), "last_sent": iso_ms(found.last_ok_ms), "last_error_at": iso_ms(found.last_error_ms)}


def _ask(func: Callable[[], Any] | None) -> Any:
    """A collaborator's answer; None when it is missing or fails (a failing source is logged once a call)."""
    if func is None:
        return None
    try:
        return func()
    except Exception as exc:  # noqa: BLE001 - one broken source must not stop the other rules
        log.warning("alert source %r failed: %s", func, exc)
        return None
