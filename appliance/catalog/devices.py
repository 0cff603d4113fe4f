"""Inverters, battery packs with their battery units and cells, and meters."""

from __future__ import annotations

from typing import Any

from appliance.catalog import adapters, registry
from appliance.catalog.common import ensure_new, get, parent, save, unknown_fields
from appliance.clock import utc_now_iso
from appliance.errors import ValidationError
from appliance.store import catalog as catalog_store
from appliance.store.rows import row
from appliance.validation import check_choice, check_free_text, check_id, check_int, check_name, check_number
from appliance.store.models import (
    Adapter, Battery, BatteryArray, BatteryCell, BatteryPack, Inverter, InverterArray, Meter, System, database,
)
from appliance.store.rowtypes import (
    AdapterRow, BatteryCellRow, BatteryPackRow, BatteryRow, InverterRow, MeterRow, shaped,
)

PHASE_TYPES = ("single", "three", "auto")
METER_TYPES = ("grid", "consumption", "generation", "load", "battery", "other")
CHEMISTRIES = ("LFP", "NMC", "LTO", "NCA", "lead_acid", "other")


class BatteryPackView(BatteryPackRow):
    """A battery pack with its unit count, cells per unit and failover adapters."""

    batteries: int
    cells_per_battery: int
    adapters: list[AdapterRow]


def _adapter_type(adapter_id: str | None) -> str | None:
    adapter = Adapter.get_or_none(Adapter.adapter_id == adapter_id) if adapter_id else None
    return adapter.adapter_type if adapter else None


def _sync_inverter(inverter: Inverter) -> None:
    registry.sync_device("inverter", inverter.inverter_id, name=inverter.name, system_id=inverter.system_id,
                         hardware_id=inverter.serial_number, device_type=_adapter_type(inverter.adapter_id))


def create_inverter(inverter_id: str, array_id: str, name: str, *, system_id: str | None = None,
                    model: str | None = None, serial_number: str | None = None, vendor: str | None = None,
                    phase_type: str | None = None, adapter_id: str | None = None) -> InverterRow:
    """Create an inverter in an inverter array; its system is the array's."""
    check_id(inverter_id, "inverter_id")
    ensure_new(Inverter, inverter_id, "inverter_id", "inverter")
    array = parent(InverterArray, array_id, "array_id", "inverter array")
    if system_id is not None and system_id != array.system_id:
        raise ValidationError(f"system_id {system_id!r} differs from array {array_id!r}'s system "
                              f"{array.system_id!r}", field="system_id")
    inverter = Inverter(inverter_id=inverter_id, array=array_id, system=array.system_id, name=check_name(name),
                        model=check_free_text(model, "model", max_len=120),
                        serial_number=check_free_text(serial_number, "serial_number", max_len=120),
                        vendor=check_free_text(vendor, "vendor", max_len=120),
                        phase_type=check_choice(phase_type, "phase_type", PHASE_TYPES))
    with database.atomic():
        save(inverter, force_insert=True)
        if adapter_id is not None:
            adapters.bind(adapter_id, "inverter", inverter_id)
            catalog_store.set_inverter_adapter(inverter_id, adapter_id)
            inverter.adapter_id = adapter_id
        _sync_inverter(inverter)
    return get_inverter(inverter_id)


def get_inverter(inverter_id: str) -> InverterRow:
    """One inverter."""
    return shaped(InverterRow, row(get(Inverter, inverter_id, "inverter")))


def list_inverters(system_id: str | None = None, array_id: str | None = None) -> list[InverterRow]:
    """Inverters, optionally of one system or array."""
    query = Inverter.select().order_by(Inverter.inverter_id)
    if system_id is not None:
        query = query.where(Inverter.system == system_id)
    if array_id is not None:
        query = query.where(Inverter.array == array_id)
    return [shaped(InverterRow, row(i)) for i in query]


def update_inverter(inverter_id: str, **changes: Any) -> InverterRow:
    """Change an inverter's details, move it to another array of its system, or change its adapter."""
    unknown_fields(changes, {"name", "model", "serial_number", "vendor", "phase_type", "array_id", "adapter_id"})
    inverter = get(Inverter, inverter_id, "inverter")
    with database.atomic():
        if "name" in changes:
            inverter.name = check_name(changes["name"])
        for key in ("model", "serial_number", "vendor"):
            if key in changes:
                setattr(inverter, key, check_free_text(changes[key], key, max_len=120))
        if "phase_type" in changes:
            inverter.phase_type = check_choice(changes["phase_type"], "phase_type", PHASE_TYPES)
        if "array_id" in changes:
            array = parent(InverterArray, changes["array_id"], "array_id", "inverter array")
            if array.system_id != inverter.system_id:
                raise ValidationError(f"array_id: {array.array_id!r} is in another system", field="array_id")
            inverter.array_id = array.array_id
        if "adapter_id" in changes and changes["adapter_id"] != inverter.adapter_id:
            adapters.unbind_device("inverter", inverter_id)
            if changes["adapter_id"] is not None:
                adapters.bind(changes["adapter_id"], "inverter", inverter_id)
            inverter.adapter_id = changes["adapter_id"]
        inverter.updated_at = utc_now_iso()
        save(inverter)
        _sync_inverter(inverter)
    return get_inverter(inverter_id)


def delete_inverter(inverter_id: str, *, keep_adapters: bool = False) -> None:
    """Delete an inverter with its history (CASCADE) and the adapters no other device uses (unless kept)."""
    inverter = get(Inverter, inverter_id, "inverter")
    with database.atomic():
        inverter.delete_instance()
        registry.drop_orphans(keep_adapters)


def _sync_pack(pack: BatteryPack) -> None:
    links = adapters.pack_adapters(pack.pack_id)
    registry.sync_device("battery_pack", pack.pack_id, name=pack.name, system_id=pack.system_id,
                         hardware_id=registry.KEEP, device_type=links[0]["adapter_type"] if links else None)


def _pack_values(changes: dict[str, object]) -> dict[str, str | float | None]:
    values: dict[str, str | float | None] = {}
    if "chemistry" in changes:
        values["chemistry"] = check_choice(changes["chemistry"], "chemistry", CHEMISTRIES)
    for key, upper in (("nominal_kwh", 10000), ("max_charge_kw", 10000), ("max_discharge_kw", 10000)):
        if key in changes:
            values[key] = check_number(changes[key], key, minimum=0, maximum=upper)
    if "soc_reserve_pct" in changes:
        values["soc_reserve_pct"] = check_number(changes["soc_reserve_pct"], "soc_reserve_pct", minimum=0,
                                                 maximum=100)
    return values


PACK_DETAILS = {"chemistry", "nominal_kwh", "max_charge_kw", "max_discharge_kw", "soc_reserve_pct"}


def create_battery_pack(pack_id: str, battery_array_id: str, name: str, *, system_id: str | None = None,
                        batteries: int | None = None, cells_per_battery: int | None = None,
                        **details: object) -> BatteryPackView:
    """Create a battery pack in a battery array, with `batteries` units of `cells_per_battery` cells."""
    unknown_fields(details, PACK_DETAILS)
    check_id(pack_id, "pack_id")
    ensure_new(BatteryPack, pack_id, "pack_id", "battery pack")
    battery_array = parent(BatteryArray, battery_array_id, "battery_array_id", "battery array")
    if system_id is not None and system_id != battery_array.system_id:
        raise ValidationError(f"system_id {system_id!r} differs from battery array {battery_array_id!r}'s "
                              f"system {battery_array.system_id!r}", field="system_id")
    pack = BatteryPack(pack_id=pack_id, battery_array=battery_array_id, system=battery_array.system_id,
                       name=check_name(name), **_pack_values(details))
    with database.atomic():
        save(pack, force_insert=True)
        if batteries is not None:
            set_pack_layout(pack_id, batteries, cells_per_battery or 0)
        _sync_pack(pack)
    return get_battery_pack(pack_id)


def get_battery_pack(pack_id: str) -> BatteryPackView:
    """One battery pack with its unit count, cells per unit and failover adapters."""
    out = shaped(BatteryPackRow, row(get(BatteryPack, pack_id, "battery pack")))
    units = Battery.select().where(Battery.pack == pack_id)
    first = units.order_by(Battery.battery_index).first()
    cells = BatteryCell.select().where(BatteryCell.battery == first.battery_id).count() if first else 0
    return BatteryPackView(**out, batteries=units.count(), cells_per_battery=cells,
                           adapters=adapters.pack_adapters(pack_id))


def list_battery_packs(system_id: str | None = None, battery_array_id: str | None = None) -> list[BatteryPackView]:
    """Battery packs, optionally of one system or battery array."""
    query = BatteryPack.select().order_by(BatteryPack.pack_id)
    if system_id is not None:
        query = query.where(BatteryPack.system == system_id)
    if battery_array_id is not None:
        query = query.where(BatteryPack.battery_array == battery_array_id)
    return [get_battery_pack(p.pack_id) for p in query]


def update_battery_pack(pack_id: str, **changes: Any) -> BatteryPackView:
    """Change a pack's details, its battery array (same system) or its unit/cell layout."""
    unknown_fields(changes, PACK_DETAILS | {"name", "battery_array_id", "batteries", "cells_per_battery"})
    pack = get(BatteryPack, pack_id, "battery pack")
    with database.atomic():
        if "name" in changes:
            pack.name = check_name(changes["name"])
        for key, value in _pack_values(changes).items():
            setattr(pack, key, value)
        if "battery_array_id" in changes:
            target = parent(BatteryArray, changes["battery_array_id"], "battery_array_id", "battery array")
            if target.system_id != pack.system_id:
                raise ValidationError("battery_array_id: that battery array is in another system",
                                      field="battery_array_id")
            pack.battery_array_id = target.battery_array_id
            catalog_store.move_pack_parts(pack_id, target.battery_array_id)
        pack.updated_at = utc_now_iso()
        save(pack)
        if "batteries" in changes or "cells_per_battery" in changes:
            current = get_battery_pack(pack_id)
            set_pack_layout(pack_id, changes.get("batteries", current["batteries"]),
                            changes.get("cells_per_battery", current["cells_per_battery"]))
        _sync_pack(pack)
    return get_battery_pack(pack_id)


def delete_battery_pack(pack_id: str, *, keep_adapters: bool = False) -> None:
    """Delete a pack with its units, cells and history (CASCADE) and the adapters no other device uses."""
    pack = get(BatteryPack, pack_id, "battery pack")
    with database.atomic():
        pack.delete_instance()
        registry.drop_orphans(keep_adapters)


def set_pack_layout(pack_id: str, batteries: int, cells_per_battery: int) -> None:
    """Make a pack hold exactly `batteries` units (index 0..n-1) of `cells_per_battery` cells each."""
    check_int(batteries, "batteries", minimum=0, maximum=64)
    check_int(cells_per_battery, "cells_per_battery", minimum=0, maximum=64)
    pack = get(BatteryPack, pack_id, "battery pack")
    with database.atomic():
        catalog_store.drop_units_from(pack_id, batteries)
        for index in range(batteries):
            existing = Battery.get_or_none((Battery.pack == pack_id) & (Battery.battery_index == index))
            unit: str = (existing.battery_id if existing is not None
                         else create_battery(f"{pack_id}_b{index}", pack_id, index, _checked=True)["battery_id"])
            catalog_store.drop_cells_from(unit, cells_per_battery)
            for cell in range(cells_per_battery):
                if not BatteryCell.get_or_none((BatteryCell.battery == unit) & (BatteryCell.cell_index == cell)):
                    create_cell(f"{unit}_c{cell}", unit, cell)
        pack.updated_at = utc_now_iso()
        save(pack)


def create_battery(battery_id: str, pack_id: str, battery_index: int, *, serial_number: str | None = None,
                   model: str | None = None, _checked: bool = False) -> BatteryRow:
    """Create a battery unit at an index (0-based) of a pack."""
    check_id(battery_id, "battery_id")
    ensure_new(Battery, battery_id, "battery_id", "battery")
    pack = parent(BatteryPack, pack_id, "pack_id", "battery pack")
    check_int(battery_index, "battery_index", minimum=0, maximum=63)
    if not _checked and Battery.get_or_none((Battery.pack == pack_id) & (Battery.battery_index == battery_index)):
        raise ValidationError(f"battery_index {battery_index} is taken in pack {pack_id!r}", field="battery_index")
    unit = Battery(battery_id=battery_id, pack=pack_id, battery_array=pack.battery_array_id, system=pack.system_id,
                   battery_index=battery_index,
                   serial_number=check_free_text(serial_number, "serial_number", max_len=120),
                   model=check_free_text(model, "model", max_len=120))
    save(unit, force_insert=True)
    return shaped(BatteryRow, row(unit))


def list_batteries(pack_id: str) -> list[BatteryRow]:
    """A pack's battery units by index."""
    query = Battery.select().where(Battery.pack == pack_id).order_by(Battery.battery_index)
    return [shaped(BatteryRow, row(b)) for b in query]


def update_battery(battery_id: str, **changes: object) -> BatteryRow:
    """Change a battery unit's serial number or model."""
    unknown_fields(changes, {"serial_number", "model"})
    unit = get(Battery, battery_id, "battery")
    for key, value in changes.items():
        setattr(unit, key, check_free_text(value, key, max_len=120))
    save(unit)
    return shaped(BatteryRow, row(unit))


def delete_battery(battery_id: str) -> None:
    """Delete a battery unit and its cells (CASCADE)."""
    get(Battery, battery_id, "battery").delete_instance()


def create_cell(cell_id: str, battery_id: str, cell_index: int, *,
                nominal_voltage: float | None = None) -> BatteryCellRow:
    """Create a cell at an index (0-based) of a battery unit."""
    check_id(cell_id, "cell_id")
    ensure_new(BatteryCell, cell_id, "cell_id", "cell")
    unit = parent(Battery, battery_id, "battery_id", "battery")
    check_int(cell_index, "cell_index", minimum=0, maximum=63)
    if BatteryCell.get_or_none((BatteryCell.battery == battery_id) & (BatteryCell.cell_index == cell_index)):
        raise ValidationError(f"cell_index {cell_index} is taken in battery {battery_id!r}", field="cell_index")
    cell = BatteryCell(cell_id=cell_id, battery=battery_id, pack=unit.pack_id, battery_array=unit.battery_array_id,
                       system=unit.system_id, cell_index=cell_index,
                       nominal_voltage=check_number(nominal_voltage, "nominal_voltage", minimum=0, maximum=5))
    save(cell, force_insert=True)
    return shaped(BatteryCellRow, row(cell))


def list_cells(battery_id: str) -> list[BatteryCellRow]:
    """A battery unit's cells by index."""
    return [shaped(BatteryCellRow, row(c)) for c in BatteryCell.select().where(BatteryCell.battery == battery_id)
            .order_by(BatteryCell.cell_index)]


def delete_cell(cell_id: str) -> None:
    """Delete one cell."""
    get(BatteryCell, cell_id, "cell").delete_instance()


def _sync_meter(meter: Meter) -> None:
    registry.sync_device("meter", meter.meter_id, name=meter.name, system_id=meter.system_id,
                         hardware_id=registry.KEEP,
                         device_type=_adapter_type(meter.adapter_id))


def _meter_array(system_id: str, array_id: str | None) -> str | None:
    if array_id is None:
        return None
    array = parent(InverterArray, array_id, "array_id", "inverter array")
    if array.system_id != system_id:
        raise ValidationError(f"array_id: {array_id!r} is in another system", field="array_id")
    return array_id


def create_meter(meter_id: str, system_id: str, name: str, *, array_id: str | None = None,
                 adapter_id: str | None = None, model: str | None = None, type: str | None = None) -> MeterRow:
    """Create a meter at system level, or at an inverter array when `array_id` is given."""
    check_id(meter_id, "meter_id")
    ensure_new(Meter, meter_id, "meter_id", "meter")
    parent(System, system_id, "system_id", "system")
    array_id = _meter_array(system_id, array_id)
    meter = Meter(meter_id=meter_id, system=system_id, array=array_id, name=check_name(name),
                  model=check_free_text(model, "model", max_len=120), type=check_choice(type, "type", METER_TYPES),
                  attachment_target=array_id or "system")
    with database.atomic():
        save(meter, force_insert=True)
        if adapter_id is not None:
            adapters.bind(adapter_id, "meter", meter_id)
            catalog_store.set_meter_adapter(meter_id, adapter_id)
            meter.adapter_id = adapter_id
        _sync_meter(meter)
    return get_meter(meter_id)


def get_meter(meter_id: str) -> MeterRow:
    """One meter."""
    return shaped(MeterRow, row(get(Meter, meter_id, "meter")))


def list_meters(system_id: str | None = None) -> list[MeterRow]:
    """Meters, optionally of one system."""
    query = Meter.select().order_by(Meter.meter_id)
    if system_id is not None:
        query = query.where(Meter.system == system_id)
    return [shaped(MeterRow, row(m)) for m in query]


def update_meter(meter_id: str, **changes: Any) -> MeterRow:
    """Change a meter's details, its attachment (system or array) or its adapter."""
    unknown_fields(changes, {"name", "model", "type", "array_id", "adapter_id"})
    meter = get(Meter, meter_id, "meter")
    with database.atomic():
        if "name" in changes:
            meter.name = check_name(changes["name"])
        if "model" in changes:
            meter.model = check_free_text(changes["model"], "model", max_len=120)
        if "type" in changes:
            meter.type = check_choice(changes["type"], "type", METER_TYPES)
        if "array_id" in changes:
            meter.array_id = _meter_array(meter.system_id, changes["array_id"])
            meter.attachment_target = changes["array_id"] or "system"
        if "adapter_id" in changes and changes["adapter_id"] != meter.adapter_id:
            adapters.unbind_device("meter", meter_id)
            if changes["adapter_id"] is not None:
                adapters.bind(changes["adapter_id"], "meter", meter_id)
            meter.adapter_id = changes["adapter_id"]
        meter.updated_at = utc_now_iso()
        save(meter)
        _sync_meter(meter)
    return get_meter(meter_id)


def delete_meter(meter_id: str, *, keep_adapters: bool = False) -> None:
    """Delete a meter with its history (CASCADE) and the adapters no other device uses (unless kept)."""
    meter = get(Meter, meter_id, "meter")
    with database.atomic():
        meter.delete_instance()
        registry.drop_orphans(keep_adapters)
