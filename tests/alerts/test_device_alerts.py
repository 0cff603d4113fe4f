"""Device alerts from real conditions on loopback: a simulator stopped, the grid's voltage at 0, a backup
adapter; each raised after its hold, once (idempotent), acknowledged, cleared, and reopened when it flaps."""

from __future__ import annotations

import pytest

from appliance.alerts.settings import PREFIX
from appliance.catalog import adapters
from appliance.drivers.connect import LinkPool
from appliance.store.models import AlertRow
from tests.alerts.conftest import METER, PACK, make_rig


def test_a_stopped_meter_raises_device_offline_after_its_hold_once_and_clears(rig, sims):
    rig.step(times=2)
    assert rig.alerts.active() == []
    sims.stop_meter()
    rig.step(times=3)  # 15 s: failing, but not yet for the 60 s hold
    assert rig.active("device_offline") == []
    rig.step(seconds=20, times=3)  # past the hold (the poller backs off; the timer still counts)
    [alert] = rig.active("device_offline")
    assert alert.subject == METER and alert.device_id == METER and alert.severity == "warning"
    assert "Grid meter does not answer" in alert.message and alert.ended_at is None
    # Idempotent: more failed polls and timer runs keep the one alert, and the one stored row.
    rig.step(seconds=30, times=4)
    assert [a.alert_id for a in rig.active("device_offline")] == [alert.alert_id]
    assert [(r.alert_id, r.ended_at) for r in rig.rows("device_offline")] == [(alert.alert_id, None)]
    # Acknowledged: who and when; it stays active until the meter answers; a second acknowledgement changes nothing.
    acked = rig.alerts.acknowledge(alert.alert_id, "owner")
    assert acked.acknowledged_by == "owner" and acked.acknowledged_at == rig.clock.now and acked.active
    rig.clock.advance(10)
    again = rig.alerts.acknowledge(alert.alert_id, "someone else")
    assert (again.acknowledged_by, again.acknowledged_at) == ("owner", acked.acknowledged_at)
    assert AlertRow.get_by_id(alert.alert_id).acknowledged_by == "owner"
    # The meter comes back on its port: the alert closes (device_offline clears at the first good read).
    sims.start_meter()
    rig.step(seconds=400)  # past the poller's longest backoff
    assert rig.active("device_offline") == []
    [row] = rig.rows("device_offline")
    assert row.ended_at == rig.clock.now and row.acknowledged_by == "owner"


def test_a_flapping_device_reopens_its_alert_instead_of_raising_new_ones(rig, sims):
    rig.alerts.save_rule_settings({PREFIX + "device_offline.hold_s": "0"})
    rig.step()
    for _ in range(3):
        sims.stop_meter()
        rig.step(times=2)
        assert len(rig.active("device_offline")) == 1
        sims.start_meter()
        rig.step(seconds=400)
        assert rig.active("device_offline") == []
    rows = rig.rows("device_offline")
    assert len(rows) == 1 and rows[0].flaps == 2, "one record that came back twice, not three alerts"
    # Quiet for longer than the flap window: the next outage is a new alert.
    rig.step(seconds=600, times=2)
    sims.stop_meter()
    rig.step(times=2)
    assert len(rig.rows("device_offline")) == 2


def test_grid_voltage_at_zero_raises_a_grid_outage_and_grid_restored_clears_it(rig, sims):
    rig.step(times=2)
    sims.meter_values.update(voltages_v=[0.0, 0.0, 0.0], frequency_hz=0.0, powers_w=[0, 0, 0], power_w=0,
                             currents_a=[0.0, 0.0, 0.0])
    sims.inverter_values.update({"grid_voltage_v": 0.0, "grid_frequency_hz": 0.0, "details.grid_voltages_v": [0.0] * 3})
    rig.step(times=1)
    assert rig.active("grid_outage") == [], "5 s at 0 V is a flicker below the 10 s hold"
    rig.step(times=2)
    [alert] = rig.active("grid_outage")
    assert alert.subject == "system:home" and alert.severity == "critical" and alert.device_id == METER
    assert alert.message.startswith("Grid outage: the grid meter Grid meter reads 0 V")
    rig.step(times=5)
    assert len(rig.rows("grid_outage")) == 1
    assert rig.alerts.acknowledge(alert.alert_id, "owner").active
    # The meter dies with the grid (it is powered by it): the inverter still says the grid is down.
    sims.stop_meter()
    rig.step(seconds=20, times=3)
    assert [a.alert_id for a in rig.active("grid_outage")] == [alert.alert_id]
    # Grid restored: the inverter reads 230 V again; the alert closes after 30 s of a live grid.
    sims.inverter_values.update({"grid_voltage_v": 231.0, "grid_frequency_hz": 50.0,
                                 "details.grid_voltages_v": [231.0, 230.0, 232.0]})
    rig.step(times=2)
    assert rig.active("grid_outage"), "10 s of grid is not yet a restored grid"
    rig.step(times=5)
    assert rig.active("grid_outage") == []
    assert AlertRow.get_by_id(alert.alert_id).ended_at is not None


def test_cells_pushed_out_of_balance_raise_cell_imbalance(rig, sims):
    rig.alerts.save_rule_settings({PREFIX + "cell_imbalance.hold_s": "30", PREFIX + "cell_imbalance.clear_s": "30"})
    rig.step(times=2)
    cells = sims.pack_values["cell_voltages_v"]
    cells[6] = 3.452  # one cell runs ahead: 150 mV above the lowest
    rig.step(times=5)
    assert rig.active("cell_imbalance") == []
    rig.step(times=3)
    [alert] = rig.active("cell_imbalance")
    assert alert.device_id == PACK and "cell 7 at 3.452 V" in alert.message and "out of balance by 154 mV" in \
        alert.message
    rig.step(times=4)
    assert len(rig.rows("cell_imbalance")) == 1 and rig.rows("cell_imbalance")[0].updated_at == alert.updated_at, \
        "a held alert is not rewritten per reading"
    rig.alerts.acknowledge(alert.alert_id, "installer")
    cells[6] = 3.37  # 72 mV: inside the band (below 80 % of 100 mV): clearing, for the 30 s clear hold
    rig.step(times=5)
    assert rig.active("cell_imbalance"), "20 s in balance does not close it yet"
    rig.step(times=2)
    assert rig.active("cell_imbalance") == [] and rig.rows("cell_imbalance")[0].acknowledged_by == "installer"


def test_a_cell_out_of_range_temperatures_charge_and_bms_alarms(rig, sims):
    holds = {PREFIX + f"{rule}.{name}": "0" for rule in ("cell_voltage", "pack_temperature", "soc_low", "bms_alarm")
             for name in ("hold_s", "clear_s")}
    rig.alerts.save_rule_settings(holds)
    rig.step()
    sims.pack_values["cell_voltages_v"][2] = 3.75
    sims.pack_values.update(cell_temperatures_c=[56.0, 41.0], soc_pct=9, alarms=["cell_overvoltage"])
    rig.step()
    found = {a.kind: a for a in rig.alerts.active()}
    assert {"cell_voltage", "pack_temperature_high", "soc_low", "bms_alarm"} <= set(found)
    assert "cell 3 is at 3.750 V, above 3.7 V" in found["cell_voltage"].message
    assert "56.0 °C, above 50 °C" in found["pack_temperature_high"].message
    assert "charged to 9 %" in found["soc_low"].message
    assert found["bms_alarm"].message == "JK pack reports: cell overvoltage"
    # A new flag joins: the BMS alarm's record says so (one update, not a new alert).
    sims.pack_values["alarms"] = ["cell_overvoltage", "charge_overtemperature"]
    rig.step()
    [bms] = rig.active("bms_alarm")
    assert bms.alert_id == found["bms_alarm"].alert_id and "charge overtemperature" in bms.message
    sims.pack_values["cell_voltages_v"][2] = 3.30
    sims.pack_values.update(cell_temperatures_c=[-4.0, 2.0], soc_pct=30, alarms=[])
    rig.step()
    kinds = {a.kind for a in rig.alerts.active()}
    assert kinds == {"pack_temperature_low"}


def test_a_pack_gateway_stopped_is_an_offline_pack(rig, sims):
    rig.step(times=2)
    sims.stop_pack()
    rig.step(seconds=20, times=5)
    [alert] = rig.active("device_offline")
    assert alert.device_id == PACK
    sims.start_pack()
    rig.step(seconds=400)
    assert rig.active("device_offline") == []


def test_a_garbled_answer_is_a_degraded_device_not_an_offline_one(rig, sims):
    # Slowness is the other half of this rule: a loaded test machine must not make the pack "slow" here.
    rig.alerts.save_rule_settings({PREFIX + "device_degraded.hold_s": "10", PREFIX + "device_degraded.clear_s": "0",
                                   PREFIX + "device_degraded.response_ms": "60000"})
    rig.step()
    sims.gateway.pack.fault = "bad_checksum"  # the pack answers, but its frames do not check out
    rig.step(seconds=30, times=3)
    [alert] = rig.active("device_degraded")
    assert alert.device_id == PACK and "answers with data that cannot be read" in alert.message
    assert rig.active("device_offline") == []
    sims.gateway.pack.fault = None
    rig.step(seconds=400)
    assert rig.active("device_degraded") == []


@pytest.fixture
def failover_rig(home, clock):
    """The pack also reachable over Bluetooth (a simulated BLE link) as its backup adapter."""
    from appliance.sim.jkbms_ble import FakeBleLink

    adapters.create_adapter("p1_ble", "jkbms_ble", {"bt_addresses": ["C8:47:8C:00:00:01"], "timeout_s": 0.5})
    adapters.link_pack_adapter("p1", "p1_ble")
    made = make_rig(clock, pool=LinkPool(ble_link_factory=lambda address, timeout: FakeBleLink(address=address,
                                                                                                seed=3)))
    yield made
    made.alerts.stop()
    made.writer.stop()
    made.pool.close_all()


def test_failover_to_the_backup_adapter_raises_and_failing_back_clears(failover_rig, sims):
    rig = failover_rig
    rig.step(times=2)
    sims.stop_pack()
    rig.step(times=4)  # three failed polls on the gateway, then the BLE backup answers
    [alert] = rig.active("adapter_failover")
    assert alert.device_id == PACK and alert.entity == "adapter p1_ble"
    assert "read through its backup adapter p1_ble: p1_tcp does not answer" in alert.message
    assert rig.active("device_offline") == [], "the pack answers through its backup: it is not offline"
    rig.step(times=3)
    assert len(rig.rows("adapter_failover")) == 1
    rig.alerts.acknowledge(alert.alert_id, "installer")
    sims.start_pack()
    rig.step(times=8)  # the poller tries its preferred adapter again every few polls
    assert rig.active("adapter_failover") == []
    status = rig.alerts.status()["devices"]
    pack = next(d for d in status if d["device_id"] == PACK)
    assert [(a["adapter_id"], a["in_use"], a["state"]) for a in pack["adapters"]] == [
        ("p1_tcp", True, "ok"), ("p1_ble", False, "standby")]
