"""Who is who on MQTT: the appliance's client id and HA node, each device's HA identity, and the signature
that tells when a device's set of entities changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from appliance.mqtt import discovery
from appliance.mqtt.discovery import DeviceInfo


@dataclass(frozen=True)
class Identity:
    """Who the appliance is on the broker: the MQTT client id and HA's node and device name."""

    client_id: str
    node: str
    name: str
    serial_number: str | None = None


def identity_of(hardware_id: str, *, name: str = "Solar appliance", role: str = "appliance") -> Identity:
    """The client id and node id from the appliance's hardware id (23 characters at most: MQTT 3.1.1)."""
    short = discovery.slug(hardware_id)[-12:]
    ident = f"{role[:10]}-{short}"
    return Identity(client_id=ident[:23], node=discovery.slug(ident), name=name, serial_number=hardware_id)


def signature(values: Mapping[str, Any]) -> tuple:
    """What decides a device's entity set: its keys, which are empty, list lengths, each unit's keys and lists.

    Computed for every reading, so kept cheap: scalars only say whether they are there.
    """
    out: list[Any] = []
    for key, value in values.items():
        if isinstance(value, list):
            if value and isinstance(value[0], dict):
                out.append((key, tuple(tuple((k, len(x) if isinstance(x, list) else x is None)
                                             for k, x in unit.items()) for unit in value if isinstance(unit, dict))))
            else:
                out.append((key, len(value)))
        else:
            out.append((key, value is None))
    return tuple(out)


def device_info(ctx: Any, reading: Any, row: Mapping[str, Any]) -> DeviceInfo:
    """A device's HA identity: what it says of itself, else what the catalog knows."""
    metadata: Mapping[str, Any] = row["metadata"] if isinstance(row.get("metadata"), Mapping) else {}
    adapter = ctx.adapters[0].adapter_type if getattr(ctx, "adapters", None) else row.get("device_type")
    values, details = reading.values, reading.details or {}
    return DeviceInfo(
        device_id=ctx.device_id, kind=ctx.kind, name=row.get("name") or ctx.name,
        system_id=getattr(ctx, "system_id", None),
        manufacturer=(details.get("manufacturer") if isinstance(details, Mapping) else None)
        or discovery.MANUFACTURERS.get(adapter or "") or ("Solar appliance" if ctx.kind == "battery_array" else None),
        model=values.get("model") or metadata.get("model"),
        serial_number=values.get("serial_number") or row.get("hardware_id"),
        sw_version=values.get("software_version") or row.get("firmware_version"),
        hw_version=values.get("hardware_version"))

