"""Make docs/screenshot-dashboard.png: the dashboard of `appliance demo` with live data, in headless Chromium.

Runs the demo's runtime (simulated home on 127.0.0.1, found by discovery, auto-approved) on a temporary database,
backfills a short history so today's totals are filled, sets the admin password, logs in with Playwright and
saves a 1280x800 screenshot once the dashboard has refreshed itself with a live reading.

    .venv/bin/python docs/make_screenshot.py [--out docs/screenshot-dashboard.png]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# The launch options of tests/web/test_browser.py.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]
PASSWORD = "screenshot password"
VIEWPORT = {"width": 1280, "height": 800}
BACKFILL_DAYS = 0.1
BACKFILL_STEP_S = 120.0


def take(out: Path, workdir: Path, timeout_s: float = 60.0) -> None:
    """Start the demo runtime, log in, wait for a live update and save the screenshot to `out`."""
    from playwright.sync_api import sync_playwright

    from appliance.accounts import passwords
    from appliance.commands.main_job import backfill, build_demo
    from appliance.runtime import RuntimeOptions
    from appliance.settings import Settings

    settings = Settings(data_dir=workdir / "data", db_path=workdir / "appliance.db",
                        config_file=workdir / "no-config.yaml")
    runtime, demo = build_demo(settings, RuntimeOptions(host="127.0.0.1", port=0, discovery_interval_s=3600))
    try:
        backfill(runtime, demo.site, BACKFILL_DAYS, step_s=BACKFILL_STEP_S)
        runtime.start()
        passwords.set_password(PASSWORD, PASSWORD)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
            try:
                page = browser.new_page(base_url=runtime.url.rstrip("/"), viewport=VIEWPORT)
                page.set_default_timeout(timeout_s * 1000)
                page.goto("/login")
                page.fill("#f-password", PASSWORD)
                page.click("#login-form button[type=submit]")
                page.wait_for_url("**/")
                flow = page.locator("#power-flow")
                flow.locator("[data-key=pv_w]").wait_for()
                # Wait for one refresh by htmx so the shot shows the page as it keeps itself current.
                before, deadline = flow.inner_text(), time.monotonic() + timeout_s
                while flow.inner_text() == before and time.monotonic() < deadline:
                    page.wait_for_timeout(500)
                if "stale" in flow.inner_text():
                    raise RuntimeError("the dashboard shows stale data; not a screenshot for the README")
                out.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(out))
            finally:
                browser.close()
    finally:
        runtime.stop()
        demo.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "screenshot-dashboard.png")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} is not installed (install.sh --dev installs it with apt)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="appliance-screenshot-") as tmp:
        take(args.out, Path(tmp))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
