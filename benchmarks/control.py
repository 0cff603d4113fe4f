"""Print what a Deye control write costs on the bus against the simulator: Modbus TCP on 127.0.0.1 and RTU on a
pty at the inverter's 9600 baud. Medians of: a full telemetry poll (the baseline), a settings read, a one-setting
change cycle (read, FC16 write, read back) and a setpoint cycle (read, the writes of a -2 kW setpoint from the
owner's program, read back); ratios against the poll, and the FC16 requests each makes (what the budget counts)."""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any, Callable

from appliance.drivers.modbus.control import SetpointContext
from appliance.drivers.modbus.settings import decode_program
from appliance.drivers.modbus.settings_edit import apply_changes, plan_writes
from appliance.drivers.powdrive import PowdriveDriver
from appliance.drivers.transports.modbus import RtuBus, TcpBus
from appliance.sim.powdrive import PowdriveSim

RUNS = 15


def _median_ms(action: Callable[[], Any], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def measure(transport: str, runs: int = RUNS) -> dict[str, float]:
    """Median ms of a poll, a settings read, a change cycle and a setpoint cycle; FC16 requests of each."""
    sim = PowdriveSim()
    server = sim.tcp() if transport == "tcp" else sim.rtu()
    bus: Any = (TcpBus("127.0.0.1", server.port, timeout_s=2.0) if transport == "tcp"
                else RtuBus(server.path, baudrate=9600, timeout_s=2.0))
    try:
        driver = PowdriveDriver({"profile": "three_phase_lv"}, bus.unit(1))
        smap = driver.settings_map()
        owner = driver.read_settings()
        toggle = [5000, 6000]

        def change() -> int:
            current = driver.read_settings()
            toggle.reverse()
            target, _ = apply_changes(smap, current, {"export_limit_w": toggle[0]})
            writes = plan_writes(smap, current, target)
            driver.write_settings(writes)
            driver.read_settings()
            return len(writes)

        power = [-2000.0, 0.0]

        def setpoint() -> int:
            current = driver.read_settings()
            power.reverse()
            changes = driver.setpoint_changes(decode_program(smap, owner), power[0], SetpointContext(51.2, 10))
            target, _ = apply_changes(smap, owner, changes)
            writes = plan_writes(smap, current, target)
            driver.write_settings(writes)
            driver.read_settings()
            return len(writes)

        driver.read()
        figures = {"poll_ms": _median_ms(driver.read, runs), "settings_read_ms": _median_ms(driver.read_settings, runs),
                   "change_ms": _median_ms(change, runs), "setpoint_ms": _median_ms(setpoint, runs)}
        before = sim.image.writes
        change()
        figures["change_writes"] = sim.image.writes - before
        before = sim.image.writes
        setpoint()
        figures["setpoint_writes"] = sim.image.writes - before
        return figures
    finally:
        bus.close()
        server.stop()


def main(runs: int = RUNS) -> None:
    """Print one line per transport."""
    print(f"{'transport':<10} {'poll':>8} {'settings':>9} {'change':>8} {'x poll':>7} {'setpoint':>9} {'x poll':>7} "
          f"{'writes':>7}")
    for transport in ("tcp", "rtu"):
        f = measure(transport, runs)
        print(f"{transport:<10} {f['poll_ms']:>8.1f} {f['settings_read_ms']:>9.1f} {f['change_ms']:>8.1f} "
              f"{f['change_ms'] / f['poll_ms']:>7.2f} {f['setpoint_ms']:>9.1f} {f['setpoint_ms'] / f['poll_ms']:>7.2f} "
              f"{int(f['change_writes'])}/{int(f['setpoint_writes']):<5}")
    print(f"(median ms of {runs} runs; Modbus TCP on 127.0.0.1, RTU on a pty at 9600 baud; writes: FC16 requests "
          "of one change / one setpoint, what the daily budget counts)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else RUNS)
