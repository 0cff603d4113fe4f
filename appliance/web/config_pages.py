"""Configuration pages: every catalog entity, adapters with generated forms, failover order, groups, config.yaml."""

from __future__ import annotations


from flask import Blueprint, Response, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue

from appliance.catalog import adapters, config_yaml, deletion, devices, groups, registry
from appliance.catalog.localization import machine_timezone as default_timezone
from appliance.errors import ApplianceError, NotFoundError
from appliance.jsontypes import JsonValue, as_list, as_object, text
from appliance.mqtt.settings import config_sections
from appliance.web import forms, security
from appliance.web.confirm import Confirmation, run
from appliance.web.entities import BY_PLURAL, ENTITIES, Entity, Row
from appliance.web.htmx import hx_redirect, is_htmx
from appliance.web.templating import current_system_id, fmt_ts

bp = Blueprint("config", __name__, url_prefix="/config")
ROLES = groups.ROLES
#: The first id offered for a new entity of each kind: "array1", then "array2", ...
ID_BASES = {"system": "home", "array": "array", "inverter": "inverter", "battery_array": "battery_array",
            "battery_pack": "pack", "meter": "meter", "adapter": "adapter", "device_group": "group"}
#: Kinds whose delete can keep the adapters of the devices it removes.
KEEP_ADAPTER_KINDS = {"system", "array", "inverter", "battery_array", "battery_pack", "meter"}


def next_id(entity: Entity) -> str:
    """A free id for a new entity: its kind's base with the first unused number ("array2")."""
    taken = {str(item[entity.id_field]) for item in entity.list(None)}
    base = ID_BASES.get(entity.kind, entity.kind)
    if entity.kind == "system" and base not in taken:
        return base
    return next(f"{base}{n}" for n in range(1 if entity.kind != "system" else 2, len(taken) + 3)
                if f"{base}{n}" not in taken)


def _schema(adapter_type: str | None) -> JsonValue:
    if not adapter_type:
        return None
    try:
        return adapters.get_adapter_type(adapter_type)["config_schema"]
    except NotFoundError:
        return None


@bp.get("")
def overview() -> ResponseReturnValue:
    """Every catalog entity of the selected system, with links to add, edit and delete; config.yaml in and out."""
    return _overview()


def _extra_context(entity: Entity, item: Row | None) -> dict[str, object]:
    extra: dict[str, object] = {}
    if entity.kind == "battery_pack" and item:
        linked = {as_object(a).get("adapter_id") for a in as_list(item["adapters"])}
        extra["free_adapters"] = [a for a in adapters.list_adapters() if a["device_category"] in ("battery", "bess")
                                  and a["adapter_id"] not in linked and not a.get("device_id")]
    if entity.kind == "device_group" and item:
        members = {as_object(m).get("device_id") for m in as_list(item["members"])}
        extra["candidates"] = [d for d in registry.list_devices(text(item.get("system_id")))
                               if d["device_id"] not in members]
        extra["roles"] = ROLES
    return extra


def _render(entity: Entity, *, item: Row | None, values: dict[str, str], errors: dict[str, str],
            status: int = 200) -> ResponseReturnValue:
    adapter_type = text(item["adapter_type"]) if item and entity.kind == "adapter" else values.get("adapter_type")
    schema = _schema(adapter_type) if entity.kind == "adapter" else None
    fields = forms.schema_fields(as_object(schema)) if schema else []
    context = {"entity": entity, "item": item, "values": values, "errors": errors, "system_id": current_system_id(),
               "config_fields": fields, **_extra_context(entity, item)}
    return render_template("entity_form.html", **context), status


def _error(exc: ApplianceError) -> dict[str, str]:
    return {exc.field or "_form": exc.message}


def _after_save(entity: Entity, item_id: str) -> ResponseReturnValue:
    if entity.kind in ("battery_pack", "device_group"):
        return hx_redirect(url_for(f"config.{entity.kind}_edit", item_id=item_id))
    return hx_redirect(url_for("config.overview") + f"#{entity.plural}")


def _views(entity: Entity) -> None:
    label = entity.label.lower()
    a = "an" if label[0] in "aeiou" else "a"

    def new_item() -> ResponseReturnValue:
        values = {k: v for k, v in request.values.items() if k != "csrf_token"}
        if request.method == "GET":
            values.setdefault(entity.id_field, next_id(entity))
            if entity.kind != "system":
                values.setdefault("system_id", current_system_id() or "")
            else:
                values.setdefault("timezone", default_timezone())
            if entity.kind == "adapter":
                values.setdefault("enabled", "on")  # a new adapter is meant to be used
            return _render(entity, item=None, values=values, errors={})
        try:
            data = forms.entity_from_form(entity, request.form, creating=True)
            if entity.kind == "adapter":
                data["config"] = forms.config_from_form(as_object(_schema(data.get("adapter_type"))), request.form)
            created = entity.create(data)
        except ApplianceError as exc:
            return _render(entity, item=None, values=values, errors=_error(exc), status=400)
        return _after_save(entity, str(created[entity.id_field]))

    def edit_item(item_id: str) -> ResponseReturnValue:
        try:
            item = entity.get(item_id)
        except NotFoundError:
            abort(404, description=f"{label} {item_id!r} does not exist")
        if request.method == "GET":
            values = forms.entity_values(entity, item)
            if entity.kind == "adapter":
                values.update(forms.config_values(as_object(item["config_json"])))
            return _render(entity, item=item, values=values, errors={})
        values = {k: v for k, v in request.form.items() if k != "csrf_token"}
        try:
            changes = forms.entity_from_form(entity, request.form, creating=False)
            if entity.kind == "adapter":
                changes["config"] = forms.config_from_form(as_object(_schema(text(item["adapter_type"]))),
                                                           request.form)
            entity.update(item_id, **changes)
        except ApplianceError as exc:
            return _render(entity, item=item, values=values, errors=_error(exc), status=400)
        return _after_save(entity, item_id)

    def delete_item(item_id: str) -> ResponseReturnValue:
        try:
            preview = deletion.preview(entity.kind, item_id)
        except NotFoundError:
            abort(404, description=f"{label} {item_id!r} does not exist")
        back = url_for("config.overview") + f"#{entity.plural}"
        keepable = entity.kind in KEEP_ADAPTER_KINDS and bool(preview.adapters_removed)
        confirmation = Confirmation(
            "delete", f"{entity.kind}:{item_id}", f"Delete {label} {preview.name}?",
            url_for(f"config.{entity.kind}_delete", item_id=item_id), back, f"Delete {label} {preview.name}",
            preview.removes, preview.keeps,
            f"Its history goes back to {fmt_ts(preview.history_since)}." if preview.history_since else "",
            preview.fingerprint(), password=entity.kind == "system",
            options=({"name": "keep_adapters", "label": "Keep the adapters (connection settings) for another device",
                      "checked": False},) if keepable else ())

        def delete() -> ResponseReturnValue:
            if entity.kind in KEEP_ADAPTER_KINDS:
                entity.delete(item_id, keep_adapters=request.form.get("keep_adapters") == "on")
            else:
                entity.delete(item_id)
            return hx_redirect(back)
        return run(confirmation, delete)

    new_item.__doc__ = f"Form to create {a} {label}."
    edit_item.__doc__ = f"Form to change {a} {label}."
    delete_item.__doc__ = f"Delete {a} {label}: first a page of what it removes, then the confirmed delete."
    base = f"/{entity.plural}"
    bp.add_url_rule(f"{base}/new", f"{entity.kind}_new", new_item, methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/<item_id>", f"{entity.kind}_edit", edit_item, methods=["GET", "POST"])
    bp.add_url_rule(f"{base}/<item_id>/delete", f"{entity.kind}_delete", delete_item, methods=["GET", "POST"])


for _entity in ENTITIES:
    _views(_entity)


@bp.get("/adapter-fields")
def adapter_fields() -> ResponseReturnValue:
    """The generated config inputs of an adapter type (htmx swaps them in when the type changes)."""
    schema = _schema(request.args.get("adapter_type"))
    fields = forms.schema_fields(as_object(schema)) if schema else []
    return render_template("_adapter_fields.html", config_fields=fields, values={}, errors={})


def _pack_page(pack_id: str, error: str | None = None) -> ResponseReturnValue:
    entity = BY_PLURAL["battery-packs"]
    item = entity.get(pack_id)
    status = 400 if error else 200
    return _render(entity, item=item, values=forms.entity_values(entity, item),
                   errors={"adapters": error} if error else {}, status=status)


@bp.post("/battery-packs/<item_id>/adapters")
def pack_link(item_id: str) -> ResponseReturnValue:
    """Add an adapter to the end of a pack's failover list."""
    try:
        adapters.link_pack_adapter(item_id, request.form.get("adapter_id") or "")
    except NotFoundError:
        abort(404)
    except ApplianceError as exc:
        return _pack_page(item_id, exc.message)
    return hx_redirect(url_for("config.battery_pack_edit", item_id=item_id))


@bp.post("/battery-packs/<item_id>/adapters/<adapter_id>/move")
def pack_move(item_id: str, adapter_id: str) -> ResponseReturnValue:
    """Move an adapter up or down the pack's failover order."""
    try:
        order = [a["adapter_id"] for a in devices.get_battery_pack(item_id)["adapters"]]
    except NotFoundError:
        abort(404)
    if adapter_id not in order:
        abort(404)
    index = order.index(adapter_id)
    target = index - 1 if request.form.get("direction") == "up" else index + 1
    if 0 <= target < len(order):
        order[index], order[target] = order[target], order[index]
        adapters.reorder_pack_adapters(item_id, order)
    return hx_redirect(url_for("config.battery_pack_edit", item_id=item_id))


@bp.post("/battery-packs/<item_id>/adapters/<adapter_id>/unlink")
def pack_unlink(item_id: str, adapter_id: str) -> ResponseReturnValue:
    """Remove an adapter from a pack's failover list."""
    try:
        adapters.unlink_pack_adapter(item_id, adapter_id)
    except NotFoundError:
        abort(404)
    return hx_redirect(url_for("config.battery_pack_edit", item_id=item_id))


@bp.post("/device-groups/<item_id>/members")
def group_add(item_id: str) -> ResponseReturnValue:
    """Add a device to a group with a role and priority."""
    priority = request.form.get("priority", "").strip()
    entity = BY_PLURAL["device-groups"]
    try:
        groups.set_member(item_id, request.form.get("device_id") or "", role=request.form.get("role") or None,
                          priority=int(priority) if priority.isdigit() else None)
    except NotFoundError:
        abort(404)
    except ApplianceError as exc:
        item = entity.get(item_id)
        return _render(entity, item=item, values=forms.entity_values(entity, item), errors={"members": exc.message},
                       status=400)
    return hx_redirect(url_for("config.device_group_edit", item_id=item_id))


@bp.post("/device-groups/<item_id>/members/<device_id>/remove")
def group_remove(item_id: str, device_id: str) -> ResponseReturnValue:
    """Take a device out of a group."""
    try:
        groups.remove_member(item_id, device_id)
    except NotFoundError:
        abort(404)
    return hx_redirect(url_for("config.device_group_edit", item_id=item_id))


@bp.get("/export")
def export() -> ResponseReturnValue:
    """Download the whole catalog as config.yaml."""
    return Response(config_yaml.export_text(config_sections()), mimetype="application/yaml",
                    headers={"Content-Disposition": 'attachment; filename="config.yaml"'})


def replace_summary() -> list[str]:
    """What an import with "replace" removes first: every catalog row of every system, and their history."""
    counts = [(len(e.list(None)), e.label.lower()) for e in ENTITIES]
    return [f"{n} {label}{'s' if n != 1 else ''}" for n, label in counts if n]


#: Column titles of the overview tables where a field has no label of its own.
COLUMN_LABELS = {"device_type": "Serves", "device_id": "Device", "attached_inverter_array_id": "Attached to",
                 "batteries": "Units", "type": "Type", "system_id": "System", "array_id": "Array",
                 "battery_array_id": "Battery array", "adapter_id": "Adapter", "adapter_type": "Type",
                 "group_type": "Type", "enabled": "Enabled", "timezone": "Time zone", "currency": "Currency",
                 "model": "Model", "name": "Name", "chemistry": "Chemistry"}


def column_label(entity: Entity, column: str) -> str:
    """A people's title of an overview column."""
    if column == entity.id_field:
        return "Id"
    field = entity.field(column)
    return COLUMN_LABELS.get(column) or (field.label if field else column)


def _overview(status: int = 200, **extra: object) -> ResponseReturnValue:
    system_id = current_system_id()
    sections = [{"entity": e, "items": e.list(system_id)} for e in ENTITIES]
    return render_template("config.html", sections=sections, replace_removes=replace_summary(),
                           column_label=column_label, **extra), status


def _password_refused() -> str | None:
    """Why the password typed again does not allow a replacing import, or None when it does."""
    try:
        if security.password_attempt(request.form.get("password", "")):
            return None
    except security.TooManyAttempts as exc:
        return f"too many wrong passwords: try again in {exc.retry_after} s"
    return "replacing the catalog needs your password: nothing was imported"


@bp.post("/import")
def import_config() -> ResponseReturnValue:
    """Upload a config.yaml: merged by id, or replacing the catalog (the password is needed again), all or nothing."""
    upload = request.files.get("file")
    replace = request.form.get("replace") == "on"
    error, counts = None, None
    if upload is None or not upload.filename:
        error = "choose a config.yaml file"
    elif replace and (refused := _password_refused()):
        # Replacing deletes every system with its history: the owner confirms it is them.
        error = refused
    else:
        try:
            text = upload.read().decode("utf-8")
            counts = config_yaml.import_text(text, source=upload.filename, replace=replace,
                                             sections=config_sections())
        except UnicodeDecodeError:
            error = "the file is not UTF-8 text"
        except ApplianceError as exc:
            error = exc.message
    if is_htmx() and not error:
        return hx_redirect(url_for("config.overview"))
    return _overview(400 if error else 200, import_error=error, import_counts=counts)
