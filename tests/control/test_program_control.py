"""Program control of a simulated Deye hybrid on loopback, over Modbus TCP and over Modbus RTU on a pty:
reads, dry runs, FC16 writes of changed registers only, clamps, read-back mismatch, the write budget,
one owner with a lease, a setpoint mapped onto the program and the program restored exactly on expiry."""

from __future__ import annotations

import pytest

from appliance.control import audit, delivery, dispatch, lease, program
from appliance.control.budget import BudgetExhausted
from appliance.control.delivery import Dispatcher
from appliance.drivers.connect import LinkPool
from appliance.errors import DeviceMismatchError
from tests.control import deye as deye_sim


@pytest.fixture(params=["tcp", "rtu"])
def transport(request) -> str:
    return request.param


@pytest.fixture
def inverter(home, transport, clock, dispatcher):
    started = deye_sim.start(transport, clock)
    yield started
    started.server.stop()


def kinds(asset_id: str) -> list[str]:
    return [e["kind"] for e in reversed(audit.entries(device_id=asset_id, limit=500))]


def test_the_program_is_read_from_the_device_with_lease_and_budget(inverter, dispatcher):
    body = program.describe(inverter.asset_id, dispatcher=dispatcher)
    assert body["stale"] is False and body["error"] is None
    prog = body["program"]
    assert (prog["work_mode"], prog["export_limit_w"], prog["rated_power_w"]) == ("zero_export_to_ct", 8000, 8000)
    assert (prog["max_charge_current_a"], prog["grid_charge"], prog["tou_enabled"]) == (100, False, True)
    assert [s["start"] for s in prog["slots"]] == ["00:00", "04:00", "08:00", "12:00", "16:00", "20:00"]
    assert body["lease"] is None and body["budget"]["remaining"] == 200
    assert {s["name"] for s in body["settings"]} >= {"work_mode", "export_limit_w", "power_w", "soc_pct"}
    assert inverter.writes == 0


def test_a_dry_run_answers_the_exact_writes_and_writes_nothing(inverter, dispatcher):
    before = inverter.registers()
    answer = program.change(inverter.asset_id, {"program": {"work_mode": "selling_first", "export_limit_w": 5000},
                                                "dry_run": True}, source="ui", holder="admin", dispatcher=dispatcher)
    assert answer["dry_run"] is True and answer["written"] is False
    assert answer["writes"] == [{"function": 16, "address": 142, "count": 2, "values": [0, 5000],
                                 "before": [2, 8000], "settings": ["work_mode", "export_limit_w"]}]
    plan = dispatch.dispatch({"asset_id": inverter.asset_id, "kw": -2, "dry_run": True}, dispatcher=dispatcher)
    assert plan["outcome"] == "dry_run" and plan["dispatch_id"] is None
    assert {w["address"] for w in plan["shares"][0]["writes"]} >= {108, 128, 130}
    assert inverter.writes == 0 and inverter.registers() == before
    assert lease.current(inverter.asset_id, 0) is None and dispatch.log_entries() == []
    assert kinds(inverter.asset_id) == []


def test_a_change_writes_only_changed_registers_with_fc16_and_reads_them_back(inverter, dispatcher):
    answer = program.change(inverter.asset_id, {"program": {"export_limit_w": 5000, "slots": [
        {"slot": 2, "start": "05:30", "grid_charge": True}]}}, source="ui", holder="admin", dispatcher=dispatcher)
    assert [(w["address"], w["values"]) for w in answer["writes"]] == [(143, [5000]), (149, [530]), (173, [1])]
    assert inverter.writes == 3
    assert inverter.registers([143, 149, 173]) == {143: 5000, 149: 530, 173: 1}
    assert answer["program"]["slots"][1] == {"slot": 2, "start": "05:30", "power_w": 8000, "soc_pct": 10,
                                             "grid_charge": True}
    again = program.change(inverter.asset_id, {"program": {"export_limit_w": 5000}}, source="ui", holder="admin",
                           dispatcher=dispatcher)
    assert again["writes"] == [] and inverter.writes == 3
    write = audit.entries(device_id=inverter.asset_id, kind="write")[0]
    assert write["source"] == "ui" and write["holder"] == "admin"
    assert write["details"]["writes"][0] == {"function": 16, "address": 143, "count": 1, "values": [5000],
                                             "before": [8000], "read_back": [5000], "settings": ["export_limit_w"]}


def test_values_beyond_the_models_limits_are_clamped_and_bad_ones_refused(inverter, dispatcher):
    answer = program.change(inverter.asset_id, {"program": {"export_limit_w": 99999, "max_charge_current_a": 500}},
                            source="api", holder="t", dispatcher=dispatcher)
    assert answer["program"]["export_limit_w"] == 8000 and answer["program"]["max_charge_current_a"] == 240
    assert {c["setting"]: c["limit"] for c in answer["clamps"]} == {"export_limit_w": "maximum rated power 8000",
                                                                    "max_charge_current_a": "maximum 240"}
    for bad, field in (({"work_mode": "turbo"}, "work_mode"), ({"rated_power_w": 1}, "rated_power_w"),
                       ({"slots": [{"slot": 3, "start": "01:00"}]}, "slots"), ({"nonsense": 1}, "nonsense"),
                       ({"export_limit_w": float("nan")}, "export_limit_w")):
        with pytest.raises(Exception) as caught:
            program.change(inverter.asset_id, {"program": bad}, source="api", holder="t", dispatcher=dispatcher)
        assert getattr(caught.value, "field", None) == field, bad
    assert inverter.writes == 1  # the clamped export limit is what the device holds already: only 108 is written


def test_a_read_back_mismatch_is_an_error_that_is_logged_stored_and_shown(home, transport, clock, dispatcher):
    inverter = deye_sim.start(transport, clock, hardware_max_a=50)
    try:
        with pytest.raises(DeviceMismatchError) as caught:
            program.change(inverter.asset_id, {"program": {"max_charge_current_a": 60}}, source="ui", holder="admin",
                           dispatcher=dispatcher)
        assert "register 108 reads back 50 after a write of 60" in caught.value.message
        mismatch = audit.entries(device_id=inverter.asset_id, kind="write_mismatch")
        assert mismatch[0]["details"]["mismatches"] == [{"address": 108, "written": 60, "read_back": 50}]
        assert program.describe(inverter.asset_id,
                                dispatcher=dispatcher)["last_error"].startswith("register 108 reads back 50")
        # A setpoint that meets the same cap fails the same way, and is not retried into the budget.
        result = dispatch.dispatch({"asset_id": inverter.asset_id, "kw": -5, "takeover": True}, dispatcher=dispatcher)
        assert result["shares"][0]["status"] == "failed" and "reads back 50" in result["shares"][0]["error"]
        assert delivery.state(inverter.asset_id)["pending"] is False
        spent = inverter.writes
        dispatch.expire_setpoints(clock.advance(60), dispatcher)
        assert inverter.writes == spent
    finally:
        inverter.server.stop()


def test_past_the_write_budget_writes_are_refused_and_a_restart_does_not_reset_it(home, transport, clock):
    inverter = deye_sim.start(transport, clock, budget=3)
    runner = Dispatcher(LinkPool(), clock=clock, min_interval_s=0)
    try:
        program.change(inverter.asset_id, {"program": {"export_limit_w": 5000, "solar_sell": False}},
                       source="ui", holder="admin", dispatcher=runner)  # 143 and 145: two writes
        with pytest.raises(BudgetExhausted) as caught:
            program.change(inverter.asset_id, {"program": {"work_mode": "selling_first", "solar_sell": True}},
                           source="ui", holder="admin", dispatcher=runner)  # 142 and 145: two more
        assert caught.value.to_dict()["budget"] == {"day": caught.value.budget.day, "limit": 3, "used": 2,
                                                    "remaining": 1}
        assert "1 of its 3 writes left today" in caught.value.message
        assert inverter.writes == 2 and inverter.registers([142])[142] == 2
        assert audit.entries(device_id=inverter.asset_id, kind="budget_exhausted")[0]["details"]["needed"] == 2
        runner.pool.close_all()
        restarted = Dispatcher(LinkPool(), clock=clock, min_interval_s=0)  # a new process on the same database
        with pytest.raises(BudgetExhausted):
            program.change(inverter.asset_id, {"program": {"work_mode": "selling_first", "solar_sell": True}},
                           source="ui", holder="admin", dispatcher=restarted)
        assert program.describe(inverter.asset_id, dispatcher=restarted)["budget"]["remaining"] == 1
        restarted.pool.close_all()
    finally:
        runner.pool.close_all()
        inverter.server.stop()


def test_another_source_gets_409_naming_the_holder_unless_it_takes_over(inverter, clock, dispatcher):
    held = dispatch.dispatch({"asset_id": inverter.asset_id, "kw": 1.5, "duration_s": 600}, requested_by="headend",
                             dispatcher=dispatcher)
    assert held["outcome"] == "applied"
    writes = inverter.writes
    with pytest.raises(lease.LeaseConflict) as caught:
        program.change(inverter.asset_id, {"program": {"export_limit_w": 4000}}, source="ui", holder="admin",
                       dispatcher=dispatcher)
    body = caught.value.to_dict()
    assert body["code"] == "lease_held" and body["lease"]["source"] == "api" and body["lease"]["holder"] == "headend"
    assert body["lease"]["expires_at"] == clock() + 600_000 and "until 20" in body["message"]
    assert inverter.writes == writes
    taken = program.change(inverter.asset_id, {"program": {"export_limit_w": 4000}, "takeover": True},
                           source="ui", holder="admin", dispatcher=dispatcher)
    assert taken["lease"]["source"] == "ui" and inverter.registers([143])[143] == 4000
    # The owner's change ends the setpoint: its expiry no longer writes the old program back.
    assert delivery.state(inverter.asset_id)["released"] is True
    with pytest.raises(lease.LeaseConflict):
        dispatch.dispatch({"asset_id": inverter.asset_id, "kw": 1}, dispatcher=dispatcher)
    entries = kinds(inverter.asset_id)
    assert entries.count("refused") == 2 and "lease_taken_over" in entries and "setpoint_cancelled" in entries


def test_a_setpoint_expiry_restores_the_owners_program_exactly(inverter, clock, dispatcher):
    program.change(inverter.asset_id, {"program": {"slots": [{"slot": 3, "power_w": 3100, "soc_pct": 35}]}},
                   source="ui", holder="admin", dispatcher=dispatcher)
    lease.release(inverter.asset_id, "ui", now=clock(), reason="done")
    owner = inverter.registers()
    clock.advance(60)
    charged = dispatch.dispatch({"asset_id": inverter.asset_id, "kw": -2, "duration_s": 300}, dispatcher=dispatcher)
    assert charged["outcome"] == "applied"
    assert inverter.registers() != owner
    assert inverter.registers([108, 128, 130, 172]) == {108: 39, 128: 39, 130: 1, 172: 1}  # 2000 W / 51.x V
    clock.advance(30)
    dispatch.dispatch({"asset_id": inverter.asset_id, "kw": 1.2, "duration_s": 270},
                      dispatcher=dispatcher)  # a second one on top
    assert inverter.registers([142, 154]) == {142: 0, 154: 1200}
    dispatch.expire_setpoints(clock.advance(269), dispatcher)
    assert inverter.registers() != owner
    ended = dispatch.expire_setpoints(clock.advance(1), dispatcher)
    assert [(r["asset_id"], r["expired"], r["status"]) for r in ended] == [(inverter.asset_id, True, "applied")]
    assert inverter.registers() == owner
    assert lease.current(inverter.asset_id, clock()) is None
    trail = kinds(inverter.asset_id)
    assert trail.count("snapshot_taken") == 1 and trail[-2:] == ["restored", "lease_released"]
    assert program.describe(inverter.asset_id, dispatcher=dispatcher)["snapshot"] is None


def test_a_setpoint_is_followed_by_the_battery_within_a_poll(inverter, clock, dispatcher):
    from appliance.drivers.connect import open_driver

    def battery_w() -> float:
        driver, lock = open_driver("powdrive", inverter.config, dispatcher.pool)
        with lock:
            return float(driver.read().values["battery_power_w"])

    for kw in (1.2, -1.2, 0):
        result = dispatch.dispatch({"asset_id": inverter.asset_id, "kw": kw}, dispatcher=dispatcher)
        assert result["outcome"] == "applied", result
        assert battery_w() == pytest.approx(kw * 1000, abs=60)
        clock.advance(10)


@pytest.mark.parametrize("profile", ["three_phase_hv", "single_phase"])
def test_hv_and_single_phase_models_take_their_own_registers(home, clock, dispatcher, profile):
    from appliance.sim.powdrive_settings import LAYOUTS

    inverter = deye_sim.start("tcp", clock, profile=profile)
    layout = LAYOUTS[profile]
    owned = range(layout.max_charge_a, layout.flags + 6)
    try:
        owner = inverter.registers(owned)
        described = program.describe(inverter.asset_id, dispatcher=dispatcher)
        assert described["program"]["rated_power_w"] == (10000 if profile == "three_phase_hv" else 5000)
        dispatch.dispatch({"asset_id": inverter.asset_id, "kw": 3.05, "duration_s": 60}, dispatcher=dispatcher)
        held = inverter.registers([layout.work_mode, layout.powers])
        # HV slot powers count in 10 W: 3050 W is raw 305; single phase in W.
        assert held == {layout.work_mode: 0, layout.powers: 305 if profile == "three_phase_hv" else 3050}
        assert inverter.sim.controls().slots[0].power_w == 3050
        dispatch.expire_setpoints(clock.advance(60), dispatcher)
        assert inverter.registers(owned) == owner
    finally:
        inverter.server.stop()
