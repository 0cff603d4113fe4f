"""Driver commands: `appliance decode` (READINGS.md contract) and `appliance devices apply-template`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from appliance import safe_yaml
from appliance.commands.common import EXIT_OK, UsageError
from appliance.errors import DecodeError, UnsupportedError, ValidationError


def _registers(text: str) -> dict[int, int]:
    """A JSON object from decimal register address to its 16-bit unsigned value."""
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise DecodeError(f"--registers is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise DecodeError("--registers must be a JSON object of address: value")
    registers: dict[int, int] = {}
    for key, value in raw.items():
        if not str(key).isdigit() or int(key) > 65535:
            raise DecodeError(f"register address {key!r} is not a decimal number 0..65535")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
            raise DecodeError(f"register {key} value {value!r} is not a 16-bit unsigned integer")
        registers[int(key)] = value
    return registers


def _frame(text: str) -> bytes:
    cleaned = "".join(text.split()).removeprefix("0x")
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise DecodeError("--hex is not hexadecimal (pairs of 0-9a-f, spaces allowed)") from None


def _text(path: str) -> str:
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror or exc}", field="text_file") from None
    return data.decode("utf-8", errors="replace")


def _decode_template(args: argparse.Namespace) -> Any:
    """A device template's registers need the template itself."""
    from appliance.drivers.modbus_template import ModbusTemplateDriver

    if not args.template or args.registers is None:
        raise UsageError("decode: modbus_template needs --template FILE and --registers JSON")
    try:
        document = safe_yaml.load(Path(args.template).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ValidationError(f"cannot read template {args.template}: {exc}", field="template") from None
    return ModbusTemplateDriver.decode(_registers(args.registers), template=document)


def cmd_decode(args: argparse.Namespace) -> int:
    """Decode one frame, console capture or register set into a reading printed as JSON."""
    from appliance.drivers import driver_for
    from appliance.drivers.base import decode_with
    from appliance.errors import NotFoundError

    try:
        driver = driver_for(args.adapter)
    except NotFoundError as exc:
        raise UsageError(f"decode: {exc.message}") from None
    try:
        if args.adapter == "modbus_template":
            reading = _decode_template(args)
        elif args.hex is not None:
            reading = decode_with(driver, frame=_frame(args.hex))
        elif args.text_file is not None:
            reading = decode_with(driver, text=_text(args.text_file))
        else:
            reading = decode_with(driver, registers=_registers(args.registers))
    except UnsupportedError as exc:
        raise UsageError(f"decode: {exc.message}") from None
    except DecodeError as exc:
        raise ValidationError(f"cannot decode: {exc.message}") from None
    json.dump(reading.to_json(), sys.stdout, indent=2, sort_keys=True, default=str, allow_nan=False)
    sys.stdout.write("\n")
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register decode (and the device template commands)."""
    decode = commands.add_parser("decode", help="decode a frame, console text or registers into a reading")
    decode.add_argument("--adapter", required=True, metavar="TYPE", help="adapter type, e.g. powdrive or jkbms_ble")
    source = decode.add_mutually_exclusive_group(required=True)
    source.add_argument("--hex", metavar="HEX", help="one frame as hex")
    source.add_argument("--text-file", metavar="FILE", help="console output as captured ('-' for stdin)")
    source.add_argument("--registers", metavar="JSON", help='{"address": value, ...} with decimal addresses')
    decode.add_argument("--template", metavar="FILE", help="the device template (for --adapter modbus_template)")
    decode.set_defaults(func=cmd_decode)
    _add_template_commands(commands)


def _add_template_commands(commands: argparse._SubParsersAction) -> None:
    from appliance.commands import templates

    templates.add_commands(commands)

