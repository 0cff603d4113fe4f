"""The main job: `appliance run` (systemd), `appliance demo` (a simulated home), `appliance simulate`."""

from __future__ import annotations

import argparse
import errno
import logging
import math
import socket
from pathlib import Path
from typing import Any

from appliance.commands import simulation
from appliance.commands.common import EXIT_OK, UsageError, settings_of
from appliance.commands.simulation import BACKFILL_STEP_S
from appliance.runtime import Runtime, RuntimeOptions
from appliance.settings import Settings

log = logging.getLogger(__name__)
DEMO_DB = "appliance-demo.db"
#: `demo --scenario` names (appliance/commands/scenarios.py; listed here so --help needs no import of it).
SCENARIO_NAMES = ("grid-outage", "pack-offline", "cell-imbalance", "headend-down")


def check_port(host: str, port: int) -> None:
    """Fail in one line, before anything starts, when the web port cannot be listened on."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be 0..65535, not {port}")
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # what waitress sets: TIME_WAIT is no conflict
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(_port_problem(port, exc)) from None


def _port_problem(port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is in use; pass --port"
    if exc.errno == errno.EACCES:
        return f"port {port} needs root; pass --port with a port above 1023"
    return f"cannot listen on port {port}: {exc.strerror or exc}"


def _start(runtime: Runtime) -> None:
    """Start the runtime; a port taken meanwhile is one line too, and nothing is left running."""
    try:
        runtime.start()
    except OSError as exc:
        runtime.stop()
        raise UsageError(_port_problem(runtime.options.port, exc)) from None


def cmd_run(args: argparse.Namespace) -> int:
    """Run the appliance until SIGTERM (what systemd starts)."""
    check_port(args.host, args.port)
    runtime = Runtime(settings_of(args), RuntimeOptions(host=args.host, port=args.port, mqtt_url=args.mqtt))
    runtime.handle_signals()
    runtime.open()
    _announce_setup_code()
    _start(runtime)
    print(f"appliance running; UI at {runtime.url}" if runtime.url else "appliance running", flush=True)
    runtime.run_forever()
    return EXIT_OK


def _announce_setup_code() -> None:
    """Print the one-time setup code to the journal while no admin password is set."""
    from appliance.accounts.passwords import issue_setup_code

    code = issue_setup_code()
    if code:
        print(f"First-run setup code: {code} (enter it in the web UI to set the admin password)", flush=True)


def _demo_settings(args: argparse.Namespace) -> Settings:
    settings = settings_of(args)
    if not args.db:
        path = Path(DEMO_DB).resolve()
        settings = Settings(data_dir=path.parent / "appliance-demo-data", db_path=path,
                            config_file=path.parent / "no-config.yaml")
    return settings


def build_demo(settings: Settings, options: RuntimeOptions) -> tuple[Runtime, Any]:
    """A runtime wired to the simulated home: its devices are found by the real discovery paths."""
    from appliance.discovery import settings as discovery_settings
    from appliance.discovery.process import Sources
    from appliance.discovery.sources import BleSource, StaticPortSource
    from appliance.drivers.connect import LinkPool
    from appliance.sim.demo import DemoSite
    from appliance.sim.inprocess import InProcessPool
    from appliance.sim.site import SiteModel
    from appliance.vclock import VirtualClock

    from appliance.catalog.localization import machine_timezone

    clock = VirtualClock()
    # The sun follows the zone the default system gets (the machine's), so noon is noon on the dashboard.
    site = SiteModel(clock=clock.seconds, timezone_name=machine_timezone())
    demo = DemoSite.start(site)
    pool = LinkPool(ble_link_factory=demo.ble_link_factory())
    targets = [{"host": host, "ports": [port], "unit_ids": [1]} for host, port in demo.tcp_endpoints]
    # TCP targets come from the discovery settings (shown in the UI), as an owner would configure them.
    sources = Sources(usb=StaticPortSource(demo.serial_ports), ble=BleSource(scanner=demo.ble_scanner()))
    runtime = Runtime(settings, options, pool=pool, discovery_sources=sources, clock=clock)
    runtime.backfill_pool = lambda: InProcessPool(demo.servers, ble_link_factory=demo.ble_link_factory())
    runtime.open()
    runtime.after_discovery.append(configure_demo_packs)  # as the installer would, once the packs are approved
    discovery_settings.set_value(discovery_settings.AUTO_APPROVE, True)
    discovery_settings.set_value(discovery_settings.TCP_TARGETS, targets)
    return runtime, demo


#: What the demo's installer enters for its packs, whose BMSs report no current limits: the site model's battery
#: takes 4 kW each way, 60 % through the Pylontech bank and 40 % through the JK pack.
DEMO_PACK_LIMITS = {"pytes_": 2.4, "jkbms_": 1.6}


def configure_demo_packs() -> int:
    """Give the demo's approved packs their limits, as an installer would (packs with limits are left alone)."""
    from appliance.catalog import devices

    changed = 0
    for pack in devices.list_battery_packs():
        kw = next((v for prefix, v in DEMO_PACK_LIMITS.items() if pack["pack_id"].startswith(prefix)), None)
        if kw is not None and pack.get("max_charge_kw") is None and pack.get("max_discharge_kw") is None:
            devices.update_battery_pack(pack["pack_id"], max_charge_kw=kw, max_discharge_kw=kw)
            changed += 1
    return changed


def backfill(runtime: Runtime, site: Any, days: float, *, step_s: float = BACKFILL_STEP_S,
             progress: Any = None) -> int:
    """Fill `days` of history through the live pipeline on a virtual clock; return the readings stored."""
    return simulation.backfill(runtime, site, days, step_s=step_s, progress=progress).readings


def _print_devices(runtime: Runtime) -> None:
    for entry in sorted(runtime.live.entries(), key=lambda e: e.ctx.device_id):
        body = entry.reading.values
        keys = ("pv_power_w", "load_power_w", "grid_power_w", "battery_power_w", "power_w", "soc_pct",
                "battery_soc_pct", "voltage_v")
        shown = ", ".join(f"{k}={body[k]}" for k in keys if body.get(k) is not None)
        print(f"  {entry.ctx.device_id:<32} via {entry.adapter_id:<28} {shown}", flush=True)


def cmd_demo(args: argparse.Namespace) -> int:
    """A simulated home on 127.0.0.1 with real protocols, discovered, polled, stored and shown."""
    from appliance.commands import scenarios

    scenario = scenarios.SCENARIOS[args.scenario] if args.scenario else None
    options = RuntimeOptions(host="127.0.0.1", port=args.port, web=not args.no_web, discovery_interval_s=60,
                             alert_overrides=dict(scenario.overrides) if scenario else {},
                             mqtt_url=args.mqtt, mqtt_role="demo")
    if not args.no_web:
        check_port("127.0.0.1", args.port)  # before a backfill of minutes, not after it
    runtime, demo = build_demo(_demo_settings(args), options)
    runtime.handle_signals()
    player: Any = None
    headend: Any = None
    try:
        if args.backfill:
            bar = simulation.Progress()
            result = simulation.backfill(runtime, demo.site, args.backfill, progress=bar.update)
            bar.close()
            print(simulation.summary(result, runtime.settings.db_path).replace("simulated", "backfilled", 1),
                  flush=True)
        _start(runtime)
        print(f"demo running: {len(runtime.acquisition.pollers)} simulated devices on 127.0.0.1; "
              f"database {runtime.settings.db_path}", flush=True)
        if runtime.url:
            print(f"open {runtime.url} in a browser (Ctrl-C stops the demo)", flush=True)
        if scenario is not None:
            headend = scenarios.prepare_headend(runtime.settings.data_dir) if scenario.name == "headend-down" else None
            player = play_scenario(runtime, demo, scenario, headend)
        runtime.run_forever(on_tick=lambda: _print_devices(runtime), tick_s=args.print_every)
    finally:
        if player is not None:
            player.stop()
        if headend is not None:
            headend.close()
        demo.stop()
    return EXIT_OK


def play_scenario(runtime: Runtime, demo: Any, scenario: Any, headend: Any = None, *, pace: float = 1.0) -> Any:
    """Print every alert change, and play the scenario once every device has answered (and the headend)."""
    from appliance.alerts import kinds
    from appliance.commands import scenarios

    def say(text: str) -> None:
        print(text, flush=True)

    runtime.alerts.subscribe(lambda change: say(
        f"alert {change.alert.alert_id} {change.event} ({kinds.label(change.alert.kind)}, {change.alert.severity})"
        f": {change.alert.message}"))
    say(f"scenario {scenario.name}: {scenario.summary}")
    for key, value in scenario.overrides.items():
        say(f"scenario {scenario.name}: {key} = {value:g} for this run (a demo takes minutes, not hours)")

    def ready() -> bool:
        answered = len(runtime.live.entries()) >= 4
        if headend is None:
            return answered
        link = runtime.headend_link()
        return answered and link.last_push_ms is not None and link.last_error is None

    return scenarios.Player(scenario, scenarios.Stage(demo, headend, say), pace=pace, ready=ready).start()


def cmd_simulate(args: argparse.Namespace) -> int:
    """Only the backfill of the demo, headless: N days of a simulated home into a database."""
    if args.days <= 0 or args.days > 3660:
        raise UsageError("simulate --days must be between 0 and 3660")
    runtime, demo = build_demo(_demo_settings(args), RuntimeOptions(web=False))
    bar = simulation.Progress()
    try:
        result = simulation.backfill(runtime, demo.site, args.days, step_s=args.step, progress=bar.update)
    finally:
        bar.close()
        runtime.writer.stop()
        runtime.storage.checkpoint(truncate=True)
        runtime.pool.close_all()
        demo.stop()
    print(simulation.summary(result, runtime.settings.db_path), flush=True)
    return EXIT_OK


def cmd_note_exit(args: argparse.Namespace) -> int:
    """Keep how the service stopped for the next start (systemd runs this as ExecStopPost=)."""
    import os

    from appliance.alerts import restart
    from appliance.clock import now_ms

    note = restart.note_exit(settings_of(args).data_dir, os.environ, now_ms())
    print(f"noted: {note['service_result'] or 'no result given'}", flush=True)
    return EXIT_OK


def _positive(value: str) -> float:
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive number")
    return number


def _flush_flag(parser: argparse.ArgumentParser) -> None:
    from appliance.acquisition.writer import DEFAULT_FLUSH_INTERVAL_S

    parser.add_argument("--flush-interval", type=float, metavar="S",
                        help=f"seconds between the sample writer's commits (default $APPLIANCE_FLUSH_INTERVAL_S or "
                             f"{DEFAULT_FLUSH_INTERVAL_S:g}); a kill -9 loses at most this much")


def _mqtt_url(value: str) -> str:
    """An `--mqtt` URL checked at once (the error never repeats the password)."""
    from appliance.errors import ValidationError
    from appliance.mqtt.config import parse_url

    try:
        parse_url(value, "the URL")
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    return value


MQTT_HELP = ("publish to this MQTT broker (Home Assistant discovery), for this run, over the stored settings: "
             "mqtt://[user:password@]host[:port] or mqtts:// for TLS")


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register run, demo and simulate."""
    run = commands.add_parser("run", help="run the appliance (systemd starts this)")
    run.add_argument("--host", default="0.0.0.0", help="address the web UI listens on (default 0.0.0.0)")
    run.add_argument("--port", type=int, default=8080, help="web UI port (default 8080)")
    _flush_flag(run)
    run.add_argument("--mqtt", type=_mqtt_url, metavar="URL", help=MQTT_HELP)
    run.set_defaults(func=cmd_run)

    demo = commands.add_parser("demo", help="run a simulated home on 127.0.0.1 through the real pipeline")
    demo.add_argument("--backfill", type=_positive, metavar="DAYS", help="first fill DAYS of history")
    demo.add_argument("--port", type=int, default=8080, help="web UI port on 127.0.0.1 (default 8080)")
    demo.add_argument("--no-web", action="store_true", help="do not serve the web UI")
    demo.add_argument("--mqtt", type=_mqtt_url, metavar="URL", help=MQTT_HELP)
    demo.add_argument("--print-every", type=_positive, default=10.0, metavar="S",
                      help="print a line per device every S seconds (default 10)")
    demo.add_argument("--scenario", choices=sorted(SCENARIO_NAMES),
                      help="play a scripted fault once the home is up, to see its alert end to end: "
                           + ", ".join(sorted(SCENARIO_NAMES)))
    _flush_flag(demo)
    demo.set_defaults(func=cmd_demo)

    note = commands.add_parser("note-exit", help="note how the service stopped, for the next start's alerts "
                                                 "(systemd runs it as ExecStopPost= with $SERVICE_RESULT)")
    note.set_defaults(func=cmd_note_exit)

    simulate = commands.add_parser("simulate", help="fill a database with N days of a simulated home, headless")
    simulate.add_argument("--days", type=_positive, required=True, help="how many days of history")
    simulate.add_argument("--step", type=_positive, default=BACKFILL_STEP_S, help="seconds between readings (60)")
    simulate.set_defaults(func=cmd_simulate)

