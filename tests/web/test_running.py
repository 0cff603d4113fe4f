"""Without the runtime's services the web answers 503 "... does not run in this process"; it never builds its own
(a second dispatcher would open links past the pollers' bus locks)."""

from __future__ import annotations

import pytest

from appliance.web import create_app
from tests.web.conftest import bearer, log_in


@pytest.fixture
def bare(db, admin):
    """An app built by create_app alone, as a tool would: no runtime, so none of its services."""
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-0123456789abcdef"})


@pytest.mark.parametrize(("method", "path", "what"), [
    ("POST", "/api/dispatch", "device control"),
    ("GET", "/api/control/inverter:inv1", "device control"),
    ("POST", "/api/control/inverter:inv1/release", "device control"),
    ("POST", "/api/discovery/scan", "device discovery"),
    ("GET", "/api/discovery/scan", "device discovery"),
    ("GET", "/api/storage", "the storage watch"),
    ("PATCH", "/api/storage", "the storage watch"),
    ("GET", "/api/alerts", "the alerts service"),
])
def test_the_api_answers_503_naming_what_does_not_run(bare, site, write_token, method, path, what):
    answer = bare.test_client().open(path, method=method, json={"kw": 1, "asset_id": "inverter:inv1"},
                                     headers=bearer(write_token))
    assert answer.status_code == 503, answer.data
    assert answer.json["error"]["message"] == f"{what} does not run in this process"


def test_nothing_is_written_by_a_refused_budget_change(bare, site, write_token):
    from appliance.energy import storage

    before = storage.budget()
    answer = bare.test_client().patch("/api/storage", json={"max_db_mb": 512}, headers=bearer(write_token))
    assert answer.status_code == 503 and storage.budget() == before


def test_pages_say_what_this_process_does_not_run(bare, site):
    browser = log_in(bare.test_client())
    control = browser.get("/devices/inverter:inv1/control")
    assert control.status_code == 503 and b"device control does not run in this process" in control.data
    settings = browser.get("/settings").get_data(as_text=True)
    assert 'id="storage-absent"' in settings and "None" not in settings.split('id="storage"')[1].split("</section>")[0]
    inbox = browser.get("/discovery")
    assert inbox.status_code == 200 and b"Scan now" in inbox.data  # the inbox shows; a scan would answer 503
    assert browser.post("/discovery/scan").status_code == 503
