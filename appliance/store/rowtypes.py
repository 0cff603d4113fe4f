"""The shapes of model rows as services hand them upward: every column by name, JSON columns decoded.

One TypedDict per table, so a caller that reads `row["nominal_kwh"]` is checked. The rows themselves are
built by one generic conversion (a model instance's column values), so tests/store/test_rowtypes.py holds
each shape to its model's columns: a column added by a migration and not here fails it.
Columns filled by a SQL default (`created_at`) are None on a row built right after an insert.
"""

from __future__ import annotations

from typing import Mapping, TypedDict, TypeVar, cast

from appliance.jsontypes import JsonValue

#: One of the row shapes below.
R = TypeVar("R", bound=Mapping[str, object])


def shaped(shape: type[R], row: Mapping[str, object]) -> R:
    """A model row (every column by name, JSON decoded) as its shape here: tests/store/test_rowtypes.py holds
    every shape to its model's columns, which is what makes this cast true."""
    return cast(R, row)


class SystemRow(TypedDict):
    """A `systems` row."""

    system_id: str
    name: str
    description: str | None
    timezone: str | None
    created_at: str | None
    updated_at: str | None
    currency: str | None


class AdapterBaseRow(TypedDict):
    """An `adapter_base` row."""

    adapter_type: str
    device_category: str
    name: str
    description: str | None
    config_schema: JsonValue
    supported_transports: JsonValue
    default_config: JsonValue
    version: str | None
    created_at: str | None
    updated_at: str | None


class AdapterRow(TypedDict):
    """An `adapters` row."""

    adapter_id: str
    adapter_type: str
    device_category: str
    name: str | None
    config_json: JsonValue
    device_id: str | None
    device_type: str | None
    priority: int | None
    enabled: bool | None
    created_at: str | None
    updated_at: str | None


class InverterArrayRow(TypedDict):
    """An `arrays` row."""

    array_id: str
    system_id: str
    name: str
    created_at: str | None
    updated_at: str | None


class InverterRow(TypedDict):
    """An `inverters` row."""

    inverter_id: str
    array_id: str
    system_id: str
    adapter_id: str | None
    name: str
    model: str | None
    serial_number: str | None
    vendor: str | None
    phase_type: str | None
    created_at: str | None
    updated_at: str | None


class BatteryArrayRow(TypedDict):
    """A `battery_arrays` row."""

    battery_array_id: str
    system_id: str
    name: str
    created_at: str | None
    updated_at: str | None


class BatteryPackRow(TypedDict):
    """A `battery_packs` row."""

    pack_id: str
    battery_array_id: str
    system_id: str
    name: str
    chemistry: str | None
    nominal_kwh: float | None
    max_charge_kw: float | None
    max_discharge_kw: float | None
    created_at: str | None
    updated_at: str | None
    soc_reserve_pct: float | None


class BatteryRow(TypedDict):
    """A `batteries` row."""

    battery_id: str
    pack_id: str
    battery_array_id: str
    system_id: str
    battery_index: int
    serial_number: str | None
    model: str | None
    created_at: str | None


class BatteryCellRow(TypedDict):
    """A `battery_cells` row."""

    cell_id: str
    battery_id: str
    pack_id: str
    battery_array_id: str
    system_id: str
    cell_index: int
    nominal_voltage: float | None
    created_at: str | None


class BatteryArrayAttachmentRow(TypedDict):
    """A `battery_array_attachments` row."""

    battery_array_id: str
    inverter_array_id: str
    attached_since: str
    detached_at: str | None


class MeterRow(TypedDict):
    """A `meters` row."""

    meter_id: str
    system_id: str
    array_id: str | None
    adapter_id: str | None
    name: str
    model: str | None
    type: str | None
    attachment_target: str | None
    created_at: str | None
    updated_at: str | None


class BatteryPackAdapterRow(TypedDict):
    """A `battery_pack_adapters` row."""

    pack_id: str
    adapter_id: str
    priority: int
    enabled: bool | None
    created_at: str | None


class RegistryDeviceRow(TypedDict):
    """A `device_registry` row."""

    device_id: str
    kind: str
    device_type: str | None
    name: str
    system_id: str | None
    catalog_id: str | None
    hardware_id: str | None
    lifecycle_state: str
    health_status: str
    last_seen: int | None
    response_time_ms: int | None
    error_count: int
    firmware_version: str | None
    ip_address: str | None
    location: JsonValue
    metadata: JsonValue
    maintenance_reason: str | None
    maintenance_started_at: int | None
    maintenance_expected_end: int | None
    created_at: str | None
    updated_at: str | None


class DeviceGroupRow(TypedDict):
    """A `device_groups` row."""

    group_id: str
    name: str
    system_id: str | None
    group_type: str
    metadata: JsonValue
    created_at: str | None


class DeviceGroupMemberRow(TypedDict):
    """A `device_group_members` row."""

    group_id: str
    device_id: str
    role: str | None
    priority: int | None


class SystemEventRow(TypedDict):
    """A `system_events` row."""

    event_id: int
    ts: int
    kind: str
    severity: str
    message: str
    details: JsonValue


class DeviceDiscoveryRow(TypedDict):
    """A `device_discovery` row."""

    device_id: str
    device_type: str | None
    serial_number: str | None
    port: str | None
    adapter_config: JsonValue
    status: str
    is_auto_discovered: bool
    discovery_timestamp: str | None
    created_at: str | None
    adapter_type: str | None
    model: str | None
    source: str | None
    registry_id: str | None
    failure_count: int
    next_retry_at: int | None
    last_seen_at: int | None
