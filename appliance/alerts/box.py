"""The rules of the appliance itself and its link, checked on the timer: disk, database, clock, headend,
backlog; and the rules fed by events: control writes (issue 11), the watchdog restart seen at start."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from appliance import vocabulary
from appliance.alerts.engine import Observation
from appliance.alerts.kinds import APPLIANCE, HEADEND
from appliance.alerts.settings import RuleSettings

MB = 1024 * 1024
DISK_CLEAR = 1.1  # the room must be 10 % above the threshold before the alert closes


@dataclass(frozen=True)
class DiskRoom:
    """Room left for the database: the smaller of the disk's free space and the database's own cap."""

    free_bytes: int
    where: str = ""


@dataclass(frozen=True)
class HeadendLink:
    """The headend link as the runtime sees it."""

    configured: bool
    url: str | None = None
    last_push_ms: int | None = None
    last_pull_ms: int | None = None
    last_error: str | None = None
    failures: int = 0
    backlog_rows: int | None = None
    oldest_unsent_ms: int | None = None


@dataclass(frozen=True)
class ControlEvent:
    """One entry of the control audit log that alerts care about (issue 11's control_audit)."""

    event_id: int
    kind: str  # write_mismatch, budget_exhausted, write (a write that read back right)
    device_id: str
    message: str
    ts: int


#: Control audit kind -> (alert kind it opens, audit kinds that end it).
CONTROL_RULES = {"write_mismatch": ("write_mismatch", ("write",)),
                 "budget_exhausted": ("write_budget_exhausted", ("write",))}
#: The audit kinds the rules read (issue 11's control_audit.kind).
CONTROL_KINDS = tuple(sorted({*CONTROL_RULES, *(k for _, enders in CONTROL_RULES.values() for k in enders)}))


@dataclass(frozen=True)
class ControlEvents:
    """Where control audit entries come from (issue 11's log, passed in by the runtime)."""

    latest: Callable[[], int]  # the newest entry's id now: a start takes up after it (earlier ones were seen)
    after: Callable[[int], list[ControlEvent]]  # the entries of interest after an id, oldest first


def disk(room: DiskRoom | None, now: int, settings: RuleSettings) -> list[Observation]:
    """Room for the database below the threshold."""
    if room is None:
        return []
    limit = settings.get("disk_nearly_full", "free_mb") * MB
    state = True if room.free_bytes < limit else False if room.free_bytes > limit * DISK_CLEAR else None
    where = f" on {room.where}" if room.where else ""
    message = (f"Only {vocabulary.number(room.free_bytes / MB, 1, 'MB')} left for the database{where} "
               f"(alert below {limit / MB:g} MB): new readings will soon not be stored")
    return [Observation("disk_nearly_full", APPLIANCE, state, now, message, entity="disk",
                        details={"free_bytes": room.free_bytes})]


def database(problem: str | None, now: int) -> list[Observation]:
    """A write to the database failed (the sample writer's or the alerts' own)."""
    if problem is None:
        return [Observation("database_error", APPLIANCE, False, now)]
    return [Observation("database_error", APPLIANCE, True, now, f"The database cannot be written: {problem}",
                        entity="database", details={"error": problem}, signature=problem[:80])]


def clock(synchronised: bool | None, now: int) -> list[Observation]:
    """The system clock is not synchronised (samples are marked until it is)."""
    if synchronised is None:
        return []
    return [Observation("clock_unsynced", APPLIANCE, not synchronised, now,
                        "The clock is not synchronised: readings are stored marked and left out of the energy "
                        "totals until it is (check the network and NTP)", entity="clock")]


def headend(link: HeadendLink | None, now: int, settings: RuleSettings) -> list[Observation]:
    """The headend does not answer; changes wait too long to reach it."""
    if link is None or not link.configured:
        return [Observation("headend_unreachable", HEADEND, False, now),
                Observation("sync_backlog", HEADEND, False, now)]
    out = [Observation("headend_unreachable", HEADEND, link.last_error is not None, now,
                       f"The headend {link.url or ''} cannot be reached: {link.last_error}".replace("  ", " "),
                       entity="headend", details={"error": link.last_error, "failures": link.failures})]
    limit_ms = settings.get("sync_backlog", "age_min") * 60_000
    if link.oldest_unsent_ms is None:
        out.append(Observation("sync_backlog", HEADEND, False, now))
    else:
        age = now - link.oldest_unsent_ms
        rows = f"{link.backlog_rows} changes" if link.backlog_rows is not None else "Changes"
        out.append(Observation("sync_backlog", HEADEND, age > limit_ms, now,
                               f"{rows} wait for the headend; the oldest for {age // 60_000} min (alert above "
                               f"{limit_ms / 60_000:g} min)", entity="backlog",
                               details={"backlog_rows": link.backlog_rows, "oldest_unsent_ms": link.oldest_unsent_ms}))
    return out


def control(events: list[ControlEvent], name_of: Callable[[str], str]) -> list[Observation]:
    """What control audit entries mean for alerts, in their order: an observation that holds opens an event
    alert, one that is clear (a write that read back right) ends it. Order matters: a write and the mismatch
    it found are logged one after the other, and the mismatch must win."""
    out: list[Observation] = []
    for event in events:
        if event.kind in CONTROL_RULES:
            kind, _ = CONTROL_RULES[event.kind]
            out.append(Observation(kind, event.device_id, True, event.ts, f"{name_of(event.device_id)}: {event.message}",
                                   device_id=event.device_id, entity="control", details={"audit_id": event.event_id}))
        out += [Observation(kind, event.device_id, False, event.ts) for kind, enders in CONTROL_RULES.values()
                if event.kind in enders]
    return out
