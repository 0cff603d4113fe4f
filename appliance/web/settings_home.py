"""Settings a homeowner reaches: the home's time zone and currency, tariffs, discovery targets and auto-approve.

Routes on the settings blueprint (settings_pages.py holds the page and the account settings); each form
posts here, is checked by its service and shows its error beside the field, keeping what was typed.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from flask import request
from flask.typing import ResponseReturnValue

from appliance.catalog import systems
from appliance.catalog.localization import CURRENCIES
from appliance.discovery import settings as discovery_settings
from appliance.energy import tariffs
from appliance.errors import ApplianceError, ValidationError
from appliance.jsontypes import Json, JsonObject, as_list
from appliance.web.entities import timezone_choices
from appliance.web.settings_pages import bp, page, section
from appliance.web.templating import current_system

TOU_ROWS = 3


@section
def home_context() -> dict[str, object]:
    """What the home, tariff and discovery sections show."""
    system = current_system()
    plan = tariffs.get_plan(system["system_id"]) if system else None
    found = discovery_settings.load()
    return {"system": system, "zones": timezone_choices(None), "currencies": CURRENCIES, "plan": plan,
            "tariff_form": tariff_values(plan), "tou_rows": TOU_ROWS,
            "prices": tariffs.current_prices(system["system_id"]) if system else {},
            "discovery": {"auto_approve": found.auto_approve, "unit_ids": ", ".join(map(str, found.unit_ids)),
                          "tcp_targets": targets_text(found.tcp_targets)}}


def targets_text(targets: Iterable[JsonObject]) -> str:
    """TCP targets as the textarea shows them: one 'HOST PORTS [UNIT IDS]' per line."""
    lines = []
    for t in targets:
        ports = t.get("ports", 502)
        ports_text = ",".join(map(str, ports)) if isinstance(ports, list) else str(ports)
        units = as_list(t.get("unit_ids"))
        lines.append(" ".join([str(t["host"]), ports_text] + ([",".join(map(str, units))] if units else [])))
    return "\n".join(lines)


def parse_targets(text: str) -> list[Json]:
    """'HOST PORTS [UNIT IDS]' lines ('127.0.0.1 502,8899 1,2') as TCP target objects."""
    out = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        words = line.replace(";", " ").split()
        if not words:
            continue
        if len(words) > 3:
            raise ValidationError(f"line {number}: write HOST PORTS [UNIT IDS], e.g. 127.0.0.1 502 1",
                                  field="discovery.tcp_targets")
        target: Json = {"host": words[0], "ports": 502}
        if len(words) > 1:
            ports = [p for p in words[1].split(",") if p]
            target["ports"] = [int(p) if p.isdigit() else p for p in ports]
        if len(words) > 2:
            target["unit_ids"] = [int(u) if u.isdigit() else u for u in words[2].split(",") if u]
        out.append(target)
    return out


def tariff_values(plan: dict[str, Any] | None) -> dict[str, str]:
    """A saved plan as form inputs."""
    values: dict[str, str] = {"import.kind": "flat", "export.kind": "none"}
    for side in ("import", "export"):
        spec = (plan or {}).get(side)
        if not spec:
            continue
        values[f"{side}.kind"] = spec["kind"]
        if spec["kind"] == "flat":
            values[f"{side}.price"] = f"{spec['price']:g}"
        if spec["kind"] == "tou":
            values[f"{side}.base"] = f"{spec['base']:g}"
            for i, p in enumerate(spec["periods"]):
                values.update({f"{side}.periods[{i}].start": p["start"], f"{side}.periods[{i}].end": p["end"],
                               f"{side}.periods[{i}].price": f"{p['price']:g}"})
    return values


def plan_from_form(form: Mapping[str, str]) -> Json:
    """A plan from the tariff form; empty time-of-use rows are left out."""
    plan: Json = {"from": form.get("from") or None}
    for side in ("import", "export"):
        kind = form.get(f"{side}.kind", "")
        spec: Json = {"kind": kind}
        if kind == "flat":
            spec["price"] = form.get(f"{side}.price", "")
        elif kind == "tou":
            spec["base"] = form.get(f"{side}.base", "")
            spec["periods"] = [
                {key: form.get(f"{side}.periods[{i}].{key}", "") for key in ("start", "end", "price")}
                for i in range(tariffs.MAX_PERIODS)
                if any(form.get(f"{side}.periods[{i}].{key}") for key in ("start", "end", "price"))]
        plan[side] = spec
    return plan


def _error(exc: ApplianceError, section: str) -> dict[str, str]:
    return {exc.field or section: exc.message}


@bp.post("/settings/home")
def home() -> ResponseReturnValue:
    """Set the selected system's time zone and currency."""
    system = current_system()
    if system is None:
        return page(400, errors={"home": "configure a system first"})
    try:
        systems.update_system(system["system_id"], timezone=request.form.get("timezone", ""),
                              currency=request.form.get("currency", ""))
    except ApplianceError as exc:
        return page(400, errors=_error(exc, "timezone"), form=request.form)
    return page(notice=f"Time zone and currency of {system['name']} saved.")


@bp.post("/settings/tariffs")
def tariff() -> ResponseReturnValue:
    """Save the selected system's import and export tariff (flat or time-of-use) from a date on."""
    system = current_system()
    if system is None:
        return page(400, errors={"tariff": "configure a system first"})
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        tariffs.set_plan(system["system_id"], plan_from_form(form))
    except ApplianceError as exc:
        return page(400, errors=_error(exc, "tariff"), tariff_form=form)
    return page(notice="Tariff saved: costs and savings are recalculated from its first day.")


@bp.post("/settings/discovery")
def discovery() -> ResponseReturnValue:
    """Save the network targets discovery probes, the unit ids it tries, and auto-approve."""
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        targets = parse_targets(form.get("discovery.tcp_targets", ""))
        units = [u.strip() for u in form.get("discovery.unit_ids", "").replace(" ", ",").split(",") if u.strip()]
        with_values = [(discovery_settings.TCP_TARGETS, targets),
                       (discovery_settings.UNIT_IDS, [int(u) if u.isdigit() else u for u in units] or [1]),
                       (discovery_settings.AUTO_APPROVE, form.get("discovery.auto_approve") == "on")]
        for key, value in with_values:
            discovery_settings.check(key, value)  # all checked before any is stored
        for key, value in with_values:
            discovery_settings.set_value(key, value)
    except ApplianceError as exc:
        field = exc.field if exc.field and exc.field.startswith("discovery.") else "discovery.tcp_targets"
        return page(400, errors={field: exc.message}, discovery_form=form)
    return page(notice="Discovery settings saved; the next scan uses them.")

