"""The JK simulators: rendered frames decode back to the values given, requests and faults behave."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.drivers import jk_frames, jk_legacy
from appliance.drivers.jk_stream import decode_any
from appliance.sim import jkbms_render as render
from appliance.sim.jkbms_ble import FakeBleLink
from appliance.sim.jkbms_gateway import JkGatewaySim, JkPack

cells = st.lists(st.integers(2500, 3650).map(lambda mv: mv / 1000), min_size=1, max_size=16)
values_st = st.fixed_dictionaries({
    "cell_voltages_v": cells, "current_a": st.integers(-20000, 20000).map(lambda ma: ma / 100),
    "soc_pct": st.integers(0, 100), "soh_pct": st.integers(0, 100), "cycles": st.integers(0, 9999),
    "remaining_ah": st.integers(0, 300000).map(lambda mah: mah / 1000), "full_ah": st.integers(1, 600).map(float),
    "cell_temperatures_c": st.lists(st.integers(-30, 60).map(float), min_size=2, max_size=2),
    "balancing": st.booleans(), "charge_enabled": st.booleans(), "discharge_enabled": st.booleans(),
    "alarms": st.lists(st.sampled_from(sorted(jk_frames.ERROR_BITS.values())), unique=True, max_size=3),
})


@settings(deadline=None, max_examples=200)
@given(values_st, st.sampled_from(["JK02_24S", "JK02_32S"]))
def test_jk02_render_round_trips(values: dict[str, Any], variant: str) -> None:
    reading = decode_any(render.cell_info_frame(values, variant))
    v = reading.values
    assert reading.details["frame_variant"] == variant
    assert v["cell_voltages_v"] == values["cell_voltages_v"]
    assert v["current_a"] == pytest.approx(values["current_a"])
    for key in ("soc_pct", "soh_pct", "cycles", "balancing", "charge_enabled", "discharge_enabled"):
        assert v[key] == values[key]
    assert v["cell_temperatures_c"] == values["cell_temperatures_c"]
    assert sorted(v["alarms"]) == sorted(values["alarms"])


@settings(deadline=None, max_examples=200)
@given(values_st)
def test_legacy_render_round_trips(values: dict[str, Any]) -> None:
    values = {**values, "alarms": []}
    v = decode_any(render.legacy_frame(values)).values
    assert v["cell_voltages_v"] == values["cell_voltages_v"]
    assert v["current_a"] == pytest.approx(values["current_a"])
    assert v["cell_temperatures_c"] == values["cell_temperatures_c"]
    assert (v["charge_enabled"], v["discharge_enabled"], v["balancing"]) == (
        values["charge_enabled"], values["discharge_enabled"], values["balancing"])


def test_pack_answers_its_unit_only_and_ignores_broken_requests() -> None:
    pack = JkPack(unit_id=4)
    assert pack.feed(jk_frames.build_trigger(5, jk_frames.TRIGGER_CELL_INFO)) == []
    broken = jk_frames.build_trigger(4, jk_frames.TRIGGER_CELL_INFO)[:-1] + b"\x00"
    assert pack.feed(broken) == []
    # A request split over two reads, behind junk, still gets its frame and ack.
    request = b"AT\r\n" + jk_frames.build_trigger(4, jk_frames.TRIGGER_DEVICE_INFO)
    assert pack.feed(request[:6]) == []
    (reply,) = pack.feed(request[6:])
    assert reply is not None and reply[4] == jk_frames.TYPE_DEVICE_INFO
    assert reply[300:] == jk_frames.build_trigger_ack(4, jk_frames.TRIGGER_DEVICE_INFO)


def test_legacy_pack_answers_the_read_all_request() -> None:
    pack = JkPack(protocol="legacy")
    (reply,) = pack.feed(jk_legacy.build_request())
    assert reply is not None
    jk_legacy.check_frame(reply)


@pytest.mark.parametrize("fault", ["timeout", "bad_checksum", "truncated", "garbage"])
def test_faults_shape_the_reply(fault: str) -> None:
    pack = JkPack(fault=fault)
    (reply,) = pack.feed(jk_frames.build_trigger(1, jk_frames.TRIGGER_CELL_INFO))
    assert reply is not None
    assembler = jk_frames.FrameAssembler()
    assert assembler.feed(reply) == []


def test_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError):
        JkPack(fault="meteor")
    with pytest.raises(ValueError):
        FakeBleLink(fault="meteor")


def test_gateway_listens_on_loopback_with_an_ephemeral_port() -> None:
    with JkGatewaySim() as sim:
        assert sim.port > 0
        with socket.create_connection(("127.0.0.1", sim.port), timeout=2) as conn:
            conn.sendall(jk_frames.build_trigger(1, jk_frames.TRIGGER_CELL_INFO))
            data = b""
            while len(data) < 308:
                data += conn.recv(4096)
    assert data[:4] == jk_frames.HEADER and decode_any(data[:300]).values["soc_pct"] == 64
