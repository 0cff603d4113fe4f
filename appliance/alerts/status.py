"""Hop-by-hop freshness: device -> adapter -> appliance (writer, scheduler, clock, disk) -> headend.

Each hop gets a state an owner reads as a colour: ok (green), late (amber), down (red), standby (a
backup adapter not in use), off (not set up) or unknown (nothing heard since the start). The chain
shows at once where data stops: a device whose adapter is green but whose headend hop is red is
stored at home and waits to be sent.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from appliance.acquisition.context import DeviceContext
from appliance.acquisition.events import PollEvent
from appliance.alerts.box import DiskRoom, HeadendLink
from appliance.clock import iso_ms
from appliance.jsontypes import Json

STATES = ("ok", "late", "down", "standby", "off", "unknown")
#: A read is late after this many poll intervals without a newer good one.
LATE_POLLS = 3
#: Grace after the writer's flush interval: pending rows older than interval + this mean it is stuck.
WRITER_LATE_MS = 30_000
#: A configured headend link is late when nothing got through for this long.
HEADEND_LATE_MS = 5 * 60_000


@dataclass(frozen=True)
class WriterState:
    """The sample writer, as /health sees it."""

    alive: bool
    last_flush_ms: int | None
    pending: int
    rows_written: int
    last_error: str | None = None
    #: Seconds between the writer's commits (group commits spare the SD card: minutes, not seconds).
    flush_interval_s: float = 1.0


@dataclass(frozen=True)
class SchedulerState:
    """The job scheduler."""

    running: bool
    jobs: int


@dataclass
class _AdapterSeen:
    last_good_ms: int | None = None
    last_try_ms: int | None = None
    last_error: str | None = None
    ok: bool | None = None


@dataclass
class _DeviceSeen:
    adapters: dict[str, _AdapterSeen] = field(default_factory=dict)
    in_use: str | None = None
    health: str = "unknown"


def _age(now: int, ts: int | None) -> float | None:
    return None if ts is None else round(max(0, now - ts) / 1000, 1)


class HopBook:
    """What each device's adapters last did, from the polls; thread-safe."""

    def __init__(self) -> None:
        self._devices: dict[str, _DeviceSeen] = {}
        self._lock = threading.Lock()

    def take(self, event: PollEvent) -> None:
        """Note one poll."""
        with self._lock:
            seen = self._devices.setdefault(event.ctx.device_id, _DeviceSeen())
            adapter = seen.adapters.setdefault(event.adapter_id, _AdapterSeen())
            adapter.last_try_ms, adapter.ok = event.ts_ms, event.ok
            if event.ok:
                adapter.last_good_ms, adapter.last_error = event.ts_ms, None
                seen.in_use = event.adapter_id
                seen.health = "online"
            else:
                adapter.last_error = event.error
                seen.health = "error" if event.garbled else "offline"

    def device(self, ctx: DeviceContext, now: int) -> Json:
        """One device's chain up to the appliance."""
        with self._lock:
            seen = self._devices.get(ctx.device_id) or _DeviceSeen()
            known = {k: _AdapterSeen(v.last_good_ms, v.last_try_ms, v.last_error, v.ok) for k, v in seen.adapters.items()}
            in_use, health = seen.in_use, seen.health
        late_ms = int(LATE_POLLS * ctx.poll_interval_s * 1000)
        adapters: list[Json] = []
        for index, ref in enumerate(ctx.adapters):
            a = known.get(ref.adapter_id, _AdapterSeen())
            using = ref.adapter_id == in_use or (in_use is None and index == 0)
            if a.last_try_ms is None:
                state = "unknown" if using else "standby"
            elif a.ok is False:
                state = "down"
            elif not using:
                state = "standby"
            else:
                state = "ok" if a.last_good_ms is not None and now - a.last_good_ms <= late_ms else "late"
            adapters.append({"adapter_id": ref.adapter_id, "adapter_type": ref.adapter_type, "preferred": index == 0,
                             "in_use": using, "state": state, "last_good_read": iso_ms(a.last_good_ms),
                             "last_good_read_ms": a.last_good_ms, "age_s": _age(now, a.last_good_ms),
                             "error": a.last_error})
        states = [a["state"] for a in adapters if a["in_use"]] or ["unknown"]
        return {"device_id": ctx.device_id, "name": ctx.name, "kind": ctx.kind, "system_id": ctx.system_id,
                "health": health, "state": states[0], "poll_interval_s": ctx.poll_interval_s, "adapters": adapters}


def writer_hop(state: WriterState | None, now: int) -> Json:
    """The sample writer: its last flush, what waits, its error."""
    if state is None:
        return {"state": "unknown"}
    if not state.alive or state.last_error:
        hop = "down"
    elif (state.pending and state.last_flush_ms is not None
          and now - state.last_flush_ms > state.flush_interval_s * 1000 + WRITER_LATE_MS):
        hop = "late"
    else:
        hop = "ok"
    return {"state": hop, "last_flush": iso_ms(state.last_flush_ms), "last_flush_ms": state.last_flush_ms,
            "age_s": _age(now, state.last_flush_ms), "pending_rows": state.pending,
            "rows_written": state.rows_written, "error": state.last_error,
            "flush_interval_s": state.flush_interval_s}


def scheduler_hop(state: SchedulerState | None) -> Json:
    """The scheduler that runs the polls."""
    if state is None:
        return {"state": "unknown"}
    return {"state": "ok" if state.running else "down", "running": state.running, "jobs": state.jobs}


def clock_hop(synchronised: bool | None) -> Json:
    """Whether the clock is synchronised."""
    if synchronised is None:
        return {"state": "unknown", "synchronised": None}
    return {"state": "ok" if synchronised else "late", "synchronised": synchronised}


def disk_hop(room: DiskRoom | None, limit_bytes: float) -> Json:
    """Room left for the database."""
    if room is None:
        return {"state": "unknown", "free_bytes": None}
    return {"state": "ok" if room.free_bytes >= limit_bytes else "down", "free_bytes": room.free_bytes,
            "where": room.where}


def headend_hop(link: HeadendLink | None, now: int) -> Json:
    """The headend: last push or pull, backlog and the age of the oldest unsent change."""
    if link is None or not link.configured and link.last_pull_ms is None:
        return {"state": "off", "configured": False, "url": None, "last_push": None, "last_pull": None,
                "last_success": None, "age_s": None, "backlog_rows": link.backlog_rows if link else None,
                "oldest_unsent": None, "oldest_unsent_age_s": None, "error": None}
    last = max((t for t in (link.last_push_ms, link.last_pull_ms) if t is not None), default=None)
    if link.configured and link.last_error:
        state = "down"
    elif last is None or now - last > HEADEND_LATE_MS:
        state = "late"
    else:
        state = "ok"
    return {"state": state, "configured": link.configured, "url": link.url, "last_push": iso_ms(link.last_push_ms),
            "last_push_ms": link.last_push_ms, "last_pull": iso_ms(link.last_pull_ms), "last_pull_ms": link.last_pull_ms,
            "last_success": iso_ms(last), "age_s": _age(now, last),
            "backlog_rows": link.backlog_rows, "oldest_unsent": iso_ms(link.oldest_unsent_ms),
            "oldest_unsent_age_s": _age(now, link.oldest_unsent_ms), "error": link.last_error}
