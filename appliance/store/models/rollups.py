"""Peewee models of the rollups tables; the schema itself is defined by store/migrations."""

from __future__ import annotations

from peewee import CompositeKey, FloatField, ForeignKeyField, IntegerField, SQL, TextField

from appliance.store.models.base import BaseModel
from appliance.store.models.catalog import BatteryArray
from appliance.store.models.catalog import BatteryPack
from appliance.store.models.catalog import Inverter
from appliance.store.models.catalog import InverterArray
from appliance.store.models.catalog import Meter
from appliance.store.models.catalog import System


class HourlyEnergy(BaseModel):
    """Row of `hourly_energy`."""

    inverter = ForeignKeyField(Inverter, column_name='inverter_id', field='inverter_id', on_delete='CASCADE')
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    date = TextField()
    hour_start = IntegerField()
    solar_energy_kwh = FloatField(null=True)
    load_energy_kwh = FloatField(null=True)
    battery_charge_energy_kwh = FloatField(null=True)
    battery_discharge_energy_kwh = FloatField(null=True)
    grid_import_energy_kwh = FloatField(null=True)
    grid_export_energy_kwh = FloatField(null=True)
    avg_solar_power_w = FloatField(null=True)
    avg_load_power_w = FloatField(null=True)
    avg_battery_power_w = FloatField(null=True)
    avg_grid_power_w = FloatField(null=True)
    sample_count = IntegerField(null=True)
    created_at = TextField(null=True, constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'hourly_energy'
        primary_key = CompositeKey('inverter', 'date', 'hour_start')


class ArrayHourlyEnergy(BaseModel):
    """Row of `array_hourly_energy`."""

    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    date = TextField()
    hour_start = IntegerField()
    solar_energy_kwh = FloatField(null=True)
    load_energy_kwh = FloatField(null=True)
    battery_charge_energy_kwh = FloatField(null=True)
    battery_discharge_energy_kwh = FloatField(null=True)
    grid_import_energy_kwh = FloatField(null=True)
    grid_export_energy_kwh = FloatField(null=True)
    avg_solar_power_w = FloatField(null=True)
    avg_load_power_w = FloatField(null=True)
    avg_battery_power_w = FloatField(null=True)
    avg_grid_power_w = FloatField(null=True)
    sample_count = IntegerField(null=True)
    created_at = TextField(null=True, constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'array_hourly_energy'
        primary_key = CompositeKey('array', 'date', 'hour_start')


class SystemHourlyEnergy(BaseModel):
    """Row of `system_hourly_energy`."""

    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    date = TextField()
    hour_start = IntegerField()
    solar_energy_kwh = FloatField(null=True)
    load_energy_kwh = FloatField(null=True)
    battery_charge_energy_kwh = FloatField(null=True)
    battery_discharge_energy_kwh = FloatField(null=True)
    grid_import_energy_kwh = FloatField(null=True)
    grid_export_energy_kwh = FloatField(null=True)
    avg_solar_power_w = FloatField(null=True)
    avg_load_power_w = FloatField(null=True)
    avg_battery_power_w = FloatField(null=True)
    avg_grid_power_w = FloatField(null=True)
    sample_count = IntegerField(null=True)
    created_at = TextField(null=True, constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'system_hourly_energy'
        primary_key = CompositeKey('system', 'date', 'hour_start')


class DailySummary(BaseModel):
    """Row of `daily_summary`."""

    date = TextField()
    inverter = ForeignKeyField(Inverter, column_name='inverter_id', field='inverter_id', on_delete='CASCADE')
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    day_of_year = IntegerField()
    year = IntegerField()
    pv_energy_kwh = FloatField(null=True)
    pv_max_power_w = FloatField(null=True)
    pv_avg_power_w = FloatField(null=True)
    pv_peak_hour = IntegerField(null=True)
    load_energy_kwh = FloatField(null=True)
    load_max_power_w = FloatField(null=True)
    load_avg_power_w = FloatField(null=True)
    load_peak_hour = IntegerField(null=True)
    battery_min_soc_pct = FloatField(null=True)
    battery_max_soc_pct = FloatField(null=True)
    battery_avg_soc_pct = FloatField(null=True)
    battery_cycles = FloatField(null=True)
    grid_energy_imported_kwh = FloatField(null=True)
    grid_energy_exported_kwh = FloatField(null=True)
    grid_max_import_w = FloatField(null=True)
    grid_max_export_w = FloatField(null=True)
    weather_factor = FloatField(null=True)
    sample_count = IntegerField(null=True)
    created_at = TextField(null=True, constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'daily_summary'
        primary_key = CompositeKey('date', 'inverter')


class ArrayDailySummary(BaseModel):
    """Row of `array_daily_summary`."""

    date = TextField()
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    day_of_year = IntegerField()
    year = IntegerField()
    pv_energy_kwh = FloatField(null=True)
    pv_max_power_w = FloatField(null=True)
    pv_avg_power_w = FloatField(null=True)
    pv_peak_hour = IntegerField(null=True)
    load_energy_kwh = FloatField(null=True)
    load_max_power_w = FloatField(null=True)
    load_avg_power_w = FloatField(null=True)
    load_peak_hour = IntegerField(null=True)
    battery_min_soc_pct = FloatField(null=True)
    battery_max_soc_pct = FloatField(null=True)
    battery_avg_soc_pct = FloatField(null=True)
    battery_cycles = FloatField(null=True)
    grid_energy_imported_kwh = FloatField(null=True)
    grid_energy_exported_kwh = FloatField(null=True)
    grid_max_import_w = FloatField(null=True)
    grid_max_export_w = FloatField(null=True)
    weather_factor = FloatField(null=True)
    sample_count = IntegerField(null=True)
    created_at = TextField(null=True, constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    import_cost = FloatField(null=True)
    export_revenue = FloatField(null=True)
    saving = FloatField(null=True)
    currency = TextField(null=True)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'array_daily_summary'
        primary_key = CompositeKey('date', 'array')


class SystemDailySummary(BaseModel):
    """Row of `system_daily_summary`."""

    date = TextField()
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    day_of_year = IntegerField()
    year = IntegerField()
    pv_energy_kwh = FloatField(null=True)
    pv_max_power_w = FloatField(null=True)
    pv_avg_power_w = FloatField(null=True)
    pv_peak_hour = IntegerField(null=True)
    load_energy_kwh = FloatField(null=True)
    load_max_power_w = FloatField(null=True)
    load_avg_power_w = FloatField(null=True)
    load_peak_hour = IntegerField(null=True)
    battery_min_soc_pct = FloatField(null=True)
    battery_max_soc_pct = FloatField(null=True)
    battery_avg_soc_pct = FloatField(null=True)
    battery_cycles = FloatField(null=True)
    grid_energy_imported_kwh = FloatField(null=True)
    grid_energy_exported_kwh = FloatField(null=True)
    grid_max_import_w = FloatField(null=True)
    grid_max_export_w = FloatField(null=True)
    weather_factor = FloatField(null=True)
    sample_count = IntegerField(null=True)
    created_at = TextField(null=True, constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    import_cost = FloatField(null=True)
    export_revenue = FloatField(null=True)
    saving = FloatField(null=True)
    currency = TextField(null=True)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'system_daily_summary'
        primary_key = CompositeKey('date', 'system')


class MeterHourlyEnergy(BaseModel):
    """Row of `meter_hourly_energy`."""

    meter = ForeignKeyField(Meter, column_name='meter_id', field='meter_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='SET NULL', null=True)
    date = TextField()
    hour_start = IntegerField()
    import_energy_kwh = FloatField(null=True, default=0.0)
    export_energy_kwh = FloatField(null=True, default=0.0)
    avg_power_w = FloatField(null=True)
    sample_count = IntegerField(null=True, default=0)
    created_at = TextField(null=True, constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'meter_hourly_energy'
        primary_key = CompositeKey('meter', 'date', 'hour_start')


class MeterDaily(BaseModel):
    """Row of `meter_daily`."""

    day = TextField()
    meter = ForeignKeyField(Meter, column_name='meter_id', field='meter_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='SET NULL', null=True)
    import_energy_kwh = FloatField(default=0)
    export_energy_kwh = FloatField(default=0)
    net_energy_kwh = FloatField(default=0)
    max_import_power_w = IntegerField(null=True)
    max_export_power_w = IntegerField(null=True)
    avg_voltage_v = FloatField(null=True)
    avg_current_a = FloatField(null=True)
    avg_frequency_hz = FloatField(null=True)
    sample_count = IntegerField(null=True, default=0)
    created_at = TextField(null=True, constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    updated_at = TextField(null=True, constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'meter_daily'
        primary_key = CompositeKey('day', 'meter')


class BatteryBankHourly(BaseModel):
    """Row of `battery_bank_hourly`."""

    pack = ForeignKeyField(BatteryPack, column_name='pack_id', field='pack_id', on_delete='CASCADE')
    battery_array = ForeignKeyField(BatteryArray, column_name='battery_array_id', field='battery_array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    date = TextField()
    hour_start = IntegerField()
    charge_energy_kwh = FloatField(null=True, default=0.0)
    discharge_energy_kwh = FloatField(null=True, default=0.0)
    net_energy_kwh = FloatField(null=True, default=0.0)
    avg_power_w = FloatField(null=True)
    avg_soc_pct = FloatField(null=True)
    min_soc_pct = FloatField(null=True)
    max_soc_pct = FloatField(null=True)
    avg_voltage_v = FloatField(null=True)
    avg_current_a = FloatField(null=True)
    avg_temperature_c = FloatField(null=True)
    sample_count = IntegerField(null=True, default=0)
    created_at = TextField(null=True, constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'battery_bank_hourly'
        primary_key = CompositeKey('pack', 'date', 'hour_start')


class BatteryBankDaily(BaseModel):
    """Row of `battery_bank_daily`."""

    date = TextField()
    pack = ForeignKeyField(BatteryPack, column_name='pack_id', field='pack_id', on_delete='CASCADE')
    battery_array = ForeignKeyField(BatteryArray, column_name='battery_array_id', field='battery_array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    day_of_year = IntegerField()
    year = IntegerField()
    charge_energy_kwh = FloatField(null=True, default=0.0)
    discharge_energy_kwh = FloatField(null=True, default=0.0)
    net_energy_kwh = FloatField(null=True, default=0.0)
    min_soc_pct = FloatField(null=True)
    max_soc_pct = FloatField(null=True)
    avg_soc_pct = FloatField(null=True)
    min_voltage_v = FloatField(null=True)
    max_voltage_v = FloatField(null=True)
    avg_voltage_v = FloatField(null=True)
    min_temperature_c = FloatField(null=True)
    max_temperature_c = FloatField(null=True)
    avg_temperature_c = FloatField(null=True)
    min_current_a = FloatField(null=True)
    max_current_a = FloatField(null=True)
    avg_current_a = FloatField(null=True)
    cycles = FloatField(null=True)
    sample_count = IntegerField(null=True, default=0)
    created_at = TextField(null=True, constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'battery_bank_daily'
        primary_key = CompositeKey('date', 'pack')
