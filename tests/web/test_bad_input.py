"""Bad values at the web boundary are 400s that name what is wrong and store nothing; output is standard JSON."""

from __future__ import annotations

import io
import json

import pytest

from appliance.catalog import adapters
from appliance.store.models import Adapter, database
from tests.web.conftest import bearer


def strict_json(data: bytes):
    """Parse as a standard JSON parser would: NaN and Infinity are not JSON."""
    def refuse(name):
        raise AssertionError(f"non-standard JSON constant {name}")
    return json.loads(data, parse_constant=refuse)


@pytest.fixture
def api(client, write_token, site):
    def call(method, path, data=None, **kw):
        headers = {"Content-Type": "application/json", **bearer(write_token)}
        return client.open(path, method=method, data=data, headers=headers, **kw)
    return call


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_non_finite_number_in_an_adapter_config_is_refused_and_not_stored(api, literal):
    body = ('{"adapter_id": "bad", "adapter_type": "powdrive", "config": {"transport": "tcp", "host": "127.0.0.1", '
            f'"poll_interval_s": {literal}}}}}')
    response = api("POST", "/api/adapters", body)
    assert response.status_code == 400, response.data
    assert "finite" in strict_json(response.data)["error"]["message"]
    assert Adapter.get_or_none(Adapter.adapter_id == "bad") is None


def test_a_non_finite_number_in_a_patch_is_refused(api):
    response = api("PATCH", "/api/adapters/inv1_adapter",
                   '{"config": {"transport": "tcp", "host": "127.0.0.1", "timeout_s": Infinity}}')
    assert response.status_code == 400
    assert "Infinity" not in Adapter.get_by_id("inv1_adapter").config_json


def test_the_catalog_service_refuses_nan_without_the_web(db, site):
    from appliance.errors import ValidationError

    with pytest.raises(ValidationError, match="finite"):
        adapters.create_adapter("bad", "powdrive", {"transport": "tcp", "host": "127.0.0.1",
                                                    "poll_interval_s": float("nan")})


def test_get_adapters_emits_standard_json_even_with_a_nan_stored_before(api):
    # A row written by an older appliance, before the boundary refused NaN.
    database.execute_sql("UPDATE adapters SET config_json = ? WHERE adapter_id = 'inv1_adapter'",
                         ('{"host": "127.0.0.1", "poll_interval_s": NaN, "transport": "tcp", "type": "powdrive"}',))
    response = api("GET", "/api/adapters")
    assert response.status_code == 200
    listed = {a["adapter_id"]: a for a in strict_json(response.data)}
    assert listed["inv1_adapter"]["config_json"]["poll_interval_s"] is None


def test_json_nested_1000_deep_is_a_400(api):
    response = api("POST", "/api/systems", '{"system_id": "s", "name": "S", "x": ' + "[" * 1000 + "]" * 1000 + "}")
    assert response.status_code == 400
    assert "nested" in strict_json(response.data)["error"]["message"]


def test_a_lone_surrogate_in_a_name_is_a_400(api):
    response = api("POST", "/api/systems", '{"system_id": "s9", "name": "bad \\ud800 name"}')
    assert response.status_code == 400
    assert strict_json(response.data)["error"]["field"] == "name"


@pytest.mark.parametrize("value", ["²", "١٢٣", "9" * 5000, "99999999999999999999"])
def test_odd_digits_in_from_are_a_400(api, value):
    response = api("GET", "/api/history/system/home", query_string={"from": value, "resolution": "1d"})
    assert response.status_code == 400, response.data
    assert strict_json(response.data)["error"]["field"] == "from"


def _upload(browser, text: str):
    return browser.client.post("/config/import", data={"csrf_token": browser.csrf,
                                                       "file": (io.BytesIO(text.encode()), "config.yaml")},
                               content_type="multipart/form-data")


def test_config_yaml_nested_10000_deep_is_a_400(browser, site):
    response = _upload(browser, "home: {id: home, name: " + "[" * 10_000 + "]" * 10_000 + "}\n")
    assert response.status_code == 400 and b"nested deeper" in response.data


def test_config_yaml_with_aliases_is_a_400_and_writes_nothing(browser, site):
    text = "home: {id: home, name: &n Home}\narrays: [{id: a9, name: *n}]\n"
    response = _upload(browser, text)
    assert response.status_code == 400 and b"not allowed" in response.data
    assert database.execute_sql("SELECT count(*) FROM arrays WHERE array_id = 'a9'").fetchone()[0] == 0


def test_config_yaml_with_nan_is_a_400_naming_the_line(browser, site):
    text = ("home: {id: home, name: Home}\narrays: [{id: roof, name: Roof}]\ninverters:\n"
            "  - {id: inv1, name: I, array_id: roof,\n"
            "     adapter: {type: powdrive, transport: tcp, host: 127.0.0.1, poll_interval_s: .nan}}\n")
    response = _upload(browser, text)
    assert response.status_code == 400 and b"config.yaml:5" in response.data and b"finite" in response.data


def test_a_database_fault_is_a_503_that_says_what_it_is(api, monkeypatch):
    import sqlite3

    from peewee import OperationalError

    from appliance.catalog import systems

    def full(*_args, **_kwargs):
        cause = sqlite3.OperationalError("database or disk is full")
        cause.sqlite_errorname = "SQLITE_FULL"
        raise OperationalError(cause) from cause

    monkeypatch.setattr(systems, "create_system", full)
    response = api("POST", "/api/systems", '{"system_id": "s2", "name": "Cabin"}')
    assert response.status_code == 503
    error = strict_json(response.data)["error"]
    assert error["code"] == "store_error" and "the disk is full" in error["message"]
