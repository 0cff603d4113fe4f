"""The JSON API of program control: a device's program, lease and budget; changes (with dry runs); hand-back;
the control audit log. The web calls the control service only: the same validation, lease and audit as the
control page and MQTT."""

from __future__ import annotations


from flask import Blueprint, Flask, jsonify, request
from flask.typing import ResponseReturnValue

from appliance.control import audit, program
from appliance.web import running
from appliance.web.api_args import caller, int_arg, limited_body

bp = Blueprint("control_api", __name__, url_prefix="/api/control")


@bp.get("/audit")
def control_audit() -> ResponseReturnValue:
    """Lease changes, writes and refusals, newest first (?asset_id=&kind=&limit=1..500&before=<audit_id>)."""
    return jsonify(audit.entries(device_id=request.args.get("asset_id") or None,
                                 kind=request.args.get("kind") or None, limit=int_arg("limit", 50),
                                 before=int_arg("before")))


@bp.get("/<asset_id>")
def control_state(asset_id: str) -> ResponseReturnValue:
    """The program read from the device now, its settings, the lease holder, the write budget left."""
    return jsonify(program.describe(asset_id, dispatcher=running.dispatcher()))


@bp.post("/<asset_id>")
def control_change(asset_id: str) -> ResponseReturnValue:
    """Change the program: {program: {...}, dry_run?, takeover?, lease_s?}; a dry run writes nothing."""
    return jsonify(program.change(asset_id, limited_body(), source="api", holder=caller(),
                                  dispatcher=running.dispatcher()))


@bp.post("/<asset_id>/release")
def control_release(asset_id: str) -> ResponseReturnValue:
    """Hand the device back: an API setpoint in force ends (the owner's program is restored), the lease goes."""
    return jsonify(program.release(asset_id, limited_body() if request.content_length else None, source="api",
                                   holder=caller(), dispatcher=running.dispatcher()))


def register_blueprint(app: Flask) -> None:
    """Add these routes to an app made by `create_app`."""
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
