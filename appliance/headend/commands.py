"""Blueprint: dispatch commands queued for an appliance, which polls for them and acknowledges each outcome."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from appliance.errors import ValidationError
from appliance.headend import bodies
from appliance.headend.context import current_store
from appliance.headend.jsonio import read_body
from appliance.headend.records import DispatchOrder
from appliance.headend.store import HeadendStore

blueprint = Blueprint("commands", __name__)


def _appliance_of(order: DispatchOrder, store: HeadendStore) -> str:
    if order.appliance_id is not None:
        return order.appliance_id
    # asset_id wins: a command that names an asset goes to that asset's appliance only.
    if order.asset_id is not None:
        return str(store.asset(order.asset_id)["appliance_id"])
    if order.system_id is not None:
        return store.appliance_of_system(order.system_id)
    raise ValidationError("name an asset_id or a system_id (site_id)", field="asset_id")


@blueprint.post("/dispatch")
def dispatch() -> tuple[Response, int]:
    """Queue a dispatch for the appliance of the named asset or system; 202 with the command."""
    store = current_store()
    order = bodies.dispatch(read_body())
    return jsonify(store.queue_command(_appliance_of(order, store), order.params)), 202


@blueprint.get("/commands")
def pending() -> Response:
    """An appliance's unacknowledged commands (its poll)."""
    appliance_id = request.args.get("appliance_id")
    if not appliance_id:
        raise ValidationError("appliance_id is required", field="appliance_id")
    return jsonify({"commands": current_store().pending_commands(appliance_id)})


@blueprint.get("/commands/<command_id>")
def command(command_id: str) -> Response:
    """A command with its outcome; 404 when unknown."""
    return jsonify(current_store().command(command_id))


@blueprint.post("/commands/<command_id>/ack")
def ack(command_id: str) -> Response:
    """Record an appliance's outcome of a command; the first ack counts."""
    return jsonify(current_store().ack(command_id, bodies.ack(read_body())))
