"""One logical battery per battery array, from packs polled for real on loopback: PowerPacks over Modbus TCP
and over Modbus RTU on a pty, Pylontech packs over RS485 on ptys beside a Deye on Modbus TCP. A pack that goes
offline shrinks the limits at once, in /api/assets and in dispatch."""

from __future__ import annotations

import pytest

from appliance.acquisition.service import Acquisition
from appliance.acquisition.writer import SampleWriter
from appliance.catalog import adapters, devices
from appliance.control import assets, dispatch
from appliance.errors import ValidationError
from appliance.sim.powerpack import PowerPackSim
from appliance.sim.pylontech_rs485 import PylontechRs485Sim
from tests.control import deye as deye_sim


@pytest.fixture
def polling(db, live_cache, dispatcher, clock):
    """Pollers on the dispatcher's pool (as the runtime wires them), writing to the live cache."""
    writer = SampleWriter(flush_interval_s=0.05).start()
    made = []

    def start() -> Acquisition:
        acq = Acquisition(None, writer, dispatcher.pool, live_cache, clock=clock)
        acq.sync()
        made.append(acq)
        return acq

    yield start
    writer.stop()


def powerpack(pack_id: str, transport: str, kw: float, started: list) -> PowerPackSim:
    sim = PowerPackSim(values=lambda: {"status": "running", "target_power_w": 0, "command_source": "remote",
                                       "soe_pct": 40.0 if pack_id == "a" else 80.0, "available_blocks": 4})
    server = sim.tcp() if transport == "tcp" else sim.rtu()
    started.append(server)
    config = ({"transport": "tcp", "host": "127.0.0.1", "port": server.port} if transport == "tcp"
              else {"transport": "rtu", "serial_port": server.path})
    config.update(unit_id=1, timeout_s=0.5, retries=0, max_discharge_kw=kw, max_charge_kw=kw,
                  capacity_kwh=10.0 if pack_id == "a" else 30.0)
    devices.create_battery_pack(pack_id, "bank", f"Pack {pack_id}", nominal_kwh=10.0 if pack_id == "a" else 30.0)
    adapters.create_adapter(f"{pack_id}_adapter", "powerpack", config)
    adapters.link_pack_adapter(pack_id, f"{pack_id}_adapter")
    return sim


def logical(api_rows: list[dict]) -> dict:
    return next(a for a in api_rows if a["kind"] == "battery_array")


@pytest.mark.parametrize("offline", ["tcp", "rtu"])
def test_a_pack_going_offline_shrinks_the_arrays_limits_at_once(home, polling, offline, clock, dispatcher):
    started: list = []
    try:
        powerpack("a", "tcp", 10, started)
        powerpack("b", "rtu", 5, started)
        acq = polling()
        assert acq.poll_all() == 2
        array = logical(assets.assets("home"))
        assert array["asset_id"] == "battery_array:bank" and array["controlled_by"] == ["battery_pack:a",
                                                                                       "battery_pack:b"]
        assert (array["limits"]["max_discharge_kw"], array["limits"]["max_charge_kw"]) == (15, 15)
        assert array["soc_pct"] == 70.0  # (40 % x 10 kWh + 80 % x 30 kWh) / 40 kWh, not the plain mean 60 %
        assert (array["packs_online"], array["health_status"]) == (2, "online")
        plan = dispatch.dispatch({"asset_id": "battery_array:bank", "kw": 12, "dry_run": True}, dispatcher=dispatcher)
        assert [s["setpoint_w"] for s in plan["shares"]] == [8000, 4000]

        gone = started[0] if offline == "tcp" else started[1]
        gone.stop()
        clock.advance(5)
        acq.poll_all()
        array = logical(assets.assets("home"))
        left = 5 if offline == "tcp" else 10
        assert array["limits"]["max_discharge_kw"] == left and array["packs_online"] == 1
        assert array["health_status"] == "offline"
        assert array["soc_pct"] == (80.0 if offline == "tcp" else 40.0)
        # The signed-setpoint rules stand: the offline pack is skipped, the online one takes what it can.
        result = dispatch.dispatch({"asset_id": "battery_array:bank", "kw": 12}, dispatcher=dispatcher)
        assert (result["outcome"], result["placed_w"], result["unplaced_w"]) == ("partial", left * 1000,
                                                                                 (12 - left) * 1000)
        assert [(s["asset_id"], s["status"]) for s in result["shares"] if s["status"] != "skipped"] == [
            ("battery_pack:b" if offline == "tcp" else "battery_pack:a", "applied")]
    finally:
        for server in started:
            server.stop()


def pylontech(pack_id: str, soc: float, cells_mv: int, *, read_limits: bool, started: list,
              **limits: float) -> PylontechRs485Sim:
    def values() -> dict:
        cells = [round((cells_mv + i) / 1000, 3) for i in range(15)]
        return {"batteries": [{"index": 1, "voltage_v": round(sum(cells), 3), "current_a": 0.0, "soc_pct": soc,
                               "temperature_c": 25.0 if pack_id == "p1" else 31.0, "cell_voltages_v": cells,
                               "cell_temperatures_c": [24.0, 25.0, 25.0, 24.0] if pack_id == "p1" else
                               [30.0, 31.0, 33.5, 30.0], "full_ah": 50.0 if pack_id == "p1" else 100.0,
                               "cycles": 12, "serial_number": f"SIM{pack_id}"}]}
    sim = PylontechRs485Sim(values).start()
    started.append(sim)
    devices.create_battery_pack(pack_id, "bank", f"Pylontech {pack_id}", **limits)
    adapters.create_adapter(f"{pack_id}_adapter", "pylontech_rs485",
                            {"serial_port": sim.path, "timeout_s": 0.5, "retries": 0, "read_limits": read_limits})
    adapters.link_pack_adapter(pack_id, f"{pack_id}_adapter")
    return sim


def test_a_deye_dispatch_is_bounded_by_its_logical_battery_and_shrinks_with_it(home, polling, clock, dispatcher):
    started: list = []
    inverter = deye_sim.start("tcp", clock)
    try:
        pylontech("p1", 50.0, 3300, read_limits=True, started=started)  # BMS: 74 A at ~49.6 V
        pylontech("p2", 80.0, 3250, read_limits=False, started=started, max_charge_kw=2.0, max_discharge_kw=2.5)
        acq = polling()
        assert acq.poll_all() == 3
        array = logical(assets.assets("home"))
        p1 = next(p for p in array["packs"] if p["pack_id"] == "p1")
        assert p1["max_charge_kw"] == pytest.approx(74 * 49.6 / 1000, rel=0.01)
        assert array["limits"]["max_discharge_kw"] == pytest.approx(p1["max_discharge_kw"] + 2.5)
        # Capacities from the BMSs (full Ah x V): 50 Ah at 50 % and 100 Ah at 80 % are ~70 %, not the mean 65 %.
        assert array["soc_pct"] == pytest.approx(70.0, abs=0.2)
        assert array["cells"]["cell_min_v"] == 3.25 and array["cells"]["cell_max_v"] == 3.314
        assert array["cells"]["temperature_max_c"] == 33.5
        assert array["controlled_by"] == [inverter.asset_id]

        total = array["limits"]["max_discharge_kw"]
        dispatch.dispatch({"asset_id": inverter.asset_id, "kw": 1, "dry_run": True},
                          dispatcher=dispatcher)  # reads the program once
        deye = assets.resolve(inverter.asset_id)
        assert deye.max_w == pytest.approx(total * 1000, abs=1)  # below its rated 8 kW: the battery is the limit
        started[1].stop()
        clock.advance(5)
        acq.poll_all()
        deye = assets.resolve(inverter.asset_id)
        assert deye.max_w == pytest.approx(p1["max_discharge_kw"] * 1000, abs=1)
        with pytest.raises(ValidationError):
            dispatch.dispatch({"asset_id": "battery_array:bank", "kw": total}, dispatcher=dispatcher)
        applied = dispatch.dispatch({"asset_id": "battery_array:bank", "kw": 1.2}, dispatcher=dispatcher)
        assert applied["outcome"] == "applied" and applied["shares"][0]["asset_id"] == inverter.asset_id
    finally:
        inverter.server.stop()
        for sim in started:
            sim.stop()
