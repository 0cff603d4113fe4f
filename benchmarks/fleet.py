"""Disk writes against the number of Modbus devices polled: is it linear, and how much per device?

Run: .venv/bin/python benchmarks/fleet.py [--devices 10 98] [--minutes 120] [--flush-interval S]

For each size, the simulators run in this process (Powdrive inverters in arrays of up to 10, each on
a Modbus TCP server of its own on 127.0.0.1) and the appliance in a child process: its runtime with
the writer, rollups, health and sync bookkeeping, polling every inverter every 5 s, with no web UI and
no discovery source (nothing is scanned). All sizes run side by side in the same window (the bytes a
process writes do not depend on its neighbours; CPU shares do, on a small machine). After a warm-up of
one flush interval, write_bytes of each child's /proc/PID/io is measured over the window, two hours by
default: the two-hourly WAL checkpoint is then in it (see benchmarks/footprint.py). The lean baseline, in
the same run beside each appliance: a process storing the same number of readings (253-byte rows, one table keyed
(device, ts) WITHOUT ROWID, WAL, NORMAL) at the same commit interval, checkpointed as often as the appliance.
Target (issue 14): linear in devices, at most 2 KiB/s per device.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from footprint import cpu_s, io_of  # noqa: E402 - a sibling script

REPO = Path(__file__).resolve().parents[1]
PER_ARRAY = 10
CHILD = """
import sys, time, json
from pathlib import Path
from appliance.discovery.process import Sources
from appliance.discovery.sources import BleSource, StaticPortSource
from appliance.runtime import Runtime, RuntimeOptions
from appliance.settings import Settings
from appliance.catalog import adapters, devices, systems
db, ports, flush = Path(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
settings = Settings(data_dir=db.parent, db_path=db, config_file=db.parent / "none.yaml",
                    flush_interval_s=float(flush) if flush != "default" else None)
runtime = Runtime(settings, RuntimeOptions(web=False, discovery_interval_s=86400),
                  discovery_sources=Sources(usb=StaticPortSource([]), ble=BleSource(scanner=lambda: [])))
runtime.open()
systems.create_system("fleet", "Fleet", timezone="UTC")
for n, port in enumerate(ports):
    array = f"fleet_array{n // %d}"  # not array1..: the default catalog has an array1
    if n %% %d == 0:
        systems.create_array(array, "fleet", array)
    adapters.create_adapter(f"inv{n}_modbus", "powdrive", {"transport": "tcp", "host": "127.0.0.1", "port": port,
                                                            "unit_id": 1, "timeout_s": 2})
    devices.create_inverter(f"inv{n}", array, f"Inverter {n}", adapter_id=f"inv{n}_modbus")
runtime.start()
print("ready", flush=True)
runtime.run_forever(tick_s=3600)
""" % (PER_ARRAY, PER_ARRAY)


def start(count: int, flush: float | None, total_s: float, tmp: Path) -> dict[str, Any]:
    """Start `count` simulated inverters, the appliance polling them and its lean baseline."""
    from appliance.acquisition.writer import DEFAULT_FLUSH_INTERVAL_S
    from appliance.sim.powdrive import PowdriveSim

    run: dict[str, Any] = {"devices": count, "flush": flush or DEFAULT_FLUSH_INTERVAL_S, "tmp": tmp}
    run["servers"] = [PowdriveSim().tcp(1) for _ in range(count)]
    db = tmp / "fleet.db"
    ports = "[" + ",".join(str(s.port) for s in run["servers"]) + "]"
    run["errors"] = (tmp / "child.err").open("w")
    run["child"] = subprocess.Popen([sys.executable, "-c", CHILD, str(db), ports, f"{flush:g}" if flush else "default"],
                                    stdout=subprocess.PIPE, stderr=run["errors"], text=True, cwd=REPO)
    run["lean"] = subprocess.Popen([sys.executable, str(Path(__file__).resolve().parent / "footprint.py"),
                                    "--lean-logger", str(tmp / "lean.db"), "--flush-interval", f"{run['flush']:g}",
                                    "--seconds", str(total_s + 10), "--lean-devices", str(count)], cwd=REPO)
    return run


def wait_ready(run: dict[str, Any]) -> None:
    """Wait for the child's "ready" line; say why it did not start otherwise."""
    child = run["child"]
    assert child.stdout is not None
    if child.stdout.readline().strip() != "ready":
        raise SystemExit(f"the appliance with {run['devices']} devices did not start:\n"
                         + (run["tmp"] / "child.err").read_text()[-3000:])


def snapshot(run: dict[str, Any]) -> tuple[float, dict[str, int], dict[str, int], float]:
    """(time, the child's io, the lean's io, the child's CPU seconds)."""
    return time.monotonic(), io_of(run["child"].pid), io_of(run["lean"].pid), cpu_s(run["child"].pid) or 0.0


def stop(run: dict[str, Any]) -> None:
    """Stop the child, the lean baseline and the simulators."""
    for proc in (run["child"], run["lean"]):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in (run["child"], run["lean"]):
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for server in run["servers"]:
        server.stop()
    run["errors"].close()


def figures(run: dict[str, Any]) -> dict[str, float]:
    """Write rates and CPU share of the window."""
    begin, end = run["begin"], run["end"]
    window = end[0] - begin[0]
    ours = (end[1].get("write_bytes", 0) - begin[1].get("write_bytes", 0)) / window
    base = (end[2].get("write_bytes", 0) - begin[2].get("write_bytes", 0)) / window
    return {"devices": run["devices"], "write_bps": ours, "lean_bps": base, "window": window, "flush": run["flush"],
            "cpu_pct": 100 * (end[3] - begin[3]) / window}


def measure(sizes: list[int], minutes: float, flush: float | None) -> list[dict[str, float]]:
    """Run every size side by side; return their figures."""
    from appliance.acquisition.writer import DEFAULT_FLUSH_INTERVAL_S

    warmup = min(flush or DEFAULT_FLUSH_INTERVAL_S, 600) + 60
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="fleet-") as tmp:
        try:
            for n, count in enumerate(sizes):
                folder = Path(tmp) / f"size{n}"
                folder.mkdir()
                runs.append(start(count, flush, warmup + minutes * 60, folder))
            for run in runs:
                wait_ready(run)
            time.sleep(warmup)
            for run in runs:
                run["begin"] = snapshot(run)
            time.sleep(minutes * 60)
            for run in runs:
                run["end"] = snapshot(run)
        finally:
            for run in runs:
                stop(run)
    return [figures(run) for run in runs]


def main() -> None:
    """Print writes per device for each size."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--devices", type=int, nargs="+", default=[10, 98], help="fleet sizes (default 10 98)")
    parser.add_argument("--minutes", type=float, default=120.0, help="measured window (default 120)")
    parser.add_argument("--flush-interval", type=float, default=None, help="the writer's (default: its own)")
    args = parser.parse_args()
    if any(not 1 <= n <= 247 for n in args.devices) or not 0 < args.minutes <= 600:
        parser.error("--devices must be in 1..247 and --minutes in (0, 600]")
    rows = measure(args.devices, args.minutes, args.flush_interval)
    print(f"Powdrive inverters on Modbus TCP (127.0.0.1), polled every 5 s; flush interval {rows[0]['flush']:g} s; "
          f"{rows[0]['window'] / 60:.1f} minutes measured, every size side by side")
    for r in rows:
        per = r["write_bps"] / r["devices"] / 1024
        lean = f"{r['lean_bps'] / r['devices'] / 1024:.3f}" if r["lean_bps"] else "—"
        ratio = f"{r['write_bps'] / r['lean_bps']:.2f}" if r["lean_bps"] else "—"
        print(f"  {r['devices']:3d} devices: {r['write_bps'] / 1024:.2f} KiB/s = {r['write_bps'] * 86400 / 1e9:.3f} "
              f"GB/day, {per:.3f} KiB/s per device (target <= 2); lean baseline {lean} KiB/s per device "
              f"(appliance / lean {ratio}); appliance CPU {r['cpu_pct']:.1f} % of one core")
    if len(rows) > 1:
        first, last = rows[0], rows[-1]
        print(f"  per-device rate at {last['devices']} vs {first['devices']} devices: "
              f"{(last['write_bps'] / last['devices']) / (first['write_bps'] / first['devices']):.2f} "
              f"(1.0 = linear)")


if __name__ == "__main__":
    main()
