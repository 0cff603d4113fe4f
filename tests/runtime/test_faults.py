"""A device that times out, answers garbage or vanishes mid-frame never stops the process or delays another.

Asserted by what happened and in which order, not by how long it took: while the faulty devices fail, every
scheduled poll of a healthy device runs (none is skipped because the one before is still stuck, none is missed
because the scheduler was held up) and brings a reading, phase after phase.
"""

from __future__ import annotations

import threading

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED

from appliance.sim.jkbms_gateway import JkGatewaySim
from appliance.sim.modbus_server import ModbusTcpSim
from appliance.sim.pylontech_console import PylontechConsoleSim
from tests.runtime.conftest import devices, wait_until

#: Readings each healthy device must bring in each phase before the next fault is set.
READINGS_PER_PHASE = 2
#: Only how long a phase may take before the test gives up (a healthy device that stopped): never asserted.
PHASE_LIMIT_S = 90


class Log:
    """What the process did, in the order it did it: readings and failed polls (from the live cache, in the
    pollers' threads), and poll jobs the scheduler skipped or missed."""

    def __init__(self, runtime) -> None:
        self.events: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        runtime.live.subscribe(lambda ctx, reading: self.note("reading", ctx.device_id),
                               lambda device_id, error: self.note("failure", device_id))
        runtime.scheduler.add_listener(self._job, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)

    def note(self, what: str, device_id: str) -> None:
        with self._lock:
            self.events.append((what, device_id))

    def _job(self, event) -> None:
        if event.job_id.startswith("poll:"):
            self.note("missed" if event.code == EVENT_JOB_MISSED else "skipped", event.job_id.removeprefix("poll:"))

    def since(self, mark: int) -> list[tuple[str, str]]:
        with self._lock:
            return self.events[mark:]

    def count(self, mark: int, what: str, device_id: str) -> int:
        return sum(1 for event in self.since(mark) if event == (what, device_id))


def _watch(runtime, healthy: list[str], faulty: list[str], phases: list[list[tuple[object, str | None]]]) -> None:
    """Set each phase's faults; the phase ends when every healthy device brought READINGS_PER_PHASE readings."""
    log = Log(runtime)
    for faults in phases:
        mark = len(log.since(0))
        for sim, fault in faults:
            sim.fault = fault

        def phase_done(mark: int = mark) -> bool:
            return all(log.count(mark, "reading", d) >= READINGS_PER_PHASE for d in healthy)

        wait_until(phase_done, PHASE_LIMIT_S)
        assert runtime.writer.alive and runtime.scheduler.running
    events = log.since(0)
    for device_id in healthy:
        troubles = [what for what, d in events if d == device_id and what != "reading"]
        assert troubles == [], (device_id, troubles)  # never failed, never skipped, never missed
    for device_id in faulty:
        assert ("failure", device_id) in events, f"{device_id} never failed: the faults were not applied"
    # Order: after a faulty device's first failure, every healthy device still read, every phase.
    first = min(events.index(("failure", d)) for d in faulty)
    for device_id in healthy:
        assert log.count(first, "reading", device_id) >= READINGS_PER_PHASE, device_id


def test_faulty_packs_never_delay_the_inverter_or_the_meter(demo) -> None:
    runtime, site = demo
    gateway = next(s for s in site._servers if isinstance(s, JkGatewaySim))
    console = next(s for s in site._servers if isinstance(s, PylontechConsoleSim))
    healthy = [d.device_id for d in devices() if d.kind in ("inverter", "meter")]
    packs = [d.device_id for d in devices() if d.kind == "battery_pack"]
    _watch(runtime, healthy, packs, [
        [(gateway, "timeout"), (console, "timeout")],
        [(gateway, "garbage"), (console, "garbage")],
        [(gateway, "truncated"), (console, "truncated")],
        [(gateway, "disconnect"), (console, "disconnect")],  # the console's pty vanishes mid-frame
    ])


def test_a_dead_inverter_never_delays_the_meter(demo) -> None:
    runtime, site = demo
    inverter, meter = (s for s in site._servers if isinstance(s, ModbusTcpSim))
    healthy = [d.device_id for d in devices() if d.kind == "meter"]
    dead = [d.device_id for d in devices() if d.kind == "inverter"]
    _watch(runtime, healthy, dead, [[(inverter, "timeout")], [(inverter, "truncated")], [(inverter, "disconnect")]])
    assert meter.fault is None
