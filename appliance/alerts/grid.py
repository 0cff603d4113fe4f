"""The grid-outage rule: one outage per system, from its grid meter, else from its inverters.

Each system's grid is watched from the freshest sources: meters of type grid (or of no type, as
discovery leaves them) first, since they measure the grid itself; the inverters' grid port otherwise,
for instance while the meter, powered by the grid, is dark. The grid is down when every such source
reads a voltage or a frequency below the thresholds, up when one reads a live grid.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from appliance import vocabulary
from appliance.acquisition.events import PollEvent
from appliance.alerts.engine import Observation
from appliance.alerts.settings import RuleSettings

GRID_METER_ROLES = ("grid", None)
#: A source's reading counts for this many poll intervals (at least FRESH_MIN_MS).
FRESH_POLLS = 3
FRESH_MIN_MS = 30_000


@dataclass(frozen=True)
class GridSample:
    """What one device last said of the grid."""

    device_id: str
    name: str
    is_meter: bool
    ts: int
    voltage_v: float | None
    frequency_hz: float | None
    fresh_ms: int


def _num(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def subject(system_id: str) -> str:
    """The subject of a system's grid alerts."""
    return f"system:{system_id}"


class GridWatch:
    """The newest grid figures of every source, by system; thread-safe."""

    def __init__(self) -> None:
        self._samples: dict[str, dict[str, GridSample]] = {}
        self._lock = threading.Lock()

    def take(self, event: PollEvent, settings: RuleSettings) -> list[Observation]:
        """Note a poll of a grid source; the system's grid observation after it."""
        ctx, reading = event.ctx, event.reading
        if not event.ok or reading is None:
            return []
        if ctx.kind == "meter" and ctx.role in GRID_METER_ROLES:
            voltage, frequency, is_meter = reading.values.get("voltage_v"), reading.values.get("frequency_hz"), True
        elif ctx.kind == "inverter":
            voltage, frequency = reading.values.get("grid_voltage_v"), reading.values.get("grid_frequency_hz")
            is_meter = False
        else:
            return []
        sample = GridSample(ctx.device_id, ctx.name, is_meter, event.ts_ms, _num(voltage), _num(frequency),
                            max(FRESH_MIN_MS, int(FRESH_POLLS * ctx.poll_interval_s * 1000)))
        if sample.voltage_v is None and sample.frequency_hz is None:
            return []
        with self._lock:
            self._samples.setdefault(ctx.system_id, {})[ctx.device_id] = sample
        return [self.observe(ctx.system_id, event.ts_ms, settings)]

    def systems(self) -> list[str]:
        """Systems with a grid source."""
        with self._lock:
            return list(self._samples)

    def observe(self, system_id: str, now_ms: int, settings: RuleSettings) -> Observation:
        """The grid of one system now: down, up, or unknown (no fresh source)."""
        with self._lock:
            samples = list(self._samples.get(system_id, {}).values())
        fresh = [s for s in samples if now_ms - s.ts <= s.fresh_ms]
        meters = [s for s in fresh if s.is_meter]
        chosen = meters or fresh
        if not chosen:
            return Observation("grid_outage", subject(system_id), None, now_ms, system_id=system_id, entity="grid")
        min_v, min_hz = settings.get("grid_outage", "min_voltage_v"), settings.get("grid_outage", "min_frequency_hz")
        down = [s for s in chosen if (s.voltage_v is not None and s.voltage_v < min_v)
                or (s.frequency_hz is not None and s.frequency_hz < min_hz)]
        source = down[0] if down else chosen[0]
        figures = " and ".join(text for text in (
            vocabulary.number(source.voltage_v, 0, "V") if source.voltage_v is not None else "",
            vocabulary.number(source.frequency_hz, 1, "Hz") if source.frequency_hz is not None else "") if text)
        what = "grid meter" if source.is_meter else "inverter"
        message = f"Grid outage: the {what} {source.name} reads {figures} (alert below {min_v:g} V or {min_hz:g} Hz)"
        return Observation("grid_outage", subject(system_id), len(down) == len(chosen), now_ms, message,
                           device_id=source.device_id, system_id=system_id, entity="grid",
                           details={"voltage_v": source.voltage_v, "frequency_hz": source.frequency_hz,
                                    "source": source.device_id})
