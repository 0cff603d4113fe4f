"""Program writes under the bus lock: read, plan the changed registers, check the budget, write with FC16,
read back and compare, audit; the owner's program kept before a setpoint and restored after it."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from typing import Callable, Mapping, TypedDict

from appliance.control import audit, budget
from appliance.drivers.connect import LinkPool, open_driver
from appliance.drivers.modbus.control import ProgramControl, SetpointContext
from appliance.drivers.modbus.settings import SettingsMap, decode_program
from appliance.drivers.modbus.settings_edit import (
    Clamp, ClampJson, Write, WriteJson, apply_changes, mismatches, plan_writes, settings_registers,
)
from appliance.errors import ApplianceError, DeviceMismatchError, TransportError, UnsupportedError
from appliance.jsontypes import Json, JsonObject
from appliance.store import control as control_store
from appliance.store.models import ControlSnapshot, ControlState, database

log = logging.getLogger(__name__)

#: Given the driver and the registers read now: the register image wanted, and the clamps made.
Planner = Callable[[ProgramControl, SettingsMap, dict[int, int]], tuple[dict[int, int], tuple[Clamp, ...]]]


class OutcomeJson(TypedDict):
    """A planned or made change as the API shows it."""

    writes: list[WriteJson]
    clamps: list[ClampJson]
    program_before: Json
    program: Json
    written: bool


@dataclass(frozen=True)
class Device:
    """A device whose program the control service writes: its registry id and the adapter it is reached by."""

    device_id: str
    adapter_type: str
    config: JsonObject


@dataclass(frozen=True)
class Outcome:
    """What a planned or made change is: the writes, the clamps, the program before and after."""

    writes: tuple[Write, ...]
    clamps: tuple[Clamp, ...]
    before: Json
    after: Json
    read_back: dict[int, int] | None = None  # None: a dry run (nothing was written)

    def to_json(self) -> OutcomeJson:
        """The outcome as the API shows it."""
        return {"writes": [w.to_json() for w in self.writes], "clamps": [c.to_json() for c in self.clamps],
                "program_before": self.before, "program": self.after, "written": self.read_back is not None}


def _store_state(device_id: str, registers: Mapping[int, int], program: JsonObject, now: int,
                 error: str | None, *, clear_error: bool) -> None:
    values: dict[str, object] = {"registers": _json({str(a): w for a, w in sorted(registers.items())}),
                              "program": _json(program), "read_at": now}
    if error is not None:
        values.update(last_error=error, last_error_at=now)
    elif clear_error:
        values.update(last_error=None, last_error_at=None)
    control_store.put_control_state(device_id, values)


def _json(value: object) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False)


def store_error(device_id: str, error: str, now: int) -> None:
    """Keep a control error on the device's state, shown until a write reads back right."""
    values = {"last_error": error, "last_error_at": now}
    control_store.put_control_state(device_id, values)


def _program_driver(pool: LinkPool, device: Device) -> tuple[ProgramControl, threading.RLock]:
    driver, lock = open_driver(device.adapter_type, device.config, pool)
    if not isinstance(driver, ProgramControl):
        raise UnsupportedError(f"{device.adapter_type} devices have no program the appliance can write")
    return driver, lock


def read(pool: LinkPool, device: Device, now: int) -> tuple[SettingsMap, dict[int, int], Json]:
    """The device's settings as read now (FC03 under the bus lock); the copy in control_state is refreshed."""
    driver, lock = _program_driver(pool, device)
    try:
        with lock:
            smap = driver.settings_map()
            registers = driver.read_settings()
    except TransportError:
        pool.reset(device.adapter_type, device.config)
        raise
    program = decode_program(smap, registers)
    _store_state(device.device_id, registers, program, now, None, clear_error=False)
    return smap, registers, program


def change(pool: LinkPool, device: Device, planner: Planner, *, now: int, source: str | None, holder: str | None,
           dry_run: bool = False, exempt: bool = False, reason: str = "") -> Outcome:
    """Plan the register image `planner` wants from what the device holds now, and (unless a dry run) write the
    changed registers, read them back and compare. Budget-exempt writes (restores) are counted, not refused."""
    driver, lock = _program_driver(pool, device)
    try:
        with lock:  # the pollers' bus lock: no poll interleaves with the read, the writes and the read-back
            smap = driver.settings_map()
            current = driver.read_settings()
            target, clamps = planner(driver, smap, current)
            writes = plan_writes(smap, current, target)
            before = decode_program(smap, current)
            if dry_run or not writes:
                return Outcome(writes, clamps, before, decode_program(smap, target), None if dry_run else current)
            if not exempt:
                budget.check(device.device_id, device.config, len(writes), now=now, source=source, holder=holder)
            sent = _send(driver, device, writes, now=now, source=source, holder=holder)
            back = driver.read_settings()
    except TransportError:
        pool.reset(device.adapter_type, device.config)
        raise
    return _verify(device, smap, writes[:sent], back, clamps, before, now=now, source=source, holder=holder,
                   reason=reason)


def _send(driver: ProgramControl, device: Device, writes: tuple[Write, ...], *, now: int, source: str | None,
          holder: str | None) -> int:
    """Send the writes one FC16 request at a time; each one sent counts against the budget."""
    for index, write in enumerate(writes):
        try:
            driver.write_settings((write,))
        except ApplianceError as exc:
            budget.spend(device.device_id, index, now)
            audit.record(device.device_id, "write_failed", f"write of {len(write.values)} registers at "
                         f"{write.address} failed: {exc}", now=now, source=source, holder=holder,
                         details={"failed": write.to_json(), "sent": [w.to_json() for w in writes[:index]]})
            store_error(device.device_id, f"write at {write.address} failed: {exc}", now)
            raise
    budget.spend(device.device_id, len(writes), now)
    return len(writes)


def _verify(device: Device, smap: SettingsMap, writes: tuple[Write, ...], back: dict[int, int],
            clamps: tuple[Clamp, ...], before: Json, *, now: int, source: str | None,
            holder: str | None, reason: str) -> Outcome:
    """Audit the writes with their read-back; a mismatch is stored, audited and raised."""
    after = decode_program(smap, back)
    wrong = mismatches(writes, back)
    detail = [{**w.to_json(), "read_back": [back.get(w.address + i) for i in range(len(w.values))]} for w in writes]
    names = ", ".join(dict.fromkeys(n for w in writes for n in w.settings))
    with database.atomic():
        audit.record(device.device_id, "write", f"{len(writes)} write(s): {names}" + (f" ({reason})" if reason else ""),
                     now=now, source=source, holder=holder, details={"writes": detail, "reason": reason})
        error = None
        if wrong:
            error = "; ".join(f"register {m['address']} reads back {m['read_back']} after a write of {m['written']}"
                              for m in wrong)
            audit.record(device.device_id, "write_mismatch", error, now=now, source=source, holder=holder,
                         details={"mismatches": wrong})
        _store_state(device.device_id, back, after, now, error, clear_error=True)
    if wrong:
        log.warning("%s: read-back mismatch: %s", device.device_id, error)
        raise DeviceMismatchError(f"{device.device_id} did not keep what was written: {error}")
    return Outcome(writes, clamps, before, after, back)


def program_change(changes: object) -> Planner:
    """A planner that applies requested program changes (validated, clamped to the model's limits)."""
    def plan(driver: ProgramControl, smap: SettingsMap, current: dict[int, int]) -> tuple[dict[int, int],
                                                                                           tuple[Clamp, ...]]:
        return apply_changes(smap, current, changes)
    return plan


def snapshot(device_id: str) -> dict[int, int] | None:
    """The owner's program registers kept before the first setpoint write, if any."""
    row = ControlSnapshot.get_or_none(ControlSnapshot.device == device_id)
    return {int(a): int(w) for a, w in json.loads(row.registers).items()} if row is not None else None


def drop_snapshot(device_id: str) -> bool:
    """Forget the kept program (a program change made the current one the owner's)."""
    return control_store.drop_snapshot(device_id)


def setpoint(power_w: float, context: Callable[[ProgramControl, Json], SetpointContext], *,
             device_id: str, now: int, source: str | None, holder: str | None, dry_run: bool = False) -> Planner:
    """A planner that maps a battery power setpoint onto the owner's program (the snapshot, taken now if none;
    a dry run takes none)."""
    def plan(driver: ProgramControl, smap: SettingsMap, current: dict[int, int]) -> tuple[dict[int, int],
                                                                                           tuple[Clamp, ...]]:
        base = snapshot(device_id)
        if base is None and dry_run:
            base = settings_registers(smap, current)
        elif base is None:
            base = settings_registers(smap, current)
            program = decode_program(smap, base)
            control_store.add_snapshot(device_id, now, _json({str(a): w for a, w in base.items()}), _json(program))
            audit.record(device_id, "snapshot_taken", "the owner's program was kept before the first setpoint write",
                         now=now, source=source, holder=holder, details={"registers": base})
        owner = decode_program(smap, base)
        changes = driver.setpoint_changes(owner, power_w, context(driver, owner))
        target, clamps = apply_changes(smap, {**current, **base}, changes)
        return target, clamps
    return plan


def restoring(device_id: str) -> Planner:
    """A planner that writes the kept program back exactly (no snapshot: nothing to change)."""
    def plan(driver: ProgramControl, smap: SettingsMap, current: dict[int, int]) -> tuple[dict[int, int],
                                                                                           tuple[Clamp, ...]]:
        base = snapshot(device_id) or {}
        return {**current, **base}, ()
    return plan


def cached_program(device_id: str) -> tuple[Json | None, int | None, str | None]:
    """The program last read from the device, when, and its last control error."""
    row = ControlState.get_or_none(ControlState.device == device_id)
    if row is None:
        return None, None, None
    return (json.loads(row.program) if row.program else None), row.read_at, row.last_error
