"""The MQTT settings as one value: the broker URL, TLS files, topics, commands; every field checked.

Pure: no database, no paho. `settings.py` keeps it in app_settings, `--mqtt` and config.yaml feed it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote, unquote, urlsplit

from appliance.errors import ValidationError
from appliance.validation import check_text

PROTOCOLS = ("3.1.1", "5")
DEFAULT_PORT, DEFAULT_TLS_PORT = 1883, 8883
DEFAULT_PREFIX = "homeassistant"
DEFAULT_QUEUE = 1000
MIN_QUEUE, MAX_QUEUE = 10, 100_000
HOST_PATTERN = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.\-_]{0,251}[A-Za-z0-9])?|[0-9A-Fa-f:.]+)$")
#: A topic (prefix or base): levels of printable characters, no wildcards, no empty level.
TOPIC_PATTERN = re.compile(r"^[^\s/+#\x00]{1,64}(/[^\s/+#\x00]{1,64}){0,7}$")
#: Keys of the config.yaml section and of the JSON the settings page posts.
FIELDS = ("enabled", "url", "username", "password", "protocol", "ca_file", "client_cert", "client_key",
          "discovery_prefix", "topic_base", "commands", "queue_size")


@dataclass(frozen=True)
class MqttConfig:
    """Where and how to publish. `topic_base` None means `appliance/<system_id>` of the first system."""

    enabled: bool = False
    host: str = ""
    port: int = DEFAULT_PORT
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    protocol: str = "3.1.1"
    ca_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    discovery_prefix: str = DEFAULT_PREFIX
    topic_base: str | None = None
    commands: bool = False
    queue_size: int = DEFAULT_QUEUE

    @property
    def configured(self) -> bool:
        """Enabled and a broker named: the link should run."""
        return self.enabled and bool(self.host)

    @property
    def broker(self) -> str:
        """'host:port' as messages name the broker (never the password)."""
        return f"{self.host}:{self.port}" if self.host else "no broker"

    def url(self, *, with_password: bool = False) -> str:
        """The broker as a URL; the password only when asked (config.yaml never gets it)."""
        if not self.host:
            return ""
        user = ""
        if self.username:
            user = quote(self.username, safe="")
            if with_password and self.password:
                user += ":" + quote(self.password, safe="")
            user += "@"
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"

    def with_url(self, url: str) -> "MqttConfig":
        """The same settings with the broker of `url` (user and password from it when it has them)."""
        parsed = parse_url(url)
        return replace(self, enabled=True, host=parsed.host, port=parsed.port, tls=parsed.tls,
                       username=parsed.username if parsed.username is not None else self.username,
                       password=parsed.password if parsed.password is not None else self.password)


def parse_url(url: Any, where: str = "url") -> MqttConfig:
    """`mqtt[s]://[user[:password]@]host[:port]` as a config holding only the broker; ValidationError else."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError(f"{where} must be a URL like mqtt://user:password@host:1883", field=where)
    text = check_text(url.strip(), where)
    if len(text) > 1024:
        raise ValidationError(f"{where} is longer than 1024 characters", field=where)
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"{where}: {exc}", field=where) from None
    if parts.scheme not in ("mqtt", "mqtts"):
        raise ValidationError(f"{where} must start with mqtt:// or mqtts:// (TLS)", field=where)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValidationError(f"{where} takes no path or query: set topics and TLS files in the settings",
                              field=where)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"  # IPv6 stays bracketed, as in the URL
    host = check_host(host, where)
    tls = parts.scheme == "mqtts"
    if port is None:
        port = DEFAULT_TLS_PORT if tls else DEFAULT_PORT
    if not 1 <= port <= 65535:
        raise ValidationError(f"{where}: port must be 1..65535", field=where)
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return MqttConfig(enabled=True, host=host, port=port, tls=tls, username=check_user(username, where),
                      password=check_secret(password, where))


def check_host(host: Any, where: str = "host") -> str:
    """A host name or address."""
    if not isinstance(host, str) or not HOST_PATTERN.match(host):
        raise ValidationError(f"{where}: {host!r} is not a host name or address", field=where)
    return host


def check_user(value: object, where: str = "username") -> str | None:
    """A user name: up to 256 printable characters, or None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 256 or not value.isprintable():
        raise ValidationError(f"{where}: the user name must be up to 256 printable characters", field=where)
    return check_text(value, where)


def check_secret(value: object, where: str = "password") -> str | None:
    """A password: up to 256 characters without control characters, or None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 256 or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValidationError(f"{where}: the password must be up to 256 characters without control characters",
                              field=where)
    return check_text(value, where)


def check_topic(value: object, where: str) -> str:
    """A topic prefix or base: 1-8 levels, no wildcards, spaces or empty levels."""
    if not isinstance(value, str) or not TOPIC_PATTERN.match(value):
        raise ValidationError(f"{where} must be 1-8 topic levels separated by '/', without spaces, '+' or '#' "
                              "(e.g. appliance/home)", field=where)
    return check_text(value, where)


def check_file(value: object, where: str) -> str | None:
    """An absolute path of a readable file (CA, certificate, key), or None."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 4096 or "\x00" in value:
        raise ValidationError(f"{where} must be a file path", field=where)
    path = Path(value)
    if not path.is_absolute():
        raise ValidationError(f"{where} must be an absolute path, e.g. /etc/appliance/mqtt-ca.pem", field=where)
    if not path.is_file():
        raise ValidationError(f"{where}: {value} is not a file", field=where)
    return value


def check_bool(value: object, where: str) -> bool:
    """True or false."""
    if not isinstance(value, bool):
        raise ValidationError(f"{where} must be true or false", field=where)
    return value


def from_mapping(values: Mapping[str, Any], base: MqttConfig | None = None, *, prefix: str = "") -> MqttConfig:
    """A config from config.yaml's or a form's fields (see FIELDS) on top of `base`; every field checked.

    A missing or empty password keeps the one of `base` (the password is write-only).
    """
    unknown = [key for key in values if key not in FIELDS]
    if unknown:
        raise ValidationError(f"{prefix}{unknown[0]} is not an MQTT setting (expected one of {', '.join(FIELDS)})",
                              field=f"{prefix}{unknown[0]}")
    config = base or MqttConfig()
    if values.get("url") not in (None, ""):
        kept_password = config.password
        config = config.with_url(values["url"]) if "url" in values else config
        if config.password is None:
            config = replace(config, password=kept_password)
    elif "url" in values:
        config = replace(config, host="", port=DEFAULT_PORT, tls=False)
    changes: dict[str, Any] = {}
    where = prefix
    if "enabled" in values:
        changes["enabled"] = check_bool(values["enabled"], f"{where}enabled")
    if "username" in values:
        changes["username"] = check_user(values["username"], f"{where}username")
    if values.get("password") not in (None, ""):
        changes["password"] = check_secret(values["password"], f"{where}password")
    if "protocol" in values:
        protocol = str(values["protocol"]) if isinstance(values["protocol"], (str, int, float)) else None
        if protocol in ("3.1.1", "311", "3"):
            protocol = "3.1.1"
        if protocol in ("5", "5.0"):
            protocol = "5"
        if protocol not in PROTOCOLS:
            raise ValidationError(f"{where}protocol must be 3.1.1 or 5", field=f"{where}protocol")
        changes["protocol"] = protocol
    for key in ("ca_file", "client_cert", "client_key"):
        if key in values:
            changes[key] = check_file(values[key], f"{where}{key}")
    if "discovery_prefix" in values:
        changes["discovery_prefix"] = check_topic(values["discovery_prefix"] or DEFAULT_PREFIX,
                                                  f"{where}discovery_prefix")
    if "topic_base" in values:
        changes["topic_base"] = (check_topic(values["topic_base"], f"{where}topic_base")
                                 if values["topic_base"] not in (None, "") else None)
    if "commands" in values:
        changes["commands"] = check_bool(values["commands"], f"{where}commands")
    if "queue_size" in values:
        size = values["queue_size"]
        if isinstance(size, bool) or not isinstance(size, int) or not MIN_QUEUE <= size <= MAX_QUEUE:
            raise ValidationError(f"{where}queue_size must be a whole number {MIN_QUEUE}..{MAX_QUEUE}",
                                  field=f"{where}queue_size")
        changes["queue_size"] = size
    config = replace(config, **changes)
    if "username" in values and config.username is None and "password" not in changes:
        config = replace(config, password=None)  # no user, no password: a left-over one is not kept
    return check(config, prefix)


def check(config: MqttConfig, prefix: str = "") -> MqttConfig:
    """The rules across fields: a client key needs its certificate, an enabled link needs a broker."""
    if config.enabled and not config.host:
        raise ValidationError(f"{prefix}url: MQTT is enabled but no broker is set", field=f"{prefix}url")
    if config.client_key and not config.client_cert:
        raise ValidationError(f"{prefix}client_key needs client_cert", field=f"{prefix}client_cert")
    if (config.ca_file or config.client_cert) and not config.tls:
        raise ValidationError(f"{prefix}url: CA and client certificate files need TLS (an mqtts:// URL)",
                              field=f"{prefix}url")
    if config.password and not config.username:
        raise ValidationError(f"{prefix}username: a password needs a user name", field=f"{prefix}username")
    return config


def to_mapping(config: MqttConfig) -> dict[str, Any]:
    """The config.yaml section: every field but the password (write-only; a snapshot keeps it elsewhere)."""
    out: dict[str, Any] = {"enabled": config.enabled}
    if config.host:
        out["url"] = config.url()
    out["protocol"] = config.protocol
    for key in ("ca_file", "client_cert", "client_key"):
        if getattr(config, key):
            out[key] = getattr(config, key)
    out["discovery_prefix"] = config.discovery_prefix
    if config.topic_base:
        out["topic_base"] = config.topic_base
    out["commands"] = config.commands
    out["queue_size"] = config.queue_size
    return out
