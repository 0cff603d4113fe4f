"""What a poller needs to know about one device, loaded from the catalog."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from appliance import validation
from appliance.errors import ApplianceError, ValidationError
from appliance.store.models import (
    Adapter, Battery, BatteryCell, BatteryPack, BatteryPackAdapter, Inverter, Meter, RegistryDevice,
)

POLLED_STATES = ("configured", "testing", "active", "failed")


@dataclass(frozen=True)
class AdapterRef:
    """One adapter a device can be read through."""

    adapter_id: str
    adapter_type: str
    config: dict[str, Any]
    priority: int = 1


@dataclass(frozen=True)
class DeviceContext:
    """A catalog device with its ids up the hierarchy and its adapters in failover order."""

    device_id: str
    kind: str
    catalog_id: str
    name: str
    system_id: str
    array_id: str | None = None
    battery_array_id: str | None = None
    nominal_kwh: float | None = None
    adapters: tuple[AdapterRef, ...] = ()
    battery_ids: dict[int, str] = field(default_factory=dict)
    cell_ids: dict[tuple[str, int], str] = field(default_factory=dict)
    #: A meter's type (grid, consumption, generation, ...; None when unset): the alert rules read the grid's.
    role: str | None = None

    @property
    def poll_interval_s(self) -> float:
        """The preferred adapter's poll interval (default 5 s)."""
        return float(self.adapters[0].config.get("poll_interval_s", 5)) if self.adapters else 5.0

    def fingerprint(self) -> str:
        """Changes whenever anything a poller depends on changes."""
        return json.dumps([self.name, self.system_id, self.array_id, self.battery_array_id,
                           [(a.adapter_id, a.adapter_type, a.config, a.priority) for a in self.adapters],
                           sorted(self.battery_ids.items()), self.role], sort_keys=True, default=str, allow_nan=False)


def _adapter(adapter: Adapter, priority: int = 1) -> AdapterRef:
    """An adapter's stored config read strictly: a NaN written by an older version is refused here."""
    try:
        config = validation.loads(adapter.config_json, "config")
    except ValueError:
        raise ValidationError(f"adapter {adapter.adapter_id}: its stored config is not JSON", field="config") from None
    except ValidationError as exc:
        raise ValidationError(f"adapter {adapter.adapter_id}: {exc.message}", field=exc.field) from None
    if not isinstance(config, dict):
        raise ValidationError(f"adapter {adapter.adapter_id}: its stored config is not an object", field="config")
    return AdapterRef(adapter.adapter_id, adapter.adapter_type, config, priority)


#: Catalog kinds with a single adapter column.
SINGLE_ADAPTER_KINDS: dict[str, type[Inverter] | type[Meter]] = {"inverter": Inverter, "meter": Meter}


def load(device: RegistryDevice) -> DeviceContext | None:
    """The context of a registry device that has a catalog row, or None."""
    if device.kind in SINGLE_ADAPTER_KINDS:
        model = SINGLE_ADAPTER_KINDS[device.kind]
        owner = model.get_or_none(model._meta.primary_key == device.catalog_id)
        if owner is None:
            return None
        # Inverters and meters have one adapter; only an enabled one is polled.
        adapter = Adapter.get_or_none(Adapter.adapter_id == owner.adapter_id) if owner.adapter_id else None
        adapters = (_adapter(adapter),) if adapter is not None and adapter.enabled else ()
        return DeviceContext(device.device_id, device.kind, str(device.catalog_id), owner.name, owner.system_id,
                             array_id=owner.array_id, adapters=adapters,
                             role=owner.type if isinstance(owner, Meter) else None)
    if device.kind == "battery_pack":
        pack = BatteryPack.get_or_none(BatteryPack.pack_id == device.catalog_id)
        if pack is None:
            return None
        links = (BatteryPackAdapter.select(BatteryPackAdapter, Adapter).join(Adapter)
                 .where((BatteryPackAdapter.pack == pack.pack_id) & BatteryPackAdapter.enabled
                        & Adapter.enabled)
                 .order_by(BatteryPackAdapter.priority, BatteryPackAdapter.adapter))
        batteries = {b.battery_index: b.battery_id for b in Battery.select().where(Battery.pack == pack.pack_id)}
        cells = {(c.battery_id, c.cell_index): c.cell_id
                 for c in BatteryCell.select().where(BatteryCell.pack == pack.pack_id)}
        return DeviceContext(device.device_id, "battery_pack", pack.pack_id, pack.name, pack.system_id,
                             battery_array_id=pack.battery_array_id, nominal_kwh=pack.nominal_kwh,
                             adapters=tuple(_adapter(link.adapter, link.priority) for link in links),
                             battery_ids=batteries, cell_ids=cells)
    return None


def polled_devices() -> list[DeviceContext]:
    """Every device that should be polled now: in a polled lifecycle state, with at least one adapter."""
    return scan()[0]


def scan() -> tuple[list[DeviceContext], dict[str, str]]:
    """The devices to poll, and the devices whose stored rows cannot be polled, each with the reason."""
    out, bad = [], {}
    for device in RegistryDevice.select().where(RegistryDevice.lifecycle_state.in_(POLLED_STATES)
                                                & RegistryDevice.catalog_id.is_null(False)):
        try:
            context = load(device)
        except ApplianceError as exc:
            bad[device.device_id] = exc.message  # one bad row disables its device, never the others
            continue
        if context is not None and context.adapters:
            out.append(context)
    return out, bad
