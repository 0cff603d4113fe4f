"""Store and forward: a 30-minute headend outage with a restart in the middle loses and duplicates nothing."""

from __future__ import annotations

import random
from typing import Any

import pytest

from appliance.control.delivery import Dispatcher
from appliance.drivers.connect import LinkPool
from appliance.sync import state
from appliance.sync.push import PushClient, control_commands
from appliance.sync.state import SyncError

from tests.sync.conftest import Clock, energy_row, headend_keys, meter_row, sample_keys

APPLIANCE = "home1"


def _client(headend: Any, clock: Clock, **kw: Any) -> PushClient:
    settings = {"sync.url": headend.url, "sync.token": None, "sync.appliance_id": APPLIANCE}
    options = {"clock": clock, "hardware_id": "hw-0001", "rng": random.Random(3), "timeout_s": 2.0,
               "page_limit": 50, "dispatcher": lambda params: {"outcome": "applied"}}
    options.update(kw)
    return PushClient(settings, **options)


class Home:
    """Samples arrive every 10 s of fake time while the scheduler calls run_once."""

    def __init__(self, writer: Any, clock: Clock, push: PushClient) -> None:
        self.writer, self.clock, self.push = writer, clock, push

    def tick(self, count: int = 1) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for _ in range(count):
            ts = int(self.clock() * 1000)
            self.writer.submit({"energy_samples": [energy_row("inv1", ts)], "meter_samples": [meter_row("m1", ts)]})
            self.writer.flush_now()
            out = self.push.run_once()
            self.clock.advance(10)
        return out


def test_a_30_minute_outage_with_a_restart_loses_nothing_and_duplicates_nothing(writer, headend):
    clock = Clock()
    home = Home(writer, clock, _client(headend, clock))
    home.tick(6)
    assert home.push.backlog()["pending"] == 0
    assert len(headend.store.devices()) == 1

    headend.faults.mode = "500"  # 15 minutes of a failing headend
    home.tick(90)
    assert home.push.failures > 0 and home.push.backlog()["pending"] > 0
    headend.stop()  # then 15 minutes of no headend at all
    home.tick(45)
    assert "ConnectionError" in home.push.backlog()["last_error"]
    home.push = _client(headend, clock)  # the appliance restarts in the middle of the outage
    home.tick(45)
    backlog = home.push.backlog()
    assert backlog["pending"] >= 3 * 180 and backlog["last_error"]

    headend.faults.mode = None
    headend.start()
    for _ in range(100):
        home.tick()
        if home.push.backlog()["pending"] == 0:
            break
    assert home.push.backlog()["pending"] == 0
    assert headend_keys(headend.store, APPLIANCE) == sample_keys()
    assert all(r["versions"] == 1 for r in headend.store.rows(APPLIANCE))
    assert headend.store.stats().get("duplicate_rows", 0) == 0
    assert len(headend.store.devices()) == 1  # the restarted appliance did not register again
    assert {r["inverter_id"] for r in headend.store.catalog("inverters")} == {"inv1"}


def test_garbage_and_timeouts_never_advance_the_cursor(writer, headend):
    clock = Clock()
    home = Home(writer, clock, _client(headend, clock, timeout_s=0.3))
    home.tick(2)
    cursor = home.push.cursor()
    headend.faults.mode = "garbage"  # 200 with an HTML page: a captive portal
    out = home.tick(3)
    assert home.push.cursor() == cursor and "error" in out or out.get("skipped")
    headend.faults.mode = "slow"  # the headend stores the page but answers after the client gave up
    clock.advance(600)
    out = home.push.run_once()
    assert "error" in out and home.push.cursor() == cursor
    headend.faults.mode = None
    for _ in range(60):
        home.tick()
        if home.push.backlog()["pending"] == 0:
            break
    assert headend_keys(headend.store, APPLIANCE) == sample_keys()
    assert all(r["versions"] == 1 for r in headend.store.rows(APPLIANCE))  # the resent page changed nothing


def test_backoff_grows_with_jitter_and_resets_after_success(writer, headend):
    clock = Clock()
    push = _client(headend, clock)
    headend.faults.mode = "500"
    delays = []
    for _ in range(8):
        clock.advance(1000)
        assert "error" in push.run_once()
        delays.append(push.next_try - clock())
    assert delays[0] <= 2 and delays[-1] > 100 and max(delays) <= 300
    assert push.run_once()["skipped"] == "backing off"
    headend.faults.mode = None
    clock.advance(400)
    assert "error" not in push.run_once() and push.failures == 0


def test_commands_run_once_and_are_acknowledged_with_their_outcome(writer, headend):
    clock = Clock()
    calls = []

    def dispatcher(params: dict) -> dict:
        calls.append(params)
        if params.get("kw") == 99:
            raise SyncError("no such asset", field="asset_id")
        return {"outcome": "applied", "placed_w": params["kw"] * 1000}

    push = _client(headend, clock, dispatcher=dispatcher)
    push.run_once()
    ok = headend.store.queue_command(APPLIANCE, {"asset_id": "inverter:inv1", "kw": 2.5})
    bad = headend.store.queue_command(APPLIANCE, {"asset_id": "nope", "kw": 99})
    clock.advance(30)
    assert push.run_once()["commands"] == 2
    assert headend.store.command(ok["id"])["outcome"]["status"] == "applied"
    assert headend.store.command(bad["id"])["outcome"] == {"status": "rejected", "error": "no such asset",
                                                           "field": "asset_id", "appliance_id": APPLIANCE}
    assert headend.store.pending_commands(APPLIANCE) == []
    clock.advance(30)
    push.run_once()
    assert len(calls) == 2  # acknowledged commands are not run again


def test_a_lost_ack_is_resent_without_running_the_command_again(writer, headend):
    clock = Clock()
    calls = []
    push = _client(headend, clock, dispatcher=lambda p: calls.append(p) or {"outcome": "applied"})
    push.run_once()
    command = headend.store.queue_command(APPLIANCE, {"system_id": "home", "mw": 0.001})
    original = push._flush_acks
    push._flush_acks = lambda: None  # the ack is lost on the way: simulate by not sending it
    clock.advance(30)
    push.run_once()
    push._flush_acks = original
    assert state.get("push.acks") and headend.store.pending_commands(APPLIANCE)
    clock.advance(30)
    push.run_once()
    assert len(calls) == 1 and headend.store.command(command["id"])["status"] == "acked"


def test_a_real_dispatch_command_goes_through_the_control_service(writer, headend):
    clock = Clock()
    pool = LinkPool()
    # As runtime.py wires it: the headend's commands run on the process's one dispatcher.
    push = _client(headend, clock, dispatcher=control_commands(Dispatcher(pool)))
    push.run_once()
    command = headend.store.queue_command(APPLIANCE, {"asset_id": "inverter:missing", "mw": 0.002})
    clock.advance(30)
    push.run_once()
    pool.close_all()
    outcome = headend.store.command(command["id"])["outcome"]
    assert outcome["status"] == "rejected" and outcome["field"] == "asset_id"


def test_without_device_control_in_the_process_a_command_fails_and_runs_nothing(writer, headend):
    clock = Clock()
    push = _client(headend, clock, dispatcher=None)
    push.run_once()
    command = headend.store.queue_command(APPLIANCE, {"asset_id": "inverter:inv1", "mw": 0.002})
    clock.advance(30)
    push.run_once()
    outcome = headend.store.command(command["id"])["outcome"]
    assert (outcome["status"], outcome["error"]) == ("failed", "device control does not run in this process")


def test_not_configured_does_nothing_and_raises_nothing(home):
    push = PushClient({"sync.url": None, "sync.appliance_id": None}, hardware_id="hw")
    assert push.run_once()["skipped"] == "not configured"
    with pytest.raises(SyncError):
        push.push_once()
    assert push.backlog()["pending"] > 0


def test_settings_and_hardware_id_come_from_the_store_and_the_pi(home, tmp_path):
    from appliance.accounts.store import set_setting

    set_setting("sync.url", "http://127.0.0.1:9")
    set_setting("sync.appliance_id", "home1")
    assert PushClient().configured
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("Hardware\t: BCM2835\nSerial\t\t: 10000000abcdef01\n")
    assert state.hardware_id(cpuinfo, tmp_path / "none") == "10000000abcdef01"
    machine = tmp_path / "machine-id"
    machine.write_text("0123456789abcdef\n")
    assert state.hardware_id(tmp_path / "none", machine) == "0123456789abcdef"
    with pytest.raises(SyncError):
        state.hardware_id(tmp_path / "none", tmp_path / "none")


def test_a_headend_that_forgot_the_appliance_gets_a_new_registration(writer, headend):
    clock = Clock()
    push = _client(headend, clock)
    push.run_once()
    first = push.device_id()
    with headend.store._lock:
        headend.store._conn.execute("DELETE FROM appliances")
    clock.advance(31)
    assert "error" in push.run_once() and push.device_id() is None
    clock.advance(400)
    assert "error" not in push.run_once()
    assert push.device_id() not in (None, first) and len(headend.store.devices()) == 1
