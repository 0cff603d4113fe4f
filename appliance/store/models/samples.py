"""Peewee models of the samples tables; the schema itself is defined by store/migrations."""

from __future__ import annotations

from peewee import BareField, BlobField, BooleanField, CompositeKey, FloatField, ForeignKeyField, IntegerField, TextField

from appliance.store.models.base import BaseModel
from appliance.store.models.catalog import Battery
from appliance.store.models.catalog import BatteryArray
from appliance.store.models.catalog import BatteryCell
from appliance.store.models.catalog import BatteryPack
from appliance.store.models.catalog import Inverter
from appliance.store.models.catalog import InverterArray
from appliance.store.models.catalog import Meter
from appliance.store.models.catalog import System


class EnergySample(BaseModel):
    """Row of `energy_samples`."""

    ts = IntegerField()
    inverter = ForeignKeyField(Inverter, column_name='inverter_id', field='inverter_id', on_delete='CASCADE')
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    pv_power_w = IntegerField(null=True)
    load_power_w = IntegerField(null=True)
    grid_power_w = IntegerField(null=True)
    batt_voltage_v = FloatField(null=True)
    batt_current_a = FloatField(null=True)
    soc = FloatField(null=True)
    battery_soc = FloatField(null=True)
    battery_voltage_v = FloatField(null=True)
    battery_current_a = FloatField(null=True)
    inverter_mode = IntegerField(null=True)
    inverter_temp_c = FloatField(null=True)
    grid_import_wh = FloatField(null=True)
    grid_export_wh = FloatField(null=True)
    battery_power_w = IntegerField(null=True)
    grid_voltage_v = FloatField(null=True)
    grid_frequency_hz = FloatField(null=True)
    pv_energy_total_kwh = FloatField(null=True)
    load_energy_total_kwh = FloatField(null=True)
    battery_charge_total_kwh = FloatField(null=True)
    battery_discharge_total_kwh = FloatField(null=True)
    details = BareField(null=True)  # JSON text, or a deflated blob (migration 13): read with store.details
    flags = IntegerField(null=True, default=0)  # bit 1: clock not synchronised (migration 7)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'energy_samples'
        primary_key = CompositeKey('inverter', 'ts')
        without_rowid = True


class ArraySample(BaseModel):
    """Row of `array_samples`."""

    ts = IntegerField()
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    pv_power_w = IntegerField(null=True)
    load_power_w = IntegerField(null=True)
    grid_power_w = IntegerField(null=True)
    batt_power_w = IntegerField(null=True)
    batt_soc_pct = FloatField(null=True)
    batt_voltage_v = FloatField(null=True)
    batt_current_a = FloatField(null=True)
    flags = IntegerField(null=True, default=0)  # bit 1: clock not synchronised (migration 7)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'array_samples'
        primary_key = CompositeKey('array', 'ts')
        without_rowid = True


class BatteryBankSample(BaseModel):
    """Row of `battery_bank_samples`."""

    ts = IntegerField()
    pack = ForeignKeyField(BatteryPack, column_name='pack_id', field='pack_id', on_delete='CASCADE')
    battery_array = ForeignKeyField(BatteryArray, column_name='battery_array_id', field='battery_array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    voltage = FloatField(null=True)
    current = FloatField(null=True)
    temperature = FloatField(null=True)
    soc = FloatField(null=True)
    batteries_count = IntegerField(null=True)
    cells_per_battery = IntegerField(null=True)
    power_w = IntegerField(null=True)
    soh_pct = FloatField(null=True)
    cycles = IntegerField(null=True)
    remaining_ah = FloatField(null=True)
    full_ah = FloatField(null=True)
    cell_min_v = FloatField(null=True)
    cell_max_v = FloatField(null=True)
    cell_delta_v = FloatField(null=True)
    balancing = BooleanField(null=True)
    details = BareField(null=True)  # JSON text, or a deflated blob (migration 13): read with store.details
    flags = IntegerField(null=True, default=0)  # bit 1: clock not synchronised (migration 7)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'battery_bank_samples'
        primary_key = CompositeKey('pack', 'ts')
        without_rowid = True


class BatteryUnitSample(BaseModel):
    """Row of `battery_unit_samples`."""

    ts = IntegerField()
    battery = ForeignKeyField(Battery, column_name='battery_id', field='battery_id', on_delete='CASCADE')
    pack = ForeignKeyField(BatteryPack, column_name='pack_id', field='pack_id', on_delete='CASCADE')
    battery_array = ForeignKeyField(BatteryArray, column_name='battery_array_id', field='battery_array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    power = IntegerField()  # the unit's number in the BMS console's `pwr` table (the document's name)
    voltage = FloatField(null=True)
    current = FloatField(null=True)
    temperature = FloatField(null=True)
    soc = FloatField(null=True)
    basic_st = TextField(null=True)
    volt_st = TextField(null=True)
    current_st = TextField(null=True)
    temp_st = TextField(null=True)
    soh_st = TextField(null=True)
    coul_st = TextField(null=True)
    heater_st = TextField(null=True)
    bat_events = IntegerField(null=True)
    power_events = IntegerField(null=True)
    sys_events = IntegerField(null=True)
    details = BareField(null=True)  # JSON text, or a deflated blob (migration 13): read with store.details
    flags = IntegerField(null=True, default=0)  # bit 1: clock not synchronised (migration 7)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'battery_unit_samples'
        primary_key = CompositeKey('battery', 'ts')
        without_rowid = True


class BatteryCellReading(BaseModel):
    """Row of `battery_cell_readings`: one pack reading's cells in a blob (read with store.cells)."""

    pack = ForeignKeyField(BatteryPack, column_name='pack_id', field='pack_id', on_delete='CASCADE')
    ts = IntegerField()
    battery_array = ForeignKeyField(BatteryArray, column_name='battery_array_id', field='battery_array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    cells = BlobField()
    flags = IntegerField(null=True, default=0)  # bit 1: clock not synchronised (migration 7)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'battery_cell_readings'
        primary_key = CompositeKey('pack', 'ts')
        without_rowid = True


class FeedSpan(BaseModel):
    """Row of `feed_spans`: one run of rows in the sync feed (migration 13)."""

    seq = IntegerField(primary_key=True)
    seq_from = IntegerField()
    tid = IntegerField()
    device_id = TextField()
    lo = BareField()
    hi = BareField()
    ts = IntegerField()

    class Meta:
        table_name = 'feed_spans'


class SampleDictionary(BaseModel):
    """Row of `sample_dictionaries`: what a device's details are deflated against (migration 13)."""

    dict_id = IntegerField(primary_key=True)
    source = TextField()
    created_ms = IntegerField()
    body = BlobField()

    class Meta:
        table_name = 'sample_dictionaries'


class BatteryCellSample(BaseModel):
    """Row of the view `battery_cell_samples` (migration 13): read-only, decoded from battery_cell_readings."""

    ts = IntegerField()
    battery_cell = ForeignKeyField(BatteryCell, column_name='cell_id', field='cell_id', on_delete='CASCADE',
                                   object_id_name='cell_id')
    battery = ForeignKeyField(Battery, column_name='battery_id', field='battery_id', on_delete='CASCADE')
    pack = ForeignKeyField(BatteryPack, column_name='pack_id', field='pack_id', on_delete='CASCADE')
    battery_array = ForeignKeyField(BatteryArray, column_name='battery_array_id', field='battery_array_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    power = IntegerField()  # the unit's number in the BMS console's `pwr` table (the document's name)
    cell = IntegerField()  # the cell's index within its battery unit, as the document names it
    voltage = FloatField(null=True)
    temperature = FloatField(null=True)
    soc = FloatField(null=True)
    volt_st = TextField(null=True)
    temp_st = TextField(null=True)
    balancing = BooleanField(null=True)
    flags = IntegerField(null=True, default=0)  # bit 1: clock not synchronised (migration 7)

    class Meta:
        table_name = 'battery_cell_samples'
        primary_key = CompositeKey('battery_cell', 'ts')


class MeterSample(BaseModel):
    """Row of `meter_samples`."""

    ts = IntegerField()
    meter = ForeignKeyField(Meter, column_name='meter_id', field='meter_id', on_delete='CASCADE')
    system = ForeignKeyField(System, column_name='system_id', field='system_id', on_delete='CASCADE')
    array = ForeignKeyField(InverterArray, column_name='array_id', field='array_id', on_delete='SET NULL', null=True)
    grid_power_w = IntegerField(null=True)
    grid_voltage_v = FloatField(null=True)
    grid_current_a = FloatField(null=True)
    grid_frequency_hz = FloatField(null=True)
    grid_import_wh = IntegerField(null=True)
    grid_export_wh = IntegerField(null=True)
    energy_kwh = FloatField(null=True)
    power_factor = FloatField(null=True)
    voltage_phase_a = FloatField(null=True)
    voltage_phase_b = FloatField(null=True)
    voltage_phase_c = FloatField(null=True)
    current_phase_a = FloatField(null=True)
    current_phase_b = FloatField(null=True)
    current_phase_c = FloatField(null=True)
    power_phase_a = IntegerField(null=True)
    power_phase_b = IntegerField(null=True)
    power_phase_c = IntegerField(null=True)
    reactive_power_var = FloatField(null=True)
    apparent_power_va = FloatField(null=True)
    details = BareField(null=True)  # JSON text, or a deflated blob (migration 13): read with store.details
    flags = IntegerField(null=True, default=0)  # bit 1: clock not synchronised (migration 7)
    seq = IntegerField(null=True)  # place in the sync feed's order (migration 13)

    class Meta:
        table_name = 'meter_samples'
        primary_key = CompositeKey('meter', 'ts')
        without_rowid = True
