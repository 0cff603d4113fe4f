"""JK protocol modules against every JK vector of bms.json, plus builders, reassembly and fuzzing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.drivers import jk_frames, jk_legacy
from appliance.drivers.base import Reading, decode_with
from appliance.drivers.jk_stream import decode_any
from appliance.drivers.jkbms_ble import JkBmsBleDriver
from appliance.drivers.jkbms_rs485 import JkBmsRs485Driver
from appliance.drivers.jkbms_tcpip import JkBmsTcpIpDriver
from appliance.errors import DecodeError

VECTORS = json.loads((Path(__file__).parent / "vectors" / "bms.json").read_text())
JK = {v["name"]: v for v in VECTORS if v["protocol"].startswith("jk")}
CELL_VECTORS = [n for n, v in JK.items() if v["protocol"] in ("jk_55aa_JK02_32S", "jk_55aa_JK02_24S")]
DRIVERS = (JkBmsBleDriver, JkBmsTcpIpDriver, JkBmsRs485Driver)


def frame_of(name: str) -> bytes:
    return bytes.fromhex(JK[name]["hex"])


def test_every_jk_vector_is_covered() -> None:
    covered = set(CELL_VECTORS) | {n for n in JK if n.startswith(("device_info", "jk04", "jk_ble_request",
                                                                   "jk_4e57", "jk_pb_trigger"))}
    assert covered == set(JK) and len(JK) == 17


@pytest.mark.parametrize("name", CELL_VECTORS)
def test_cell_info_vectors_decode_to_the_stated_values(name: str) -> None:
    der = JK[name]["derived_by_offsets"]
    reading = decode_any(frame_of(name))
    v, d = reading.values, reading.details
    assert reading.kind == "battery"
    assert d["frame_variant"] == JK[name]["protocol"].removeprefix("jk_55aa_")
    assert v["cell_voltages_v"] == [mv / 1000 for mv in der["cells_mV"]]
    assert v["voltage_v"] == pytest.approx(der["voltage_V"])
    # The wire says + = charging; readings say + = discharging.
    assert v["current_a"] == pytest.approx(-der["current_A"])
    assert v["power_w"] == pytest.approx(der["voltage_V"] * -der["current_A"], abs=0.1)
    assert v["soc_pct"] == der["soc"] and v["soh_pct"] == der["soh"] and v["cycles"] == der["cycles"]
    assert v["remaining_ah"] == pytest.approx(der["remain_Ah"]) and v["full_ah"] == pytest.approx(der["full_Ah"])
    assert v["cell_temperatures_c"] == [der["t1_C"], der["t2_C"]]
    assert d["mos_temperature_c"] == der["mos_C"]
    assert v["charge_enabled"] is bool(der["chg_mos"]) and v["discharge_enabled"] is bool(der["dsg_mos"])
    assert v["balancing"] is bool(der["balancing_action"])
    assert d["balance_current_a"] == pytest.approx(der["balance_current_A"])
    assert d["uptime_s"] == der["runtime_s"] and d["error_bitmask"] == int(der["errors"], 16)
    assert v["cell_min_v"] == min(der["cells_mV"]) / 1000 and v["cell_max_v"] == max(der["cells_mV"]) / 1000


def test_stated_values_of_the_v15_charging_frame() -> None:
    v = decode_any(frame_of("jk02_32s_v15_charging")).values
    assert (v["voltage_v"], v["current_a"], v["soc_pct"], v["cycles"]) == (53.224, -31.881, 25, 9)
    assert v["cell_min_v"] == 3.320 and v["cell_max_v"] == 3.337 and v["power_w"] < 0


def test_stated_values_of_the_v19_discharging_frame() -> None:
    reading = decode_any(frame_of("jk02_32s_v19_discharging"))
    assert reading.values["current_a"] == 0.727 and reading.values["power_w"] > 0
    assert (reading.details["cell_min_index"], reading.details["cell_max_index"]) == (10, 1)


def test_issue365_frame_matches_batmon_once_its_sign_is_flipped() -> None:
    v = decode_any(frame_of("jk_b2a8s20p_fw1150_issue365")).values
    assert v["current_a"] == pytest.approx(-33.292) and v["soh_pct"] == 79 and v["cycles"] == 427
    assert v["balancing"] is True and "error_bit_19" in v["alarms"]


@pytest.mark.parametrize("name", [n for n in JK if n.startswith("device_info")])
def test_device_info_vectors(name: str) -> None:
    der = JK[name]["derived_by_offsets"]
    info = jk_frames.decode_device_info(frame_of(name))
    assert (info.model, info.hardware_version, info.software_version) == (der["vendor"], der["hw"], der["sw"])
    assert info.serial_number == der["serial"] and info.device_name == der["name"]
    assert info.manufacturing_date == der["mfgdate"] and info.power_on_count == der["poweron"]
    assert decode_any(frame_of(name)).values["serial_number"] == der["serial"]


def test_jk04_vector() -> None:
    reading = decode_any(frame_of("jk04_cell_info"))
    v, d = reading.values, reading.details
    assert d["frame_variant"] == "JK04" and len(v["cell_voltages_v"]) == 16
    assert v["voltage_v"] == pytest.approx(53.691, abs=0.001)
    assert v["cell_min_v"] == pytest.approx(3.3527, abs=1e-4) and d["cell_min_index"] == 1
    assert v["cell_max_v"] == pytest.approx(3.3586, abs=1e-4) and d["cell_max_index"] == 2
    assert d["uptime_s"] == 1873811 and v["balancing"] is True
    assert d["balance_current_a"] == pytest.approx(1.171875, abs=1e-4)
    assert "current_a" not in v and "soc_pct" not in v


@pytest.mark.parametrize("name,cmd", [("jk_ble_request_device_info", 0x97), ("jk_ble_request_cell_info", 0x96)])
def test_ble_commands(name: str, cmd: int) -> None:
    assert jk_frames.build_command(cmd) == frame_of(name)


def test_jkpb_trigger_requests_and_ack() -> None:
    frames = {k: bytes.fromhex(v) for k, v in JK["jk_pb_trigger_requests"]["frames"].items()}
    assert jk_frames.build_trigger(1, 0x161C) == frames["0x161C_device_info"]
    assert jk_frames.build_trigger(1, 0x161E) == frames["0x161E_settings"]
    assert jk_frames.build_trigger(1, 0x1620) == frames["0x1620_cell_info"]
    jk_frames.parse_trigger_ack(frames["ack_after_0x1620"], 1, 0x1620)
    with pytest.raises(DecodeError, match="CRC"):
        jk_frames.parse_trigger_ack(frames["ack_after_0x1620"][:-1] + b"\x00", 1, 0x1620)
    with pytest.raises(DecodeError, match="unexpected"):
        jk_frames.parse_trigger_ack(jk_frames.build_trigger_ack(2, 0x1620), 1, 0x1620)


def test_legacy_request() -> None:
    assert jk_legacy.build_request() == frame_of("jk_4e57_request_read_all")


@pytest.mark.parametrize("name", ["jk_4e57_syssi_doc_14s", "jk_4e57_mppsolar_b1a20s15p"])
def test_legacy_vectors(name: str) -> None:
    der = JK[name]["derived_by_offsets"]
    reading = decode_any(frame_of(name))
    v, d = reading.values, reading.details
    assert v["cell_voltages_v"] == [mv / 1000 for mv in der["cells"]]
    assert v["voltage_v"] == der["voltage_V"] and v["current_a"] == -der["current_A"]
    assert v["soc_pct"] == der["soc"] and v["cycles"] == der["cycles"] and v["full_ah"] == der["cap_Ah"]
    assert v["cell_temperatures_c"] == [der["t1_C"], der["t2_C"]] and d["mos_temperature_c"] == der["mos_C"]
    status = int(der["status"], 16)
    assert (v["charge_enabled"], v["discharge_enabled"], v["balancing"]) == (bool(status & 1), bool(status & 2),
                                                                            bool(status & 4))
    assert v["serial_number"] == der["mfr"] and v["alarms"] == []


def test_legacy_mppsolar_identity() -> None:
    v = decode_any(frame_of("jk_4e57_mppsolar_b1a20s15p")).values
    assert v["model"] == "JK_B1A20S15P" and (v["hardware_version"], v["software_version"]) == ("11.XW", "11.261")


@pytest.mark.parametrize("driver", DRIVERS)
def test_drivers_decode_hex_through_decode_with(driver: type) -> None:
    reading = decode_with(driver, frame=frame_of("jk_pb_rs485_issue442_slave1"))
    assert reading.values["soc_pct"] == 100 and reading.values["current_a"] == 0.0


@pytest.mark.parametrize("mutate,message", [
    (lambda b: b[:-1] + bytes([b[-1] ^ 1]), "checksum"),
    (lambda b: b[:150], "short"),
    (lambda b: b"\x00" + b[1:], "not a JK frame"),
])
def test_broken_frames_name_what_is_wrong(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DecodeError, match=message):
        decode_any(mutate(frame_of("jk02_32s_v15_charging")))
    with pytest.raises(DecodeError, match=message):
        decode_any(mutate(frame_of("jk_4e57_syssi_doc_14s")))


def test_impossible_values_are_decode_errors() -> None:
    frame = bytearray(frame_of("jk02_32s_v15_charging"))
    frame[173] = 150
    with pytest.raises(DecodeError, match="SOC reads 150"):
        decode_any(jk_frames.finish_frame(bytes(frame[:299])))
    frame = bytearray(frame_of("jk02_32s_v15_charging"))
    frame[6:8] = (6000).to_bytes(2, "little")
    with pytest.raises(DecodeError, match="cell 1 reads 6.000 V"):
        decode_any(jk_frames.finish_frame(bytes(frame[:299])))


def test_unknown_frame_type() -> None:
    frame = bytearray(frame_of("jk02_32s_v15_charging"))
    frame[4] = 0x07
    with pytest.raises(DecodeError, match="unknown JK frame type"):
        decode_any(jk_frames.finish_frame(bytes(frame[:299])))


@settings(deadline=None, max_examples=200)
@given(st.data())
def test_assembler_finds_every_frame_whatever_the_split_and_junk(data: st.DataObject) -> None:
    frames = [frame_of(n) for n in ("jk02_32s_v15_charging", "device_info_jk02_32s_v15", "jk04_cell_info")]
    junk = st.binary(max_size=40).map(lambda b: b.replace(b"\x55", b"\x54"))
    stream = b"".join(data.draw(junk) + f for f in frames) + data.draw(junk)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=40)))
    assembler = jk_frames.FrameAssembler()
    found: list[bytes] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)]):
        found += assembler.feed(stream[start:end])
    assert found == frames


def test_assembler_resyncs_after_a_broken_frame() -> None:
    good = frame_of("jk02_32s_v19_discharging")
    assembler = jk_frames.FrameAssembler()
    assert assembler.feed(good[:120] + b"AT\r\n" + good) == [good]
    assert assembler.bad_frames == 1


@settings(deadline=None, max_examples=200)
@given(st.binary(max_size=400))
def test_fuzz_any_bytes_give_a_reading_or_decode_error(raw: bytes) -> None:
    for driver in DRIVERS:
        try:
            assert isinstance(driver.decode(raw), Reading)
        except DecodeError:
            continue


@settings(deadline=None, max_examples=200)
@given(st.sampled_from([1, 2, 3]), st.binary(min_size=294, max_size=294))
def test_fuzz_checksum_valid_55aa_frames(frame_type: int, body: bytes) -> None:
    frame = jk_frames.finish_frame(jk_frames.HEADER + bytes([frame_type]) + body)
    try:
        assert isinstance(decode_any(frame), Reading)
    except DecodeError:
        return


@settings(deadline=None, max_examples=200)
@given(st.binary(max_size=300), st.booleans())
def test_fuzz_checksum_valid_legacy_frames(payload: bytes, with_cells: bool) -> None:
    if with_cells:
        payload = b"\x79\x06\x01\x0c\xe4\x02\x0c\xe5" + payload
    try:
        assert isinstance(decode_any(jk_legacy.build_frame(payload)), Reading)
    except DecodeError:
        return
