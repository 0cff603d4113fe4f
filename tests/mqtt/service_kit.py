"""An MQTT service on the test database with the collaborators runtime would hand it, kept small."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from appliance.drivers.base import Reading
from appliance.mqtt.config import parse_url
from appliance.mqtt.identity import identity_of
from appliance.mqtt.service import MqttService, Sources

FAST_LINK = {"backoff_min_s": 0.1, "backoff_max_s": 0.5}


@dataclass
class Home:
    """The catalog and energy figures the service reads; tests change them."""

    devices: list[dict[str, Any]] = field(default_factory=lambda: [
        {"device_id": "inverter:inv1", "kind": "inverter", "name": "Roof inverter", "hardware_id": "SN1",
         "device_type": "powdrive", "metadata": {}, "health_status": "online", "lifecycle_state": "active"}])
    totals: dict[str, Any] = field(default_factory=lambda: {"pv_energy_today_kwh": 1.5, "pv_energy_total_kwh": 10.0})
    #: Active alerts, as the alerts service would hand them over; None: no alerts service.
    alerts: list[dict[str, Any]] | None = None

    def sources(self, commands: Any = None) -> Sources:
        return Sources(devices=lambda: list(self.devices), health=None, systems=lambda: [("home", "Home")],
                       energy=lambda system_id: dict(self.totals),
                       appliance=lambda: {"problem": False, "health": "ok", "disk_free_mb": 1000},
                       commands=commands, alerts=(lambda: list(self.alerts or [])) if self.alerts is not None
                       else None)


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def service(url: str | None, home: Home, *, monotonic: Any = None, commands: Any = None,
            config: Any = None, link_options: dict[str, Any] | None = None) -> MqttService:
    """A started service publishing to `url` (None: MQTT off)."""
    stored = config if config is not None else (parse_url(url) if url else parse_url("mqtt://127.0.0.1:1"))
    if url is None and config is None:
        from dataclasses import replace

        stored = replace(stored, enabled=False)
    extra = {"monotonic": monotonic} if monotonic is not None else {}
    return MqttService(lambda: stored, identity_of("feedc0ffee12", name="Test appliance", role="test"),
                       home.sources(commands), link_options={**FAST_LINK, **(link_options or {})}, **extra).start()


def ctx(device_id: str = "inverter:inv1", kind: str = "inverter", interval: float = 5.0) -> Any:
    """What a poller hands the live cache about its device."""
    return SimpleNamespace(device_id=device_id, kind=kind, name="Roof inverter", system_id="home",
                           poll_interval_s=interval, adapters=[SimpleNamespace(adapter_type="powdrive")])


def reading(pv: float = 1200.0, ts: int = 1_780_000_000_000, **more: Any) -> Reading:
    """An inverter reading."""
    return Reading("inverter", {"pv_power_w": pv, "grid_power_w": -300, "pv_energy_total_kwh": 1234.5,
                                "battery_soc_pct": 55, "serial_number": "SN1", **more}, {}, ts)
