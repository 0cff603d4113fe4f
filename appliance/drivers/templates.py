"""Device templates (the device-registry document): a Modbus device type described in YAML, no code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

import jsonschema
import yaml

from appliance import safe_yaml
from appliance.drivers.modbus.regmap import RegisterMap, parse_map
from appliance.errors import ValidationError

DURATION = {"oneOf": [{"type": "number", "exclusiveMinimum": 0},
                      {"type": "string", "pattern": r"^\d+(\.\d+)?\s*(ms|s|m|min)?$"}]}
REGISTER = {"oneOf": [
    {"type": "integer", "minimum": 0, "maximum": 65535},
    {"type": "object", "required": ["address"], "additionalProperties": False, "properties": {
        "address": {"type": "integer", "minimum": 0, "maximum": 65535},
        "type": {"enum": ["u16", "s16", "u32", "s32", "float32", "ascii", "bits", "enum"]},
        "name": {"type": "string", "minLength": 1}, "scale": {"type": "number"}, "offset": {"type": "number"},
        "unit": {"type": "string"}, "word_order": {"enum": ["hw_first", "lw_first"]},
        "kind": {"enum": ["holding", "input"]}, "length": {"type": "integer", "minimum": 1, "maximum": 64},
        "enum": {"type": "object"}}}]}
TEMPLATE_SCHEMA: dict[str, Any] = {
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


@dataclass(frozen=True)
class DeviceTemplate:
    """A validated template: polling settings and the register map it describes."""

    category: str
    manufacturer: str | None
    model: str | None
    poll_interval_s: float | None
    timeout_s: float | None
    retries: int | None
    map_document: dict[str, Any]
    source_document: dict[str, Any]

    def register_map(self) -> RegisterMap:
        """The template's registers as a checked register map."""
        return parse_map(self.map_document, f"template {self.manufacturer or ''} {self.model or ''}".strip())


def seconds(value: Any, field: str) -> float:
    """`60s`, `5 s`, `500ms`, `2m` or a number of seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(ms|s|m|min)?", str(value).strip())
    if not match:
        raise ValidationError(f"{field}: {value!r} is not a duration such as 60s", field=field)
    number, unit = float(match.group(1)), match.group(2) or "s"
    return number / 1000 if unit == "ms" else number * 60 if unit in ("m", "min") else number


def parse_template(document: Any, source: str = "template") -> DeviceTemplate:
    """Validate a template document (`device_template:` at the top, or the template itself)."""
    body = document.get("device_template", document) if isinstance(document, Mapping) else document
    errors = sorted(jsonschema.Draft202012Validator(TEMPLATE_SCHEMA).iter_errors(body),
                    key=lambda e: list(e.absolute_path))
    if errors:
        path = ".".join(str(p) for p in errors[0].absolute_path) or "device_template"
        raise ValidationError(f"{source}: {path}: {errors[0].message}", field=path)
    config = body["default_config"]
    scaling = config.get("scaling", {})
    fields = []
    for key, spec in config["registers"].items():
        spec = {"address": spec} if isinstance(spec, int) else dict(spec)
        name, scale_class, factor = ALIASES.get(key, (f"details.{key}", None, 1.0))
        field = {"name": spec.pop("name", name), "address": spec.pop("address"),
                 "type": spec.pop("type", "s16" if key in SIGNED else "u16")}
        if "scale" not in spec:
            field["scale"] = (scaling.get(scale_class, 1.0) if scale_class else 1.0) * factor
        field.update(spec)
        fields.append(field)
    document_map: dict[str, Any] = {"reading_kind": KIND_OF[body["type"]], "kind": "holding",
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


def _plain(value: Any) -> Any:
    """A YAML document as plain JSON-able dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_template_text(text: str, source: str = "template") -> DeviceTemplate:
    """Parse template YAML text safely."""
    try:
        document = safe_yaml.load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"{source}: not valid YAML: {exc}") from exc
    return parse_template(document, source)
