"""Unplugging a USB adapter (the console simulator's pty goes away) and plugging it back, without a restart."""

from __future__ import annotations

import json

from appliance.sim.pylontech_console import PylontechConsoleSim
from appliance.store.models import Adapter, BatteryPack, BatteryPackAdapter, RegistryDevice
from tests.runtime.conftest import devices, wait_until


def _health() -> dict[str, str]:
    return {d.device_id: d.health_status for d in devices()}


def test_unplugged_pack_goes_offline_and_comes_back_on_its_new_port(demo) -> None:
    runtime, site = demo
    console = next(s for s in site._servers if isinstance(s, PylontechConsoleSim))
    pack = next(d for d in devices() if d.device_id.startswith("battery_pack:") and "SIMPY" in d.device_id)
    others = [d.device_id for d in devices() if d.device_id != pack.device_id]
    old_path = console.path
    packs_before = BatteryPack.select().count()
    # The same bank (same serial numbers) on the port the adapter gets when plugged back in. Opened now,
    # before the old pty is freed, so the kernel cannot hand out the old path again; discovery does not
    # know it yet.
    replugged = PylontechConsoleSim(console.values).start()
    site._servers.append(replugged)
    assert replugged.path != old_path

    console.stop()  # closes the pty master: the port vanishes like a pulled adapter
    wait_until(lambda: _health()[pack.device_id] == "offline", 30)
    health = _health()
    assert all(health[d] == "online" for d in others), health

    runtime.discovery_sources.usb.set_ports([replugged.path])
    runtime.discover()

    wait_until(lambda: _health()[pack.device_id] == "online", 45)
    device = RegistryDevice.get_by_id(pack.device_id)
    assert device.catalog_id == pack.catalog_id and device.lifecycle_state == "active"
    assert RegistryDevice.select().count() == len(others) + 1
    assert BatteryPack.select().count() == packs_before
    ports = [json.loads(a.config_json).get("serial_port") for a in
             Adapter.select().join(BatteryPackAdapter).where(BatteryPackAdapter.pack == pack.catalog_id)]
    assert replugged.path in ports and old_path not in ports
    assert all(_health()[d] == "online" for d in others)
