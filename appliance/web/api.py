"""The JSON API of the catalog: CRUD for every entity, adapter types, pack failover, device groups."""

from __future__ import annotations

from typing import Any, Mapping

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from appliance.catalog import adapters, groups, systems
from appliance.catalog.common import unknown_fields
from appliance.errors import ValidationError
from appliance.web.entities import ENTITIES, Entity

bp = Blueprint("api", __name__, url_prefix="/api")


def json_body() -> dict[str, Any]:
    """The request's JSON object; 415 when it is not JSON, 400 when it is not an object."""
    if not request.is_json:
        raise UnsupportedMediaType("send the body as application/json")
    try:
        body = request.get_json(force=True, silent=False)
    except BadRequest:
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ValidationError("the body must be a JSON object", field=None)
    return body


def created(item: Mapping[str, object]) -> tuple[Response, int]:
    """A 201 answer with the new item."""
    return jsonify(item), 201


def _views(entity: Entity) -> dict[str, Any]:
    label = entity.label.lower()
    a = "an" if label[0] in "aeiou" else "a"

    def list_items() -> ResponseReturnValue:
        return jsonify(entity.list(request.args.get("system_id")))

    def create_item() -> ResponseReturnValue:
        return created(entity.create(json_body()))

    def get_item(item_id: str) -> ResponseReturnValue:
        return jsonify(entity.get(item_id))

    def update_item(item_id: str) -> ResponseReturnValue:
        return jsonify(entity.update(item_id, **json_body()))

    def delete_item(item_id: str) -> ResponseReturnValue:
        entity.delete(item_id)
        return Response(status=204)

    views = {"list": list_items, "create": create_item, "get": get_item, "update": update_item,
             "delete": delete_item}
    docs = {"list": f"List {label}s (optionally ?system_id=).", "create": f"Create {a} {label}.",
            "get": f"One {label}.", "update": f"Change {a} {label} (only the fields sent).",
            "delete": f"Delete {a} {label}."}
    for name, view in views.items():
        view.__doc__ = docs[name]
        view.__name__ = f"{entity.kind}_{name}"
    return views


for _entity in ENTITIES:
    _v = _views(_entity)
    _base = f"/{_entity.plural}"
    bp.add_url_rule(_base, f"{_entity.kind}_list", _v["list"], methods=["GET"])
    bp.add_url_rule(_base, f"{_entity.kind}_create", _v["create"], methods=["POST"])
    bp.add_url_rule(f"{_base}/<item_id>", f"{_entity.kind}_get", _v["get"], methods=["GET"])
    bp.add_url_rule(f"{_base}/<item_id>", f"{_entity.kind}_update", _v["update"], methods=["PATCH"])
    bp.add_url_rule(f"{_base}/<item_id>", f"{_entity.kind}_delete", _v["delete"], methods=["DELETE"])


@bp.get("/adapter-types")
def adapter_types() -> ResponseReturnValue:
    """Every adapter type with its JSON schema, transports and defaults."""
    return jsonify(adapters.list_adapter_types())


@bp.get("/adapter-types/<adapter_type>")
def adapter_type(adapter_type: str) -> ResponseReturnValue:
    """One adapter type."""
    return jsonify(adapters.get_adapter_type(adapter_type))


@bp.get("/battery-arrays/<item_id>/attachments")
def attachments(item_id: str) -> ResponseReturnValue:
    """A battery array's attachments to inverter arrays, detached ones included."""
    systems.get_battery_array(item_id)
    return jsonify(systems.attachment_history(item_id))


@bp.get("/battery-packs/<item_id>/adapters")
def pack_adapters(item_id: str) -> ResponseReturnValue:
    """A battery pack's adapters in failover order."""
    return jsonify(ENTITIES_BY_KIND["battery_pack"].get(item_id)["adapters"])


@bp.post("/battery-packs/<item_id>/adapters")
def link_pack_adapter(item_id: str) -> ResponseReturnValue:
    """Add an adapter to a pack's failover list: {"adapter_id", "priority"?, "enabled"?}."""
    body = json_body()
    ENTITIES_BY_KIND["battery_pack"].get(item_id)
    unknown_fields(body, {"adapter_id", "priority", "enabled"})
    extra = {k: body[k] for k in ("priority", "enabled") if k in body}
    adapters.link_pack_adapter(item_id, str(body.get("adapter_id") or ""), **extra)
    return created({"pack_id": item_id, "adapters": adapters.pack_adapters(item_id)})


@bp.put("/battery-packs/<item_id>/adapters")
def order_pack_adapters(item_id: str) -> ResponseReturnValue:
    """Set a pack's failover order: {"adapter_ids": [first, second, ...]}."""
    body = json_body()
    ENTITIES_BY_KIND["battery_pack"].get(item_id)
    ids = body.get("adapter_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ValidationError("adapter_ids must be a list of adapter ids", field="adapter_ids")
    return jsonify(adapters.reorder_pack_adapters(item_id, ids))


@bp.delete("/battery-packs/<item_id>/adapters/<adapter_id>")
def unlink_pack_adapter(item_id: str, adapter_id: str) -> ResponseReturnValue:
    """Remove an adapter from a pack's failover list."""
    ENTITIES_BY_KIND["battery_pack"].get(item_id)
    adapters.unlink_pack_adapter(item_id, adapter_id)
    return Response(status=204)


@bp.put("/device-groups/<item_id>/members/<device_id>")
def set_group_member(item_id: str, device_id: str) -> ResponseReturnValue:
    """Add a registry device to a group or change it: {"role"?, "priority"?}."""
    body = json_body()
    unknown_fields(body, {"role", "priority"})
    return jsonify(groups.set_member(item_id, device_id, role=body.get("role"), priority=body.get("priority")))


@bp.delete("/device-groups/<item_id>/members/<device_id>")
def remove_group_member(item_id: str, device_id: str) -> ResponseReturnValue:
    """Take a device out of a group."""
    groups.remove_member(item_id, device_id)
    return Response(status=204)


ENTITIES_BY_KIND = {e.kind: e for e in ENTITIES}
