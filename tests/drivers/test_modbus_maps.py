"""Register maps load and validate; the planner reads each map in the fewest allowed blocks."""

from __future__ import annotations

import pytest

from appliance.drivers.modbus import encode_map, decode_map, load_map, map_names, parse_map, plan
from appliance.drivers.modbus.device import map_plan
from appliance.drivers.modbus.regmap import Field
from appliance.errors import ValidationError

#: Block reads of one full read per map (the planner's promise; a change here is a behaviour change).
EXPECTED_BLOCKS = {"powdrive_3p_lv": 2, "powdrive_3p_hv": 2, "powdrive_1p": 2, "senergy": 5,
                   "iammeter_wem3080": 1, "iammeter_wem3080t": 1, "acuvim2": 2, "powerpack": 1}


def test_every_map_is_known() -> None:
    assert set(EXPECTED_BLOCKS) <= set(map_names())


@pytest.mark.parametrize("name", sorted(EXPECTED_BLOCKS))
def test_planner_block_count(name: str) -> None:
    blocks = map_plan(name)
    assert len(blocks) == EXPECTED_BLOCKS[name]
    rmap = load_map(name)
    assert all(block.count <= rmap.max_block for block in blocks)
    covered = {(b.kind, a) for b in blocks for a in range(b.address, b.end + 1)}
    assert all((f.kind, a) in covered for f in rmap.fields for a in f.addresses)
    assert len(blocks) < len(rmap.fields)  # fewer transactions than one request per field


def test_acuvim_requests_stay_within_60_registers() -> None:
    assert [block.count for block in map_plan("acuvim2")] == [60, 8]
    assert all(block.count <= 4 for block in map_plan("acuvim2", 4))


def test_planner_merges_small_gaps_and_splits_at_the_limit() -> None:
    fields = [Field(name=f"details.f{i}", address=a, type="u16") for i, a in enumerate((0, 2, 10, 200))]
    assert [(b.address, b.count) for b in plan(fields, max_gap=3)] == [(0, 3), (10, 1), (200, 1)]
    assert [(b.address, b.count) for b in plan(fields)] == [(0, 11), (200, 1)]
    assert [(b.address, b.count) for b in plan(fields, max_count=5)] == [(0, 3), (10, 1), (200, 1)]


def test_planner_never_splits_a_32_bit_value() -> None:
    fields = [Field(name="details.a", address=0, type="u16"), Field(name="details.b", address=3, type="u32")]
    assert [(b.address, b.count) for b in plan(fields, max_count=4)] == [(0, 1), (3, 2)]


def test_planner_keeps_register_kinds_apart() -> None:
    fields = [Field(name="details.a", address=0, type="u16"),
              Field(name="details.b", address=1, type="u16", kind="input")]
    assert [(b.kind, b.address) for b in plan(fields)] == [("holding", 0), ("input", 1)]


def _doc(**field: object) -> dict:
    return {"reading_kind": "meter", "fields": [{"name": "power_w", "address": 0, "type": "s16", **field}]}


@pytest.mark.parametrize("change,words", [
    ({"type": "u17"}, "type 'u17'"),
    ({"name": "wattage"}, "not a core name"),
    ({"word_order": "middle"}, "word_order"),
    ({"kind": "coil"}, "kind"),
    ({"scale": 0}, "scale must not be 0"),
    ({"address": 70000}, "address must be"),
    ({"type": "enum"}, "needs an enum table"),
    ({"type": "ascii"}, "length"),
    ({"colour": "red"}, "unknown keys"),
])
def test_bad_maps_say_what_is_wrong(change: dict, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        parse_map(_doc(**change), "bad")


def test_overlapping_fields_are_rejected() -> None:
    doc = {"reading_kind": "meter", "fields": [{"name": "power_w", "address": 0, "type": "s32"},
                                               {"name": "voltage_v", "address": 1, "type": "u16"}]}
    with pytest.raises(ValidationError, match="overlap"):
        parse_map(doc, "bad")


def test_unknown_map() -> None:
    with pytest.raises(ValidationError, match="no register map"):
        load_map("toaster")


def test_hv_profile_scales_power_by_ten() -> None:
    assert load_map("powdrive_3p_hv").field("battery_power_w").scale == 10
    assert load_map("powdrive_3p_lv").field("battery_power_w").scale == 1


def test_senergy_uncertain_rows_are_marked_in_the_data() -> None:
    rmap = load_map("senergy")
    assert not any(f.verified for f in rmap.fields)
    assert rmap.field("battery_current_a").scale < 0  # wire + = charging per the adapter comment


@pytest.mark.parametrize("name", sorted(EXPECTED_BLOCKS))
def test_encode_then_decode_round_trips(name: str) -> None:
    rmap = load_map(name)
    values = {"details.x": 0}
    for item in rmap.fields:
        if item.type == "enum":
            value: object = sorted(item.enum.values())[0]
        elif item.type == "bits":
            value = 1 if item.bit is None else True
        else:
            value = 50 if item.key.endswith("_hz") else 100 * abs(item.scale)
        base = item.name.split("[")[0]
        if item.index is None:
            values[base] = value
        else:
            values.setdefault(base, [value] * 4)
    decoded = decode_map(rmap, encode_map(rmap, values))
    for item in rmap.fields:
        if item.index is None and not item.in_details:
            assert decoded.values[item.name] == pytest.approx(values[item.name])


def test_split_32_bit_value() -> None:
    # single-phase grid import total: low word 78, high word 80 (not contiguous)
    rmap = load_map("powdrive_1p")
    registers = encode_map(rmap, {"grid_import_total_kwh": 6553.7})
    assert registers == {78: 1, 80: 1}
    assert decode_map(rmap, {78: 1, 79: 0xFFFF, 80: 1}).values["grid_import_total_kwh"] == 6553.7
