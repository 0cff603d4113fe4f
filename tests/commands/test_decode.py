"""`appliance decode` as READINGS.md specifies it, for every adapter type."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.drivers import DRIVERS

VECTORS = Path(__file__).resolve().parent.parent / "drivers" / "vectors"
TEMPLATE = """device_template:
  type: bess
  manufacturer: PowerPack
  default_config:
    polling_interval: 60s
    timeout: 5s
    retry_count: 3
    registers: {soe: 2026, target_power: 2008, status: 2000, available_blocks: 2028}
    scaling: {power: 1.0, energy: 0.001}
"""


def decode(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run `appliance decode` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "appliance.cli", "decode", *args], input=stdin,
                          capture_output=True, text=True, timeout=60)


def _bms_vector(predicate) -> dict:
    return next(v for v in json.loads((VECTORS / "bms.json").read_text()) if predicate(v))


def _sim_registers(adapter: str) -> dict[int, int]:
    """A full register image from the adapter's own simulator (fields are known to be present)."""
    if adapter == "sunspec":
        from appliance.sim.sunspec import render_chain

        return render_chain()
    from appliance.sim import acuvim2, iammeter, powdrive, powerpack, senergy

    sim = {"powdrive": powdrive.PowdriveSim, "senergy": senergy.SenergySim, "iammeter": iammeter.IamMeterSim,
           "acuvim2": acuvim2.AcuvimSim, "powerpack": powerpack.PowerPackSim}[adapter]()
    return dict(sim.image.registers["holding"])


def test_every_adapter_type_decodes_something():
    assert all(driver.decode_inputs for driver in DRIVERS), "each driver names what it decodes"


@pytest.mark.parametrize("adapter", ["powdrive", "senergy", "iammeter", "acuvim2", "powerpack", "sunspec"])
def test_registers(adapter):
    registers = _sim_registers(adapter)
    result = decode("--adapter", adapter, "--registers", json.dumps({str(k): v for k, v in registers.items()}))
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["kind"] in ("inverter", "meter", "bess") and "details" in body


def test_missing_registers_leave_fields_out():
    result = decode("--adapter", "powerpack", "--registers", '{"2026": 650}')
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"kind": "bess", "soe_pct": 65.0, "details": {}}


def test_hex_frames():
    jk = _bms_vector(lambda v: v["name"] == "jk02_32s_v15_charging")
    for adapter in ("jkbms_ble", "jkbms_tcpip", "jkbms_rs485"):
        result = decode("--adapter", adapter, "--hex", jk["hex"])
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["kind"] == "battery"
    pylon = _bms_vector(lambda v: v["name"] == "pylon_0x42_single_us2000c")
    result = decode("--adapter", "pylontech_rs485", "--hex", pylon["ascii"].encode("ascii").hex())
    assert result.returncode == 0, result.stderr


def test_console_text_from_stdin_and_file(tmp_path):
    capture = _bms_vector(lambda v: v["name"] == "console_pytes_v5_pwr")
    result = decode("--adapter", "pytes", "--text-file", "-", stdin=capture["text"])
    assert result.returncode == 0, result.stderr
    path = tmp_path / "capture.txt"
    path.write_text(capture["text"])
    assert decode("--adapter", "pytes", "--text-file", str(path)).stdout == result.stdout


def test_template(tmp_path):
    path = tmp_path / "pp.yaml"
    path.write_text(TEMPLATE)
    result = decode("--adapter", "modbus_template", "--template", str(path), "--registers",
                    '{"2026": 650, "2008": 65531, "2000": 2, "2028": 4}')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["target_power_w"] == -5000


@pytest.mark.parametrize("args, says", [
    (["--adapter", "jkbms_ble", "--hex", "55aaeb90"], "expected 300"),
    (["--adapter", "pylontech_rs485", "--hex", "7e3230"], ""),
    (["--adapter", "powdrive", "--registers", "[1, 2]"], "JSON object"),
    (["--adapter", "powdrive", "--registers", '{"0": 70000}'], "16-bit"),
    (["--adapter", "pytes", "--hex", "00"], "decodes text"),
    (["--adapter", "toaster", "--hex", "00"], "unknown adapter type"),
    (["--adapter", "jkbms_ble", "--hex", "zz"], "not hexadecimal"),
])
def test_bad_data_is_one_line_and_exit_2(args, says):
    result = decode(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0]
