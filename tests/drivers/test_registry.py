"""The driver registry declares every adapter type with a real JSON schema; adapter_base mirrors it."""

from __future__ import annotations

import inspect
import json
import pkgutil

import jsonschema
import pytest

import appliance.drivers as drivers_pkg
from appliance.catalog.adapters import list_adapter_types
from appliance.drivers import DRIVERS, driver_for
from appliance.drivers.base import CATEGORIES, Driver
from appliance.errors import NotFoundError

DOCUMENT_TYPES = {"powdrive", "senergy", "pytes", "jkbms_tcpip", "jkbms_ble", "iammeter"}
OUR_TYPES = {"pylontech_rs485", "jkbms_rs485", "acuvim2", "powerpack", "sunspec", "modbus_template"}
MINIMAL = {"rtu": {"transport": "rtu", "serial_port": "/dev/ttyUSB0"}, "tcp": {"transport": "tcp", "host": "127.0.0.1"},
           "serial": {"serial_port": "/dev/ttyUSB0"}, "tcpip": {"host": "127.0.0.1"},
           "ble": {"bt_addresses": ["C8:47:80:1A:1F:04"]}}
#: What an adapter type requires beyond its transport.
REQUIRED = {"modbus_template": {"template": {"type": "meter", "default_config": {"registers": {"power": 10}}}}}


def test_every_adapter_type_is_registered():
    assert {d.adapter_type for d in DRIVERS} == DOCUMENT_TYPES | OUR_TYPES
    assert len(DRIVERS) == len({d.adapter_type for d in DRIVERS})


def test_every_driver_module_is_registered():
    helpers = {"base", "links", "schemas", "transports", "modbus"}
    modules = {m.name for m in pkgutil.iter_modules(drivers_pkg.__path__)}
    registered = {d.__module__.rsplit(".", 1)[1] for d in DRIVERS}
    unregistered = {m for m in modules - registered - helpers
                    if any(isinstance(v, type) and issubclass(v, Driver) and not inspect.isabstract(v)
                           and "adapter_type" in vars(v)
                           for v in vars(__import__(f"appliance.drivers.{m}", fromlist=["_"])).values())}
    assert not unregistered


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.adapter_type)
def test_declarations_are_real(driver):
    assert driver.category in CATEGORIES
    assert driver.name and driver.description and driver.transports
    jsonschema.Draft202012Validator.check_schema(driver.config_schema)
    validator = jsonschema.Draft202012Validator(driver.config_schema)
    for transport in driver.transports:
        config = {"type": driver.adapter_type, **driver.default_config, **MINIMAL[transport],
                  **REQUIRED.get(driver.adapter_type, {})}
        assert not list(validator.iter_errors(config)), (transport, config)
    assert list(validator.iter_errors({"type": driver.adapter_type, "nonsense": 1}))


def test_unknown_type():
    with pytest.raises(NotFoundError):
        driver_for("toaster")


def test_adapter_base_is_filled_at_start_up(db):
    rows = {r["adapter_type"]: r for r in list_adapter_types()}
    assert set(rows) == DOCUMENT_TYPES | OUR_TYPES
    powdrive = rows["powdrive"]
    assert powdrive["device_category"] == "inverter" and powdrive["supported_transports"] == ["rtu", "tcp"]
    assert powdrive["config_schema"] == json.loads(json.dumps(driver_for("powdrive").config_schema))
    assert rows["jkbms_ble"]["supported_transports"] == ["ble"]


#: The simulator module of each adapter type (DESIGN.md section 10: every driver has one).
SIMULATORS = {"powdrive": "powdrive", "senergy": "senergy", "sunspec": "sunspec", "iammeter": "iammeter",
              "acuvim2": "acuvim2", "powerpack": "powerpack", "modbus_template": "powerpack",
              "pytes": "pylontech_console", "pylontech_rs485": "pylontech_rs485", "jkbms_tcpip": "jkbms_gateway",
              "jkbms_rs485": "jkbms_gateway", "jkbms_ble": "jkbms_ble"}
#: The protocols of the shared vectors (../shared/vectors, copied to tests/drivers/vectors) each type decodes.
VECTOR_PROTOCOLS = {"powdrive": {"modbus_deye"}, "senergy": {"modbus_senergy"}, "sunspec": {"sunspec"},
                    "acuvim2": {"modbus_acuvim2"}, "pytes": {"pylontech_console_text"},
                    "pylontech_rs485": {"pylontech_rs485_ascii"},
                    "jkbms_tcpip": {"jk_55aa_JK02_32S", "jk_4e57", "jk_pb_rs485_modbus"},
                    "jkbms_rs485": {"jk_55aa_JK02_32S", "jk_4e57", "jk_pb_rs485_modbus"},
                    "jkbms_ble": {"jk_55aa_JK02_24S", "jk_55aa_JK02_32S", "jk_55aa_JK04", "jk_ble_command"}}
#: Types the shared vectors do not cover, and why: their tests decode their simulator's registers instead.
NO_SHARED_VECTORS = {"iammeter": "the fact sheet's IAMMeter rows cite code, no recorded register dump",
                     "powerpack": "a fictional register template (protocols/modbus.md section 6)",
                     "modbus_template": "registers come from the owner's template"}


@pytest.mark.parametrize("driver", DRIVERS, ids=lambda d: d.adapter_type)
def test_every_driver_has_a_simulator_and_vectors(driver):
    import importlib
    from pathlib import Path

    importlib.import_module(f"appliance.sim.{SIMULATORS[driver.adapter_type]}")
    if driver.adapter_type in NO_SHARED_VECTORS:
        return
    vectors = Path(__file__).parent / "vectors"
    protocols = {v.get("protocol") for name in ("modbus.json", "bms.json")
                 for v in json.loads((vectors / name).read_text())}
    assert VECTOR_PROTOCOLS[driver.adapter_type] <= protocols
    assert set(SIMULATORS) == {d.adapter_type for d in DRIVERS}
    assert set(VECTOR_PROTOCOLS) | set(NO_SHARED_VECTORS) == {d.adapter_type for d in DRIVERS}
