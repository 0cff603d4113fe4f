"""Any SunSpec Modbus device: the model chain is discovered at 40000, 0 or 50000."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

from appliance.clock import now_ms
from appliance.drivers.base import DECODE_REGISTERS, Driver, Identity, Reading
from appliance.drivers.links import ModbusLink
from appliance.drivers.schemas import defaults_of, modbus_schema
from appliance.drivers.sunspec_models import (
    BATTERY_SIGNS, KNOWN_MODELS, MAX_MODELS, METER_SIGNS, ModelRef, check_model, decode_chain, parse_common,
)
from appliance.drivers.sunspec_points import BASE_ADDRESSES, END_MODEL_ID, MARKER, Points
from appliance.errors import DecodeError, TransportError
from appliance.jsontypes import JsonObject, text

SCHEMA = modbus_schema("sunspec", extra={
    "base_address": {"type": "string", "enum": ["auto", "40000", "0", "50000"], "default": "auto"},
    "meter_sign": {"type": "string", "enum": list(METER_SIGNS), "default": METER_SIGNS[0],
                   "description": "What a meter model's W (201-204, 211-214) means when positive: "
                                  "import_positive (SunSpec/evcc reading) or export_positive (flip it); "
                                  "verify against the device's display"},
    "battery_sign": {"type": "string", "enum": list(BATTERY_SIGNS), "default": BATTERY_SIGNS[0],
                     "description": "What model 802 W and A mean when positive (the model does not say): "
                                    "discharge_positive or charge_positive"},
})
#: A Modbus read returns at most 125 registers.
MAX_BLOCK = 125


#: Modbus exceptions meaning "the device is there but has nothing here" (illegal function, address, value);
#: a gateway's 10/11 or a busy device is no answer about SunSpec and stays a TransportError.
REFUSALS = frozenset({1, 2, 3})


def is_illegal_address(exc: TransportError) -> bool:
    """Whether the device answered but refused the registers (Modbus exception 01, 02 or 03)."""
    return getattr(exc, "exception_code", None) in REFUSALS or "illegal data address" in str(exc).lower()


@dataclass(frozen=True)
class Layout:
    """A device's chain as walked once: base, models, and the registers that never change (headers, model 1)."""

    base: int
    chain: tuple[ModelRef, ...]
    static: Mapping[int, int] = field(default_factory=dict)

    @property
    def common(self) -> Points:
        """Model 1's points (manufacturer, model, serial...), empty if the chain has no model 1."""
        ref = next((r for r in self.chain if r.model_id == 1), None)
        if ref is None:
            return {}
        return parse_common([self.static.get(ref.address + i, 0) for i in range(ref.length + 2)])


class SunSpecDriver(Driver):
    """Any SunSpec Modbus device: the model chain is discovered at 40000, 0 or 50000."""

    adapter_type = "sunspec"
    category = "inverter"
    name = "SunSpec Device Adapter"
    description = "Any SunSpec Modbus device: the model chain is discovered at 40000, 0 or 50000"
    transports = ("rtu", "tcp")
    config_schema = SCHEMA
    default_config = defaults_of(SCHEMA)
    decode_inputs = frozenset({DECODE_REGISTERS})
    link: ModbusLink

    def __init__(self, config: JsonObject, link: object) -> None:
        super().__init__(config, link)
        self._layout: Layout | None = None

    @classmethod
    def decode(cls, registers: Mapping[int, int]) -> Reading:
        """Decode a register image (address -> 16-bit value) holding a SunSpec chain; pure."""
        return decode_chain(registers)

    def identify(self) -> Identity:
        """Find the marker, walk the chain and read model 1 (model, serial number)."""
        layout = self._layout = self._discover()
        common = layout.common
        details = {"manufacturer": common.get("Mn"), "version": common.get("Vr"), "options": common.get("Opt"),
                   "base_address": layout.base, "models": [ref.model_id for ref in layout.chain]}
        return Identity(adapter_type=self.adapter_type, model=text(common.get("Md")) or text(common.get("Mn")),
                        serial_number=text(common.get("SN")),
                        details={k: v for k, v in details.items() if v is not None})

    def read(self) -> Reading:
        """Read every known model of the cached chain; re-walk once if the chain moved."""
        cached = self._layout is not None
        layout = self._layout = self._layout or self._discover()
        try:
            reading = self._read_models(layout)
        except (DecodeError, TransportError) as exc:
            if not cached or (isinstance(exc, TransportError) and not is_illegal_address(exc)):
                raise
            self._layout = None
            layout = self._layout = self._discover()
            reading = self._read_models(layout)
        return replace(reading, ts_ms=now_ms())

    def _bases(self) -> tuple[int, ...]:
        chosen = str(self.config.get("base_address", "auto"))
        return BASE_ADDRESSES if chosen == "auto" else (int(chosen),)

    def _find_base(self) -> int:
        for base in self._bases():
            try:
                words = self.link.read_holding(base, 2)
            except TransportError as exc:
                if is_illegal_address(exc):
                    continue
                raise
            if tuple(words[:2]) == MARKER:
                return base
        where = ", ".join(str(b) for b in self._bases())
        raise DecodeError(f"not a SunSpec device: no 'SunS' marker at {where} "
                          f"(unit {getattr(self.link, 'unit_id', '?')})")

    def _header(self, address: int) -> list[int]:
        # Some devices omit L for the end model, so a 2-register read there may fail.
        try:
            return list(self.link.read_holding(address, 2))
        except TransportError as exc:
            if not is_illegal_address(exc):
                raise
            words = list(self.link.read_holding(address, 1))
            if words[:1] != [END_MODEL_ID]:
                raise
            return words

    def _discover(self) -> Layout:
        base = self._find_base()
        static: dict[int, int] = {base: MARKER[0], base + 1: MARKER[1]}
        chain: list[ModelRef] = []
        address = base + 2
        while True:
            if len(chain) >= MAX_MODELS:
                raise DecodeError(f"SunSpec chain at {base} has more than {MAX_MODELS} models and no end marker")
            words = self._header(address)
            if not words:
                raise DecodeError(f"SunSpec device returned no model header at {address}")
            static[address] = words[0]
            if words[0] == END_MODEL_ID:
                break
            if len(words) < 2:
                raise DecodeError(f"SunSpec model {words[0]} at {address} has no length register")
            ref = ModelRef(words[0], address, words[1])
            check_model(ref)
            static[address + 1] = ref.length
            chain.append(ref)
            address = ref.end
        for ref in chain:
            if ref.model_id == 1:
                static.update(self._read_block(ref))
        return Layout(base, tuple(chain), static)

    def _read_block(self, ref: ModelRef) -> dict[int, int]:
        """A whole model (ID, L and points) in reads of at most 125 registers."""
        out: dict[int, int] = {}
        address = ref.address
        while address < ref.end:
            count = min(MAX_BLOCK, ref.end - address)
            words = list(self.link.read_holding(address, count))
            if len(words) != count:
                raise DecodeError(f"asked {count} registers at {address}, got {len(words)}")
            out.update(zip(range(address, address + count), words))
            address += count
        if (out[ref.address], out[ref.address + 1]) != (ref.model_id, ref.length):
            raise DecodeError(f"SunSpec chain changed: expected model {ref.model_id} (L={ref.length}) "
                              f"at {ref.address}, found {out[ref.address]} (L={out[ref.address + 1]})")
        return out

    def _read_models(self, layout: Layout) -> Reading:
        registers = dict(layout.static)
        for ref in layout.chain:
            if ref.model_id in KNOWN_MODELS and ref.model_id != 1:
                registers.update(self._read_block(ref))
        return decode_chain(registers, base=layout.base,
                            meter_sign=str(self.config.get("meter_sign", METER_SIGNS[0])),
                            battery_sign=str(self.config.get("battery_sign", BATTERY_SIGNS[0])))
