"""The watchdog restart seen at the next start: the real `appliance run` killed as systemd's watchdog kills it
(SIGABRT), `appliance note-exit` run as ExecStopPost= with systemd's variables, then started again."""

from __future__ import annotations

import signal

import pytest

from appliance.alerts import restart
from tests.runtime.appliance_process import Box, PASSWORD

START = 1_780_000_000_000


def test_the_markers_tell_a_clean_stop_a_watchdog_kill_a_crash_and_a_power_cut(tmp_path):
    assert restart.begin(tmp_path, START) is None, "a first start has no previous run"
    restart.end(tmp_path, START + 1000, START)
    restart.note_exit(tmp_path, {"SERVICE_RESULT": "success", "EXIT_CODE": "exited", "EXIT_STATUS": "0"}, START + 1100)
    clean = restart.begin(tmp_path, START + 5000)
    assert clean is not None and clean.stopped_cleanly and restart.observations(clean, START + 5000) == []
    # The watchdog killed the running process (it never reached its clean stop).
    restart.note_exit(tmp_path, {"SERVICE_RESULT": "watchdog", "EXIT_CODE": "dumped", "EXIT_STATUS": "ABRT"},
                      START + 9000)
    [watchdog] = restart.observations(restart.begin(tmp_path, START + 10_000), START + 10_000)
    assert watchdog.kind == "watchdog_restart" and watchdog.ts == START + 9000
    assert "stopped answering the watchdog (systemd result watchdog, dumped ABRT)" in watchdog.message
    # A crash that systemd saw.
    restart.note_exit(tmp_path, {"SERVICE_RESULT": "core-dump", "EXIT_CODE": "dumped", "EXIT_STATUS": "SEGV"}, 1)
    [crash] = restart.observations(restart.begin(tmp_path, START + 20_000), START + 20_000)
    assert crash.kind == "unclean_stop" and "it crashed" in crash.message
    # A power cut: no note, and the marker still says running.
    [cut] = restart.observations(restart.begin(tmp_path, START + 30_000), START + 30_000)
    assert cut.kind == "unclean_stop" and "a power cut, or it was killed" in cut.message
    # Unreadable markers are a warning, never a failed start.
    (tmp_path / restart.RUN_STATE).write_text("{half")
    assert restart.begin(tmp_path, START + 40_000) is not None


@pytest.fixture
def box(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    config = tmp_path / "config.yaml"
    config.write_text("home: {id: home, name: Home, timezone: UTC}\n")
    made = Box(data, config)
    assert made.cli("set-password", stdin=PASSWORD + "\n").returncode == 0
    return made


def _note(box: Box, **env: str):
    """What systemd does after the process ended: ExecStopPost= with its variables."""
    box.extra_env = env
    try:
        return box.cli("note-exit")
    finally:
        box.extra_env = {}


def _alerts(running, session) -> list[dict]:
    return running.get("/api/alerts", session).json()["alerts"]


@pytest.mark.timeout(240)
def test_a_watchdog_kill_is_an_alert_at_the_next_start_and_a_clean_restart_is_none(box):
    first = box.start()
    first.wait_running()
    first.proc.send_signal(signal.SIGABRT)  # what systemd sends when the watchdog is not petted
    assert first.proc.wait(60) != 0
    noted = _note(box, SERVICE_RESULT="watchdog", EXIT_CODE="dumped", EXIT_STATUS="ABRT")
    assert noted.returncode == 0 and "noted: watchdog" in noted.stdout
    second = box.start()
    try:
        second.wait_running()
        session = second.log_in()
        [alert] = _alerts(second, session)
        assert alert["kind"] == "watchdog_restart" and alert["severity"] == "warning" and alert["active"]
        assert "The watchdog restarted the appliance" in alert["message"]
        csrf = session.get(f"{second.url}/alerts").text.split('name="csrf-token" content="')[1].split('"')[0]
        acked = session.post(f"{second.url}/api/alerts/{alert['id']}/ack", headers={"X-CSRF-Token": csrf}, timeout=30)
        assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "admin"
        assert acked.json()["active"] is False, "an event alert ends when acknowledged"
        assert _alerts(second, session) == []
    finally:
        assert second.stop() == 0
    assert _note(box, SERVICE_RESULT="success", EXIT_CODE="exited", EXIT_STATUS="0").returncode == 0
    third = box.start()
    try:
        third.wait_running()
        session = third.log_in()
        assert _alerts(third, session) == [], "a clean stop and start raise nothing"
        history = third.get("/api/alerts?all=1", session).json()["alerts"]
        assert [a["kind"] for a in history] == ["watchdog_restart"]
    finally:
        third.stop()
