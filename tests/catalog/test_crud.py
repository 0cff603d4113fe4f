"""Create, read, update and delete every catalog entity, with each validation error named."""

from __future__ import annotations

import peewee
import pytest

from appliance.catalog import adapters, devices, registry, systems
from appliance.errors import ConflictError, NotFoundError, ValidationError
from tests.conftest import table_rows

RTU = {"transport": "rtu", "serial_port": "/dev/ttyUSB0"}


@pytest.fixture
def home(db):
    """A system with one inverter array and one battery array."""
    systems.create_system("home", "Home", timezone="Europe/Berlin")
    systems.create_array("roof", "home", "Roof")
    systems.create_battery_array("bank", "home", "Bank")
    return "home"


def test_system_crud(db):
    created = systems.create_system("s1", "  House  ", description="main", timezone="Europe/Berlin")
    assert created["name"] == "House" and created["timezone"] == "Europe/Berlin"
    assert systems.update_system("s1", name="Villa", timezone="UTC")["timezone"] == "UTC"
    assert created["currency"] == "EUR" and systems.update_system("s1", currency="EUR")["currency"] == "EUR"
    assert [s["system_id"] for s in systems.list_systems()] == ["s1"]
    systems.delete_system("s1")
    with pytest.raises(NotFoundError):
        systems.get_system("s1")


@pytest.mark.parametrize("call, field", [
    (lambda: systems.create_system("s1", "", timezone="UTC"), "name"),
    (lambda: systems.create_system("s1", "X", timezone="Mars/Olympus"), "timezone"),
    (lambda: systems.create_system("bad id!", "X"), "system_id"),
    (lambda: systems.create_system("s1", "X", currency="euro"), "currency"),
    (lambda: systems.create_array("a1", "nowhere", "A"), "system_id"),
    (lambda: systems.create_battery_array("b1", "nowhere", "B"), "system_id"),
])
def test_validation_errors_name_the_field(db, call, field):
    with pytest.raises(ValidationError) as err:
        call()
    assert err.value.field == field


def test_duplicate_ids_conflict(home):
    with pytest.raises(ConflictError) as err:
        systems.create_system("home", "Again")
    assert err.value.field == "system_id"
    with pytest.raises(ConflictError):
        systems.create_array("roof", "home", "Again")


def test_unknown_timezone_update_keeps_the_old_value(home):
    with pytest.raises(ValidationError):
        systems.update_system("home", timezone="Nowhere/Land")
    assert systems.get_system("home")["timezone"] == "Europe/Berlin"


def test_inverter_crud_takes_its_system_from_the_array(home):
    adapters.create_adapter("inv1_ad", "powdrive", RTU)
    inverter = devices.create_inverter("inv1", "roof", "Inverter", serial_number="SN1", phase_type="three",
                                       adapter_id="inv1_ad")
    assert inverter["system_id"] == "home" and inverter["adapter_id"] == "inv1_ad"
    assert adapters.get_adapter("inv1_ad")["device_id"] == "inv1"
    device = registry.get_device("inverter:inv1")
    assert device["hardware_id"] == "SN1" and device["lifecycle_state"] == "configured"
    assert device["device_type"] == "powdrive"
    systems.create_array("garage", "home", "Garage")
    assert devices.update_inverter("inv1", array_id="garage", name="Renamed")["array_id"] == "garage"
    assert registry.get_device("inverter:inv1")["name"] == "Renamed"
    devices.delete_inverter("inv1")
    assert devices.list_inverters() == []
    with pytest.raises(NotFoundError):
        registry.get_device("inverter:inv1")
    with pytest.raises(NotFoundError):
        adapters.get_adapter("inv1_ad")


def test_inverter_validation(home):
    with pytest.raises(ValidationError) as err:
        devices.create_inverter("inv1", "nope", "Inverter")
    assert err.value.field == "array_id"
    with pytest.raises(ValidationError) as err:
        devices.create_inverter("inv1", "roof", "Inverter", phase_type="four")
    assert err.value.field == "phase_type"
    with pytest.raises(ValidationError) as err:
        devices.create_inverter("inv1", "roof", "Inverter", adapter_id="missing")
    assert err.value.field == "adapter_id"
    assert devices.list_inverters() == []


def test_adapter_category_must_fit_the_device(home):
    adapters.create_adapter("meter_ad", "iammeter", {"transport": "tcp", "host": "127.0.0.1"})
    with pytest.raises(ValidationError, match="meter adapter"):
        devices.create_inverter("inv1", "roof", "Inverter", adapter_id="meter_ad")


def test_serial_numbers_are_unique_across_devices(home):
    devices.create_inverter("inv1", "roof", "One", serial_number="SAME")
    with pytest.raises(ConflictError) as err:
        devices.create_inverter("inv2", "roof", "Two", serial_number="SAME")
    assert err.value.field == "serial_number"
    assert [i["inverter_id"] for i in devices.list_inverters()] == ["inv1"]


@pytest.mark.parametrize("config, field", [
    ({"transport": "rtu"}, "config.serial_port"),
    ({"transport": "tcp"}, "config.host"),
    ({"transport": "rtu", "serial_port": "/dev/ttyUSB0", "baudrate": 12345}, "config.baudrate"),
    ({"transport": "rtu", "serial_port": "/dev/ttyUSB0", "unit_id": 300}, "config.unit_id"),
    ({"transport": "rtu", "serial_port": "/dev/ttyUSB0", "colour": "red"}, "config.colour"),
    ({"transport": "carrier-pigeon"}, "config.transport"),
    ({"type": "senergy", "transport": "tcp", "host": "x"}, "config.type"),
])
def test_adapter_config_is_checked_against_its_schema(db, config, field):
    with pytest.raises(ValidationError) as err:
        adapters.create_adapter("a1", "powdrive", config)
    assert err.value.field == field
    assert field.split(".")[-1] in err.value.message
    assert adapters.list_adapters() == []


def test_unknown_adapter_type(db):
    with pytest.raises(ValidationError) as err:
        adapters.create_adapter("a1", "toaster", {})
    assert err.value.field == "adapter_type"


def test_adapter_update_revalidates(db):
    adapters.create_adapter("a1", "pytes", {"serial_port": "/dev/ttyUSB1"})
    with pytest.raises(ValidationError):
        adapters.update_adapter("a1", config={"serial_port": "/dev/ttyUSB1", "batteries": 99})
    assert adapters.get_adapter("a1")["config_json"]["serial_port"] == "/dev/ttyUSB1"
    updated = adapters.update_adapter("a1", config={"serial_port": "/dev/ttyUSB2", "batteries": 3}, enabled=False)
    assert updated["config_json"]["batteries"] == 3 and not updated["enabled"]


def test_battery_pack_layout_and_failover_adapters(home):
    pack = devices.create_battery_pack("p1", "bank", "Pack", batteries=2, cells_per_battery=16, chemistry="LFP",
                                       nominal_kwh=10.0, max_charge_kw=5, max_discharge_kw=5)
    assert pack["batteries"] == 2 and pack["cells_per_battery"] == 16
    assert [b["battery_index"] for b in devices.list_batteries("p1")] == [0, 1]
    assert len(devices.list_cells("p1_b0")) == 16
    adapters.create_adapter("tcp", "jkbms_tcpip", {"host": "127.0.0.1"})
    adapters.create_adapter("ble", "jkbms_ble", {"bt_addresses": ["C8:47:80:1A:1F:04"]})
    adapters.link_pack_adapter("p1", "tcp")
    adapters.link_pack_adapter("p1", "ble")
    assert [a["adapter_id"] for a in adapters.pack_adapters("p1")] == ["tcp", "ble"]
    adapters.reorder_pack_adapters("p1", ["ble", "tcp"])
    assert [(a["adapter_id"], a["priority"]) for a in adapters.pack_adapters("p1")] == [("ble", 1), ("tcp", 2)]
    with pytest.raises(ValidationError):
        adapters.reorder_pack_adapters("p1", ["ble"])
    shrunk = devices.update_battery_pack("p1", batteries=1, cells_per_battery=8)
    assert shrunk["batteries"] == 1 and len(devices.list_cells("p1_b0")) == 8
    devices.delete_battery_pack("p1")
    assert table_rows("battery_pack_adapters") == [] and table_rows("batteries") == []
    assert adapters.list_adapters() == []


def test_pack_validation(home):
    with pytest.raises(ValidationError) as err:
        devices.create_battery_pack("p1", "bank", "Pack", max_charge_kw=-1)
    assert err.value.field == "max_charge_kw"
    with pytest.raises(ValidationError) as err:
        devices.create_battery_pack("p1", "bank", "Pack", chemistry="plutonium")
    assert err.value.field == "chemistry"
    with pytest.raises(ValidationError) as err:
        devices.create_battery_pack("p1", "missing", "Pack")
    assert err.value.field == "battery_array_id"


def test_batteries_and_cells(home):
    devices.create_battery_pack("p1", "bank", "Pack")
    devices.create_battery("u0", "p1", 0, serial_number="U0")
    with pytest.raises(ValidationError) as err:
        devices.create_battery("u0b", "p1", 0)
    assert err.value.field == "battery_index"
    devices.create_cell("c0", "u0", 0, nominal_voltage=3.2)
    with pytest.raises(ValidationError) as err:
        devices.create_cell("c1", "u0", 1, nominal_voltage=9.0)
    assert err.value.field == "nominal_voltage"
    assert devices.update_battery("u0", model="US5000")["model"] == "US5000"
    devices.delete_battery("u0")
    assert table_rows("battery_cells") == []


def test_meters_at_system_or_array_level(home):
    adapters.create_adapter("m_ad", "acuvim2", {"transport": "tcp", "host": "127.0.0.1"})
    meter = devices.create_meter("m1", "home", "Grid", adapter_id="m_ad", type="grid")
    assert meter["array_id"] is None and meter["attachment_target"] == "system"
    moved = devices.update_meter("m1", array_id="roof")
    assert moved["attachment_target"] == "roof"
    with pytest.raises(ValidationError) as err:
        devices.create_meter("m2", "home", "Other", type="toaster")
    assert err.value.field == "type"


def test_attachments_keep_history(home):
    systems.create_array("garage", "home", "Garage")
    systems.attach("bank", "roof", since="2025-01-01T00:00:00+00:00")
    systems.attach("bank", "garage", since="2025-06-01T00:00:00+00:00")
    history = systems.attachment_history("bank")
    assert [(h["inverter_array_id"], h["detached_at"]) for h in history] == [
        ("roof", "2025-06-01T00:00:00+00:00"), ("garage", None)]
    assert systems.get_battery_array("bank")["attached_inverter_array_id"] == "garage"
    systems.detach("bank", at="2025-07-01T00:00:00+00:00")
    assert systems.active_attachment("bank") is None
    with pytest.raises(ValidationError):
        systems.detach("bank")


def test_attachment_across_systems_is_refused(home):
    systems.create_system("other", "Other")
    systems.create_array("far", "other", "Far")
    with pytest.raises(ValidationError) as err:
        systems.attach("bank", "far")
    assert err.value.field == "inverter_array_id"


def _populate() -> None:
    adapters.create_adapter("inv_ad", "powdrive", RTU)
    devices.create_inverter("inv1", "roof", "Inverter", adapter_id="inv_ad")
    devices.create_battery_pack("p1", "bank", "Pack", batteries=1, cells_per_battery=4)
    adapters.create_adapter("meter_ad", "iammeter", {"transport": "tcp", "host": "127.0.0.1"})
    devices.create_meter("m1", "home", "Array meter", array_id="roof", adapter_id="meter_ad")
    systems.attach("bank", "roof")


def test_delete_system_cascades_to_everything(home, db):
    _populate()
    db.execute_sql("INSERT INTO energy_samples (ts, inverter_id, array_id, system_id) VALUES (1, 'inv1', 'roof', 'home')")
    systems.delete_system("home")
    for table in ("arrays", "inverters", "battery_arrays", "battery_packs", "batteries", "battery_cells", "meters",
                  "battery_array_attachments", "energy_samples", "device_registry", "adapters"):
        assert table_rows(table) == [], table


def test_delete_array_cascades_inverters_and_sets_meters_to_system_level(home, db):
    _populate()
    systems.delete_array("roof")
    assert devices.list_inverters() == []
    assert devices.get_meter("m1")["array_id"] is None
    assert table_rows("battery_array_attachments") == []


def test_delete_adapter_sets_the_device_adapter_to_null(home):
    _populate()
    adapters.delete_adapter("inv_ad")
    assert devices.get_inverter("inv1")["adapter_id"] is None
    adapters.delete_adapter("meter_ad")
    assert devices.get_meter("m1")["adapter_id"] is None


def test_adapter_types_are_restricted_while_in_use(home, db):
    _populate()
    with pytest.raises(peewee.IntegrityError, match="FOREIGN KEY constraint failed"):
        db.execute_sql("DELETE FROM adapter_base WHERE adapter_type = 'powdrive'")
