"""The live power-flow diagram as data for a server-drawn SVG: nodes, lines, directions, words, staleness.

The template draws it; CSS animates the dashes along each line (no script: the CSP allows none). A line
is drawn from where the energy comes from to where it goes, so one animation serves both directions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from appliance import timefmt, vocabulary

WIDTH, HEIGHT = 360, 350
HUB = (180.0, 165.0)
RADIUS = 36.0
#: Below this a flow is idle: no animation, a thin line.
IDLE_W = 10.0


@dataclass(frozen=True)
class Node:
    """One circle of the diagram: solar, grid, home, battery, or one array or pack of several."""

    key: str
    role: str  # pv, grid, load, battery
    title: str
    value: str
    words: str
    x: float
    y: float
    r: float
    stale: bool
    age: str
    soc: float | None = None
    soc_dash: str = ""
    alert: str = ""  # the worst active alert's severity about this part ('' when none)


@dataclass(frozen=True)
class Line:
    """A line between a node and the hub, drawn in the direction energy flows."""

    key: str
    role: str
    path: str
    direction: str  # 'in' (towards the hub), 'out' (away from it) or 'idle'
    words: str
    width: float
    speed: int  # 0 (still) .. 4 (fastest)
    stale: bool


@dataclass(frozen=True)
class Diagram:
    """Everything the SVG template needs."""

    width: int
    height: int
    hub: tuple[float, float]
    nodes: tuple[Node, ...] = field(default=())
    lines: tuple[Line, ...] = field(default=())
    summary: str = ""
    hub_alert: str = ""  # the worst active alert about the inverter at the hub


def _thickness(watts: float | None) -> tuple[float, int]:
    """Line width and animation speed class from a power: thicker and faster with more power."""
    if watts is None or abs(watts) < IDLE_W:
        return 1.5, 0
    kw = abs(watts) / 1000
    width = round(min(10.0, 2.5 + 2.2 * math.log1p(kw * 2)), 1)
    speed = 1 if kw < 0.5 else 2 if kw < 2 else 3 if kw < 5 else 4
    return width, speed


def _edge(x: float, y: float, r: float, towards: tuple[float, float], gap: float) -> tuple[float, float]:
    """The point on a circle's edge (plus a gap) that faces another point."""
    dx, dy = towards[0] - x, towards[1] - y
    length = math.hypot(dx, dy) or 1.0
    return x + dx / length * (r + gap), y + dy / length * (r + gap)


def _line(key: str, role: str, node: tuple[float, float, float], watts: float | None, into_hub_when_positive: bool,
          words: str, stale: bool) -> Line:
    x, y, r = node
    outer = _edge(x, y, r, HUB, 3)
    inner = _edge(HUB[0], HUB[1], 14, (x, y), 2)
    width, speed = _thickness(watts)
    if watts is None or abs(watts) < IDLE_W or stale:
        direction, (a, b) = "idle", (outer, inner)
    elif (watts > 0) == into_hub_when_positive:
        direction, (a, b) = "in", (outer, inner)
    else:
        direction, (a, b) = "out", (inner, outer)
    path = f"M {a[0]:.1f} {a[1]:.1f} L {b[0]:.1f} {b[1]:.1f}"
    return Line(key, role, path, direction, words, width, 0 if stale else speed, stale)


def _age(part: dict[str, Any] | None, now_ms: int) -> str:
    if not part or not part.get("ts"):
        return "no reading yet"
    return timefmt.age_text(part["ts"], now_ms)


def fit(title: str, r: float) -> str:
    """A node's title cut to what fits inside its circle (11 px text is about 6 px a character)."""
    room = max(4, int(2 * r * 0.74 / 6.1))
    return title if len(title) <= room else title[: room - 1].rstrip() + "…"


def _row(count: int, y: float) -> list[tuple[float, float, float]]:
    """Centres and radius of `count` nodes side by side at height y."""
    r = RADIUS if count <= 2 else 30.0 if count == 3 else 24.0
    step = WIDTH / count
    return [(step * (i + 0.5), y, r) for i in range(count)]


def _soc_dash(soc: Any, r: float) -> str:
    if not isinstance(soc, (int, float)) or isinstance(soc, bool):
        return ""
    circumference = 2 * math.pi * (r + 5)
    filled = max(0.0, min(100.0, float(soc))) / 100 * circumference
    return f"{filled:.1f} {circumference:.1f}"


def build(flow: dict[str, Any], now_ms: int, marks: Mapping[str, str] | None = None) -> Diagram:
    """The diagram of a `live.power_flow` answer at `now_ms`; `marks` (node key or "hub" -> severity) flags the
    parts an active alert is about."""
    parts = flow.get("parts") or {}
    nodes: list[Node] = []
    lines: list[Line] = []

    def part(name: str) -> dict[str, Any]:
        found = parts.get(name)
        if found is None:  # an answer without parts: the totals with the overall staleness
            return {"w": flow.get(f"{name}_w"), "ts": flow.get("ts"), "stale": bool(flow.get("stale"))}
        return found

    arrays = flow.get("arrays") or []
    pv_parts = arrays if len(arrays) > 1 else [{"id": "pv", "name": "Solar", **part("pv")}]
    for spot, item in zip(_row(len(pv_parts), 48), pv_parts):
        stale = bool(item.get("stale")) or item.get("w") is None
        words = "producing" if (item.get("w") or 0) >= IDLE_W else "idle"
        key = f"pv-{item['id']}" if len(pv_parts) > 1 else "pv"
        nodes.append(Node(key, "pv", fit(item.get("name") or "Solar", spot[2]), vocabulary.power(item.get("w")), words,
                          *spot,
                          stale, _age(item, now_ms)))
        lines.append(_line(key, "pv", spot, item.get("w"), True, words, stale))

    grid = part("grid")
    grid_words = vocabulary.direction("grid_w", grid.get("w")) if grid.get("w") is not None else ""
    spot = (48.0, HUB[1], RADIUS)
    grid_stale = bool(grid.get("stale")) or grid.get("w") is None
    nodes.append(Node("grid", "grid", "Grid", vocabulary.power(abs(grid["w"]) if grid.get("w") is not None else None),
                      grid_words, *spot, grid_stale, _age(grid, now_ms)))
    lines.append(_line("grid", "grid", spot, grid.get("w"), True, grid_words, grid_stale))

    load = part("load")
    spot = (WIDTH - 48.0, HUB[1], RADIUS)
    load_stale = bool(load.get("stale")) or load.get("w") is None
    nodes.append(Node("load", "load", "Home", vocabulary.power(load.get("w")), "using", *spot, load_stale,
                      _age(load, now_ms)))
    lines.append(_line("load", "load", spot, load.get("w"), False, "using", load_stale))

    packs = flow.get("packs") or []
    battery = part("battery")
    battery_parts = packs if len(packs) > 1 else [{"id": "battery", "name": "Battery", "soc_pct": flow.get("soc_pct"),
                                                   **battery}]
    for spot, item in zip(_row(len(battery_parts), HEIGHT - 70), battery_parts):
        watts = item.get("w")
        stale = bool(item.get("stale")) or watts is None
        words = vocabulary.direction("battery_w", watts) if watts is not None else ""
        key = f"battery-{item['id']}" if len(battery_parts) > 1 else "battery"
        nodes.append(Node(key, "battery", fit(item.get("name") or "Battery", spot[2]),
                          vocabulary.power(abs(watts) if watts is not None else None), words, *spot, stale,
                          _age(item, now_ms), item.get("soc_pct"), _soc_dash(item.get("soc_pct"), spot[2])))
        lines.append(_line(key, "battery", spot, watts, True, words, stale))
    marks = marks or {}
    marked = tuple(replace(n, alert=marks.get(n.key, "")) for n in nodes)
    return Diagram(WIDTH, HEIGHT, HUB, marked, tuple(lines), summary(flow), marks.get("hub", ""))


def summary(flow: dict[str, Any]) -> str:
    """One sentence of the flow for screen readers and the page title: 'Solar 2.3 kW, exporting 1.1 kW, ...'."""
    bits = []
    if flow.get("pv_w") is not None:
        bits.append(f"solar {vocabulary.power(flow['pv_w'])}")
    if flow.get("load_w") is not None:
        bits.append(f"home using {vocabulary.power(flow['load_w'])}")
    for key in ("grid_w", "battery_w"):
        if flow.get(key) is not None:
            bits.append(vocabulary.format_value(key, flow[key]))
    if flow.get("soc_pct") is not None:
        bits.append(f"battery at {vocabulary.number(flow['soc_pct'], 0, '%')}")
    text = ", ".join(bits)
    return text[:1].upper() + text[1:] if text else "No live readings"
