"""Home Assistant discovery for every device of the demo home, checked against HA's rules, over a real broker.

The demo home runs in this process (simulators speaking the real protocols, pollers, the MQTT service)
and a real paho subscriber reads what the broker holds. Every config is checked against a table of the
keys HA's MQTT platforms require per entity kind and the units HA accepts per device class; every value
template is rendered with Jinja against the device's state message, as HA would.
"""

from __future__ import annotations

import json
import re

import jinja2
import pytest

from appliance.mqtt.entities import IDENTITY
from tests.mqtt.broker import Subscriber
from tests.mqtt.demo import demo_home

#: What HA's MQTT platforms require of a discovered entity, per kind (beyond what every entity here has).
REQUIRED = {"sensor": {"state_topic"}, "binary_sensor": {"state_topic", "payload_on", "payload_off"},
            "switch": {"command_topic"}, "select": {"command_topic", "options"}, "number": {"command_topic"},
            "button": {"command_topic"}}
EVERY = {"name", "unique_id", "device", "origin", "availability"}
#: Units HA accepts per sensor device class (a class outside this table is a defect here).
UNITS = {"power": {"W", "kW"}, "energy": {"Wh", "kWh", "MWh"}, "voltage": {"V", "mV"}, "current": {"A", "mA"},
         "temperature": {"°C", "°F"}, "frequency": {"Hz"}, "battery": {"%"}, "power_factor": {None, "%"},
         "reactive_power": {"var"}, "apparent_power": {"VA"}, "data_size": {"B", "kB", "MB", "GB"},
         "duration": {"ms", "s"}, "problem": {None}}
STATE_CLASSES = {"measurement", "total", "total_increasing"}
ID = re.compile(r"^[A-Za-z0-9_-]+$")
DEVICES = ("inverter:powdrive_SIMPD00001", "meter:iammeter_SIMIAM0001", "battery_pack:pytes_SIMPY0001",
           "battery_pack:jkbms_tcpip_SIMJK0000001")


def _render(template: str, state: dict) -> str:
    return jinja2.Environment().from_string(template).render(value_json=state)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Everything the demo home published in its first polls: configs by topic and the states."""
    from tests.mqtt.broker import Broker

    folder = tmp_path_factory.mktemp("discovery")
    broker = Broker(folder / "broker").start()
    sub = Subscriber(broker)
    try:
        with demo_home(folder, broker.url) as runtime:
            base = runtime.mqtt.topics.base
            sub.wait_for(lambda ms: all(any(m.topic == f"{base}/{d}/state" for m in ms) for d in DEVICES), 90)
            sub.wait_for(lambda ms: any("/battery_array:" in m.topic and m.topic.endswith("/state")
                                        and "soc_pct" in m.json() for m in ms), 60)
            runtime.roll_up()  # energy totals go out after a rollup
            sub.wait_for(lambda ms: any("/_energy/" in m.topic for m in ms), 30)
            sub.wait_for(lambda ms: any(m.topic.endswith("_appliance/state") for m in ms), 30)
            health = runtime.health_checks()["mqtt"]()
        configs = {m.topic: m.json() for m in sub.messages if m.topic.endswith("/config") and m.payload}
        states = {m.topic: m.json() for m in sub.messages if m.topic.endswith("/state")}
        yield {"configs": configs, "states": states, "base": base, "messages": list(sub.messages),
               "health": health}
    finally:
        sub.close()
        broker.stop()


def test_every_config_meets_has_rules(published):
    seen_ids = set()
    for topic, config in published["configs"].items():
        prefix, component, node, object_id, _ = topic.split("/")
        assert prefix == "homeassistant" and ID.match(node) and ID.match(object_id), topic
        missing = (EVERY | REQUIRED[component]) - set(config)
        assert not missing, f"{topic} lacks {missing}"
        assert config["unique_id"] not in seen_ids, config["unique_id"]
        seen_ids.add(config["unique_id"])
        assert {"identifiers", "name", "manufacturer", "model"} <= set(config["device"]), topic
        if component == "sensor" and "device_class" in config:
            assert config.get("unit_of_measurement") in UNITS[config["device_class"]], topic
        if config.get("state_class"):
            assert config["state_class"] in STATE_CLASSES, topic
        if config.get("device_class") == "energy":
            assert config["state_class"] in ("total", "total_increasing"), topic
        if component in ("sensor", "binary_sensor"):
            assert config.get("entity_category") in (None, "diagnostic"), topic
        for item in config["availability"]:
            assert item["topic"].startswith(published["base"] + "/"), topic


def test_one_ha_device_per_appliance_device_each_via_the_appliance(published):
    blocks = {}
    for config in published["configs"].values():
        device = config["device"]
        blocks[device["identifiers"][0]] = device
    appliance = [d for d in blocks.values() if "via_device" not in d]
    assert len(appliance) == 1 and appliance[0]["model"] == "Edge appliance"
    node = appliance[0]["identifiers"][0]
    children = {d["name"]: d for d in blocks.values() if d.get("via_device") == node}
    # The four devices, the logical battery of the demo's packs, and the home's energy totals.
    assert len(children) == len(DEVICES) + 2, sorted(children)
    logical = next(d for d in children.values() if d["model"] == "Logical battery")
    assert logical["manufacturer"] == "Solar appliance"
    jk = next(d for d in children.values() if "SIMJK0000001" in d["name"])
    assert (jk["manufacturer"], jk["model"], jk["serial_number"], jk["sw_version"], jk["hw_version"]) == \
        ("JK BMS", "JK-PB2A16S20P", "SIMJK0000001", "19.27", "19A")
    inverter = next(d for d in children.values() if "SIMPD00001" in d["name"])
    assert inverter["manufacturer"] == "Deye" and inverter["serial_number"] == "SIMPD00001"


def test_every_reported_value_is_an_entity_whose_template_reads_it(published):
    base, configs = published["base"], published["configs"]
    for device_id in DEVICES:
        state = published["states"][f"{base}/{device_id}/state"]
        mine = [c for c in configs.values() if c.get("state_topic") == f"{base}/{device_id}/state"]
        templates = " ".join(c["value_template"] for c in mine)
        for key, value in state.items():
            if key in IDENTITY or key == "ts":
                continue
            assert f"value_json.{key}" in templates, f"{device_id}: {key} has no entity"
        for config in mine:
            rendered = _render(config["value_template"], state)
            assert rendered not in ("", "None"), f"{config['unique_id']} renders {rendered!r}"
        # A value the device stops sending reads as unknown in HA (the template renders None), never 0.
        empty = [_render(c["value_template"], {}) for c in mine if "'ON'" not in c["value_template"]
                 and "join" not in c["value_template"]]
        assert set(empty) == {"None"}


def _entity(published, device_id, key):
    suffix = f"-{device_id.replace(':', '_')}-{key}"
    return next(c for c in published["configs"].values() if c["unique_id"].endswith(suffix))


def test_power_is_measurement_and_energy_counters_are_total_increasing_kwh(published):
    inverter = "inverter:powdrive_SIMPD00001"
    power = _entity(published, inverter, "pv_power_w")
    assert (power["device_class"], power["unit_of_measurement"], power["state_class"]) == \
        ("power", "W", "measurement")
    for key in ("pv_energy_total_kwh", "grid_import_total_kwh", "grid_export_total_kwh",
                "battery_charge_total_kwh", "battery_discharge_total_kwh", "pv_energy_today_kwh"):
        counter = _entity(published, inverter, key)
        assert (counter["device_class"], counter["unit_of_measurement"], counter["state_class"]) == \
            ("energy", "kWh", "total_increasing"), key
    meter = _entity(published, "meter:iammeter_SIMIAM0001", "import_energy_kwh")
    assert (meter["device_class"], meter["state_class"]) == ("energy", "total_increasing")
    soc = _entity(published, "battery_pack:jkbms_tcpip_SIMJK0000001", "soc_pct")
    assert (soc["device_class"], soc["unit_of_measurement"]) == ("battery", "%")


def test_cell_voltages_and_diagnostics_are_diagnostic(published):
    pack = "battery_pack:jkbms_tcpip_SIMJK0000001"
    cells = [c for c in published["configs"].values() if "cell_voltages_v_" in c["unique_id"]
             and pack.replace(":", "_") in c["unique_id"]]
    assert len(cells) == 16 and all(c["entity_category"] == "diagnostic" for c in cells)
    assert cells[0]["name"] in {f"Cell {n} voltage" for n in range(1, 17)}
    assert _entity(published, pack, "soh_pct")["entity_category"] == "diagnostic"
    assert "entity_category" not in _entity(published, pack, "power_w")
    # A bank's units: each unit's values, diagnostic, named by unit.
    unit = _entity(published, "battery_pack:pytes_SIMPY0001", "batteries_1_soc_pct")
    assert unit["name"] == "Unit 2 SOC" and unit["entity_category"] == "diagnostic"


def test_the_energy_dashboard_gets_system_totals_after_a_rollup(published):
    totals = {c["value_template"]: c for c in published["configs"].values() if "/_energy/" in c["state_topic"]}
    names = {json.dumps(c["name"]) for c in totals.values()}
    assert len(totals) == 12 and '"Grid import (lifetime)"' in names
    assert all(c["state_class"] == "total_increasing" and c["unit_of_measurement"] == "kWh"
               for c in totals.values())
    state = next(v for k, v in published["states"].items() if "/_energy/" in k)
    assert state["pv_energy_total_kwh"] >= state["pv_energy_today_kwh"] >= 0


def test_the_appliance_device_tells_health_disk_backlog_and_clock(published):
    state = next(v for k, v in published["states"].items() if k.endswith("_appliance/state"))
    assert {"problem", "health", "disk_free_mb", "sync_backlog", "write_backlog", "clock_synchronised",
            "mqtt_dropped", "devices_online"} <= set(state)
    keys = {c["unique_id"].rsplit("-", 1)[1] for c in published["configs"].values()
            if c["state_topic"].endswith("_appliance/state")}
    assert {"problem", "disk_free_mb", "sync_backlog", "clock_synchronised"} <= keys


def test_availability_is_the_last_will_and_the_device_and_both_said_online(published):
    base = published["base"]
    for device_id in DEVICES:
        config = _entity(published, device_id, "power_w" if "battery" in device_id or "meter" in device_id
                         else "pv_power_w")
        assert [a["topic"] for a in config["availability"]] == [f"{base}/status", f"{base}/{device_id}/availability"]
        assert config["availability_mode"] == "all"
        said = [m.text for m in published["messages"] if m.topic == f"{base}/{device_id}/availability"]
        assert said and said[0] == "online"
    statuses = [m.text for m in published["messages"] if m.topic == f"{base}/status"]
    assert statuses[0] == "online" and statuses[-1] == "offline"  # the runtime stopped cleanly at the end


def test_health_tells_the_link_and_the_drops(published):
    ok, detail = published["health"]
    assert ok and detail.startswith("connected to 127.0.0.1:") and "0 state messages dropped" in detail


def test_the_logical_battery_is_a_device_with_soc_power_and_cells(published):
    mine = [c for c in published["configs"].values() if "battery_array" in c["unique_id"]]
    keys = {c["unique_id"].rsplit("-", 1)[1] for c in mine}
    assert {"soc_pct", "power_w", "cell_delta_v", "packs_online"} <= keys, keys
    state = next(v for k, v in published["states"].items() if "/battery_array:" in k)
    assert 0 <= state["soc_pct"] <= 100 and state["packs_online"] >= 1
