"""The demo home: every simulator on 127.0.0.1 or a pty, all driven by one site model."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from appliance.drivers.transports.ble import Advertisement
from appliance.sim.iammeter import THREE_PHASE, IamMeterSim
from appliance.sim.jkbms_ble import FakeBleLink
from appliance.sim.jkbms_gateway import JkGatewaySim
from appliance.sim.powdrive import PowdriveSim
from appliance.sim.pylontech_console import PylontechConsoleSim
from appliance.sim.site import SiteModel

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
JK_BLE_ADDRESS = "C8:47:8C:00:00:01"
JK_SERIAL = "SIMJK0000001"


@dataclass
class DemoSite:
    """Starts and stops the demo's simulated devices; tells discovery where they are."""

    site: SiteModel
    tcp_endpoints: list[tuple[str, int]] = field(default_factory=list)
    serial_ports: list[str] = field(default_factory=list)
    ble_advertisements: list[Advertisement] = field(default_factory=list)
    _servers: list[Any] = field(default_factory=list)

    @classmethod
    def start(cls, site: SiteModel) -> "DemoSite":
        """Start the inverter, grid meter, Pylontech bank and JK pack (TCP gateway and BLE)."""
        demo = cls(site)
        inverter = PowdriveSim(lambda: {**site.inverter_values(), "serial_number": "SIMPD00001"})
        # The home's battery obeys the inverter's settings: a dispatch that rewrites them moves the battery.
        site.controls = inverter.controls
        # The simulator's own defaults carry identity registers (model code); the site drives the rest.
        meter = IamMeterSim(lambda: {**THREE_PHASE, **site.meter_values(), "serial_number": "SIMIAM0001"})
        for sim in (inverter, meter):
            server = sim.tcp(1)
            demo._servers.append(server)
            demo.tcp_endpoints.append((HOST, server.port))
        jk_values = demo.jk_values
        gateway = JkGatewaySim(jk_values).start()
        demo._servers.append(gateway)
        demo.tcp_endpoints.append((HOST, gateway.port))
        bank = PylontechConsoleSim(lambda: site.battery_values(share=0.6, units=2, cells=15,
                                                               serial_prefix="SIMPY"))
        bank.start()
        demo._servers.append(bank)
        demo.serial_ports.append(bank.path)
        demo.ble_advertisements.append(Advertisement(JK_BLE_ADDRESS, "JK-SIM-PACK", -60, ()))
        log.info("demo devices: tcp %s, serial %s, ble %s", demo.tcp_endpoints, demo.serial_ports, JK_BLE_ADDRESS)
        return demo

    def jk_values(self) -> dict[str, Any]:
        """The JK pack's view: 40 % of the site battery, one 16-cell unit."""
        values = self.site.battery_values(share=0.4, units=1, cells=16, serial_prefix="SIMJK")
        values.update(serial_number=JK_SERIAL, model="JK-PB2A16S20P")
        values.pop("batteries", None)
        return values

    def ble_link_factory(self) -> Callable[[str, float], Any]:
        """Links for the simulated BLE pack, split at random boundaries with junk between frames."""
        def factory(address: str, timeout: float) -> FakeBleLink:
            return FakeBleLink(self.jk_values, address=address)
        return factory

    def ble_scanner(self) -> Callable[[], list[Advertisement]]:
        """A scanner that 'hears' the simulated pack's advertisement."""
        return lambda: list(self.ble_advertisements)

    def stop(self) -> None:
        """Stop every simulator."""
        for server in self._servers:
            try:
                server.stop()
            except OSError as exc:
                log.debug("stopping %r: %s", server, exc)
        self._servers.clear()

