-- Migration 8: market data on the bill (appliance/energy/market.py, docs/decisions.md "Market data").
-- A system's currency, and per daily summary of an array or a system what its grid exchange cost or
-- earned at the stored tariffs (market_data types 5 import_tariff and 6 export_tariff, in the system's
-- currency per kWh), and the saving against the same home without PV and battery: all of its load
-- bought at the import tariff, minus (import cost - export revenue). NULL while a tariff the day needs
-- is unknown. The default currency matches the default time zone of migration 1 (Asia/Karachi).

ALTER TABLE systems ADD COLUMN currency TEXT DEFAULT 'PKR';

ALTER TABLE array_daily_summary ADD COLUMN import_cost REAL;
ALTER TABLE array_daily_summary ADD COLUMN export_revenue REAL;
ALTER TABLE array_daily_summary ADD COLUMN saving REAL;
ALTER TABLE array_daily_summary ADD COLUMN currency TEXT;

ALTER TABLE system_daily_summary ADD COLUMN import_cost REAL;
ALTER TABLE system_daily_summary ADD COLUMN export_revenue REAL;
ALTER TABLE system_daily_summary ADD COLUMN saving REAL;
ALTER TABLE system_daily_summary ADD COLUMN currency TEXT;

-- The sync feed needs no new table entry or trigger: no table is added; the triggers of migration 6 on
-- systems, array_daily_summary, system_daily_summary and market_data fire on every INSERT and UPDATE,
-- whatever the columns; the feed reads rows with SELECT *, so new columns travel with their rows. The
-- daily rows get their costs by UPDATE (appliance/energy/market.py), which feeds them again. Systems are
-- announced once more here, so a headend learns the currency the ALTER above gave them.
DELETE FROM sync_feed WHERE tid = 25 AND key IN (SELECT json_array(system_id) FROM systems);
INSERT INTO sync_feed (tid, key, op, ts)
SELECT 25, json_array(system_id), 'upsert', CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER)
FROM systems ORDER BY system_id;
