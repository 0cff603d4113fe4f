"""The default structure of section 6.5, created only when no system exists."""

from __future__ import annotations

from appliance.catalog.localization import machine_defaults
from appliance.store import catalog as catalog_store
from appliance.store.models import database

#: The document's default system; its time zone and currency are the machine's own (localization.py),
#: not the document's Asia/Karachi: a fresh install in Berlin must not count its days in Karachi.
DEFAULT_SYSTEM = {"system_id": "system", "name": "My Solar System", "description": "Auto-created default system"}
DEFAULT_ARRAY = {"array_id": "array1", "system": "system", "name": "Default Inverter Array"}
DEFAULT_BATTERY_ARRAY = {"battery_array_id": "battery_array1", "system": "system", "name": "Default Battery Array"}


def ensure_defaults() -> bool:
    """Create `system` (in the machine's zone and currency), `array1`, `battery_array1` and their attachment if no
    system exists; True if created."""
    with database.atomic():
        # The check and the inserts share one transaction, so two callers cannot both create them.
        if catalog_store.has_systems():
            return False
        zone, currency = machine_defaults()
        catalog_store.add_default_structure({**DEFAULT_SYSTEM, "timezone": zone, "currency": currency}, DEFAULT_ARRAY,
                                            DEFAULT_BATTERY_ARRAY, ("battery_array1", "array1"))
    return True
