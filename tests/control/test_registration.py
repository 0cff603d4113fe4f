"""Self-registered devices: registration, duplicates, heartbeats, the offline sweep, patch, metrics."""

from __future__ import annotations

import uuid

import pytest

from appliance.catalog import registration
from appliance.errors import NotFoundError, ValidationError
from appliance.store.models import DeviceHealth, RegistryDevice
from tests.control.conftest import T0

ESP = {"name": "ESP32 Sensor", "device_type": "esp32", "hardware_id": "AA:BB:CC:DD:EE:FF",
       "firmware_version": "1.0.0", "ip_address": "127.0.0.1", "location": {"room": "Workshop"},
       "metadata": {"model": "Uno R3"}}


def register(now: int = T0, **changes):
    return registration.register(**{**ESP, **changes}, now=now)


def test_register_gives_a_new_uuid_online_active_registry_row(db):
    device = register()
    assert uuid.UUID(device["id"])
    assert (device["status"], device["lifecycle_state"], device["kind"]) == ("online", "active", "registered")
    assert (device["device_type"], device["hardware_id"]) == ("esp32", "AA:BB:CC:DD:EE:FF")
    assert device["location"] == {"room": "Workshop"} and device["metadata"] == {"model": "Uno R3"}
    assert RegistryDevice.get_by_id(device["id"]).last_seen == T0


def test_the_same_hardware_id_again_is_a_conflict_naming_the_existing_id(db):
    first = register()
    with pytest.raises(registration.DuplicateDevice) as err:
        register(name="Another")
    assert err.value.existing_id == first["id"]
    assert err.value.field == "hardware_id"
    assert RegistryDevice.select().count() == 1


@pytest.mark.parametrize("changes, field", [
    ({"name": ""}, "name"), ({"device_type": "no spaces"}, "device_type"), ({"hardware_id": None}, "hardware_id"),
    ({"hardware_id": 12}, "hardware_id"), ({"ip_address": "not-an-ip"}, "ip_address"),
    ({"location": ["room"]}, "location"), ({"metadata": "x"}, "metadata"), ({"firmware_version": 1}, "firmware_version"),
    ({"metadata": {"x": float("nan")}}, "metadata"),
])
def test_bad_registrations_are_refused_and_store_nothing(db, changes, field):
    with pytest.raises(ValidationError) as err:
        register(**changes)
    assert err.value.field == field
    assert RegistryDevice.select().count() == 0


def test_heartbeats_update_last_seen_and_count_the_too_frequent_ones(db):
    device_id = register()["id"]
    beat = registration.heartbeat(device_id, now=T0 + 30_000)
    assert (beat["status"], beat["too_frequent"], beat["interval_ms"]) == ("online", False, 30_000)
    beat = registration.heartbeat(device_id, now=T0 + 33_000)
    assert beat["too_frequent"] is True
    counts = registration.get(device_id)["heartbeats"]
    assert (counts["count"], counts["too_frequent"]) == (2, 1)
    assert RegistryDevice.get_by_id(device_id).last_seen == T0 + 33_000


def test_unknown_device_heartbeat_is_not_found(db):
    with pytest.raises(NotFoundError):
        registration.heartbeat("nope", now=T0)


def test_devices_go_offline_after_five_minutes_without_a_heartbeat_and_come_back(db):
    quiet = register()["id"]
    lively = register(hardware_id="11:22:33:44:55:66")["id"]
    registration.heartbeat(lively, now=T0 + 200_000)
    assert registration.sweep_offline(T0 + 299_999) == []
    assert registration.sweep_offline(T0 + 300_001) == [quiet]
    assert registration.get(quiet)["status"] == "offline"
    assert registration.get(lively)["status"] == "online"
    assert registration.sweep_offline(T0 + 500_001) == [lively]
    statuses = [h.status for h in DeviceHealth.select().where(DeviceHealth.device == quiet).order_by(DeviceHealth.ts)]
    assert statuses == ["online", "offline"]
    assert registration.heartbeat(quiet, now=T0 + 600_000)["status"] == "online"


def test_the_sweep_leaves_maintenance_and_catalog_devices_alone(db):
    device_id = register()["id"]
    registration.patch(device_id, {"status": "maintenance"})
    RegistryDevice.insert(device_id="inverter:x", kind="inverter", name="X", health_status="online",
                          last_seen=T0).execute()
    assert registration.sweep_offline(T0 + 3_600_000) == []


def test_patch_changes_status_name_location_and_metadata(db):
    device_id = register()["id"]
    patched = registration.patch(device_id, {"status": "maintenance", "name": "Lab sensor",
                                             "location": {"room": "Lab"}, "metadata": {"v": 2}})
    assert (patched["status"], patched["name"], patched["location"], patched["metadata"]) == \
        ("maintenance", "Lab sensor", {"room": "Lab"}, {"v": 2})
    assert registration.heartbeat(device_id, now=T0 + 1)["status"] == "maintenance"
    assert registration.patch(device_id, {"status": "online"})["status"] == "online"


@pytest.mark.parametrize("changes, field", [({"status": "offline"}, "status"), ({"name": ""}, "name"),
                                            ({"colour": "red"}, "colour"), ({"metadata": []}, "metadata")])
def test_bad_patches_change_nothing(db, changes, field):
    device_id = register()["id"]
    before = registration.get(device_id)
    with pytest.raises(ValidationError) as err:
        registration.patch(device_id, {"name": "Fine", **changes} if "name" not in changes else changes)
    assert err.value.field == field
    assert registration.get(device_id) == before


def test_list_filters_by_status_and_type(db):
    esp = register()["id"]
    ard = register(hardware_id="ard-1", device_type="arduino", name="Arduino")["id"]
    registration.sweep_offline(T0 + 400_000)
    registration.heartbeat(ard, now=T0 + 400_001)
    assert [d["id"] for d in registration.list_registered(status="offline")] == [esp]
    assert [d["id"] for d in registration.list_registered(device_type="arduino")] == [ard]
    with pytest.raises(ValidationError):
        registration.list_registered(status="asleep")


def test_metrics_are_stored_and_read_back_as_a_series(db):
    device_id = register()["id"]
    stored = registration.record_metrics(device_id, [
        {"name": "temperature_c", "value": 21.5, "ts": T0}, {"name": "temperature_c", "value": 22, "ts": T0 + 60_000},
        {"name": "humidity_pct", "value": 40, "ts": "2026-01-01T00:00:30Z"}, {"name": "rssi", "value": -60}],
        now=T0 + 120_000)
    assert stored["stored"] == 4
    series = registration.metric_series(device_id, "temperature_c", T0, T0 + 60_000)
    assert (series["ts"], series["values"]) == ([T0, T0 + 60_000], [21.5, 22.0])
    assert registration.metric_series(device_id, "humidity_pct")["ts"] == [T0 + 30_000]
    assert registration.metric_series(device_id, "rssi")["ts"] == [T0 + 120_000]
    assert registration.metric_names(device_id) == ["humidity_pct", "rssi", "temperature_c"]


@pytest.mark.parametrize("metrics, field", [
    ([], "metrics"), ("x", "metrics"), ([{"name": "t", "value": float("inf")}], "metrics[0].value"),
    ([{"name": "t", "value": "1"}], "metrics[0].value"), ([{"name": "", "value": 1}], "metrics[0].name"),
    ([{"name": "t", "value": 1, "ts": "yesterday"}], "metrics[0].ts"),
    ([{"name": "t", "value": 1}, {"name": "t", "value": 1, "unit": "C"}], "metrics[1].unit"),
])
def test_bad_metrics_store_nothing(db, metrics, field):
    device_id = register()["id"]
    with pytest.raises(ValidationError) as err:
        registration.record_metrics(device_id, metrics, now=T0)
    assert err.value.field == field
    assert registration.metric_names(device_id) == []


def test_the_offline_timeout_is_a_setting(db):
    from appliance.store.models import AppSetting

    device_id = register()["id"]
    AppSetting.insert(key=registration.OFFLINE_AFTER_KEY, value="60", updated_at="now").execute()
    assert registration.sweep_settings() == {"offline_after_s": 60.0, "sweep_every_s": 60.0}
    assert registration.sweep_offline(T0 + 59_000) == []
    assert registration.sweep_offline(T0 + 61_000) == [device_id]
