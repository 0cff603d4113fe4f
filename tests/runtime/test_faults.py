"""A device that times out, answers garbage or vanishes mid-frame never stops the process or delays another."""

from __future__ import annotations

import time

from appliance.sim.jkbms_gateway import JkGatewaySim
from appliance.sim.modbus_server import ModbusTcpSim
from appliance.sim.pylontech_console import PylontechConsoleSim
from tests.runtime.conftest import devices, sample_times

INTERVAL_MS = 5000
MAX_GAP_MS = 3 * INTERVAL_MS  # generous: scheduler jitter and a loaded CI machine


def _watch(runtime, healthy: list, phases: list[tuple[list[tuple[object, str | None]], float]]) -> None:
    """Apply each phase's faults for its duration, then check the healthy devices kept their cadence."""
    since = int(time.time() * 1000)
    for faults, seconds in phases:
        for sim, fault in faults:
            sim.fault = fault
        time.sleep(seconds)
        assert runtime.writer.alive and runtime.scheduler.running
    runtime.writer.flush_now()
    until = int(time.time() * 1000)
    for device in healthy:
        stamps = [s for s in sample_times(device.kind, device.catalog_id, since) if s <= until]
        edges = [since, *stamps, until]
        gaps = [b - a for a, b in zip(edges, edges[1:])]
        assert max(gaps) <= MAX_GAP_MS, (device.device_id, gaps)
        assert len(stamps) >= (until - since) // INTERVAL_MS // 2, (device.device_id, len(stamps))


def test_faulty_packs_never_delay_the_inverter_or_the_meter(demo) -> None:
    runtime, site = demo
    gateway = next(s for s in site._servers if isinstance(s, JkGatewaySim))
    console = next(s for s in site._servers if isinstance(s, PylontechConsoleSim))
    healthy = [d for d in devices() if d.kind in ("inverter", "meter")]
    _watch(runtime, healthy, [
        ([(gateway, "timeout"), (console, "timeout")], 8),
        ([(gateway, "garbage"), (console, "garbage")], 8),
        ([(gateway, "truncated"), (console, "truncated")], 8),
        ([(gateway, "disconnect"), (console, "disconnect")], 8),  # the console's pty vanishes mid-frame
    ])


def test_a_dead_inverter_never_delays_the_meter(demo) -> None:
    runtime, site = demo
    inverter, meter = (s for s in site._servers if isinstance(s, ModbusTcpSim))
    healthy = [d for d in devices() if d.kind == "meter"]
    _watch(runtime, healthy, [([(inverter, "timeout")], 12), ([(inverter, "truncated")], 8),
                              ([(inverter, "disconnect")], 8)])
    assert meter.fault is None
