"""SQL of control's statements: setpoint state, a device's program state and kept snapshot, the daily write
budget, dispatch outcomes and leases.

The control services read these tables through the peewee models; every statement that changes one
is a function here.
"""

from __future__ import annotations

from typing import Mapping

from appliance.store.models import (
    ControlLease, ControlSnapshot, ControlState, ControlWriteBudget, DispatchLog, SetpointState,
)


def add_setpoint_state(asset_id: str, values: Mapping[str, object]) -> None:
    """Insert an asset's setpoint state (columns by model field name)."""
    SetpointState.insert(asset=asset_id, **values).execute()


def update_setpoint_state(asset_id: str, values: Mapping[str, object]) -> None:
    """Change columns of an asset's setpoint state (by model field name)."""
    SetpointState.update(**values).where(SetpointState.asset == asset_id).execute()


def put_control_state(device_id: str, values: Mapping[str, object]) -> None:
    """Insert a device's control state, or change those columns of it."""
    (ControlState.insert(device=device_id, **values)
     .on_conflict(conflict_target=[ControlState.device], update=dict(values)).execute())


def add_snapshot(device_id: str, taken_at: int, registers: str, program: str) -> None:
    """Keep a device owner's program (registers and decoded program as JSON) before the first setpoint write."""
    ControlSnapshot.insert(device=device_id, taken_at=taken_at, registers=registers, program=program).execute()


def drop_snapshot(device_id: str) -> bool:
    """Forget a device's kept program; True when there was one."""
    return bool(ControlSnapshot.delete().where(ControlSnapshot.device == device_id).execute())


def count_writes(device_id: str, day: str, count: int) -> None:
    """Add `count` register writes to a device's budget of a local day."""
    (ControlWriteBudget.insert(device_id=device_id, day=day, writes=count)
     .on_conflict(conflict_target=[ControlWriteBudget.device_id, ControlWriteBudget.day],
                  update={ControlWriteBudget.writes: ControlWriteBudget.writes + count}).execute())


def set_dispatch_outcome(dispatch_id: int, outcome: str, shares: str) -> None:
    """Record how a dispatch ended and its shares (JSON)."""
    DispatchLog.update(outcome=outcome, shares=shares).where(DispatchLog.dispatch_id == dispatch_id).execute()


def renew_lease(device_id: str, holder: str | None, expires_at: int) -> None:
    """Change the holder and end of a device's lease."""
    ControlLease.update(holder=holder, expires_at=expires_at).where(ControlLease.device == device_id).execute()


def add_lease(device_id: str, source: str, holder: str | None, acquired_at: int, expires_at: int) -> None:
    """Give a source the lease on a device."""
    ControlLease.insert(device=device_id, source=source, holder=holder, acquired_at=acquired_at,
                        expires_at=expires_at).execute()
