"""The alert state machine on its own: holds both ways, the hysteresis band, one open alert per (kind, subject),
events, a restart that takes up the open alerts, and what a subscriber (MQTT, later) hears."""

from __future__ import annotations

from appliance.alerts import settings as alert_settings
from appliance.alerts.engine import Engine, Observation
from appliance.store.models import AlertRow

T0 = 1_780_000_000_000
SOC = "soc_low"  # 120 s raise hold, 60 s clear hold by default


def _engine() -> Engine:
    engine = Engine(alert_settings.defaults)
    engine.load(T0)
    return engine


def _soc(state: bool | None, at_s: float, subject: str = "battery_pack:p1") -> Observation:
    return Observation(SOC, subject, state, T0 + int(at_s * 1000), f"charged to {'9' if state else '30'} %",
                       device_id=subject, system_id="home")


def test_holds_hysteresis_and_one_open_alert(db):
    engine = _engine()
    heard = []
    engine.subscribe(lambda change: heard.append((change.event, change.alert.alert_id)))
    engine.observe([_soc(True, 0), _soc(True, 60)])
    assert engine.active() == [], "below the 120 s raise hold"
    engine.observe([_soc(None, 90)])  # in the band: neither holds nor clears; the hold keeps running
    engine.tick(T0 + 120_000)
    [alert] = engine.active()
    assert heard == [("opened", alert.alert_id)]
    assert alert.started_at == T0 and alert.updated_at == T0 + 120_000, "it started when the condition began"
    engine.observe([_soc(True, 130), _soc(True, 140)])
    engine.raise_event(_soc(True, 150))
    assert [a.alert_id for a in engine.active()] == [alert.alert_id] and AlertRow.select().count() == 1
    engine.observe([_soc(False, 200)])
    engine.observe([_soc(True, 230)])  # back before the clear hold ran out: the clear starts again
    engine.observe([_soc(False, 240)])
    engine.tick(T0 + 290_000)
    assert engine.active(), "50 s clear of a 60 s hold"
    engine.tick(T0 + 300_000)
    assert engine.active() == [] and heard[-1] == ("closed", alert.alert_id)
    assert AlertRow.get_by_id(alert.alert_id).ended_at == T0 + 240_000, "it ended when the condition cleared"
    engine.observe([_soc(True, 310, "battery_pack:p2")])
    engine.tick(T0 + 430_000)
    assert [a.subject for a in engine.active()] == ["battery_pack:p2"], "another subject is another alert"


def test_a_restart_takes_up_open_alerts_and_remembers_recent_ones_for_the_flap_window(db):
    first = _engine()
    first.observe([_soc(True, 0)])
    first.tick(T0 + 120_000)
    first.observe([_soc(True, 0, "battery_pack:p2")])
    first.tick(T0 + 120_000)
    first.end(SOC, "battery_pack:p2", T0 + 130_000)
    again = Engine(alert_settings.defaults)
    again.load(T0 + 140_000)
    [open_one] = again.active()
    assert open_one.subject == "battery_pack:p1"
    again.observe([_soc(False, 150), _soc(False, 300)])
    assert again.active() == []
    again.raise_event(_soc(True, 400, "battery_pack:p2"))
    reopened = [a for a in again.active() if a.subject == "battery_pack:p2"]
    assert reopened[0].flaps == 1, "came back within the flap window: the same record"


def test_an_event_ends_when_acknowledged_and_a_condition_does_not(db):
    engine = _engine()
    heard = []
    engine.subscribe(lambda change: heard.append(change.event))
    engine.raise_event(Observation("watchdog_restart", "appliance", True, T0, "restarted"))
    engine.observe([_soc(True, 0)])
    engine.tick(T0 + 120_000)
    restart, soc = sorted(engine.active(), key=lambda a: a.kind != "watchdog_restart")
    assert engine.acknowledge(restart.alert_id, "owner", T0 + 130_000).ended_at == T0 + 130_000
    assert engine.acknowledge(soc.alert_id, "owner", T0 + 130_000).active
    assert [a.kind for a in engine.active()] == [SOC]
    assert heard == ["opened", "opened", "acknowledged", "closed", "acknowledged"]
    assert engine.acknowledge(9999, "owner", T0) is None


def test_a_listener_that_raises_never_stops_the_alerts(db, caplog):
    engine = _engine()
    engine.subscribe(lambda change: 1 / 0)
    engine.raise_event(Observation("watchdog_restart", "appliance", True, T0, "restarted"))
    assert len(engine.active()) == 1 and "alert listener" in caplog.text
