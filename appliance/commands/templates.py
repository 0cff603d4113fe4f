"""`appliance devices apply-template FILE --filter ...`: preview, and write only with --commit."""

from __future__ import annotations

import argparse
from pathlib import Path

from appliance.commands.common import EXIT_OK, open_store_for_cli
from appliance.errors import ValidationError


def cmd_apply_template(args: argparse.Namespace) -> int:
    """Print what a template changes on which devices; write it only with --commit."""
    from appliance.catalog import templates
    from appliance.drivers.templates import load_template_text

    path = Path(args.file)
    if not path.is_file():
        raise ValidationError(f"{args.file}: no such file", field="file")
    template = load_template_text(path.read_text(encoding="utf-8"), str(path))
    filters = templates.parse_filter(args.filter)
    open_store_for_cli(args)
    changes = templates.plan(template, filters)
    if not changes:
        print("no device matches" + (f" {args.filter}" if args.filter else ""))
        return EXIT_OK
    for change in changes:
        differences = change.differences()
        print(f"{change.device_id} adapter {change.adapter_id} ({change.adapter_type}): "
              f"{'; '.join(differences) if differences else 'no change'}")
        for note in change.notes:
            print(f"    note: {note}")
    if args.commit:
        written = templates.commit(changes)
        print(f"written: {written} adapter(s) changed")
    else:
        print("nothing written (add --commit to apply)")
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `devices apply-template`."""
    devices = commands.add_parser("devices", help="act on registered devices")
    actions = devices.add_subparsers(dest="devices_command", metavar="ACTION", required=True,
                                     parser_class=type(devices))
    apply = actions.add_parser("apply-template", help="apply a device template (preview unless --commit)")
    apply.add_argument("file", help="the template YAML file")
    apply.add_argument("--filter", metavar="K=V,...", help="kind=bess, system=ID, type=ADAPTER_TYPE, name=NAME")
    apply.add_argument("--commit", action="store_true", help="write the changes")
    apply.set_defaults(func=cmd_apply_template)
