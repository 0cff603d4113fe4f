"""jkbms_ble through the fake BLE link (random splits, junk, faults) and the bleak transport's pure parts."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from bleak.exc import BleakError
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.drivers import jk_frames
from appliance.drivers.jkbms_ble import JkBmsBleDriver
from appliance.drivers.transports.ble import (JK_CHAR_UUID, BleLoop, is_jk_advertisement, select_characteristics,
                                              uses_response)
from appliance.errors import DecodeError, TransportError
from appliance.sim.jkbms_ble import FakeBleLink
from appliance.sim.jkbms_render import FIRMWARE, default_values

VECTORS = json.loads((Path(__file__).parent / "vectors" / "bms.json").read_text())


def driver(*links: FakeBleLink, **config: Any) -> JkBmsBleDriver:
    addresses = [link.address for link in links]
    link: Any = links[0] if len(links) == 1 else list(links)
    return JkBmsBleDriver({"bt_addresses": addresses, "timeout_s": 0.3, **config}, link)


@settings(deadline=None, max_examples=200)
@given(seed=st.integers(0, 2**32 - 1), max_chunk=st.integers(1, 300), junk=st.booleans(),
       variant=st.sampled_from(["JK02_24S", "JK02_32S", "JK04"]))
def test_reads_through_random_splits_and_junk(seed: int, max_chunk: int, junk: bool, variant: str) -> None:
    link = FakeBleLink(seed=seed, max_chunk=max_chunk, junk=junk, variant=variant)
    drv = driver(link)
    identity = drv.identify()
    reading = drv.read()
    expected = default_values()
    # The device-info frame names a firmware that sends this frame layout (a 24S stream comes from < 11.x).
    assert identity.model == FIRMWARE[variant]["model"] and identity.serial_number == "SIM00000001"
    assert reading.values["software_version"] == FIRMWARE[variant]["software_version"]
    assert reading.details["frame_variant"] == variant
    assert reading.values["serial_number"] == "SIM00000001"
    if variant == "JK04":
        assert reading.values["cell_voltages_v"] == pytest.approx(expected["cell_voltages_v"], abs=1e-4)
    else:
        assert reading.values["cell_voltages_v"] == expected["cell_voltages_v"]
        assert reading.values["current_a"] == expected["current_a"] and reading.values["soc_pct"] == 64


def test_command_sequence_is_0x97_then_0x96() -> None:
    link = FakeBleLink(seed=7)
    drv = driver(link)
    drv.read()
    drv.read()
    assert [w[4] for w in link.writes] == [0x97, 0x96, 0x96]
    assert link.writes[0] == jk_frames.build_command(0x97)


def test_configured_variant_overrides_detection() -> None:
    drv = driver(FakeBleLink(variant="JK02_24S"), frame_variant="JK02_24S")
    assert drv.read().details["frame_variant"] == "JK02_24S"


def test_settings_frame_details() -> None:
    reading = driver(FakeBleLink(seed=3)).read()
    assert reading.details["balancer_enabled"] is True and reading.details["nominal_ah"] == 280.0


def test_two_bms_pack_is_combined() -> None:
    second = FakeBleLink(lambda: {**default_values(), "serial_number": "SIM2", "current_a": 2.0},
                         address="C8:47:8C:00:00:02", seed=5)
    reading = driver(FakeBleLink(seed=4), second).read()
    assert reading.values["current_a"] == pytest.approx(-3.25)
    assert [b["serial_number"] for b in reading.values["batteries"]] == ["SIM00000001", "SIM2"]
    assert reading.values["full_ah"] == 560.0


@settings(deadline=None, max_examples=50)
@given(seed=st.integers(0, 2**32 - 1), max_chunk=st.integers(1, 244))
def test_recorded_notifications_split_anywhere(seed: int, max_chunk: int) -> None:
    vectors = {v["name"]: bytes.fromhex(v["hex"]) for v in VECTORS if "hex" in v}
    link = FakeBleLink(seed=seed, max_chunk=max_chunk, recorded={
        0x97: [vectors["device_info_jk02_32s_v15"]], 0x96: [vectors["jk02_32s_v15_charging"]]})
    drv = driver(link)
    reading = drv.read()
    assert reading.values["model"] == "JK_PB2A16S15P" and reading.values["serial_number"] == "40110480520"
    assert reading.values["voltage_v"] == 53.224 and reading.values["current_a"] == -31.881


@pytest.mark.parametrize("fault,error", [("timeout", TransportError), ("bad_checksum", DecodeError),
                                         ("truncated", TransportError), ("garbage", TransportError),
                                         ("disconnect", TransportError)])
def test_faults_raise_and_never_hang(fault: str, error: type) -> None:
    with pytest.raises(error):
        driver(FakeBleLink(fault=fault, seed=11)).read()


@dataclass
class FakeChar:
    uuid: str
    properties: list[str]
    handle: int


@dataclass
class FakeService:
    uuid: str
    characteristics: list[FakeChar] = field(default_factory=list)


def test_new_module_two_ffe1_characteristics_chosen_by_property() -> None:
    write = FakeChar(JK_CHAR_UUID, ["write-without-response", "write"], 0x03)
    notify = FakeChar(JK_CHAR_UUID, ["notify"], 0x05)
    services = [FakeService("0000180a-0000-1000-8000-00805f9b34fb"), FakeService("0000ffe0-0000-1000-8000-00805f9b34fb",
                                                                                [notify, write])]
    assert select_characteristics(services) == (write, notify)
    assert uses_response(write) is False


def test_old_module_single_ffe1_does_both() -> None:
    both = FakeChar(JK_CHAR_UUID.upper(), ["read", "write-without-response", "notify"], 0x10)
    assert select_characteristics([FakeService("ffe0", [both])]) == (both, both)


def test_write_with_response_only_when_no_other_way() -> None:
    assert uses_response(FakeChar(JK_CHAR_UUID, ["write"], 1)) is True


@pytest.mark.parametrize("chars", [[], [FakeChar(JK_CHAR_UUID, ["read"], 3)],
                                   [FakeChar("0000ffe2-0000-1000-8000-00805f9b34fb", ["notify", "write"], 3)]])
def test_modules_without_usable_ffe1_are_rejected(chars: list[FakeChar]) -> None:
    with pytest.raises(TransportError):
        select_characteristics([FakeService("ffe0", chars)])


@pytest.mark.parametrize("name,uuids,expected", [
    ("JK-B2A24S15P", [], True), ("JK_PB2A16S20P", [], True), (None, ["0000FFE0-0000-1000-8000-00805f9b34fb"], True),
    ("Mi Band", [], False), (None, [], False),
])
def test_advertisement_filter(name: str | None, uuids: list[str], expected: bool) -> None:
    assert is_jk_advertisement(name, uuids) is expected


def test_ble_loop_converts_bleak_errors_and_timeouts() -> None:
    loop = BleLoop().start()
    try:
        async def fails() -> None:
            raise BleakError("device vanished")

        async def slow() -> None:
            await asyncio.sleep(5)

        async def fine() -> int:
            return 42

        assert loop.run(fine, 1.0, "test") == 42
        with pytest.raises(TransportError, match="device vanished"):
            loop.run(fails, 1.0, "connect")
        with pytest.raises(TransportError, match="no answer"):
            loop.run(slow, 0.05, "write")
    finally:
        loop.stop()
    with pytest.raises(TransportError):
        loop.run(fine, 1.0, "after stop")
