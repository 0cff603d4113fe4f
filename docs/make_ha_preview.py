"""Render the Home Assistant discovery configs of the demo home as HA lists them: one card per HA device
(maker, model, serial number, firmware, "connected via" the appliance), its entities grouped as HA groups
them (sensors, controls, configuration, diagnostic) with each value rendered from its state message.

Runs the demo home in this process against a Mosquitto on a free loopback port (commands on, so the
maintenance switches show), reads what the broker holds with a real subscriber, renders the values with
Jinja as HA does, and saves a PNG with Debian's Chromium.

    .venv/bin/python docs/make_ha_preview.py [--out docs/screenshots/home-assistant-devices.png]
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]
GROUPS = (("Sensors", None), ("Controls", "control"), ("Configuration", "config"), ("Diagnostic", "diagnostic"))
STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; background: #fafafa; color: #212121; margin: 0; padding: 16px; }
h1 { font-size: 20px; margin: 0 0 4px; } p.lead { color: #616161; margin: 0 0 16px; }
.grid { columns: 3 380px; column-gap: 16px; }
.card { break-inside: avoid; background: #fff; border-radius: 12px; box-shadow: 0 1px 3px rgba(0,0,0,.15);
        margin: 0 0 16px; padding: 12px 16px; }
.card h2 { font-size: 16px; margin: 0; } .info { color: #616161; font-size: 12px; margin: 2px 0 8px; }
.card h3 { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: #03a9f4; margin: 10px 0 4px; }
.row { display: flex; justify-content: space-between; gap: 12px; padding: 3px 0; border-bottom: 1px solid #eee; }
.row .state { font-variant-numeric: tabular-nums; white-space: nowrap; color: #424242; }
.row .kind { color: #9e9e9e; font-size: 11px; margin-left: 4px; }
"""


def collect(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the demo against a fresh broker; return (configs by topic, states by topic)."""
    from tests.mqtt.broker import Broker, Subscriber
    from tests.mqtt.demo import demo_home

    broker = Broker(folder / "broker").start()
    sub = Subscriber(broker)
    try:
        with demo_home(folder, broker.url) as runtime:
            from appliance.mqtt import settings as mqtt_settings

            mqtt_settings.update({"commands": True, "url": broker.url, "enabled": True})
            runtime.mqtt.tick()  # the new setting: reconnect with command topics
            base = runtime.mqtt.topics.base
            sub.wait_for(lambda ms: sum(1 for m in ms if m.topic.startswith(base) and m.topic.endswith("/state")
                                        and ":" in m.topic) >= 8 and any("/select/" in m.topic for m in ms)
                         and any("/battery_array:" in m.topic and m.topic.endswith("/state") and "soc_pct" in m.json()
                                 for m in ms), 120)
            runtime.roll_up()
            sub.wait_for(lambda ms: any("/_energy/" in m.topic for m in ms), 30)
            runtime.mqtt.publish_appliance()
            sub.wait_for(lambda ms: any(m.topic.endswith("_appliance/state") for m in ms), 30)
        configs = {m.topic: m.json() for m in sub.messages if m.topic.endswith("/config") and m.payload}
        states: dict[str, Any] = {}
        for m in sub.messages:
            if m.topic.endswith(("/state", "/control")):
                states[m.topic] = m.json()
        return configs, states
    finally:
        sub.close()
        broker.stop()


def render_value(config: dict[str, Any], states: dict[str, Any]) -> str:
    """The entity's state as HA would show it."""
    import jinja2

    state = states.get(config.get("state_topic", ""))
    component = config["_component"]
    if component == "button":
        return "Press"
    if state is None:
        return "Unknown"
    value = jinja2.Environment().from_string(config.get("value_template", "{{ value_json }}")).render(value_json=state)
    if value == "None":
        return "Unknown"
    if component in ("binary_sensor", "switch"):
        if config.get("device_class") == "problem":
            return "Problem" if value == "ON" else "OK"
        return "On" if value == "ON" else "Off"
    digits = config.get("suggested_display_precision")
    if digits is not None:
        try:
            value = f"{float(value):,.{digits}f}".replace(",", "\u202f")
        except ValueError:
            pass
    unit = config.get("unit_of_measurement")
    return f"{value} {unit}" if unit else value


def _natural(name: str) -> list[Any]:
    """'Cell 2' before 'Cell 10', as HA sorts."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def page(configs: dict[str, Any], states: dict[str, Any]) -> str:
    """The HTML of the device list."""
    devices: dict[str, dict[str, Any]] = {}
    entities: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for topic, config in sorted(configs.items()):
        config["_component"] = topic.split("/")[1]
        key = config["device"]["identifiers"][0]
        devices[key] = config["device"]
        entities[key].append(config)
    names = {key: d["name"] for key, d in devices.items()}
    order = sorted(devices, key=lambda k: ("via_device" in devices[k], devices[k]["name"]))
    cards = []
    for key in order:
        device = devices[key]
        facts = [f"{device.get('manufacturer', '')} · {device.get('model', '')}"]
        if device.get("serial_number"):
            facts.append(f"serial {device['serial_number']}")
        if device.get("sw_version"):
            facts.append(f"firmware {device['sw_version']}")
        if device.get("via_device"):
            facts.append(f"connected via {names.get(device['via_device'], device['via_device'])}")
        body = [f"<h2>{html.escape(device['name'])}</h2><div class='info'>{html.escape(' · '.join(facts))}</div>"]
        for title, category in GROUPS:
            if category == "control":
                rows = [c for c in entities[key] if c["_component"] in ("select", "number", "button")
                        and c.get("entity_category") is None]
            else:
                rows = [c for c in entities[key] if c.get("entity_category") == category
                        and not (category is None and c["_component"] in ("select", "number", "button"))]
            if not rows:
                continue
            body.append(f"<h3>{title}</h3>")
            for c in sorted(rows, key=lambda c: _natural(c["name"])):
                body.append(f"<div class='row'><span>{html.escape(c['name'])}<span class='kind'>"
                            f"{c['_component'].replace('_', ' ')}</span></span><span class='state'>"
                            f"{html.escape(render_value(c, states))}</span></div>")
        cards.append(f"<section class='card'>{''.join(body)}</section>")
    count = sum(len(v) for v in entities.values())
    return (f"<!doctype html><html><head><meta charset='utf-8'><style>{STYLE}</style></head><body>"
            f"<h1>Home Assistant: devices discovered over MQTT</h1><p class='lead'>{len(devices)} devices, "
            f"{count} entities from the demo home, as HA groups them; values rendered from the state messages.</p>"
            f"<div class='grid'>{''.join(cards)}</div></body></html>")


def main() -> None:
    """Collect, render, screenshot."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "home-assistant-devices.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        configs, states = collect(Path(folder))
        document = Path(folder) / "devices.html"
        document.write_text(page(configs, states), encoding="utf-8")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
            tab = browser.new_page(viewport={"width": 1366, "height": 900})
            tab.goto(document.as_uri())
            args.out.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(args.out), full_page=True)
            browser.close()
    print(f"wrote {args.out} ({len(configs)} entity configs)")


if __name__ == "__main__":
    main()
