"""Delivery to a simulated PowerPack on 127.0.0.1: read-back, only on change, rate limit, expiry, the log."""

from __future__ import annotations

import pytest

from appliance.control import delivery, dispatch
from appliance.sim.powerpack import PowerPackSim
from tests.control.conftest import add_pack


@pytest.fixture
def sims():
    started = []

    def start(**kw):
        sim = PowerPackSim(**kw)
        server = sim.tcp()
        started.append(server)
        return sim, server.port

    yield start
    for server in started:
        server.stop()


def by_asset(result: dict) -> dict[str, dict]:
    return {s["asset_id"]: s for s in result["shares"]}


def test_a_setpoint_reaches_the_device_and_is_read_back(home, dispatcher, sims):
    sim, port = sims()
    pack = add_pack("pp", discharge_kw=50, charge_kw=50, port=port)
    result = dispatch.dispatch({"asset_id": pack, "kw": 12}, dispatcher=dispatcher)
    assert result["outcome"] == "applied"
    assert by_asset(result)[pack]["status"] == "applied"
    assert by_asset(result)[pack]["applied_w"] == 12_000
    assert sim.target_power_w == 12_000
    assert delivery.state(pack)["applied_w"] == 12_000
    logged = dispatch.log_entries()[0]
    assert (logged["outcome"], logged["target_id"], logged["command_source"]) == ("applied", pack, 0)


def test_writes_are_sent_only_on_change_and_at_most_every_min_interval(home, dispatcher, clock, sims):
    sim, port = sims()
    pack = add_pack("pp", discharge_kw=50, charge_kw=50, port=port)
    dispatch.dispatch({"asset_id": pack, "kw": 5}, dispatcher=dispatcher)
    writes = sim.image.writes
    clock.advance(1)
    again = dispatch.dispatch({"asset_id": pack, "kw": 5}, dispatcher=dispatcher)
    assert by_asset(again)[pack]["status"] == "unchanged"
    assert sim.image.writes == writes
    clock.advance(1)
    sooner = dispatch.dispatch({"asset_id": pack, "kw": -7}, dispatcher=dispatcher)
    assert sooner["outcome"] == "deferred"
    assert by_asset(sooner)[pack]["status"] == "deferred"
    assert sim.image.writes == writes and sim.target_power_w == 5_000
    # The periodic job writes the newest setpoint once the device may take a write again.
    assert dispatch.expire_setpoints(clock.advance(5), dispatcher) == []
    assert sim.target_power_w == 5_000
    done = dispatch.expire_setpoints(clock.advance(5), dispatcher)
    assert [(r["asset_id"], r["status"]) for r in done] == [(pack, "applied")]
    assert sim.target_power_w == -7_000
    assert sim.image.writes == writes + 1


def test_a_temporary_setpoint_reverts_to_the_standing_one_when_it_ends(home, dispatcher, clock, sims):
    sim, port = sims()
    pack = add_pack("pp", discharge_kw=50, charge_kw=50, port=port)
    dispatch.dispatch({"asset_id": pack, "kw": 4}, dispatcher=dispatcher)
    clock.advance(60)
    boost = dispatch.dispatch({"asset_id": pack, "kw": 9, "duration_s": 120, "command_source": 5},
                              dispatcher=dispatcher)
    assert boost["expires_at"] == clock() + 120_000
    assert sim.target_power_w == 9_000
    assert dispatch.expire_setpoints(clock.advance(119), dispatcher) == []
    assert sim.target_power_w == 9_000
    ended = dispatch.expire_setpoints(clock.advance(1), dispatcher)
    assert [(r["asset_id"], r["expired"], r["status"]) for r in ended] == [(pack, True, "applied")]
    assert sim.target_power_w == 4_000
    newest = dispatch.log_entries(limit=1)[0]
    assert (newest["outcome"], newest["requested_w"], newest["command_source"]) == ("expired", 4_000, 5)
    assert delivery.state(pack)["expires_at"] is None


def test_a_temporary_setpoint_without_a_standing_one_reverts_to_zero(home, dispatcher, clock, sims):
    sim, port = sims()
    pack = add_pack("pp", discharge_kw=50, charge_kw=50, port=port)
    dispatch.dispatch({"asset_id": pack, "kw": -3, "duration_s": 30}, dispatcher=dispatcher)
    assert sim.target_power_w == -3_000
    dispatch.expire_setpoints(clock.advance(30), dispatcher)
    assert sim.target_power_w == 0


def test_a_system_setpoint_is_split_and_delivered_to_each_device(home, dispatcher, sims):
    sim1, port1 = sims()
    sim2, port2 = sims()
    p1 = add_pack("p1", discharge_kw=10, charge_kw=10, port=port1)
    p2 = add_pack("p2", discharge_kw=30, charge_kw=30, port=port2)
    result = dispatch.dispatch({"system_id": "home", "kw": 20}, dispatcher=dispatcher)
    assert result["outcome"] == "applied"
    assert (sim1.target_power_w, sim2.target_power_w) == (5_000, 15_000)
    assert {a: s["applied_w"] for a, s in by_asset(result).items()} == {p1: 5_000, p2: 15_000}


def test_a_refused_write_is_a_failed_outcome_and_is_retried(home, dispatcher, clock, sims):
    sim, port = sims(max_kw=2)
    pack = add_pack("pp", discharge_kw=50, charge_kw=50, port=port)
    result = dispatch.dispatch({"asset_id": pack, "kw": 5}, dispatcher=dispatcher)
    assert result["outcome"] == "failed"
    assert by_asset(result)[pack]["error"]
    assert delivery.state(pack)["pending"] is True
    sim.max_kw = 10  # the device accepts it now; the periodic job retries after the rate limit
    retried = dispatch.expire_setpoints(clock.advance(10), dispatcher)
    assert [(r["asset_id"], r["status"]) for r in retried] == [(pack, "applied")]
    assert sim.target_power_w == 5_000


def test_an_unreachable_device_fails_without_stopping_the_others(home, dispatcher, sims):
    sim, port = sims()
    down = add_pack("down", discharge_kw=10, charge_kw=10, port=1)  # nothing listens on port 1
    up = add_pack("up", discharge_kw=10, charge_kw=10, port=port)
    result = dispatch.dispatch({"system_id": "home", "kw": 8}, dispatcher=dispatcher)
    assert result["outcome"] == "partial"
    assert by_asset(result)[down]["status"] == "failed"
    assert by_asset(result)[up]["status"] == "applied"
    assert sim.target_power_w == 4_000


def test_a_command_for_an_offline_asset_is_rejected_logged_and_not_written(home, dispatcher, sims):
    from tests.control.conftest import set_health

    sim, port = sims()
    pack = add_pack("pp", discharge_kw=10, charge_kw=10, port=port)
    set_health(pack, "offline")
    for kw in (5, 0):
        result = dispatch.dispatch({"asset_id": pack, "kw": kw}, dispatcher=dispatcher)
        assert result["outcome"] == "rejected"
        assert by_asset(result)[pack]["status"] == "skipped"
    assert sim.image.writes == 0
    assert [e["outcome"] for e in dispatch.log_entries()] == ["rejected", "rejected"]
