"""config.yaml (the hierarchy document's section 7 format): import in one transaction, export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Mapping

import yaml

from appliance import safe_yaml
from appliance.catalog import adapters, systems
from appliance.catalog.config_import import Importer
from appliance.errors import ConfigFileError
from appliance.jsontypes import Json, JsonObject, JsonValue
from appliance.store import catalog as catalog_store
from appliance.store.models import (
    Adapter, Battery, BatteryArray, BatteryArrayAttachment, BatteryCell, BatteryPack, Inverter, InverterArray,
    Meter, System, database,
)


#: Sections of config.yaml another service owns, by name: (apply the section, export it or None).
#: The edges hand them in (the catalog imports no other service): `mqtt.settings.config_sections()`.
Sections = Mapping[str, tuple[Callable[[object], object], Callable[[], JsonObject | None]]]
#: Puts back a snapshot's `state` section (access and settings), in the import's transaction.
StateRestorer = Callable[[Mapping[str, object]], object]


def import_file(path: str | Path, *, replace: bool = False,
                state: StateRestorer | None = None,
                sections: Sections | None = None) -> dict[str, int]:
    """Import a config.yaml file (or a snapshot); nothing is written when any part of it is wrong."""
    path = Path(path)
    try:
        if path.stat().st_size > safe_yaml.MAX_CHARS:
            raise ConfigFileError(f"{path}: the file is larger than {safe_yaml.MAX_CHARS // 1024} KiB")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{path}: cannot read: {exc}") from exc
    return import_text(text, source=str(path), replace=replace, state=state, sections=sections)


def import_text(text: str, *, source: str = "config.yaml", replace: bool = False,
                state: StateRestorer | None = None,
                sections: Sections | None = None) -> dict[str, int]:
    """Import config.yaml text in one transaction; return how many rows of each kind it holds.

    A snapshot's `state` section (access and settings) goes to `state` in the same transaction;
    without it the section is left out: an import of a snapshot copies the catalog only. `sections` apply
    the sections other services own (`mqtt:`), in the same transaction.
    """
    sections = sections or {}
    importer = Importer(source, tuple(sections))
    document = importer.parse(text)
    with database.atomic() as transaction:
        try:
            if replace:
                clear_catalog()
            counts = importer.apply(document)
            if state is not None and document.get("state") is not None:
                with importer.at("state", document):
                    state(document["state"])
            for name, (apply, _) in sections.items():
                if document.get(name) is not None:
                    part = document[name]
                    with importer.at(name, part if hasattr(part, "line_of") else document):
                        apply(part)
                    counts[f"{name} settings"] = 1
        except BaseException:
            transaction.rollback()
            raise
    return counts


def clear_catalog() -> None:
    """Delete every system (and by CASCADE all it holds) and every adapter instance."""
    with database.atomic():
        for system in System.select():
            systems.delete_system(system.system_id)
        catalog_store.delete_all_adapters()


def _adapter_entry(adapter: Adapter, *, with_priority: int | None = None) -> Json:
    config = json.loads(adapter.config_json)
    entry: Json = {"id": adapter.adapter_id, "type": config.pop("type", adapter.adapter_type)}
    if adapter.name:
        entry["name"] = adapter.name
    if not adapter.enabled:
        entry["enabled"] = False
    if with_priority is not None:
        entry["priority"] = with_priority
    entry.update(config)
    return entry


def _put(target: Json, key: str, value: JsonValue) -> None:
    if value is not None:
        target[key] = value


def export_dict(sections: Sections | None = None) -> Json:
    """The whole catalog as a config.yaml document, with the sections of other services when given."""
    homes: list[Json] = []
    for system in System.select().order_by(System.system_id):
        home: Json = {"id": system.system_id, "name": system.name}
        _put(home, "description", system.description)
        _put(home, "timezone", system.timezone)
        _put(home, "currency", system.currency)
        homes.append(home)
    doc: Json = {}
    if len(homes) == 1:
        doc["home"] = homes[0]
    elif homes:
        doc["homes"] = homes
    doc["arrays"] = [
        {"id": a.array_id, "name": a.name, "system_id": a.system_id,
         "inverter_ids": [i.inverter_id for i in Inverter.select().where(Inverter.array == a.array_id)
                          .order_by(Inverter.inverter_id)]}
        for a in InverterArray.select().order_by(InverterArray.array_id)]
    inverters: list[Json] = []
    for inv in Inverter.select().order_by(Inverter.inverter_id):
        item: Json = {"id": inv.inverter_id, "name": inv.name, "system_id": inv.system_id, "array_id": inv.array_id}
        for key in ("model", "serial_number", "vendor", "phase_type"):
            _put(item, key, getattr(inv, key))
        if inv.adapter_id:
            item["adapter"] = _adapter_entry(Adapter.get_by_id(inv.adapter_id))
        inverters.append(item)
    doc["inverters"] = inverters
    doc["battery_bank_arrays"] = [
        {"id": b.battery_array_id, "name": b.name, "system_id": b.system_id,
         "battery_bank_ids": [p.pack_id for p in BatteryPack.select().where(BatteryPack.battery_array == b.battery_array_id)
                              .order_by(BatteryPack.pack_id)]}
        for b in BatteryArray.select().order_by(BatteryArray.battery_array_id)]
    doc["battery_banks"] = [_export_pack(p) for p in BatteryPack.select().order_by(BatteryPack.pack_id)]
    doc["battery_bank_array_attachments"] = [
        {"battery_bank_array_id": a.battery_array_id, "inverter_array_id": a.inverter_array_id,
         "attached_since": a.attached_since, "detached_at": a.detached_at}
        for a in BatteryArrayAttachment.select().order_by(BatteryArrayAttachment.battery_array,
                                                          BatteryArrayAttachment.attached_since)]
    meters: list[Json] = []
    for meter in Meter.select().order_by(Meter.meter_id):
        item = {"id": meter.meter_id, "name": meter.name, "system_id": meter.system_id, "array_id": meter.array_id,
                "attachment_target": meter.attachment_target}
        _put(item, "model", meter.model)
        _put(item, "type", meter.type)
        if meter.adapter_id:
            item["adapter"] = _adapter_entry(Adapter.get_by_id(meter.adapter_id))
        meters.append(item)
    doc["meters"] = meters
    loose = Adapter.select().where(Adapter.device_id.is_null()).order_by(Adapter.adapter_id)
    if loose.exists():
        doc["adapters"] = [_adapter_entry(a) for a in loose]
    for name, (_, export) in (sections or {}).items():
        value = export()
        if value is not None:
            doc[name] = value
    return doc


def _export_pack(pack: BatteryPack) -> Json:
    item: Json = {"id": pack.pack_id, "name": pack.name, "system_id": pack.system_id,
                  "battery_array_id": pack.battery_array_id}
    for key in ("chemistry", "nominal_kwh", "max_charge_kw", "max_discharge_kw", "soc_reserve_pct"):
        _put(item, key, getattr(pack, key))
    units = list(Battery.select().where(Battery.pack == pack.pack_id).order_by(Battery.battery_index))
    if units:
        item["batteries"] = len(units)
        item["cells_per_battery"] = BatteryCell.select().where(BatteryCell.battery == units[0].battery_id).count()
        extra: list[Json] = [
            {"index": u.battery_index, **({"serial_number": u.serial_number} if u.serial_number else {}),
             **({"model": u.model} if u.model else {})} for u in units if u.serial_number or u.model]
        if extra:
            item["battery_units"] = extra
    links = adapters.pack_adapters(pack.pack_id)
    if links:
        item["adapters"] = [_adapter_entry(Adapter.get_by_id(a["adapter_id"]), with_priority=a["priority"])
                            for a in links]
    return item


HEADER = "# Exported by the appliance. The database is the source of truth; this file seeds or restores it.\n"


def export_text(sections: Sections | None = None) -> str:
    """The catalog as config.yaml text."""
    return HEADER + yaml.safe_dump(export_dict(sections), sort_keys=False, allow_unicode=True,
                                   default_flow_style=False)


def export_file(path: str | Path, sections: Sections | None = None) -> Path:
    """Write the catalog to a file atomically (temp file, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(export_text(sections), encoding="utf-8")
    tmp.replace(path)
    return path

