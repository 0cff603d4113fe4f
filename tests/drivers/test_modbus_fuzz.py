"""Fuzzing every Modbus decode: any register values give a Reading or DecodeError, nothing else."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.drivers.acuvim2 import AcuvimDriver
from appliance.drivers.base import Driver, Reading
from appliance.drivers.iammeter import IamMeterDriver
from appliance.drivers.modbus import load_map
from appliance.drivers.powdrive import PowdriveDriver
from appliance.drivers.powerpack import PowerPackDriver
from appliance.drivers.senergy import SenergyDriver
from appliance.errors import DecodeError, UnsupportedError

CASES = {
    "powdrive_3p": (PowdriveDriver, ["powdrive_3p_lv"], [0, 2]),
    "powdrive_1p": (PowdriveDriver, ["powdrive_1p"], [0]),
    "senergy": (SenergyDriver, ["senergy"], []),
    "iammeter": (IamMeterDriver, ["iammeter_wem3080t", "iammeter_wem3080"], [9]),
    "acuvim2": (AcuvimDriver, ["acuvim2"], []),
    "powerpack": (PowerPackDriver, ["powerpack"], []),
}
WORD = st.integers(min_value=0, max_value=0xFFFF)


def _addresses(maps: list[str], extra: list[int]) -> list[int]:
    return sorted({a for name in maps for f in load_map(name).fields for a in f.addresses} | set(extra))


def _check(driver: type[Driver], registers: dict[int, int]) -> None:
    try:
        reading = driver.decode(registers=registers)  # type: ignore[attr-defined]
    except (DecodeError, UnsupportedError) as exc:  # a model this driver has no map for is said so, clearly
        assert exc.message
        return
    assert isinstance(reading, Reading)
    body = json.dumps(reading.to_json(), allow_nan=False)  # nothing non-finite is ever stored
    assert body
    for key, value in reading.values.items():
        if key.endswith("_pct"):
            assert 0 <= value <= 100
        if key.endswith("_hz"):
            assert 40 <= value <= 70


@pytest.mark.parametrize("case", sorted(CASES))
def test_decode_fuzz_map_registers(case: str) -> None:
    driver, maps, extra = CASES[case]
    addresses = _addresses(maps, extra)

    @settings(deadline=None, max_examples=200)
    @given(st.dictionaries(st.sampled_from(addresses), WORD))
    def run(registers: dict[int, int]) -> None:
        _check(driver, registers)

    run()


@pytest.mark.parametrize("case", sorted(CASES))
def test_decode_fuzz_any_registers(case: str) -> None:
    driver = CASES[case][0]

    @settings(deadline=None, max_examples=200)
    @given(st.dictionaries(st.integers(min_value=-5, max_value=70000), st.integers(min_value=-5, max_value=70000)))
    def run(registers: dict[int, int]) -> None:
        _check(driver, registers)

    run()


def test_senseless_values_become_alarms_not_facts() -> None:
    reading = PowdriveDriver.decode({588: 250, 609: 9000, 587: 5000})
    assert "battery_soc_pct" not in reading.values and "grid_frequency_hz" not in reading.values
    assert {"battery_soc_pct_out_of_range", "grid_frequency_hz_out_of_range"} <= set(reading.values["alarms"])
    assert reading.values["battery_voltage_v"] == 50.0


def test_nan_float_is_an_alarm() -> None:
    reading = AcuvimDriver.decode({16384: 0x7FC0, 16385: 0, 16418: 0x4120, 16419: 0})
    assert "frequency_hz" not in reading.values
    assert "frequency_hz_not_a_number" in reading.values["alarms"]
    assert reading.values["power_w"] == 10.0


def test_bad_register_values_are_decode_errors() -> None:
    with pytest.raises(DecodeError, match="16-bit"):
        IamMeterDriver.decode({0: 70000})
    with pytest.raises(DecodeError, match="none of the"):
        SenergyDriver.decode({1: 5})
    with pytest.raises(DecodeError, match="device type"):
        PowdriveDriver.decode({0: 0x7777, 588: 50})
