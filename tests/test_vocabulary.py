"""The vocabulary: every reading key as a label, a unit and a format; the one date-time format."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

from appliance import timefmt, vocabulary

#: The shared design folder sits beside the checkout (a worktree may be one level deeper).
READINGS = next((p / "shared" / "READINGS.md" for p in Path(__file__).resolve().parents
                 if (p / "shared" / "READINGS.md").exists()), Path("shared/READINGS.md"))


def test_every_key_of_readings_md_has_a_term():
    if not READINGS.exists():
        import pytest

        pytest.skip("READINGS.md is not beside the checkout")
    keys = set(re.findall(r"`([a-z][a-z0-9_]*_(?:w|v|a|hz|c|pct|ah|kwh|var|va))`", READINGS.read_text()))
    keys |= {"cycles", "balancing", "charge_enabled", "discharge_enabled", "alarms", "batteries", "state",
             "work_mode", "serial_number", "model", "power_factor", "status"}
    missing = sorted(k for k in keys if k not in vocabulary.TERMS)
    assert not missing, missing


def test_values_in_words_with_units():
    assert vocabulary.format_value("voltage_v", 52.43, "battery") == "52.4 V"
    assert vocabulary.label("voltage_v", "battery") == "Battery voltage"
    assert vocabulary.format_value("soc_pct", 87.0) == "87 %"
    assert vocabulary.format_value("grid_power_w", -2299.0) == "exporting 2.3 kW"
    assert vocabulary.format_value("grid_power_w", 850.0) == "importing 850 W"
    assert vocabulary.format_value("power_w", -1100.0, "battery") == "charging 1.1 kW"
    assert vocabulary.format_value("battery_power_w", 0.4) == "idle"
    assert vocabulary.format_value("balancing", False) == "not balancing"
    assert vocabulary.format_value("alarms", []) == "no alarms"
    assert vocabulary.format_value("alarms", ["cell_overvoltage"]) == "cell overvoltage"
    assert vocabulary.format_value("pv_powers_w", [1200, 900]) == "1\u202f200 · 900 W"
    assert vocabulary.format_value("soc_pct", None) == "—"
    assert vocabulary.number(-0.04, 1) == "0.0"
    assert vocabulary.format_value("cell_delta_v", 0.012) == "12 mV"


def test_unknown_keys_are_labelled_from_their_suffix():
    assert vocabulary.label_with_unit("dc_transformer_temp_c") == "DC transformer temperature (°C)"
    assert vocabulary.format_value("heater_power_w", 1500) == "1.5 kW"
    assert vocabulary.label("frame_variant") == "Frame variant"


def test_one_datetime_format_in_the_systems_zone():
    berlin = ZoneInfo("Europe/Berlin")
    assert timefmt.datetime_text(1748728800000, berlin) == "2025-06-01 00:00"
    assert timefmt.datetime_text("2025-06-01 10:00:00", berlin) == "2025-06-01 12:00", "SQLite UTC text"
    assert timefmt.datetime_text(None, berlin) == "—"
    assert timefmt.age_text(1000, 61_000) == "60 s ago" and timefmt.age_text(0, 3 * 3600_000) == "3 h ago"
