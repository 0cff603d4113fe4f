"""The demo home in this process, publishing to a test broker: the real pipeline from simulator to MQTT."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from appliance.commands.main_job import build_demo
from appliance.runtime import RuntimeOptions
from appliance.settings import Settings


@contextmanager
def demo_home(folder: Path, mqtt_url: str, **options: Any) -> Iterator[Any]:
    """Start the demo (no web) with `--mqtt mqtt_url`; stop it afterwards."""
    settings = Settings(data_dir=folder / "data", db_path=folder / "demo.db", config_file=folder / "none.yaml")
    runtime, demo = build_demo(settings, RuntimeOptions(web=False, mqtt_url=mqtt_url, mqtt_role="demo",
                                                        **{"mqtt_interval_s": 1.0, **options}))
    try:
        runtime.start()
        yield runtime
    finally:
        runtime.stop()
        demo.stop()
