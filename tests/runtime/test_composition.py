"""runtime.py is the one composition root: the services it builds share its pool and reach the web as built."""

from __future__ import annotations

from appliance.discovery.process import Sources
from appliance.discovery.sources import StaticPortSource
from appliance.runtime import Runtime, RuntimeOptions
from appliance.settings import Settings


def test_the_runtime_builds_one_of_each_on_its_one_pool_and_hands_those_to_the_web(tmp_path):
    settings = Settings(data_dir=tmp_path, db_path=tmp_path / "a.db", config_file=tmp_path / "none.yaml")
    runtime = Runtime(settings, RuntimeOptions(web=False), discovery_sources=Sources(usb=StaticPortSource([])))
    try:
        runtime.open()
        # Setpoints, probes and polls share one pool: a write or a probe holds the bus lock a poll holds.
        assert runtime.dispatcher.pool is runtime.pool and runtime.discovery.pool is runtime.pool
        assert runtime.acquisition.pool is runtime.pool
        config = runtime.web_config()
        assert (config["DISPATCHER"], config["DISCOVERY"], config["STORAGE"], config["ALERTS"]) == (
            runtime.dispatcher, runtime.discovery, runtime.storage, runtime.alerts)
        # The settings page reads the running headend link, not a fresh one without its errors.
        assert config["SYNC_BACKLOG"] == runtime.sync_backlog
    finally:
        runtime.stop()
