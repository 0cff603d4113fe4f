"""The default structure of section 6.5: created once, exactly, and never over a user's own."""

from __future__ import annotations

from appliance.catalog import systems
from appliance.catalog.defaults import ensure_defaults
from tests.conftest import table_rows


def test_defaults_are_the_documents_in_the_machines_own_zone_and_currency(db, monkeypatch):
    # Issue 10: not Asia/Karachi and PKR whatever the machine, but the machine's zone and its currency.
    monkeypatch.setattr("appliance.catalog.defaults.machine_defaults", lambda: ("Europe/Oslo", "NOK"))
    assert ensure_defaults() is True
    system = systems.get_system("system")
    assert (system["name"], system["description"], system["timezone"], system["currency"]) == (
        "My Solar System", "Auto-created default system", "Europe/Oslo", "NOK")
    assert systems.get_array("array1")["name"] == "Default Inverter Array"
    assert systems.get_battery_array("battery_array1")["name"] == "Default Battery Array"
    assert systems.active_attachment("battery_array1")["inverter_array_id"] == "array1"


def test_defaults_are_idempotent(db):
    ensure_defaults()
    before = [table_rows(t) for t in ("systems", "arrays", "battery_arrays", "battery_array_attachments")]
    assert ensure_defaults() is False
    assert [table_rows(t) for t in ("systems", "arrays", "battery_arrays", "battery_array_attachments")] == before


def test_defaults_never_land_on_a_users_configuration(db):
    systems.create_system("cabin", "Cabin", timezone="Europe/Oslo")
    assert ensure_defaults() is False
    assert [s["system_id"] for s in systems.list_systems()] == ["cabin"]
    assert table_rows("arrays") == []
