"""Cell-voltage charts as data for a server-drawn SVG: numbered bars on an axis zoomed to the cells' own range.

A 10 mV spread between cells is the thing to see, so the axis runs from just below the lowest cell to just
above the highest, never from 0 or 2.5 V. Values show on hover or tap (each bar is focusable), min and max
are marked, balancing is shown, and the spread is coloured against thresholds.
"""

from __future__ import annotations

from typing import Any

from appliance import vocabulary
from appliance.jsontypes import Json

HEIGHT = 200
TOP, BOTTOM, LEFT = 22, 24, 44
#: Width per cell: the chart is as wide as its cells need, so a phone shows it at a readable scale.
CELL_W, MIN_WIDTH = 26, 300
#: Spread thresholds in mV: below OK_MV is well balanced, above WARN_MV needs attention (LFP practice).
OK_MV, WARN_MV = 30.0, 80.0
#: The axis spans at least this many volts, so a perfectly even pack is not drawn as huge differences.
MIN_SPAN_V = 0.02


def spread_class(delta_mv: float | None) -> str:
    """'ok', 'warn' or 'bad' for a cell spread in millivolts."""
    if delta_mv is None:
        return ""
    return "ok" if delta_mv < OK_MV else "warn" if delta_mv < WARN_MV else "bad"


def _ticks(low: float, high: float) -> list[float]:
    step = next(s for s in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5) if (high - low) / s <= 5)
    first = round(low / step + 0.4999) * step
    out, value = [], first
    while value <= high + 1e-9:
        out.append(round(value, 3))
        value += step
    return out


def chart(volts: list[Any], balancing: object = None, label: str = "Pack") -> Json | None:
    """Bars, axis ticks and the min/max/spread of one unit's cell voltages; None when no cell reported."""
    known = [v for v in volts if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if not known:
        return None
    # A BMS reports balancing for the pack (a bool) or per cell (a list of bools).
    per_cell = balancing if isinstance(balancing, list) and len(balancing) == len(volts) else None
    if per_cell is not None:
        balancing = any(bool(b) for b in per_cell)
    low, high = min(known), max(known)
    span = max(high - low, MIN_SPAN_V)
    floor = low - span * 0.35
    ceiling = high + span * 0.15
    total_w = max(MIN_WIDTH, LEFT + CELL_W * len(volts))
    plot_h = HEIGHT - TOP - BOTTOM
    width = (total_w - LEFT) / len(volts)

    def y_of(value: float) -> float:
        return TOP + (ceiling - value) / (ceiling - floor) * plot_h

    bars: list[Json] = []
    for index, volt in enumerate(volts):
        number = index + 1
        x = LEFT + index * width
        if not isinstance(volt, (int, float)) or isinstance(volt, bool):
            bars.append({"index": number, "volt": None, "text": vocabulary.DASH, "x": round(x + 1, 1),
                         "w": round(width - 2, 1), "y": HEIGHT - BOTTOM, "h": 0, "mark": "missing",
                         "cx": round(x + width / 2, 1)})
            continue
        mark = "max" if volt == high and high != low else "min" if volt == low and high != low else ""
        y = y_of(volt)
        if per_cell is not None and per_cell[index]:
            mark = f"{mark} balancing".strip()
        bars.append({"index": number, "volt": volt, "text": vocabulary.number(volt, 3, "V"), "x": round(x + 1, 1),
                     "w": round(max(width - 2, 1), 1), "y": round(y, 1), "h": round(HEIGHT - BOTTOM - y, 1),
                     "mark": mark, "cx": round(x + width / 2, 1), "balancing": bool(per_cell and per_cell[index])})
    delta_mv = round((high - low) * 1000, 1)
    ticks: list[Json] = [{"y": round(y_of(t), 1), "text": f"{t:.3f}"} for t in _ticks(floor, ceiling)]
    return {"label": label, "bars": bars, "ticks": ticks, "min": low, "max": high, "delta_mv": delta_mv,
            "spread": spread_class(delta_mv), "balancing": balancing if isinstance(balancing, bool) else None,
            "width": total_w, "height": HEIGHT, "left": LEFT, "bottom": HEIGHT - BOTTOM,
            "label_every": 1 if len(volts) <= 16 else 2, "min_cell": volts.index(low) + 1,
            "max_cell": volts.index(high) + 1, "mean": sum(known) / len(known)}


def charts(units: list[dict[str, Any]]) -> list[Json]:
    """One chart per unit of `live.cells` (a pack with one unit gets one chart named 'Pack')."""
    out: list[Json] = []
    for unit in units:
        label = f"Unit {unit['index']}" if unit.get("index") is not None and len(units) > 1 else "Cells"
        drawn = chart(unit.get("volts") or [], unit.get("balancing"), label)
        if drawn:
            temps = [t for t in unit.get("temperatures") or [] if isinstance(t, (int, float))]
            drawn["temperatures"] = vocabulary.format_value("cell_temperatures_c", temps) if temps else ""
            out.append(drawn)
    return out
