"""Alerts are kept under retention like the rest: those that ended before the window go; active ones stay."""

from __future__ import annotations

from appliance.accounts import app_settings
from appliance.alerts.engine import Observation
from appliance.alerts.service import AlertsService
from appliance.store.models import AlertRow

DAY = 86_400_000
NOW = 1_780_000_000_000


def test_retention_deletes_alerts_that_ended_before_the_window_and_keeps_active_ones(db):
    service = AlertsService(None, clock=lambda: NOW)
    service.engine.load(NOW)
    for subject, start, end in (("old", NOW - 500 * DAY, NOW - 400 * DAY), ("recent", NOW - 20 * DAY, NOW - 10 * DAY),
                                ("active", NOW - 600 * DAY, None)):
        service.engine.raise_event(Observation("unclean_stop", subject, True, start, subject))
        if end is not None:
            service.engine.end("unclean_stop", subject, end)
    assert app_settings.retention()["retention.alerts_days"] == 365  # the default
    assert service.prune(app_settings.retention()["retention.alerts_days"]) == 1
    assert sorted(r.subject for r in AlertRow.select()) == ["active", "recent"]
    assert service.prune(0) == 0, "0 keeps them forever"
    app_settings.set_retention({"retention.alerts_days": "7"})
    assert service.prune(app_settings.retention()["retention.alerts_days"]) == 1
    assert [r.subject for r in AlertRow.select()] == ["active"]
