"""Keeps one scheduled poll job per device in step with the catalog."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from appliance.acquisition import context as contexts
from appliance.acquisition import health
from appliance.acquisition.events import Listeners
from appliance.acquisition.live import LiveCache
from appliance.acquisition.poller import DevicePoller
from appliance.acquisition.writer import SampleWriter
from appliance.clock import now_ms
from appliance.drivers.connect import LinkPool
from appliance.errors import ApplianceError, ValidationError

log = logging.getLogger(__name__)

#: (adapter type, config, field) -> the checked config, or ValidationError naming what is wrong.
ConfigCheck = Callable[[str, Any, str], Any]


class Acquisition:
    """Owns the pollers; `sync()` adds, rebuilds and removes them as the catalog changes."""

    def __init__(self, scheduler: Any, writer: SampleWriter, pool: LinkPool, live: LiveCache, *,
                 clock: Callable[[], int] = now_ms, poller_options: dict[str, Any] | None = None,
                 check_config: ConfigCheck | None = None) -> None:
        self.scheduler, self.writer, self.pool, self.live, self.clock = scheduler, writer, pool, live, clock
        self.poller_options = poller_options or {}
        # The adapter schema check (catalog's), given by runtime: a stored row is checked before it is polled.
        self.check_config = check_config
        # Health lives in memory between changes; its periodic summary rides on the writer's flushes.
        self.health = health.HealthBook()
        writer.add_participant(self.health)
        self.pollers: dict[str, DevicePoller] = {}
        #: Everyone who hears each poll (the alert rules); see acquisition/events.py.
        self.listeners = Listeners()
        self._fingerprints: dict[str, str] = {}
        self._disabled: dict[str, str] = {}
        self._lock = threading.Lock()

    def sync(self) -> dict[str, int]:
        """Match the pollers to the devices that should be polled; return what changed."""
        with self._lock:
            found, bad = contexts.scan()
            wanted = {ctx.device_id: ctx for ctx in found}
            added = changed = removed = 0
            for device_id in list(self.pollers):
                if device_id not in wanted:
                    self._remove(device_id)
                    removed += 1
            for device_id, ctx in wanted.items():
                fingerprint = ctx.fingerprint()
                if self._fingerprints.get(device_id) == fingerprint:
                    continue
                if device_id in self.pollers:
                    self._remove(device_id)
                    changed += 1
                else:
                    added += 1
                try:
                    self._check(ctx)
                    self._add(ctx, fingerprint)
                except Exception as exc:  # noqa: BLE001 - one bad device row never stops the others or the process
                    self._remove(device_id)
                    bad[device_id] = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            for device_id, reason in bad.items():
                self._disable(device_id, reason)
            for device_id in [d for d in self._disabled if d not in bad]:
                del self._disabled[device_id]  # fixed or gone: polled again (or not at all)
            return {"added": added, "changed": changed, "removed": removed, "polled": len(self.pollers),
                    "disabled": len(self._disabled)}

    def _check(self, ctx: contexts.DeviceContext) -> None:
        if self.check_config is None:
            return
        for adapter in ctx.adapters:
            try:
                self.check_config(adapter.adapter_type, adapter.config, "config")
            except ApplianceError as exc:
                raise ValidationError(f"adapter {adapter.adapter_id}: {exc.message}", field=exc.field) from exc

    def _disable(self, device_id: str, reason: str) -> None:
        """Keep a device with a bad stored row from polling; say why once, in the log and its health."""
        if self._disabled.get(device_id) == reason:
            return
        self._disabled[device_id] = reason
        log.error("%s: not polled: %s (fix it on the device's configuration page)", device_id, reason)
        self.health.forget(device_id)
        health.disable(device_id, f"not polled: {reason}", self.clock())
        self.live.mark_failed(device_id, reason)

    def _add(self, ctx: contexts.DeviceContext, fingerprint: str) -> None:
        self.health.forget(ctx.device_id)  # a new or changed device: its registry row is read again
        poller = DevicePoller(ctx, self.pool, self.writer, self.live, clock=self.clock, health_book=self.health,
                              **self.poller_options)
        self.pollers[ctx.device_id] = poller
        poller.on_poll = self.listeners
        self._fingerprints[ctx.device_id] = fingerprint
        if self.scheduler is not None:
            # max_instances=1 and coalesce: a slow device never piles up jobs or delays another.
            self.scheduler.add_job(poller.poll, "interval", seconds=ctx.poll_interval_s, id=f"poll:{ctx.device_id}",
                                   replace_existing=True, max_instances=1, coalesce=True,
                                   misfire_grace_time=int(ctx.poll_interval_s) + 1, next_run_time=_soon())
        log.info("polling %s (%s) every %g s via %s", ctx.device_id, ctx.name, ctx.poll_interval_s,
                 ", ".join(a.adapter_id for a in ctx.adapters))

    def _remove(self, device_id: str) -> None:
        self.pollers.pop(device_id, None)
        self._fingerprints.pop(device_id, None)
        if self.scheduler is not None and self.scheduler.get_job(f"poll:{device_id}") is not None:
            self.scheduler.remove_job(f"poll:{device_id}")

    def use_pool(self, pool: LinkPool) -> None:
        """Poll through another pool from now on (a backfill's in-process simulators, then the real buses)."""
        with self._lock:
            self.pool = pool
            self._fingerprints.clear()  # every poller is rebuilt on its new links at the next sync
        self.sync()

    def devices(self) -> list[contexts.DeviceContext]:
        """The devices being polled now."""
        with self._lock:
            return [poller.ctx for poller in self.pollers.values()]

    def poll_all(self) -> int:
        """Poll every device once, in this thread (backfill and tests); return how many readings came."""
        return sum(1 for poller in list(self.pollers.values()) if poller.poll() is not None)


def _soon() -> Any:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)
