"""The OpenAPI 3.1 document, built from the app's URL map so no route can be left out."""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.routing import Rule

from appliance import __version__
from appliance.jsontypes import Json
from appliance.web.entities import ENTITIES, Entity

KINDS: dict[str, Json] = {"text": {"type": "string"}, "select": {"type": "string"}, "int": {"type": "integer"},
         "float": {"type": "number"}, "bool": {"type": "boolean"}}
ERROR: Json = {"type": "object", "properties": {"error": {"type": "object", "properties": {
    "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": ["string", "null"]}}}}}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path: `<item_id>` becomes `{item_id}`."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _entity_schema(entity: Entity, creating: bool) -> Json:
    fields = entity.fields if creating else entity.editable()
    props: Json = {f.name: {**KINDS[f.kind], "description": f.label} for f in fields}
    if entity.kind == "adapter":
        props["config"] = {"type": "object", "description": "the adapter type's config (see /api/adapter-types)"}
        if creating:
            props["priority"] = {"type": "integer"}
    schema: Json = {"type": "object", "properties": props, "additionalProperties": False}
    required = [f.name for f in fields if f.required] if creating else []
    if required:
        schema["required"] = required
    return schema


def _request_body(endpoint: str) -> Json | None:
    for entity in ENTITIES:
        if endpoint == f"api.{entity.kind}_create":
            return _entity_schema(entity, True)
        if endpoint == f"api.{entity.kind}_update":
            return _entity_schema(entity, False)
    return None


def _operation(app: Flask, rule: Rule, method: str) -> Json:
    view = app.view_functions[rule.endpoint]
    summary = (view.__doc__ or rule.endpoint).strip().splitlines()[0]
    is_api = rule.rule.startswith("/api/")
    operation: Json = {
        "operationId": f"{rule.endpoint.replace('.', '_')}_{method.lower()}", "summary": summary,
        "tags": [rule.endpoint.split(".")[0]],
        "parameters": [{"name": arg, "in": "path", "required": True, "schema": {"type": "string"}}
                       for arg in sorted(rule.arguments)],
    }
    ok = "201" if method == "POST" and rule.endpoint.endswith("_create") else "200"
    content = ({"application/json": {"schema": {}}} if is_api and not rule.rule.endswith(".csv")
               else {"text/csv": {"schema": {"type": "string"}}} if rule.rule.endswith(".csv")
               else {"text/html": {"schema": {"type": "string"}}})
    responses: Json = {ok: {"description": "success", "content": content}}
    error: Json = {"description": "error", "content": {"application/json": {"schema": ERROR}}}
    for status in ("400", "401", "403", "404", "409", "413", "415", "503"):
        responses[status] = error if is_api else {"description": "error"}
    operation["responses"] = responses
    body = _request_body(rule.endpoint)
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    elif method in STATE_CHANGING and method != "DELETE":
        media = "application/json" if is_api else "application/x-www-form-urlencoded"
        operation["requestBody"] = {"required": False, "content": {media: {"schema": {"type": "object"}}}}
    public = rule.endpoint in ("data.health", "data.openapi", "static", "auth.login", "auth.setup")
    operation["security"] = [] if public else [{"bearer": []}, {"session": []}]
    return operation


def document(app: Flask) -> Json:
    """Every route of the app (pages included, as text/html) with its methods, parameters and bodies."""
    paths: dict[str, Json] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = _operation(app, rule, method)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Appliance local API", "version": __version__,
                 "description": "JSON under /api (bearer token or session + X-CSRF-Token); HTML pages beside it."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "token from Settings or `appliance token create`"},
            "session": {"type": "apiKey", "in": "cookie", "name": "appliance_session"}}},
    }
