"""SunSpec: point decoding with scale factors and sentinels, the chain walk, the driver over a fake link."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.drivers.base import decode_with
from appliance.drivers.sunspec import SunSpecDriver
from appliance.drivers.sunspec_models import ModelRef, decode_chain, parse_common, walk_chain
from appliance.drivers.sunspec_points import Point, _raw
from appliance.errors import DecodeError, TransportError, UnsupportedError
from appliance.sim.sunspec import INVERTER_CHAIN, render_chain

VECTORS = json.loads((Path(__file__).parent / "vectors" / "modbus.json").read_text())
SUNS = [0x5375, 0x6E53]


def ascii_words(text: str, size: int) -> list[int]:
    """A NUL-padded SunSpec string of `size` registers."""
    data = text.encode().ljust(2 * size, b"\0")
    return [int.from_bytes(data[i:i + 2], "big") for i in range(0, 2 * size, 2)]


def common_model(mn: str = "Maker", md: str = "Model-X", sn: str = "SN-1", vr: str = "1.2.3") -> list[int]:
    """Model 1, L = 66."""
    return ([1, 66] + ascii_words(mn, 16) + ascii_words(md, 16) + ascii_words("", 8) + ascii_words(vr, 8)
            + ascii_words(sn, 16) + [1, 0xFFFF])


def model(model_id: int, length: int, points: dict[int, int]) -> list[int]:
    """A model of `length` with registers at offsets (from the ID register); the rest 0xFFFF/0x8000 alike."""
    words = [model_id, length] + [0xFFFF] * length
    for offset, value in points.items():
        words[offset] = value & 0xFFFF
    return words


def image(*models: list[int], base: int = 40000) -> dict[int, int]:
    """Marker, models, end model."""
    words = SUNS + [w for m in models for w in m] + [0xFFFF, 0]
    return {base + i: w for i, w in enumerate(words)}


def s16(value: int) -> int:
    return value & 0xFFFF


INVERTER_103 = model(103, 50, {
    2: 1234, 6: s16(-2),                       # A = 12.34 A
    10: 2301, 11: 2312, 12: 2295, 13: s16(-1),  # phase voltages
    14: 4321, 15: 0,                            # W = 4321 W
    16: 5002, 17: s16(-2),                      # Hz = 50.02
    24: 0x0001, 25: 0x86A0, 26: 1,              # WH = 100000 x 10 = 1 000 000 Wh
    29: 4015, 30: s16(-1), 31: 450, 32: 1,      # DCV 401.5 V, DCW 4500 W
    33: 0x8000, 34: 451, 37: s16(-1),           # TmpCab not implemented, TmpSnk 45.1
    38: 4, 40: 0, 41: 0x0081,                   # MPPT; events bits 0 and 7
})


def test_inverter_103_scale_factors_and_sentinels() -> None:
    reading = decode_chain(image(common_model(), INVERTER_103))
    assert reading.kind == "inverter"
    v = reading.values
    assert v["grid_frequency_hz"] == 50.02
    assert v["grid_voltage_v"] == pytest.approx((230.1 + 231.2 + 229.5) / 3)
    assert v["pv_power_w"] == 4500            # no model 160: DC power
    assert v["pv_energy_total_kwh"] == 1000.0
    assert v["inverter_temperature_c"] == 45.1  # TmpCab is 0x8000: falls back to the heat sink
    assert v["state"] == "mppt"
    assert "battery_soc_pct" not in v and "grid_power_w" not in v
    assert reading.details["ac_power_w"] == 4321
    assert reading.details["ac_current_a"] == 12.34
    assert reading.details["alarms"] == ["ground_fault", "over_temp"]
    assert reading.details["serial_number"] == "SN-1" and reading.details["model"] == "Model-X"


def test_unimplemented_scale_factor_leaves_its_points_out() -> None:
    unset = {31: 0x8000, 32: 0, 24: 0, 25: 0, 26: 0, 33: 0x8000, 34: 0x8000, 35: 0x8000, 36: 0x8000}
    regs = image(common_model(), model(103, 50, {**unset, 14: 4321, 15: 0x8000, 16: 5000, 17: s16(-2), 38: 2}))
    reading = decode_chain(regs)
    assert reading.values == {"grid_frequency_hz": 50.0, "state": "sleeping"}
    assert "ac_power_w" not in reading.details  # W is there, but its W_SF is 0x8000


def test_scale_factor_outside_range_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="Hz_SF = 42"):
        decode_chain(image(model(103, 50, {16: 5000, 17: 42})))


@pytest.mark.parametrize(("kind", "words", "expected"), [
    ("int16", [0x8000], None), ("int16", [0xFFFE], -2), ("uint16", [0xFFFF], None), ("enum16", [0xFFFF], None),
    ("acc32", [0, 0], None), ("acc32", [0, 5], 5), ("int32", [0x8000, 0], None), ("uint32", [0xFFFF, 0xFFFF], None),
    ("float32", [0x7FC0, 0], None), ("float32", [0x4248, 0], 50.0), ("sunssf", [0x8000], None),
])
def test_sentinels(kind: str, words: list[int], expected: object) -> None:
    assert _raw(Point("x", 0, kind, len(words)), words) == expected


def test_float_inverter_113_and_mppt_160() -> None:
    def f32(value: float) -> list[int]:
        raw = int.from_bytes(struct.pack(">f", value), "big")
        return [raw >> 16, raw & 0xFFFF]
    inv = [113, 60] + f32(math.nan) * 30
    for offset, value in ((16, 229.9), (22, 3000.0), (24, 49.98), (32, 2_500_000.0), (40, 38.5)):
        inv[offset:offset + 2] = f32(value)
    inv[48] = 5
    mppt = model(160, 48, {2: s16(-2), 3: s16(-1), 4: 0, 5: 0, 8: 2})
    for i, (amps, volts, watts) in enumerate(((512, 3900, 2000), (0xFFFF, 3500, 1100))):
        base = 10 + 20 * i
        mppt[base:base + 12] = [i + 1] + ascii_words(f"S{i}", 8) + [amps, volts, watts]
    v = decode_chain(image(common_model(), inv, mppt)).values
    assert v["grid_voltage_v"] == 229.9 and v["grid_frequency_hz"] == 49.98
    assert v["pv_energy_total_kwh"] == 2500.0 and v["inverter_temperature_c"] == 38.5
    assert v["state"] == "throttled"
    assert v["pv_powers_w"] == [2000, 1100] and v["pv_power_w"] == 3100
    assert v["pv_voltages_v"] == [390.0, 350.0]
    assert v["pv_currents_a"] == [5.12, None]  # string 2 current not implemented: absent, not 0


METER_203 = model(203, 105, {
    2: 1550, 3: 500, 4: 520, 5: 530, 6: s16(-2), 7: 2305, 8: 2300, 9: 2310, 10: 2305, 15: s16(-1),
    16: 4999, 17: s16(-2), 18: s16(-1234), 19: s16(-400), 20: s16(-434), 21: s16(-400), 22: 0,
    33: s16(-985), 37: s16(-1), 38: 0, 39: 12345, 46: 0, 47: 54321, 54: 1,
})


def test_meter_203_values_and_default_sign() -> None:
    reading = decode_chain(image(common_model(), METER_203))
    assert reading.kind == "meter"
    v = reading.values
    assert v["power_w"] == -1234 and v["powers_w"] == [-400, -434, -400]
    assert v["voltage_v"] == 230.5 and v["voltages_v"] == [230.0, 231.0, 230.5]
    assert v["current_a"] == 15.5 and v["currents_a"] == [5.0, 5.2, 5.3]
    assert v["frequency_hz"] == 49.99 and v["power_factor"] == -0.985
    assert v["export_energy_kwh"] == 123.45 and v["import_energy_kwh"] == 543.21


def test_meter_sign_export_positive_flips_power() -> None:
    v = decode_chain(image(METER_203), meter_sign="export_positive").values
    assert v["power_w"] == 1234 and v["powers_w"] == [400, 434, 400]
    assert v["import_energy_kwh"] == 543.21  # counters keep their SunSpec names


def test_float_meter_213() -> None:
    v = decode_chain(render_chain(models=(1, 213))).values
    assert v["power_w"] == -1200.0 and v["import_energy_kwh"] == 4321.0 and v["frequency_hz"] == 50.01


def test_storage_124_alone_is_a_battery() -> None:
    storage = model(124, 24, {8: 655, 10: 532, 11: 3, 22: s16(-1), 24: s16(-1), 7: 20, 21: 0})
    reading = decode_chain(image(common_model(), storage))
    assert reading.kind == "battery"
    assert reading.values["soc_pct"] == 65.5 and reading.values["voltage_v"] == 53.2
    assert reading.details["charge_status"] == "discharging" and reading.details["min_reserve_pct"] == 20


def test_battery_802_and_sign_option() -> None:
    battery = model(802, 62, {11: 876, 13: 97, 14: 0, 15: 150, 22: 3, 26: 0, 27: 0b10, 34: 5230, 37: 3301,
                              40: 3287, 44: s16(-125), 47: s16(-650), 56: s16(-1), 58: 0, 59: s16(-1),
                              60: s16(-3), 61: s16(-1), 63: 0})
    reading = decode_chain(image(battery))
    v = reading.values
    assert (v["soc_pct"], v["soh_pct"], v["cycles"], v["voltage_v"]) == (87.6, 97, 150, 523.0)
    assert (v["current_a"], v["power_w"]) == (-12.5, -650)
    assert v["cell_delta_v"] == 0.014 and v["alarms"] == ["over_temp_alarm"]
    flipped = decode_chain(image(battery), battery_sign="charge_positive").values
    assert (flipped["current_a"], flipped["power_w"]) == (12.5, 650)


def test_implausible_values_become_alarms() -> None:
    storage = model(124, 24, {8: 1500, 22: 0})
    reading = decode_chain(image(storage))
    assert "soc_pct" not in reading.values
    assert reading.values["alarms"] == ["implausible_soc_pct"]


def test_inverter_chain_maps_meter_and_battery_into_inverter_names() -> None:
    v = decode_chain(render_chain()).values
    assert v["grid_power_w"] == -1200 and v["grid_import_total_kwh"] == 4321.0
    assert v["battery_soc_pct"] == 64.0 and v["battery_power_w"] == -500


@pytest.mark.parametrize("base", [40000, 0, 50000])
def test_vector_scan_walks_the_chain_at_each_base(base: int) -> None:
    assert any(v["name"] == "sunspec_scan" for v in VECTORS)
    common = (SUNS + [1, 66] + ascii_words("SunSpecTest", 16) + ascii_words("TestDevice-1", 16)
              + ascii_words("", 8) + ascii_words("1.2.3", 8) + ascii_words("sn-123456789", 16) + [1, 0])
    regs = {base + i: w for i, w in enumerate(common + [126, 64] + [0] * 64 + [0xFFFF, 0])}
    assert regs[base] == 0x5375 and regs[base + 2] == 1
    chain = walk_chain(regs, base)
    assert chain == (ModelRef(1, base + 2, 66), ModelRef(126, base + 70, 64))
    points = parse_common([regs[base + 2 + i] for i in range(68)])
    assert (points["Mn"], points["Md"], points["Vr"], points["SN"]) == (
        "SunSpecTest", "TestDevice-1", "1.2.3", "sn-123456789")
    with pytest.raises(DecodeError, match=r"no inverter, meter or storage model \(models: 1, 126\)"):
        decode_chain(regs)


def test_vector_s32_high_word_first() -> None:
    vector = next(v for v in VECTORS if v["name"] == "sunspec_s32")
    for hex_bytes, expected in vector["bytes_to_value"]:
        raw = bytes.fromhex(hex_bytes)
        assert _raw(Point("x", 0, "int32", 2), [raw[0] << 8 | raw[1], raw[2] << 8 | raw[3]]) == expected


def test_decode_entry_point_and_missing_registers() -> None:
    regs = render_chain()
    del regs[40070 + 16]  # Hz of model 103: left out, the rest still decodes
    reading = decode_with(SunSpecDriver, registers=regs)
    assert "grid_frequency_hz" not in reading.values and reading.values["pv_power_w"] == 3750
    with pytest.raises(UnsupportedError):
        decode_with(SunSpecDriver, frame=b"\x01")


@pytest.mark.parametrize(("regs", "message"), [
    ({1: 2}, "no SunSpec marker"),
    ({40000: 0x5375, 40001: 0x6E53, 40002: 103, 40003: 10}, "length 10, expected at least 50"),
    ({40000: 0x5375, 40001: 0x6E53, 40002: 7, 40003: 0xFFFF}, "runs past 65535"),
    ({40000: 70000}, "outside 0..65535"),
])
def test_malformed_images_name_the_problem(regs: dict[int, int], message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        decode_chain(regs)


class FakeLink:
    """A ModbusLink over a register dict: unmapped registers answer Modbus exception 02."""

    unit_id = 1

    def __init__(self, registers: dict[int, int]) -> None:
        self.registers = registers
        self.reads: list[tuple[int, int]] = []

    def read_holding(self, address: int, count: int) -> list[int]:
        self.reads.append((address, count))
        if count > 125 or any(a not in self.registers for a in range(address, address + count)):
            raise TransportError("Modbus exception 02: illegal data address")
        return [self.registers[a] for a in range(address, address + count)]

    read_input = read_holding

    def write_registers(self, address: int, values: object) -> None:
        raise TransportError("read-only")

    def write_register(self, address: int, value: int) -> None:
        raise TransportError("read-only")


@pytest.mark.parametrize("base", [40000, 0, 50000])
def test_driver_identifies_and_reads_at_each_base(base: int) -> None:
    link = FakeLink(render_chain(base=base))
    driver = SunSpecDriver({"transport": "tcp", "host": "127.0.0.1"}, link)
    identity = driver.identify()
    assert (identity.model, identity.serial_number) == ("SunSpec Hybrid 5K", "SIM-SS-0001")
    assert identity.details["models"] == list(INVERTER_CHAIN) and identity.details["base_address"] == base
    reading = driver.read()
    assert reading.kind == "inverter" and reading.values["pv_power_w"] == 3750 and reading.ts_ms
    assert all(count <= 125 for _, count in link.reads)


def test_driver_caches_the_chain_and_rewalks_when_it_moves() -> None:
    link = FakeLink(render_chain())
    driver = SunSpecDriver({}, link)
    driver.read()
    link.reads.clear()
    driver.read()
    assert (40000, 2) not in link.reads  # no marker probe: the layout is cached
    link.registers = render_chain(models=(1, 203))  # the device now answers with another chain
    assert driver.read().kind == "meter"


def test_fixed_base_address_and_meter_sign_config() -> None:
    link = FakeLink(render_chain(models=(1, 203), base=50000))
    driver = SunSpecDriver({"base_address": "50000", "meter_sign": "export_positive"}, link)
    assert driver.read().values["power_w"] == 1200
    assert link.reads[0] == (50000, 2)
    with pytest.raises(DecodeError, match="no 'SunS' marker at 40000"):
        SunSpecDriver({"base_address": "40000"}, FakeLink(render_chain(base=0))).identify()


def test_identify_rejects_a_non_sunspec_device() -> None:
    deye_like = {a: 0x0003 for a in range(0, 120)}
    with pytest.raises(DecodeError, match="not a SunSpec device"):
        SunSpecDriver({}, FakeLink(deye_like)).identify()
    with pytest.raises(DecodeError, match="not a SunSpec device"):
        SunSpecDriver({}, FakeLink({})).identify()


def test_timeout_is_not_mistaken_for_a_missing_marker() -> None:
    class Dead(FakeLink):
        def read_holding(self, address: int, count: int) -> list[int]:
            raise TransportError("no answer from unit 1 within 3 s")
    with pytest.raises(TransportError, match="no answer"):
        SunSpecDriver({}, Dead({})).identify()


REGISTER = st.integers(0, 0xFFFF)


@settings(deadline=None, max_examples=200)
@given(st.dictionaries(st.one_of(st.integers(39990, 40200), st.integers(0, 200)), REGISTER, max_size=300))
def test_fuzz_any_registers_give_a_reading_or_decode_error(regs: dict[int, int]) -> None:
    try:
        decode_chain(regs)
    except DecodeError:
        pass


@settings(deadline=None, max_examples=200)
@given(st.lists(st.sampled_from([1, 66, 103, 50, 160, 203, 105, 124, 24, 802, 62, 0xFFFF, 0x8000, 0, 7]) | REGISTER,
                max_size=400))
def test_fuzz_chains_after_a_marker(words: list[int]) -> None:
    regs = {40000 + i: w for i, w in enumerate(SUNS + words)}
    try:
        reading = decode_chain(regs)
    except DecodeError:
        return
    assert reading.kind in ("inverter", "meter", "battery")
    json.dumps(reading.to_json())


def test_gateway_without_device_is_a_transport_error_not_a_missing_marker() -> None:
    class Gateway(FakeLink):
        def read_holding(self, address: int, count: int) -> list[int]:
            error = TransportError("unit 1: Modbus exception 11 (gateway target device failed to respond)")
            error.exception_code = 11  # type: ignore[attr-defined]
            raise error
    with pytest.raises(TransportError, match="gateway target"):
        SunSpecDriver({}, Gateway({})).identify()
