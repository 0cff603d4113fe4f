"""`appliance demo --scenario NAME` end to end on the simulated home: each scripted fault raises its alert
through the real pipeline (simulators, drivers, pollers, rules) and the alert clears when the fault is mended.
The scenarios play faster here (a console that times out takes 6 s a poll: pack-offline plays at a quarter),
with shorter holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.commands import scenarios
from appliance.commands.main_job import SCENARIO_NAMES, build_demo, play_scenario
from appliance.runtime import RuntimeOptions
from appliance.settings import Settings
from tests.runtime.conftest import all_active_with_samples, wait_until

FAST = {"alerts.grid_outage.hold_s": 2, "alerts.grid_outage.clear_s": 2, "alerts.device_offline.hold_s": 3,
        "alerts.cell_imbalance.hold_s": 2, "alerts.cell_imbalance.clear_s": 2,
        "alerts.headend_unreachable.hold_s": 2, "alerts.sync_backlog.age_min": 0.05}
#: Scenario -> the alert it must raise, and about what.
EXPECTED = {"grid-outage": ("grid_outage", "system:"), "pack-offline": ("device_offline", "battery_pack:"),
            "cell-imbalance": ("cell_imbalance", "battery_pack:"), "headend-down": ("headend_unreachable", "headend")}


def test_every_scenario_is_offered_on_the_command_line():
    assert set(SCENARIO_NAMES) == set(scenarios.SCENARIOS) == set(EXPECTED)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_scenario_raises_its_alert_and_clears_it(tmp_path: Path, name: str, capsys) -> None:
    scenario = scenarios.SCENARIOS[name]
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "demo.db", config_file=tmp_path / "none.yaml", flush_interval_s=1.0)  # samples reach the database within a second
    options = RuntimeOptions(web=False, discovery_interval_s=3600, alerts_interval_s=0.5, push_interval_s=1.0,
                             alert_overrides={**scenario.overrides, **FAST})
    runtime, demo = build_demo(settings, options)
    headend = scenarios.prepare_headend(tmp_path) if name == "headend-down" else None
    player = None
    kind, subject = EXPECTED[name]
    try:
        runtime.start()
        wait_until(all_active_with_samples, 90)
        player = play_scenario(runtime, demo, scenario, headend, pace=0.25 if name == "pack-offline" else 0.1)

        def raised() -> list:
            return [a for a in runtime.alerts.active() if a.kind == kind and a.subject.startswith(subject)]

        [alert] = wait_until(raised, 90)
        wait_until(player.done.is_set, 90)
        wait_until(lambda: not raised(), 120)
        records = [a for a in runtime.alerts.history() if a.kind == kind]
        assert [a.alert_id for a in records] == [alert.alert_id] and records[0].ended_at is not None
        out = capsys.readouterr().out
        assert f"scenario {name}: done" in out
        assert f"alert {alert.alert_id} opened" in out and f"alert {alert.alert_id} closed" in out
        if name == "grid-outage":
            assert runtime.live.entries(), "the home kept running on its battery"
    finally:
        if player is not None:
            player.stop()
        runtime.stop()
        if headend is not None:
            headend.close()
        demo.stop()
