"""SQL of discovery's statements on `device_discovery`: a found device's row, its port, retry timer and status.

The discovery services read the rows through the peewee model; every statement that changes one is a
function here (a discovered device's registry row is store.registry's).
"""

from __future__ import annotations

from typing import Mapping

from appliance.store.models import DeviceDiscovery


def add_found(values: Mapping[str, object]) -> None:
    """Insert the row of a newly found device (columns by model field name)."""
    DeviceDiscovery.insert(**values).execute()


def update_found(device_id: str, values: Mapping[str, object]) -> None:
    """Change columns of a found device's row (by model field name: status, port, registry, ...)."""
    DeviceDiscovery.update(**values).where(DeviceDiscovery.device_id == device_id).execute()
