"""Setpoint delivery: driver writes with read-back under the bus lock, only on change, rate-limited, with expiry.

A power-register device (PowerPack) gets its setpoint written to its target register; a program device
(a Deye hybrid) gets the setpoint mapped onto its time-of-use program, starting from the owner's program
kept before the first write, which is written back exactly when the setpoint ends with none to return to.
"""

from __future__ import annotations

import logging
import threading
from typing import Callable, NotRequired, TypedDict

from appliance.acquisition import live
from appliance.clock import now_ms
from appliance.control import assets as asset_info
from appliance.control import audit, engine, lease
from appliance.control.budget import BudgetExhausted
from appliance.drivers.connect import LinkPool, open_driver
from appliance.drivers.modbus.control import ProgramControl, SetpointContext
from appliance.drivers.modbus.settings_edit import ClampJson, WriteJson
from appliance.errors import ApplianceError, DeviceMismatchError, TransportError
from appliance.jsontypes import Json, JsonObject, number
from appliance.store import control as control_store
from appliance.store import settings as stored_settings
from appliance.store.models import SetpointState, database

log = logging.getLogger(__name__)

#: app_settings key of the least time between two writes to one device (inverter settings live in EEPROM).
MIN_INTERVAL_KEY = "dispatch.min_write_interval_s"
MIN_INTERVAL_S = 10.0
#: Errors a retry every few seconds would only repeat (and, for a mismatch, pay for with the write budget).
FINAL_ERRORS = (BudgetExhausted, DeviceMismatchError)


class WriteResult(TypedDict):
    """What a setpoint write came to: applied, unchanged, deferred (until `retry_at`) or failed."""

    status: str
    applied_w: float | None
    error: str | None
    retry_at: NotRequired[int]


class TickResult(WriteResult):
    """A write the periodic job made: an expiry (`expired`) or a retry."""

    asset_id: str
    expired: bool
    target_w: float
    command_source: int
    dispatch_id: int | None


class WritePreview(TypedDict):
    """The exact register writes a setpoint would make now; `error` when the device could not be read."""

    writes: list[WriteJson]
    clamps: NotRequired[list[ClampJson]]
    program: NotRequired[JsonObject]
    error: NotRequired[str]


class SetpointView(TypedDict):
    """The setpoint in force for an asset."""

    asset_id: str
    target_w: float
    applied_w: float | None
    written_at: int | None
    pending: bool
    expires_at: int | None
    revert_w: float | None
    command_source: int
    dispatch_id: int | None
    last_error: str | None
    released: bool
    control_source: str


class Dispatcher:
    """Writes setpoints to devices; holds the shared LinkPool (so the pollers' bus locks apply) and a clock.

    runtime.py builds the one of a process on the pollers' pool; nothing builds one behind its back."""

    def __init__(self, pool: LinkPool, *, clock: Callable[[], int] = now_ms,
                 min_interval_s: float | None = None) -> None:
        self.pool = pool
        self.clock = clock
        self._min_interval_s = min_interval_s
        self._lock = threading.RLock()

    @property
    def min_interval_ms(self) -> int:
        """Least time between two writes to one device: the constructor's value, else the setting, else 10 s."""
        value = self._min_interval_s
        if value is None:
            stored = stored_settings.get_json(MIN_INTERVAL_KEY, MIN_INTERVAL_S)
            value = float(stored) if isinstance(stored, (int, float)) and not isinstance(stored, bool) else MIN_INTERVAL_S
        return int(max(0.0, value) * 1000)

    def hold(self, asset_id: str, target_w: float, *, now: int, expires_at: int | None, command_source: int,
             dispatch_id: int | None, control_source: str = "api", holder: str | None = None) -> WriteResult:
        """Make `target_w` the asset's setpoint and write it if it changed and the rate limit allows."""
        with self._lock:
            state = SetpointState.get_or_none(SetpointState.asset == asset_id)
            revert_w = None
            if expires_at is not None and state is not None and not state.released:
                # A temporary setpoint returns to the standing one it interrupts, else releases the device.
                revert_w = state.target_w if state.expires_at is None else state.revert_w
            unchanged = (state is not None and not state.pending and state.last_error is None and not state.released
                         and abs(state.target_w - target_w) < 0.5)
            values = {"target_w": float(target_w), "expires_at": expires_at, "revert_w": revert_w,
                      "command_source": command_source, "dispatch_id": dispatch_id, "released": 0,
                      "control_source": control_source}
            with database.atomic():
                if state is None:
                    control_store.add_setpoint_state(asset_id, {"pending": 1, **values})
                else:
                    control_store.update_setpoint_state(asset_id, {"pending": 0 if unchanged else 1, **values})
            if unchanged:
                return {"status": "unchanged", "applied_w": state.applied_w if state else None, "error": None}
            return self._write(asset_id, now, holder=holder)

    def _write(self, asset_id: str, now: int, *, release: bool = False, holder: str | None = None,
               force: bool = False) -> WriteResult:
        state = SetpointState.get(SetpointState.asset == asset_id)
        if not force and state.written_at is not None and now - state.written_at < self.min_interval_ms:
            retry_at = state.written_at + self.min_interval_ms
            return {"status": "deferred", "applied_w": state.applied_w, "error": None, "retry_at": retry_at}
        who = holder or ("expiry" if release else "dispatch")
        try:
            asset = asset_info.resolve(asset_id)
            adapter = asset.setpoint_adapter
            if adapter is None:
                raise TransportError(f"asset {asset_id!r} has no adapter that takes setpoints")
            if asset.program:
                device = engine.Device(asset_id, adapter.adapter_type, adapter.config)
                applied = (self._restore(device, now, state.control_source, who) if release else
                           self._program(asset, device, state.target_w, now, state.control_source, who))
            else:
                applied = self._apply(asset_id, adapter.adapter_type, adapter.config, state.target_w, state, now, who)
        except (ApplianceError, OSError) as exc:
            error = str(exc) or type(exc).__name__
            # A failed write is retried by the periodic job, no sooner than the rate limit allows; a refusal
            # for the budget or a read-back mismatch is not: it would fail again (and spend writes).
            retry = 0 if isinstance(exc, FINAL_ERRORS) else 1
            control_store.update_setpoint_state(asset_id, {"pending": retry, "written_at": now, "last_error": error})
            log.warning("setpoint %.0f W to %s failed: %s", state.target_w, asset_id, error)
            return {"status": "failed", "applied_w": state.applied_w, "error": error}
        control_store.update_setpoint_state(asset_id, {"pending": 0, "written_at": now, "applied_w": applied,
                                                       "last_error": None, "released": 1 if release else 0})
        log.info("setpoint %.0f W to %s: device holds %s W", state.target_w, asset_id, applied)
        return {"status": "applied", "applied_w": applied, "error": None}

    def _apply(self, asset_id: str, adapter_type: str, config: JsonObject, power_w: float, state: SetpointState,
               now: int, holder: str) -> float:
        driver, lock = open_driver(adapter_type, config, self.pool)
        try:
            with lock:  # the bus lock the pollers hold: a write never interleaves with a poll on the same line
                applied = float(driver.apply_setpoint(power_w))
        except TransportError as exc:
            self.pool.reset(adapter_type, config)
            audit.record(asset_id, "write_failed", f"setpoint {power_w:.0f} W failed: {exc}", now=now,
                         source=state.control_source, holder=holder)
            raise
        audit.record(asset_id, "write", f"setpoint {power_w:.0f} W", now=now, source=state.control_source,
                     holder=holder, details={"before_w": state.applied_w, "written_w": power_w, "read_back_w": applied})
        return applied

    def setpoint_context(self, asset: asset_info.AssetInfo) -> Callable[[ProgramControl, Json], SetpointContext]:
        """How a program device's setpoint context is found: the battery voltage of its latest reading (else
        the model's nominal voltage) and the floor SOC (the reserve, at least the inverter's low SOC)."""
        def context(driver: ProgramControl, program: Json) -> SetpointContext:
            reading = live.latest_reading(asset.asset_id) or {}
            volts = reading.get("battery_voltage_v")
            if not isinstance(volts, (int, float)) or isinstance(volts, bool) or volts <= 0:
                volts = driver.nominal_battery_v()
            floor = max(float(asset.soc_reserve_pct or 0), float(number(program.get("battery_low_soc_pct")) or 0))
            return SetpointContext(battery_v=float(volts), floor_soc_pct=floor)
        return context

    def _program(self, asset: asset_info.AssetInfo, device: engine.Device, power_w: float, now: int, source: str,
                 holder: str) -> float | None:
        used: list[tuple[ProgramControl, SetpointContext]] = []
        find = self.setpoint_context(asset)

        def context(driver: ProgramControl, program: Json) -> SetpointContext:
            used.append((driver, find(driver, program)))
            return used[-1][1]
        outcome = engine.change(self.pool, device, engine.setpoint(power_w, context, device_id=device.device_id,
                                                                   now=now, source=source, holder=holder),
                                now=now, source=source, holder=holder, reason=f"setpoint {power_w:.0f} W")
        if not used:
            return None
        driver, found = used[-1]
        return driver.implied_power_w(outcome.after, found)

    def _restore(self, device: engine.Device, now: int, source: str, holder: str) -> float | None:
        """Write the owner's program back exactly (counted, never refused by the budget) and forget it."""
        if engine.snapshot(device.device_id) is None:
            return None
        engine.change(self.pool, device, engine.restoring(device.device_id), now=now, source=source, holder=holder,
                      exempt=True, reason="the setpoint ended: the owner's program restored")
        engine.drop_snapshot(device.device_id)
        audit.record(device.device_id, "restored", "the owner's program was written back", now=now, source=source,
                     holder=holder)
        return None

    def preview(self, asset_id: str, power_w: float, now: int) -> WritePreview:
        """The exact register writes a setpoint would make now ({"writes": [...]}, or {"writes": [], "error"}
        when the device cannot be read); nothing is written and no snapshot is kept."""
        try:
            asset = asset_info.resolve(asset_id)
            adapter = asset.setpoint_adapter
            if adapter is None:
                raise TransportError(f"asset {asset_id!r} has no adapter that takes setpoints")
            if asset.program:
                device = engine.Device(asset_id, adapter.adapter_type, adapter.config)
                outcome = engine.change(self.pool, device, engine.setpoint(
                    power_w, self.setpoint_context(asset), device_id=asset_id, now=now, source=None, holder=None,
                    dry_run=True), now=now, source=None, holder=None, dry_run=True)
                return {"writes": [w.to_json() for w in outcome.writes],
                        "clamps": [c.to_json() for c in outcome.clamps], "program": outcome.after}
            driver, _ = open_driver(adapter.adapter_type, adapter.config, self.pool)
            return {"writes": getattr(driver, "setpoint_writes")(power_w)}
        except (ApplianceError, OSError) as exc:
            return {"writes": [], "error": str(exc) or type(exc).__name__}

    def tick(self, now: int) -> list[TickResult]:
        """Revert expired setpoints and retry pending writes; one result per asset touched."""
        results: list[TickResult] = []
        with self._lock:
            for state in list(SetpointState.select().where(SetpointState.expires_at.is_null(False)
                                                          & (SetpointState.expires_at <= now))
                              .order_by(SetpointState.asset)):
                release = state.revert_w is None
                revert = 0.0 if state.revert_w is None else state.revert_w
                # `released` marks a device to be handed back to its owner until that write succeeds.
                control_store.update_setpoint_state(state.asset_id, {"target_w": revert, "expires_at": None,
                                                                     "revert_w": None, "pending": 1,
                                                                     "released": 1 if release else 0})
                result = self._write(state.asset_id, now, release=release)
                if release and result["status"] == "applied":
                    lease.release(state.asset_id, state.control_source, now=now, reason="the setpoint ended")
                results.append({"asset_id": state.asset_id, "expired": True, "target_w": revert,
                                "command_source": state.command_source, "dispatch_id": state.dispatch_id, **result})
            for state in list(SetpointState.select().where(SetpointState.pending == 1).order_by(SetpointState.asset)):
                if any(r["asset_id"] == state.asset_id for r in results):
                    continue
                result = self._write(state.asset_id, now, release=bool(state.released))
                if result["status"] != "deferred":
                    results.append({"asset_id": state.asset_id, "expired": False, "target_w": state.target_w,
                                    "command_source": state.command_source, "dispatch_id": state.dispatch_id,
                                    **result})
            lease.sweep(now)  # after the expiries: a setpoint's own end releases its lease first
        return results

    def serial(self) -> threading.RLock:
        """The lock that orders setpoint writes, expiries and program changes one after another."""
        return self._lock

    def end(self, asset_id: str, now: int, *, holder: str) -> bool:
        """End the setpoint in force now and hand the device back (a program device gets the owner's program
        written back at once); True when the device was handed back."""
        with self._lock:
            state = SetpointState.get_or_none(SetpointState.asset == asset_id)
            if state is None or (state.released and not state.pending):
                return False
            control_store.update_setpoint_state(asset_id, {"target_w": 0.0, "expires_at": None, "revert_w": None,
                                                           "pending": 1, "released": 1})
            result = self._write(asset_id, now, release=True, holder=holder, force=True)
            if result["status"] != "applied":
                raise TransportError(f"{asset_id} could not be handed back: {result.get('error')}")
            return True

    def cancel(self, asset_id: str, now: int, *, source: str, holder: str) -> bool:
        """End the setpoint in force on an asset without writing (a program change made by its owner replaces
        it): the kept program is forgotten; True when there was one."""
        with self._lock:
            state = SetpointState.get_or_none(SetpointState.asset == asset_id)
            active = state is not None and not state.released
            with database.atomic():
                if state is not None:
                    control_store.update_setpoint_state(asset_id, {"released": 1, "pending": 0, "expires_at": None,
                                                                   "revert_w": None, "target_w": 0.0})
                dropped = engine.drop_snapshot(asset_id)
                if active or dropped:
                    audit.record(asset_id, "setpoint_cancelled", "a program change ended the setpoint in force",
                                 now=now, source=source, holder=holder,
                                 details={"target_w": state.target_w if state else None})
            return active or dropped



def state(asset_id: str) -> SetpointView | None:
    """The setpoint in force for an asset, or None."""
    row = SetpointState.get_or_none(SetpointState.asset == asset_id)
    if row is None:
        return None
    return {"asset_id": asset_id, "target_w": row.target_w, "applied_w": row.applied_w, "written_at": row.written_at,
            "pending": bool(row.pending), "expires_at": row.expires_at, "revert_w": row.revert_w,
            "command_source": row.command_source, "dispatch_id": row.dispatch_id, "last_error": row.last_error,
            "released": bool(row.released), "control_source": row.control_source}
