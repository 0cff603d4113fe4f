"""The Pylontech/Pytes console driver: recorded captures, the simulator over a real pty, faults, fuzzing."""

from __future__ import annotations

import json
import os
import select
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from appliance.drivers.base import Reading, decode_with
from appliance.drivers.pytes import PytesDriver
from appliance.drivers.transports.stream import SerialStream
from appliance.errors import DecodeError, TransportError
from appliance.sim.pylontech_console import PylontechConsoleSim
from appliance.sim.pylontech_rs485 import PylontechRs485Sim

VECTORS = {v["name"]: v for v in json.loads((Path(__file__).parent / "vectors" / "bms.json").read_text())
           if v["protocol"] == "pylontech_console_text"}


def vector(name: str) -> dict:
    return PytesDriver.decode(VECTORS[name]["text"]).to_json()


def test_every_console_vector_has_a_test() -> None:
    tested = {"console_pytes_v5_pwr", "console_pytes_v5_pwr_1", "console_pytes_v5_bat_1", "console_pytes_v5_info_1",
              "console_pylontech_us_pwr", "console_pylontech_us_bat_1", "console_pytes_ebox_pwr",
              "console_esphome_lines"}
    assert set(VECTORS) == tested


def test_pytes_v5_pwr_barcode_layout() -> None:
    r = vector("console_pytes_v5_pwr")
    assert r["voltage_v"] == 53.07
    assert r["current_a"] == 5.962  # Dischg on the wire is -5962 mA; the vocabulary counts discharge as +
    assert r["temperature_c"] == 26.0
    assert (r["cell_min_v"], r["cell_max_v"]) == (3.313, 3.319)
    assert r["soc_pct"] == 80
    assert r["power_w"] == pytest.approx(53.07 * 5.962, abs=0.1)
    [unit] = r["batteries"]
    assert unit["serial_number"] == "Exxxxxxxxxxxxx43" and unit["model"] == "E-BOX-48100V-D"
    assert unit["status"] == "dischg" and unit["temperature_min_c"] == 24.0 and unit["temperature_max_c"] == 25.0
    assert r["details"]["units"][0]["basic_status"] == "Dischg"


def test_pytes_v5_pwr_detail_view() -> None:
    r = vector("console_pytes_v5_pwr_1")
    assert (r["voltage_v"], r["current_a"], r["temperature_c"], r["soc_pct"]) == (53.244, 0.0, 24.0, 73)
    assert r["batteries"][0]["serial_number"] == "ESxxxxxxxxxxx443"
    assert r["details"]["units"][0]["coulomb_status"] == "Normal"


def test_pytes_v5_bat_without_soc_header() -> None:
    r = vector("console_pytes_v5_bat_1")
    assert len(r["cell_voltages_v"]) == 16
    assert r["cell_voltages_v"][:4] == [3.304, 3.305, 3.304, 3.306]
    assert set(r["cell_temperatures_c"]) == {19.0}
    assert (r["cell_min_v"], r["cell_max_v"], r["cell_delta_v"]) == (3.304, 3.306, 0.002)


def test_pytes_v5_info() -> None:
    details = vector("console_pytes_v5_info_1")["details"]
    assert details["manufacturer"] == "PYTES" and details["model"] == "E-BOX-48100V-D"
    assert details["serial_number"] == "ESxxxxxxxxxx443" and details["cells"] == 16
    assert details["specification"] == "51.2V/100AH"


def test_pylontech_us_pwr_four_charging_units() -> None:
    r = vector("console_pylontech_us_pwr")
    units = r["batteries"]
    assert [u["index"] for u in units] == [1, 2, 3, 4]
    first = units[0]
    assert (first["voltage_v"], first["current_a"], first["temperature_c"], first["soc_pct"]) == (
        49.905, -11.867, 27.9, 39)
    assert first["mos_temperature_c"] == 27.5 and "mos_temperature_c" not in units[2]
    assert r["current_a"] == pytest.approx(-(11.867 + 5.182 + 5.080 + 5.250))
    assert r["power_w"] < 0  # charging
    assert r["soc_pct"] == pytest.approx((39 + 38 + 35 + 40) / 4)
    assert r["alarms"] == []


def test_pylontech_us_bat_with_balancing_column() -> None:
    r = vector("console_pylontech_us_bat_1")
    assert len(r["cell_voltages_v"]) == 15 and r["cell_voltages_v"][0] == 3.331
    assert r["balancing"] is False
    assert r["cell_temperatures_c"][4] == 27.3


def test_pytes_ebox_pwr_two_idle_units() -> None:
    r = vector("console_pytes_ebox_pwr")
    assert [(u["voltage_v"], u["current_a"], u["soc_pct"]) for u in r["batteries"]] == [
        (48.314, 0.0, 77), (48.322, 0.0, 74)]
    assert "mos_temperature_c" not in r["batteries"][0]


def _esphome_table(row_index: int) -> str:
    lines = VECTORS["console_esphome_lines"]["text"].splitlines()
    header = lines[0] if row_index < 3 else lines[3]
    return f"{header}\n{lines[row_index]}\n"


def test_esphome_line_one_matches_the_stated_values() -> None:
    r = PytesDriver.decode(_esphome_table(1)).to_json()
    unit = r["batteries"][0]
    assert (r["voltage_v"], r["current_a"], r["temperature_c"]) == (50.548, -8.91, 25.0)
    assert (unit["temperature_min_c"], unit["temperature_max_c"]) == (24.2, 25.0)
    assert (r["cell_min_v"], r["cell_max_v"], r["soc_pct"], unit["mos_temperature_c"]) == (3.368, 3.371, 97, 22.7)


def test_esphome_syserror_line_raises_alarms() -> None:
    r = PytesDriver.decode(_esphome_table(2)).to_json()
    assert {"system_error", "voltage_low", "cell_voltage_low"} <= set(r["alarms"])
    assert r["soc_pct"] == 4 and r["batteries"][0]["status"] == "syserror"


def test_esphome_newer_firmware_with_id_columns() -> None:
    r = PytesDriver.decode(_esphome_table(4)).to_json()
    assert (r["voltage_v"], r["current_a"], r["temperature_c"], r["soc_pct"]) == (49.405, 0.0, 17.6, 60)
    assert (r["cell_min_v"], r["cell_max_v"]) == (3.293, 3.294)
    assert r["details"]["units"][0]["sys_alarm_status"] == "Normal"


def test_whole_esphome_capture_keeps_the_latest_table() -> None:
    assert vector("console_esphome_lines")["voltage_v"] == 49.405


def test_implausible_values_become_alarms() -> None:
    text = VECTORS["console_pytes_ebox_pwr"]["text"].replace("77%", "150%").replace("3225", "6225")
    r = PytesDriver.decode(text).to_json()
    assert {"implausible_soc", "implausible_cell_voltage"} <= set(r["alarms"])
    assert "soc_pct" not in r["batteries"][0] and r["batteries"][0].get("cell_max_v") != 6.225


def test_a_corrupt_number_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="Curr"):
        PytesDriver.decode(VECTORS["console_pytes_ebox_pwr"]["text"].replace("48314  0 ", "48314  0x"))


@pytest.mark.parametrize("text", ["", "hello\r\n$$\r\npylon>", "\x00\xff" * 20, "Power Volt\n"])
def test_text_without_console_output_is_a_decode_error(text: str) -> None:
    with pytest.raises(DecodeError):
        PytesDriver.decode(text)


def test_decode_entry_point_takes_text_only() -> None:
    assert decode_with(PytesDriver, text=VECTORS["console_pytes_v5_pwr"]["text"]).values["soc_pct"] == 80


@settings(deadline=None, max_examples=200)
@given(st.text())
def test_fuzz_any_text(text: str) -> None:
    try:
        assert isinstance(PytesDriver.decode(text), Reading)
    except DecodeError:
        pass


@settings(deadline=None, max_examples=200)
@given(st.sampled_from(sorted(VECTORS)), st.data())
def test_fuzz_mutated_captures(name: str, data: st.DataObject) -> None:
    text = list(VECTORS[name]["text"])
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(text) - 1))
        text[at] = data.draw(st.characters(codec="ascii"))
    try:
        assert isinstance(PytesDriver.decode("".join(text)), Reading)
    except DecodeError:
        pass


# -- the driver over the simulator on a real pty -------------------------------------------------

def driver_for(sim, **config) -> tuple[PytesDriver, SerialStream]:
    link = SerialStream(sim.path, baudrate=115200)
    return PytesDriver({"serial_port": sim.path, "batteries": 3, "timeout_s": 1.0, **config}, link), link


@pytest.mark.parametrize("layout", ["pylontech", "pytes"])
def test_identify_and_read_through_paging(layout: str) -> None:
    with PylontechConsoleSim(layout=layout, page_lines=6) as sim:
        driver, link = driver_for(sim, read_cycles=True)
        try:
            ident = driver.identify()
            reading = driver.read().to_json()
        finally:
            link.close()
    assert ident.serial_number == "HPTBR01234567891"
    assert ident.model == ("US3000C" if layout == "pylontech" else "E-BOX-48100R")
    units = reading["batteries"]
    assert [u["status"] for u in units] == ["dischg", "dischg", "absent"]
    assert len(units[0]["cell_voltages_v"]) == 15 and units[1]["cell_voltages_v"][2] == 3.306
    assert units[0]["current_a"] == 4.2 and units[0]["soc_pct"] == 52
    assert reading["current_a"] == pytest.approx(8.2) and reading["cycles"] == 57
    assert "unit_absent" in reading["alarms"]
    assert reading["details"]["units"][0]["volt_status"] == "Normal"


def test_values_are_rendered_per_request() -> None:
    state = {"soc": 40.0}

    def values() -> dict:
        return {"voltage_v": 51.0, "current_a": -10.0, "soc_pct": state["soc"], "temperature_c": 20.0,
                "cell_voltages_v": [3.4] * 15}

    with PylontechConsoleSim(values) as sim:
        driver, link = driver_for(sim, batteries=1, read_cells=False)
        try:
            first = driver.read()
            state["soc"] = 41.0
            second = driver.read()
        finally:
            link.close()
    assert (first.values["soc_pct"], second.values["soc_pct"]) == (40, 41)
    assert first.values["current_a"] == -10.0 and first.values["alarms"] == []


@pytest.mark.parametrize("fault, error", [("timeout", TransportError), ("truncated", TransportError),
                                          ("bad_checksum", DecodeError), ("disconnect", TransportError),
                                          ("garbage", (DecodeError, TransportError))])
def test_faults_raise_and_never_hang(fault: str, error) -> None:
    with PylontechConsoleSim(fault=fault) as sim:
        driver, link = driver_for(sim, timeout_s=0.5)
        try:
            with pytest.raises(error):
                driver.read()
        finally:
            link.close()


def test_identify_rejects_the_rs485_simulator() -> None:
    with PylontechRs485Sim() as sim:
        driver, link = driver_for(sim, timeout_s=0.5)
        try:
            with pytest.raises((TransportError, DecodeError)):
                driver.identify()
        finally:
            link.close()


def test_identify_rejects_a_binary_bms_chattering_back() -> None:
    """A JK-style BMS answers anything with binary frames; it must not pass as a console."""
    master, slave = os.openpty()
    stop = threading.Event()

    def chatter() -> None:
        while not stop.is_set():
            try:
                if not select.select([master], [], [], 0.05)[0]:
                    continue
                os.read(master, 256)
                os.write(master, bytes.fromhex("4e5700fd0000000000000001") + b"\xaa\x55" * 30)
            except OSError:
                return

    thread = threading.Thread(target=chatter, daemon=True)
    thread.start()
    link = SerialStream(os.ttyname(slave), baudrate=115200)
    try:
        driver = PytesDriver({"serial_port": "x", "timeout_s": 0.5}, link)
        with pytest.raises((TransportError, DecodeError)):
            driver.identify()
    finally:
        stop.set()
        thread.join(timeout=2)
        link.close()
        os.close(master)
        os.close(slave)


def test_every_call_after_a_disconnect_is_a_transport_error() -> None:
    with PylontechConsoleSim(fault="disconnect") as sim:
        driver, link = driver_for(sim, timeout_s=0.5)
        try:
            for _ in range(2):
                with pytest.raises(TransportError):
                    driver.read()
        finally:
            link.close()
