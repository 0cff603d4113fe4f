"""Peewee models of the registry tables; the schema itself is defined by store/migrations."""

from __future__ import annotations

from peewee import AutoField, BooleanField, CompositeKey, FloatField, ForeignKeyField, IntegerField, SQL, TextField

from appliance.store.models.base import BaseModel
from appliance.store.models.catalog import System


class RegistryDevice(BaseModel):
    """Row of `device_registry`."""

    device_id = TextField(primary_key=True)
    kind = TextField()
    device_type = TextField(null=True)
    name = TextField()
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='SET NULL', null=True)
    catalog_id = TextField(null=True)
    hardware_id = TextField(null=True)
    lifecycle_state = TextField(default='registered')
    health_status = TextField(default='offline')
    last_seen = IntegerField(null=True)
    response_time_ms = IntegerField(null=True)
    error_count = IntegerField(default=0)
    firmware_version = TextField(null=True)
    ip_address = TextField(null=True)
    location = TextField(null=True)
    metadata = TextField(default='{}')
    maintenance_reason = TextField(null=True)
    maintenance_started_at = IntegerField(null=True)
    maintenance_expected_end = IntegerField(null=True)
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    updated_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'device_registry'


class DeviceDiscovery(BaseModel):
    """Row of `device_discovery`."""

    device_id = TextField(primary_key=True)
    device_type = TextField(null=True)
    serial_number = TextField(null=True)
    port = TextField(null=True)
    adapter_config = TextField(null=True)
    status = TextField(default='active')
    is_auto_discovered = BooleanField(default=True)
    discovery_timestamp = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    adapter_type = TextField(null=True)
    model = TextField(null=True)
    source = TextField(null=True)
    registry = ForeignKeyField(RegistryDevice, column_name='registry_id', field='device_id', on_delete='SET NULL', null=True)
    failure_count = IntegerField(default=0)
    next_retry_at = IntegerField(null=True)
    last_seen_at = IntegerField(null=True)

    class Meta:
        table_name = 'device_discovery'


class DeviceHealth(BaseModel):
    """Row of `device_health`."""

    device = ForeignKeyField(RegistryDevice, column_name='device_id', field='device_id', on_delete='CASCADE')
    ts = IntegerField()
    status = TextField()
    response_time_ms = IntegerField(null=True)
    error_count = IntegerField(null=True)
    last_successful_poll = IntegerField(null=True)
    diagnostics = TextField(null=True)

    class Meta:
        table_name = 'device_health'
        primary_key = CompositeKey('device', 'ts')
        without_rowid = True


class DeviceGroup(BaseModel):
    """Row of `device_groups`."""

    group_id = TextField(primary_key=True)
    name = TextField()
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE', null=True)
    group_type = TextField()
    metadata = TextField(default='{}')
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'device_groups'


class DeviceGroupMember(BaseModel):
    """Row of `device_group_members`."""

    group = ForeignKeyField(DeviceGroup, column_name='group_id', field='group_id', on_delete='CASCADE')
    device = ForeignKeyField(RegistryDevice, column_name='device_id', field='device_id', on_delete='CASCADE')
    role = TextField(null=True)
    priority = IntegerField(null=True)

    class Meta:
        table_name = 'device_group_members'
        primary_key = CompositeKey('group', 'device')


class MarketDataType(BaseModel):
    """Row of `market_data_types`."""

    type_id = IntegerField(primary_key=True)
    name = TextField()
    description = TextField(null=True)
    unit = TextField(null=True)

    class Meta:
        table_name = 'market_data_types'


class MarketData(BaseModel):
    """Row of `market_data`."""

    id = AutoField()
    ts = IntegerField()
    type = ForeignKeyField(MarketDataType, column_name='type_id', field='type_id', on_delete='RESTRICT')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE', null=True)
    value = FloatField()
    metadata = TextField(default='{}')

    class Meta:
        table_name = 'market_data'


class SystemEvent(BaseModel):
    """Row of `system_events`."""

    event_id = AutoField()
    ts = IntegerField()
    kind = TextField()
    severity = TextField(default='info')
    message = TextField()
    details = TextField(default='{}')

    class Meta:
        table_name = 'system_events'


class AppSetting(BaseModel):
    """Row of `app_settings`."""

    key = TextField(primary_key=True)
    value = TextField()
    updated_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'app_settings'
