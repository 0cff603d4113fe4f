"""Program control, the one service the web API, the control page and (later) MQTT call: read a device's
program, change it (validated, clamped, leased, budgeted, read back, audited), dry-run it, hand it back.

Every caller names its `source` (ui, api, schedule, mqtt) and who it is (`holder`); the same rules apply
whoever asks.
"""

from __future__ import annotations

import json
from typing import Mapping, NotRequired, TypedDict, overload

from appliance.clock import iso_ms
from appliance.control import assets as asset_info
from appliance.control import budget, delivery, engine, lease
from appliance.drivers.modbus.settings import SettingsMap
from appliance.errors import ApplianceError, ValidationError
from appliance.jsontypes import Json, JsonObject, JsonValue
from appliance.store.models import ControlSnapshot, SetpointState

FIELDS = {"program", "dry_run", "takeover", "lease_s"}


class SettingView(TypedDict):
    """A setting as a form shows it: name, label, unit, kind, choices and the limits that apply now."""

    name: str
    label: str
    unit: str | None
    type: str
    slot: bool
    read_only: bool
    choices: list[str] | None
    min: JsonValue
    max: JsonValue
    step: float
    source: str


class ActiveSetpoint(TypedDict):
    """The setpoint a device holds now."""

    target_w: float
    applied_w: float | None
    expires_at: int | None
    expires: str | None
    source: str


class KeptProgram(TypedDict):
    """The owner's program kept before the first setpoint write."""

    taken_at: int
    taken: str | None
    program: Json


class ControlView(TypedDict):
    """Who controls a device now: the lease, the write budget, the setpoint in force, the kept program."""

    asset_id: str
    name: str
    lease: lease.LeaseJson | None
    budget: budget.BudgetJson
    setpoint: ActiveSetpoint | None
    snapshot: KeptProgram | None


class ProgramView(ControlView):
    """A device's program as read now (else the last one read, `stale`, with the error) and its settings."""

    program: Json | None
    read_at: int | None
    stale: bool
    error: str | None
    settings: list[SettingView]
    last_error: str | None


class ProgramChange(engine.OutcomeJson):
    """A program change, made or (dry run) planned, with the lease and the budget it goes by."""

    dry_run: bool
    asset_id: str
    lease: lease.LeaseJson | None
    refused_without_takeover: NotRequired[bool]
    budget: budget.BudgetJson


class Handback(ControlView):
    """A device handed back: whether the owner's program was written back and the lease released."""

    restored: bool
    released: bool


class HandbackPlan(engine.OutcomeJson):
    """The writes a hand-back would make (a dry run)."""

    dry_run: bool
    asset_id: str


def device_of(asset_id: object) -> tuple[asset_info.AssetInfo, engine.Device]:
    """The asset and its program adapter; ValidationError for an asset without a program."""
    asset = asset_info.resolve(asset_id)
    adapter = asset.setpoint_adapter
    if not asset.program or adapter is None:
        raise ValidationError(f"asset {asset.asset_id!r} ({asset.kind}) has no program the appliance can change",
                              field="asset_id")
    return asset, engine.Device(asset.asset_id, adapter.adapter_type, adapter.config)


def controllable(asset_id: object) -> bool:
    """Whether an asset has a program the appliance can change (its control page exists)."""
    try:
        device_of(asset_id)
    except ApplianceError:
        return False
    return True


def settings_of(smap: SettingsMap, program: JsonObject) -> list[SettingView]:
    """What each setting is, for a form: name, label, unit, kind, choices and the limits that apply now."""
    out: list[SettingView] = []
    for item in smap.settings:
        def bound(value: float | str | None) -> JsonValue:
            return program.get(value) if isinstance(value, str) else value
        out.append({"name": item.name, "label": item.label, "unit": item.unit, "type": item.type, "slot": item.slot,
                    "read_only": item.read_only, "choices": list(item.enum.values()) or None,
                    "min": bound(item.minimum), "max": bound(item.maximum), "step": item.scale,
                    "source": item.source})
    return out


def _state(asset: asset_info.AssetInfo, device: engine.Device, now: int) -> ControlView:
    held = lease.current(asset.asset_id, now)
    snap = ControlSnapshot.get_or_none(ControlSnapshot.device == asset.asset_id)
    setpoint = SetpointState.get_or_none(SetpointState.asset == asset.asset_id)
    active: ActiveSetpoint | None = None
    if setpoint is not None and not setpoint.released:
        active = {"target_w": setpoint.target_w, "applied_w": setpoint.applied_w, "expires_at": setpoint.expires_at,
                  "expires": iso_ms(setpoint.expires_at), "source": setpoint.control_source}
    return {"asset_id": asset.asset_id, "name": asset.name, "lease": held.to_json() if held else None,
            "budget": budget.budget(asset.asset_id, device.config, now).to_json(), "setpoint": active,
            "snapshot": {"taken_at": snap.taken_at, "taken": iso_ms(snap.taken_at),
                         "program": json.loads(snap.program)} if snap is not None else None}


def describe(asset_id: object, *, dispatcher: delivery.Dispatcher) -> ProgramView:
    """The program read from the device now (else the last one read, marked stale, with the error), who holds
    the lease, the write budget left, the setpoint in force and the kept owner's program."""
    asset, device = device_of(asset_id)
    now = dispatcher.clock()
    state = _state(asset, device, now)
    shown: Json | None
    read_at: int | None
    try:
        smap, _, program = engine.read(dispatcher.pool, device, now)
        shown, read_at, stale, error = program, now, False, None
        settings = settings_of(smap, program)
    except (ApplianceError, OSError) as exc:
        shown, read_at, _ = engine.cached_program(asset.asset_id)
        stale, error, settings = True, str(exc) or type(exc).__name__, []
    _, _, last_error = engine.cached_program(asset.asset_id)
    return ProgramView(**state, program=shown, read_at=read_at, stale=stale, error=error, settings=settings,
                       last_error=last_error)


def parse(body: object) -> tuple[Mapping[str, object], bool, bool, int]:
    """A change request: {program: {...}, dry_run?, takeover?, lease_s?}."""
    if not isinstance(body, Mapping):
        raise ValidationError("the body must be a JSON object", field=None)
    for key in body:
        if key not in FIELDS:
            raise ValidationError(f"unknown field {key!r}", field=str(key))
    changes = body.get("program")
    if not isinstance(changes, Mapping) or not changes:
        raise ValidationError("program must be an object of the settings to change", field="program")
    flags = {key: body.get(key, False) for key in ("dry_run", "takeover")}
    for key, flag in flags.items():
        if not isinstance(flag, bool):
            raise ValidationError(f"{key} must be true or false", field=key)
    return changes, flags["dry_run"], flags["takeover"], lease.lease_s(body.get("lease_s"))


def change(asset_id: object, body: object, *, source: str, holder: str,
           dispatcher: delivery.Dispatcher) -> ProgramChange:
    """Change a device's program as `source` asks: a dry run answers the exact register writes and writes
    nothing; otherwise the lease is taken (409 if another source holds it and no takeover), a setpoint in force
    ends (the owner's new program replaces it), the budget is checked, the changed registers are written with
    FC16 and read back."""
    lease.check_source(source)
    changes, dry_run, takeover, seconds = parse(body)
    asset, device = device_of(asset_id)
    now = dispatcher.clock()
    planner = engine.program_change(changes)
    if dry_run:
        outcome = engine.change(dispatcher.pool, device, planner, now=now, source=source, holder=holder, dry_run=True)
        held = lease.conflict(asset.asset_id, source, now)
        return {"dry_run": True, "asset_id": asset.asset_id, **outcome.to_json(),
                "lease": held.to_json() if held else None, "refused_without_takeover": held is not None,
                "budget": budget.budget(asset.asset_id, device.config, now).to_json()}
    with dispatcher.serial():
        taken = lease.acquire(asset.asset_id, source, holder, now=now, until=now + seconds * 1000, takeover=takeover)
        dispatcher.cancel(asset.asset_id, now, source=source, holder=holder)
        outcome = engine.change(dispatcher.pool, device, planner, now=now, source=source, holder=holder,
                                reason="program change")
    return {"dry_run": False, "asset_id": asset.asset_id, **outcome.to_json(), "lease": taken.to_json(),
            "budget": budget.budget(asset.asset_id, device.config, now).to_json()}


@overload
def release(asset_id: object, body: None = None, *, source: str, holder: str,
            dispatcher: delivery.Dispatcher) -> Handback: ...


@overload
def release(asset_id: object, body: object, *, source: str, holder: str,
            dispatcher: delivery.Dispatcher) -> Handback | HandbackPlan: ...


def release(asset_id: object, body: object = None, *, source: str, holder: str,
            dispatcher: delivery.Dispatcher) -> Handback | HandbackPlan:
    """Hand a device back: a setpoint `source` holds ends now (the owner's program is written back) and its
    lease is released. Another source's lease is refused (409) like any change. With {dry_run: true} the
    answer is the writes that would restore the owner's program, and nothing happens."""
    lease.check_source(source)
    body = {} if body is None else body
    if not isinstance(body, Mapping) or set(body) - {"dry_run"} or not isinstance(body.get("dry_run", False), bool):
        raise ValidationError("the body may only hold dry_run (true or false)", field="dry_run")
    asset, device = device_of(asset_id)
    now = dispatcher.clock()
    if body.get("dry_run"):
        outcome = engine.change(dispatcher.pool, device, engine.restoring(asset.asset_id), now=now, source=source,
                                holder=holder, dry_run=True)
        return {"dry_run": True, "asset_id": asset.asset_id, **outcome.to_json()}
    held = lease.conflict(asset.asset_id, source, now)
    if held is not None:
        lease.acquire(asset.asset_id, source, holder, now=now, until=now)  # audits the refusal and raises
    with dispatcher.serial():
        restored = dispatcher.end(asset.asset_id, now, holder=holder)
        released = lease.release(asset.asset_id, source, now=now, reason="handed back")
    return {"asset_id": asset.asset_id, "restored": restored, "released": released,
            **_state(asset, device, now)}
