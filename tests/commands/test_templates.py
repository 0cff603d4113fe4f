"""Device templates: a Modbus device described in YAML is read without code; apply-template previews first."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from appliance.catalog import adapters, devices, systems
from appliance.catalog.templates import parse_filter, plan
from appliance.drivers.connect import LinkPool, open_driver
from appliance.drivers.templates import load_template_text
from appliance.errors import ValidationError
from appliance.sim.powerpack import PowerPackSim
from tests.commands.test_decode import TEMPLATE


def test_a_template_device_is_read_over_modbus_tcp():
    sim = PowerPackSim().tcp(1)
    try:
        config = {"transport": "tcp", "host": "127.0.0.1", "port": sim.port, "timeout_s": 1,
                  "template": json.loads(json.dumps(load_template_text(TEMPLATE).source_document))}
        pool = LinkPool()
        driver, lock = open_driver("modbus_template", config, pool)
        with lock:
            reading = driver.read()
        pool.close_all()
    finally:
        sim.stop()
    assert reading.kind == "bess" and 0 <= reading.values["soe_pct"] <= 100
    assert set(reading.values) >= {"soe_pct", "target_power_w", "status", "available_blocks"}


@pytest.mark.parametrize("text, field", [
    ("device_template:\n  type: toaster\n  default_config: {registers: {a: 1}}\n", "type"),
    ("device_template:\n  type: bess\n  default_config: {registers: {}}\n", "default_config.registers"),
    ("device_template:\n  type: bess\n  default_config: {registers: {soe: 70000}}\n", "default_config.registers.soe"),
    ("device_template:\n  type: bess\n  default_config:\n    polling_interval: often\n    registers: {soe: 1}\n",
     "default_config.polling_interval"),
])
def test_bad_templates_name_the_field(text, field):
    with pytest.raises(ValidationError) as err:
        load_template_text(text)
    assert err.value.field == field


def test_filter_parsing():
    assert parse_filter("kind=bess,system=home") == {"kind": "bess", "system": "home"}
    with pytest.raises(ValidationError):
        parse_filter("colour=red")


@pytest.fixture
def site(db):
    systems.create_system("home", "Home")
    systems.create_system("cabin", "Cabin")
    for system in ("home", "cabin"):
        systems.create_battery_array(f"{system}_bank", system, "Bank")
        adapters.create_adapter(f"{system}_pp", "powerpack", {"transport": "tcp", "host": "127.0.0.1"})
        devices.create_battery_pack(f"{system}_bess", f"{system}_bank", "BESS")
        adapters.link_pack_adapter(f"{system}_bess", f"{system}_pp")
    adapters.create_adapter("tpl", "modbus_template", {"transport": "tcp", "host": "127.0.0.1", "template": {
        "type": "bess", "default_config": {"registers": {"soe": 1}}}})
    devices.create_battery_pack("home_other", "home_bank", "Other")
    adapters.link_pack_adapter("home_other", "tpl")


def test_plan_selects_by_kind_and_system_and_writes_nothing(site):
    changes = plan(load_template_text(TEMPLATE), {"kind": "bess", "system": "home"})
    assert sorted(c.adapter_id for c in changes) == ["home_pp", "tpl"]
    by_id = {c.adapter_id: c for c in changes}
    assert "poll_interval_s: 5 -> 60.0" in by_id["home_pp"].differences()
    assert by_id["home_pp"].notes and not by_id["tpl"].notes
    assert "poll_interval_s" not in adapters.get_adapter("home_pp")["config_json"]


def test_cli_previews_and_commits(site, db_path, tmp_path):
    template = tmp_path / "pp.yaml"
    template.write_text(TEMPLATE)
    base = [sys.executable, "-m", "appliance.cli", "--db", str(db_path), "devices", "apply-template", str(template),
            "--filter", "kind=bess,system=home"]
    preview = subprocess.run(base, capture_output=True, text=True, timeout=60)
    assert preview.returncode == 0, preview.stderr
    assert "battery_pack:home_bess adapter home_pp (powerpack): " in preview.stdout
    assert "nothing written" in preview.stdout and "cabin" not in preview.stdout
    cabin_before = adapters.get_adapter("cabin_pp")["config_json"]
    assert "timeout_s" not in adapters.get_adapter("home_pp")["config_json"], "the preview wrote nothing"
    committed = subprocess.run([*base, "--commit"], capture_output=True, text=True, timeout=60)
    assert committed.returncode == 0 and "written: 2 adapter(s) changed" in committed.stdout
    assert adapters.get_adapter("home_pp")["config_json"]["timeout_s"] == 5.0
    assert adapters.get_adapter("tpl")["config_json"]["template"]["manufacturer"] == "PowerPack"
    assert adapters.get_adapter("cabin_pp")["config_json"] == cabin_before
