"""Thresholds and hold times of the alert rules: defaults (docs/decisions.md says why), validation, storage.

Every rule has a raise hold (the condition must last this long: a flicker is not an alert) and a clear
hold (it must be gone this long before the alert closes: a wobble does not close and reopen it), and
most have a threshold. Values live in app_settings under `alerts.<rule>.<name>`; a missing key is its
default, so a new version's better default reaches every box whose owner did not choose one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from appliance.errors import ValidationError
from appliance.store import alerts as store

PREFIX = "alerts."
DAY_S = 86_400.0


@dataclass(frozen=True)
class Param:
    """One setting of a rule."""

    rule: str
    name: str
    label: str
    unit: str
    default: float
    low: float
    high: float

    @property
    def key(self) -> str:
        """Its app_settings key."""
        return f"{PREFIX}{self.rule}.{self.name}"


def _rule(rule: str, hold_s: float, clear_s: float, *thresholds: tuple[str, str, str, float, float, float]
          ) -> list[Param]:
    params = [Param(rule, name, label, unit, default, low, high) for name, label, unit, default, low, high in thresholds]
    params.append(Param(rule, "hold_s", "Lasting at least", "s", hold_s, 0, DAY_S))
    params.append(Param(rule, "clear_s", "Clear after", "s", clear_s, 0, DAY_S))
    return params


#: Rule -> its settings, in the order the settings page shows them.
RULES: dict[str, list[Param]] = {
    "grid_outage": _rule("grid_outage", 10, 30, ("min_voltage_v", "Grid voltage below", "V", 50, 1, 500),
                         ("min_frequency_hz", "Grid frequency below", "Hz", 40, 1, 70)),
    "device_offline": _rule("device_offline", 60, 0, ("failed_polls", "Failed polls in a row", "", 2, 1, 100)),
    "device_degraded": _rule("device_degraded", 300, 120, ("response_ms", "Answer slower than", "ms", 1000, 50,
                                                           60_000)),
    "adapter_failover": _rule("adapter_failover", 0, 0),
    "cell_imbalance": _rule("cell_imbalance", 600, 300, ("spread_mv", "Cell spread above", "mV", 100, 5, 2000)),
    "cell_voltage": _rule("cell_voltage", 30, 60, ("low_v", "Cell voltage below", "V", 2.7, 0.5, 5),
                          ("high_v", "Cell voltage above", "V", 3.7, 0.5, 5)),
    "pack_temperature": _rule("pack_temperature", 120, 300, ("high_c", "Battery temperature above", "°C", 50, 0, 100),
                              ("low_c", "Battery temperature below", "°C", 0, -40, 40)),
    "soc_low": _rule("soc_low", 120, 60, ("soc_pct", "Charge below", "%", 15, 1, 99)),
    "bms_alarm": _rule("bms_alarm", 10, 60),
    "disk_nearly_full": _rule("disk_nearly_full", 0, 60, ("free_mb", "Room left below", "MB", 256, 1, 1_000_000)),
    "database_error": _rule("database_error", 0, 60),
    "clock_unsynced": _rule("clock_unsynced", 900, 0),
    "headend_unreachable": _rule("headend_unreachable", 600, 0),
    "sync_backlog": _rule("sync_backlog", 0, 0, ("age_min", "Oldest unsent change older than", "min", 60, 1,
                                                 43_200)),
    "general": [Param("general", "flap_window_s", "Reopen an alert that comes back within", "s", 900, 0, DAY_S)],
}
PARAMS: dict[str, Param] = {p.key: p for params in RULES.values() for p in params}
#: Which rule's timing each kind of alert follows.
RULE_OF_KIND = {"pack_temperature_high": "pack_temperature", "pack_temperature_low": "pack_temperature"}


@dataclass(frozen=True)
class RuleSettings:
    """Every rule setting with defaults filled in; `get("cell_imbalance", "spread_mv")`."""

    values: Mapping[str, float]

    def get(self, rule: str, name: str) -> float:
        """One setting's value."""
        return self.values[f"{PREFIX}{rule}.{name}"]

    def timing(self, kind: str) -> tuple[int, int]:
        """(raise hold, clear hold) in ms for a kind of alert; events and unknown kinds have none."""
        rule = RULE_OF_KIND.get(kind, kind)
        if f"{PREFIX}{rule}.hold_s" not in self.values:
            return 0, 0
        return int(self.get(rule, "hold_s") * 1000), int(self.get(rule, "clear_s") * 1000)

    @property
    def flap_window_ms(self) -> int:
        """An alert that comes back within this long after it closed is reopened, not raised anew."""
        return int(self.get("general", "flap_window_s") * 1000)


def defaults() -> RuleSettings:
    """The settings a new box starts with."""
    return RuleSettings({key: p.default for key, p in PARAMS.items()})


def load(overrides: Mapping[str, float] | None = None) -> RuleSettings:
    """The stored settings over the defaults (an unusable stored value is its default), then `overrides`."""
    values = {key: p.default for key, p in PARAMS.items()}
    for key, value in store.read_settings(PREFIX).items():
        param = PARAMS.get(key)
        if param is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if math.isfinite(value) and param.low <= value <= param.high:
            values[key] = float(value)
    values.update(overrides or {})
    return RuleSettings(values)


def check(form: Mapping[str, Any]) -> dict[str, float | None]:
    """Parse and check submitted settings: {key: value, or None for 'back to the default'}; unknown keys refused."""
    out: dict[str, float | None] = {}
    for key, raw in form.items():
        param = PARAMS.get(key)
        if param is None:
            raise ValidationError(f"unknown alert setting {key!r}", field=key)
        text = raw.strip() if isinstance(raw, str) else raw
        if text in ("", None):
            out[key] = None
            continue
        if isinstance(text, bool):
            raise ValidationError(f"{param.label} must be a number", field=key)
        try:
            value = float(text)
        except (TypeError, ValueError):
            raise ValidationError(f"{param.label} must be a number, not {str(raw)[:40]!r}", field=key) from None
        if not math.isfinite(value) or not param.low <= value <= param.high:
            raise ValidationError(f"{param.label} must be between {param.low:g} and {param.high:g}"
                                  f"{' ' + param.unit if param.unit else ''}", field=key)
        out[key] = value
    return out


def save(form: Mapping[str, Any], *, now_ms: Callable[[], int]) -> RuleSettings:
    """Check and store settings (all or nothing); the settings in force after it."""
    checked = check(form)
    merged = dict(load().values)
    merged.update({key: PARAMS[key].default if value is None else value for key, value in checked.items()})
    for rule, (low, high) in (("cell_voltage", ("low_v", "high_v")), ("pack_temperature", ("low_c", "high_c"))):
        bottom, top = merged[f"{PREFIX}{rule}.{low}"], merged[f"{PREFIX}{rule}.{high}"]
        if bottom >= top:
            key = f"{PREFIX}{rule}.{high}"
            raise ValidationError(f"{PARAMS[key].label} ({top:g}) must be higher than "
                                  f"{PARAMS[f'{PREFIX}{rule}.{low}'].label.lower()} ({bottom:g})", field=key)
    stamp = datetime.fromtimestamp(now_ms() / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    store.write_settings(checked, stamp)
    return load()
