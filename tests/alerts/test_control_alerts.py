"""Control alerts (issue 11) from real conditions: a simulated Deye that does not keep a written register (a read-back
mismatch) and a write budget used up; the alerts follow the control audit log as the runtime wires it."""

from __future__ import annotations

import pytest

from appliance.alerts.service import AlertsService
from appliance.control import program
from appliance.control.budget import BudgetExhausted
from appliance.errors import DeviceMismatchError
from appliance.runtime import Runtime
from appliance.settings import Settings
from tests.control import deye as deye_sim
from tests.control.conftest import clock, dispatcher, home  # noqa: F401 - fixtures


@pytest.fixture
def alerts(db, clock, tmp_path):  # noqa: F811
    """The alerts service with the control events exactly as runtime.py passes them."""
    wired = Runtime(Settings(data_dir=tmp_path, db_path=tmp_path / "unused.db", config_file=tmp_path / "none.yaml"))
    service = AlertsService(None, wired.alerts.collaborators, clock=clock)
    service.start()
    yield service
    service.stop()


def _kinds(service: AlertsService) -> dict[str, object]:
    return {a.kind: a for a in service.active()}


def test_a_register_the_inverter_does_not_keep_is_a_write_mismatch_until_a_write_reads_back_right(
        home, clock, dispatcher, alerts):  # noqa: F811
    inverter = deye_sim.start("tcp", clock, hardware_max_a=50)
    try:
        with pytest.raises(DeviceMismatchError):
            program.change(inverter.asset_id, {"program": {"max_charge_current_a": 60}}, source="ui", holder="admin",
                           dispatcher=dispatcher)
        alerts.tick()
        mismatch = _kinds(alerts)["write_mismatch"]
        assert mismatch.device_id == inverter.asset_id and mismatch.severity == "warning"
        assert mismatch.message == "Hybrid inverter: register 108 reads back 50 after a write of 60"
        clock.advance(60)
        with pytest.raises(DeviceMismatchError):  # the same again: the one alert stays
            program.change(inverter.asset_id, {"program": {"max_charge_current_a": 60}}, source="ui", holder="admin",
                           dispatcher=dispatcher)
        alerts.tick()
        assert [a.alert_id for a in alerts.active()] == [mismatch.alert_id]
        clock.advance(60)
        program.change(inverter.asset_id, {"program": {"max_charge_current_a": 40}}, source="ui", holder="admin",
                       dispatcher=dispatcher)
        alerts.tick()
        assert "write_mismatch" not in _kinds(alerts)
    finally:
        inverter.server.stop()


def test_a_used_up_write_budget_is_an_alert_until_acknowledged(home, clock, dispatcher, alerts):  # noqa: F811
    inverter = deye_sim.start("tcp", clock, budget=3)
    try:
        program.change(inverter.asset_id, {"program": {"export_limit_w": 5000, "solar_sell": False}},
                       source="ui", holder="admin", dispatcher=dispatcher)
        with pytest.raises(BudgetExhausted):
            program.change(inverter.asset_id, {"program": {"work_mode": "selling_first", "solar_sell": True}},
                           source="ui", holder="admin", dispatcher=dispatcher)
        alerts.tick()
        budget = _kinds(alerts)["write_budget_exhausted"]
        assert "1 of its 3 writes left today" in budget.message
        assert alerts.acknowledge(budget.alert_id, "owner").active is False, "an event ends when acknowledged"
        alerts.tick()
        assert alerts.active() == []
    finally:
        inverter.server.stop()
