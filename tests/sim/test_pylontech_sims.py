"""The Pylontech simulators at the byte level: paging, addressing, checksums, faults, lifecycle."""

from __future__ import annotations

import pytest

from appliance.drivers.pylontech_frames import (
    ALL_PACKS, CMD_ANALOG, CMD_SERIAL, build_frame, decode_analog, parse_frame, request,
)
from appliance.drivers.transports.stream import SerialStream
from appliance.errors import TransportError
from appliance.sim.pylontech_console import PAGING_PROMPT, PylontechConsoleSim
from appliance.sim.pylontech_rs485 import PylontechRs485Sim


def test_console_pages_long_output_and_continues_on_enter() -> None:
    with PylontechConsoleSim(page_lines=10) as sim:
        link = SerialStream(sim.path, baudrate=115200)
        try:
            link.write(b"pwr\n")
            first = link.read_until(PAGING_PROMPT.encode(), 2.0)
            assert first.startswith(b"pwr\n\r@") and b"Power Volt" in first
            link.write(b"\n")
            rest = link.read_until(b"pylon>", 2.0)
            assert b"Absent" in rest and b"$$" in rest
            link.write(b"bat 1\n")
            link.read_until(PAGING_PROMPT.encode(), 2.0)
            link.write(b"q")  # any other key ends the listing
            assert link.read_until(b"pylon>", 2.0).rstrip().endswith(b"pylon>")
        finally:
            link.close()


def test_console_unknown_command_and_pytes_prompt() -> None:
    with PylontechConsoleSim(layout="pytes") as sim:
        link = SerialStream(sim.path, baudrate=115200)
        try:
            link.write(b"frobnicate\r\n")
            reply = link.read_until(b"PYTES>", 2.0)
            assert b"Unknown command" in reply
        finally:
            link.close()
    assert sim.requests == 1


def test_rs485_sim_answers_only_its_addresses_with_valid_checksums() -> None:
    with PylontechRs485Sim(address=4) as sim:
        link = SerialStream(sim.path, baudrate=115200)
        try:
            link.write(request(4, CMD_SERIAL))
            frame = parse_frame(link.read_until(b"\r", 2.0))
            assert (frame.adr, frame.cid2) == (4, 0) and frame.info[1:].strip() == b"HPTBR01234567891"
            link.write(request(2, CMD_ANALOG))
            assert link.read_available(0.3) == b""
            link.write(request(4, CMD_ANALOG, ALL_PACKS))
            flag, modules = decode_analog(parse_frame(link.read_until(b"\r", 2.0)).info, all_packs=True)
            assert len(modules) == 2
            link.write(build_frame(4, 0x99, b"\x04"))
            assert parse_frame(link.read_until(b"\r", 2.0)).cid2 == 0x04
            damaged = request(4, CMD_ANALOG)[:-3] + b"00\r"
            link.write(damaged)
            assert parse_frame(link.read_until(b"\r", 2.0)).cid2 == 0x02
        finally:
            link.close()


def test_values_source_is_read_per_request() -> None:
    calls = []

    def values() -> dict:
        calls.append(1)
        return {"voltage_v": 50.0, "current_a": 0.0, "soc_pct": 50.0, "cell_voltages_v": [3.33] * 15}

    with PylontechRs485Sim(values) as sim:
        link = SerialStream(sim.path, baudrate=115200)
        try:
            for _ in range(2):
                link.write(request(2, CMD_ANALOG))
                parse_frame(link.read_until(b"\r", 2.0))
        finally:
            link.close()
    assert len(calls) >= 2


@pytest.mark.parametrize("sim_class", [PylontechConsoleSim, PylontechRs485Sim])
def test_disconnect_closes_the_line(sim_class) -> None:
    with sim_class(fault="disconnect") as sim:
        link = SerialStream(sim.path, baudrate=115200)
        try:
            link.write(b"pwr\n" if sim_class is PylontechConsoleSim else request(2, CMD_ANALOG))
            with pytest.raises(TransportError):
                link.read(1, 1.0)
        finally:
            link.close()


def test_unknown_fault_is_refused() -> None:
    with pytest.raises(ValueError):
        PylontechConsoleSim(fault="melted")


def test_stop_is_idempotent_and_frees_the_pty() -> None:
    sim = PylontechRs485Sim().start()
    path = sim.path
    sim.stop()
    sim.stop()
    assert path.startswith("/dev/")
