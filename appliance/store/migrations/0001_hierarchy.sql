-- Migration 1: the solar hierarchy document's schema (sections 4.1 to 4.4), as printed,
-- with the deliberate differences of docs/decisions.md:
--   * sample timestamps `ts` are INTEGER epoch milliseconds (UTC), not TEXT;
--   * sample tables are keyed (device, ts) WITHOUT ROWID, so a device's range read is one index walk;
--   * hourly tables: `date` is the system's local date, `hour_start` the epoch ms of the local hour's start;
--   * adapter_base carries the `version` column that section 2.1 lists;
--   * device_discovery and the legacy battery_pack_attachments, named but not printed, are defined here.
-- Frozen: never edit a migration that has shipped; add the next one.

CREATE TABLE systems (
    system_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    timezone TEXT DEFAULT 'Asia/Karachi',
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE arrays (
    array_id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
);

CREATE TABLE inverters (
    inverter_id TEXT PRIMARY KEY,
    array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    adapter_id TEXT,  -- Foreign key to adapters table
    name TEXT NOT NULL,
    model TEXT,
    serial_number TEXT,
    vendor TEXT,  -- 'powdrive', 'senergy', etc. (can be derived from adapter_type)
    phase_type TEXT,  -- 'single', 'three', 'auto'
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE,
    FOREIGN KEY (adapter_id) REFERENCES adapters(adapter_id) ON DELETE SET NULL
);

CREATE TABLE battery_arrays (
    battery_array_id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
);

CREATE TABLE battery_packs (
    pack_id TEXT PRIMARY KEY,
    battery_array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    name TEXT NOT NULL,
    chemistry TEXT,  -- 'LFP', 'NMC', etc.
    nominal_kwh REAL,
    max_charge_kw REAL,
    max_discharge_kw REAL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
);

CREATE TABLE battery_pack_adapters (
    pack_id TEXT NOT NULL,
    adapter_id TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 1,  -- Lower number = higher priority
    enabled BOOLEAN DEFAULT 1,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (pack_id, adapter_id),
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (adapter_id) REFERENCES adapters(adapter_id) ON DELETE CASCADE
);

CREATE TABLE batteries (
    battery_id TEXT PRIMARY KEY,
    pack_id TEXT NOT NULL,
    battery_array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    battery_index INTEGER NOT NULL,  -- Index within pack (0-based)
    serial_number TEXT,
    model TEXT,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE,
    UNIQUE(pack_id, battery_index)
);

CREATE TABLE battery_cells (
    cell_id TEXT PRIMARY KEY,
    battery_id TEXT NOT NULL,
    pack_id TEXT NOT NULL,
    battery_array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    cell_index INTEGER NOT NULL,  -- Index within battery (0-based)
    nominal_voltage REAL,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (battery_id) REFERENCES batteries(battery_id) ON DELETE CASCADE,
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE,
    UNIQUE(battery_id, cell_index)
);

CREATE TABLE battery_array_attachments (
    battery_array_id TEXT NOT NULL,
    inverter_array_id TEXT NOT NULL,
    attached_since TEXT NOT NULL,
    detached_at TEXT,  -- NULL = active attachment
    PRIMARY KEY (battery_array_id, attached_since),
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (inverter_array_id) REFERENCES arrays(array_id) ON DELETE CASCADE
);

CREATE TABLE meters (
    meter_id TEXT PRIMARY KEY,
    system_id TEXT NOT NULL,
    array_id TEXT,  -- NULL = system-level meter, otherwise array-level
    adapter_id TEXT,  -- Foreign key to adapters table
    name TEXT NOT NULL,
    model TEXT,
    type TEXT,  -- 'grid', 'consumption', etc.
    attachment_target TEXT,  -- 'system' or array_id
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE SET NULL,
    FOREIGN KEY (adapter_id) REFERENCES adapters(adapter_id) ON DELETE SET NULL
);

CREATE TABLE adapter_base (
    adapter_type TEXT PRIMARY KEY,  -- e.g., 'powdrive', 'senergy', 'pytes', 'jkbms_tcpip', 'jkbms_ble', 'iammeter'
    device_category TEXT NOT NULL,  -- 'inverter', 'battery', 'meter'
    name TEXT NOT NULL,  -- Human-readable name, e.g., 'Powdrive Inverter Adapter'
    description TEXT,
    config_schema TEXT NOT NULL,  -- JSON schema defining required/optional configuration fields
    supported_transports TEXT,  -- JSON array of supported transports, e.g., '["rtu", "tcp"]'
    default_config TEXT,  -- JSON object with default configuration values
    version TEXT,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE adapters (
    adapter_id TEXT PRIMARY KEY,  -- Unique ID for this adapter instance
    adapter_type TEXT NOT NULL,  -- References adapter_base.adapter_type
    device_category TEXT NOT NULL,  -- 'inverter', 'battery', 'meter'
    name TEXT,  -- Optional name for this adapter instance
    config_json TEXT NOT NULL,  -- JSON object with complete adapter configuration
    device_id TEXT,  -- ID of the device this adapter is attached to (inverter_id, pack_id, or meter_id)
    device_type TEXT,  -- 'inverter', 'battery_pack', 'meter'
    priority INTEGER DEFAULT 1,  -- For failover adapters (lower = higher priority)
    enabled BOOLEAN DEFAULT 1,  -- Whether this adapter is currently enabled
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (adapter_type) REFERENCES adapter_base(adapter_type) ON DELETE RESTRICT
);

CREATE TABLE energy_samples (
    ts INTEGER NOT NULL,
    inverter_id TEXT NOT NULL,
    array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    pv_power_w INTEGER,
    load_power_w INTEGER,
    grid_power_w INTEGER,
    batt_voltage_v REAL,
    batt_current_a REAL,
    soc REAL,
    battery_soc REAL,
    battery_voltage_v REAL,
    battery_current_a REAL,
    inverter_mode INTEGER,
    inverter_temp_c REAL,
    grid_import_wh REAL,
    grid_export_wh REAL,
    PRIMARY KEY (inverter_id, ts),
    FOREIGN KEY (inverter_id) REFERENCES inverters(inverter_id) ON DELETE CASCADE,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE array_samples (
    ts INTEGER NOT NULL,
    array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    pv_power_w INTEGER,
    load_power_w INTEGER,
    grid_power_w INTEGER,
    batt_power_w INTEGER,
    batt_soc_pct REAL,
    batt_voltage_v REAL,
    batt_current_a REAL,
    PRIMARY KEY (array_id, ts),
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE battery_bank_samples (
    ts INTEGER NOT NULL,
    pack_id TEXT NOT NULL,
    battery_array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    voltage REAL,
    current REAL,
    temperature REAL,
    soc REAL,
    batteries_count INTEGER,
    cells_per_battery INTEGER,
    PRIMARY KEY (pack_id, ts),
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE battery_unit_samples (
    ts INTEGER NOT NULL,
    battery_id TEXT NOT NULL,
    pack_id TEXT NOT NULL,
    battery_array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    power INTEGER NOT NULL,
    voltage REAL,
    current REAL,
    temperature REAL,
    soc REAL,
    basic_st TEXT,
    volt_st TEXT,
    current_st TEXT,
    temp_st TEXT,
    soh_st TEXT,
    coul_st TEXT,
    heater_st TEXT,
    bat_events INTEGER,
    power_events INTEGER,
    sys_events INTEGER,
    PRIMARY KEY (battery_id, ts),
    FOREIGN KEY (battery_id) REFERENCES batteries(battery_id) ON DELETE CASCADE,
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE battery_cell_samples (
    ts INTEGER NOT NULL,
    cell_id TEXT NOT NULL,
    battery_id TEXT NOT NULL,
    pack_id TEXT NOT NULL,
    battery_array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    power INTEGER NOT NULL,
    cell INTEGER NOT NULL,  -- Cell index within battery
    voltage REAL,
    temperature REAL,
    soc REAL,
    volt_st TEXT,
    temp_st TEXT,
    PRIMARY KEY (cell_id, ts),
    FOREIGN KEY (cell_id) REFERENCES battery_cells(cell_id) ON DELETE CASCADE,
    FOREIGN KEY (battery_id) REFERENCES batteries(battery_id) ON DELETE CASCADE,
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE meter_samples (
    ts INTEGER NOT NULL,
    meter_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    array_id TEXT,  -- NULL for system-level meters
    grid_power_w INTEGER,
    grid_voltage_v REAL,
    grid_current_a REAL,
    grid_frequency_hz REAL,
    grid_import_wh INTEGER,
    grid_export_wh INTEGER,
    energy_kwh REAL,
    power_factor REAL,
    voltage_phase_a REAL,
    voltage_phase_b REAL,
    voltage_phase_c REAL,
    current_phase_a REAL,
    current_phase_b REAL,
    current_phase_c REAL,
    power_phase_a INTEGER,
    power_phase_b INTEGER,
    power_phase_c INTEGER,
    PRIMARY KEY (meter_id, ts),
    FOREIGN KEY (meter_id) REFERENCES meters(meter_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE SET NULL
) WITHOUT ROWID;

CREATE TABLE hourly_energy (
    inverter_id TEXT NOT NULL,
    array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    date TEXT NOT NULL,
    hour_start INTEGER NOT NULL,
    solar_energy_kwh REAL,
    load_energy_kwh REAL,
    battery_charge_energy_kwh REAL,
    battery_discharge_energy_kwh REAL,
    grid_import_energy_kwh REAL,
    grid_export_energy_kwh REAL,
    avg_solar_power_w REAL,
    avg_load_power_w REAL,
    avg_battery_power_w REAL,
    avg_grid_power_w REAL,
    sample_count INTEGER,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (inverter_id, date, hour_start),
    FOREIGN KEY (inverter_id) REFERENCES inverters(inverter_id) ON DELETE CASCADE,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
);

CREATE TABLE array_hourly_energy (
    array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    date TEXT NOT NULL,
    hour_start INTEGER NOT NULL,
    solar_energy_kwh REAL,
    load_energy_kwh REAL,
    battery_charge_energy_kwh REAL,
    battery_discharge_energy_kwh REAL,
    grid_import_energy_kwh REAL,
    grid_export_energy_kwh REAL,
    avg_solar_power_w REAL,
    avg_load_power_w REAL,
    avg_battery_power_w REAL,
    avg_grid_power_w REAL,
    sample_count INTEGER,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (array_id, date, hour_start),
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
);

CREATE TABLE system_hourly_energy (
    system_id TEXT NOT NULL,
    date TEXT NOT NULL,
    hour_start INTEGER NOT NULL,
    solar_energy_kwh REAL,
    load_energy_kwh REAL,
    battery_charge_energy_kwh REAL,
    battery_discharge_energy_kwh REAL,
    grid_import_energy_kwh REAL,
    grid_export_energy_kwh REAL,
    avg_solar_power_w REAL,
    avg_load_power_w REAL,
    avg_battery_power_w REAL,
    avg_grid_power_w REAL,
    sample_count INTEGER,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (system_id, date, hour_start),
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
);

CREATE TABLE daily_summary (
    date TEXT NOT NULL,
    inverter_id TEXT NOT NULL,
    array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    day_of_year INTEGER NOT NULL,
    year INTEGER NOT NULL,
    pv_energy_kwh REAL,
    pv_max_power_w REAL,
    pv_avg_power_w REAL,
    pv_peak_hour INTEGER,
    load_energy_kwh REAL,
    load_max_power_w REAL,
    load_avg_power_w REAL,
    load_peak_hour INTEGER,
    battery_min_soc_pct REAL,
    battery_max_soc_pct REAL,
    battery_avg_soc_pct REAL,
    battery_cycles REAL,
    grid_energy_imported_kwh REAL,
    grid_energy_exported_kwh REAL,
    grid_max_import_w REAL,
    grid_max_export_w REAL,
    weather_factor REAL,
    sample_count INTEGER,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (date, inverter_id),
    FOREIGN KEY (inverter_id) REFERENCES inverters(inverter_id) ON DELETE CASCADE,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
);

CREATE TABLE array_daily_summary (
    date TEXT NOT NULL,
    array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    day_of_year INTEGER NOT NULL,
    year INTEGER NOT NULL,
    pv_energy_kwh REAL,
    pv_max_power_w REAL,
    pv_avg_power_w REAL,
    pv_peak_hour INTEGER,
    load_energy_kwh REAL,
    load_max_power_w REAL,
    load_avg_power_w REAL,
    load_peak_hour INTEGER,
    battery_min_soc_pct REAL,
    battery_max_soc_pct REAL,
    battery_avg_soc_pct REAL,
    battery_cycles REAL,
    grid_energy_imported_kwh REAL,
    grid_energy_exported_kwh REAL,
    grid_max_import_w REAL,
    grid_max_export_w REAL,
    weather_factor REAL,
    sample_count INTEGER,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (date, array_id),
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
);

CREATE TABLE system_daily_summary (
    date TEXT NOT NULL,
    system_id TEXT NOT NULL,
    day_of_year INTEGER NOT NULL,
    year INTEGER NOT NULL,
    pv_energy_kwh REAL,
    pv_max_power_w REAL,
    pv_avg_power_w REAL,
    pv_peak_hour INTEGER,
    load_energy_kwh REAL,
    load_max_power_w REAL,
    load_avg_power_w REAL,
    load_peak_hour INTEGER,
    battery_min_soc_pct REAL,
    battery_max_soc_pct REAL,
    battery_avg_soc_pct REAL,
    battery_cycles REAL,
    grid_energy_imported_kwh REAL,
    grid_energy_exported_kwh REAL,
    grid_max_import_w REAL,
    grid_max_export_w REAL,
    weather_factor REAL,
    sample_count INTEGER,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (date, system_id),
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
);

CREATE TABLE meter_hourly_energy (
    meter_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    array_id TEXT,  -- NULL for system-level meters
    date TEXT NOT NULL,
    hour_start INTEGER NOT NULL,
    import_energy_kwh REAL DEFAULT 0.0,
    export_energy_kwh REAL DEFAULT 0.0,
    avg_power_w REAL,
    sample_count INTEGER DEFAULT 0,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (meter_id, date, hour_start),
    FOREIGN KEY (meter_id) REFERENCES meters(meter_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE SET NULL
);

CREATE TABLE meter_daily (
    day TEXT NOT NULL,
    meter_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    array_id TEXT,  -- NULL for system-level meters
    import_energy_kwh REAL NOT NULL DEFAULT 0,
    export_energy_kwh REAL NOT NULL DEFAULT 0,
    net_energy_kwh REAL NOT NULL DEFAULT 0,
    max_import_power_w INTEGER,
    max_export_power_w INTEGER,
    avg_voltage_v REAL,
    avg_current_a REAL,
    avg_frequency_hz REAL,
    sample_count INTEGER DEFAULT 0,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY(day, meter_id),
    FOREIGN KEY (meter_id) REFERENCES meters(meter_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE SET NULL
);

CREATE TABLE battery_bank_hourly (
    pack_id TEXT NOT NULL,
    battery_array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    date TEXT NOT NULL,
    hour_start INTEGER NOT NULL,
    charge_energy_kwh REAL DEFAULT 0.0,
    discharge_energy_kwh REAL DEFAULT 0.0,
    net_energy_kwh REAL DEFAULT 0.0,
    avg_power_w REAL,
    avg_soc_pct REAL,
    min_soc_pct REAL,
    max_soc_pct REAL,
    avg_voltage_v REAL,
    avg_current_a REAL,
    avg_temperature_c REAL,
    sample_count INTEGER DEFAULT 0,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (pack_id, date, hour_start),
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
);

CREATE TABLE battery_bank_daily (
    date TEXT NOT NULL,
    pack_id TEXT NOT NULL,
    battery_array_id TEXT NOT NULL,
    system_id TEXT NOT NULL,
    day_of_year INTEGER NOT NULL,
    year INTEGER NOT NULL,
    charge_energy_kwh REAL DEFAULT 0.0,
    discharge_energy_kwh REAL DEFAULT 0.0,
    net_energy_kwh REAL DEFAULT 0.0,
    min_soc_pct REAL,
    max_soc_pct REAL,
    avg_soc_pct REAL,
    min_voltage_v REAL,
    max_voltage_v REAL,
    avg_voltage_v REAL,
    min_temperature_c REAL,
    max_temperature_c REAL,
    avg_temperature_c REAL,
    min_current_a REAL,
    max_current_a REAL,
    avg_current_a REAL,
    cycles REAL,
    sample_count INTEGER DEFAULT 0,
    created_at TEXT DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (date, pack_id),
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (battery_array_id) REFERENCES battery_arrays(battery_array_id) ON DELETE CASCADE,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
);

-- ============= DEVICE DISCOVERY (section 2.1 fields + the example query's discovery_timestamp) =============
CREATE TABLE device_discovery (
    device_id TEXT PRIMARY KEY,
    device_type TEXT,  -- 'inverter', 'battery', 'meter', 'bess'
    serial_number TEXT,
    port TEXT,  -- serial port, host:port, or BLE address
    adapter_config TEXT,  -- JSON adapter config that identified the device
    status TEXT NOT NULL DEFAULT 'active',  -- 'active', 'inactive', 'disabled'
    is_auto_discovered BOOLEAN NOT NULL DEFAULT 1,
    discovery_timestamp TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- ============= LEGACY PACK ATTACHMENTS (pack -> inverter array; kept for compatibility) =============
CREATE TABLE battery_pack_attachments (
    pack_id TEXT NOT NULL,
    array_id TEXT NOT NULL,
    attached_since TEXT NOT NULL,
    detached_at TEXT,  -- NULL = active attachment
    PRIMARY KEY (pack_id, attached_since),
    FOREIGN KEY (pack_id) REFERENCES battery_packs(pack_id) ON DELETE CASCADE,
    FOREIGN KEY (array_id) REFERENCES arrays(array_id) ON DELETE CASCADE
);

CREATE INDEX idx_device_discovery_serial ON device_discovery(serial_number);
CREATE INDEX idx_battery_pack_attachments_array_id ON battery_pack_attachments(array_id);

CREATE INDEX idx_arrays_system_id ON arrays(system_id);
CREATE INDEX idx_inverters_system_id ON inverters(system_id);
CREATE INDEX idx_inverters_array_id ON inverters(array_id);
CREATE INDEX idx_battery_arrays_system_id ON battery_arrays(system_id);
CREATE INDEX idx_battery_packs_system_id ON battery_packs(system_id);
CREATE INDEX idx_battery_packs_battery_array_id ON battery_packs(battery_array_id);
CREATE INDEX idx_batteries_system_id ON batteries(system_id);
CREATE INDEX idx_batteries_pack_id ON batteries(pack_id);
CREATE INDEX idx_battery_cells_system_id ON battery_cells(system_id);
CREATE INDEX idx_battery_cells_battery_id ON battery_cells(battery_id);
CREATE INDEX idx_meters_system_id ON meters(system_id);
CREATE INDEX idx_meters_array_id ON meters(array_id);
CREATE INDEX idx_meters_adapter_id ON meters(adapter_id);
CREATE INDEX idx_inverters_adapter_id ON inverters(adapter_id);
CREATE INDEX idx_adapters_adapter_type ON adapters(adapter_type);
CREATE INDEX idx_adapters_device_id ON adapters(device_id, device_type);
CREATE INDEX idx_adapters_device_category ON adapters(device_category);
CREATE INDEX idx_battery_pack_adapters_pack_id ON battery_pack_adapters(pack_id);
CREATE INDEX idx_battery_pack_adapters_adapter_id ON battery_pack_adapters(adapter_id);
CREATE INDEX idx_energy_samples_system_id ON energy_samples(system_id);
CREATE INDEX idx_energy_samples_array_id ON energy_samples(array_id);
CREATE INDEX idx_energy_samples_ts ON energy_samples(ts DESC);
CREATE INDEX idx_array_samples_system_id ON array_samples(system_id);
CREATE INDEX idx_array_samples_ts ON array_samples(ts DESC);
CREATE INDEX idx_battery_bank_samples_system_id ON battery_bank_samples(system_id);
CREATE INDEX idx_battery_bank_samples_ts ON battery_bank_samples(ts DESC);
CREATE INDEX idx_battery_unit_samples_system_id ON battery_unit_samples(system_id);
CREATE INDEX idx_battery_unit_samples_ts ON battery_unit_samples(ts DESC);
CREATE INDEX idx_battery_cell_samples_system_id ON battery_cell_samples(system_id);
CREATE INDEX idx_battery_cell_samples_ts ON battery_cell_samples(ts DESC);
CREATE INDEX idx_meter_samples_system_id ON meter_samples(system_id);
CREATE INDEX idx_meter_samples_ts ON meter_samples(ts DESC);
CREATE INDEX idx_hourly_energy_system_id ON hourly_energy(system_id);
CREATE INDEX idx_hourly_energy_array_id ON hourly_energy(array_id);
CREATE INDEX idx_hourly_energy_date ON hourly_energy(date DESC);
CREATE INDEX idx_array_hourly_energy_system_id ON array_hourly_energy(system_id);
CREATE INDEX idx_array_hourly_energy_date ON array_hourly_energy(date DESC);
CREATE INDEX idx_system_hourly_energy_date ON system_hourly_energy(date DESC);
CREATE INDEX idx_daily_summary_system_id ON daily_summary(system_id);
CREATE INDEX idx_daily_summary_array_id ON daily_summary(array_id);
CREATE INDEX idx_daily_summary_date ON daily_summary(date DESC);
CREATE INDEX idx_array_daily_summary_system_id ON array_daily_summary(system_id);
CREATE INDEX idx_array_daily_summary_date ON array_daily_summary(date DESC);
CREATE INDEX idx_system_daily_summary_date ON system_daily_summary(date DESC);
CREATE INDEX idx_battery_bank_hourly_pack_id ON battery_bank_hourly(pack_id);
CREATE INDEX idx_battery_bank_hourly_system_id ON battery_bank_hourly(system_id);
CREATE INDEX idx_battery_bank_hourly_date ON battery_bank_hourly(date DESC);
CREATE INDEX idx_battery_bank_daily_pack_id ON battery_bank_daily(pack_id);
CREATE INDEX idx_battery_bank_daily_system_id ON battery_bank_daily(system_id);
CREATE INDEX idx_battery_bank_daily_date ON battery_bank_daily(date DESC);
