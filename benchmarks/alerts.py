"""Print what the alerts cost: CPU per poll for the rules (against the baseline of what every poll already does:
turning the reading into sample rows), and bytes written to disk per alert change and per quiet evaluation
(/proc/self/io write_bytes, the SD card's wear).

Run: .venv/bin/python benchmarks/alerts.py [POLLS] [CHANGES]
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from appliance.acquisition.context import AdapterRef, DeviceContext
from appliance.acquisition.events import PollEvent
from appliance.acquisition.rows import rows_for
from appliance.alerts.engine import Observation
from appliance.alerts.service import AlertsService, Collaborators
from appliance.catalog import systems
from appliance.catalog.adapters import sync_adapter_types
from appliance.drivers.base import Reading
from appliance.sim.iammeter import THREE_PHASE
from appliance.sim.jkbms_render import DEFAULT_VALUES as JK
from appliance.store.db import open_database

START_MS = 1_780_000_000_000


def write_bytes() -> int:
    """Bytes this process has sent to the block layer so far."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    return 0


def _events(count: int) -> list[PollEvent]:
    """Polls of a meter and a 16-cell pack, with readings like the simulators'."""
    meter = DeviceContext("meter:grid", "meter", "grid", "Grid meter", "home", role="grid",
                          adapters=(AdapterRef("m", "iammeter", {}),))
    pack = DeviceContext("battery_pack:p1", "battery_pack", "p1", "JK pack", "home",
                         adapters=(AdapterRef("p", "jkbms_tcpip", {}),))
    meter_values = {"voltage_v": 230.1, "frequency_hz": 50.0, **{k: v for k, v in THREE_PHASE.items() if "." not in k}}
    out = []
    for i in range(count):
        ts = START_MS + i * 5000
        if i % 2:
            out.append(PollEvent(pack, ts, True, "p", 0, Reading("battery", dict(JK), {}, ts), 40))
        else:
            out.append(PollEvent(meter, ts, True, "m", 0, Reading("meter", dict(meter_values), {}, ts), 25))
    return out


def rules_cost(service: AlertsService, events: list[PollEvent]) -> tuple[float, float]:
    """Median µs per poll: the alert rules, and the sample rows the poller builds from the same reading."""
    def rows(event: PollEvent) -> Any:
        assert event.reading is not None
        return rows_for(event.ctx, event.ts_ms, event.reading, with_cells=True)

    timings: dict[str, list[float]] = {"rules": [], "baseline": []}
    for name, listener in (("baseline", rows), ("rules", service.on_poll), ("baseline", rows),
                           ("rules", service.on_poll)):
        for event in events:
            started = time.perf_counter()
            listener(event)
            timings[name].append((time.perf_counter() - started) * 1e6)
    return statistics.median(timings["rules"]), statistics.median(timings["baseline"])


def change_cost(service: AlertsService, changes: int) -> tuple[float, float]:
    """Bytes written per alert change (an open or a close: the record, its index and its sync feed entry)
    and per quiet timer run (nothing changed)."""
    start = write_bytes()
    now = START_MS + 10**9
    for n in range(changes // 2):
        subject = f"device:{n}"  # distinct subjects: each opens a record (no flap window reuse)
        service.engine.raise_event(Observation("watchdog_restart", subject, True, now, "bench"))
        service.engine.end("watchdog_restart", subject, now + 1)
    per_change = (write_bytes() - start) / max(1, changes)
    start = write_bytes()
    for _ in range(changes):
        service.tick()
    per_tick = (write_bytes() - start) / max(1, changes)
    return per_change, per_tick


def main(argv: list[str] | None = None) -> dict[str, float]:
    """Run the measurements and print them; returns the figures."""
    args = argv if argv is not None else sys.argv[1:]
    polls = int(args[0]) if args else 2000
    changes = int(args[1]) if len(args) > 1 else 200
    logging.getLogger("appliance.alerts").setLevel(logging.ERROR)  # one line per benchmark alert is noise
    with tempfile.TemporaryDirectory(dir=Path.cwd()) as folder:  # a real disk: tmpfs writes are not counted
        db = open_database(Path(folder) / "bench.db")
        sync_adapter_types()
        systems.create_system("home", "Home", timezone="UTC")
        service = AlertsService(None, Collaborators(clock_synchronised=lambda: True), clock=lambda: START_MS)
        service.engine.load(START_MS)
        rules_us, baseline_us = rules_cost(service, _events(polls))
        per_change, per_tick = change_cost(service, changes)
        db.close()
    figures = {"rules_us_per_poll": rules_us, "baseline_us_per_poll": baseline_us,
               "bytes_per_change": per_change, "bytes_per_quiet_tick": per_tick}
    print(f"alert rules per poll: median {rules_us:.1f} µs; the poll's own sample rows: {baseline_us:.1f} µs "
          f"(ratio {rules_us / max(baseline_us, 1e-9):.2f})")
    print(f"disk writes: {per_change:,.0f} bytes per alert change, {per_tick:,.0f} bytes per quiet evaluation")
    for label, transitions in (("a quiet day (2 changes)", 2), ("a bad day (50 changes)", 50)):
        print(f"  {label}: {transitions * per_change / 1024:,.1f} KiB a day; evaluations every 5 s: "
              f"{17_280 * per_tick / 1024:,.1f} KiB a day")
    return figures


if __name__ == "__main__":
    main()
