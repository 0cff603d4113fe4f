"""Control fixtures: a site of PowerPack battery packs, a controllable clock, live SOC readings, the API app."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from appliance.accounts import tokens
from appliance.acquisition import live
from appliance.acquisition.context import load
from appliance.acquisition.live import LiveCache
from appliance.catalog import adapters, devices, systems
from appliance.control.delivery import Dispatcher
from appliance.drivers.base import Reading
from appliance.drivers.connect import LinkPool
from appliance.store.models import RegistryDevice

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


class Clock:
    """Epoch milliseconds that only move when a test says so."""

    def __init__(self, start: int = T0) -> None:
        self.now = start

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: float) -> int:
        self.now += int(seconds * 1000)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def home(db) -> str:
    """A system with one battery array, no packs yet."""
    systems.create_system("home", "Home", timezone="Europe/Berlin")
    systems.create_array("roof", "home", "Roof")
    systems.create_battery_array("bank", "home", "Bank")
    return "home"


def add_pack(pack_id: str, *, discharge_kw: float | None, charge_kw: float | None, port: int = 1,
             adapter_kw: float | None = None, reserve: float | None = None, health: str = "online",
             adapter_type: str = "powerpack", battery_array: str = "bank") -> str:
    """A battery pack on one adapter (a PowerPack BESS by default); returns its registry id (asset id)."""
    limits = {k: v for k, v in (("max_discharge_kw", discharge_kw), ("max_charge_kw", charge_kw),
                                ("soc_reserve_pct", reserve)) if v is not None}
    devices.create_battery_pack(pack_id, battery_array, f"Pack {pack_id}", **limits)
    if adapter_type == "powerpack":
        config: dict[str, Any] = {"transport": "tcp", "host": "127.0.0.1", "port": port, "unit_id": 1,
                                  "timeout_s": 1.0}
        if adapter_kw is not None:
            config.update(max_discharge_kw=adapter_kw, max_charge_kw=adapter_kw)
    else:
        config = {"serial_port": "/dev/null-test"}
    adapters.create_adapter(f"{pack_id}_adapter", adapter_type, config)
    adapters.link_pack_adapter(pack_id, f"{pack_id}_adapter")
    asset_id = f"battery_pack:{pack_id}"
    set_health(asset_id, health)
    return asset_id


def set_health(asset_id: str, health: str) -> None:
    """Set what the pollers would have found out about a device."""
    lifecycle = "maintenance" if health == "maintenance" else "active"
    RegistryDevice.update(health_status=health, lifecycle_state=lifecycle).where(
        RegistryDevice.device_id == asset_id).execute()


@pytest.fixture
def live_cache(clock):
    """An installed live cache; `soc(asset_id, pct)` gives a device a fresh reading with that SOC."""
    cache = LiveCache(clock=clock)
    live.install(cache)

    def soc(asset_id: str, pct: float) -> None:
        ctx = load(RegistryDevice.get_by_id(asset_id))
        cache.update(ctx, Reading(kind="bess", values={"soe_pct": pct, "power_w": 0.0}, ts_ms=clock()))

    cache.soc = soc  # type: ignore[attr-defined]
    yield cache
    live.install(None)


@pytest.fixture
def dispatcher(clock):
    """A dispatcher as runtime.py builds it (on the pollers' pool, here one of its own) with the test clock."""
    pool = LinkPool()
    yield Dispatcher(pool, clock=clock, min_interval_s=10)
    pool.close_all()


@pytest.fixture
def app(db, dispatcher):
    """The web app with the fleet blueprint registered, handed the dispatcher as runtime.py hands it."""
    from appliance.web import create_app
    from appliance.web.api_fleet import register_blueprint

    flask_app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789abcdef",
                            "DISPATCHER": dispatcher})
    register_blueprint(flask_app)
    return flask_app


@pytest.fixture
def tokens_by_scope(app) -> dict[str, str]:
    return {scope: tokens.create_token(f"t-{scope}", scope)[0] for scope in ("read", "write", "sync")}


@pytest.fixture
def api(app, tokens_by_scope) -> Callable[..., Any]:
    """Call the API with a bearer token (write unless `scope=` says otherwise)."""
    client = app.test_client()

    def call(method: str, path: str, body: Any = None, *, scope: str = "write", **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {tokens_by_scope[scope]}", **kw.pop("headers", {})}
        if body is not None and "data" not in kw:
            kw["json"] = body
        return client.open(path, method=method, headers=headers, **kw)

    return call
