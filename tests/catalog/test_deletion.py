"""What a delete removes, said before it happens; an adapter another device uses is never deleted with a device."""

from __future__ import annotations

from appliance.catalog import adapters, deletion, devices, systems
from appliance.store.models import Adapter, Meter

RTU = {"transport": "tcp", "host": "127.0.0.1"}


def _site(db) -> None:
    systems.create_system("home", "Home", timezone="UTC")
    systems.create_array("roof", "home", "Roof")
    systems.create_battery_array("bank", "home", "Bank")
    adapters.create_adapter("inv_ad", "powdrive", RTU)
    devices.create_inverter("inv1", "roof", "Roof inverter", adapter_id="inv_ad")
    devices.create_battery_pack("p1", "bank", "Pack", batteries=2, cells_per_battery=4)
    adapters.create_adapter("m_ad", "iammeter", RTU)
    devices.create_meter("m1", "home", "Grid meter", adapter_id="m_ad", type="grid", array_id="roof")
    db.execute_sql("INSERT INTO energy_samples (ts, inverter_id, array_id, system_id) VALUES "
                   "(1700000000000, 'inv1', 'roof', 'home')")


def test_preview_of_a_system_lists_every_cascade(db):
    _site(db)
    preview = deletion.preview("system", "home")
    text = "\n".join(preview.removes)
    for part in ("system Home", "1 inverter array: Roof", "1 battery array: Bank", "1 inverter: Roof inverter",
                 "1 battery pack: Pack with 2 units and 8 cells", "1 meter: Grid meter", "inv_ad", "m_ad",
                 "readings, rollups and energy history"):
        assert part in text, part
    assert preview.history_since == 1700000000000
    assert systems.get_system("home"), "a preview deletes nothing"


def test_preview_of_an_array_says_what_stays(db):
    _site(db)
    preview = deletion.preview("array", "roof")
    assert any("meter" in k and "system level" in k for k in preview.keeps)
    assert "1 inverter: Roof inverter" in preview.removes[1]


def test_deleting_a_device_keeps_an_adapter_another_device_uses(db):
    _site(db)
    # A second device on the same adapter (e.g. one RS485 gateway): bind() refuses it, a shared bus allows it.
    Meter.update(adapter="inv_ad").where(Meter.meter_id == "m1").execute()
    preview = deletion.preview("inverter", "inv1")
    assert preview.adapters_removed == () and any("inv_ad stays: meter m1 uses it" in k for k in preview.keeps)
    devices.delete_inverter("inv1")
    kept = Adapter.get_by_id("inv_ad")
    assert (kept.device_type, kept.device_id) == ("meter", "m1"), "the adapter now serves its other user"
    assert devices.get_meter("m1")["adapter_id"] == "inv_ad"


def test_deleting_a_device_deletes_an_adapter_only_it_uses_unless_kept(db):
    _site(db)
    assert deletion.preview("meter", "m1").adapters_removed == ("m_ad",)
    devices.delete_meter("m1", keep_adapters=True)
    kept = Adapter.get_by_id("m_ad")
    assert kept.device_id is None, "kept, and free for another device"
    devices.delete_inverter("inv1")
    assert Adapter.get_or_none(Adapter.adapter_id == "inv_ad") is None


def test_fingerprint_changes_when_the_consequences_do(db):
    _site(db)
    before = deletion.preview("battery_array", "bank").fingerprint()
    devices.create_battery_pack("p2", "bank", "Pack 2")
    assert deletion.preview("battery_array", "bank").fingerprint() != before
