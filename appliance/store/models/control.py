"""Peewee models of dispatch, registered-device and sync state; the schema itself is defined by store/migrations."""

from __future__ import annotations

from peewee import SQL, AutoField, CompositeKey, FloatField, ForeignKeyField, IntegerField, TextField

from appliance.store.models.base import BaseModel
from appliance.store.models.registry import RegistryDevice


class DispatchLog(BaseModel):
    """Row of `dispatch_log`."""

    dispatch_id = AutoField()
    ts = IntegerField()
    command_source = IntegerField()
    target_kind = TextField()
    target_id = TextField()
    requested_w = FloatField()
    placed_w = FloatField(null=True)
    unplaced_w = FloatField(null=True)
    duration_s = IntegerField(null=True)
    expires_at = IntegerField(null=True)
    outcome = TextField()
    shares = TextField(default='[]')
    requested_by = TextField(null=True)

    class Meta:
        table_name = 'dispatch_log'


class SetpointState(BaseModel):
    """Row of `setpoint_state`."""

    asset = ForeignKeyField(RegistryDevice, column_name='asset_id', field='device_id', on_delete='CASCADE',
                            primary_key=True)
    target_w = FloatField()
    applied_w = FloatField(null=True)
    written_at = IntegerField(null=True)
    pending = IntegerField(default=0)
    expires_at = IntegerField(null=True)
    revert_w = FloatField(null=True)
    command_source = IntegerField(default=0)
    dispatch_id = IntegerField(null=True)
    last_error = TextField(null=True)
    released = IntegerField(default=0)
    control_source = TextField(default='api')

    class Meta:
        table_name = 'setpoint_state'


class DeviceHeartbeat(BaseModel):
    """Row of `device_heartbeats`."""

    device = ForeignKeyField(RegistryDevice, column_name='device_id', field='device_id', on_delete='CASCADE',
                             primary_key=True)
    heartbeats = IntegerField(default=0)
    too_frequent = IntegerField(default=0)
    last_heartbeat = IntegerField(null=True)
    last_interval_ms = IntegerField(null=True)

    class Meta:
        table_name = 'device_heartbeats'


class DeviceMetric(BaseModel):
    """Row of `device_metrics`."""

    device = ForeignKeyField(RegistryDevice, column_name='device_id', field='device_id', on_delete='CASCADE')
    name = TextField()
    ts = IntegerField()
    value = FloatField()

    class Meta:
        table_name = 'device_metrics'
        primary_key = CompositeKey('device', 'name', 'ts')
        without_rowid = True


class SyncState(BaseModel):
    """Row of `sync_state`."""

    key = TextField(primary_key=True)
    value = TextField()
    updated_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'sync_state'


class SyncTable(BaseModel):
    """Row of `sync_tables`: a table the sync feed carries."""

    tid = IntegerField(primary_key=True)
    name = TextField(unique=True)
    kind = TextField()
    key_columns = TextField()

    class Meta:
        table_name = 'sync_tables'


class SyncFeed(BaseModel):
    """Row of `sync_feed`: the latest change of one row, at its place in the global sequence."""

    seq = AutoField()
    tid = ForeignKeyField(SyncTable, column_name='tid', field='tid')
    key = TextField()
    op = TextField()
    ts = IntegerField()

    class Meta:
        table_name = 'sync_feed'


class ControlLease(BaseModel):
    """Row of `control_leases`: the one source controlling a device, until when."""

    device = ForeignKeyField(RegistryDevice, column_name='device_id', field='device_id', on_delete='CASCADE',
                             primary_key=True)
    source = TextField()
    holder = TextField()
    acquired_at = IntegerField()
    expires_at = IntegerField()

    class Meta:
        table_name = 'control_leases'


class ControlAudit(BaseModel):
    """Row of `control_audit`: a lease change, a write or a refusal."""

    audit_id = AutoField()
    ts = IntegerField()
    device_id = TextField()
    kind = TextField()
    source = TextField(null=True)
    holder = TextField(null=True)
    message = TextField()
    details = TextField(default='{}')

    class Meta:
        table_name = 'control_audit'


class ControlWriteBudget(BaseModel):
    """Row of `control_write_budget`: writes to a device on one day."""

    device_id = TextField()
    day = TextField()
    writes = IntegerField(default=0)

    class Meta:
        table_name = 'control_write_budget'
        primary_key = CompositeKey('device_id', 'day')
        without_rowid = True


class ControlSnapshot(BaseModel):
    """Row of `control_snapshots`: the owner's program before the first setpoint write."""

    device = ForeignKeyField(RegistryDevice, column_name='device_id', field='device_id', on_delete='CASCADE',
                             primary_key=True)
    taken_at = IntegerField()
    registers = TextField()
    program = TextField()

    class Meta:
        table_name = 'control_snapshots'


class ControlState(BaseModel):
    """Row of `control_state`: the program last read from a device and its last control error."""

    device = ForeignKeyField(RegistryDevice, column_name='device_id', field='device_id', on_delete='CASCADE',
                             primary_key=True)
    registers = TextField(null=True)
    program = TextField(null=True)
    read_at = IntegerField(null=True)
    last_error = TextField(null=True)
    last_error_at = IntegerField(null=True)

    class Meta:
        table_name = 'control_state'
