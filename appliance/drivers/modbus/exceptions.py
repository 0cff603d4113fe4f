"""Modbus exception responses as an appliance error (pure: no pymodbus here)."""

from __future__ import annotations

from appliance.errors import TransportError

#: Modbus exception codes and their names in the specification.
EXCEPTION_NAMES = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    8: "memory parity error",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}


class ModbusExceptionError(TransportError):
    """The device answered with a Modbus exception response (it is there, but refused)."""

    def __init__(self, code: int, *, function: int, address: int | None = None, unit_id: int | None = None) -> None:
        name = EXCEPTION_NAMES.get(code, "unknown exception")
        where = f" at register {address}" if address is not None else ""
        super().__init__(f"unit {unit_id}: Modbus exception {code:02d} ({name}) for function {function}{where}")
        self.exception_code = code
        self.function = function
        self.address = address
