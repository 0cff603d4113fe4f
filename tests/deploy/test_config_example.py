"""The commented config.yaml.example that install.sh puts in /etc/appliance is a valid configuration."""

from __future__ import annotations

from pathlib import Path

from appliance.catalog import config_yaml
from appliance.mqtt import settings as mqtt_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "systemd" / "config.yaml.example"


def test_every_line_is_a_comment_so_the_example_configures_nothing():
    assert all(not line or line.startswith("#") for line in EXAMPLE.read_text().splitlines())


def test_uncommented_the_example_imports(db):
    lines = EXAMPLE.read_text().splitlines()
    body = "\n".join(line[2:] if line.startswith("# ") else "" for line in lines[lines.index("# home:"):])
    counts = config_yaml.import_text(body, source="config.yaml.example", sections=mqtt_settings.config_sections())
    assert counts["systems"] == 1 and counts["inverters"] == 1 and counts["battery_banks"] == 1
    assert counts["meters"] == 1 and counts["mqtt settings"] == 1
