"""The MQTT settings in app_settings: `mqtt.config` (JSON, no password) and `mqtt.password` (write-only).

The password is stored like the headend token: as it is (the broker needs it), in the database only the
service user reads; no page, export or API answer ever shows it.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, replace
from typing import Any, Callable, Mapping

from appliance.clock import utc_now_iso
from appliance.errors import ValidationError
from appliance.mqtt import config as mqtt_config
from appliance.mqtt.config import MqttConfig
from appliance.store import settings as stored_settings
from appliance.store.models import database

log = logging.getLogger(__name__)

CONFIG_KEY, PASSWORD_KEY = "mqtt.config", "mqtt.password"
KEYS = (CONFIG_KEY, PASSWORD_KEY)
#: What `mqtt.config` holds: every field but the password.
STORED = ("enabled", "host", "port", "tls", "username", "protocol", "ca_file", "client_cert", "client_key",
          "discovery_prefix", "topic_base", "commands", "queue_size")


def _read(key: str) -> Any:
    return stored_settings.get_json(key)


def _write(key: str, value: object) -> None:
    if value is None:
        stored_settings.delete(key)
        return
    stored_settings.put_json(key, value, updated_at=utc_now_iso())


def _from_stored(values: object, password: object) -> MqttConfig:
    """A config from the stored JSON, every field checked as if typed."""
    if not isinstance(values, Mapping) or set(values) - set(STORED):
        raise ValidationError(f"{CONFIG_KEY} must be an object with {', '.join(STORED)}", field=CONFIG_KEY)
    fields: dict[str, Any] = {}
    if values.get("host"):
        port = values.get("port", mqtt_config.DEFAULT_PORT)
        scheme = "mqtts" if values.get("tls") else "mqtt"
        if isinstance(port, bool) or not isinstance(port, int):
            raise ValidationError(f"{CONFIG_KEY}.port must be a whole number", field=CONFIG_KEY)
        fields["url"] = f"{scheme}://{values['host']}:{port}"
    for key in ("enabled", "username", "protocol", "ca_file", "client_cert", "client_key", "discovery_prefix",
                "topic_base", "commands", "queue_size"):
        if key in values:
            fields[key] = values[key]
    if password is not None:
        fields["password"] = password
    return mqtt_config.from_mapping(fields, prefix=f"{CONFIG_KEY}.")


def load() -> MqttConfig:
    """The stored settings (defaults when none); a broken stored value disables MQTT with one log line."""
    values = _read(CONFIG_KEY)
    if values is None:
        return MqttConfig()
    try:
        return _from_stored(values, _read(PASSWORD_KEY))
    except ValidationError as exc:
        log.error("MQTT is off: the stored settings are wrong (%s); save them again in Settings", exc.message)
        return MqttConfig()


def save(config: MqttConfig) -> MqttConfig:
    """Store a checked config in one transaction; the password only when it has one."""
    config = mqtt_config.check(config)
    stored = {key: value for key, value in asdict(config).items() if key in STORED}
    with database.atomic():
        _write(CONFIG_KEY, stored)
        if config.password is not None:
            _write(PASSWORD_KEY, config.password)
        elif not config.username:
            _write(PASSWORD_KEY, None)  # no user, no password: a left-over password is not kept
    return load()


def update(values: Mapping[str, Any], *, prefix: str = "") -> MqttConfig:
    """Apply fields (see config.FIELDS) to the stored settings and store them; an empty password keeps it."""
    return save(mqtt_config.from_mapping(values, load(), prefix=prefix))


def clear_password() -> MqttConfig:
    """Forget the stored password."""
    with database.atomic():
        _write(PASSWORD_KEY, None)
    return load()


def describe(config: MqttConfig | None = None) -> dict[str, Any]:
    """The settings for a page or an API answer: the password only as `password_set`."""
    config = config or load()
    out = {key: value for key, value in asdict(config).items() if key != "password"}
    out.update(url=config.url(), broker=config.broker, password_set=config.password is not None)
    return out


def check_setting(key: str, value: object) -> Any:
    """A snapshot's `mqtt.*` setting checked before it is restored (accounts.backup calls this)."""
    if key == CONFIG_KEY:
        _from_stored(value, None)
        return value
    if key == PASSWORD_KEY:
        return mqtt_config.check_secret(value, key)
    if key == PUBLISHED_KEY:
        return check_published(value)
    raise ValidationError(f"unknown MQTT setting {key!r}", field=key)


def import_section(section: object) -> MqttConfig:
    """The `mqtt:` section of config.yaml: fields on top of what is stored (an absent password keeps it)."""
    if not isinstance(section, Mapping):
        raise ValidationError("must be a mapping of MQTT settings (url, protocol, ...)", field=None)
    return update(section)


def export_section() -> dict[str, Any] | None:
    """The `mqtt:` section of config.yaml (no password); None while MQTT was never set."""
    if _read(CONFIG_KEY) is None:
        return None
    return mqtt_config.to_mapping(load())


def with_override(config: MqttConfig, url: str | None) -> MqttConfig:
    """The settings with the broker of `--mqtt URL` (for this process only; nothing is stored)."""
    return config.with_url(url) if url else config


def without_secrets(config: MqttConfig) -> MqttConfig:
    """A copy safe to hand to a page or a log."""
    return replace(config, password=None)


PUBLISHED_KEY = "mqtt.published"
MAX_PUBLISHED_TOPICS = 100_000


def load_published() -> dict[str, list[str]]:
    """The retained discovery topics published per owner (device, appliance, energy), to clear them later."""
    value = _read(PUBLISHED_KEY)
    try:
        return check_published(value)
    except ValidationError:
        return {}


def save_published(published: Mapping[str, list[str]]) -> None:
    """Remember the retained topics per owner (written only when they change)."""
    with database.atomic():
        _write(PUBLISHED_KEY, {owner: sorted(topics) for owner, topics in published.items() if topics} or None)


def check_published(value: object) -> dict[str, list[str]]:
    """A published-topics record: {owner: [topic, ...]}."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(t, str) for t in v)
            for k, v in value.items()) or sum(len(v) for v in value.values()) > MAX_PUBLISHED_TOPICS:
        raise ValidationError(f"{PUBLISHED_KEY} must map owners to lists of topics", field=PUBLISHED_KEY)
    return {k: list(v) for k, v in value.items()}


def config_sections() -> dict[str, tuple[Callable[[object], MqttConfig], Callable[[], dict[str, Any] | None]]]:
    """The config.yaml section MQTT owns, for the edges to hand to catalog's import and export."""
    return {"mqtt": (import_section, export_section)}
