"""The headend stopped: the running box says the headend is unreachable and its changes wait; when the headend
is back the alerts clear, and the alerts themselves reach the headend through the sync feed and push."""

from __future__ import annotations

import pytest

from appliance.accounts.app_settings import set_sync_settings
from appliance.catalog import systems
from appliance.headend.server import LocalHeadend
from appliance.runtime import Runtime, RuntimeOptions
from appliance.settings import Settings
from appliance.sync import feed
from tests.runtime.conftest import wait_until

FAST = {"alerts.headend_unreachable.hold_s": 1, "alerts.sync_backlog.age_min": 0.05}


@pytest.mark.timeout(180)
def test_a_stopped_headend_raises_unreachable_and_backlog_then_both_clear_and_reach_it(tmp_path):
    headend = LocalHeadend(tmp_path / "headend.db")
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "box.db", config_file=tmp_path / "none.yaml")
    runtime = Runtime(settings, RuntimeOptions(web=False, discovery_interval_s=3600, push_interval_s=0.5,
                                               alerts_interval_s=0.5, alert_overrides=FAST))
    try:
        runtime.open()
        systems.create_system("home", "Home", timezone="UTC")
        set_sync_settings(headend.url, "home-1")
        runtime.start()
        wait_until(lambda: runtime.headend_link().last_push_ms and not runtime.headend_link().last_error, 30)
        assert runtime.alerts.status()["headend"]["state"] == "ok"
        headend.stop()

        def active() -> dict:
            return {a.kind: a for a in runtime.alerts.active()}

        wait_until(lambda: {"headend_unreachable", "sync_backlog"} <= set(active()), 60)
        unreachable = active()["headend_unreachable"]
        assert unreachable.subject == "headend" and "cannot be reached" in unreachable.message
        assert "wait for the headend" in active()["sync_backlog"].message
        status = runtime.alerts.status()["headend"]
        assert status["state"] == "down" and status["backlog_rows"] >= 1 and status["oldest_unsent"]
        runtime.alerts.acknowledge(unreachable.alert_id, "installer")
        headend.start()
        wait_until(lambda: not {"headend_unreachable", "sync_backlog"} & set(active()), 90)
        # The alert records went up the same feed as everything else, and ended there too.
        pushed = {r["row"]["alert_id"]: r["row"] for r in headend.store.rows("home-1", "alerts")}

        def arrived() -> bool:
            rows = {r["row"]["alert_id"]: r["row"] for r in headend.store.rows("home-1", "alerts")}
            pushed.update(rows)
            return unreachable.alert_id in rows and rows[unreachable.alert_id]["ended_at"] is not None
        wait_until(arrived, 60)
        assert pushed[unreachable.alert_id]["acknowledged_by"] == "installer"
        assert pushed[unreachable.alert_id]["kind"] == "headend_unreachable"
        assert {r["table"] for r in feed.read_page(None, 5000).rows} >= {"alerts", "systems"}
    finally:
        runtime.stop()
        headend.close()
