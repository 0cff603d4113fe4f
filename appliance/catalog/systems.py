"""Systems, inverter arrays, battery arrays and the battery-array attachments."""

from __future__ import annotations

from appliance.catalog import registry
from appliance.catalog.common import ensure_new, get, parent, save, unknown_fields
from appliance.catalog.localization import currency_for_zone, machine_timezone
from appliance.clock import utc_now_iso
from appliance.errors import ValidationError
from appliance.store import catalog as catalog_store
from appliance.store.models import BatteryArray, BatteryArrayAttachment, InverterArray, System, database
from appliance.store.rows import row
from appliance.store.rowtypes import BatteryArrayAttachmentRow, BatteryArrayRow, InverterArrayRow, SystemRow, shaped
from appliance.validation import check_currency, check_free_text, check_id, check_name, check_timestamp, check_timezone


class BatteryArrayView(BatteryArrayRow):
    """A battery array with the inverter array it is attached to now."""

    attached_inverter_array_id: str | None


def create_system(system_id: str, name: str, *, description: str | None = None,
                  timezone: str | None = None, currency: str | None = None) -> SystemRow:
    """Create a system (a home or site) with its IANA time zone (default: the machine's) and the currency of its
    tariffs (default: the zone's country's)."""
    check_id(system_id, "system_id")
    ensure_new(System, system_id, "system_id", "system")
    zone = check_timezone(timezone if timezone is not None else machine_timezone())
    currency = check_currency(currency if currency is not None else currency_for_zone(zone))
    system = System(system_id=system_id, name=check_name(name), description=check_free_text(description, "description"),
                    timezone=zone, currency=currency)
    save(system, force_insert=True)
    return get_system(system_id)


def get_system(system_id: str) -> SystemRow:
    """One system."""
    return shaped(SystemRow, row(get(System, system_id, "system")))


def list_systems() -> list[SystemRow]:
    """Every system, by id."""
    return [shaped(SystemRow, row(s)) for s in System.select().order_by(System.system_id)]


def update_system(system_id: str, **changes: object) -> SystemRow:
    """Change a system's name, description, time zone or currency."""
    unknown_fields(changes, {"name", "description", "timezone", "currency"})
    system = get(System, system_id, "system")
    if "name" in changes:
        system.name = check_name(changes["name"])
    if "description" in changes:
        system.description = check_free_text(changes["description"], "description")
    if "timezone" in changes:
        system.timezone = check_timezone(changes["timezone"])
    if "currency" in changes:
        system.currency = check_currency(changes["currency"])
    system.updated_at = utc_now_iso()
    save(system)
    return shaped(SystemRow, row(system))


def delete_system(system_id: str, *, keep_adapters: bool = False) -> None:
    """Delete a system and, by CASCADE, everything in it."""
    system = get(System, system_id, "system")
    with database.atomic():
        system.delete_instance()
        registry.drop_orphans(keep_adapters)


def create_array(array_id: str, system_id: str, name: str) -> InverterArrayRow:
    """Create an inverter array in a system."""
    check_id(array_id, "array_id")
    ensure_new(InverterArray, array_id, "array_id", "inverter array")
    parent(System, system_id, "system_id", "system")
    array = InverterArray(array_id=array_id, system=system_id, name=check_name(name))
    save(array, force_insert=True)
    return get_array(array_id)


def get_array(array_id: str) -> InverterArrayRow:
    """One inverter array."""
    return shaped(InverterArrayRow, row(get(InverterArray, array_id, "inverter array")))


def list_arrays(system_id: str | None = None) -> list[InverterArrayRow]:
    """Inverter arrays, optionally of one system."""
    query = InverterArray.select().order_by(InverterArray.array_id)
    if system_id is not None:
        query = query.where(InverterArray.system == system_id)
    return [shaped(InverterArrayRow, row(a)) for a in query]


def update_array(array_id: str, **changes: object) -> InverterArrayRow:
    """Rename an inverter array."""
    unknown_fields(changes, {"name"})
    array = get(InverterArray, array_id, "inverter array")
    if "name" in changes:
        array.name = check_name(changes["name"])
    array.updated_at = utc_now_iso()
    save(array)
    return shaped(InverterArrayRow, row(array))


def delete_array(array_id: str, *, keep_adapters: bool = False) -> None:
    """Delete an inverter array; its inverters go with it (CASCADE), array meters become system meters."""
    array = get(InverterArray, array_id, "inverter array")
    with database.atomic():
        array.delete_instance()
        registry.drop_orphans(keep_adapters)


def create_battery_array(battery_array_id: str, system_id: str, name: str) -> BatteryArrayView:
    """Create a battery array in a system."""
    check_id(battery_array_id, "battery_array_id")
    ensure_new(BatteryArray, battery_array_id, "battery_array_id", "battery array")
    parent(System, system_id, "system_id", "system")
    battery_array = BatteryArray(battery_array_id=battery_array_id, system=system_id, name=check_name(name))
    save(battery_array, force_insert=True)
    return get_battery_array(battery_array_id)


def get_battery_array(battery_array_id: str) -> BatteryArrayView:
    """One battery array with its active attachment, if any."""
    out = shaped(BatteryArrayRow, row(get(BatteryArray, battery_array_id, "battery array")))
    active = active_attachment(battery_array_id)
    return BatteryArrayView(**out, attached_inverter_array_id=active["inverter_array_id"] if active else None)


def list_battery_arrays(system_id: str | None = None) -> list[BatteryArrayView]:
    """Battery arrays, optionally of one system."""
    query = BatteryArray.select().order_by(BatteryArray.battery_array_id)
    if system_id is not None:
        query = query.where(BatteryArray.system == system_id)
    return [get_battery_array(b.battery_array_id) for b in query]


def update_battery_array(battery_array_id: str, **changes: object) -> BatteryArrayView:
    """Rename a battery array."""
    unknown_fields(changes, {"name"})
    battery_array = get(BatteryArray, battery_array_id, "battery array")
    if "name" in changes:
        battery_array.name = check_name(changes["name"])
    battery_array.updated_at = utc_now_iso()
    save(battery_array)
    return get_battery_array(battery_array_id)


def delete_battery_array(battery_array_id: str, *, keep_adapters: bool = False) -> None:
    """Delete a battery array; its packs and attachments go with it (CASCADE)."""
    battery_array = get(BatteryArray, battery_array_id, "battery array")
    with database.atomic():
        battery_array.delete_instance()
        registry.drop_orphans(keep_adapters)


def active_attachment(battery_array_id: str) -> BatteryArrayAttachmentRow | None:
    """The attachment of a battery array that has not been detached."""
    current = (BatteryArrayAttachment.select()
               .where((BatteryArrayAttachment.battery_array == battery_array_id)
                      & BatteryArrayAttachment.detached_at.is_null())
               .order_by(BatteryArrayAttachment.attached_since.desc()).first())
    return shaped(BatteryArrayAttachmentRow, row(current)) if current else None


def attachment_history(battery_array_id: str | None = None) -> list[BatteryArrayAttachmentRow]:
    """Every attachment, detached ones included, oldest first."""
    query = BatteryArrayAttachment.select().order_by(BatteryArrayAttachment.battery_array,
                                                     BatteryArrayAttachment.attached_since)
    if battery_array_id is not None:
        query = query.where(BatteryArrayAttachment.battery_array == battery_array_id)
    return [shaped(BatteryArrayAttachmentRow, row(a)) for a in query]


def attach(battery_array_id: str, inverter_array_id: str, *, since: str | None = None,
           detached_at: str | None = None) -> BatteryArrayAttachmentRow:
    """Attach a battery array to an inverter array of the same system; an active attachment is ended first."""
    battery_array = parent(BatteryArray, battery_array_id, "battery_array_id", "battery array")
    inverter_array = parent(InverterArray, inverter_array_id, "inverter_array_id", "inverter array")
    if battery_array.system_id != inverter_array.system_id:
        raise ValidationError(f"inverter_array_id: {inverter_array_id!r} is in system {inverter_array.system_id!r}, "
                              f"battery array {battery_array_id!r} in {battery_array.system_id!r}",
                              field="inverter_array_id")
    since = check_timestamp(since, "attached_since") if since is not None else utc_now_iso()
    if detached_at is not None:
        detached_at = check_timestamp(detached_at, "detached_at")
    with database.atomic():
        if detached_at is None:
            current = active_attachment(battery_array_id)
            if current and current["inverter_array_id"] == inverter_array_id:
                return current
            if current:
                detach(battery_array_id, at=since)
        if BatteryArrayAttachment.get_or_none((BatteryArrayAttachment.battery_array == battery_array_id)
                                              & (BatteryArrayAttachment.attached_since == since)):
            raise ValidationError(f"attached_since: battery array {battery_array_id!r} already has an attachment "
                                  f"starting at {since}", field="attached_since")
        attachment = BatteryArrayAttachment(battery_array=battery_array_id, inverter_array=inverter_array_id,
                                            attached_since=since, detached_at=detached_at)
        save(attachment, force_insert=True)
    return shaped(BatteryArrayAttachmentRow, row(attachment))


def detach(battery_array_id: str, *, at: str | None = None) -> BatteryArrayAttachmentRow:
    """End the active attachment of a battery array, keeping it as history."""
    current = active_attachment(battery_array_id)
    if current is None:
        raise ValidationError(f"battery array {battery_array_id!r} is not attached", field="battery_array_id")
    at = check_timestamp(at, "detached_at") if at is not None else utc_now_iso()
    catalog_store.end_attachment(battery_array_id, current["attached_since"], at)
    current["detached_at"] = at
    return current
