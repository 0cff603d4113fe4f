"""A real `appliance demo --mqtt` process: online while it runs, offline after SIGTERM (it says so) and
after kill -9 (the broker says so: the last will)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.mqtt.broker import Subscriber

APPLIANCE = str(Path(sys.executable).with_name("appliance"))
DEVICE = "inverter:powdrive_SIMPD00001"


def _start(tmp_path: Path, url: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([APPLIANCE, "--db", str(tmp_path / "demo.db"), "demo", "--no-web", "--print-every",
                             "600", "--mqtt", url], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _status(sub: Subscriber) -> str | None:
    found = [m for m in sub.messages if m.topic.endswith("/status") and m.topic.startswith("appliance/")]
    return found[-1].text if found else None


@pytest.mark.parametrize("how", ["sigterm", "kill -9"])
def test_online_while_running_then_offline_when_stopped_or_killed(broker, subscriber, tmp_path, how):
    proc = _start(tmp_path, broker.url)
    try:
        subscriber.wait_for(lambda ms: _status(subscriber) == "online", 60)
        device = subscriber.wait_for(lambda ms: next((m for m in ms if m.topic.endswith(f"/{DEVICE}/availability")
                                                      and m.text == "online"), None), 90)
        # SIGTERM is handled once the process runs (a signal during start-up is systemd's TimeoutStartSec's job).
        for line in proc.stdout:
            if line.startswith("demo running"):
                break
        before = len(subscriber.messages)
        if how == "sigterm":
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0
        else:
            proc.kill()  # no chance to say anything: `offline` can only be the broker's last will
            proc.wait(30)
        subscriber.wait_for(lambda ms: len(ms) > before and _status(subscriber) == "offline", 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    status_topic = device.topic.split("/inverter:")[0] + "/status"
    # Whoever connects later (HA after a restart) finds `offline` retained: every entity is unavailable.
    late = Subscriber(broker, (status_topic,), client_id="late")
    try:
        assert late.wait_for(lambda ms: ms and ms[-1].retain and ms[-1].text == "offline")
    finally:
        late.close()
