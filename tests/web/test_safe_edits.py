"""Destructive actions ask first, on the server: what goes, a token bound to it, the password for a system."""

from __future__ import annotations

import re

from appliance.catalog import devices, systems
from appliance.errors import NotFoundError


def _token(html: str) -> str:
    return re.search(r'name="confirm" value="([0-9a-f]+)"', html).group(1)


def test_one_click_on_delete_deletes_nothing(browser, site):
    # The old one-click form (a POST without the confirmation) now only shows what would go.
    response = browser.post("/config/inverters/inv1/delete")
    assert response.status_code == 400 and "This removes" in response.data.decode()
    assert devices.get_inverter("inv1")


def test_confirmation_page_lists_the_cascade_and_its_token_deletes(browser, site):
    page = browser.get("/config/battery-arrays/bank/delete").data.decode()
    assert "Delete battery array Bank?" in page and "1 battery pack: Pack 1 with 2 units and 8 cells" in page
    done = browser.post("/config/battery-arrays/bank/delete", {"confirm": _token(page)})
    assert done.status_code == 303 and done.headers["Location"].endswith("/config#battery-arrays")
    assert systems.list_battery_arrays("home") == []


def test_a_token_for_other_consequences_is_refused(browser, site):
    page = browser.get("/config/battery-arrays/bank/delete").data.decode()
    devices.create_battery_pack("pack2", "bank", "Pack 2")  # the delete would now take more with it
    stale = browser.post("/config/battery-arrays/bank/delete", {"confirm": _token(page)})
    assert stale.status_code == 409 and "has changed" in stale.data.decode() and "Pack 2" in stale.data.decode()
    assert devices.get_battery_pack("pack2")
    other = browser.get("/config/meters/grid/delete").data.decode()
    refused = browser.post("/config/battery-arrays/bank/delete", {"confirm": _token(other)})
    assert refused.status_code == 409, "a token confirms only its own action"


def test_deleting_a_system_needs_the_password(browser, site, admin):
    page = browser.get("/config/systems/home/delete").data.decode()
    assert 'name="password"' in page and "Your password, to confirm" in page
    wrong = browser.post("/config/systems/home/delete", {"confirm": _token(page), "password": "guess"})
    assert wrong.status_code == 403 and systems.get_system("home")
    right = browser.post("/config/systems/home/delete", {"confirm": _token(page), "password": admin})
    assert right.status_code == 303
    try:
        systems.get_system("home")
        raise AssertionError("the system is still there")
    except NotFoundError:
        pass


def test_keep_adapters_option(browser, site):
    page = browser.get("/config/inverters/inv1/delete").data.decode()
    assert "inv1_adapter" in page and 'name="keep_adapters"' in page
    browser.post("/config/inverters/inv1/delete", {"confirm": _token(page), "keep_adapters": "on"})
    from appliance.catalog import adapters
    assert adapters.get_adapter("inv1_adapter")["device_id"] is None
