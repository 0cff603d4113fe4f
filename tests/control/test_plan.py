"""Dispatch planning: proportional split, clamping with redistribution, precedence, exclusions, groups, validation."""

from __future__ import annotations

import math

import pytest

from appliance.catalog import groups
from appliance.control import dispatch
from appliance.control.plan import Candidate, split
from appliance.errors import NotFoundError, ValidationError
from tests.control.conftest import add_pack, set_health


def shares(plan) -> dict[str, float]:
    return {s.asset_id: round(s.setpoint_w, 3) for s in plan.shares}


def plan_of(body: dict) -> dispatch.Plan:
    return dispatch.plan(dispatch.parse(body))


def test_pure_split_is_proportional_to_the_limit_in_the_direction_asked():
    candidates = [Candidate("a", 10_000, -5_000, 10_000), Candidate("b", 30_000, -15_000, 30_000)]
    assert shares(split(20_000, candidates)) == {"a": 5_000, "b": 15_000}
    charge = [Candidate("a", 5_000, -5_000, 10_000), Candidate("b", 15_000, -15_000, 30_000)]
    assert shares(split(-8_000, charge)) == {"a": -2_000, "b": -6_000}


def test_pure_split_redistributes_what_clamping_cuts_off():
    # Weighted 1:1, but `a` may only take 4 kW: the other 6 kW of its half go to `b`.
    plan = split(20_000, [Candidate("a", 10_000, -10_000, 4_000), Candidate("b", 10_000, -10_000, 30_000)])
    assert shares(plan) == {"a": 4_000, "b": 16_000}
    assert plan.unplaced_w == 0
    by_id = {s.asset_id: s for s in plan.shares}
    assert by_id["a"].clamped and not by_id["b"].clamped
    assert by_id["a"].proportional_w == 10_000


def test_pure_split_reports_what_cannot_be_placed():
    plan = split(50_000, [Candidate("a", 10_000, -10_000, 10_000), Candidate("b", 20_000, -20_000, 20_000)])
    assert shares(plan) == {"a": 10_000, "b": 20_000}
    assert plan.unplaced_w == 20_000


def test_pure_split_is_deterministic_whatever_the_input_order():
    items = [Candidate(x, w, -w, w) for x, w in (("c", 7_000), ("a", 3_000), ("b", 11_000))]
    first = split(13_333, items)
    second = split(13_333, list(reversed(items)))
    assert [s.asset_id for s in first.shares] == ["a", "b", "c"]
    assert first == second
    assert math.isclose(first.placed_w, 13_333)


def test_system_split_with_one_asset_clamped_and_the_remainder_redistributed(home):
    # p1 is weighted by its pack limit (50 kW) but its adapter allows 20 kW: it is clamped.
    p1 = add_pack("p1", discharge_kw=50, charge_kw=50, adapter_kw=20)
    p2 = add_pack("p2", discharge_kw=50, charge_kw=50)
    plan = plan_of({"system_id": "home", "kw": 60})
    assert shares(plan) == {p1: 20_000, p2: 40_000}
    assert plan.unplaced_w == 0
    clamped = {s.asset_id: (s.clamped, s.max_w) for s in plan.shares}
    assert clamped[p1] == (True, 20_000)
    assert clamped[p2][0] is False


def test_site_id_is_a_synonym_of_system_id(home):
    p1 = add_pack("p1", discharge_kw=10, charge_kw=10)
    assert shares(plan_of({"site_id": "home", "kw": 4})) == {p1: 4_000}


def test_asset_id_wins_over_system_id(home):
    p1 = add_pack("p1", discharge_kw=10, charge_kw=10)
    add_pack("p2", discharge_kw=10, charge_kw=10)
    command = dispatch.parse({"asset_id": p1, "system_id": "home", "kw": 5})
    assert (command.target_kind, command.target_id, command.ignored) == ("asset", p1, ("system_id",))
    assert shares(dispatch.plan(command)) == {p1: 5_000}


def test_a_catalog_id_names_the_asset_when_it_is_unambiguous(home):
    p1 = add_pack("p1", discharge_kw=10, charge_kw=10)
    assert shares(plan_of({"asset_id": "p1", "kw": -3})) == {p1: -3_000}


def test_a_battery_at_its_reserve_gets_nothing_when_discharging(home, live_cache):
    low = add_pack("low", discharge_kw=10, charge_kw=10, reserve=20)
    ok = add_pack("ok", discharge_kw=10, charge_kw=10, reserve=20)
    live_cache.soc(low, 20)
    live_cache.soc(ok, 80)
    plan = plan_of({"system_id": "home", "kw": 8})
    assert shares(plan) == {low: 0, ok: 8_000}
    assert {s.asset_id: s.excluded for s in plan.shares}[low] == "at SOC reserve"
    # Charging is what a battery at its reserve needs: it takes part again.
    assert shares(plan_of({"system_id": "home", "kw": -8})) == {low: -4_000, ok: -4_000}


def test_a_full_battery_gets_nothing_when_charging(home, live_cache):
    full = add_pack("full", discharge_kw=10, charge_kw=10)
    other = add_pack("other", discharge_kw=10, charge_kw=10)
    live_cache.soc(full, 100)
    live_cache.soc(other, 50)
    assert shares(plan_of({"system_id": "home", "kw": -6})) == {full: 0, other: -6_000}


@pytest.mark.parametrize("health", ["maintenance", "offline"])
def test_assets_in_maintenance_or_offline_get_nothing(home, health):
    away = add_pack("away", discharge_kw=10, charge_kw=10, health=health)
    here = add_pack("here", discharge_kw=10, charge_kw=10)
    plan = plan_of({"system_id": "home", "kw": 15})
    assert shares(plan) == {away: 0, here: 10_000}
    assert plan.unplaced_w == 5_000
    assert {s.asset_id: s.excluded for s in plan.shares}[away] == health


def test_non_dispatchable_packs_are_not_part_of_a_system_split(home):
    bess = add_pack("bess", discharge_kw=10, charge_kw=10)
    add_pack("bms", discharge_kw=10, charge_kw=10, adapter_type="pytes")
    assert shares(plan_of({"system_id": "home", "kw": 5})) == {bess: 5_000}
    with pytest.raises(ValidationError) as err:
        plan_of({"asset_id": "battery_pack:bms", "kw": 1})
    assert err.value.field == "asset_id"


def test_group_dispatch_fills_by_priority_then_by_limit(home):
    first = add_pack("first", discharge_kw=10, charge_kw=10)
    second_a = add_pack("second_a", discharge_kw=10, charge_kw=10)
    second_b = add_pack("second_b", discharge_kw=30, charge_kw=30)
    groups.create_group("ctl", "Control", "control", system_id="home")
    groups.set_member("ctl", first, priority=1)
    groups.set_member("ctl", second_a, priority=2)
    groups.set_member("ctl", second_b, priority=2)
    plan = plan_of({"group_id": "ctl", "kw": 30})
    assert shares(plan) == {first: 10_000, second_a: 5_000, second_b: 15_000}
    assert shares(plan_of({"group_id": "ctl", "kw": 6})) == {first: 6_000, second_a: 0, second_b: 0}


def test_a_monitoring_group_takes_no_setpoints(home):
    add_pack("p1", discharge_kw=10, charge_kw=10)
    groups.create_group("mon", "Monitoring", "monitoring", system_id="home")
    with pytest.raises(ValidationError) as err:
        plan_of({"group_id": "mon", "kw": 1})
    assert err.value.field == "group_id"


@pytest.mark.parametrize("body, field", [
    ({"system_id": "home"}, "kw"),
    ({"system_id": "home", "kw": 1, "mw": 0.001}, "kw"),
    ({"system_id": "home", "kw": "5"}, "kw"),
    ({"system_id": "home", "kw": float("nan")}, "kw"),
    ({"system_id": "home", "kw": float("inf")}, "kw"),
    ({"system_id": "home", "kw": True}, "kw"),
    ({"kw": 1}, "asset_id"),
    ({"system_id": "home", "kw": 1, "duration_s": 0}, "duration_s"),
    ({"system_id": "home", "kw": 1, "duration_s": 1.5}, "duration_s"),
    ({"system_id": "home", "kw": 1, "command_source": 6}, "command_source"),
    ({"system_id": "home", "kw": 1, "colour": "red"}, "colour"),
    ({"system_id": "home", "site_id": "other", "kw": 1}, "site_id"),
    ({"system_id": "home", "kw": 21}, "kw"),
    ({"system_id": "home", "mw": 1}, "mw"),
    ({"system_id": "home", "kw": -1e12}, "kw"),
])
def test_bad_commands_are_validation_errors_on_their_field(home, body, field):
    add_pack("p1", discharge_kw=10, charge_kw=10)
    add_pack("p2", discharge_kw=10, charge_kw=10)
    with pytest.raises(ValidationError) as err:
        plan_of(body)
    assert err.value.field == field


@pytest.mark.parametrize("body, field", [({"asset_id": "nope", "kw": 1}, "asset_id"),
                                         ({"system_id": "nope", "kw": 1}, "system_id"),
                                         ({"group_id": "nope", "kw": 1}, "group_id")])
def test_unknown_targets_are_not_found(home, body, field):
    with pytest.raises(NotFoundError) as err:
        plan_of(body)
    assert err.value.field == field


def test_mw_from_a_headend_is_converted(home):
    p1 = add_pack("p1", discharge_kw=100, charge_kw=100)
    assert shares(plan_of({"asset_id": p1, "mw": -0.05})) == {p1: -50_000}


def test_a_setpoint_beyond_the_asset_limit_is_refused_and_one_within_it_is_not(home):
    p1 = add_pack("p1", discharge_kw=10, charge_kw=5)
    with pytest.raises(ValidationError):
        plan_of({"asset_id": p1, "kw": -6})
    set_health(p1, "online")
    assert shares(plan_of({"asset_id": p1, "kw": -5})) == {p1: -5_000}
