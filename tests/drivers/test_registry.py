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
