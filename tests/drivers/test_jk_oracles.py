"""JK frames against third-party decoders: absent temperature sensors, the firmware 19.x serial, and the
simulator's frames read with the third parties' offsets.

Oracles (none installs here, so their rules are cited and transcribed, never their code):
- aiobmsble 0.24.0 (git b056733; needs Python >= 3.12): aiobmsble/bms/jikong_bms.py `temp_sensors` at byte
  214 (-32 on 24S), a sensor counts only when its bit is set and its raw value is not -2000;
  tests/bms/test_jikong_bms.py::test_hide_temp_sensors clears T2's bit and writes -2000 into T1;
- syssi/esphome-jk-bms @2fa4323: docs/protocol-design-ble.md ("214 Temperature sensor absent bitmask ...
  bit0=MOS, bit1-5=Sensors 1-5"; "86-101, 16 bytes, Serial number, Null-terminated string") and the
  captures in tests/components/jk_bms_ble/frames_jk02_*.h (our vectors/bms.json);
- fl4p/batmon-ha @10bb733: bmslib/models/jikong.py `temp = nan if x == -2000`.
syssi names the mask "absent" but every capture has it at 0xFF with all probes reading plausibly, and
aiobmsble's decoder and tests treat a set bit as "fitted": the captures (the device) win.
"""

from __future__ import annotations

import json
from pathlib import Path

from appliance.drivers import jk_frames
from appliance.drivers.jk_stream import decode_any
from appliance.sim import jkbms_render as render
from appliance.sim.jkbms_ble import FakeBleLink

VECTORS = {v["name"]: v for v in json.loads((Path(__file__).parent / "vectors" / "bms.json").read_text())}


def frame(name: str) -> bytearray:
    return bytearray.fromhex(VECTORS[name]["hex"])


def patched(name: str, changes: dict[int, bytes]) -> bytes:
    """A recorded frame with some bytes changed and its sum-8 recomputed."""
    data = frame(name)
    for at, raw in changes.items():
        data[at:at + len(raw)] = raw
    data[299] = sum(data[:299]) & 0xFF
    return bytes(data)


MINUS_2000 = (-2000).to_bytes(2, "little", signed=True)


def test_32s_sensors_not_fitted_or_unplugged_are_left_out() -> None:
    # aiobmsble's test: mask 0xFB (T2 not fitted) and T1 = -2000 (unplugged) leave MOS and T3-T5 only.
    reading = decode_any(patched("jk02_32s_v19_discharging", {214: b"\xfb\x00", 162: MINUS_2000}))
    assert "temperature_c" not in reading.values and "cell_temperatures_c" not in reading.values
    assert reading.details["absent_temperature_sensors"] == ["t1", "t2"]
    assert reading.details["mos_temperature_c"] == 12.8  # syssi frames_jk02_32s_v19.h: MOS 12.8 C


def test_an_unplugged_probe_does_not_drag_the_average_to_minus_91() -> None:
    # T2 unplugged while its bit stays set: the defect averaged 17.8 and -200.0 into -91.1 C.
    reading = decode_any(patched("jk02_32s_v19_discharging", {162: (178).to_bytes(2, "little"), 164: MINUS_2000}))
    assert reading.values["cell_temperatures_c"] == [17.8] and reading.values["temperature_c"] == 17.8
    assert reading.details["absent_temperature_sensors"] == ["t2"]


def test_24s_mask_at_182_names_t1_t2_mos() -> None:
    # aiobmsble's 24S case: byte 182 = 0x03 and T2 (132) = -2000 leave T1 only; bit 2 (MOS, 134) is clear.
    reading = decode_any(patched("jk02_24s_v10", {182: b"\x03\x00", 132: MINUS_2000}))
    assert reading.values["cell_temperatures_c"] == [20.7] and reading.values["temperature_c"] == 20.7
    assert "mos_temperature_c" not in reading.details
    assert reading.details["absent_temperature_sensors"] == ["t2", "mos"]


def test_recorded_frames_with_every_sensor_fitted_keep_every_temperature() -> None:
    # All captures set the mask (0xFF on 32S, 0x07 on 24S) and read plausibly: nothing may go missing.
    for name, temps in (("jk02_32s_v19_discharging", [11.9, 12.7]), ("jk02_24s_v10_negative_temps", [-3.1, -2.9])):
        reading = decode_any(bytes(frame(name)))
        assert reading.values["cell_temperatures_c"] == temps and "absent_temperature_sensors" not in reading.details


def test_firmware_19_serial_has_15_characters() -> None:
    # frames_jk02_32s_v19.h bytes 86-100 hold "506177F49000674" then NUL; the defect cut it to 11.
    assert jk_frames.decode_device_info(bytes(frame("device_info_jk02_32s_v19"))).serial_number == "506177F49000674"
    assert jk_frames.decode_device_info(bytes(frame("device_info_jk02_32s_v15"))).serial_number == "40110480520"
    assert jk_frames.decode_device_info(bytes(frame("device_info_jk02_24s_v10"))).serial_number == "2041803028"


def _third_party(data: bytes, offset: int) -> dict[str, object]:
    """The fields aiobmsble 0.24.0 reads from a JK02 cell frame (its _FIELDS; `offset` -32 on 24S)."""
    def num(at: int, size: int, signed: bool = False) -> int:
        return int.from_bytes(data[at + offset:at + offset + size], "little", signed=signed)
    return {"voltage": num(150, 4) / 1000, "current": num(158, 4, True) / 1000, "soc": num(173, 1),
            "cycles": num(182, 4), "soh": num(190, 1), "mask": num(214, 2, True)}


def test_the_simulators_frames_read_right_with_the_third_partys_offsets() -> None:
    values = {**render.default_values(), "cell_temperatures_c": [21.5, None], "mos_temperature_c": 24.0}
    for variant, offset, mask in (("JK02_32S", 0, 0b000011), ("JK02_24S", -32, 0b101)):
        data = render.cell_info_frame(values, variant)
        theirs = _third_party(data, offset)
        voltage = round(sum(values["cell_voltages_v"]), 3)  # 52.831 V; on the wire + = charging
        assert theirs == {"voltage": voltage, "current": 5.25, "soc": 64, "cycles": 42, "soh": 98, "mask": mask}


def test_the_24s_stream_comes_with_a_firmware_below_11() -> None:
    # aiobmsble picks the 24S offsets (-32) from the device-info software version: `-32 if sw < 11`.
    link = FakeBleLink(variant="JK02_24S", junk=False)
    link.write(jk_frames.build_command(jk_frames.CMD_DEVICE_INFO), 1.0)
    assembler = jk_frames.FrameAssembler()
    frames: list[bytes] = []
    while not frames:
        frames = assembler.feed(link.notifications(1.0))
    info = jk_frames.decode_device_info(frames[0])
    assert info.software_version is not None and float(info.software_version) < 11
