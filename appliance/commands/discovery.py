"""Discovery command: `appliance discover` finds devices once and prints them; --save records them."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from appliance.commands.common import EXIT_OK, UsageError, open_store_for_cli, settings_of

TCP_ARG = re.compile(r"^(?P<host>[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):(?P<ports>\d{1,5}(-\d{1,5})?)$")


def _tcp_targets(values: list[str], unit_ids: list[int] | None) -> list[dict[str, object]]:
    targets = []
    for value in values:
        match = TCP_ARG.match(value)
        if match is None:
            raise UsageError(f"discover: --tcp {value!r} must be HOST:PORT or HOST:PORT-PORT")
        targets.append({"host": match["host"], "ports": match["ports"], **({"unit_ids": unit_ids} if unit_ids else {})})
    return targets


def cmd_discover(args: argparse.Namespace) -> int:
    """Probe ports and TCP targets once; print port or address, adapter type, model and serial number."""
    from appliance.discovery.probe import Prober
    from appliance.discovery.process import Sources, run_discovery
    from appliance.discovery.sources import StaticPortSource, TcpTargets, UsbSerialSource

    from appliance.discovery.sources import parse_unit_ids
    from appliance.drivers.connect import LinkPool

    unit_ids = list(parse_unit_ids(args.unit_id, "--unit-id")) if args.unit_id else None
    tcp = TcpTargets(_tcp_targets(args.tcp or [], unit_ids))
    usb = StaticPortSource(args.port) if args.port else UsbSerialSource()
    # A one-shot tool: no pollers run in this process, so its links are its own and closed when it is done.
    pool = LinkPool()
    try:
        if args.save:
            open_store_for_cli(args)
            result = run_discovery(Sources(usb=usb, tcp=tcp if args.tcp else None), pool=pool,
                                   timeout_s=args.timeout, unit_ids=unit_ids)
            found, errors = result.found, result.errors
        else:
            ignored = _ignored_ports(args)
            prober = Prober(pool, timeout_s=args.timeout, unit_ids=unit_ids or (1,))
            found, errors = [], []
            for port in usb.ports():
                if port.names & ignored:
                    continue  # an ignored port is never opened, not even by a one-shot scan
                found += prober.probe_serial(port.port)
            for host, tcp_port, units in tcp.endpoints():
                found += prober.probe_tcp(host, tcp_port, units)
    finally:
        pool.close_all()
    for item in found:
        print(f"{item.port}\t{item.adapter_type}\t{item.model or '-'}\t{item.serial_number or '-'}")
    for line in errors:
        print(f"warning: {line}")
    if args.save:
        print(f"saved: {len(result.new)} new, {len(result.moved)} moved, {len(result.seen)} known")
    elif not found:
        print("no devices found")
    return EXIT_OK


def _ignored_ports(args: argparse.Namespace) -> frozenset[str]:
    """The ignore list of an existing database (read only; a missing database means none)."""
    path = Path(settings_of(args).db_path)
    if not path.is_file():
        return frozenset()
    from appliance.discovery.settings import load

    open_store_for_cli(args)
    return load().ignored_ports


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register this module's commands."""
    discover = commands.add_parser("discover", help="find devices once and print them")
    discover.add_argument("--save", action="store_true",
                          help="record what was found in the database (discovery inbox); default: print only")
    discover.add_argument("--port", action="append", metavar="PATH",
                          help="probe this serial port (repeatable); default: every USB serial port")
    discover.add_argument("--tcp", action="append", metavar="HOST:PORT[-PORT]",
                          help="probe Modbus TCP / JK gateway endpoints (repeatable)")
    discover.add_argument("--unit-id", action="append", type=int, metavar="N",
                          help="Modbus unit id to try (repeatable); default: the discovery.unit_ids setting, or 1")
    discover.add_argument("--timeout", type=float, default=1.0, metavar="SECONDS",
                          help="answer timeout per probe (default 1.0)")
    discover.set_defaults(func=cmd_discover)
