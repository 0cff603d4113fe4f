-- Migration 2: what the appliance adds beside the hierarchy document (see docs/decisions.md):
-- the device registry and its health history, device groups, market data, recovery and
-- other events, settings, and sample columns for the reading vocabulary (READINGS.md).
-- Frozen: never edit a migration that has shipped; add the next one.

-- ============= DEVICE REGISTRY (one row per physical device of any kind) =============
CREATE TABLE device_registry (
    device_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,  -- 'inverter', 'battery_pack', 'meter', 'bess', or a registered device's type
    device_type TEXT,  -- adapter type for catalog devices; 'esp32', 'arduino', ... for registered ones
    name TEXT NOT NULL,
    system_id TEXT,
    catalog_id TEXT,  -- inverter_id, pack_id or meter_id of the catalog row, NULL for registered devices
    hardware_id TEXT UNIQUE,  -- serial number, MAC address or UUID
    lifecycle_state TEXT NOT NULL DEFAULT 'registered'
        CHECK (lifecycle_state IN ('registered', 'configured', 'testing', 'active', 'failed',
                                   'maintenance', 'decommissioned')),
    health_status TEXT NOT NULL DEFAULT 'offline'
        CHECK (health_status IN ('online', 'offline', 'degraded', 'error', 'maintenance')),
    last_seen INTEGER,  -- epoch ms
    response_time_ms INTEGER,
    error_count INTEGER NOT NULL DEFAULT 0,
    firmware_version TEXT,
    ip_address TEXT,
    location TEXT,  -- JSON object
    metadata TEXT NOT NULL DEFAULT '{}',  -- JSON object
    maintenance_reason TEXT,
    maintenance_started_at INTEGER,  -- epoch ms
    maintenance_expected_end INTEGER,  -- epoch ms
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE SET NULL,
    UNIQUE (kind, catalog_id)
);
CREATE INDEX idx_device_registry_system_id ON device_registry(system_id);
CREATE INDEX idx_device_registry_lifecycle ON device_registry(lifecycle_state);

CREATE TABLE device_health (
    device_id TEXT NOT NULL,
    ts INTEGER NOT NULL,  -- epoch ms
    status TEXT NOT NULL CHECK (status IN ('online', 'offline', 'degraded', 'error', 'maintenance')),
    response_time_ms INTEGER,
    error_count INTEGER,
    last_successful_poll INTEGER,  -- epoch ms
    diagnostics TEXT,  -- JSON object
    PRIMARY KEY (device_id, ts),
    FOREIGN KEY (device_id) REFERENCES device_registry(device_id) ON DELETE CASCADE
) WITHOUT ROWID;

-- ============= DEVICE GROUPS =============
CREATE TABLE device_groups (
    group_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    system_id TEXT,  -- the document's `site`; NULL = every system
    group_type TEXT NOT NULL CHECK (group_type IN ('control', 'monitoring', 'analysis')),
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
);

CREATE TABLE device_group_members (
    group_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    role TEXT CHECK (role IN ('primary', 'backup', 'monitor')),
    priority INTEGER,
    PRIMARY KEY (group_id, device_id),
    FOREIGN KEY (group_id) REFERENCES device_groups(group_id) ON DELETE CASCADE,
    FOREIGN KEY (device_id) REFERENCES device_registry(device_id) ON DELETE CASCADE
);

-- ============= MARKET DATA (tariffs, prices, signals) =============
CREATE TABLE market_data_types (
    type_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    unit TEXT
);
INSERT INTO market_data_types (type_id, name, description, unit) VALUES
    (1, 'niv_estimate', 'Net imbalance volume estimate', 'MW'),
    (2, 'wholesale_price', 'Wholesale electricity price', 'currency/MWh'),
    (3, 'imbalance_price', 'System imbalance price', 'currency/MWh'),
    (4, 'external_dispatch', 'Dispatch instruction from an external party', 'kW'),
    (5, 'import_tariff', 'Price paid per kWh imported from the grid', 'currency/kWh'),
    (6, 'export_tariff', 'Price earned per kWh exported to the grid', 'currency/kWh');

CREATE TABLE market_data (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,  -- epoch ms, start of the period the value applies to
    type_id INTEGER NOT NULL,
    system_id TEXT,  -- NULL = applies to every system
    value REAL NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    FOREIGN KEY (type_id) REFERENCES market_data_types(type_id) ON DELETE RESTRICT,
    FOREIGN KEY (system_id) REFERENCES systems(system_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_market_data_unique ON market_data(type_id, IFNULL(system_id, ''), ts);

-- ============= EVENTS AND SETTINGS =============
CREATE TABLE system_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts INTEGER NOT NULL,  -- epoch ms
    kind TEXT NOT NULL,  -- 'recovery', 'config_import', ...
    severity TEXT NOT NULL DEFAULT 'info' CHECK (severity IN ('info', 'warning', 'error')),
    message TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX idx_system_events_ts ON system_events(ts DESC);

CREATE TABLE app_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,  -- JSON
    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- ============= DISCOVERY BOOKKEEPING =============
ALTER TABLE device_discovery ADD COLUMN adapter_type TEXT;
ALTER TABLE device_discovery ADD COLUMN model TEXT;
ALTER TABLE device_discovery ADD COLUMN source TEXT;  -- 'usb', 'ble', 'tcp'
ALTER TABLE device_discovery ADD COLUMN registry_id TEXT REFERENCES device_registry(device_id) ON DELETE SET NULL;
ALTER TABLE device_discovery ADD COLUMN failure_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE device_discovery ADD COLUMN next_retry_at INTEGER;  -- epoch ms
ALTER TABLE device_discovery ADD COLUMN last_seen_at INTEGER;  -- epoch ms

-- ============= SAMPLE COLUMNS FOR THE READING VOCABULARY =============
ALTER TABLE energy_samples ADD COLUMN battery_power_w INTEGER;  -- + = discharge
ALTER TABLE energy_samples ADD COLUMN grid_voltage_v REAL;
ALTER TABLE energy_samples ADD COLUMN grid_frequency_hz REAL;
ALTER TABLE energy_samples ADD COLUMN pv_energy_total_kwh REAL;
ALTER TABLE energy_samples ADD COLUMN load_energy_total_kwh REAL;
ALTER TABLE energy_samples ADD COLUMN battery_charge_total_kwh REAL;
ALTER TABLE energy_samples ADD COLUMN battery_discharge_total_kwh REAL;
ALTER TABLE energy_samples ADD COLUMN details TEXT;  -- JSON: the reading's family details

ALTER TABLE battery_bank_samples ADD COLUMN power_w INTEGER;  -- + = discharge
ALTER TABLE battery_bank_samples ADD COLUMN soh_pct REAL;
ALTER TABLE battery_bank_samples ADD COLUMN cycles INTEGER;
ALTER TABLE battery_bank_samples ADD COLUMN remaining_ah REAL;
ALTER TABLE battery_bank_samples ADD COLUMN full_ah REAL;
ALTER TABLE battery_bank_samples ADD COLUMN cell_min_v REAL;
ALTER TABLE battery_bank_samples ADD COLUMN cell_max_v REAL;
ALTER TABLE battery_bank_samples ADD COLUMN cell_delta_v REAL;
ALTER TABLE battery_bank_samples ADD COLUMN balancing BOOLEAN;
ALTER TABLE battery_bank_samples ADD COLUMN details TEXT;

ALTER TABLE battery_unit_samples ADD COLUMN details TEXT;
ALTER TABLE battery_cell_samples ADD COLUMN balancing BOOLEAN;

ALTER TABLE meter_samples ADD COLUMN reactive_power_var REAL;
ALTER TABLE meter_samples ADD COLUMN apparent_power_va REAL;
ALTER TABLE meter_samples ADD COLUMN details TEXT;

-- Pack limits the dispatcher needs: the SOC below which a battery is never discharged.
ALTER TABLE battery_packs ADD COLUMN soc_reserve_pct REAL;
