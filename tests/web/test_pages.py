"""Pages: not-available seams, live values and staleness, cells, maintenance, configuration forms, settings."""

from __future__ import annotations

import io
import sys

import pytest

from appliance.catalog import registry, systems
from tests.web.conftest import install_module

HISTORY, LIVE, INBOX = "appliance.energy.history", "appliance.acquisition.live", "appliance.discovery.inbox"


@pytest.fixture
def no_seams(monkeypatch):
    for name in (HISTORY, LIVE, INBOX):
        monkeypatch.setitem(sys.modules, name, None)


@pytest.mark.parametrize("path", ["/", "/dashboard/live", "/history", "/energy", "/discovery",
                                  "/devices/inverter:inv1"])
def test_pages_say_not_available_yet(browser, site, no_seams, path):
    response = browser.get(path)
    assert response.status_code == 200 and b"not available yet" in response.data


def test_dashboard_shows_values_and_staleness(browser, site, monkeypatch):
    flow = {"pv_w": 3200, "load_w": 900, "grid_w": -1500, "battery_w": -800, "soc_pct": 64, "ts": 1, "stale": False}
    install_module(monkeypatch, LIVE, power_flow=lambda s: flow)
    install_module(monkeypatch, HISTORY, today_totals=lambda s: {"pv_energy_kwh": 12.5, "autarky_pct": 80.0})
    html = browser.get("/dashboard/live").data.decode()
    assert "3\u202f200 W" in html and "export" in html and "charging" in html and "12.5 kWh" in html
    assert "stale" not in html
    flow["stale"] = True
    assert "stale: no fresh reading" in browser.get("/dashboard/live").data.decode()
    page = browser.get("/").data.decode()
    assert 'hx-get="/dashboard/live"' in page and 'hx-trigger="every 5s"' in page


def test_history_page_embeds_chart_data_and_csv_link(browser, site, monkeypatch):
    install_module(monkeypatch, HISTORY, series=lambda *a: [{"ts": 1000, "pv_power_w": 5, "pv_energy_kwh": 1.0}])
    html = browser.get("/history?level=inverter&id=inv1&range=day&date=2025-06-01").data.decode()
    assert 'data-chart="history-data"' in html and "pv_power_w" in html and "pv_energy_kwh" not in html
    assert "/api/export.csv?level=inverter&amp;id=inv1&amp;resolution=5m" in html
    assert '"timezone": "Europe/Berlin"' in html, "the chart's axis follows the system's time zone"


def test_energy_page_table(browser, site, monkeypatch):
    install_module(monkeypatch, HISTORY, daily_energy=lambda s, a, b: [{"date": a, "pv_energy_kwh": 7.25}],
                   monthly_energy=lambda s, y: [{"month": 1, "pv_energy_kwh": 100.0}])
    assert "7.25" in browser.get("/energy?view=daily&month=2025-06").data.decode()
    assert "100.00" in browser.get("/energy?view=monthly&year=2025").data.decode()


def test_battery_pack_page_draws_cells(browser, site, monkeypatch):
    reading = {"kind": "battery", "ts": 1, "stale": False, "soc_pct": 80,
               "batteries": [{"index": 1, "cell_voltages_v": [3.30, 3.35, 3.28, 3.31], "balancing": True}]}
    install_module(monkeypatch, LIVE, latest_reading=lambda d: reading)
    html = browser.get("/devices/battery_pack:pack1").data.decode()
    assert html.count('class="cell ') == 4 and 'class="cell max"' in html and 'class="cell min"' in html
    assert "70 mV" in html and "balancing" in html


def test_devices_list_and_maintenance(browser, site):
    html = browser.get("/devices").data.decode()
    assert "Inverter 1" in html and "configured" in html
    refused = browser.post("/devices/inverter:inv1/maintenance", {"on": "1", "reason": ""})
    assert refused.status_code == 400 and "a reason is required" in refused.data.decode()
    assert browser.post("/devices/inverter:inv1/maintenance", {"on": "1", "reason": "new fuse"}).status_code == 303
    assert registry.get_device("inverter:inv1")["maintenance_reason"] == "new fuse"
    assert browser.post("/devices/inverter:inv1/maintenance", {"on": "0"}).status_code == 303
    assert registry.get_device("inverter:inv1")["lifecycle_state"] == "active"
    assert browser.get("/devices/nope").status_code == 404


def test_create_array_shows_the_error_next_to_the_field(browser, site):
    bad = browser.post("/config/arrays/new", {"array_id": "bad id", "system_id": "home", "name": "Shed"})
    html = bad.data.decode()
    assert bad.status_code == 400 and 'id="error-array_id"' in html and 'value="Shed"' in html
    assert browser.post("/config/arrays/new", {"array_id": "shed", "system_id": "home", "name": "Shed"}
                        ).status_code == 303
    assert systems.get_array("shed")["name"] == "Shed"
    assert browser.post("/config/arrays/shed", {"name": "Shed 2"}).status_code == 303
    assert browser.post("/config/arrays/shed/delete").status_code == 303


def test_adapter_form_is_generated_from_the_schema(browser, site):
    fields = browser.get("/config/adapter-fields?adapter_type=jkbms_tcpip").data.decode()
    assert 'name="config.host"' in fields and 'name="config.protocol"' in fields
    bad = browser.post("/config/adapters/new", {"adapter_id": "jk", "adapter_type": "jkbms_tcpip",
                                                "config.port": "99999"})
    assert bad.status_code == 400 and 'id="error-config-' in bad.data.decode()
    good = browser.post("/config/adapters/new", {"adapter_id": "jk", "adapter_type": "jkbms_tcpip",
                                                 "config.host": "127.0.0.1", "config.port": "5022"})
    assert good.status_code == 303
    edit = browser.get("/config/adapters/jk").data.decode()
    assert 'value="127.0.0.1"' in edit


def test_pack_failover_order_and_group_members(browser, site):
    for name in ("p_a", "p_b"):
        browser.post("/config/adapters/new", {"adapter_id": name, "adapter_type": "pytes",
                                              "config.serial_port": f"/dev/{name}"})
        browser.post("/config/battery-packs/pack1/adapters", {"adapter_id": name})
    browser.post("/config/battery-packs/pack1/adapters/p_b/move", {"direction": "up"})
    html = browser.get("/config/battery-packs/pack1").data.decode()
    assert html.index("p_b (pytes)") < html.index("p_a (pytes)")
    browser.post("/config/device-groups/new", {"group_id": "g", "name": "G", "group_type": "control",
                                               "system_id": "home"})
    browser.post("/config/device-groups/g/members", {"device_id": "inverter:inv1", "role": "primary",
                                                     "priority": "1"})
    assert "primary, priority 1" in browser.get("/config/device-groups/g").data.decode()


def test_config_yaml_export_and_import(browser, site):
    exported = browser.get("/config/export")
    assert exported.mimetype == "application/yaml" and b"inv1" in exported.data
    text = exported.data.decode().replace("name: Roof", "name: Roof renamed")
    ok = browser.post("/config/import", {"file": (io.BytesIO(text.encode()), "config.yaml")},
                      content_type="multipart/form-data")
    assert ok.status_code == 200 and systems.get_array("roof")["name"] == "Roof renamed"
    bad = browser.post("/config/import", {"file": (io.BytesIO(b"home: [unclosed"), "config.yaml")},
                       content_type="multipart/form-data")
    assert bad.status_code == 400 and "config.yaml" in bad.data.decode()


def test_settings_tokens_retention_sync(browser):
    created = browser.post("/settings/tokens", {"name": "headend", "scope": "read"}).data.decode()
    assert 'id="new-token">apl_' in created
    assert 'id="new-token"' not in browser.get("/settings").data.decode()
    assert browser.post("/settings/tokens/headend/revoke").status_code == 303
    assert browser.post("/settings/retention", {"retention.raw_days": "0"}).status_code == 400
    assert browser.post("/settings/retention", {"retention.raw_days": "14"}).status_code == 200
    assert browser.post("/settings/sync", {"sync.url": "gopher://x", "sync.appliance_id": "pi"}).status_code == 400
    assert browser.post("/settings/sync", {"sync.url": "https://h.example", "sync.appliance_id": "pi",
                                           "sync.token": "tok-12345678"}).status_code == 200


def test_system_selector_scopes_pages(browser, site):
    systems.create_system("cabin", "Cabin", timezone="UTC")
    systems.create_array("cabin_roof", "cabin", "Cabin roof")
    browser.post("/system", {"system_id": "home"})
    page = browser.get("/config").data.decode()
    assert 'id="system-selector"' in page and "Cabin roof" not in page
    browser.post("/system", {"system_id": "cabin"})
    assert "Cabin roof" in browser.get("/config").data.decode()
