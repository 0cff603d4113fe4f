"""Configured assets as the headend/edge document shows them: limits, connection state, latest telemetry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from appliance.acquisition import live
from appliance.acquisition.context import AdapterRef, load
from appliance.clock import iso_ms
from appliance.control import battery_array
from appliance.drivers import adapter_types, driver_for
from appliance.drivers.base import CAP_PROGRAM, CAP_SETPOINT
from appliance.drivers.connect import bus_key
from appliance.errors import ApplianceError, NotFoundError, ValidationError
from appliance.store.models import (
    Adapter, BatteryArray, BatteryPack, BatteryPackAdapter, ControlState, DeviceHealth, Inverter, RegistryDevice,
    SetpointState, System,
)

#: Registry kinds that are configured assets (catalog devices); self-registered devices are not assets.
ASSET_KINDS = ("inverter", "battery_pack", "meter")
SESSIONS = 10
#: A battery array's asset id: the logical battery of its packs.
ARRAY_PREFIX = "battery_array:"


@dataclass(frozen=True)
class AssetInfo:
    """One configured asset: what it is, where, its limits and the adapter that takes its setpoints."""

    asset_id: str
    name: str
    kind: str  # inverter, battery, bess, meter
    catalog_id: str
    system_id: str | None
    health_status: str
    lifecycle_state: str
    last_seen: int | None
    adapters: tuple[AdapterRef, ...]
    setpoint_adapter: AdapterRef | None
    weight_discharge_w: float
    weight_charge_w: float
    max_w: float  # discharge clamp (>= 0)
    min_w: float  # charge clamp (<= 0)
    soc_reserve_pct: float | None
    program: bool = False  # the setpoint is mapped onto the device's program (a Deye hybrid), not a register
    battery_arrays: tuple[str, ...] = ()  # the logical batteries a program inverter drives

    @property
    def dispatchable(self) -> bool:
        """Whether the asset takes setpoints (its adapter's driver declares the capability)."""
        return self.setpoint_adapter is not None


def _kw(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else None


def _limit(pack_kw: float | None, adapter_kw: float | None) -> tuple[float, float]:
    """(weight, clamp) in W: weight is the pack's limit else the adapter's; the clamp honours both."""
    known = [v for v in (pack_kw, adapter_kw) if v is not None]
    weight = pack_kw if pack_kw is not None else adapter_kw
    return (weight or 0.0) * 1000, (min(known) if known else 0.0) * 1000


def rated_w(device_id: str) -> float | None:
    """The rated power (W) in the program last read from a device (control_state), if known."""
    row = ControlState.get_or_none(ControlState.device == device_id)
    value = (json.loads(row.program) if row is not None and row.program else {}).get("rated_power_w")
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None


def _program_limits(device: RegistryDevice) -> tuple[float, float, float | None, tuple[str, ...]]:
    """A program inverter's (discharge W, charge W, SOC reserve, battery arrays): the smallest known of its
    rated power and the summed limits of the logical batteries it drives (online packs only)."""
    arrays = battery_array.driven_by(str(device.catalog_id))
    logical = [battery_array.of_array(a) for a in arrays]
    rated = rated_w(device.device_id)
    sums = []
    for attr in ("max_discharge_w", "max_charge_w"):
        values = [getattr(lb, attr) for lb in logical]
        sums.append(None if not logical or any(v is None for v in values) else sum(v or 0.0 for v in values))
    limits = [min([v for v in (rated, total) if v is not None], default=0.0) for total in sums]
    reserves = [p.soc_reserve_pct for p in BatteryPack.select().where(
        BatteryPack.battery_array.in_([a.battery_array_id for a in arrays])) if p.soc_reserve_pct is not None]
    return limits[0], limits[1], max(reserves) if reserves else None, tuple(a.battery_array_id for a in arrays)


def _info(device: RegistryDevice) -> AssetInfo:
    ctx = load(device)
    adapters = ctx.adapters if ctx is not None else ()
    setpoint = next((a for a in adapters if _has_setpoint(a.adapter_type)), None)
    if setpoint is not None and device.kind == "inverter" and _has(setpoint.adapter_type, CAP_PROGRAM):
        discharge_w, charge_w, reserve, arrays = _program_limits(device)
        return AssetInfo(asset_id=device.device_id, name=device.name, kind="inverter",
                         catalog_id=str(device.catalog_id), system_id=device.system_id,
                         health_status=device.health_status, lifecycle_state=device.lifecycle_state,
                         last_seen=device.last_seen, adapters=adapters, setpoint_adapter=setpoint,
                         weight_discharge_w=discharge_w, weight_charge_w=charge_w, max_w=discharge_w,
                         min_w=-charge_w, soc_reserve_pct=reserve, program=True, battery_arrays=arrays)
    kind = {"battery_pack": "battery", "inverter": "inverter", "meter": "meter"}[device.kind]
    pack = BatteryPack.get_or_none(BatteryPack.pack_id == device.catalog_id) if device.kind == "battery_pack" else None
    first = setpoint or (adapters[0] if adapters else None)
    if pack is not None and first is not None and _category(first.adapter_type) == "bess":
        kind = "bess"
    # The driver fills unset config keys from its defaults, and clamps to them: so must the plan.
    config = {**driver_for(setpoint.adapter_type).default_config, **setpoint.config} if setpoint is not None else {}
    weight_d = weight_c = clamp_d = clamp_c = 0.0
    if setpoint is not None:
        weight_d, clamp_d = _limit(_kw(pack.max_discharge_kw) if pack else None, _kw(config.get("max_discharge_kw")))
        weight_c, clamp_c = _limit(_kw(pack.max_charge_kw) if pack else None, _kw(config.get("max_charge_kw")))
    return AssetInfo(asset_id=device.device_id, name=device.name, kind=kind, catalog_id=str(device.catalog_id),
                     system_id=device.system_id, health_status=device.health_status,
                     lifecycle_state=device.lifecycle_state, last_seen=device.last_seen, adapters=adapters,
                     setpoint_adapter=setpoint, weight_discharge_w=weight_d, weight_charge_w=weight_c,
                     max_w=clamp_d, min_w=-clamp_c, soc_reserve_pct=pack.soc_reserve_pct if pack else None)


def _category(adapter_type: str) -> str | None:
    try:
        return driver_for(adapter_type).category
    except ApplianceError:
        return None


def _has(adapter_type: str, capability: str) -> bool:
    try:
        return driver_for(adapter_type).has(capability)
    except ApplianceError:
        return False  # an adapter type no driver knows takes no setpoints


def _has_setpoint(adapter_type: str) -> bool:
    return _has(adapter_type, CAP_SETPOINT) or _has(adapter_type, CAP_PROGRAM)


def resolve(asset_id: object, field: str = "asset_id") -> AssetInfo:
    """The asset with this registry id, or with this catalog id when only one catalog device has it."""
    if not isinstance(asset_id, str) or not asset_id:
        raise ValidationError(f"{field} must be an asset id", field=field)
    device = RegistryDevice.get_or_none((RegistryDevice.device_id == asset_id) & RegistryDevice.kind.in_(ASSET_KINDS)
                                        & RegistryDevice.catalog_id.is_null(False))
    if device is None:
        matches = list(RegistryDevice.select().where((RegistryDevice.catalog_id == asset_id)
                                                     & RegistryDevice.kind.in_(ASSET_KINDS)))
        if len(matches) == 1:
            device = matches[0]
    if device is None:
        raise NotFoundError(f"asset {asset_id!r} does not exist", field=field)
    return _info(device)


def configured(system_id: str | None = None) -> list[AssetInfo]:
    """Every configured asset in stable id order, optionally of one system."""
    query = (RegistryDevice.select().where(RegistryDevice.kind.in_(ASSET_KINDS) & RegistryDevice.catalog_id.is_null(False))
             .order_by(RegistryDevice.device_id))
    if system_id is not None:
        query = query.where(RegistryDevice.system == system_id)
    return [_info(d) for d in query]


def latest_soc(asset: AssetInfo) -> float | None:
    """The asset's newest state of charge (or energy) in %, None when unknown."""
    reading = live.latest_reading(asset.asset_id) or {}
    for key in ("soc_pct", "soe_pct", "battery_soc_pct"):
        value = reading.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def _system_name(system_id: str | None, cache: dict[str, str | None]) -> str | None:
    if system_id is None:
        return None
    if system_id not in cache:
        system = System.get_or_none(System.system_id == system_id)
        cache[system_id] = system.name if system else None
    return cache[system_id]


def describe(asset: AssetInfo, names: dict[str, str | None] | None = None) -> dict[str, Any]:
    """An asset as GET /api/assets shows it."""
    return {"asset_id": asset.asset_id, "name": asset.name, "kind": asset.kind, "catalog_id": asset.catalog_id,
            "system_id": asset.system_id, "site_id": asset.system_id,
            "system_name": _system_name(asset.system_id, names if names is not None else {}),
            "dispatchable": asset.dispatchable, "control": "program" if asset.program else
            "setpoint" if asset.dispatchable else None,
            "adapter_type": asset.adapters[0].adapter_type if asset.adapters else None,
            "limits": {"max_discharge_kw": asset.max_w / 1000, "max_charge_kw": -asset.min_w / 1000,
                       "max_kw": asset.max_w / 1000, "min_kw": asset.min_w / 1000,
                       "soc_reserve_pct": asset.soc_reserve_pct},
            "lifecycle_state": asset.lifecycle_state, "health_status": asset.health_status}


def assets(system_id: str | None = None) -> list[dict[str, Any]]:
    """Every configured asset with kind, system/site and limits; each battery array as one logical battery."""
    names: dict[str, str | None] = {}
    found = configured(system_id)
    out = [describe(a, names) for a in found]
    limits = {a.asset_id: (a.min_w, a.max_w) for a in found if a.dispatchable and not a.program}
    for logical in battery_array.arrays(system_id, limits):
        out.append(describe_array(logical, array_controllers(logical.battery_array_id, found), names))
    return out


def _controllers(system_id: str) -> list[AssetInfo]:
    """The system's assets that take setpoints (program inverters, setpoint packs), found through their adapters'
    types without loading every device (the dashboard asks every few seconds)."""
    types = [t for t in adapter_types() if _has_setpoint(t)]
    inverters = [i.inverter_id for i in Inverter.select(Inverter.inverter_id).join(Adapter).where(
        (Inverter.system == system_id) & Adapter.base.in_(types))]
    packs = [row.pack_id for row in BatteryPackAdapter.select(BatteryPackAdapter.pack).join(Adapter).switch(
        BatteryPackAdapter).join(BatteryPack).where((BatteryPack.system == system_id) & Adapter.base.in_(types))]
    if not inverters and not packs:
        return []
    query = RegistryDevice.select().where(
        ((RegistryDevice.kind == "inverter") & RegistryDevice.catalog_id.in_(inverters))
        | ((RegistryDevice.kind == "battery_pack") & RegistryDevice.catalog_id.in_(packs))).order_by(RegistryDevice.device_id)
    return [_info(d) for d in query]


def logical_batteries(system_id: str) -> list[dict[str, Any]]:
    """A system's battery arrays as logical batteries (the dashboard's cards), with the program inverters that
    drive each one under `programs`."""
    if not BatteryArray.select().where(BatteryArray.system == system_id).exists():
        return []
    found = _controllers(system_id)
    limits = {a.asset_id: (a.min_w, a.max_w) for a in found if a.dispatchable and not a.program}
    out = []
    for logical in battery_array.arrays(system_id, limits):
        body = describe_array(logical, array_controllers(logical.battery_array_id, found))
        body["programs"] = [{"asset_id": a.asset_id, "name": a.name} for a in found
                            if a.program and logical.battery_array_id in a.battery_arrays]
        out.append(body)
    return out


def array_controllers(battery_array_id: str, found: list[AssetInfo]) -> list[str]:
    """The assets a setpoint for a battery array goes to: the program inverters that drive it and its packs
    that take setpoints themselves."""
    packs = {f"battery_pack:{p.pack_id}" for p in BatteryPack.select(BatteryPack.pack_id)
             .where(BatteryPack.battery_array == battery_array_id)}
    return [a.asset_id for a in found if a.dispatchable
            and ((a.program and battery_array_id in a.battery_arrays) or (not a.program and a.asset_id in packs))]


def describe_array(logical: battery_array.LogicalBattery, controllers: list[str],
                   names: dict[str, str | None] | None = None) -> dict[str, Any]:
    """A battery array as GET /api/assets shows it: one battery with the summed limits of its online packs."""
    body = logical.to_json()
    discharge, charge = body.pop("max_discharge_kw"), body.pop("max_charge_kw")
    return {"asset_id": ARRAY_PREFIX + logical.battery_array_id, "name": logical.name, "kind": "battery_array",
            "catalog_id": logical.battery_array_id, "system_id": logical.system_id, "site_id": logical.system_id,
            "system_name": _system_name(logical.system_id, names if names is not None else {}),
            "dispatchable": bool(controllers), "controlled_by": controllers, "adapter_type": None,
            "limits": {"max_discharge_kw": discharge, "max_charge_kw": charge, "max_kw": discharge,
                       "min_kw": -charge if charge is not None else None, "soc_reserve_pct": None},
            "lifecycle_state": "active", **body}


def logical_battery(battery_array_id: str) -> battery_array.LogicalBattery:
    """One battery array as a logical battery (NotFoundError for an unknown id)."""
    array = BatteryArray.get_or_none(BatteryArray.battery_array_id == battery_array_id)
    if array is None:
        raise NotFoundError(f"battery array {battery_array_id!r} does not exist", field="asset_id")
    found = configured(array.system_id)
    return battery_array.of_array(array, {a.asset_id: (a.min_w, a.max_w) for a in found
                                          if a.dispatchable and not a.program})


def _peer(adapter: AdapterRef | None) -> str | None:
    if adapter is None:
        return None
    try:
        return bus_key(adapter.adapter_type, adapter.config)
    except ApplianceError:
        return None


def sessions(asset_id: str, limit: int = SESSIONS) -> list[dict[str, Any]]:
    """The asset's recent health changes, newest first (its connection sessions)."""
    query = (DeviceHealth.select().where(DeviceHealth.device == asset_id).order_by(DeviceHealth.ts.desc()).limit(limit))
    out = []
    for h in query:
        diagnostics = json.loads(h.diagnostics) if h.diagnostics else {}
        out.append({"ts": h.ts, "at": iso_ms(h.ts), "status": h.status, "connected": h.status in ("online", "degraded"),
                    "response_time_ms": h.response_time_ms, "error": diagnostics.get("error")})
    return out


def agents(system_id: str | None = None) -> list[dict[str, Any]]:
    """One row per configured asset: connected, adapter and peer, last seen and recent sessions."""
    names: dict[str, str | None] = {}
    out = []
    for asset in configured(system_id):
        reading = live.latest_reading(asset.asset_id) or {}
        in_use = next((a for a in asset.adapters if a.adapter_id == reading.get("adapter_id")),
                      asset.adapters[0] if asset.adapters else None)
        out.append({"asset_id": asset.asset_id, "asset_name": asset.name, "kind": asset.kind,
                    "system_id": asset.system_id, "site_id": asset.system_id,
                    "site_name": _system_name(asset.system_id, names),
                    "connected": asset.health_status in ("online", "degraded"),
                    "health_status": asset.health_status, "lifecycle_state": asset.lifecycle_state,
                    "adapter_id": in_use.adapter_id if in_use else None,
                    "adapter_type": in_use.adapter_type if in_use else None, "peer": _peer(in_use),
                    "last_seen": asset.last_seen, "last_seen_at": iso_ms(asset.last_seen),
                    "sessions": sessions(asset.asset_id)})
    return out


def _array_telemetry(asset_id: str) -> dict[str, Any]:
    """A battery array's live values as one battery: the newest of its packs' readings, summed and weighted."""
    logical = logical_battery(asset_id.removeprefix(ARRAY_PREFIX))
    readings = [live.latest_reading(p.asset_id) or {} for p in logical.online]
    stamps = [r["ts"] for r in readings if isinstance(r.get("ts"), int)]
    body = logical.to_json()
    ts = max(stamps) if stamps else None
    return {"asset_id": asset_id, "name": logical.name, "kind": "battery_array", "system_id": logical.system_id,
            "site_id": logical.system_id, "ts": ts, "timestamp": iso_ms(ts),
            "stale": not readings or all(r.get("stale", True) for r in readings), "online": bool(logical.online),
            "setpoint_w": None, **body, "details": {}}


def telemetry(asset_id: object) -> dict[str, Any]:
    """The asset's latest reading: core values at the top level, family details under `details`, stale flag."""
    if isinstance(asset_id, str) and asset_id.startswith(ARRAY_PREFIX):
        return _array_telemetry(asset_id)
    asset = resolve(asset_id)
    reading = dict(live.latest_reading(asset.asset_id) or {})
    state = SetpointState.get_or_none(SetpointState.asset == asset.asset_id)
    reading.pop("device_id", None)
    reading.pop("kind", None)  # the asset's kind (battery, bess, ...) replaces the reading family's
    ts = reading.pop("ts", None)
    body: dict[str, Any] = {"asset_id": asset.asset_id, "name": asset.name, "kind": asset.kind,
                            "system_id": asset.system_id, "site_id": asset.system_id, "ts": ts,
                            "timestamp": iso_ms(ts), "stale": bool(reading.pop("stale", True)),
                            "online": asset.health_status in ("online", "degraded"),
                            "adapter_id": reading.pop("adapter_id", None), "last_error": reading.pop("last_error", None),
                            "setpoint_w": state.target_w if state else None}
    details = reading.pop("details", {}) or {}
    body.update({k: v for k, v in reading.items() if k not in body})
    body["details"] = details
    return body
