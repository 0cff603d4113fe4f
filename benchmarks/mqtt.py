"""Print MQTT publishing figures on 127.0.0.1: state messages per second and CPU per device poll for 10 and
100 simulated devices, against a bare paho publisher of the same JSON in the same run (the baseline).

A real Mosquitto (Debian's) listens on a free loopback port; `mosquitto_sub` counts what arrives. The
devices are half hybrid inverters, half 16-cell battery packs, with readings shaped like the demo's. The
appliance path is the whole service (throttle, entity check, JSON, outbox, link thread, QoS 1); the baseline
is json.dumps plus paho's publish with its own network thread, QoS 1.

Run: .venv/bin/python benchmarks/mqtt.py [--devices 10 100] [--rounds 20] [--runs 3]
"""

from __future__ import annotations

import argparse
import getpass
import json
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from appliance.drivers.base import Reading
from appliance.mqtt.config import parse_url
from appliance.mqtt.identity import identity_of
from appliance.mqtt.service import MqttService, Sources
from appliance.store.db import open_database

INTERVAL_S = 5.0
POLLS_PER_DAY = 86_400 / INTERVAL_S
INVERTER = {"pv_power_w": 4208, "pv_powers_w": [2314, 1894, 0, 0], "pv_voltages_v": [380.0, 372.0, 0.0, 0.0],
            "pv_currents_a": [6.1, 5.1, 0.0, 0.0], "load_power_w": 299, "grid_power_w": -120, "battery_power_w": -3909,
            "battery_voltage_v": 51.3, "battery_current_a": -76.2, "battery_soc_pct": 55, "battery_temperature_c": 25.0,
            "inverter_temperature_c": 38.5, "grid_voltage_v": 230.1, "grid_frequency_hz": 50.0, "state": "normal",
            **{f"{name}_{span}_kwh": value for name, value in (("pv_energy", 1200.0), ("load_energy", 1500.0),
                                                                 ("grid_import", 800.0), ("grid_export", 400.0),
                                                                 ("battery_charge", 300.0),
                                                                 ("battery_discharge", 270.0))
               for span in ("total", "today")}}
PACK = {"voltage_v": 52.52, "current_a": -29.77, "power_w": -1563.5, "soc_pct": 55, "soh_pct": 98,
        "remaining_ah": 22.1, "full_ah": 40.0, "cycles": 120,
        "cell_voltages_v": [round(3.278 + 0.001 * (n % 11), 3) for n in range(16)], "cell_min_v": 3.278,
        "cell_max_v": 3.288, "cell_delta_v": 0.01, "balancing": False, "charge_enabled": True,
        "discharge_enabled": True, "alarms": [], "model": "JK-PB2A16S20P", "serial_number": "SIMJK0000001"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_broker(folder: Path) -> tuple[subprocess.Popen, int]:
    """Mosquitto on a free loopback port, anonymous, no persistence."""
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(f"user {getpass.getuser()}\npersistence false\nlistener {port} 127.0.0.1\nallow_anonymous true\n"
                    "max_queued_messages 100000\n")
    proc = subprocess.Popen([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("mosquitto did not start (install.sh --dev installs it)")


def counter(port: int, topic: str, count: int) -> subprocess.Popen:
    """mosquitto_sub that exits after `count` messages on `topic`."""
    proc = subprocess.Popen([shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p",
                             str(port), "-t", topic, "-q", "1", "-C", str(count)], stdout=subprocess.DEVNULL)
    time.sleep(0.5)  # subscribed before the first message
    return proc


def devices(n: int) -> list[tuple[Any, Reading]]:
    """n simulated devices: (what a poller hands over, its reading)."""
    out = []
    for i in range(n):
        kind, values = ("inverter", INVERTER) if i % 2 == 0 else ("battery_pack", PACK)
        ctx = SimpleNamespace(device_id=f"{kind}:sim{i:03d}", kind=kind, name=f"Simulated {kind} {i}",
                              system_id="home", poll_interval_s=INTERVAL_S,
                              adapters=[SimpleNamespace(adapter_type="powdrive" if kind == "inverter" else "jkbms_tcpip")])
        out.append((ctx, Reading("inverter" if kind == "inverter" else "battery", dict(values), {}, 1_780_000_000_000)))
    return out


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def run_appliance(port: int, fleet: list[tuple[Any, Reading]], rounds: int) -> dict[str, float]:
    """The service: every device polled `rounds` times; messages/s, CPU and poller time per device poll."""
    clock = Clock()
    config = replace(parse_url(f"mqtt://127.0.0.1:{port}"), topic_base="bench/home",
                     queue_size=max(1000, len(fleet) * (rounds + 1)))
    sources = Sources(devices=lambda: [], health=None, systems=lambda: [("home", "Home")], energy=lambda s: {},
                      appliance=lambda: {})
    service = MqttService(lambda: config, identity_of("benchmark0001", role="bench"), sources,
                          monotonic=clock).start()
    try:
        while not (service.link and service.link.connected):
            time.sleep(0.02)
        warm = counter(port, "bench/home/+/state", len(fleet))
        for ctx, reading in fleet:  # first poll: discovery configs too (not counted)
            service.on_reading(ctx, reading)
        warm.wait(120)
        total = len(fleet) * rounds
        count = counter(port, "bench/home/+/state", total)
        calls = []
        began, cpu = time.perf_counter(), time.process_time()
        for _ in range(rounds):
            clock.now += INTERVAL_S
            for ctx, reading in fleet:
                t = time.perf_counter()
                service.on_reading(ctx, reading)
                calls.append(time.perf_counter() - t)
        count.wait(300)
        wall, used = time.perf_counter() - began, time.process_time() - cpu
    finally:
        service.stop()
    return {"rate": total / wall, "cpu_us": used / total * 1e6, "call_us": statistics.median(calls) * 1e6,
            "dropped": service.outbox.dropped}


def run_baseline(port: int, fleet: list[tuple[Any, Reading]], rounds: int) -> dict[str, float]:
    """json.dumps + paho publish (QoS 1, paho's own thread): the least any publisher of these readings pays."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-baseline")
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        total = len(fleet) * rounds
        count = counter(port, "base/home/+/state", total)
        began, cpu = time.perf_counter(), time.process_time()
        for _ in range(rounds):
            for ctx, reading in fleet:
                client.publish(f"base/home/{ctx.device_id}/state",
                               json.dumps({**reading.values, "ts": reading.ts_ms}, separators=(",", ":")), qos=1)
        count.wait(300)
        wall, used = time.perf_counter() - began, time.process_time() - cpu
    finally:
        client.loop_stop()
        client.disconnect()
    return {"rate": total / wall, "cpu_us": used / total * 1e6}


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--rounds", type=int, default=50, help="polls of every device per run")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "bench.db")
        broker, port = start_broker(Path(folder))
        try:
            print(f"{'devices':>7} {'msg/s':>9} {'baseline':>9} {'ratio':>6} {'CPU µs/poll':>12} {'baseline':>9} "
                  f"{'ratio':>6} {'poller µs':>9} {'CPU s/device/day':>17}")
            for n in args.devices:
                fleet = devices(n)
                ours = [run_appliance(port, fleet, args.rounds) for _ in range(args.runs)]
                base = [run_baseline(port, fleet, args.rounds) for _ in range(args.runs)]
                rate, base_rate = (statistics.median(r["rate"] for r in rows) for rows in (ours, base))
                cpu, base_cpu = (statistics.median(r["cpu_us"] for r in rows) for rows in (ours, base))
                call = statistics.median(r["call_us"] for r in ours)
                print(f"{n:>7} {rate:>9,.0f} {base_rate:>9,.0f} {rate / base_rate:>6.2f} {cpu:>12,.0f} "
                      f"{base_cpu:>9,.0f} {cpu / base_cpu:>6.2f} {call:>9,.0f} {cpu * POLLS_PER_DAY / 1e6:>17.2f}")
                if any(r["dropped"] for r in ours):
                    print(f"  note: {max(r['dropped'] for r in ours)} state messages dropped (queue full)")
            print(f"medians of {args.runs} runs of {args.rounds} polls per device; msg/s: state messages the "
                  "broker delivered per second; CPU µs/poll: this process's CPU per device poll (ours: throttle, "
                  "entities, JSON, outbox, link thread; baseline: json.dumps + paho); poller µs: median time a "
                  f"poller spends handing a reading over; CPU s/device/day at one poll every {INTERVAL_S:g} s")
        finally:
            broker.terminate()
            broker.wait(10)
            db.close()


if __name__ == "__main__":
    main()
