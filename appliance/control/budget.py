"""The per-device write budget: a day's FC16 writes are counted (and stored) to spare the inverter's EEPROM."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from appliance.control import audit
from appliance.control.config import app_setting, whole
from appliance.errors import QuotaError
from appliance.store import control as control_store
from appliance.store.models import ControlWriteBudget, RegistryDevice, System, database

BUDGET_KEY = "control.write_budget_per_day"
DEFAULT_BUDGET = 200
MAX_BUDGET = 100_000


class BudgetJson(TypedDict):
    """A device's write budget today, as the API and pages show it."""

    day: str
    limit: int
    used: int
    remaining: int


@dataclass(frozen=True)
class Budget:
    """A device's writes today: the day (its system's time zone), the limit, how many were used."""

    device_id: str
    day: str
    limit: int
    used: int

    @property
    def remaining(self) -> int:
        """Writes left today (never below 0: restores may go past the limit)."""
        return max(0, self.limit - self.used)

    def to_json(self) -> BudgetJson:
        """The budget as the API and pages show it."""
        return {"day": self.day, "limit": self.limit, "used": self.used, "remaining": self.remaining}


class BudgetExhausted(QuotaError):
    """The day's writes are used up: the write is refused (429)."""

    code = "write_budget_exhausted"

    def __init__(self, budget: Budget, needed: int) -> None:
        super().__init__(f"{budget.device_id} has {budget.remaining} of its {budget.limit} writes left today "
                         f"({budget.day}) and this change needs {needed}; it is refused to spare the inverter's "
                         "EEPROM (the budget starts again at midnight)", field=None)
        self.budget = budget

    def to_dict(self) -> dict[str, object]:
        """The error body, with the budget."""
        return {**super().to_dict(), "budget": self.budget.to_json()}


def limit_for(config: Mapping[str, Any]) -> int:
    """The device's daily limit: its adapter's `write_budget_per_day`, else the app setting, else 200."""
    own: Any = config.get("write_budget_per_day")
    if whole(own, 0, MAX_BUDGET):
        return int(own)
    value = app_setting(BUDGET_KEY, DEFAULT_BUDGET)
    return int(value) if whole(value, 0, MAX_BUDGET) else DEFAULT_BUDGET


def day_of(device_id: str, now: int) -> str:
    """The device's local date at `now` (its system's time zone; UTC when unknown)."""
    device = RegistryDevice.get_or_none(RegistryDevice.device_id == device_id)
    system = System.get_or_none(System.system_id == device.system_id) if device is not None else None
    try:
        zone = ZoneInfo(system.timezone) if system is not None and system.timezone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.fromtimestamp(now / 1000, zone).date().isoformat()


def budget(device_id: str, config: Mapping[str, Any], now: int) -> Budget:
    """The device's budget today."""
    day = day_of(device_id, now)
    row = ControlWriteBudget.get_or_none((ControlWriteBudget.device_id == device_id) & (ControlWriteBudget.day == day))
    return Budget(device_id, day, limit_for(config), row.writes if row is not None else 0)


def check(device_id: str, config: Mapping[str, Any], needed: int, *, now: int, source: str | None,
          holder: str | None) -> Budget:
    """The budget if `needed` writes fit in it; else BudgetExhausted (audited)."""
    today = budget(device_id, config, now)
    if needed > today.remaining:
        error = BudgetExhausted(today, needed)
        audit.record(device_id, "budget_exhausted", error.message, now=now, source=source, holder=holder,
                     details={"budget": today.to_json(), "needed": needed})
        raise error
    return today


def spend(device_id: str, count: int, now: int) -> None:
    """Count `count` writes made today (restores too: they are counted, never refused)."""
    if count <= 0:
        return
    day = day_of(device_id, now)
    with database.atomic():
        control_store.count_writes(device_id, day, count)
