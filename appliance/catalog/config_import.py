"""Applying a parsed config.yaml to the catalog, creating or updating each row by id."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Mapping

import yaml

from appliance.catalog import adapters, devices, systems
from appliance.catalog.yaml_lines import LineDict, load
from appliance.errors import ApplianceError, ConfigFileError
from appliance.store import catalog as catalog_store
from appliance.store.models import (
    Adapter, Battery, BatteryArray, BatteryArrayAttachment, BatteryPack, Inverter, InverterArray, Meter, System,
)

SECTIONS = ("home", "homes", "arrays", "inverters", "battery_bank_arrays", "battery_banks",
            "battery_bank_array_attachments", "meters", "adapters", "state")
#: The most entries (homes, arrays, devices, adapters, ...) one import may hold: a home has tens.
MAX_ENTRIES = 500
ADAPTER_META = ("id", "name", "enabled", "priority", "adapter_id")
#: Service field names -> the config.yaml key that holds them.
KEY_OF = {"system_id": "system_id", "inverter_id": "id", "array_id": "array_id", "pack_id": "id",
          "meter_id": "id", "battery_array_id": "battery_array_id", "adapter_id": "adapter_id",
          "inverter_array_id": "inverter_array_id", "attached_since": "attached_since",
          "serial_number": "serial_number"}


def _raw(mapping: Mapping[str, Any], key: str, default: Any = None) -> Any:
    """A value from the YAML as it came: the services check its type and say what is wrong."""
    return mapping.get(key, default)


def _without_prefix(message: str, field: str) -> str:
    """Drop a leading `field: ` or `config.x: ` from a service message; the import names the key itself."""
    for prefix in (f"{field}: ", f"{field} "):
        if field and message.startswith(prefix):
            return message[len(prefix):]
    return message


class Importer:
    """One import: parses text, then applies it section by section; errors name file, line and key."""

    def __init__(self, source: str, extra: tuple[str, ...] = ()) -> None:
        self.source = source
        #: Top-level sections another service owns (`mqtt`), handed in by the caller with their handlers.
        self.extra = extra

    def fail(self, message: str, line: int | None = None, key: str | None = None) -> ConfigFileError:
        """A ConfigFileError naming the file, the line and the key."""
        where = f"{self.source}:{line}" if line else self.source
        return ConfigFileError(f"{where}: {key + ': ' if key else ''}{message}", field=key)

    def parse(self, text: str) -> LineDict:
        """Parse and shape-check the document."""
        try:
            document = load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise self.fail(f"not valid YAML: {exc.problem or exc.context}", mark.line + 1 if mark else None) from exc
        except yaml.YAMLError as exc:
            raise self.fail(f"not valid YAML: {exc}") from exc
        if not isinstance(document, LineDict):
            raise self.fail("the file must be a mapping of sections (home, arrays, inverters, ...)", 1)
        for key in document:
            if key not in SECTIONS and key not in self.extra:
                raise self.fail(f"unknown section (expected one of {', '.join(SECTIONS + self.extra)})",
                                document.line_of(str(key)), str(key))
        entries = 0
        for key in SECTIONS[1:-1]:
            if isinstance(document.get(key), list):
                entries += len(document[key])
        if entries > MAX_ENTRIES:
            # Bounds the write lock the import holds (~8 ms an entry here, more on a Pi) and the rollback.
            raise self.fail(f"the file holds {entries} entries; an import takes at most {MAX_ENTRIES} entries")
        if document.get("state") is not None and not isinstance(document["state"], LineDict):
            raise self.fail("must be a mapping (written by the appliance's snapshots)", document.line_of("state"),
                            "state")
        for key in SECTIONS[2:-1]:
            if document.get(key) is not None and not isinstance(document[key], list):
                raise self.fail("must be a list", document.line_of(key), key)
            for index, item in enumerate(document.get(key) or []):
                if not isinstance(item, LineDict):
                    raise self.fail("each entry must be a mapping", document.line_of(key), f"{key}[{index}]")
        return document

    @contextmanager
    def at(self, path: str, item: LineDict, nested: Mapping[str, LineDict] | None = None) -> Iterator[None]:
        """Turn a service error inside one entry into a ConfigFileError at the right line and key."""
        try:
            yield
        except ConfigFileError:
            raise
        except ApplianceError as exc:
            field = exc.field or ""
            message = _without_prefix(exc.message, field)
            head, _, rest = field.partition(".")
            if nested and "adapter" in nested and (head == "config" or field == "adapter_type"):
                adapter = nested["adapter"]
                rest = rest if head == "config" else "type"
                adapter_key = rest.split(".")[0] or "type"
                raise self.fail(message, adapter.line_of(adapter_key), f"{path}.adapter.{rest or 'type'}") from exc
            key = KEY_OF.get(field, field) or None
            line = item.line_of(key) if key else item.line
            raise self.fail(message, line, f"{path}.{key}" if key else path) from exc

    def apply(self, doc: LineDict) -> dict[str, int]:
        """Create or update every entry of the document; return counts per section."""
        homes = self._homes(doc)
        self.default_system = homes[0]["id"] if len(homes) == 1 else None
        for index, item in enumerate(doc.get("adapters") or []):
            self._adapter(item, f"adapters[{index}]", None)
        membership = self._memberships(doc, "arrays", "inverter_ids")
        for index, item in enumerate(doc.get("arrays") or []):
            self._array(item, f"arrays[{index}]")
        for index, item in enumerate(doc.get("inverters") or []):
            self._inverter(item, f"inverters[{index}]", membership)
        bank_membership = self._memberships(doc, "battery_bank_arrays", "battery_bank_ids")
        for index, item in enumerate(doc.get("battery_bank_arrays") or []):
            self._battery_array(item, f"battery_bank_arrays[{index}]")
        for index, item in enumerate(doc.get("battery_banks") or []):
            self._bank(item, f"battery_banks[{index}]", bank_membership)
        for index, item in enumerate(doc.get("battery_bank_array_attachments") or []):
            self._attachment(item, f"battery_bank_array_attachments[{index}]")
        for index, item in enumerate(doc.get("meters") or []):
            self._meter(item, f"meters[{index}]")
        return {"systems": len(homes), **{k: len(doc.get(k) or []) for k in SECTIONS[2:-1]}}

    def _homes(self, doc: LineDict) -> list[LineDict]:
        if "home" in doc and "homes" in doc:
            raise self.fail("give either home or homes, not both", doc.line_of("homes"), "homes")
        homes = doc.get("homes") if "homes" in doc else ([doc["home"]] if doc.get("home") is not None else [])
        if not isinstance(homes, list) or not all(isinstance(h, LineDict) for h in homes):
            key = "homes" if "homes" in doc else "home"
            raise self.fail("must be a mapping (home) or a list of mappings (homes)", doc.line_of(key), key)
        for index, home in enumerate(homes):
            path = "home" if "home" in doc else f"homes[{index}]"
            home.setdefault("id", "system")
            with self.at(path, home):
                self._known(home, path, {"id", "name", "description", "timezone", "currency"})
                if System.get_or_none(System.system_id == home["id"]):
                    changes = {k: home[k] for k in ("name", "description", "timezone", "currency") if k in home}
                    systems.update_system(home["id"], **changes)
                else:
                    systems.create_system(home["id"], _raw(home, "name"), description=_raw(home, "description"),
                                          **{k: home[k] for k in ("timezone", "currency") if k in home})
        return homes

    def _known(self, item: LineDict, path: str, allowed: set[str]) -> None:
        for key in item:
            if key not in allowed:
                raise self.fail(f"unknown key (expected one of {', '.join(sorted(allowed))})",
                                item.line_of(str(key)), f"{path}.{key}")

    def _system_of(self, item: LineDict, path: str) -> str:
        system_id = _raw(item, "system_id", _raw(item, "home_id")) or self.default_system
        if system_id is None:
            raise self.fail("system_id is required when the file has several homes", item.line, f"{path}.system_id")
        return str(system_id)

    def _memberships(self, doc: LineDict, section: str, key: str) -> dict[str, tuple[str, LineDict]]:
        owners: dict[str, tuple[str, LineDict]] = {}
        for index, item in enumerate(doc.get(section) or []):
            members = _raw(item, key) or []
            if not isinstance(members, list):
                raise self.fail("must be a list of ids", item.line_of(key), f"{section}[{index}].{key}")
            for member in members:
                if str(member) in owners and owners[str(member)][0] != _raw(item, "id"):
                    raise self.fail(f"{member!r} is listed in two arrays", item.line_of(key),
                                    f"{section}[{index}].{key}")
                owners[str(member)] = (str(_raw(item, "id")), item)
        return owners

    def _array(self, item: LineDict, path: str) -> None:
        with self.at(path, item):
            self._known(item, path, {"id", "name", "system_id", "home_id", "inverter_ids"})
            if InverterArray.get_or_none(InverterArray.array_id == _raw(item, "id")):
                systems.update_array(item["id"], name=_raw(item, "name"))
            else:
                systems.create_array(_raw(item, "id"), self._system_of(item, path), _raw(item, "name"))

    def _battery_array(self, item: LineDict, path: str) -> None:
        with self.at(path, item):
            self._known(item, path, {"id", "name", "system_id", "home_id", "battery_bank_ids"})
            if BatteryArray.get_or_none(BatteryArray.battery_array_id == _raw(item, "id")):
                systems.update_battery_array(item["id"], name=_raw(item, "name"))
            else:
                systems.create_battery_array(_raw(item, "id"), self._system_of(item, path), _raw(item, "name"))

    def _parent_from(self, item: LineDict, path: str, key: str, membership: dict[str, tuple[str, LineDict]]) -> Any:
        listed = membership.get(str(_raw(item, "id")))
        given = _raw(item, key)
        if given is not None and listed is not None and listed[0] != given:
            raise self.fail(f"{given!r} disagrees with array {listed[0]!r} that lists this id", item.line_of(key),
                            f"{path}.{key}")
        return given if given is not None else (listed[0] if listed else None)

    def _adapter(self, spec: Any, path: str, default_id: str | None, priority: int | None = None) -> str:
        """Create or update one adapter from an inline spec, or check a reference; return its id."""
        if not isinstance(spec, LineDict):
            raise self.fail("must be a mapping", None, path)
        if "adapter_id" in spec:
            self._known(spec, path, {"adapter_id", "priority", "enabled"})
            if not Adapter.get_or_none(Adapter.adapter_id == spec["adapter_id"]):
                raise self.fail(f"adapter {spec['adapter_id']!r} does not exist", spec.line_of("adapter_id"),
                                f"{path}.adapter_id")
            return str(spec["adapter_id"])
        adapter_id = _raw(spec, "id", default_id)
        config = {k: v for k, v in spec.items() if k not in ADAPTER_META}
        adapter_type = config.get("type")
        wrapper = LineDict(spec)
        wrapper.line, wrapper.key_lines = spec.line, {**spec.key_lines, "adapter_id": spec.line_of("id")}
        with self.at(path.rsplit(".", 1)[0] if "." in path else path, wrapper, {"adapter": spec}):
            if not isinstance(adapter_type, str):
                raise self.fail("type is required (the adapter type, e.g. powdrive)", spec.line, f"{path}.type")
            if Adapter.get_or_none(Adapter.adapter_id == adapter_id):
                existing = Adapter.get_by_id(adapter_id)
                if existing.adapter_type != adapter_type:
                    raise self.fail(f"adapter {adapter_id!r} exists with type {existing.adapter_type!r}",
                                    spec.line_of("type"), f"{path}.type")
                adapters.update_adapter(adapter_id, config=config, name=_raw(spec, "name"),
                                        enabled=_raw(spec, "enabled", True))
            else:
                adapters.create_adapter(adapter_id, adapter_type, config, name=_raw(spec, "name"),
                                        enabled=_raw(spec, "enabled", True), priority=priority or 1)
        return str(adapter_id)

    def _device_adapter(self, item: LineDict, path: str, device_id: str) -> str | None:
        if "adapter" in item and "adapter_id" in item:
            raise self.fail("give adapter or adapter_id, not both", item.line_of("adapter_id"), f"{path}.adapter_id")
        if _raw(item, "adapter") is not None:
            return self._adapter(item["adapter"], f"{path}.adapter", f"{device_id}_adapter")
        if _raw(item, "adapter_id") is not None:
            if not Adapter.get_or_none(Adapter.adapter_id == item["adapter_id"]):
                raise self.fail(f"adapter {item['adapter_id']!r} does not exist", item.line_of("adapter_id"),
                                f"{path}.adapter_id")
            return str(item["adapter_id"])
        return None

    def _inverter(self, item: LineDict, path: str, membership: dict[str, tuple[str, LineDict]]) -> None:
        fields = ("model", "serial_number", "vendor", "phase_type")
        self._known(item, path, {"id", "name", "system_id", "home_id", "array_id", "adapter", "adapter_id", *fields})
        array_id = self._parent_from(item, path, "array_id", membership)
        with self.at(path, item):
            adapter_id = self._device_adapter(item, path, str(_raw(item, "id")))
            details = {k: _raw(item, k) for k in fields}
            if Inverter.get_or_none(Inverter.inverter_id == _raw(item, "id")):
                devices.update_inverter(item["id"], name=_raw(item, "name"), array_id=array_id,
                                        adapter_id=adapter_id, **details)
            else:
                devices.create_inverter(_raw(item, "id"), array_id, _raw(item, "name"), adapter_id=adapter_id,
                                        system_id=_raw(item, "system_id", _raw(item, "home_id")), **details)

    def _bank(self, item: LineDict, path: str, membership: dict[str, tuple[str, LineDict]]) -> None:
        details = ("chemistry", "nominal_kwh", "max_charge_kw", "max_discharge_kw", "soc_reserve_pct")
        self._known(item, path, {"id", "name", "system_id", "home_id", "battery_array_id", "batteries",
                                 "cells_per_battery", "battery_units", "adapter", "adapters", *details})
        battery_array_id = self._parent_from(item, path, "battery_array_id", membership)
        pack_id = _raw(item, "id")
        with self.at(path, item):
            values = {k: item[k] for k in details if k in item}
            layout = {k: item[k] for k in ("batteries", "cells_per_battery") if k in item}
            if BatteryPack.get_or_none(BatteryPack.pack_id == pack_id):
                devices.update_battery_pack(pack_id, name=_raw(item, "name"), battery_array_id=battery_array_id,
                                            **values, **layout)
            else:
                devices.create_battery_pack(pack_id, battery_array_id, _raw(item, "name"),
                                            system_id=_raw(item, "system_id", _raw(item, "home_id")),
                                            batteries=layout.get("batteries"),
                                            cells_per_battery=layout.get("cells_per_battery"), **values)
            self._units(item, path, str(pack_id))
            self._bank_adapters(item, path, str(pack_id))

    def _units(self, item: LineDict, path: str, pack_id: str) -> None:
        for index, unit in enumerate(_raw(item, "battery_units") or []):
            unit_path = f"{path}.battery_units[{index}]"
            if not isinstance(unit, LineDict):
                raise self.fail("must be a mapping", item.line_of("battery_units"), unit_path)
            self._known(unit, unit_path, {"index", "serial_number", "model"})
            battery = Battery.get_or_none((Battery.pack == pack_id) & (Battery.battery_index == _raw(unit, "index")))
            if battery is None:
                raise self.fail(f"no battery unit with index {_raw(unit, 'index')!r} (batteries sets how many)",
                                unit.line_of("index"), f"{unit_path}.index")
            with self.at(unit_path, unit):
                devices.update_battery(battery.battery_id, **{k: unit[k] for k in ("serial_number", "model") if k in unit})

    def _bank_adapters(self, item: LineDict, path: str, pack_id: str) -> None:
        if "adapter" in item and "adapters" in item:
            raise self.fail("give adapter or adapters, not both", item.line_of("adapters"), f"{path}.adapters")
        specs = [item["adapter"]] if _raw(item, "adapter") is not None else (_raw(item, "adapters") or [])
        if not isinstance(specs, list):
            raise self.fail("must be a list, in failover priority order", item.line_of("adapters"), f"{path}.adapters")
        wanted = []
        for position, spec in enumerate(specs, start=1):
            key = "adapter" if "adapter" in item else f"adapters[{position - 1}]"
            default_id = f"{pack_id}_adapter_primary" if position == 1 else (
                f"{pack_id}_adapter_failover" + (str(position - 1) if position > 2 else ""))
            priority = _raw(spec, "priority", position) if isinstance(spec, LineDict) else position
            adapter_id = self._adapter(spec, f"{path}.{key}", default_id, priority)
            enabled = _raw(spec, "enabled", True) if isinstance(spec, LineDict) else True
            with self.at(f"{path}.{key}", spec if isinstance(spec, LineDict) else item):
                adapters.link_pack_adapter(pack_id, adapter_id, priority=priority, enabled=enabled)
            wanted.append(adapter_id)
        for current in adapters.pack_adapters(pack_id):
            if current["adapter_id"] not in wanted:
                adapters.unlink_pack_adapter(pack_id, current["adapter_id"])

    def _attachment(self, item: LineDict, path: str) -> None:
        self._known(item, path, {"battery_bank_array_id", "battery_array_id", "inverter_array_id", "attached_since",
                                 "detached_at"})
        battery_array_id = _raw(item, "battery_bank_array_id", _raw(item, "battery_array_id"))
        wrapper = LineDict(item)
        wrapper.line = item.line
        wrapper.key_lines = {**item.key_lines, "battery_array_id": item.line_of("battery_bank_array_id")}
        with self.at(path, wrapper):
            since = _raw(item, "attached_since")
            existing = BatteryArrayAttachment.get_or_none(
                (BatteryArrayAttachment.battery_array == battery_array_id)
                & (BatteryArrayAttachment.attached_since == (str(since) if since is not None else None)))
            if existing is not None:
                catalog_store.update_attachment(battery_array_id, str(since), _raw(item, "inverter_array_id"),
                                                _raw(item, "detached_at"))
            else:
                systems.attach(battery_array_id, _raw(item, "inverter_array_id"),
                               since=str(since) if since is not None else None,
                               detached_at=str(item["detached_at"]) if _raw(item, "detached_at") else None)

    def _meter(self, item: LineDict, path: str) -> None:
        self._known(item, path, {"id", "name", "system_id", "home_id", "array_id", "adapter", "adapter_id",
                                 "attachment_target", "model", "type"})
        target = _raw(item, "attachment_target")
        array_id = _raw(item, "array_id")
        if array_id is None and target not in (None, "system", "home"):
            array_id = target
        with self.at(path, item):
            adapter_id = self._device_adapter(item, path, str(_raw(item, "id")))
            values = {"model": _raw(item, "model"), "type": _raw(item, "type"), "array_id": array_id,
                      "adapter_id": adapter_id}
            if Meter.get_or_none(Meter.meter_id == _raw(item, "id")):
                devices.update_meter(item["id"], name=_raw(item, "name"), **values)
            else:
                devices.create_meter(_raw(item, "id"), self._system_of(item, path), _raw(item, "name"), **values)
