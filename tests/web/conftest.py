"""Web fixtures: an app on the test database, logged-in clients, tokens, and stand-ins for service functions."""

from __future__ import annotations

import importlib
import re
import types
from typing import Any

import pytest

from appliance.accounts import passwords, tokens
from appliance.catalog import adapters, devices, systems
from appliance.web import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def alerts(db):
    """An alerts service on the test's database, as runtime.py builds it (no devices polled, no timer)."""
    from appliance.alerts.service import AlertsService

    service = AlertsService(None)
    service.engine.load(service.clock())
    return service


@pytest.fixture
def app(db, alerts):
    """The app on the test's database, with a test secret key, the alerts service and the storage watch as
    runtime.py builds them (a test that needs the dispatcher or discovery sets DISPATCHER or DISCOVERY)."""
    from appliance.energy.storage import StorageWatch

    return create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789abcdef", "ALERTS": alerts,
                       "STORAGE": StorageWatch()})


@pytest.fixture
def client(app):
    """A client with no session."""
    return app.test_client()


@pytest.fixture
def admin(db):
    """The admin password is set (first run is over)."""
    passwords.set_password(PASSWORD, PASSWORD)
    return PASSWORD


def csrf_from(html: bytes) -> str:
    """The CSRF token a page carries in its meta tag."""
    match = re.search(rb'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no csrf meta tag"
    return match.group(1).decode()


class Browser:
    """A logged-in test client that sends the CSRF token like the pages do."""

    def __init__(self, client: Any, csrf: str) -> None:
        self.client, self.csrf = client, csrf

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict | None = None, **kw: Any) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kw)

    def api(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        return self.client.open(path, method=method, json=body, headers=headers, **kw)


def log_in(client: Any, password: str = PASSWORD) -> Browser:
    """Log a client in through the login form."""
    csrf = csrf_from(client.get("/login").data)
    response = client.post("/login", data={"csrf_token": csrf, "password": password})
    assert response.status_code == 303, response.data
    return Browser(client, csrf_from(client.get("/settings").data))


@pytest.fixture
def browser(client, admin) -> Browser:
    """A logged-in session."""
    return log_in(client)


@pytest.fixture
def write_token(admin) -> str:
    return tokens.create_token("writer", "write")[0]


@pytest.fixture
def read_token(admin) -> str:
    return tokens.create_token("reader", "read")[0]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def site(db) -> dict[str, str]:
    """A small catalog: a system with an array, an inverter with an adapter, a battery array with a pack, a meter."""
    systems.create_system("home", "Home", timezone="Europe/Berlin")
    systems.create_array("roof", "home", "Roof")
    adapters.create_adapter("inv1_adapter", "powdrive", {"transport": "tcp", "host": "127.0.0.1"})
    devices.create_inverter("inv1", "roof", "Inverter 1", adapter_id="inv1_adapter")
    systems.create_battery_array("bank", "home", "Bank")
    devices.create_battery_pack("pack1", "bank", "Pack 1", batteries=2, cells_per_battery=4)
    devices.create_meter("grid", "home", "Grid meter", type="grid")
    return {"system": "home", "array": "roof", "inverter": "inv1", "pack": "pack1", "meter": "grid"}


def patch_functions(monkeypatch: Any, name: str, **functions: Any) -> types.ModuleType:
    """Replace some functions of a service module (the web imports them plainly) for one test."""
    module = importlib.import_module(name)
    for key, func in functions.items():
        monkeypatch.setattr(module, key, func)
    return module
