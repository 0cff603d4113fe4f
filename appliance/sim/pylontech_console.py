"""A Pylontech US / Pytes battery bank speaking the RS232 text console on a pseudo-terminal."""

from __future__ import annotations

import time
from typing import Any, Mapping

from appliance.sim.pylontech_pty import PtyServer, Values, present, units_of

LAYOUTS: dict[str, dict[str, str]] = {
    "pylontech": {"prompt": "pylon>", "maker": "Pylon", "model": "US3000C", "extra": "MosTempr M.T.St"},
    "pytes": {"prompt": "PYTES>", "maker": "PYTES", "model": "E-BOX-48100R", "extra": "Barcode DevType"},
}
PAGING_PROMPT = "Press [Enter] to be continued,other key to exit"
_PWR_COLUMNS = ("Power", "Volt", "Curr", "Tempr", "Tlow", "Thigh", "Vlow", "Vhigh", "Base.St", "Volt.St",
                "Curr.St", "Temp.St", "Coulomb", "Time", "B.V.St", "B.T.St")
_WIDTH = {"Power": 6, "Time": 21, "Barcode": 21, "DevType": 20}


def _row(cells: list[tuple[str, str]]) -> str:
    """Fixed-width columns as the firmware prints them (each at least one space apart)."""
    return "".join(text.ljust(max(_WIDTH.get(name, 7), len(text) + 1)) for name, text in cells).rstrip()


def _milli(value: Any) -> str:
    return "-" if value is None else str(int(round(float(value) * 1000)))


class PylontechConsoleSim(PtyServer):
    """Serves `pwr`, `pwr N`, `bat N`, `info N` and `stat` with paging; values are re-read per command."""

    def __init__(self, values: Values | None = None, *, layout: str = "pylontech", slots: int = 16,
                 page_lines: int = 12, fault: str | None = None, seed: int = 7) -> None:
        super().__init__(values, fault=fault, seed=seed)
        self.layout = LAYOUTS[layout]
        self.slots, self.page_lines = slots, page_lines
        self._line = bytearray()
        self._pending: list[str] = []
        self._last = b""

    # -- rendering -------------------------------------------------------------------------------
    def _units(self) -> dict[int, dict[str, Any]]:
        return {int(u.get("index", i + 1)): u for i, u in enumerate(units_of(self.values()))}

    @staticmethod
    def _state(unit: Mapping[str, Any]) -> str:
        if unit.get("status") and str(unit["status"]).lower() not in ("charge", "dischg", "idle"):
            return str(unit["status"])
        current = float(unit.get("current_a") or 0)
        return "Dischg" if current > 0 else "Charge" if current < 0 else "Idle"

    def render_pwr(self) -> list[str]:
        """The `pwr` table: one row per slot, `Absent` where no unit is."""
        extra = tuple(self.layout["extra"].split())
        names = _PWR_COLUMNS + extra
        lines = [_row([(n, n) for n in names])]
        units = self._units()
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        for slot in range(1, self.slots + 1):
            unit = units.get(slot)
            if unit is None or not present(unit):
                dashes = ["-"] * 7 + ["Absent"] + ["-"] * (len(names) - 9)
                lines.append(_row(list(zip(names, [str(slot)] + dashes))))
                continue
            cells = unit.get("cell_voltages_v") or [None]
            temps = unit.get("cell_temperatures_c") or [unit.get("temperature_c")]
            soc = unit.get("soc_pct")
            wire_current = None if unit.get("current_a") is None else -float(unit["current_a"])
            row = [str(slot), _milli(unit.get("voltage_v")), _milli(wire_current), _milli(unit.get("temperature_c")),
                   _milli(min(temps)), _milli(max(temps)), _milli(min(cells)), _milli(max(cells)),
                   self._state(unit), "Normal", "Normal", "Normal", "-" if soc is None else f"{int(soc)}%",
                   stamp, "Normal", "Normal"]
            if extra[0] == "MosTempr":
                row += [_milli(unit.get("mos_temperature_c", unit.get("temperature_c"))), "Normal"]
            else:
                row += [str(unit.get("serial_number", "-")), self.layout["model"]]
            lines.append(_row(list(zip(names, row))))
        return lines

    def render_bat(self, index: int) -> list[str]:
        """`bat N`: one row per cell; Pytes omits Curr/SOC/BAL headers yet prints `SOC%  mAH`."""
        unit = self._units().get(index)
        if unit is None or not present(unit):
            return [f"Battery {index} is absent"]
        us = self.layout["extra"].startswith("MosTempr")
        names = (["Battery", "Volt", "Curr", "Tempr", "Base State", "Volt. State", "Curr. State", "Temp. State",
                  "SOC", "Coulomb", "BAL"] if us else
                 ["Battery", "Volt", "Tempr", "Base State", "Volt. State", "Curr. State", "Temp. State", "Coulomb"])
        lines = ["".join(n.ljust(13 if " " in n or n in ("SOC", "Coulomb") else 9) for n in names).rstrip()]
        cells = unit.get("cell_voltages_v") or []
        temps = unit.get("cell_temperatures_c") or [unit.get("temperature_c", 25.0)]
        soc = float(unit.get("soc_pct") or 0)
        mah = int(soc / 100 * float(unit.get("full_ah") or 50.0) * 1000)
        balancing = unit.get("balancing") or []
        wire_current = -float(unit.get("current_a") or 0)
        for i, volts in enumerate(cells):
            state = "High" if volts > 3.6 else "Low" if volts < 2.9 else "Normal"
            temp = temps[min(len(temps) - 1, i * len(temps) // max(1, len(cells)))]
            row = [str(i), _milli(volts)] + ([_milli(wire_current)] if us else []) + [
                _milli(temp), self._state(unit), state, "Normal", "Normal", f"{int(soc)}%", f"{mah} mAH"]
            if us:
                row.append("Y" if i < len(balancing) and balancing[i] else "N")
            lines.append("".join(t.ljust(9 if j < (4 if us else 3) else 13) for j, t in enumerate(row)).rstrip())
        return lines

    def render_info(self, index: int) -> list[str]:
        """`info N`: key/value lines with the model and barcode."""
        unit = self._units().get(index) or {}
        pairs = [("Device address", str(index)), ("Manufacturer", self.layout["maker"]),
                 ("Device name", self.layout["model"]), ("Board version", "PHANTOMSAV10R03"),
                 ("Main Soft version", "B66.6"), ("Soft  version", "V2.4"), ("Boot  version", "V2.0"),
                 ("Comm version", "V2.0"), ("Release Date", "21-05-14"),
                 ("Barcode", str(unit.get("serial_number", ""))), ("Specification", "48V/74AH"),
                 ("Cell Number", str(len(unit.get("cell_voltages_v") or []) or 15)),
                 ("Console Port rate", "115200")]
        return [f"{key:<20}: {value}" for key, value in pairs]

    def render_pwr_n(self, index: int) -> list[str]:
        """`pwr N`: the key/value view of one unit."""
        unit = self._units().get(index)
        if unit is None or not present(unit):
            return [f" Power  {index}", " Basic Status    : Absent"]
        wire_current = -float(unit.get("current_a") or 0)
        return [" ----------------------------", f" Power  {index}",
                f" Voltage         : {_milli(unit.get('voltage_v'))}   mV",
                f" Current         : {_milli(wire_current)}   mA",
                f" Temperature     : {_milli(unit.get('temperature_c'))}   mC",
                f" Coulomb         : {int(unit.get('soc_pct') or 0)}   %",
                f" Basic Status    : {self._state(unit)}", " Volt Status     : Normal",
                " Current Status  : Normal", " Tmpr. Status    : Normal", " Coul. Status    : Normal",
                f" Barcode         : {unit.get('serial_number', '')}"]

    def render_stat(self, index: int) -> list[str]:
        """`stat`: counters, among them `CYCLE Times`."""
        unit = self._units().get(index) or {}
        return [f"Device address      : {index}", f"CYCLE Times         : {int(unit.get('cycles') or 0)}",
                "Charge Cnt.         : 1234", "Discharge Cnt.      : 1200"]

    def render(self, line: str) -> list[str] | None:
        """Body lines for one command line, or None for an unknown command."""
        words = line.split()
        if not words:
            return []
        arg = int(words[1]) if len(words) > 1 and words[1].isdigit() else None
        command = words[0].lower()
        if command == "pwr":
            return self.render_pwr() if arg is None else self.render_pwr_n(arg)
        renderers = {"bat": self.render_bat, "info": self.render_info, "stat": self.render_stat}
        if command in renderers:
            return renderers[command](1 if arg is None else arg)
        return None

    # -- serving ---------------------------------------------------------------------------------
    def _trailer(self) -> str:
        return f"\r\n\rCommand completed successfully\r\n\r$$\r\n\r{self.layout['prompt']}"

    def _page(self) -> None:
        chunk, self._pending = self._pending[:self.page_lines], self._pending[self.page_lines:]
        text = "".join(f"{line}\r\r\n" for line in chunk)
        self.send((text + (PAGING_PROMPT if self._pending else self._trailer())).encode("ascii"))

    @staticmethod
    def _corrupt(row: str) -> str:
        tokens = row.split()
        if len(tokens) > 1 and tokens[1].isdigit() and len(tokens[1]) > 2:
            return row.replace(tokens[1], tokens[1][:-1] + "#", 1)
        return row

    def command(self, line: str) -> None:
        """Answer one command line as the console does: echo, `@`, body, completion, `$$`, prompt."""
        self.requests += 1
        if self.fault == "timeout":
            return
        if self.fault == "disconnect":
            self.send(b"")
            return
        if not line.strip():
            self.send(f"\n\r{self.layout['prompt']}".encode("ascii"))
            return
        body = self.render(line)
        echo = f"{line}\n\r@\r\r\n"
        if body is None:
            self.send(f"{line}\n\rUnknown command '{line.split()[0][:20]}'\r\n\r$$\r\n\r"
                      f"{self.layout['prompt']}".encode("ascii", "replace"))
            return
        if self.fault == "garbage":
            self.send(echo.encode("ascii", "replace") + self.garbage(200) + self._trailer().encode("ascii"))
            return
        if self.fault == "bad_checksum":
            # The console has no checksum: a corrupted digit is what line noise does to it.
            body = [body[0]] + [self._corrupt(row) for row in body[1:]]
        if self.fault == "truncated":
            whole = echo + "".join(f"{row}\r\r\n" for row in body)
            self.send(whole[: len(whole) // 2].encode("ascii"))
            return
        self.send(echo.encode("ascii", "replace"))
        self._pending = list(body)
        self._page()

    def handle(self, data: bytes) -> None:
        """Collect typed characters into lines; while a page waits, Enter continues and any other key stops."""
        for byte in data:
            char = bytes([byte])
            after_cr = self._last == b"\r" and char == b"\n"
            self._last = char
            if after_cr:
                continue
            if self._pending:
                if char in (b"\r", b"\n"):
                    self.send(b"\r\n")
                    self._page()
                else:
                    self._pending = []
                    self.send(self._trailer().encode("ascii"))
                continue
            if char in (b"\r", b"\n"):
                line, self._line = self._line.decode("ascii", "replace"), bytearray()
                self.command(line.strip())
            elif len(self._line) < 256:
                self._line += char
