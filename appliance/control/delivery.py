"""Setpoint delivery: driver writes with read-back under the bus lock, only on change, rate-limited, with expiry."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Callable

from appliance.catalog.rows import now_ms
from appliance.control import assets as asset_info
from appliance.drivers.connect import LinkPool, open_driver
from appliance.errors import ApplianceError, TransportError
from appliance.store.models import AppSetting, SetpointState, database

log = logging.getLogger(__name__)

#: app_settings key of the least time between two writes to one device (inverter settings live in EEPROM).
MIN_INTERVAL_KEY = "dispatch.min_write_interval_s"
MIN_INTERVAL_S = 10.0


class Dispatcher:
    """Writes setpoints to devices; holds the shared LinkPool (so the pollers' bus locks apply) and a clock."""

    def __init__(self, pool: LinkPool | None = None, *, clock: Callable[[], int] = now_ms,
                 min_interval_s: float | None = None) -> None:
        self.pool = pool or LinkPool()
        self.clock = clock
        self._min_interval_s = min_interval_s
        self._lock = threading.RLock()

    @property
    def min_interval_ms(self) -> int:
        """Least time between two writes to one device: the constructor's value, else the setting, else 10 s."""
        value = self._min_interval_s
        if value is None:
            setting = AppSetting.get_or_none(AppSetting.key == MIN_INTERVAL_KEY)
            try:
                stored = json.loads(setting.value) if setting is not None else MIN_INTERVAL_S
            except ValueError:
                stored = MIN_INTERVAL_S
            value = float(stored) if isinstance(stored, (int, float)) and not isinstance(stored, bool) else MIN_INTERVAL_S
        return int(max(0.0, value) * 1000)

    def hold(self, asset_id: str, target_w: float, *, now: int, expires_at: int | None, command_source: int,
             dispatch_id: int | None) -> dict[str, Any]:
        """Make `target_w` the asset's setpoint and write it if it changed and the rate limit allows."""
        with self._lock:
            state = SetpointState.get_or_none(SetpointState.asset == asset_id)
            revert_w = None
            if expires_at is not None:
                # A temporary setpoint returns to the standing one it interrupts, else to 0.
                if state is None:
                    revert_w = 0.0
                elif state.expires_at is None:
                    revert_w = state.target_w
                else:
                    revert_w = state.revert_w if state.revert_w is not None else 0.0
            unchanged = (state is not None and not state.pending and state.last_error is None
                         and abs(state.target_w - target_w) < 0.5)
            values = {"target_w": float(target_w), "expires_at": expires_at, "revert_w": revert_w,
                      "command_source": command_source, "dispatch_id": dispatch_id}
            with database.atomic():
                if state is None:
                    SetpointState.insert(asset=asset_id, pending=1, **values).execute()
                else:
                    (SetpointState.update(pending=0 if unchanged else 1, **values)
                     .where(SetpointState.asset == asset_id).execute())
            if unchanged:
                return {"status": "unchanged", "applied_w": state.applied_w if state else None, "error": None}
            return self._write(asset_id, now)

    def _write(self, asset_id: str, now: int) -> dict[str, Any]:
        state = SetpointState.get(SetpointState.asset == asset_id)
        if state.written_at is not None and now - state.written_at < self.min_interval_ms:
            retry_at = state.written_at + self.min_interval_ms
            return {"status": "deferred", "applied_w": state.applied_w, "error": None, "retry_at": retry_at}
        try:
            asset = asset_info.resolve(asset_id)
            adapter = asset.setpoint_adapter
            if adapter is None:
                raise TransportError(f"asset {asset_id!r} has no adapter that takes setpoints")
            applied = self._apply(adapter.adapter_type, adapter.config, state.target_w)
        except (ApplianceError, OSError) as exc:
            error = str(exc) or type(exc).__name__
            # A failed write is retried by the periodic job, no sooner than the rate limit allows.
            (SetpointState.update(pending=1, written_at=now, last_error=error)
             .where(SetpointState.asset == asset_id).execute())
            log.warning("setpoint %.0f W to %s failed: %s", state.target_w, asset_id, error)
            return {"status": "failed", "applied_w": state.applied_w, "error": error}
        (SetpointState.update(pending=0, written_at=now, applied_w=applied, last_error=None)
         .where(SetpointState.asset == asset_id).execute())
        log.info("setpoint %.0f W to %s: device holds %.0f W", state.target_w, asset_id, applied)
        return {"status": "applied", "applied_w": applied, "error": None}

    def _apply(self, adapter_type: str, config: dict[str, Any], power_w: float) -> float:
        driver, lock = open_driver(adapter_type, config, self.pool)
        try:
            with lock:  # the bus lock the pollers hold: a write never interleaves with a poll on the same line
                return float(driver.apply_setpoint(power_w))
        except TransportError:
            self.pool.reset(adapter_type, config)
            raise

    def tick(self, now: int) -> list[dict[str, Any]]:
        """Revert expired setpoints and retry pending writes; one result per asset touched."""
        results = []
        with self._lock:
            for state in list(SetpointState.select().where(SetpointState.expires_at.is_null(False)
                                                          & (SetpointState.expires_at <= now))
                              .order_by(SetpointState.asset)):
                revert = state.revert_w if state.revert_w is not None else 0.0
                (SetpointState.update(target_w=revert, expires_at=None, revert_w=None, pending=1)
                 .where(SetpointState.asset == state.asset_id).execute())
                result = self._write(state.asset_id, now)
                results.append({"asset_id": state.asset_id, "expired": True, "target_w": revert,
                                "command_source": state.command_source, "dispatch_id": state.dispatch_id, **result})
            for state in list(SetpointState.select().where(SetpointState.pending == 1).order_by(SetpointState.asset)):
                if any(r["asset_id"] == state.asset_id for r in results):
                    continue
                result = self._write(state.asset_id, now)
                if result["status"] != "deferred":
                    results.append({"asset_id": state.asset_id, "expired": False, "target_w": state.target_w,
                                    "command_source": state.command_source, "dispatch_id": state.dispatch_id,
                                    **result})
        return results

    def close(self) -> None:
        """Close the links this dispatcher opened (only when it owns its pool)."""
        self.pool.close_all()


_installed: Dispatcher | None = None
_guard = threading.Lock()


def install(dispatcher: Dispatcher | None) -> None:
    """Make the runtime's dispatcher (on the pollers' LinkPool and clock) the one the services use."""
    global _installed
    with _guard:
        _installed = dispatcher


def current() -> Dispatcher:
    """The installed dispatcher; without one (tools, tests), a private one on its own LinkPool."""
    global _installed
    with _guard:
        if _installed is None:
            _installed = Dispatcher()
        return _installed


def state(asset_id: str) -> dict[str, Any] | None:
    """The setpoint in force for an asset, or None."""
    row = SetpointState.get_or_none(SetpointState.asset == asset_id)
    if row is None:
        return None
    return {"asset_id": asset_id, "target_w": row.target_w, "applied_w": row.applied_w, "written_at": row.written_at,
            "pending": bool(row.pending), "expires_at": row.expires_at, "revert_w": row.revert_w,
            "command_source": row.command_source, "dispatch_id": row.dispatch_id, "last_error": row.last_error}
