"""Dispatch: a signed setpoint for an asset, a system or a control group, planned, delivered and logged."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Mapping, NotRequired, TypedDict

from appliance.control import assets as asset_info
from appliance.control import delivery, engine, lease
from appliance.control.plan import Candidate, Plan, ShareJson, split, total_limit
from appliance.drivers.modbus.settings_edit import ClampJson, WriteJson
from appliance.errors import ApplianceError, NotFoundError, ValidationError
from appliance.jsontypes import Json, JsonObject
from appliance.store import control as control_store
from appliance.store.models import DeviceGroup, DeviceGroupMember, DispatchLog, System, database

#: command_source values of the domain document.
SOURCES = {0: "manual", 1: "controller mode 1", 2: "controller mode 2", 3: "controller mode 3",
           4: "controller mode 4", 5: "external dispatch"}
MANUAL, EXTERNAL = 0, 5
FIELDS = {"asset_id", "system_id", "site_id", "group_id", "kw", "mw", "duration_s", "command_source", "dry_run",
          "takeover"}
#: Shares that are written: the rest (offline, maintenance, no setpoints) are left alone.
WRITTEN = (None, "at SOC reserve", "full", "SOC unknown (reserve set)", "no limit in this direction")
MAX_ABS_W = 1e9  # 1 GW: beyond any home or site; a typo in units, not a setpoint
MAX_DURATION_S = 7 * 24 * 3600
MAX_LOG = 500


class ShareOutcome(ShareJson):
    """An asset's share with what became of it: written (the delivery's result), skipped, or in a dry run the
    exact register writes and the lease that would stand in the way."""

    status: str
    applied_w: NotRequired[float | None]
    error: NotRequired[str | None]
    retry_at: NotRequired[int]
    lease: NotRequired[lease.LeaseJson | None]
    writes: NotRequired[list[WriteJson]]
    clamps: NotRequired[list[ClampJson]]
    program: NotRequired[JsonObject]


class Target(TypedDict):
    """What a command was sent to."""

    kind: str
    id: str


class DispatchHead(TypedDict):
    """The command as planned: what was asked of which target, and what could be placed."""

    ts: int
    target: Target
    ignored: list[str]
    command_source: int
    source_name: str
    requested_w: float
    requested_kw: float
    placed_w: float
    unplaced_w: float
    duration_s: int | None
    expires_at: int | None


class DispatchAnswer(DispatchHead):
    """A dispatch as the API answers it: the command, its plan and each asset's outcome."""

    dispatch_id: int | None
    dry_run: NotRequired[bool]
    outcome: str
    shares: list[ShareOutcome]


class ExpiredShare(TypedDict):
    """The share dispatch_log keeps of a setpoint that ended."""

    asset_id: str
    setpoint_w: float
    status: str
    applied_w: float | None
    error: str | None
    expired_dispatch_id: int | None


@dataclass(frozen=True)
class Command:
    """A checked dispatch request: one target (the most specific named), watts, optional duration."""

    target_kind: str  # asset, group, system
    target_id: str
    requested_w: float
    unit_field: str  # kw or mw: the field errors about the value name
    duration_s: int | None
    command_source: int
    ignored: tuple[str, ...]
    dry_run: bool = False  # answer the plan and the exact register writes; write and log nothing
    takeover: bool = False  # take the lease from another source that holds it


def _text(body: Mapping[str, object], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise ValidationError(f"{key} must be an id", field=key)
    return value


def parse(body: object, *, default_source: int = MANUAL) -> Command:
    """Check a dispatch body: exactly one of kw/mw (finite), a target, optional duration_s and command_source."""
    if not isinstance(body, Mapping):
        raise ValidationError("the body must be a JSON object", field=None)
    for key in body:
        if key not in FIELDS:
            raise ValidationError(f"unknown field {key!r}", field=str(key))
    given = [k for k in ("kw", "mw") if body.get(k) is not None]
    if len(given) != 1:
        raise ValidationError("give exactly one of kw or mw", field="kw")
    unit = given[0]
    value = body[unit]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"{unit} must be a finite number", field=unit)
    watts = float(value) * (1000.0 if unit == "kw" else 1_000_000.0)
    if abs(watts) > MAX_ABS_W:
        raise ValidationError(f"{unit} {value} is beyond any limit", field=unit)
    system = _text(body, "system_id")
    site = _text(body, "site_id")
    if system is not None and site is not None and system != site:
        raise ValidationError("site_id is a synonym of system_id; they differ", field="site_id")
    targets = [("asset", "asset_id", _text(body, "asset_id")), ("group", "group_id", _text(body, "group_id")),
               ("system", "system_id" if system else "site_id", system or site)]
    named = [(kind, key, value) for kind, key, value in targets if value is not None]
    if not named:
        raise ValidationError("name an asset_id, a system_id (or site_id) or a group_id", field="asset_id")
    # The most specific target wins: a command that names an asset never fans out.
    kind, _, target_id = named[0]
    duration = body.get("duration_s")
    if duration is not None:
        if isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= MAX_DURATION_S:
            raise ValidationError(f"duration_s must be whole seconds from 1 to {MAX_DURATION_S}", field="duration_s")
    source = body.get("command_source", default_source)
    if isinstance(source, bool) or not isinstance(source, int) or source not in SOURCES:
        raise ValidationError("command_source must be 0 (manual), 1-4 (controller modes) or 5 (external dispatch)",
                              field="command_source")
    flags = {key: body.get(key, False) for key in ("dry_run", "takeover")}
    for key, flag in flags.items():
        if not isinstance(flag, bool):
            raise ValidationError(f"{key} must be true or false", field=key)
    return Command(kind, str(target_id), watts, unit, duration, source, tuple(key for _, key, _ in named[1:]),
                   dry_run=flags["dry_run"], takeover=flags["takeover"])


def _candidate(asset: asset_info.AssetInfo, requested_w: float, priority: int | None = None) -> Candidate:
    discharge = requested_w > 0
    weight = asset.weight_discharge_w if requested_w >= 0 else asset.weight_charge_w
    reason = None
    if not asset.dispatchable:
        reason = "takes no setpoints"
    elif "maintenance" in (asset.lifecycle_state, asset.health_status):
        reason = "maintenance"
    elif asset.lifecycle_state == "decommissioned":
        reason = "decommissioned"
    elif asset.health_status == "offline":
        reason = "offline"
    elif requested_w != 0:
        soc = asset_info.latest_soc(asset)
        if discharge and asset.soc_reserve_pct is not None and (soc is None or soc <= asset.soc_reserve_pct):
            reason = "at SOC reserve" if soc is not None else "SOC unknown (reserve set)"
        elif not discharge and soc is not None and soc >= 100:
            reason = "full"
        elif (asset.max_w if discharge else -asset.min_w) <= 0:
            reason = "no limit in this direction"
    return Candidate(asset.asset_id, weight, asset.min_w, asset.max_w, reason, priority)


def _targets(command: Command) -> tuple[list[asset_info.AssetInfo], dict[str, int | None], bool]:
    """The assets a command addresses, their priorities, and whether priority tiers apply."""
    if command.target_kind == "asset" and command.target_id.startswith(asset_info.ARRAY_PREFIX):
        # A battery array is one logical battery: its setpoint goes to whatever drives it.
        logical = asset_info.logical_battery(command.target_id.removeprefix(asset_info.ARRAY_PREFIX))
        everything = asset_info.configured(logical.system_id)
        ids = asset_info.array_controllers(logical.battery_array_id, everything)
        if not ids:
            raise ValidationError(f"battery array {logical.battery_array_id!r} has no inverter or pack that takes "
                                  "setpoints", field="asset_id")
        return [a for a in everything if a.asset_id in ids], {}, False
    if command.target_kind == "asset":
        asset = asset_info.resolve(command.target_id)
        if not asset.dispatchable:
            raise ValidationError(f"asset {asset.asset_id!r} ({asset.kind}) takes no setpoints", field="asset_id")
        return [asset], {}, False
    if command.target_kind == "system":
        field = "system_id"
        if System.get_or_none(System.system_id == command.target_id) is None:
            raise NotFoundError(f"system {command.target_id!r} does not exist", field=field)
        found = [a for a in asset_info.configured(command.target_id) if a.dispatchable]
        if not found:
            raise ValidationError(f"system {command.target_id!r} has no asset that takes setpoints", field=field)
        return found, {}, False
    group = DeviceGroup.get_or_none(DeviceGroup.group_id == command.target_id)
    if group is None:
        raise NotFoundError(f"device group {command.target_id!r} does not exist", field="group_id")
    if group.group_type != "control":
        raise ValidationError(f"group {command.target_id!r} is a {group.group_type} group, not a control group",
                              field="group_id")
    members = {m.device_id: m.priority for m in DeviceGroupMember.select().where(DeviceGroupMember.group == group.group_id)}
    found = []
    for device_id in sorted(members):
        try:
            found.append(asset_info.resolve(device_id))
        except NotFoundError:
            continue  # a registered (non-catalog) member is no asset and takes no setpoints
    if not any(a.dispatchable for a in found):
        raise ValidationError(f"group {command.target_id!r} has no member that takes setpoints", field="group_id")
    return found, members, True


def plan(command: Command) -> Plan:
    """The split of a command over its target's assets (no writes); ValidationError beyond every limit."""
    found, priorities, tiered = _targets(command)
    candidates = [_candidate(a, command.requested_w, priorities.get(a.asset_id)) for a in found]
    limit = total_limit([c for c in candidates if c.excluded != "takes no setpoints"], command.requested_w)
    if abs(command.requested_w) > limit + 1e-6:
        raise ValidationError(f"{command.requested_w / 1000:g} kW is beyond the limit of {command.target_kind} "
                              f"{command.target_id!r} ({limit / 1000:g} kW in that direction)",
                              field=command.unit_field)
    return split(command.requested_w, candidates, by_priority=tiered)


def _outcome(plan_: Plan, results: list[delivery.WriteResult]) -> str:
    statuses = [r["status"] for r in results]
    if not results or (plan_.requested_w != 0 and abs(plan_.placed_w) < 1e-6):
        return "rejected"
    if statuses and all(s == "failed" for s in statuses):
        return "failed"
    if "failed" in statuses or plan_.unplaced_w != 0:
        return "partial"
    if "deferred" in statuses:
        return "deferred"
    return "applied"


def _prime(command: Command, runner: delivery.Dispatcher, now: int) -> None:
    """Read the program of a program device whose limits are not known yet (its rated power is in it)."""
    found, _, _ = _targets(command)
    for asset in found:
        if asset.program and asset_info.rated_w(asset.asset_id) is None and asset.setpoint_adapter is not None \
                and asset.health_status != "offline":
            device = engine.Device(asset.asset_id, asset.setpoint_adapter.adapter_type, asset.setpoint_adapter.config)
            try:
                engine.read(runner.pool, device, now)
            except (ApplianceError, OSError):
                continue  # the plan leaves it out for want of limits; the device's error shows on its page


def _hold_leases(command: Command, written: list[str], *, source: str, holder: str, now: int,
                 until: int) -> None:
    """Every written asset's lease for `source`; LeaseConflict (409, nothing written) when another source holds
    one and the command does not take over."""
    for asset_id in written:
        if lease.conflict(asset_id, source, now) is not None and not command.takeover:
            lease.acquire(asset_id, source, holder, now=now, until=until)  # audits the refusal and raises
    for asset_id in written:
        lease.acquire(asset_id, source, holder, now=now, until=until, takeover=command.takeover)


def _dry_run(command: Command, plan_: Plan, runner: delivery.Dispatcher, now: int,
             source: str) -> list[ShareOutcome]:
    shares: list[ShareOutcome] = []
    for share in plan_.shares:
        if share.excluded in WRITTEN:
            held = lease.conflict(share.asset_id, source, now)
            shares.append({**share.to_json(), "status": "dry_run", "lease": held.to_json() if held else None,
                           **runner.preview(share.asset_id, share.setpoint_w, now)})
        else:
            shares.append({**share.to_json(), "status": "skipped", "writes": []})
    return shares


def dispatch(body: object, *, dispatcher: delivery.Dispatcher, default_source: int = MANUAL,
             requested_by: str | None = None, control_source: str = "api") -> DispatchAnswer:
    """Check, plan, deliver and log a setpoint command; return the plan with each asset's outcome. With
    `dry_run` the answer carries each asset's exact register writes, and nothing is written or logged."""
    command = parse(body, default_source=default_source)
    now = dispatcher.clock()
    _prime(command, dispatcher, now)
    plan_ = plan(command)
    expires_at = now + command.duration_s * 1000 if command.duration_s else None
    holder = requested_by or control_source
    answer: DispatchHead = {
        "ts": now, "target": {"kind": command.target_kind, "id": command.target_id},
        "ignored": list(command.ignored), "command_source": command.command_source,
        "source_name": SOURCES[command.command_source], "requested_w": round(command.requested_w, 3),
        "requested_kw": round(command.requested_w / 1000, 6), "placed_w": plan_.to_json()["placed_w"],
        "unplaced_w": plan_.to_json()["unplaced_w"], "duration_s": command.duration_s, "expires_at": expires_at}
    if command.dry_run:
        return {"dispatch_id": None, "dry_run": True, **answer, "outcome": "dry_run",
                "shares": _dry_run(command, plan_, dispatcher, now, control_source)}
    written = [share.asset_id for share in plan_.shares if share.excluded in WRITTEN]
    _hold_leases(command, written, source=control_source, holder=holder, now=now,
                 until=expires_at or now + lease.lease_s() * 1000)
    with database.atomic():
        entry = DispatchLog.create(ts=now, command_source=command.command_source, target_kind=command.target_kind,
                                   target_id=command.target_id, requested_w=command.requested_w,
                                   placed_w=plan_.placed_w, unplaced_w=plan_.unplaced_w,
                                   duration_s=command.duration_s, expires_at=expires_at, outcome="planned",
                                   shares="[]", requested_by=requested_by)
    shares: list[ShareOutcome] = []
    results: list[delivery.WriteResult] = []
    for share in plan_.shares:
        # Offline or maintenance assets are not written at all; an asset left out for its SOC is told 0 W.
        if share.excluded in WRITTEN:
            result = dispatcher.hold(share.asset_id, share.setpoint_w, now=now,
                                 expires_at=expires_at if share.excluded is None else None,
                                 command_source=command.command_source, dispatch_id=entry.dispatch_id,
                                 control_source=control_source, holder=holder)
            shares.append({**share.to_json(), **result})
            results.append(result)
        else:
            shares.append({**share.to_json(), "status": "skipped", "applied_w": None, "error": None})
    outcome = _outcome(plan_, results)
    control_store.set_dispatch_outcome(entry.dispatch_id, outcome, json.dumps(shares, sort_keys=True, allow_nan=False))
    return {"dispatch_id": entry.dispatch_id, **answer, "outcome": outcome, "shares": shares}


def expire_setpoints(now_ms: int, dispatcher: delivery.Dispatcher) -> list[delivery.TickResult]:
    """Revert ended setpoints and retry deferred or failed writes (the runtime runs this every few seconds)."""
    results = dispatcher.tick(now_ms)
    for r in results:
        if not r["expired"]:
            continue
        share = ExpiredShare(asset_id=r["asset_id"], setpoint_w=r["target_w"], status=r["status"],
                             applied_w=r.get("applied_w"), error=r.get("error"), expired_dispatch_id=r["dispatch_id"])
        DispatchLog.create(ts=now_ms, command_source=r["command_source"], target_kind="asset", target_id=r["asset_id"],
                           requested_w=r["target_w"], placed_w=r["target_w"], unplaced_w=0.0, outcome="expired",
                           shares=json.dumps([share], sort_keys=True, allow_nan=False), requested_by="expiry")
    return results


def log_entries(*, limit: object = 50, before: object = None, target_id: object = None) -> list[Json]:
    """dispatch_log rows, newest first: at most `limit`, ids below `before`, optionally of one target."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LOG:
        raise ValidationError(f"limit must be a whole number from 1 to {MAX_LOG}", field="limit")
    query = DispatchLog.select().order_by(DispatchLog.dispatch_id.desc()).limit(limit)
    if before is not None:
        if isinstance(before, bool) or not isinstance(before, int) or before < 1:
            raise ValidationError("before must be a dispatch id", field="before")
        query = query.where(DispatchLog.dispatch_id < before)
    if target_id is not None:
        query = query.where(DispatchLog.target_id == target_id)
    out: list[Json] = []
    for entry in query:
        item: Json = {f.column_name: entry.__data__.get(f.name) for f in DispatchLog._meta.sorted_fields}
        item["shares"] = json.loads(entry.shares or "[]")
        item["source_name"] = SOURCES.get(entry.command_source)
        out.append(item)
    return out
