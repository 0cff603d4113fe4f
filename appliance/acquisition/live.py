"""The newest reading of every device, and the system's power flow, for the dashboard and the API."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from appliance.acquisition.context import DeviceContext
from appliance.drivers.base import Reading
from appliance.store import details as stored_details
from appliance.store.models import (
    BatteryBankSample, BatteryPack, EnergySample, Inverter, Meter, MeterSample, RegistryDevice,
)

STALE_AFTER_POLLS = 3


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class LiveEntry:
    """A device's newest reading and when it should have been refreshed."""

    ctx: DeviceContext
    reading: Reading
    adapter_id: str | None
    error: str | None = None


class LiveCache:
    """Thread-safe map from registry device id to its newest reading."""

    def __init__(self, clock: Any = _now_ms) -> None:
        self._entries: dict[str, LiveEntry] = {}
        self._lock = threading.Lock()
        self.clock = clock

    def update(self, ctx: DeviceContext, reading: Reading, *, adapter_id: str | None = None) -> None:
        """Remember a device's newest reading."""
        with self._lock:
            self._entries[ctx.device_id] = LiveEntry(ctx, reading, adapter_id)

    def mark_failed(self, device_id: str, error: str) -> None:
        """Note the last poll failed; the reading stays, and goes stale by age."""
        with self._lock:
            if device_id in self._entries:
                self._entries[device_id].error = error

    def entries(self) -> list[LiveEntry]:
        """A snapshot of every entry."""
        with self._lock:
            return list(self._entries.values())

    def get(self, device_id: str) -> LiveEntry | None:
        """One device's entry."""
        with self._lock:
            return self._entries.get(device_id)


_installed: LiveCache | None = None


def install(cache: LiveCache | None) -> None:
    """Make a process's cache the one the read functions use (the runtime calls this)."""
    global _installed
    _installed = cache


def _stale(ts: int | None, interval_s: float, now: int) -> bool:
    return ts is None or now - ts > STALE_AFTER_POLLS * interval_s * 1000


def latest_reading(device_id: str) -> dict[str, Any] | None:
    """A device's newest reading as JSON with `ts`, `stale` and the adapter in use; None if it has none."""
    now = _installed.clock() if _installed else _now_ms()
    entry = _installed.get(device_id) if _installed else None
    if entry is not None:
        body = entry.reading.to_json()
        body.update(device_id=device_id, stale=_stale(entry.reading.ts_ms, entry.ctx.poll_interval_s, now),
                    adapter_id=entry.adapter_id, last_error=entry.error)
        return body
    return _from_database(device_id, now)


def _from_database(device_id: str, now: int) -> dict[str, Any] | None:
    """The newest stored sample of a device (after a restart, before its first poll)."""
    device = RegistryDevice.get_or_none(RegistryDevice.device_id == device_id)
    if device is None or device.catalog_id is None:
        return None
    if device.kind == "inverter":
        row = (EnergySample.select().where(EnergySample.inverter == device.catalog_id)
               .order_by(EnergySample.ts.desc()).first())
        values = row and {"pv_power_w": row.pv_power_w, "load_power_w": row.load_power_w,
                          "grid_power_w": row.grid_power_w, "battery_power_w": row.battery_power_w,
                          "battery_soc_pct": row.battery_soc, "battery_voltage_v": row.battery_voltage_v}
        kind = "inverter"
    elif device.kind == "meter":
        row = (MeterSample.select().where(MeterSample.meter == device.catalog_id)
               .order_by(MeterSample.ts.desc()).first())
        values = row and {"power_w": row.grid_power_w, "voltage_v": row.grid_voltage_v,
                          "frequency_hz": row.grid_frequency_hz}
        kind = "meter"
    else:
        row = (BatteryBankSample.select().where(BatteryBankSample.pack == device.catalog_id)
               .order_by(BatteryBankSample.ts.desc()).first())
        values = row and {"voltage_v": row.voltage, "current_a": row.current, "power_w": row.power_w,
                          "soc_pct": row.soc, "temperature_c": row.temperature}
        kind = "battery"
    if row is None:
        return None
    details = stored_details.read(getattr(row, "details", None))
    body: dict[str, Any] = {"kind": kind, "ts": row.ts, **{k: v for k, v in values.items() if v is not None}}
    body.update(details=details.get("details", {}), device_id=device_id, stale=_stale(row.ts, 5, now),
                adapter_id=None, last_error=None)
    return body


def power_flow(system_id: str) -> dict[str, Any]:
    """PV, load, grid (+ import), battery (+ discharge) in W and the battery SOC, with a stale flag."""
    readings: list[tuple[str, dict[str, Any]]] = []
    for device in RegistryDevice.select().where((RegistryDevice.system == system_id)
                                                & RegistryDevice.catalog_id.is_null(False)):
        if device.lifecycle_state in ("maintenance", "decommissioned", "registered"):
            continue
        body = latest_reading(device.device_id)
        if body is not None:
            readings.append((device.kind, {**body, "_catalog_id": device.catalog_id}))
    inverters = [b for kind, b in readings if kind == "inverter"]
    packs = [b for kind, b in readings if kind == "battery_pack"]
    grid_meters = {m.meter_id for m in Meter.select().where((Meter.system == system_id) & (Meter.type == "grid"))}
    meters = [b for kind, b in readings if kind == "meter" and b["_catalog_id"] in grid_meters]

    def total(items: list[dict[str, Any]], key: str) -> float | None:
        values = [b[key] for b in items if isinstance(b.get(key), (int, float))]
        return float(sum(values)) if values else None

    battery_w = total(inverters, "battery_power_w")
    if battery_w is None:
        battery_w = total(packs, "power_w")
    capacities = {p.pack_id: p.nominal_kwh or 1.0 for p in BatteryPack.select().where(BatteryPack.system == system_id)}
    weighted = [(b["soc_pct"], capacities.get(b["_catalog_id"], 1.0)) for b in packs
                if isinstance(b.get("soc_pct"), (int, float))]
    soc = (sum(s * w for s, w in weighted) / sum(w for _, w in weighted)) if weighted else None
    if soc is None:
        socs = [b["battery_soc_pct"] for b in inverters if isinstance(b.get("battery_soc_pct"), (int, float))]
        soc = sum(socs) / len(socs) if socs else None
    contributors = inverters + packs + meters
    stamps = [b["ts"] for b in contributors if b.get("ts")]
    return {
        "system_id": system_id,
        "pv_w": total(inverters, "pv_power_w"),
        "load_w": total(inverters, "load_power_w"),
        "grid_w": total(meters, "power_w") if meters else total(inverters, "grid_power_w"),
        "battery_w": battery_w,
        "soc_pct": soc,
        "ts": min(stamps) if stamps else None,
        "stale": not contributors or any(b.get("stale") for b in contributors),
        "devices": len(contributors),
        "inverters_configured": Inverter.select().where(Inverter.system == system_id).count(),
    }
