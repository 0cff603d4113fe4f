"""The JSON API of alerts and hop status: GET /api/alerts, POST /api/alerts/{id}/ack, GET /api/status."""

from __future__ import annotations

from typing import Any, Mapping
from zoneinfo import ZoneInfo

from flask import Blueprint, g, jsonify, request, session
from flask.typing import ResponseReturnValue

from appliance.alerts import kinds
from appliance.clock import iso_ms, parse_instant
from appliance.errors import ValidationError
from appliance.store.alerts import MAX_HISTORY, AlertRecord
from appliance.web import running

bp = Blueprint("alerts_api", __name__, url_prefix="/api")
UTC = ZoneInfo("UTC")
TRUE, FALSE = ("1", "true", "yes"), ("", "0", "false", "no")


def service() -> Any:
    """The running alerts service (runtime.py passes it to create_app as ALERTS); 503 without it."""
    return running.alerts()


def alert_json(alert: AlertRecord) -> dict[str, Any]:
    """One alert as the API answers it (instants in ISO 8601 UTC)."""
    device_kind = alert.device_id.split(":", 1)[0] if alert.device_id and ":" in alert.device_id else None
    return {"id": alert.alert_id, "kind": alert.kind, "label": kinds.label(alert.kind), "severity": alert.severity,
            "active": alert.active, "subject": alert.subject, "device_id": alert.device_id,
            "system_id": alert.system_id, "entity": alert.entity, "part": kinds.part_of(alert.kind, device_kind),
            "message": alert.message, "details": dict(alert.details), "started_at": iso_ms(alert.started_at),
            "ended_at": iso_ms(alert.ended_at), "acknowledged_at": iso_ms(alert.acknowledged_at),
            "acknowledged_by": alert.acknowledged_by, "flaps": alert.flaps}


def who() -> str:
    """Who is asking: the API token's name, else the logged-in user."""
    token = getattr(g, "token", None)
    if token:
        return f"token {token['name']}"
    return str(session.get("user") or "unknown")


def parse_id(value: str) -> int:
    """An alert id from the path (a positive whole number)."""
    if not value.isascii() or not value.isdigit() or len(value) > 18 or int(value) < 1:
        raise ValidationError("the alert id must be a positive whole number", field="id")
    return int(value)


def window(args: Mapping[str, str], zone: ZoneInfo) -> tuple[int | None, int | None]:
    """`from` and `to` of a history query (either may be absent), checked."""
    start = parse_instant(args["from"], "from", zone=zone) if args.get("from") else None
    end = parse_instant(args["to"], "to", zone=zone) if args.get("to") else None
    if start is not None and end is not None and end <= start:
        raise ValidationError("to must be after from", field="to")
    return start, end


@bp.get("/alerts")
def alerts_list() -> ResponseReturnValue:
    """The active alerts; `?all=1&from=&to=` adds the history (alerts active at some time in [from, to))."""
    every = request.args.get("all", "").strip().lower()
    if every not in TRUE + FALSE:
        raise ValidationError("all must be 1 or 0", field="all")
    if every in FALSE:
        if request.args.get("from") or request.args.get("to"):
            raise ValidationError("from and to need all=1", field="all")
        return jsonify({"alerts": [alert_json(a) for a in service().active()]})
    start, end = window(request.args, UTC)
    found = service().history(start, end, MAX_HISTORY)
    return jsonify({"alerts": [alert_json(a) for a in found], "from": iso_ms(start), "to": iso_ms(end),
                    "truncated": len(found) >= MAX_HISTORY})


@bp.post("/alerts/<alert_id>/ack")
def alerts_ack(alert_id: str) -> ResponseReturnValue:
    """Acknowledge one alert; acknowledging again changes nothing; an event alert ends with it."""
    return jsonify(alert_json(service().acknowledge(parse_id(alert_id), who())))


def _instants(value: Any) -> Any:
    """The status with epoch-ms fields left out (the API gives ISO instants and ages)."""
    if isinstance(value, dict):
        return {k: _instants(v) for k, v in value.items() if not k.endswith("_ms")}
    if isinstance(value, list):
        return [_instants(v) for v in value]
    return value


@bp.get("/status")
def status() -> ResponseReturnValue:
    """Each hop's freshness: per device the last good read per adapter; the writer, scheduler, clock and disk;
    the headend's last push or pull, backlog and oldest unsent change; the notification channels."""
    body = service().status()
    return jsonify({"now": iso_ms(body["now_ms"]), **_instants(body)})
