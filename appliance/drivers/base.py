"""The driver interface: one class per adapter type, readings and identities as values."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Mapping

from appliance.errors import UnsupportedError
from appliance.jsontypes import Json, JsonObject

#: `generic` adapters (device templates) may serve any kind of device.
CATEGORIES = ("inverter", "battery", "meter", "bess", "generic")
#: Capability flags a driver may declare: a power register that takes a setpoint, or a program of settings
#: (work mode, limits, time-of-use slots) that a setpoint is mapped onto.
CAP_SETPOINT = "setpoint"
CAP_PROGRAM = "program"
#: Kinds of raw input `appliance decode` can hand a driver.
DECODE_REGISTERS, DECODE_HEX, DECODE_TEXT = "registers", "hex", "text"


@dataclass(frozen=True)
class Identity:
    """What a device says it is: model and serial number, plus family extras."""

    adapter_type: str
    model: str | None = None
    serial_number: str | None = None
    details: JsonObject = field(default_factory=dict)


@dataclass(frozen=True)
class Reading:
    """One reading: core values of the vocabulary (READINGS.md) and family details."""

    kind: str
    values: JsonObject
    details: JsonObject = field(default_factory=dict)
    ts_ms: int | None = None

    def to_json(self) -> Json:
        """The public JSON shape: core names at the top level, the rest under `details`."""
        body: Json = {"kind": self.kind}
        if self.ts_ms is not None:
            body["ts"] = self.ts_ms
        body.update({k: v for k, v in self.values.items() if v is not None})
        body["details"] = {k: v for k, v in self.details.items() if v is not None}
        return body


class Driver(ABC):
    """A device family's knowledge; the transport (`link`) is injected."""

    adapter_type: ClassVar[str]
    category: ClassVar[str]
    name: ClassVar[str]
    description: ClassVar[str]
    transports: ClassVar[tuple[str, ...]]
    config_schema: ClassVar[Json]
    default_config: ClassVar[Json] = {}
    capabilities: ClassVar[frozenset[str]] = frozenset()
    decode_inputs: ClassVar[frozenset[str]] = frozenset()

    #: The transport (a links.py contract); a family narrows the type with its own annotation.
    link: object

    def __init__(self, config: JsonObject, link: object) -> None:
        self.config: JsonObject = {**self.default_config, **config}
        self.link = link

    @abstractmethod
    def identify(self) -> Identity:
        """Read the device's model and serial number; fast and read-only."""

    @abstractmethod
    def read(self) -> Reading:
        """Read one full reading from the device."""

    def apply_setpoint(self, power_w: float) -> float:
        """Apply a signed power setpoint (+ = discharge/export) and return what was applied."""
        raise UnsupportedError(f"{self.adapter_type} devices take no setpoints")

    @classmethod
    def has(cls, capability: str) -> bool:
        """Whether the driver declares a capability flag."""
        return capability in cls.capabilities


def decode_with(driver: type[Driver], *, registers: Mapping[int, int] | None = None,
                frame: bytes | None = None, text: str | None = None) -> Reading:
    """Decode raw data with a driver's pure `decode` (the `appliance decode` entry point)."""
    given = {DECODE_REGISTERS: registers, DECODE_HEX: frame, DECODE_TEXT: text}
    kinds = [kind for kind, value in given.items() if value is not None]
    if len(kinds) != 1:
        raise UnsupportedError("give exactly one of registers, a hex frame or text")
    if kinds[0] not in driver.decode_inputs:
        accepted = ", ".join(sorted(driver.decode_inputs)) or "nothing"
        raise UnsupportedError(f"{driver.adapter_type} decodes {accepted}, not {kinds[0]}")
    decode = getattr(driver, "decode")
    reading = decode(**{kinds[0] if kinds[0] != DECODE_HEX else "frame": given[kinds[0]]})
    if not isinstance(reading, Reading):
        raise TypeError(f"{driver.adapter_type}.decode returned {type(reading).__name__}, not a Reading")
    return reading
