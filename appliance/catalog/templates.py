"""Applying a device template to the devices a filter selects: what would change, and the change."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping

from appliance.catalog import adapters
from appliance.drivers import driver_for
from appliance.drivers.connect import MODBUS_TYPES
from appliance.drivers.templates import DeviceTemplate
from appliance.errors import ValidationError
from appliance.jsontypes import JsonObject
from appliance.store.models import Adapter, BatteryPackAdapter, Inverter, Meter, RegistryDevice, database

FILTER_KEYS = ("kind", "system", "type", "name")


@dataclass(frozen=True)
class AdapterChange:
    """One adapter's config before and after the template."""

    device_id: str
    adapter_id: str
    adapter_type: str
    before: JsonObject
    after: JsonObject
    notes: tuple[str, ...] = field(default_factory=tuple)

    def differences(self) -> list[str]:
        """`key: old -> new` for every key that changes."""
        keys = sorted(set(self.before) | set(self.after))
        return [f"{k}: {_short(self.before.get(k))} -> {_short(self.after.get(k))}" for k in keys
                if self.before.get(k) != self.after.get(k)]


def _short(value: object) -> str:
    text = (json.dumps(value, sort_keys=True, default=str, allow_nan=False) if isinstance(value, (dict, list))
            else repr(value))
    return text if len(text) <= 60 else text[:57] + "..."


def parse_filter(text: str | None) -> dict[str, str]:
    """`kind=bess,system=home` as a dict; unknown keys are an error."""
    result: dict[str, str] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or key.strip() not in FILTER_KEYS or not value.strip():
            raise ValidationError(f"filter {part!r} must be KEY=VALUE with KEY one of {', '.join(FILTER_KEYS)}",
                                  field="filter")
        result[key.strip()] = value.strip()
    return result


def _adapters_of(device: RegistryDevice) -> list[Adapter]:
    if device.kind == "battery_pack":
        return [link.adapter for link in BatteryPackAdapter.select(BatteryPackAdapter, Adapter).join(Adapter)
                .where(BatteryPackAdapter.pack == device.catalog_id)]
    model, key = (Inverter, Inverter.inverter_id) if device.kind == "inverter" else (Meter, Meter.meter_id)
    owner = model.get_or_none(key == device.catalog_id)
    adapter_id = owner.adapter_id if owner else None
    return [Adapter.get_by_id(adapter_id)] if adapter_id else []


def plan(template: DeviceTemplate, filters: Mapping[str, str]) -> list[AdapterChange]:
    """The changes the template makes to the Modbus adapters of the matching devices (nothing written)."""
    changes = []
    for device in RegistryDevice.select().where(RegistryDevice.catalog_id.is_null(False)).order_by(
            RegistryDevice.device_id):
        if filters.get("system") not in (None, device.system_id) or filters.get("name") not in (None, device.name):
            continue
        for adapter in _adapters_of(device):
            config = json.loads(adapter.config_json)
            kinds = {device.kind, adapter.device_category, (config.get("template") or {}).get("type")}
            if filters.get("kind") not in (None, *kinds) or filters.get("type") not in (None, adapter.adapter_type):
                continue
            if adapter.adapter_type not in MODBUS_TYPES:
                continue
            # Compare effective values (defaults filled in), so the preview says "5 -> 60", not "None -> 60".
            before = {**driver_for(adapter.adapter_type).default_config, **config}
            after = dict(before)
            notes: list[str] = []
            for key, value in (("poll_interval_s", template.poll_interval_s), ("timeout_s", template.timeout_s),
                               ("retries", template.retries)):
                if value is not None:
                    after[key] = value
            if adapter.adapter_type == "modbus_template":
                after["template"] = template.source_document
            else:
                notes.append(f"registers not applied: {adapter.adapter_type} has a built-in register map")
            changes.append(AdapterChange(device.device_id, adapter.adapter_id, adapter.adapter_type, before, after,
                                         tuple(notes)))
    return changes


def commit(changes: list[AdapterChange]) -> int:
    """Write the planned configs (each validated against its schema) in one transaction."""
    with database.atomic():
        for change in changes:
            if change.before != change.after:
                adapters.update_adapter(change.adapter_id, config=change.after)
    return sum(1 for c in changes if c.before != c.after)
