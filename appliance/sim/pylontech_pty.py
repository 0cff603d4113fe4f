"""A pseudo-terminal server base for the Pylontech simulators, with the bank's default values and faults."""

from __future__ import annotations

import os
import random
import select
import threading
import time
import tty
from abc import ABC, abstractmethod
from typing import Any, Callable, Mapping

#: Faults a simulator can be told to act out.
FAULTS = (None, "timeout", "bad_checksum", "truncated", "garbage", "disconnect")
DISCONNECT_DELAY_S = 0.05
Values = Callable[[], Mapping[str, Any]]


def default_values() -> dict[str, Any]:
    """A static, plausible bank: two 15-cell units near 50 % and a third slot absent (+ = discharging)."""
    def unit(index: int, base_mv: int, current_a: float, soc: float, serial: str) -> dict[str, Any]:
        cells = [round((base_mv + (i * 7) % 5) / 1000, 3) for i in range(15)]
        return {"index": index, "voltage_v": round(sum(cells), 3), "current_a": current_a, "soc_pct": soc,
                "temperature_c": 24.5, "cell_voltages_v": cells, "cell_temperatures_c": [23.0, 23.5, 24.0, 24.0],
                "full_ah": 50.0, "cycles": 57, "serial_number": serial, "balancing": [False] * 15}
    return {"batteries": [unit(1, 3300, 4.2, 52.0, "HPTBR01234567891"),
                          unit(2, 3302, 4.0, 54.0, "HPTBR01234567892"),
                          {"index": 3, "status": "absent"}]}


def units_of(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The per-unit dicts of a values snapshot; a bank without `batteries` is one unit of its own values."""
    batteries = values.get("batteries")
    if batteries:
        return [dict(b) for b in batteries]
    return [{"index": 1, **{k: v for k, v in values.items() if k != "batteries"}}]


def present(unit: Mapping[str, Any]) -> bool:
    """Whether a unit of the snapshot is plugged in."""
    return str(unit.get("status", "")).lower() != "absent" and unit.get("present", True) is not False


class PtyServer(ABC):
    """Serves a protocol on a pty: `.path` is the slave for pyserial; `handle` turns input into replies."""

    def __init__(self, values: Values | None = None, *, fault: str | None = None, seed: int = 7) -> None:
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
        self.values: Values = values or default_values
        self.fault = fault
        self.random = random.Random(seed)
        self.requests = 0
        self._master = -1
        self._slave = -1
        self.path = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> "PtyServer":
        """Open the pty pair and serve from a background thread."""
        self._master, self._slave = os.openpty()
        # Raw from the start: no echo or newline translation before pyserial configures the port.
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name=f"sim-{type(self).__name__}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close both ends."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._close_master()
        if self._slave >= 0:
            os.close(self._slave)
            self._slave = -1

    def __enter__(self) -> "PtyServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _close_master(self) -> None:
        with self._lock:
            if self._master >= 0:
                os.close(self._master)
                self._master = -1

    def send(self, data: bytes) -> None:
        """Write bytes to the client, applying the byte-level faults (disconnect closes the master)."""
        if self.fault == "disconnect":
            # Like pulling the USB adapter while the client waits for the reply: its reads fail.
            # The pause lets the client's write finish first, as it would on a real port.
            time.sleep(DISCONNECT_DELAY_S)
            self._close_master()
            return
        with self._lock:
            if self._master < 0:
                return
            view = memoryview(data)
            while view:
                written = os.write(self._master, view)
                view = view[written:]

    def garbage(self, size: int = 48) -> bytes:
        """Random bytes for the `garbage` fault."""
        return bytes(self.random.randrange(256) for _ in range(size))

    @abstractmethod
    def handle(self, data: bytes) -> None:
        """Consume received bytes; subclasses answer through `send`."""

    def _serve(self) -> None:
        while not self._stop.is_set():
            master = self._master
            if master < 0:
                return
            try:
                ready, _, _ = select.select([master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(master, 4096)
            except OSError:
                return
            if data:
                self.handle(data)
