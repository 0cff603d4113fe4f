"""Remake the screenshot gallery in docs/screenshots/: every page of the UI at 1366 px and at 390 px.

Runs the demo's runtime (a simulated home on 127.0.0.1, found by discovery, auto-approved) on a temporary
database in Europe/Berlin with a time-of-use tariff, adds DAYS of history made from the same site model and
rolled up by the real rollups, starts the web server, logs in with Playwright and Debian's Chromium and saves
one full-page PNG per page and width. Also copies the desktop dashboard to docs/screenshot-dashboard.png
(the README's picture).

    .venv/bin/python docs/make_screenshots.py [--days 40] [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]  # the launch options of tests/web/test_browser.py
PASSWORD = "screenshot password"
ZONE = "Europe/Berlin"
WIDTHS = {"desktop": 1366, "phone": 390}
STEP_S = 60
#: (file name, path, what to wait for); {pack} and {inverter} are filled in from the catalog.
PAGES = [("dashboard", "/", "#flow-svg"), ("energy-day", "/energy?period=day", "#chart-solar canvas"),
         ("energy-week", "/energy?period=week", "#chart-solar canvas"),
         ("energy-month", "/energy?period=month", "#chart-solar canvas"),
         ("energy-year", "/energy?period=year", "#chart-solar canvas"),
         ("history", "/history?level=system&period=day", "#history-chart canvas"),
         ("devices", "/devices", "#devices-table"), ("device-battery", "/devices/{pack}", "#cells svg"),
         ("device-inverter", "/devices/{inverter}", "#reading"), ("control", "/devices/{inverter}/control",
                                                                  "#control-form"),
         ("discovery", "/discovery", "#inbox"),
         ("configuration", "/config", "#systems"), ("delete-confirmation", "/config/inverters/{inverter_id}/delete",
                                                    "#confirm"),
         ("settings", "/settings", "#tariffs"), ("alerts", "/alerts", "#active-alerts"),
         ("status", "/status", "#poll-status"), ("alert-settings", "/alerts/settings", "#notify-form")]


def synthesize_history(runtime, days: float, end_s: float):
    """Samples every STEP_S from the site model for `days` before `end_s`, written like polls, then rolled up."""
    from appliance.acquisition.rows import rows_for
    from appliance.drivers.base import Reading
    from appliance.sim.site import SiteModel

    t = end_s - days * 86400
    site = SiteModel(clock=lambda: t, timezone_name=ZONE, start_soc_pct=40.0)
    pollers = list(runtime.acquisition.pollers.values())
    shares = {p.ctx.device_id: share for p, share in zip(
        [p for p in pollers if p.ctx.kind == "battery_pack"], (0.6, 0.4))}
    written = 0
    while t < end_s:
        site.advance(t)
        ts = int(t * 1000)
        for poller in pollers:
            ctx = poller.ctx
            if ctx.kind == "inverter":
                reading = Reading("inverter", site.inverter_values(), {}, ts)
            elif ctx.kind == "meter":
                reading = Reading("meter", site.meter_values(), {}, ts)
            else:
                values = site.battery_values(share=shares.get(ctx.device_id, 0.5))
                values.pop("batteries", None)  # unit and cell rows are not needed for history
                reading = Reading("battery", values, {}, ts)
            runtime.writer.submit(rows_for(ctx, ts, reading, with_cells=False))
            written += 1
        t += STEP_S
        if written % 20_000 < len(pollers):
            runtime.writer.flush_now()
    runtime.writer.flush_now()
    runtime.roll_up()
    print(f"  {written:,} readings", flush=True)
    return site


def prepare(workdir: Path, days: float):
    """The demo runtime with history, a tariff and a running web server."""
    from appliance.accounts import passwords
    from appliance.catalog import systems
    from appliance.commands.main_job import build_demo
    from appliance.energy import tariffs
    from appliance.runtime import RuntimeOptions
    from appliance.settings import Settings

    settings = Settings(data_dir=workdir / "data", db_path=workdir / "appliance.db",
                        config_file=workdir / "no-config.yaml")
    runtime, demo = build_demo(settings, RuntimeOptions(host="127.0.0.1", port=0, discovery_interval_s=3600))
    demo.site.tz = ZoneInfo(ZONE)
    for system in systems.list_systems():
        systems.update_system(system["system_id"], timezone=ZONE, currency="EUR")
    runtime.discover()  # the real discovery finds the simulators and approves them (demo: auto-approve)
    runtime.acquisition.sync()
    now = time.time()
    print(f"writing {days:g} days of history...", flush=True)
    history = synthesize_history(runtime, days, now - STEP_S)
    # The live site goes on from where the history ends: same state of charge, same counters.
    demo.site.state.soc_pct = history.state.soc_pct
    demo.site.state.totals_kwh = dict(history.state.totals_kwh)
    demo.site.state.today_kwh, demo.site.state.day = dict(history.state.today_kwh), history.state.day
    first_live = now
    system_id = systems.list_systems()[0]["system_id"]
    tariffs.set_plan(system_id, {"from": time.strftime("%Y-%m-%d", time.gmtime(first_live - days * 86400)),
                                 "import": {"kind": "tou", "base": 0.32, "periods": [
                                     {"start": "17:00", "end": "21:00", "price": 0.45},
                                     {"start": "00:00", "end": "06:00", "price": 0.21}]},
                                 "export": {"kind": "flat", "price": 0.08}})
    runtime.start()
    passwords.set_password(PASSWORD, PASSWORD)
    return runtime, demo


def shoot(base_url: str, out: Path, names: dict[str, str]) -> list[Path]:
    """Log in at each width and save every page."""
    from playwright.sync_api import sync_playwright

    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            for label, width in WIDTHS.items():
                page = browser.new_page(base_url=base_url, viewport={"width": width, "height": 900})
                page.set_default_timeout(30_000)
                page.goto("/login")
                page.fill("#f-password", PASSWORD)
                page.click("#login-form button[type=submit]")
                page.wait_for_url("**/")
                for name, path, ready in PAGES:
                    page.goto(path.format(**names))
                    page.wait_for_selector(ready)
                    page.wait_for_timeout(600)  # charts draw after the page's scripts run
                    if name == "device-battery":
                        page.locator("g.cell").nth(4).focus()  # a tapped cell shows its voltage
                    target = out / f"{name}-{label}.png"
                    page.screenshot(path=str(target), full_page=True)
                    saved.append(target)
                page.close()
        finally:
            browser.close()
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=40.0, help="days of history before today (default 40)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "screenshots")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is not installed (install.sh --dev installs it with apt)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    from appliance.catalog import registry

    with tempfile.TemporaryDirectory(prefix="appliance-screenshots-") as tmp:
        runtime, demo = prepare(Path(tmp), args.days)
        try:
            found = {d["kind"]: d for d in registry.list_devices()}
            names = {"pack": found["battery_pack"]["device_id"], "inverter": found["inverter"]["device_id"],
                     "inverter_id": found["inverter"]["catalog_id"]}
            saved = shoot(runtime.url.rstrip("/"), args.out, names)
        finally:
            runtime.stop()
            demo.stop()
    shutil.copyfile(args.out / "dashboard-desktop.png", args.out.parent / "screenshot-dashboard.png")
    print(f"wrote {len(saved)} screenshots to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
