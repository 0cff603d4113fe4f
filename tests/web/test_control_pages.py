"""The control page of a simulated Deye on loopback: the program read from the device, the lease holder and the
budget; an edit shown as its exact writes first, written only when confirmed; errors named; the logical battery on
the dashboard."""

from __future__ import annotations

import re
from typing import Any

import pytest

from appliance.control import audit, delivery, dispatch, program
from appliance.control.delivery import Dispatcher
from appliance.drivers.connect import LinkPool
from appliance.web import control_form
from tests.control import deye as deye_sim

CONTROL = "/devices/inverter:hybrid/control"


class Clock:
    def __init__(self) -> None:
        self.now = 1_767_225_600_000

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def dispatcher(app):
    """The dispatcher as runtime.py builds it and hands it to the web app, on the test clock."""
    pool = LinkPool()
    runner = Dispatcher(pool, clock=Clock(), min_interval_s=0)
    app.config["DISPATCHER"] = runner
    yield runner
    pool.close_all()


@pytest.fixture
def hybrid(site, dispatcher):
    started = deye_sim.start("tcp", dispatcher.clock, inverter_id="hybrid")
    yield started
    started.server.stop()


def form_of(state: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """What the page's form posts when the owner changes `changes` (input name -> text) and nothing else."""
    scalars, rows = control_form.fields(state["settings"], state["program"])
    data: dict[str, Any] = {}
    for field in scalars + [f for row in rows for f in row]:
        kind = field.setting["type"]
        if field.setting["read_only"]:
            continue
        value = changes.get(field.name, field.value)
        if kind in ("bool", "bit"):
            data[field.name] = ["", "on"] if value else [""]
        elif kind == "days":
            data[field.name] = list(value)
        else:
            data[field.name] = "" if value is None else str(value)
    return data


def hidden_fields(html: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html):
        out.setdefault(name, []).append(value)
    return out


def test_the_page_shows_the_program_read_from_the_device_with_lease_and_budget(browser, hybrid):
    page = browser.get(CONTROL).get_data(as_text=True)
    assert "Control: Hybrid inverter" in page and "nobody now" in page and "200 of 200" in page
    assert '<option value="zero_export_to_ct" selected>Zero export to the CT</option>' in page
    assert 'name="slots.2.start" value="04:00"' in page and "Rated power" in page and "8\u202f000 W" in page
    device = browser.get("/devices/inverter:hybrid").get_data(as_text=True)
    assert 'id="control-link"' in device
    assert 'id="control-link"' not in browser.get("/devices/meter:grid").get_data(as_text=True)
    assert browser.get("/devices/meter:grid/control").status_code == 404


def test_an_edit_shows_the_exact_writes_first_and_writes_only_when_confirmed(browser, hybrid, dispatcher):
    state = program.describe(hybrid.asset_id, dispatcher=dispatcher)
    review = browser.post(CONTROL, form_of(state, export_limit_w=5000, **{"slots.2.start": "05:30",
                                                                         "slots.2.grid_charge": True}))
    text = review.get_data(as_text=True)
    assert review.status_code == 200 and "Write these settings to Hybrid inverter?" in text
    assert "Export limit</strong>: 8\u202f000 W → 5\u202f000 W" in text
    assert "Slot 2 · start</strong>: 04:00 → 05:30" in text and "Slot 2 · grid charge</strong>: off → on" in text
    assert "FC16 at register 143: 8000 → 5000" in text and "FC16 at register 149: 400 → 530" in text
    assert "3 of the 200 writes left today" in text
    assert hybrid.writes == 0 and audit.entries(device_id=hybrid.asset_id) == []
    done = browser.post(CONTROL, hidden_fields(text))
    assert done.status_code == 303 and done.headers["Location"].endswith("?written=1")
    assert hybrid.registers([143, 149, 173]) == {143: 5000, 149: 530, 173: 1}
    page = browser.get(CONTROL + "?written=1").get_data(as_text=True)
    assert "Written and read back." in page and "the local UI (admin)" in page and "197 of 200" in page
    assert [e["source"] for e in audit.entries(device_id=hybrid.asset_id, kind="write")] == ["ui"]
    assert browser.post(CONTROL, form_of(program.describe(hybrid.asset_id,
                                                          dispatcher=dispatcher))).status_code == 200  # nothing changed
    assert hybrid.writes == 3
    given_up = browser.post(f"{CONTROL}/release")
    assert given_up.status_code == 303 and "nobody now" in browser.get(CONTROL).get_data(as_text=True)


def test_a_confirmation_made_stale_by_the_device_is_shown_again(browser, hybrid, dispatcher):
    state = program.describe(hybrid.asset_id, dispatcher=dispatcher)
    review = browser.post(CONTROL, form_of(state, export_limit_w=5000)).get_data(as_text=True)
    program.change(hybrid.asset_id, {"program": {"export_limit_w": 6000}}, source="ui", holder="admin",
                   dispatcher=dispatcher)
    again = browser.post(CONTROL, hidden_fields(review))
    assert again.status_code == 409 and "changed since the page was shown" in again.get_data(as_text=True)
    assert hybrid.registers([143]) == {143: 6000}


def test_another_sources_lease_is_named_and_confirming_takes_over(browser, hybrid, dispatcher):
    dispatch.dispatch({"asset_id": hybrid.asset_id, "kw": -1.5, "duration_s": 600}, requested_by="token:headend",
                      dispatcher=dispatcher)
    state = program.describe(hybrid.asset_id, dispatcher=dispatcher)
    page = browser.get(CONTROL).get_data(as_text=True)
    assert "the API or headend dispatch (token:headend)" in page and "charging 1.5 kW" in page
    review = browser.post(CONTROL, form_of(state, work_mode="zero_export_to_load")).get_data(as_text=True)
    assert "The API or headend dispatch (token:headend) controls this inverter until" in review
    assert "writing ends it" in review
    assert browser.post(CONTROL, hidden_fields(review)).status_code == 303
    assert hybrid.registers([142]) == {142: 1}
    assert delivery.state(hybrid.asset_id)["released"] is True
    assert "lease_taken_over" in [e["kind"] for e in audit.entries(device_id=hybrid.asset_id)]


@pytest.mark.parametrize("changes, name, message", [
    ({"export_limit_w": "lots"}, "export_limit_w", "enter a number of W"),
    ({"slots.3.start": "25:00"}, "slots.3.start", "enter a time such as 05:30"),
    ({"slots.3.start": "01:00"}, "slots", "slot start times must be in order"),
    ({"work_mode": "turbo"}, "work_mode", "choose one of the options")])
def test_bad_entries_are_named_and_nothing_is_written(browser, hybrid, changes, name, message, dispatcher):
    state = program.describe(hybrid.asset_id, dispatcher=dispatcher)
    response = browser.post(CONTROL, form_of(state, **changes))
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and message in text
    assert f'id="error-{name.replace(".", "-")}"' in text or name == "slots"
    assert hybrid.writes == 0


def test_a_mismatch_and_an_exhausted_budget_are_shown(browser, site, dispatcher):
    inverter = deye_sim.start("tcp", dispatcher.clock, inverter_id="hybrid", hardware_max_a=50, budget=2)
    try:
        state = program.describe(inverter.asset_id, dispatcher=dispatcher)
        review = browser.post(CONTROL, form_of(state, max_charge_current_a=80)).get_data(as_text=True)
        failed = browser.post(CONTROL, hidden_fields(review))
        text = failed.get_data(as_text=True)
        assert failed.status_code == 502 and "register 108 reads back 50 after a write of 80" in text
        assert 'id="control-last-error"' in text
        state = program.describe(inverter.asset_id, dispatcher=dispatcher)
        review = browser.post(CONTROL, form_of(state, work_mode="selling_first", solar_sell=False)).get_data(
            as_text=True)
        refused = browser.post(CONTROL, hidden_fields(review))
        assert refused.status_code == 429 and "1 of its 2 writes left today" in refused.get_data(as_text=True)
    finally:
        inverter.server.stop()


def test_the_dashboard_shows_each_battery_array_as_one_battery(browser, hybrid):
    page = browser.get("/dashboard/live").get_data(as_text=True)
    assert 'id="battery-bank"' in page and "one battery of 1 pack" in page and "0 of 1" in page
    assert f'href="{CONTROL}"' in page
