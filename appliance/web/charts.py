"""Chart specifications for static/app.js (uPlot): energy bars of a period, power lines of a history.

Labels come from the vocabulary; values stay numbers (None = no data). Exports and charging are drawn
below the axis (negated here) so one chart reads "in above, out below" without a minus sign in sight:
the axis and the legend show magnitudes.
"""

from __future__ import annotations

from typing import Any

from appliance import vocabulary
from appliance.jsontypes import Json

COLORS = {"pv_energy_kwh": "#e0a100", "load_energy_kwh": "#c0504d", "import_kwh": "#5b6bd1",
          "export_kwh": "#9aa5ea", "charge_kwh": "#7cc39b", "discharge_kwh": "#2f8f5b",
          "pv_power_w": "#b07d00", "load_power_w": "#8f2f2c", "grid_power_w": "#3845a8",
          "battery_power_w": "#1f6b42", "soc_pct": "#8a5cc2", "power_w": "#3845a8"}
#: Which power lines each level's history draws, in order (the others go to the CSV).
LINE_KEYS = ("pv_power_w", "load_power_w", "grid_power_w", "battery_power_w", "soc_pct")
#: Short enough for a phone's legend; the sign convention in words.
LINE_LABELS = {"pv_power_w": "Solar kW", "load_power_w": "Home kW", "grid_power_w": "Grid kW (+ import)",
               "battery_power_w": "Battery kW (+ discharge)", "soc_pct": "SOC %"}


def _midpoints(bars: list[dict[str, Any]]) -> list[float]:
    """Each bar's x (seconds) at the middle of its period, so a bar sits between the ticks of its period."""
    return [(b["start"] + b["end"]) / 2000 for b in bars]


def _range(bars: list[dict[str, Any]]) -> list[float] | None:
    """The x range of a bar chart (seconds): the whole period, so the outer bars are not cut in half."""
    return [bars[0]["start"] / 1000, bars[-1]["end"] / 1000] if bars else None


def _bar(key: str, bars: list[dict[str, Any]], align: int, *, below: bool = False) -> Json:
    values = [None if b.get(key) is None else (-b[key] if below else b[key]) for b in bars]
    return {"key": key, "label": vocabulary.label(key), "values": values, "color": COLORS[key], "type": "bar",
            "align": align, "scale": "kWh", "below": below}


def energy_charts(period: dict[str, Any], lines: dict[str, Any] | None = None) -> list[Json]:
    """The two charts of an energy period: solar and consumption; grid and battery (out of the home below)."""
    bars = period["bars"]
    x = _midpoints(bars)
    common: Json = {"x": x, "timezone": period["timezone"], "resolution": period["resolution"], "unit": "kWh",
              "range": _range(bars)}
    first: Json = {"id": "chart-solar", "title": "Solar and consumption",
             "series": [_bar("pv_energy_kwh", bars, -1), _bar("load_energy_kwh", bars, 1)], **common}
    if lines and lines.get("ts"):
        # The day view: power lines over the hourly bars, on their own kW axis, at their own times.
        first["lines"] = {"x": [t / 1000 for t in lines["ts"]], "unit": "kW", "series": [
            {"key": k, "label": LINE_LABELS[k], "color": COLORS[k],
             "values": [None if v is None else round(v / 1000, 3) for v in lines[k]]}
            for k in ("pv_power_w", "load_power_w") if k in lines]}
    second: Json = {"id": "chart-grid", "title": "Grid and battery",
              "series": [_bar("import_kwh", bars, -1), _bar("export_kwh", bars, -1, below=True),
                         _bar("discharge_kwh", bars, 1), _bar("charge_kwh", bars, 1, below=True)], **common}
    return [first, second]


def history_chart(ts: list[int], columns: dict[str, list[Any]], timezone: str, kind: str | None) -> Json:
    """Power lines (kW) and SOC (%) of a history series, labelled for people."""
    series: list[Json] = []
    for key in LINE_KEYS:
        values = columns.get(key)
        if not values or all(v is None for v in values):
            continue
        percent = key.endswith("_pct")
        label = LINE_LABELS.get(key) or vocabulary.label(key, kind)
        if kind == "meter" and key == "grid_power_w":
            label = "Meter kW (+ import)"
        series.append({"key": key, "label": label, "color": COLORS[key],
                       "scale": "%" if percent else "kW", "type": "line",
                       "values": values if percent else [None if v is None else round(v / 1000, 3) for v in values]})
    return {"id": "history-chart", "x": [t / 1000 for t in ts], "timezone": timezone, "unit": "kW",
            "resolution": "time", "series": series}


def daily_bars_chart(ts: list[int], columns: dict[str, list[Any]], timezone: str) -> Json:
    """Daily kWh bars of a year's 1d history series (whatever energies the level has)."""
    bars = [{"start": t, "end": t + 86_400_000, **{k: columns[k][i] for k in columns}} for i, t in enumerate(ts)]
    keys = [k for k in ("pv_energy_kwh", "load_energy_kwh", "import_kwh", "export_kwh", "discharge_kwh",
                        "charge_kwh") if any(v is not None for v in columns.get(k, []))]
    aligns = {"pv_energy_kwh": -1, "load_energy_kwh": 1, "import_kwh": -1, "export_kwh": -1, "discharge_kwh": 1,
              "charge_kwh": 1}
    series = [_bar(k, bars, aligns[k], below=k in ("export_kwh", "charge_kwh")) for k in keys]
    return {"id": "history-chart", "title": "Energy per day", "x": _midpoints(bars), "timezone": timezone,
            "resolution": "day", "unit": "kWh", "series": series, "range": _range(bars)}


def columns(rows: Any) -> tuple[list[int], dict[str, list[Any]]]:
    """A history series (a dict of columns with `ts`, or a list of rows with `ts`) as (ts, columns)."""
    if isinstance(rows, dict) and "ts" in rows:
        return list(rows["ts"]), {k: list(v) for k, v in rows.items() if k != "ts" and isinstance(v, (list, tuple))}
    rows = sorted((r for r in rows or [] if isinstance(r, dict) and "ts" in r), key=lambda r: r["ts"])
    names: list[str] = []
    for r in rows:
        names.extend(k for k in r if k != "ts" and k not in names and isinstance(r[k], (int, float, type(None))))
    return [r["ts"] for r in rows], {n: [r.get(n) for r in rows] for n in names}
