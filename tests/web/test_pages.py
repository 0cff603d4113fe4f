"""Pages: the power-flow diagram and staleness, energy bars, history, cells, device words, configuration forms."""

from __future__ import annotations

import io
import re

import pytest

from appliance.catalog import registry, systems
from appliance.store.models import database
from tests.web.conftest import patch_functions

HISTORY, LIVE = "appliance.energy.history", "appliance.acquisition.live"
LITERALS = re.compile(r">\s*(None|True|False|\[\]|\{\})\s*<")
#: 2025-06-10 00:00 in Europe/Berlin (the site's zone): the hour rows below are that day's.
DAY_MS = 1749506400000


def flow(**changes):
    base = {"pv_w": 3200.0, "load_w": 900.0, "grid_w": -1500.0, "battery_w": -800.0, "soc_pct": 64.0, "ts": 1,
            "stale": False, "devices": 3}
    return {**base, **changes}


def test_dashboard_says_export_in_words_and_draws_it_away_from_home(browser, site, monkeypatch):
    patch_functions(monkeypatch, LIVE, power_flow=lambda s: flow())
    patch_functions(monkeypatch, HISTORY, today_totals=lambda s: {"pv_energy_kwh": 12.5, "autarky_pct": 80.0})
    html = browser.get("/dashboard/live").data.decode()
    assert "exporting" in html and "charging" in html and "3.2 kW" in html and "12.5 kWh" in html
    assert "-1" not in re.sub(r"<[^>]+>", " ", html).replace("−", "-").split("Updated")[0], "no minus signs"
    assert re.search(r'id="line-grid" data-direction="out"', html), "export flows from the home to the grid"
    assert re.search(r'id="line-battery" data-direction="out"', html), "charging flows into the battery"
    assert re.search(r'id="line-pv" data-direction="in"', html)
    assert "80 %" in html and "stale" not in html
    page = browser.get("/").data.decode()
    assert 'hx-get="/dashboard/live"' in page and 'hx-trigger="every 5s"' in page


def test_dashboard_import_and_discharge(browser, site, monkeypatch):
    patch_functions(monkeypatch, LIVE, power_flow=lambda s: flow(pv_w=0.0, grid_w=2300.0, battery_w=1100.0))
    html = browser.get("/dashboard/live").data.decode()
    assert "importing" in html and "discharging" in html and "2.3 kW" in html
    assert re.search(r'id="line-grid" data-direction="in"', html) and 'id="line-battery" data-direction="in"' in html
    assert re.search(r'id="line-pv" data-direction="idle"', html)


def test_dashboard_draws_stale_parts_with_their_age(browser, site, monkeypatch):
    parts = {"pv": {"w": 500.0, "ts": 1, "stale": False}, "load": {"w": 400.0, "ts": 1, "stale": False},
             "grid": {"w": None, "ts": 1_000, "stale": True}, "battery": {"w": -100.0, "ts": 1, "stale": False}}
    patch_functions(monkeypatch, LIVE, power_flow=lambda s: flow(stale=True, parts=parts))
    html = browser.get("/dashboard/live").data.decode()
    assert 'class="node grid stale"' in html and "no reading · " in html and "days ago" in html
    assert 'id="line-grid" data-direction="idle"' in html


def test_dashboard_with_one_node_per_array_and_pack(browser, site, monkeypatch):
    arrays = [{"id": "a", "name": "East", "w": 1200.0, "ts": 1, "stale": False},
              {"id": "b", "name": "West roof garage", "w": 0.0, "ts": 1, "stale": False}]
    packs = [{"id": "p1", "name": "Pack 1", "w": -300.0, "soc_pct": 40.0, "ts": 1, "stale": False},
             {"id": "p2", "name": "Pack 2", "w": 250.0, "soc_pct": 90.0, "ts": 1, "stale": False}]
    patch_functions(monkeypatch, LIVE, power_flow=lambda s: flow(arrays=arrays, packs=packs))
    html = browser.get("/dashboard/live").data.decode()
    for node in ("node-pv-a", "node-pv-b", "node-battery-p1", "node-battery-p2"):
        assert f'id="{node}"' in html
    assert 'id="line-battery-p1" data-direction="out"' in html and 'id="line-battery-p2" data-direction="in"' in html
    assert "West ro…" in html and "West roof garage" not in html.split("<title")[0], "a long name fits its circle"


def _energy_rows(hours: int = 24) -> None:
    conn = database.connection()
    conn.execute("BEGIN")
    for h in range(hours):
        conn.execute("INSERT INTO system_hourly_energy (system_id, date, hour_start, solar_energy_kwh, "
                     "load_energy_kwh, grid_import_energy_kwh, grid_export_energy_kwh, battery_charge_energy_kwh, "
                     "battery_discharge_energy_kwh) VALUES ('home', '2025-06-10', ?, ?, 0.5, 0.25, ?, 0.1, 0.2)",
                     (DAY_MS + h * 3_600_000, 1.0 if 6 <= h < 18 else 0.0, 0.5 if 10 <= h < 14 else 0.0))
    conn.execute("INSERT INTO system_daily_summary (date, system_id, day_of_year, year, pv_energy_kwh, "
                 "load_energy_kwh, grid_energy_imported_kwh, grid_energy_exported_kwh) "
                 "VALUES ('2025-06-10', 'home', 161, 2025, 12.0, 12.0, 6.0, 2.0)")
    for minute in (600, 605):
        conn.execute("INSERT INTO system_5m (system_id, bucket_start, avg_solar_power_w, avg_load_power_w) "
                     "VALUES ('home', ?, 2000.0, 500.0)", (DAY_MS + minute * 60_000,))
    conn.execute("COMMIT")


@pytest.mark.parametrize("period,bars", [("day", 24), ("week", 7), ("month", 30), ("year", 12)])
def test_energy_bars_for_each_period(browser, site, period, bars):
    _energy_rows()
    html = browser.get(f"/energy?period={period}&date=2025-06-10").data.decode()
    assert 'data-chart="chart-solar-data"' in html and 'data-chart="chart-grid-data"' in html
    spec = re.search(r'<script type="application/json" id="chart-solar-data">(.*?)</script>', html, re.S).group(1)
    import json
    chart = json.loads(spec)
    assert len(chart["x"]) == bars and [s["label"] for s in chart["series"]] == ["Solar", "Consumption"]
    assert sum(v for v in chart["series"][0]["values"] if v) == pytest.approx(12.0)
    grid = json.loads(re.search(r'id="chart-grid-data">(.*?)</script>', html, re.S).group(1))
    assert min(v for v in grid["series"][1]["values"] if v is not None) < 0, "export is drawn below the axis"
    table = html[html.index('id="energy-table"'):]
    assert "Solar (kWh)" in table and "pv_energy_kwh" not in table and "12.00" in table
    assert not LITERALS.search(html) and "None" not in re.sub(r"<script.*?</script>", "", html, flags=re.S)
    if period == "day":
        assert chart["lines"]["series"][0]["values"] == [2.0, 2.0], "the day view draws kW lines over the bars"


def test_energy_page_shows_a_dash_for_missing_days_and_a_total(browser, site):
    _energy_rows(hours=0)
    html = browser.get("/energy?period=week&date=2025-06-12").data.decode()
    table = html[html.index('id="energy-table"'):]
    assert table.count("—") >= 6 * 6 and "Total" in table and "12.00" in table


def test_history_level_change_needs_one_press(browser, site, monkeypatch):
    seen = []
    patch_functions(monkeypatch, HISTORY, series=lambda *a: seen.append(a) or [])
    # The form still carries the old level's id: the new level's first entity is shown, not an error.
    response = browser.get("/history?level=inverter&id=home&period=day&date=2025-06-01")
    assert response.status_code == 200 and seen[-1][:2] == ("inverter", "inv1")


def test_history_week_is_the_last_seven_days_and_labels_are_words(browser, site, monkeypatch):
    seen = []
    rows = [{"ts": DAY_MS, "pv_power_w": 1500.0, "soc_pct": 50.0, "pv_energy_kwh": 1.0}]
    patch_functions(monkeypatch, HISTORY, series=lambda *a: seen.append(a) or rows)
    html = browser.get("/history?level=system&id=home&period=week&date=2025-06-09").data.decode()  # a Monday
    _, _, resolution, start, end = seen[-1]
    assert (end - start) == 7 * 86_400_000 and resolution == "1h"
    assert '"label": "Solar kW"' in html and '"pv_power_w"' in html and "1.5" in html
    assert '"timezone": "Europe/Berlin"' in html
    year = browser.get("/history?level=system&id=home&period=year&date=2025-06-09").data.decode()
    assert '"unit": "kWh"' in year and '"title": "Energy per day"' in year


def test_device_page_speaks_words_not_keys(browser, site, monkeypatch):
    reading = {"kind": "battery", "ts": 1, "stale": False, "soc_pct": 87.0, "voltage_v": 52.43, "power_w": -1100.0,
               "balancing": False, "charge_enabled": True, "alarms": [], "details": {"mos_temperature_c": 31.0},
               "serial_number": "SN1", "batteries": [{"index": 1, "voltage_v": 52.4, "soc_pct": 87.0,
                                                      "cell_voltages_v": [3.301, 3.305, 3.298, 3.31]}]}
    patch_functions(monkeypatch, LIVE, latest_reading=lambda d: reading)
    html = browser.get("/devices/battery_pack:pack1").data.decode()
    for text in ("Battery voltage", "52.4 V", "SOC", "87 %", "charging 1.1 kW", "not balancing", "allowed",
                 "no alarms", "MOSFET temperature", "31.0 °C"):
        assert text in html, text
    visible = re.sub(r"<[^>]+>", " ", html)
    for raw in ("voltage_v", "soc_pct", "power_w", "charge_enabled", "mos_temperature_c", "None", "False", "[]"):
        assert raw not in visible, raw


def test_cell_chart_is_zoomed_numbered_and_marks_min_max(browser, site, monkeypatch):
    volts = [3.300, 3.305, 3.298, 3.310] * 4
    reading = {"kind": "battery", "ts": 1, "stale": False,
               "batteries": [{"index": 1, "cell_voltages_v": volts, "balancing": [False, True] + [False] * 14},
                             {"index": 2, "cell_voltages_v": [3.2, 3.35], "balancing": False}]}
    patch_functions(monkeypatch, LIVE, latest_reading=lambda d: reading)
    html = browser.get("/devices/battery_pack:pack1").data.decode()
    assert html.count('class="cell ') == 18 and "Unit 1" in html and "Unit 2" in html
    ticks = [float(t) for t in re.findall(r'class="tick-label"[^>]*>([\d.]+)<', html.split("Unit 2")[0])]
    assert ticks and min(ticks) > 3.25 and max(ticks) < 3.33, "the axis spans the cells, not 2.5 V and up"
    assert 'aria-label="cell 16: 3.310 V"' in html and ">16</text>" in html
    assert "spread-ok" in html and "12 mV" in html and "spread-bad" in html and "150 mV" in html
    assert 'class="badge balancing"' in html and 'tabindex="0"' in html
    assert 'aria-label="cell 2: 3.305 V, balancing"' in html and html.count('class="balance-dot"') == 1


def test_devices_list_and_maintenance(browser, site):
    html = browser.get("/devices").data.decode()
    assert "Inverter 1" in html and "configured" in html and "battery pack" in html
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


def test_new_forms_offer_a_free_id_and_new_adapters_start_enabled(browser, site):
    system = browser.get("/config/systems/new").data.decode()
    assert 'name="system_id" value="home2"' in system, "not the id of the existing system"
    assert 'name="array_id" value="array1"' in browser.get("/config/arrays/new").data.decode()
    adapter = browser.get("/config/adapters/new").data.decode()
    assert re.search(r'name="enabled" value="on"\s+checked', adapter)


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


def test_config_yaml_export_and_import(browser, site, admin):
    exported = browser.get("/config/export")
    assert exported.mimetype == "application/yaml" and b"inv1" in exported.data
    text = exported.data.decode().replace("name: Roof", "name: Roof renamed")
    ok = browser.post("/config/import", {"file": (io.BytesIO(text.encode()), "config.yaml")},
                      content_type="multipart/form-data")
    assert ok.status_code == 200 and systems.get_array("roof")["name"] == "Roof renamed"
    bad = browser.post("/config/import", {"file": (io.BytesIO(b"home: [unclosed"), "config.yaml")},
                       content_type="multipart/form-data")
    assert bad.status_code == 400 and "config.yaml" in bad.data.decode()


def test_import_with_replace_needs_the_password_again(browser, site, admin):
    page = browser.get("/config").data.decode()
    assert "Replacing first deletes 1 system" in page and "all their readings and energy history" in page
    text = browser.get("/config/export").data.decode().replace("name: Roof", "name: Replaced")
    refused = browser.post("/config/import", {"file": (io.BytesIO(text.encode()), "config.yaml"), "replace": "on",
                                              "password": "not it"}, content_type="multipart/form-data")
    assert refused.status_code == 400 and "needs your password" in refused.data.decode()
    assert systems.get_array("roof")["name"] == "Roof"
    done = browser.post("/config/import", {"file": (io.BytesIO(text.encode()), "config.yaml"), "replace": "on",
                                           "password": admin}, content_type="multipart/form-data")
    assert done.status_code == 200 and systems.get_array("roof")["name"] == "Replaced"


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
