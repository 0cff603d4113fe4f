"""One simulated home that keeps every simulator physically consistent: sun, load, battery, grid."""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

from appliance.sim.powdrive_settings import Controls
from appliance.sim.site_control import flow

STEP_S = 60.0  # integration step: fine enough for energy, cheap enough for a month of backfill


@dataclass
class SiteState:
    """Everything the site remembers between two instants."""

    t: float
    soc_pct: float
    pv_w: float = 0.0
    load_w: float = 0.0
    battery_w: float = 0.0  # + = discharge
    grid_w: float = 0.0  # + = import
    totals_kwh: dict[str, float] = field(default_factory=lambda: {
        "pv": 1200.0, "load": 1500.0, "import": 800.0, "export": 400.0, "charge": 300.0, "discharge": 270.0})
    today_kwh: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("pv", "load", "import", "export", "charge", "discharge"), 0.0))
    day: str = ""


class SiteModel:
    """PV follows the sun in the system's time zone, a household load profile, a battery within limits."""

    def __init__(self, *, timezone_name: str = "Asia/Karachi", clock: Callable[[], float] | None = None,
                 pv_peak_w: float = 6000.0, battery_kwh: float = 10.0, max_charge_w: float = 4000.0,
                 max_discharge_w: float = 4000.0, reserve_pct: float = 10.0, efficiency: float = 0.95,
                 seed: int = 1, start_soc_pct: float = 55.0) -> None:
        import time

        self.tz = ZoneInfo(timezone_name)
        self.clock = clock or time.time
        self.pv_peak_w, self.battery_kwh = pv_peak_w, battery_kwh
        self.max_charge_w, self.max_discharge_w = max_charge_w, max_discharge_w
        self.reserve_pct, self.efficiency = reserve_pct, efficiency
        self.seed = seed
        self.target_w: float | None = None  # a dispatch setpoint overrides self-consumption (+ = discharge)
        # The inverter's controls (work mode, limits, time of use) when an inverter simulator drives the battery.
        self.controls: Callable[[], Controls | None] | None = None
        self.state = SiteState(t=self.clock(), soc_pct=start_soc_pct)
        self._lock = threading.Lock()
        self._settle(self.state.t)

    def _cloud(self, t: float) -> float:
        """A deterministic cloud factor in 0.35..1 that changes every ten minutes."""
        slot = int(t // 600)
        return 0.35 + 0.65 * random.Random(self.seed * 1_000_003 + slot).random()

    def pv_w(self, t: float) -> float:
        """PV power at an instant: a sine between 06:00 and 18:00 local, times the clouds."""
        local = datetime.fromtimestamp(t, self.tz)
        hour = local.hour + local.minute / 60 + local.second / 3600
        sun = math.sin(math.pi * (hour - 6) / 12) if 6 < hour < 18 else 0.0
        return max(0.0, self.pv_peak_w * sun * self._cloud(t))

    def load_w(self, t: float) -> float:
        """Household load: a base, a morning and an evening peak, and some noise."""
        local = datetime.fromtimestamp(t, self.tz)
        hour = local.hour + local.minute / 60
        morning = 900 * math.exp(-((hour - 7.5) ** 2) / 1.5)
        evening = 1600 * math.exp(-((hour - 19.5) ** 2) / 3.0)
        noise = random.Random(self.seed * 7919 + int(t // 60)).uniform(-80, 80)
        return 350 + morning + evening + noise

    def _battery_w(self, want: float, soc: float) -> float:
        """`want` within the battery's own limits and the energy it holds (the BMS's side)."""
        if want > 0:  # discharge
            room = max(0.0, (soc - self.reserve_pct) / 100 * self.battery_kwh * 1000 * 60)  # W for a minute
            return min(want, self.max_discharge_w, room)
        room = max(0.0, (100 - soc) / 100 * self.battery_kwh * 1000 * 60)
        return -min(-want, self.max_charge_w, room)

    def battery_voltage(self, soc: float) -> float:
        """The pack voltage at a state of charge (the inverter's and the BMSs' view)."""
        return 48.0 + soc * 0.06

    def _settle(self, t: float) -> None:
        s = self.state
        pv, load = self.pv_w(t), self.load_w(t)
        controls = self.controls() if self.controls is not None and self.target_w is None else None
        if controls is None:
            want = self.target_w if self.target_w is not None else load - pv
        else:
            obeyed = flow(controls, datetime.fromtimestamp(t, self.tz), pv, load, s.soc_pct,
                          round(self.battery_voltage(s.soc_pct), 1), self.max_charge_w, self.max_discharge_w)
            want, pv = obeyed.battery_w, obeyed.pv_w
        s.pv_w, s.load_w = pv, load
        s.battery_w = self._battery_w(want, s.soc_pct)
        s.grid_w = s.load_w - s.pv_w - s.battery_w

    def advance(self, to: float | None = None) -> SiteState:
        """Integrate from the last instant to `to` (default: the clock); counters only increase."""
        to = self.clock() if to is None else to
        with self._lock:
            s = self.state
            while s.t < to:
                dt = min(STEP_S, to - s.t)
                self._settle(s.t)
                hours = dt / 3600
                day = datetime.fromtimestamp(s.t, self.tz).date().isoformat()
                if day != s.day:
                    s.day, s.today_kwh = day, dict.fromkeys(s.today_kwh, 0.0)
                flows = {"pv": s.pv_w, "load": s.load_w, "import": max(s.grid_w, 0.0),
                         "export": max(-s.grid_w, 0.0), "charge": max(-s.battery_w, 0.0),
                         "discharge": max(s.battery_w, 0.0)}
                for key, watts in flows.items():
                    s.totals_kwh[key] += watts * hours / 1000
                    s.today_kwh[key] += watts * hours / 1000
                stored = (flows["charge"] * self.efficiency - flows["discharge"] / self.efficiency) * hours / 1000
                s.soc_pct = min(100.0, max(0.0, s.soc_pct + stored / self.battery_kwh * 100))
                s.t += dt
            self._settle(s.t)
            return s

    def inverter_values(self) -> dict[str, Any]:
        """The inverter's view (READINGS.md names)."""
        s = self.advance()
        pv = s.pv_w
        voltage = self.battery_voltage(s.soc_pct)
        return {
            "pv_power_w": round(pv), "pv_powers_w": [round(pv * 0.55), round(pv * 0.45)],
            "pv_voltages_v": [380.0 if pv else 0.0, 372.0 if pv else 0.0],
            "load_power_w": round(s.load_w), "grid_power_w": round(s.grid_w), "battery_power_w": round(s.battery_w),
            "battery_voltage_v": round(voltage, 1), "battery_current_a": round(s.battery_w / voltage, 1),
            "battery_soc_pct": round(s.soc_pct), "battery_temperature_c": 25.0, "inverter_temperature_c": 38.5,
            "grid_voltage_v": 230.1, "grid_frequency_hz": 50.0,
            "pv_energy_total_kwh": round(s.totals_kwh["pv"], 1), "load_energy_total_kwh": round(s.totals_kwh["load"], 1),
            "grid_import_total_kwh": round(s.totals_kwh["import"], 1),
            "grid_export_total_kwh": round(s.totals_kwh["export"], 1),
            "battery_charge_total_kwh": round(s.totals_kwh["charge"], 1),
            "battery_discharge_total_kwh": round(s.totals_kwh["discharge"], 1),
            "pv_energy_today_kwh": round(s.today_kwh["pv"], 1), "load_energy_today_kwh": round(s.today_kwh["load"], 1),
            "grid_import_today_kwh": round(s.today_kwh["import"], 1),
            "grid_export_today_kwh": round(s.today_kwh["export"], 1),
            "battery_charge_today_kwh": round(s.today_kwh["charge"], 1),
            "battery_discharge_today_kwh": round(s.today_kwh["discharge"], 1),
        }

    def meter_values(self) -> dict[str, Any]:
        """The grid meter's view: + = import, counters in kWh, three phases."""
        s = self.advance()
        per_phase = s.grid_w / 3
        return {"power_w": round(s.grid_w), "powers_w": [round(per_phase)] * 3, "voltage_v": 230.0,
                "voltages_v": [230.2, 229.8, 230.0], "currents_a": [round(abs(per_phase) / 230, 2)] * 3,
                "current_a": round(abs(s.grid_w) / 230, 2), "frequency_hz": 50.0, "power_factor": 0.98,
                "import_energy_kwh": round(s.totals_kwh["import"], 2),
                "export_energy_kwh": round(s.totals_kwh["export"], 2)}

    def battery_values(self, *, share: float = 1.0, units: int = 1, cells: int = 16,
                       serial_prefix: str = "SIMBAT") -> dict[str, Any]:
        """A battery bank's view: its `share` of the site battery (+ = discharge), units of cells."""
        s = self.advance()
        cell_v = 3.20 + 0.0015 * s.soc_pct + (0.05 if s.soc_pct > 95 else 0.0)
        voltage = round(cell_v * cells, 2)
        current = round(s.battery_w * share / voltage, 2)
        spread = [round(cell_v + ((i * 37) % 11 - 5) / 1000, 3) for i in range(cells)]
        unit_list = [{"index": i + 1, "voltage_v": voltage, "current_a": round(current / units, 2),
                      "soc_pct": round(s.soc_pct, 1), "temperature_c": 24.0 + i * 0.5, "cell_voltages_v": spread,
                      "cell_temperatures_c": [24.0, 24.5, 25.0, 24.5], "full_ah": 100.0 * share / units,
                      "cycles": 120, "serial_number": f"{serial_prefix}{i + 1:04d}", "balancing": [False] * cells,
                      "status": "dischg" if current > 0 else "charge" if current < 0 else "idle"}
                     for i in range(units)]
        return {"voltage_v": voltage, "current_a": current, "power_w": round(s.battery_w * share),
                "soc_pct": round(s.soc_pct, 1), "soh_pct": 98.0, "temperature_c": 24.5, "cycles": 120,
                "remaining_ah": round(100.0 * share * s.soc_pct / 100, 1), "full_ah": 100.0 * share,
                "cell_voltages_v": spread, "cell_min_v": min(spread), "cell_max_v": max(spread),
                "cell_delta_v": round(max(spread) - min(spread), 3), "balancing": False,
                "charge_enabled": True, "discharge_enabled": True, "batteries": unit_list,
                "model": "SIM-LFP", "serial_number": f"{serial_prefix}0000"}

    def now_utc(self) -> datetime:
        """The model's current instant."""
        return datetime.fromtimestamp(self.state.t, timezone.utc)
