"""Device templates (the device-registry document): a Modbus device type described in YAML, no code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Required, TypedDict, cast

import jsonschema
import yaml

from appliance import safe_yaml
from appliance.drivers.modbus.regmap import RegisterMap, parse_map
from appliance.errors import ValidationError
from appliance.jsontypes import Json, JsonValue, as_json

DURATION: Json = {"oneOf": [{"type": "number", "exclusiveMinimum": 0},
                      {"type": "string", "pattern": r"^\d+(\.\d+)?\s*(ms|s|m|min)?$"}]}
REGISTER: Json = {"oneOf": [
    {"type": "integer", "minimum": 0, "maximum": 65535},
    {"type": "object", "required": ["address"], "additionalProperties": False, "properties": {
        "address": {"type": "integer", "minimum": 0, "maximum": 65535},
        "type": {"enum": ["u16", "s16", "u32", "s32", "float32", "ascii", "bits", "enum"]},
        "name": {"type": "string", "minLength": 1}, "scale": {"type": "number"}, "offset": {"type": "number"},
        "unit": {"type": "string"}, "word_order": {"enum": ["hw_first", "lw_first"]},
        "kind": {"enum": ["holding", "input"]}, "length": {"type": "integer", "minimum": 1, "maximum": 64},
        "enum": {"type": "object"}}}]}
TEMPLATE_SCHEMA: Json = {
    "type": "object", "required": ["type", "default_config"], "additionalProperties": False, "properties": {
        "type": {"enum": ["inverter", "meter", "battery", "bess"]},
        "manufacturer": {"type": "string"}, "model": {"type": "string"},
        "default_config": {"type": "object", "required": ["registers"], "additionalProperties": False, "properties": {
            "polling_interval": DURATION, "timeout": DURATION,
            "retry_count": {"type": "integer", "minimum": 0, "maximum": 10},
            "registers": {"type": "object", "minProperties": 1, "additionalProperties": REGISTER},
            "scaling": {"type": "object", "additionalProperties": {"type": "number"}},
            "word_order": {"enum": ["hw_first", "lw_first"]},
            "max_registers_per_request": {"type": "integer", "minimum": 1, "maximum": 125}}}}}

#: Short names of the registry document's template -> (reading name, scaling class, factor to our unit).
ALIASES = {"soe": ("soe_pct", "energy", 100.0), "soc": ("soc_pct", None, 1.0),
           "target_power": ("target_power_w", "power", 1000.0), "power": ("power_w", "power", 1000.0),
           "active_power": ("power_w", "power", 1000.0), "status": ("status", None, 1.0),
           "available_blocks": ("available_blocks", None, 1.0), "command_source": ("command_source", None, 1.0),
           "voltage": ("voltage_v", None, 1.0), "current": ("current_a", None, 1.0),
           "frequency": ("frequency_hz", None, 1.0)}
SIGNED = {"target_power", "power", "active_power", "current"}
KIND_OF = {"inverter": "inverter", "meter": "meter", "battery": "battery", "bess": "bess"}


class RegisterSpec(TypedDict, total=False):
    """One register of a template, in the long form (TEMPLATE_SCHEMA's REGISTER)."""

    address: Required[int]
    type: str
    name: str
    scale: float
    offset: float
    unit: str
    word_order: str
    kind: str
    length: int
    enum: dict[str, JsonValue]


class TemplateConfig(TypedDict, total=False):
    """A template's `default_config`."""

    polling_interval: float | str
    timeout: float | str
    retry_count: int
    registers: Required[dict[str, int | RegisterSpec]]
    scaling: dict[str, float]
    word_order: str
    max_registers_per_request: int


class TemplateDocument(TypedDict, total=False):
    """A device template as TEMPLATE_SCHEMA accepts it."""

    type: Required[str]
    manufacturer: str
    model: str
    default_config: Required[TemplateConfig]


@dataclass(frozen=True)
class DeviceTemplate:
    """A validated template: polling settings and the register map it describes."""

    category: str
    manufacturer: str | None
    model: str | None
    poll_interval_s: float | None
    timeout_s: float | None
    retries: int | None
    map_document: Json
    source_document: Json

    def register_map(self) -> RegisterMap:
        """The template's registers as a checked register map."""
        return parse_map(self.map_document, f"template {self.manufacturer or ''} {self.model or ''}".strip())


def seconds(value: object, field: str) -> float:
    """`60s`, `5 s`, `500ms`, `2m` or a number of seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|m|min)?", str(value).strip())
    if not match:
        raise ValidationError(f"{field}: {value!r} is not a duration such as 60s", field=field)
    number, unit = float(match.group(1)), match.group(2) or "s"
    return number / 1000 if unit == "ms" else number * 60 if unit in ("m", "min") else number


def parse_template(document: object, source: str = "template") -> DeviceTemplate:
    """Validate a template document (`device_template:` at the top, or the template itself)."""
    raw = document.get("device_template", document) if isinstance(document, Mapping) else document
    errors = sorted(jsonschema.Draft202012Validator(TEMPLATE_SCHEMA).iter_errors(raw),
                    key=lambda e: list(e.absolute_path))
    if errors:
        path = ".".join(str(p) for p in errors[0].absolute_path) or "device_template"
        raise ValidationError(f"{source}: {path}: {errors[0].message}", field=path)
    body = cast(TemplateDocument, raw)  # the schema above has just checked this shape
    config = body["default_config"]
    scaling = config.get("scaling", {})
    fields: list[Json] = []
    for key, register in config["registers"].items():
        spec: Json = {"address": register} if isinstance(register, int) else dict(as_json(register))
        name, scale_class, factor = ALIASES.get(key, (f"details.{key}", None, 1.0))
        field: Json = {"name": spec.pop("name", name), "address": spec.pop("address"),
                       "type": spec.pop("type", "s16" if key in SIGNED else "u16")}
        if "scale" not in spec:
            field["scale"] = (scaling.get(scale_class, 1.0) if scale_class else 1.0) * factor
        field.update(spec)
        fields.append(field)
    document_map: Json = {"reading_kind": KIND_OF[body["type"]], "kind": "holding",
                                    "word_order": config.get("word_order", "hw_first"), "fields": fields,
                                    "description": f"{body.get('manufacturer', '')} {body.get('model', '')} template"}
    if config.get("max_registers_per_request"):
        document_map["max_block"] = config["max_registers_per_request"]
    template = DeviceTemplate(category=body["type"], manufacturer=body.get("manufacturer"), model=body.get("model"),
                              poll_interval_s=seconds(config["polling_interval"], "polling_interval")
                              if "polling_interval" in config else None,
                              timeout_s=seconds(config["timeout"], "timeout") if "timeout" in config else None,
                              retries=config.get("retry_count"), map_document=document_map,
                              source_document=_plain(body))
    template.register_map()  # fail now, naming the field, rather than at the first poll
    return template


def _plain(document: Mapping[str, object]) -> Json:
    """A YAML document as plain JSON-able dicts and lists."""
    return {str(k): _plain_value(v) for k, v in document.items()}


def _plain_value(value: object) -> JsonValue:
    if isinstance(value, Mapping):
        return {str(k): _plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_value(v) for v in value]
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)  # a leaf JSON has no type for (a YAML date) is kept as its text


def load_template_text(text: str, source: str = "template") -> DeviceTemplate:
    """Parse template YAML text safely."""
    try:
        document = safe_yaml.load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{source}: not valid YAML: {exc}") from exc
    return parse_template(document, source)
