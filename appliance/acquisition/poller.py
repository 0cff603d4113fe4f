"""One device's poll job: timeouts, backoff, adapter failover and fail-back, health, samples."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

from appliance import backoff
from appliance.acquisition import context as contexts
from appliance.acquisition import health
from appliance.acquisition.context import AdapterRef, DeviceContext
from appliance.acquisition.events import PollEvent, PollListener
from appliance.acquisition.live import LiveCache
from appliance.acquisition.rows import rows_for
from appliance.acquisition.writer import SampleWriter
from appliance.clock import now_ms
from appliance.drivers.base import Reading
from appliance.drivers.connect import LinkPool, open_driver
from appliance.errors import ApplianceError, DecodeError, TransportError
from appliance.jsontypes import as_list
from appliance.store.models import RegistryDevice

log = logging.getLogger(__name__)

RETRY_PAUSE_S = 0.1


class DevicePoller:
    """Polls one device through its adapters in priority order; safe to call from any scheduler thread."""

    #: Told of every attempt that counts (not a fail-back probe that failed); the Acquisition sets it.
    on_poll: PollListener | None = None

    def __init__(self, ctx: DeviceContext, pool: LinkPool, writer: SampleWriter, live: LiveCache, *,
                 clock: Callable[[], int] = now_ms, failover_after: int = 3, failback_every: int = 6,
                 max_backoff_s: float = 300.0, cell_interval_s: float = 60.0, timekeeper: Any = None,
                 health_book: health.HealthBook | None = None) -> None:
        self.ctx = ctx
        # Without a book of the acquisition's, every poll is written through (a poller used on its own).
        self.health = health_book or health.HealthBook(summary_every_s=0)
        self.timekeeper = timekeeper  # acquisition.timekeeping.Timekeeper: flags samples while the clock is unsure
        self._flags = 0
        self.pool, self.writer, self.live, self.clock = pool, writer, live, clock
        self.failover_after, self.failback_every = failover_after, failback_every
        self.max_backoff_ms = int(max_backoff_s * 1000)
        self.cell_interval_ms = int(cell_interval_s * 1000)
        self.current = 0
        self.failures = 0
        self.adapter_failures = 0
        self.polls_since_switch = 0
        self.next_attempt_ms = 0
        self.last_cells_ms = -(10 ** 15)
        self._drivers: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def adapter(self) -> AdapterRef:
        """The adapter in use."""
        return self.ctx.adapters[self.current]

    def poll(self) -> Reading | None:
        """Poll once unless backing off or in maintenance; return the reading stored, if any."""
        if not self._lock.acquire(blocking=False):
            return None  # the previous poll of this device is still running: never pile up
        try:
            return self._poll()
        finally:
            self._lock.release()

    def _poll(self) -> Reading | None:
        now = self.clock()
        if self.next_attempt_ms - now > self.max_backoff_ms:
            self.next_attempt_ms = 0  # the wall clock went back: a backoff never waits longer than its maximum
        if now < self.next_attempt_ms or self._in_maintenance():
            return None
        # Stamped when the poll starts, like `now`: a jump during a slow read counts for the next poll.
        self._flags = self.timekeeper.flags(now) if self.timekeeper is not None else 0
        if self.current != 0 and self.polls_since_switch % self.failback_every == self.failback_every - 1:
            reading = self._attempt(0, now, probing=True)
            if reading is not None:
                return reading
        self.polls_since_switch += 1
        return self._attempt(self.current, now, probing=False)

    def _in_maintenance(self) -> bool:
        state = (RegistryDevice.select(RegistryDevice.lifecycle_state)
                 .where(RegistryDevice.device_id == self.ctx.device_id).scalar())
        if state in ("maintenance", "decommissioned", None):
            self.health.forget(self.ctx.device_id)  # set from outside: read it again after maintenance
            return True
        return False

    def _driver(self, adapter: AdapterRef) -> Any:
        if adapter.adapter_id not in self._drivers:
            self._drivers[adapter.adapter_id] = open_driver(adapter.adapter_type, adapter.config, self.pool)
        return self._drivers[adapter.adapter_id]

    def _read(self, adapter: AdapterRef) -> tuple[Reading, int]:
        retries = int(adapter.config.get("retries", 1))
        for attempt in range(retries + 1):
            driver, bus_lock = self._driver(adapter)
            try:
                with bus_lock:
                    started = time.monotonic()
                    reading = driver.read()
                    return reading, int((time.monotonic() - started) * 1000)
            except TransportError:
                if attempt == retries:
                    raise
                self._forget(adapter)
                time.sleep(RETRY_PAUSE_S * (attempt + 1))  # a short backoff: a bus glitch, not a dead device
        raise TransportError(f"{adapter.adapter_id}: no attempt made")

    def _attempt(self, index: int, now: int, *, probing: bool) -> Reading | None:
        adapter = self.ctx.adapters[index]
        try:
            reading, elapsed_ms = self._read(adapter)
        except Exception as exc:  # noqa: BLE001 - whatever a driver raises is a failed poll, never a wedged poller
            if not isinstance(exc, (ApplianceError, OSError)):
                # A bug, not a device fault: the traceback goes to debug (once), the one warning line names it.
                if not self.failures:
                    log.debug("%s: %s raised", self.ctx.device_id, adapter.adapter_id, exc_info=True)
                exc = ApplianceError(f"{type(exc).__name__}: {exc}")
            self._forget(adapter)
            if not probing:
                self._failed(exc, now)
                self._tell(PollEvent(self.ctx, now, False, adapter.adapter_id, index, error=str(exc),
                                     garbled=isinstance(exc, DecodeError), failures=self.failures))
            return None
        if index != self.current:
            log.warning("%s: back on preferred adapter %s", self.ctx.device_id, adapter.adapter_id)
            self.current, self.adapter_failures, self.polls_since_switch = index, 0, 0
        self._succeeded(reading, elapsed_ms, now)
        self._tell(PollEvent(self.ctx, now, True, adapter.adapter_id, index,
                             Reading(reading.kind, reading.values, reading.details, now), elapsed_ms))
        return reading

    def _tell(self, event: PollEvent) -> None:
        if self.on_poll is not None:
            self.on_poll(event)

    def _forget(self, adapter: AdapterRef) -> None:
        """Drop the driver and close its bus, so the next poll reopens it (an adapter may have been replugged)."""
        self._drivers.pop(adapter.adapter_id, None)
        try:
            self.pool.reset(adapter.adapter_type, adapter.config)
        except ApplianceError as exc:
            log.debug("%s: reset of %s failed: %s", self.ctx.device_id, adapter.adapter_id, exc)

    def _failed(self, exc: Exception, now: int) -> None:
        self.failures += 1
        self.adapter_failures += 1
        if self.failures == 1:
            log.warning("%s: poll failed via %s: %s", self.ctx.device_id, self.adapter.adapter_id, exc)
        garbled = isinstance(exc, DecodeError)
        self.health.record(self.ctx.device_id, health.PollOutcome(False, error=str(exc), garbled=garbled), now,
                           failures=self.failures, failed_after=self.failover_after)
        self.live.mark_failed(self.ctx.device_id, str(exc))
        if self.adapter_failures >= self.failover_after and len(self.ctx.adapters) > 1:
            previous = self.adapter.adapter_id
            self.current = (self.current + 1) % len(self.ctx.adapters)
            self.adapter_failures, self.polls_since_switch = 0, 0
            log.warning("%s: adapter %s failed %d polls in a row; switching to %s", self.ctx.device_id,
                        previous, self.failover_after, self.adapter.adapter_id)
            return
        if len(self.ctx.adapters) > 1 and self.failures < self.failover_after * len(self.ctx.adapters):
            return  # alternatives remain untried: keep the normal rate so failover is not delayed
        interval_ms = int(self.ctx.poll_interval_s * 1000)
        if not isinstance(exc, TransportError) or self.failures > 1:
            self.next_attempt_ms = now + int(backoff.delay(self.failures, interval_ms, self.max_backoff_ms))

    def _succeeded(self, reading: Reading, elapsed_ms: int, now: int) -> None:
        if self.failures:
            log.info("%s: answering again via %s after %d failed polls", self.ctx.device_id,
                     self.adapter.adapter_id, self.failures)
        self.failures, self.adapter_failures, self.next_attempt_ms = 0, 0, 0
        if self.ctx.kind == "battery_pack" and not self.ctx.battery_ids:
            self._learn_layout(reading)
        since_cells = now - self.last_cells_ms
        with_cells = not 0 <= since_cells < self.cell_interval_ms  # negative: the clock went back
        if with_cells:
            self.last_cells_ms = now
        stamped = Reading(reading.kind, reading.values, reading.details, now)
        self.writer.submit(rows_for(self.ctx, now, stamped, with_cells=with_cells, flags=self._flags))
        self.live.update(self.ctx, stamped, adapter_id=self.adapter.adapter_id)
        self.health.record(self.ctx.device_id, health.PollOutcome(True, response_time_ms=elapsed_ms), now,
                           failures=0)

    def _learn_layout(self, reading: Reading) -> None:
        """A pack found by discovery has no units yet: take them from its first reading."""
        from appliance.catalog.devices import set_pack_layout

        units = [u for u in as_list(reading.values.get("batteries")) if isinstance(u, dict)]
        cells = [len(as_list(u.get("cell_voltages_v"))) for u in units] or \
            [len(as_list(reading.values.get("cell_voltages_v")))]
        count = len(units) or (1 if cells[0] else 0)
        if count:
            set_pack_layout(self.ctx.catalog_id, count, max(cells))
            device = RegistryDevice.get_by_id(self.ctx.device_id)
            self.ctx = contexts.load(device) or self.ctx
