"""The MQTT settings: the --mqtt URL, the rules across fields, the write-only password, config.yaml and snapshots."""

from __future__ import annotations

import pytest
import yaml

from appliance.accounts.backup import export_state, restore_state
from appliance.catalog import config_yaml
from appliance.cli import main
from appliance.errors import ConfigFileError, ValidationError
from appliance.mqtt import settings as mqtt_settings
from appliance.mqtt.config import MqttConfig, from_mapping, parse_url


def test_a_url_gives_broker_user_and_password_with_tls_defaults():
    plain = parse_url("mqtt://ha:p%40ss%3Aword@broker.lan")
    assert (plain.host, plain.port, plain.tls, plain.username, plain.password) == \
        ("broker.lan", 1883, False, "ha", "p@ss:word")
    secure = parse_url("mqtts://127.0.0.1")
    assert (secure.port, secure.tls, secure.username) == (8883, True, None)
    assert parse_url("mqtt://[::1]:1884").host == "[::1]"


@pytest.mark.parametrize("url, words", [
    ("http://broker:1883", "mqtt:// or mqtts://"),
    ("mqtt://broker:70000", "Port out of range"),
    ("mqtt://bro ker", "not a host name"),
    ("mqtt://broker/topic", "no path or query"),
    ("", "must be a URL"),
])
def test_a_bad_url_is_refused_naming_what_is_wrong(url, words):
    with pytest.raises(ValidationError) as caught:
        parse_url(url)
    assert words in caught.value.message


def test_the_password_never_appears_in_a_message_or_the_repr():
    config = parse_url("mqtt://ha:topsecret@broker:1883")
    assert "topsecret" not in repr(config)
    assert "topsecret" not in config.url()
    assert config.url(with_password=True) == "mqtt://ha:topsecret@broker:1883"
    with pytest.raises(ValidationError) as caught:
        parse_url("mqtt://ha:topsecret@broker:99999")
    assert "topsecret" not in caught.value.message


@pytest.mark.parametrize("values, field", [
    ({"url": "mqtt://b", "client_key": "/etc/hostname"}, "client_cert"),
    ({"url": "mqtt://b", "ca_file": "/etc/hostname"}, "url"),
    ({"url": "mqtt://b", "password": "x"}, "username"),
    ({"enabled": True}, "url"),
    ({"url": "mqtts://b", "ca_file": "relative.pem"}, "ca_file"),
    ({"url": "mqtts://b", "ca_file": "/no/such/ca.pem"}, "ca_file"),
    ({"url": "mqtt://b", "protocol": "4"}, "protocol"),
    ({"url": "mqtt://b", "topic_base": "home/+/x"}, "topic_base"),
    ({"url": "mqtt://b", "discovery_prefix": "/ha"}, "discovery_prefix"),
    ({"url": "mqtt://b", "queue_size": 2}, "queue_size"),
    ({"url": "mqtt://b", "commands": "yes"}, "commands"),
    ({"url": "mqtt://b", "colour": "red"}, "colour"),
])
def test_rules_across_fields_name_the_field_at_fault(values, field):
    with pytest.raises(ValidationError) as caught:
        from_mapping(values)
    assert caught.value.field == field, caught.value.message


def test_the_password_is_write_only(db):
    saved = mqtt_settings.update({"enabled": True, "url": "mqtt://ha:first@broker:1883"})
    assert saved.password == "first"
    shown = mqtt_settings.describe()
    assert "password" not in shown and shown["password_set"] is True
    assert "first" not in repr(shown)
    # An empty password in a later save keeps the stored one; a new one replaces it.
    assert mqtt_settings.update({"url": "mqtt://broker:1884", "password": ""}).password == "first"
    assert mqtt_settings.update({"password": "second"}).password == "second"
    assert mqtt_settings.clear_password().password is None


def test_config_yaml_imports_and_exports_the_mqtt_section_without_the_password(db):
    text = ("home: {id: home, name: Home}\n"
            "mqtt:\n  url: mqtt://ha:hidden@127.0.0.1:1883\n  protocol: 5\n  commands: true\n"
            "  topic_base: solar/home\n")
    counts = config_yaml.import_text(text, sections=mqtt_settings.config_sections())
    assert counts["mqtt settings"] == 1
    stored = mqtt_settings.load()
    assert (stored.host, stored.protocol, stored.commands, stored.topic_base, stored.password) == \
        ("127.0.0.1", "5", True, "solar/home", "hidden")
    exported = yaml.safe_load(config_yaml.export_text(mqtt_settings.config_sections()))["mqtt"]
    assert exported["url"] == "mqtt://ha@127.0.0.1:1883"
    assert "hidden" not in yaml.safe_dump(exported)
    # The exported file imports again and keeps the stored password.
    config_yaml.import_text(yaml.safe_dump({"mqtt": exported}), sections=mqtt_settings.config_sections())
    assert mqtt_settings.load().password == "hidden"


def test_a_bad_mqtt_section_names_file_line_and_key_and_imports_nothing(db):
    text = "home: {id: home, name: Home}\nmqtt:\n  url: mqtt://broker\n  protocol: 4\n"
    with pytest.raises(ConfigFileError) as caught:
        config_yaml.import_text(text, source="config.yaml", sections=mqtt_settings.config_sections())
    assert caught.value.message.startswith("config.yaml:4: mqtt.protocol:"), caught.value.message
    assert mqtt_settings.load() == MqttConfig()
    from appliance.store.models import System

    assert not System.select().exists()  # one transaction: the home is not half-imported either


def test_without_the_section_handler_mqtt_is_an_unknown_section(db):
    with pytest.raises(ConfigFileError) as caught:
        config_yaml.import_text("mqtt:\n  url: mqtt://b\n")
    assert "unknown section" in caught.value.message


def test_a_snapshot_keeps_the_settings_and_password_and_restores_them_checked(db):
    mqtt_settings.update({"enabled": True, "url": "mqtts://ha:pw@broker:8883"})
    state = export_state()
    assert state["settings"]["mqtt.password"] == "pw"
    mqtt_settings.update({"enabled": False, "url": "", "username": None})
    checks = {"mqtt.": mqtt_settings.check_setting}
    restore_state(state, checks)
    assert mqtt_settings.load().broker == "broker:8883" and mqtt_settings.load().password == "pw"
    state["settings"]["mqtt.config"] = {"host": "broker", "port": "x"}
    with pytest.raises(ValidationError):
        restore_state(state, checks)


def test_the_cli_refuses_a_bad_mqtt_url_in_one_line(capsys):
    assert main(["run", "--mqtt", "http://user:pw@broker"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "mqtt:// or mqtts://" in err and "pw" not in err
