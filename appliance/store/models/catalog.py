"""Peewee models of the catalog tables; the schema itself is defined by store/migrations."""

from __future__ import annotations

from peewee import BooleanField, CompositeKey, FloatField, ForeignKeyField, IntegerField, SQL, TextField

from appliance.store.models.base import BaseModel


class System(BaseModel):
    """Row of `systems`."""

    system_id = TextField(primary_key=True)
    name = TextField()
    description = TextField(null=True)
    timezone = TextField(null=True, default='Asia/Karachi')
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    updated_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    currency = TextField(null=True, default='PKR')

    class Meta:
        table_name = 'systems'


class AdapterBase(BaseModel):
    """Row of `adapter_base`."""

    adapter_type = TextField(primary_key=True)
    device_category = TextField()
    name = TextField()
    description = TextField(null=True)
    config_schema = TextField()
    supported_transports = TextField(null=True)
    default_config = TextField(null=True)
    version = TextField(null=True)
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    updated_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'adapter_base'


class Adapter(BaseModel):
    """Row of `adapters`."""

    adapter_id = TextField(primary_key=True)
    base = ForeignKeyField(AdapterBase, column_name='adapter_type', field='adapter_type', on_delete='RESTRICT',
                           object_id_name='adapter_type')
    device_category = TextField()
    name = TextField(null=True)
    config_json = TextField()
    device_id = TextField(null=True)
    device_type = TextField(null=True)
    priority = IntegerField(null=True, default=1)
    enabled = BooleanField(null=True, default=True)
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    updated_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'adapters'


class InverterArray(BaseModel):
    """Row of `arrays`."""

    array_id = TextField(primary_key=True)
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    name = TextField()
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    updated_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'arrays'


class Inverter(BaseModel):
    """Row of `inverters`."""

    inverter_id = TextField(primary_key=True)
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    adapter = ForeignKeyField(Adapter, column_name='adapter_id', field='adapter_id', on_delete='SET NULL', null=True)
    name = TextField()
    model = TextField(null=True)
    serial_number = TextField(null=True)
    vendor = TextField(null=True)
    phase_type = TextField(null=True)
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    updated_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'inverters'


class BatteryArray(BaseModel):
    """Row of `battery_arrays`."""

    battery_array_id = TextField(primary_key=True)
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    name = TextField()
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    updated_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'battery_arrays'


class BatteryPack(BaseModel):
    """Row of `battery_packs`."""

    pack_id = TextField(primary_key=True)
    battery_array = ForeignKeyField(BatteryArray, column_name='battery_array_id', field='battery_array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    name = TextField()
    chemistry = TextField(null=True)
    nominal_kwh = FloatField(null=True)
    max_charge_kw = FloatField(null=True)
    max_discharge_kw = FloatField(null=True)
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    updated_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    soc_reserve_pct = FloatField(null=True)

    class Meta:
        table_name = 'battery_packs'


class Battery(BaseModel):
    """Row of `batteries`."""

    battery_id = TextField(primary_key=True)
    pack = ForeignKeyField(BatteryPack, column_name='pack_id', field='pack_id', on_delete='CASCADE')
    battery_array = ForeignKeyField(BatteryArray, column_name='battery_array_id', field='battery_array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    battery_index = IntegerField()
    serial_number = TextField(null=True)
    model = TextField(null=True)
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'batteries'


class BatteryCell(BaseModel):
    """Row of `battery_cells`."""

    cell_id = TextField(primary_key=True)
    battery = ForeignKeyField(Battery, column_name='battery_id', field='battery_id', on_delete='CASCADE')
    pack = ForeignKeyField(BatteryPack, column_name='pack_id', field='pack_id', on_delete='CASCADE')
    battery_array = ForeignKeyField(BatteryArray, column_name='battery_array_id', field='battery_array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    cell_index = IntegerField()
    nominal_voltage = FloatField(null=True)
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'battery_cells'


class BatteryArrayAttachment(BaseModel):
    """Row of `battery_array_attachments`."""

    battery_array = ForeignKeyField(BatteryArray, column_name='battery_array_id', field='battery_array_id', on_delete='CASCADE')
    inverter_array = ForeignKeyField(InverterArray, column_name='inverter_array_id', field='array_id', on_delete='CASCADE')
    attached_since = TextField()
    detached_at = TextField(null=True)

    class Meta:
        table_name = 'battery_array_attachments'
        primary_key = CompositeKey('battery_array', 'attached_since')


class BatteryPackAttachment(BaseModel):
    """Row of `battery_pack_attachments`."""

    pack = ForeignKeyField(BatteryPack, column_name='pack_id', field='pack_id', on_delete='CASCADE')
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='CASCADE')
    attached_since = TextField()
    detached_at = TextField(null=True)

    class Meta:
        table_name = 'battery_pack_attachments'
        primary_key = CompositeKey('pack', 'attached_since')


class Meter(BaseModel):
    """Row of `meters`."""

    meter_id = TextField(primary_key=True)
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='SET NULL', null=True)
    adapter = ForeignKeyField(Adapter, column_name='adapter_id', field='adapter_id', on_delete='SET NULL', null=True)
    name = TextField()
    model = TextField(null=True)
    type = TextField(null=True)
    attachment_target = TextField(null=True)
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    updated_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'meters'


class BatteryPackAdapter(BaseModel):
    """Row of `battery_pack_adapters`."""

    pack = ForeignKeyField(BatteryPack, column_name='pack_id', field='pack_id', on_delete='CASCADE')
    adapter = ForeignKeyField(Adapter, column_name='adapter_id', field='adapter_id', on_delete='CASCADE')
    priority = IntegerField(default=1)
    enabled = BooleanField(null=True, default=True)
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'battery_pack_adapters'
        primary_key = CompositeKey('pack', 'adapter')
