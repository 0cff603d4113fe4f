"""Peewee models of 5-minute and 30-minute aggregates and rollup bookkeeping; the schema itself is defined by store/migrations."""

from __future__ import annotations

from peewee import CompositeKey, FloatField, ForeignKeyField, IntegerField, SQL, TextField

from appliance.store.models.base import BaseModel
from appliance.store.models.catalog import BatteryArray, BatteryPack, Inverter, InverterArray, Meter, System


class Energy5m(BaseModel):
    """Row of `energy_5m`."""

    inverter = ForeignKeyField(Inverter, column_name='inverter_id', field='inverter_id', on_delete='CASCADE')
    bucket_start = IntegerField()
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    avg_solar_power_w = FloatField(null=True)
    avg_load_power_w = FloatField(null=True)
    avg_battery_power_w = FloatField(null=True)
    avg_grid_power_w = FloatField(null=True)
    avg_soc_pct = FloatField(null=True)
    min_soc_pct = FloatField(null=True)
    max_soc_pct = FloatField(null=True)
    max_solar_power_w = FloatField(null=True)
    max_load_power_w = FloatField(null=True)
    max_grid_power_w = FloatField(null=True)
    min_grid_power_w = FloatField(null=True)
    solar_energy_kwh = FloatField(null=True)
    load_energy_kwh = FloatField(null=True)
    battery_charge_energy_kwh = FloatField(null=True)
    battery_discharge_energy_kwh = FloatField(null=True)
    grid_import_energy_kwh = FloatField(null=True)
    grid_export_energy_kwh = FloatField(null=True)
    sample_count = IntegerField(default=0)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'energy_5m'
        primary_key = CompositeKey('inverter', 'bucket_start')
        without_rowid = True


class Array5m(BaseModel):
    """Row of `array_5m`."""

    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='CASCADE')
    bucket_start = IntegerField()
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    avg_solar_power_w = FloatField(null=True)
    avg_load_power_w = FloatField(null=True)
    avg_battery_power_w = FloatField(null=True)
    avg_grid_power_w = FloatField(null=True)
    avg_soc_pct = FloatField(null=True)
    min_soc_pct = FloatField(null=True)
    max_soc_pct = FloatField(null=True)
    max_solar_power_w = FloatField(null=True)
    max_load_power_w = FloatField(null=True)
    max_grid_power_w = FloatField(null=True)
    min_grid_power_w = FloatField(null=True)
    solar_energy_kwh = FloatField(null=True)
    load_energy_kwh = FloatField(null=True)
    battery_charge_energy_kwh = FloatField(null=True)
    battery_discharge_energy_kwh = FloatField(null=True)
    grid_import_energy_kwh = FloatField(null=True)
    grid_export_energy_kwh = FloatField(null=True)
    sample_count = IntegerField(default=0)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'array_5m'
        primary_key = CompositeKey('array', 'bucket_start')
        without_rowid = True


class System5m(BaseModel):
    """Row of `system_5m`."""

    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    bucket_start = IntegerField()
    avg_solar_power_w = FloatField(null=True)
    avg_load_power_w = FloatField(null=True)
    avg_battery_power_w = FloatField(null=True)
    avg_grid_power_w = FloatField(null=True)
    avg_soc_pct = FloatField(null=True)
    min_soc_pct = FloatField(null=True)
    max_soc_pct = FloatField(null=True)
    max_solar_power_w = FloatField(null=True)
    max_load_power_w = FloatField(null=True)
    max_grid_power_w = FloatField(null=True)
    min_grid_power_w = FloatField(null=True)
    solar_energy_kwh = FloatField(null=True)
    load_energy_kwh = FloatField(null=True)
    battery_charge_energy_kwh = FloatField(null=True)
    battery_discharge_energy_kwh = FloatField(null=True)
    grid_import_energy_kwh = FloatField(null=True)
    grid_export_energy_kwh = FloatField(null=True)
    sample_count = IntegerField(default=0)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'system_5m'
        primary_key = CompositeKey('system', 'bucket_start')
        without_rowid = True


class Meter5m(BaseModel):
    """Row of `meter_5m`."""

    meter = ForeignKeyField(Meter, column_name='meter_id', field='meter_id', on_delete='CASCADE')
    bucket_start = IntegerField()
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='SET NULL', null=True)
    avg_power_w = FloatField(null=True)
    max_power_w = FloatField(null=True)
    min_power_w = FloatField(null=True)
    avg_voltage_v = FloatField(null=True)
    avg_current_a = FloatField(null=True)
    avg_frequency_hz = FloatField(null=True)
    avg_power_factor = FloatField(null=True)
    min_power_factor = FloatField(null=True)
    import_energy_kwh = FloatField(null=True)
    export_energy_kwh = FloatField(null=True)
    sample_count = IntegerField(default=0)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'meter_5m'
        primary_key = CompositeKey('meter', 'bucket_start')
        without_rowid = True


class Meter30m(BaseModel):
    """Row of `meter_30m`."""

    meter = ForeignKeyField(Meter, column_name='meter_id', field='meter_id', on_delete='CASCADE')
    bucket_start = IntegerField()
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='SET NULL', null=True)
    avg_power_w = FloatField(null=True)
    max_power_w = FloatField(null=True)
    min_power_w = FloatField(null=True)
    avg_voltage_v = FloatField(null=True)
    avg_current_a = FloatField(null=True)
    avg_frequency_hz = FloatField(null=True)
    avg_power_factor = FloatField(null=True)
    min_power_factor = FloatField(null=True)
    import_energy_kwh = FloatField(null=True)
    export_energy_kwh = FloatField(null=True)
    sample_count = IntegerField(default=0)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'meter_30m'
        primary_key = CompositeKey('meter', 'bucket_start')
        without_rowid = True


class BatteryBank5m(BaseModel):
    """Row of `battery_bank_5m`."""

    pack = ForeignKeyField(BatteryPack, column_name='pack_id', field='pack_id', on_delete='CASCADE')
    bucket_start = IntegerField()
    battery_array = ForeignKeyField(BatteryArray, column_name='battery_array_id', field='battery_array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    avg_power_w = FloatField(null=True)
    avg_soc_pct = FloatField(null=True)
    min_soc_pct = FloatField(null=True)
    max_soc_pct = FloatField(null=True)
    avg_voltage_v = FloatField(null=True)
    min_voltage_v = FloatField(null=True)
    max_voltage_v = FloatField(null=True)
    avg_current_a = FloatField(null=True)
    min_current_a = FloatField(null=True)
    max_current_a = FloatField(null=True)
    avg_temperature_c = FloatField(null=True)
    min_temperature_c = FloatField(null=True)
    max_temperature_c = FloatField(null=True)
    charge_energy_kwh = FloatField(null=True)
    discharge_energy_kwh = FloatField(null=True)
    sample_count = IntegerField(default=0)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'battery_bank_5m'
        primary_key = CompositeKey('pack', 'bucket_start')
        without_rowid = True


class RollupWatermark(BaseModel):
    """Row of `rollup_watermarks`."""

    source_table = TextField(primary_key=True)
    rolled_to_ts = IntegerField()
    updated_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'rollup_watermarks'


class RollupDirty(BaseModel):
    """Row of `rollup_dirty`."""

    source_table = TextField()
    device_id = TextField()
    bucket_start = IntegerField()

    class Meta:
        table_name = 'rollup_dirty'
        primary_key = CompositeKey('source_table', 'device_id', 'bucket_start')
        without_rowid = True
