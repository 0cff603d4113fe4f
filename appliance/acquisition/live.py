"""The newest reading of every device, and the system's power flow, for the dashboard and the API."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any, Callable

from appliance.acquisition.context import DeviceContext
from appliance.clock import now_ms
from appliance.drivers.base import Reading
from appliance.store import details as stored_details
from appliance.store.models import (
    BatteryBankSample, BatteryPack, EnergySample, Inverter, InverterArray, Meter, MeterSample, RegistryDevice,
)

STALE_AFTER_POLLS = 3
log = logging.getLogger(__name__)


@dataclass
class LiveEntry:
    """A device's newest reading and when it should have been refreshed."""

    ctx: DeviceContext
    reading: Reading
    adapter_id: str | None
    error: str | None = None


class LiveCache:
    """Thread-safe map from registry device id to its newest reading."""

    def __init__(self, clock: Any = now_ms) -> None:
        self._entries: dict[str, LiveEntry] = {}
        self._lock = threading.Lock()
        self.clock = clock
        self._listeners: list[tuple[Callable[[DeviceContext, Reading], None], Callable[[str, str], None] | None]] = []

    def subscribe(self, on_reading: Callable[[DeviceContext, Reading], None],
                  on_failure: Callable[[str, str], None] | None = None) -> None:
        """Be told of every new reading and failed poll, in the poller's thread (so: queue, never wait)."""
        self._listeners.append((on_reading, on_failure))

    def update(self, ctx: DeviceContext, reading: Reading, *, adapter_id: str | None = None) -> None:
        """Remember a device's newest reading."""
        with self._lock:
            self._entries[ctx.device_id] = LiveEntry(ctx, reading, adapter_id)
        for on_reading, _ in self._listeners:
            self._tell(on_reading, ctx, reading)

    def mark_failed(self, device_id: str, error: str) -> None:
        """Note the last poll failed; the reading stays, and goes stale by age."""
        with self._lock:
            if device_id in self._entries:
                self._entries[device_id].error = error
        for _, on_failure in self._listeners:
            if on_failure is not None:
                self._tell(on_failure, device_id, error)

    @staticmethod
    def _tell(listener: Callable[..., None], *args: Any) -> None:
        try:
            listener(*args)
        except Exception:  # noqa: BLE001 - a subscriber's fault never fails a poll
            log.exception("a live-reading subscriber failed")

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


def latest_reading(device_id: str, device: Any = None) -> dict[str, Any] | None:
    """A device's newest reading as JSON with `ts`, `stale` and the adapter in use; None if it has none.

    `device` (its registry row) saves a lookup when the caller has it."""
    now = _installed.clock() if _installed else now_ms()
    entry = _installed.get(device_id) if _installed else None
    if entry is not None:
        body = entry.reading.to_json()
        body.update(device_id=device_id, stale=_stale(entry.reading.ts_ms, entry.ctx.poll_interval_s, now),
                    adapter_id=entry.adapter_id, last_error=entry.error)
        return body
    return _from_database(device_id, now, device)


#: Catalog kind -> (sample model, its device column, reading kind, {reading key: column}) for the stored fallback.
_STORED = {
    "inverter": (EnergySample, "inverter", "inverter", {
        "pv_power_w": "pv_power_w", "load_power_w": "load_power_w", "grid_power_w": "grid_power_w",
        "battery_power_w": "battery_power_w", "battery_soc_pct": "battery_soc",
        "battery_voltage_v": "battery_voltage_v"}),
    "meter": (MeterSample, "meter", "meter", {
        "power_w": "grid_power_w", "voltage_v": "grid_voltage_v", "frequency_hz": "grid_frequency_hz"}),
    "battery_pack": (BatteryBankSample, "pack", "battery", {
        "voltage_v": "voltage", "current_a": "current", "power_w": "power_w", "soc_pct": "soc",
        "temperature_c": "temperature"}),
}


def _from_database(device_id: str, now: int, device: Any = None) -> dict[str, Any] | None:
    """The newest stored sample of a device (after a restart, before its first poll)."""
    device = device or RegistryDevice.get_or_none(RegistryDevice.device_id == device_id)
    if device is None or device.catalog_id is None or device.kind not in _STORED:
        return None
    model: Any
    model, owner, kind, columns = _STORED[device.kind]
    # Only the columns shown: building SQL for every column of a wide sample table costs more than the query.
    fields = [model.ts, model.details, *(getattr(model, c) for c in columns.values())]
    row = (model.select(*fields).where(getattr(model, owner) == device.catalog_id)
           .order_by(model.ts.desc()).limit(1).dicts().first())
    if row is None:
        return None
    details = stored_details.read(row.get("details"))
    values = {key: row[column] for key, column in columns.items() if row[column] is not None}
    body: dict[str, Any] = {"kind": kind, "ts": row["ts"], **values}
    body.update(details=details.get("details", {}), device_id=device_id, stale=_stale(row["ts"], 5, now),
                adapter_id=None, last_error=None)
    return body


def _part(items: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The sum of one quantity over some readings, with the oldest time stamp and whether any is stale."""
    values = [b[key] for b in items if isinstance(b.get(key), (int, float)) and not isinstance(b.get(key), bool)]
    stamps = [b["ts"] for b in items if b.get("ts") and key in b]
    return {"w": float(sum(values)) if values else None, "ts": min(stamps) if stamps else None,
            "stale": not values or any(b.get("stale") for b in items if key in b)}


def power_flow(system_id: str) -> dict[str, Any]:
    """PV, load, grid (+ import), battery (+ discharge) in W and the battery SOC, with a stale flag; `parts`
    tells each quantity's age and staleness, `arrays` and `packs` the share of each array and pack."""
    readings: list[tuple[str, dict[str, Any]]] = []
    for device in RegistryDevice.select().where((RegistryDevice.system == system_id)
                                                & RegistryDevice.catalog_id.is_null(False)):
        if device.lifecycle_state in ("maintenance", "decommissioned", "registered"):
            continue
        body = latest_reading(device.device_id, device)
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
    battery_part = _part(inverters, "battery_power_w")
    if battery_part["w"] is None:
        battery_part = _part(packs, "power_w")
    parts = {"pv": _part(inverters, "pv_power_w"), "load": _part(inverters, "load_power_w"),
             "grid": _part(meters, "power_w") if meters else _part(inverters, "grid_power_w"),
             "battery": battery_part}
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
        "parts": parts,
        "arrays": _arrays(system_id, inverters),
        "packs": _packs(system_id, packs),
    }


def _arrays(system_id: str, inverters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Solar power per inverter array (its inverters' readings), in array order."""
    array_of = {i.inverter_id: i.array_id for i in Inverter.select().where(Inverter.system == system_id)}
    out = []
    for array in InverterArray.select().where(InverterArray.system == system_id).order_by(InverterArray.array_id):
        mine = [b for b in inverters if array_of.get(b["_catalog_id"]) == array.array_id]
        if mine:
            out.append({"id": array.array_id, "name": array.name, **_part(mine, "pv_power_w")})
    return out


def _packs(system_id: str, packs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Power and SOC of each battery pack that has a reading."""
    names = {p.pack_id: p.name for p in BatteryPack.select().where(BatteryPack.system == system_id)}
    return [{"id": b["_catalog_id"], "name": names.get(b["_catalog_id"], b["_catalog_id"]),
             "soc_pct": b.get("soc_pct"), **_part([b], "power_w")}
            for b in sorted(packs, key=lambda b: b["_catalog_id"])]


def cells(device_id: str) -> list[dict[str, Any]]:
    """The cell voltages of a battery pack's newest reading, per unit: index, voltages, balancing, temperatures.

    The one place the UI reads cells from; a pack reporting its cells at the top level is one unit.
    """
    reading = latest_reading(device_id)
    if not reading:
        return []
    units = [u for u in (reading.get("batteries") or reading.get("units") or []) if isinstance(u, dict)]
    out = []
    for position, unit in enumerate(units):
        volts = unit.get("cell_voltages_v") or []
        if volts:
            out.append({"index": unit.get("index", position + 1), "volts": list(volts),
                        "balancing": unit.get("balancing"), "temperatures": list(unit.get("cell_temperatures_c") or []),
                        "ts": reading.get("ts"), "stale": reading.get("stale")})
    if not out and reading.get("cell_voltages_v"):
        out.append({"index": None, "volts": list(reading["cell_voltages_v"]), "balancing": reading.get("balancing"),
                    "temperatures": list(reading.get("cell_temperatures_c") or []), "ts": reading.get("ts"),
                    "stale": reading.get("stale")})
    return out
