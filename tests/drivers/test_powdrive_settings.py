"""Deye-family settings maps and the setpoint mapping, pure: addresses and scales against third-party tables,
decoding, validation, clamps, writes of changed registers only, shared-register bits kept.

Oracles (transcribed, as in test_deye_oracles.py; neither package installs beside the appliance's pins):
- kellerza/sunsynk@58193d5d src/sunsynk/definitions/three_phase_common.py, three_phase_hv.py, single_phase.py;
- davidrapan/ha-solarman@ac1d88b custom_components/solarman/inverter_definitions/deye_p3.yaml, deye_hybrid.yaml.
"""

from __future__ import annotations

import pytest

from appliance.drivers import powdrive_control
from appliance.drivers.modbus.control import SetpointContext
from appliance.drivers.modbus.settings import DAYS, decode_program, load_settings, parse_settings, settings_names
from appliance.drivers.modbus.settings_edit import apply_changes, mismatches, plan_writes
from appliance.errors import ValidationError
from appliance.sim import powdrive_settings

#: name -> (three-phase address, single-phase address, LV power scale, HV power scale), from both oracles:
#: sunsynk NumberRWSensor/SwitchRWSensor/SelectRWSensor/TimeRWSensor addresses and factors, and ha-solarman
#: `registers: [0x....]` with `scale: [LV, HV]` (deye_p3.yaml) and deye_hybrid.yaml for single phase.
THIRD_PARTY = {
    "rated_power_w": (20, 16, 0.1, 0.1),  # Sensor((20, 21) | (16, 17), "Rated power", WATT, 0.1); 0x0014 | 0x0010
    "max_charge_current_a": (108, 210, 1, 1),  # 0x006C | 0x00D2
    "max_discharge_current_a": (109, 211, 1, 1),  # 0x006D | 0x00D3
    "battery_low_soc_pct": (117, 219, 1, 1),  # BATTERY_LOW_CAP; 0x0075 | 0x00DB
    "grid_charge_current_a": (128, 230, 1, 1),  # 0x0080 | 0x00E6
    "grid_charge": (130, 232, 1, 1),  # SwitchRWSensor(130, on=1) | (232, bitmask=1); 0x0082 | 0x00E8
    "work_mode": (142, 244, 1, 1),  # "Load Limit"; "Work Mode" 0x008E | 0x00F4
    "export_limit_w": (143, 245, 1, 10),  # three_phase_hv.py NumberRWSensor(143, ..., 10); 0x008F [1, 10]
    "solar_sell": (145, 247, 1, 1),  # "Solar Export"; 0x0091 | 0x00F7
    "tou_enabled": (146, 248, 1, 1),  # "Prog Time Of Use Enabled" | "Use Timer"; 0x0092 | 0x00F8
    "tou_days": (146, 248, 1, 1),
}
SLOTS = {  # first slot's address; the six slots are consecutive
    "start": (148, 250, 1, 1),  # TimeRWSensor(148..153) | (250..255); 0x0094 | 0x00FA
    "power_w": (154, 256, 1, 10),  # NumberRWSensor(154..159 [, 10 on HV]) | (256..261); 0x009A [1, 10] | 0x0100
    "soc_pct": (166, 268, 1, 1),  # "Prog1 Capacity"; 0x00A6 | 0x010C
    "grid_charge": (172, 274, 1, 1),  # "Prog1 charge" bitmask 0x03, 1 = Allow Grid; 0x00AC | 0x0112
}
PROFILES = {"powdrive_3p_lv": (0, 2), "powdrive_3p_hv": (0, 3), "powdrive_1p": (1, 2)}


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_address_and_scale_matches_the_third_party_tables(name: str) -> None:
    column, scale_column = PROFILES[name]
    smap = load_settings(name)
    assert {s.name for s in smap.settings if not s.slot} == set(THIRD_PARTY)
    assert {s.name for s in smap.settings if s.slot} == set(SLOTS)
    for item in smap.settings:
        table = SLOTS if item.slot else THIRD_PARTY
        assert item.address == table[item.name][column], f"{name} {item.name}"
        if item.name in ("export_limit_w", "power_w"):
            assert item.scale == table[item.name][scale_column], f"{name} {item.name} scale"
        assert "S " in item.source and "H " in item.source or item.name == "tou_days", f"{name} {item.name} source"
    assert smap.slots == 6 and settings_names() == tuple(sorted(PROFILES))


def test_the_simulators_own_table_agrees_with_the_maps() -> None:
    # Two tables of the same manufacturer facts: a typo in either shows up here and as a device that does not obey.
    for name, layout in (("powdrive_3p_lv", powdrive_settings.THREE_PHASE), ("powdrive_1p", powdrive_settings.SINGLE_PHASE)):
        smap = load_settings(name)
        assert smap.setting("max_charge_current_a").address == layout.max_charge_a
        assert smap.setting("work_mode").address == layout.work_mode
        assert smap.setting("power_w", slot=True).address == layout.powers


def test_a_map_without_a_source_or_with_overlapping_settings_is_refused() -> None:
    base = {"slots": 0, "settings": [{"name": "x", "label": "X", "address": 1, "type": "u16", "source": "S"}]}
    parse_settings(base, "ok")
    with pytest.raises(ValidationError, match="source is required"):
        parse_settings({"settings": [{"name": "x", "label": "X", "address": 1, "type": "u16"}]}, "bad")
    with pytest.raises(ValidationError, match="overlap at register 1"):
        parse_settings({"settings": [base["settings"][0], {**base["settings"][0], "name": "y"}]}, "bad")
    bits = [{"name": "a", "label": "A", "address": 1, "type": "bit", "bit": 0, "source": "S"},
            {"name": "d", "label": "D", "address": 1, "type": "days", "mask": 0xFE, "source": "S"}]
    parse_settings({"settings": bits}, "ok")  # an enable bit beside weekday bits shares a register bit by bit


def registers(profile: str = "three_phase_lv") -> dict[int, int]:
    return dict(powdrive_settings.defaults(profile))


def test_decoding_the_default_program() -> None:
    program = decode_program(load_settings("powdrive_3p_lv"), registers())
    assert program["work_mode"] == "zero_export_to_ct" and program["tou_days"] == list(DAYS)
    assert program["slots"][3] == {"slot": 4, "start": "12:00", "power_w": 8000, "soc_pct": 10, "grid_charge": False}
    hv = decode_program(load_settings("powdrive_3p_hv"), registers("three_phase_hv"))
    assert hv["export_limit_w"] == 10000 and hv["slots"][0]["power_w"] == 10000  # raw 1000 x 10 W


def test_changes_keep_the_other_bits_of_a_shared_register_and_write_only_what_changed() -> None:
    smap = load_settings("powdrive_3p_lv")
    current = registers()
    current[174] = 0b101100  # slot 3: program mode bits 2-4 and the sell bit, no grid charge
    target, clamps = apply_changes(smap, current, {"tou_days": ["sat", "sun"],
                                                   "slots": [{"slot": 3, "grid_charge": True}]})
    assert target[146] == 0b11000001 and target[174] == 0b101101 and clamps == ()
    writes = plan_writes(smap, current, target)
    assert [(w.address, w.values, w.before) for w in writes] == [(146, (0xC1,), (0xFF,)), (174, (0x2D,), (0x2C,))]
    assert plan_writes(smap, target, target) == ()
    assert mismatches(writes, {146: 0xC1, 174: 0x2C}) == [{"address": 174, "written": 0x2D, "read_back": 0x2C}]


def test_neighbouring_changes_are_one_fc16_write() -> None:
    smap = load_settings("powdrive_3p_lv")
    target, _ = apply_changes(smap, registers(), {"slots": [{"power_w": 100 * i} for i in range(1, 7)]})
    assert [(w.address, len(w.values)) for w in plan_writes(smap, registers(), target)] == [(154, 6)]


def test_clamps_to_the_models_limits_and_hv_steps() -> None:
    hv = load_settings("powdrive_3p_hv")
    target, clamps = apply_changes(hv, registers("three_phase_hv"), {
        "export_limit_w": 1234, "slots": [{"slot": 1, "power_w": 99999, "soc_pct": 3}]})
    program = decode_program(hv, target)
    assert program["export_limit_w"] == 1230  # 10 W steps on HV
    assert (program["slots"][0]["power_w"], program["slots"][0]["soc_pct"]) == (10000, 10)
    assert [(c.setting, c.applied, c.limit) for c in clamps] == [
        ("slots[1].power_w", 10000, "maximum rated power 10000"), ("slots[1].soc_pct", 10, "minimum battery low soc 10")]


@pytest.mark.parametrize("changes, field", [
    ({"work_mode": "zero"}, "work_mode"), ({"tou_days": ["monday"]}, "tou_days"), ({"grid_charge": 1}, "grid_charge"),
    ({"slots": [{"slot": 7}]}, "slots"), ({"slots": [{"start": "24:00"}]}, "slots[1].start"),
    ({"slots": [{"slot": 2, "start": "23:00"}]}, "slots"), ({"slots": [{"slot": 1, "volts": 50}]}, "slots[0].volts"),
    ({"max_charge_current_a": "10"}, "max_charge_current_a"), ({"rated_power_w": 5}, "rated_power_w"),
    ({"export_limit_w": float("inf")}, "export_limit_w")])
def test_bad_changes_name_what_is_wrong(changes: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        apply_changes(load_settings("powdrive_3p_lv"), registers(), changes)
    assert caught.value.field == field


def test_a_setpoint_becomes_tou_slots_and_currents() -> None:
    smap = load_settings("powdrive_3p_lv")
    owner = decode_program(smap, registers())
    context = SetpointContext(battery_v=51.2, floor_soc_pct=20)
    discharge = decode_program(smap, apply_changes(smap, registers(), powdrive_control.setpoint_changes(
        owner, 1500, context))[0])
    assert discharge["work_mode"] == "selling_first" and discharge["max_discharge_current_a"] == 100
    assert {(s["power_w"], s["soc_pct"], s["grid_charge"]) for s in discharge["slots"]} == {(1500, 20, False)}
    assert powdrive_control.implied_power_w(discharge, context) == 1500
    charge = decode_program(smap, apply_changes(smap, registers(), powdrive_control.setpoint_changes(
        owner, -2000, context))[0])
    assert (charge["grid_charge"], charge["grid_charge_current_a"], charge["max_charge_current_a"]) == (True, 39, 39)
    assert {(s["soc_pct"], s["grid_charge"]) for s in charge["slots"]} == {(100, True)}
    assert powdrive_control.implied_power_w(charge, context) == pytest.approx(-1996.8)  # 39 A x 51.2 V
    hold = decode_program(smap, apply_changes(smap, registers(), powdrive_control.setpoint_changes(
        owner, 0, context))[0])
    assert powdrive_control.implied_power_w(hold, context) == 0.0
    assert powdrive_control.implied_power_w(owner, context) is None  # the owner's program is no setpoint
    big = powdrive_control.setpoint_changes({**owner, "max_discharge_current_a": 10}, 3000, context)
    assert big["max_discharge_current_a"] == 59  # the owner's 10 A would cap 3 kW at 512 W
