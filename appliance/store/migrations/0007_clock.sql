-- Migration 7: samples taken before the clock was synchronised (appliance/acquisition/timekeeping.py).
-- flags bit 1 (value 1): the wall clock was not synchronised (or not sane) when the sample was taken;
-- the rollups leave such rows out until the clock is synchronised and the row is re-stamped and
-- cleared. The higher bits (flags >> 1) number the clock segment of the process that wrote it (a new
-- segment after every measured jump), so a re-stamp moves each segment by its own offset; 0 means
-- unknown (written by an earlier process). NULL (a writer that does not set it) counts as 0.

ALTER TABLE energy_samples ADD COLUMN flags INTEGER DEFAULT 0;
ALTER TABLE array_samples ADD COLUMN flags INTEGER DEFAULT 0;
ALTER TABLE battery_bank_samples ADD COLUMN flags INTEGER DEFAULT 0;
ALTER TABLE battery_unit_samples ADD COLUMN flags INTEGER DEFAULT 0;
ALTER TABLE battery_cell_samples ADD COLUMN flags INTEGER DEFAULT 0;
ALTER TABLE meter_samples ADD COLUMN flags INTEGER DEFAULT 0;

-- Partial indexes: empty while the clock is good, so they cost the writer nothing, and they let the
-- re-stamp find the flagged rows of 90 days of samples without a scan.
CREATE INDEX idx_energy_samples_flagged ON energy_samples(flags) WHERE flags <> 0;
CREATE INDEX idx_array_samples_flagged ON array_samples(flags) WHERE flags <> 0;
CREATE INDEX idx_battery_bank_samples_flagged ON battery_bank_samples(flags) WHERE flags <> 0;
CREATE INDEX idx_battery_unit_samples_flagged ON battery_unit_samples(flags) WHERE flags <> 0;
CREATE INDEX idx_battery_cell_samples_flagged ON battery_cell_samples(flags) WHERE flags <> 0;
CREATE INDEX idx_meter_samples_flagged ON meter_samples(flags) WHERE flags <> 0;
