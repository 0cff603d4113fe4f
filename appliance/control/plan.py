"""Pure dispatch planning: split a signed setpoint across assets by limit, clamp, redistribute, by priority tiers."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Iterable, TypedDict

EPS_W = 1e-6


class ClampJson(TypedDict):
    """The most negative and most positive setpoint an asset takes."""

    min_w: float
    max_w: float


class ShareJson(TypedDict):
    """One asset's share of a plan, as the API and dispatch_log show it."""

    asset_id: str
    proportional_w: float
    setpoint_w: float
    clamp: ClampJson
    clamped: bool
    excluded: str | None
    priority: int | None


class PlanJson(TypedDict):
    """A plan as the API and dispatch_log show it."""

    requested_w: float
    placed_w: float
    unplaced_w: float
    shares: list[ShareJson]


@dataclass(frozen=True)
class Candidate:
    """One asset as the planner sees it; `excluded` says why it gets nothing."""

    asset_id: str
    weight_w: float  # its limit in the direction asked: the proportion it takes
    min_w: float  # most negative setpoint it takes (charge limit, <= 0)
    max_w: float  # most positive setpoint it takes (discharge limit, >= 0)
    excluded: str | None = None
    priority: int | None = None


@dataclass(frozen=True)
class Share:
    """What one asset gets: the proportional share before clamping, the final setpoint and its clamp."""

    asset_id: str
    proportional_w: float
    setpoint_w: float
    min_w: float
    max_w: float
    clamped: bool
    excluded: str | None
    priority: int | None

    def to_json(self) -> ShareJson:
        """The share as the API and dispatch_log show it."""
        return {"asset_id": self.asset_id, "proportional_w": _r(self.proportional_w),
                "setpoint_w": _r(self.setpoint_w), "clamp": {"min_w": _r(self.min_w), "max_w": _r(self.max_w)},
                "clamped": self.clamped, "excluded": self.excluded, "priority": self.priority}


@dataclass(frozen=True)
class Plan:
    """A setpoint's split: what was placed, what could not be, and each asset's share."""

    requested_w: float
    placed_w: float
    unplaced_w: float
    shares: tuple[Share, ...]

    def to_json(self) -> PlanJson:
        """The plan as the API and dispatch_log show it."""
        return {"requested_w": _r(self.requested_w), "placed_w": _r(self.placed_w),
                "unplaced_w": _r(self.unplaced_w), "shares": [s.to_json() for s in self.shares]}


def _r(value: float) -> float:
    out = round(float(value), 3)
    return 0.0 if out == 0 else out  # no "-0.0" in the API


def _cap(c: Candidate, direction: int) -> float:
    return max(0.0, c.max_w if direction > 0 else -c.min_w)


def _fill(amount: float, items: list[Candidate], direction: int) -> tuple[dict[str, float], dict[str, float], set[str]]:
    """Water-filling: proportional to weight, clamped at each cap, the cut-off spread over the rest."""
    caps = {c.asset_id: _cap(c, direction) for c in items}
    weights = {c.asset_id: (c.weight_w if c.weight_w > 0 else caps[c.asset_id]) for c in items}
    active = [c.asset_id for c in items if caps[c.asset_id] > 0 and weights[c.asset_id] > 0]
    total_weight = sum(weights[a] for a in active)
    proportional = {c.asset_id: (amount * weights[c.asset_id] / total_weight if c.asset_id in active else 0.0)
                    for c in items}
    alloc = {c.asset_id: 0.0 for c in items}
    clamped: set[str] = set()
    remaining = amount
    while remaining > EPS_W and active:
        weight = sum(weights[a] for a in active)
        over = [a for a in active if remaining * weights[a] / weight > caps[a] + EPS_W]
        if not over:
            for a in active:
                alloc[a] = remaining * weights[a] / weight
            remaining = 0.0
            break
        for a in over:
            alloc[a] = caps[a]
            remaining -= caps[a]
            clamped.add(a)
        active = [a for a in active if a not in over]
    return alloc, proportional, clamped


def split(requested_w: float, candidates: Iterable[Candidate], *, by_priority: bool = False) -> Plan:
    """Split a signed setpoint (+ = discharge) over candidates in stable id order; optionally tier by priority."""
    ordered = sorted(candidates, key=lambda c: c.asset_id)
    direction = 1 if requested_w >= 0 else -1
    eligible = [c for c in ordered if c.excluded is None]
    alloc: dict[str, float] = {}
    proportional: dict[str, float] = {}
    clamped: set[str] = set()
    if requested_w == 0:
        alloc = {c.asset_id: 0.0 for c in eligible}
        proportional = dict(alloc)
    else:
        tiers: list[list[Candidate]] = [eligible]
        if by_priority:
            keyed = sorted(eligible, key=lambda c: (c.priority is None, c.priority or 0, c.asset_id))
            tiers = [list(group) for _, group in groupby(keyed, key=lambda c: (c.priority is None, c.priority))]
        remaining = abs(requested_w)
        for tier in tiers:
            got, prop, cut = _fill(remaining, tier, direction)
            alloc.update(got)
            proportional.update(prop)
            clamped |= cut
            remaining = max(0.0, remaining - sum(got.values()))
    shares = tuple(Share(asset_id=c.asset_id, proportional_w=direction * proportional.get(c.asset_id, 0.0),
                         setpoint_w=direction * alloc.get(c.asset_id, 0.0), min_w=c.min_w, max_w=c.max_w,
                         clamped=c.asset_id in clamped, excluded=c.excluded, priority=c.priority)
                   for c in ordered)
    placed = sum(s.setpoint_w for s in shares)
    unplaced = requested_w - placed
    if abs(unplaced) < 1e-3:
        unplaced = 0.0
    return Plan(requested_w=float(requested_w), placed_w=placed, unplaced_w=unplaced, shares=shares)


def total_limit(candidates: Iterable[Candidate], requested_w: float) -> float:
    """The most the candidates could ever take in the direction asked, availability aside."""
    direction = 1 if requested_w >= 0 else -1
    return sum(_cap(c, direction) for c in candidates)
