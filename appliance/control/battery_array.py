"""One logical battery per battery array: packs of any family and transport seen as one battery.

SOC is weighted by capacity; charge and discharge limits are the sums over the online packs of each pack's
own limit (the smallest of its configured limit, its BMS's reported current limit times its voltage, and 0
when its BMS has charging or discharging switched off); cell extremes and health are the worst of the packs.
A pack that goes offline drops out of the sums at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appliance.acquisition import live
from appliance.store.models import (
    BatteryArray, BatteryArrayAttachment, BatteryPack, BatteryPackAdapter, Inverter, RegistryDevice,
)

ONLINE = ("online", "degraded")
#: Worst last: a pack that does not answer is worse than one that answers slowly.
HEALTH_ORDER = ("online", "degraded", "maintenance", "error", "offline")


@dataclass(frozen=True)
class PackState:
    """One pack as the logical battery sees it."""

    asset_id: str
    pack_id: str
    name: str
    online: bool
    health_status: str
    soc_pct: float | None
    capacity_kwh: float | None
    max_charge_w: float | None  # None: no limit known for this pack
    max_discharge_w: float | None
    power_w: float | None
    soh_pct: float | None
    monitored: bool  # False: no adapter reads it, so it is neither online nor offline and its limits are unknown
    cell_min_v: float | None
    cell_max_v: float | None
    temperature_max_c: float | None
    temperature_min_c: float | None

    def to_json(self) -> dict[str, Any]:
        """The pack as /api/assets shows it inside its array."""
        return {"asset_id": self.asset_id, "pack_id": self.pack_id, "name": self.name, "online": self.online,
                "health_status": self.health_status, "soc_pct": self.soc_pct, "capacity_kwh": self.capacity_kwh,
                "max_charge_kw": _kw(self.max_charge_w), "max_discharge_kw": _kw(self.max_discharge_w),
                "power_w": self.power_w, "soh_pct": self.soh_pct, "monitored": self.monitored}


@dataclass(frozen=True)
class LogicalBattery:
    """A battery array as one battery."""

    battery_array_id: str
    name: str
    system_id: str
    packs: tuple[PackState, ...]

    @property
    def online(self) -> tuple[PackState, ...]:
        """The packs that answer."""
        return tuple(p for p in self.packs if p.online)

    @property
    def soc_pct(self) -> float | None:
        """SOC weighted by capacity over the online packs (equal weights when a capacity is unknown)."""
        known = [p for p in self.online if p.soc_pct is not None]
        if not known:
            return None
        if all(p.capacity_kwh for p in known):
            total = sum(p.capacity_kwh or 0.0 for p in known)
            return round(sum((p.soc_pct or 0.0) * (p.capacity_kwh or 0.0) for p in known) / total, 1)
        return round(sum(p.soc_pct or 0.0 for p in known) / len(known), 1)

    @property
    def capacity_kwh(self) -> float | None:
        """The online packs' capacity, when every one is known."""
        packs = self.online
        return round(sum(p.capacity_kwh or 0.0 for p in packs), 3) if packs and all(p.capacity_kwh for p in packs) \
            else None

    def _limit(self, attr: str) -> float | None:
        if not self.packs or not all(p.monitored for p in self.packs):
            return None  # no packs, or a pack nothing reads: the array says nothing about limits
        values = [getattr(p, attr) for p in self.online]
        if any(v is None for v in values):
            return None  # one online pack's limit is unknown: so is the sum
        return float(sum(values))  # no pack online: 0, nothing can be charged or discharged

    @property
    def max_charge_w(self) -> float | None:
        """The sum of the online packs' charge limits (None when one of them is unknown)."""
        return self._limit("max_charge_w")

    @property
    def max_discharge_w(self) -> float | None:
        """The sum of the online packs' discharge limits (None when one of them is unknown)."""
        return self._limit("max_discharge_w")

    @property
    def health_status(self) -> str:
        """The worst of the monitored packs' health ('unknown' when nothing reads any of them)."""
        watched = [p for p in self.packs if p.monitored]
        if not watched:
            return "unknown"
        return max((p.health_status for p in watched),
                   key=lambda h: HEALTH_ORDER.index(h) if h in HEALTH_ORDER else len(HEALTH_ORDER))

    def cells(self) -> dict[str, Any]:
        """The worst cell values over the packs that report them."""
        def pick(attr: str, worst: Any) -> Any:
            values = [getattr(p, attr) for p in self.online if getattr(p, attr) is not None]
            return worst(values) if values else None
        low, high = pick("cell_min_v", min), pick("cell_max_v", max)
        return {"cell_min_v": low, "cell_max_v": high,
                "cell_delta_v": round(high - low, 3) if low is not None and high is not None else None,
                "temperature_max_c": pick("temperature_max_c", max),
                "temperature_min_c": pick("temperature_min_c", min), "soh_pct": pick("soh_pct", min)}

    def to_json(self) -> dict[str, Any]:
        """The logical battery's values (an asset of kind battery_array adds its own keys)."""
        power = [p.power_w for p in self.online if p.power_w is not None]
        return {"soc_pct": self.soc_pct, "capacity_kwh": self.capacity_kwh,
                "power_w": round(sum(power), 1) if power else None, "health_status": self.health_status,
                "packs_online": len(self.online), "packs_total": len(self.packs),
                "max_charge_kw": _kw(self.max_charge_w), "max_discharge_kw": _kw(self.max_discharge_w),
                "cells": self.cells(), "packs": [p.to_json() for p in self.packs]}


def _kw(watts: float | None) -> float | None:
    return None if watts is None else round(watts / 1000, 3)


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _min_known(*values: float | None) -> float | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _pack(pack: BatteryPack, device: RegistryDevice | None, asset_limits: dict[str, tuple[float, float]],
          monitored: bool) -> PackState:
    asset_id = device.device_id if device is not None else f"battery_pack:{pack.pack_id}"
    health = device.health_status if device is not None and monitored else "offline"
    reading = live.latest_reading(asset_id) or {}
    details = reading.get("details") or {}
    bms: dict[str, Any] = details["limits"] if isinstance(details.get("limits"), dict) else {}
    volts = _num(reading.get("voltage_v"))
    soc = _num(reading.get("soc_pct")) if _num(reading.get("soc_pct")) is not None else _num(reading.get("soe_pct"))
    kw_c, kw_d = _num(pack.max_charge_kw), _num(pack.max_discharge_kw)
    configured_c = kw_c * 1000 if kw_c is not None else None
    configured_d = kw_d * 1000 if kw_d is not None else None
    # BMSs report the discharge current limit with either sign (Pylontech's 0x92 sends it negative).
    bms_c, bms_d = (abs(v) if v is not None else None for v in (_num(bms.get("charge_current_limit_a")),
                                                                  _num(bms.get("discharge_current_limit_a"))))
    own = asset_limits.get(asset_id)
    charge = _min_known(configured_c, bms_c * volts if bms_c is not None and volts else None,
                        -own[0] if own else None)
    discharge = _min_known(configured_d, bms_d * volts if bms_d is not None and volts else None,
                           own[1] if own else None)
    if reading.get("charge_enabled") is False:
        charge = 0.0
    if reading.get("discharge_enabled") is False:
        discharge = 0.0
    capacity = _num(pack.nominal_kwh)
    full_ah = _num(reading.get("full_ah"))
    if capacity is None and full_ah and volts:
        capacity = round(full_ah * volts / 1000, 3)
    temps = [t for t in (reading.get("cell_temperatures_c") or []) if _num(t) is not None]
    if not temps and _num(reading.get("temperature_c")) is not None:
        temps = [reading["temperature_c"]]
    return PackState(asset_id=asset_id, pack_id=pack.pack_id, name=pack.name, online=monitored and health in ONLINE,
                     health_status=health, soc_pct=soc, capacity_kwh=capacity, max_charge_w=charge,
                     max_discharge_w=discharge, power_w=_num(reading.get("power_w")), soh_pct=_num(reading.get("soh_pct")),
                     monitored=monitored,
                     cell_min_v=_num(reading.get("cell_min_v")), cell_max_v=_num(reading.get("cell_max_v")),
                     temperature_max_c=max(temps) if temps else None, temperature_min_c=min(temps) if temps else None)


def of_array(array: BatteryArray, asset_limits: dict[str, tuple[float, float]] | None = None) -> LogicalBattery:
    """The logical battery of one battery array (`asset_limits`: (min_w, max_w) of packs that take setpoints)."""
    packs = list(BatteryPack.select().where(BatteryPack.battery_array == array.battery_array_id)
                 .order_by(BatteryPack.pack_id))
    devices = {d.catalog_id: d for d in RegistryDevice.select().where(
        (RegistryDevice.kind == "battery_pack") & RegistryDevice.catalog_id.in_([p.pack_id for p in packs]))}
    read = {row.pack_id for row in BatteryPackAdapter.select(BatteryPackAdapter.pack)
            .where(BatteryPackAdapter.pack.in_([p.pack_id for p in packs]) & (BatteryPackAdapter.enabled != False))}  # noqa: E712
    return LogicalBattery(array.battery_array_id, array.name, array.system_id,
                          tuple(_pack(p, devices.get(p.pack_id), asset_limits or {}, p.pack_id in read) for p in packs))


def arrays(system_id: str | None = None, asset_limits: dict[str, tuple[float, float]] | None = None
           ) -> list[LogicalBattery]:
    """Every battery array as a logical battery, optionally of one system."""
    query = BatteryArray.select().order_by(BatteryArray.battery_array_id)
    if system_id is not None:
        query = query.where(BatteryArray.system == system_id)
    return [of_array(a, asset_limits) for a in query]


def driven_by(inverter_id: str) -> list[BatteryArray]:
    """The battery arrays an inverter charges and discharges: those attached to its inverter array, else
    (no attachment in its system) every battery array of its system."""
    inverter = Inverter.get_or_none(Inverter.inverter_id == inverter_id)
    if inverter is None:
        return []
    attached = [a.battery_array_id for a in BatteryArrayAttachment.select().where(
        (BatteryArrayAttachment.inverter_array == inverter.array_id) & BatteryArrayAttachment.detached_at.is_null())]
    if attached:
        return list(BatteryArray.select().where(BatteryArray.battery_array_id.in_(attached)))
    return list(BatteryArray.select().where(BatteryArray.system == inverter.system_id))


def inverters_of(array: BatteryArray) -> list[str]:
    """The inverters (catalog ids) that drive a battery array."""
    return sorted(i.inverter_id for i in Inverter.select().where(Inverter.system == array.system_id)
                  if array.battery_array_id in {a.battery_array_id for a in driven_by(i.inverter_id)})
