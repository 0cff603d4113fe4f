"""Device knowledge: one driver class per adapter type, registered in DRIVERS."""

from __future__ import annotations

from appliance.drivers.acuvim2 import AcuvimDriver
from appliance.drivers.base import Driver
from appliance.drivers.iammeter import IamMeterDriver
from appliance.drivers.jkbms_ble import JkBmsBleDriver
from appliance.drivers.jkbms_rs485 import JkBmsRs485Driver
from appliance.drivers.jkbms_tcpip import JkBmsTcpIpDriver
from appliance.drivers.modbus_template import ModbusTemplateDriver
from appliance.drivers.powdrive import PowdriveDriver
from appliance.drivers.powerpack import PowerPackDriver
from appliance.drivers.pylontech_rs485 import PylontechRs485Driver
from appliance.drivers.pytes import PytesDriver
from appliance.drivers.senergy import SenergyDriver
from appliance.drivers.sunspec import SunSpecDriver
from appliance.errors import NotFoundError

#: Every driver the appliance ships, in discovery probe order within a category.
DRIVERS: tuple[type[Driver], ...] = (
    SunSpecDriver,
    PowdriveDriver,
    SenergyDriver,
    IamMeterDriver,
    AcuvimDriver,
    PowerPackDriver,
    PytesDriver,
    PylontechRs485Driver,
    JkBmsTcpIpDriver,
    JkBmsRs485Driver,
    JkBmsBleDriver,
    ModbusTemplateDriver,
)

_BY_TYPE = {driver.adapter_type: driver for driver in DRIVERS}


def driver_for(adapter_type: str) -> type[Driver]:
    """The driver class registered for an adapter type."""
    try:
        return _BY_TYPE[adapter_type]
    except KeyError:
        raise NotFoundError(f"unknown adapter type {adapter_type!r}", field="adapter_type") from None


def adapter_types() -> tuple[str, ...]:
    """Every registered adapter type, in registry order."""
    return tuple(_BY_TYPE)
