"""`appliance demo` as a subprocess, controlled through its own web API: a dispatch to the demo home makes
the live battery power follow within two polls, in both directions, and the inverter's program is written
back exactly when the setpoint ends."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
TOLERANCE_W = 300  # "within a few hundred watts": charge currents are whole amperes (~51 W steps at 51 V)
DURATION_S = 25

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


class Demo:
    """The demo process, its UI address and a write token made with the CLI on the same database."""

    def __init__(self, tmp_path: Path) -> None:
        self.db = tmp_path / "demo.db"
        self.proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--db", str(self.db), "demo", "--port",
                                      "0", "--print-every", "60"], cwd=REPO, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        self.url = self._wait_url()
        made = subprocess.run([sys.executable, "-m", "appliance.cli", "--db", str(self.db), "token", "create",
                               "control-test", "--scope", "write"], cwd=REPO, capture_output=True, text=True,
                              timeout=60)
        assert made.returncode == 0, made.stderr
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {made.stdout.strip()}"

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)

    def _wait_url(self) -> str:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.5)
            except queue.Empty:
                assert self.proc.poll() is None, "".join(self.output)
                continue
            found = re.search(r"open (http://127\.0\.0\.1:\d+)/ in a browser", line)
            if found:
                return found.group(1)
        pytest.fail("the demo did not come up: " + "".join(self.output))

    def get(self, path: str) -> Any:
        answer = self.session.get(self.url + path, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post(self, path: str, body: dict) -> Any:
        answer = self.session.post(self.url + path, json=body, timeout=60)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def demo(tmp_path: Path):
    running = Demo(tmp_path)
    try:
        yield running
    finally:
        running.stop()


def wait_for(what: str, check: Any, timeout: float = 90.0, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(every)
    pytest.fail(f"timed out waiting for {what}")


def test_a_dispatch_on_the_demo_moves_the_battery_and_its_end_restores_the_program(demo: Demo) -> None:
    def inverter() -> dict | None:
        rows = demo.get("/api/assets?system_id=system")
        found = [a for a in rows if a["kind"] == "inverter" and a["health_status"] == "online"]
        return found[0] if found and found[0]["dispatchable"] else None

    asset = wait_for("the demo inverter to be polled", inverter)

    def logical() -> dict | None:
        rows = demo.get("/api/assets?system_id=system")
        return next((a for a in rows if a["kind"] == "battery_array" and a["packs_online"] == 2), None)

    # The Pylontech bank (pty) and the JK pack (TCP gateway) are one battery, driven by the inverter.
    array = wait_for("both packs to be polled", logical)
    assert (array["limits"]["max_charge_kw"], array["limits"]["max_discharge_kw"]) == (4.0, 4.0)
    assert array["controlled_by"] == [asset["asset_id"]] and array["soc_pct"] is not None
    owner = demo.get(f"/api/control/{asset['asset_id']}")["program"]
    assert owner["work_mode"] == "zero_export_to_ct"
    poll_ms = 5000  # the demo's devices are polled every 5 s (the adapters' default)

    for kw in (1.2, -1.2):
        answer = demo.post("/api/dispatch", {"system_id": "system", "kw": kw, "duration_s": DURATION_S})
        if answer["outcome"] == "deferred":  # a second write within the 10 s write interval: sent when it may be
            def written() -> bool:
                setpoint = demo.get(f"/api/control/{asset['asset_id']}")["setpoint"] or {}
                return isinstance(setpoint.get("applied_w"), float) and setpoint["applied_w"] * kw > 0
            wait_for("the deferred write", written, timeout=30)
        else:
            assert answer["outcome"] == "applied", answer
        sent = demo.get(f"/api/control/{asset['asset_id']}")["read_at"]
        readings: list[dict] = []

        def followed() -> bool:
            reading = demo.get(f"/api/telemetry/{asset['asset_id']}")
            if reading["ts"] and reading["ts"] > sent and all(r["ts"] != reading["ts"] for r in readings):
                readings.append(reading)
            return any(abs(r["battery_power_w"] - kw * 1000) <= TOLERANCE_W for r in readings)

        wait_for(f"the battery to follow {kw} kW", followed, timeout=4 * poll_ms / 1000 + 10, every=0.3)
        # Within two poll intervals: the first or second reading taken after the write already follows.
        first = next(i for i, r in enumerate(readings) if abs(r["battery_power_w"] - kw * 1000) <= TOLERANCE_W)
        assert first <= 1, [(r["ts"], r["battery_power_w"]) for r in readings]
        flow = demo.get("/api/power-flow/system")
        assert abs(flow["battery_w"] - kw * 1000) <= TOLERANCE_W, flow

    # The setpoint ends: the owner's program is written back exactly, the lease is gone.
    state = wait_for("the setpoint to end", lambda: (lambda body: body if body["setpoint"] is None else None)(
        demo.get(f"/api/control/{asset['asset_id']}")), timeout=DURATION_S + 30)
    assert state["program"] == owner and state["lease"] is None and state["snapshot"] is None
    trail = [e["kind"] for e in demo.get(f"/api/control/audit?asset_id={asset['asset_id']}&limit=100")]
    assert "restored" in trail and "snapshot_taken" in trail and "write" in trail
