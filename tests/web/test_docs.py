"""Every route is documented: in the served OpenAPI document and in docs/api.md."""

from __future__ import annotations

from pathlib import Path

from appliance.web.openapi import openapi_path

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield method, openapi_path(rule.rule)


def test_every_route_is_in_the_openapi_document(client):
    document = client.get("/api/openapi.json").json
    assert document["openapi"].startswith("3.1")
    missing = [(m, p) for m, p in _routes(client.application) if m.lower() not in document["paths"].get(p, {})]
    assert not missing
    create = document["paths"]["/api/systems"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["required"] == ["system_id", "name",
                                                                                          "timezone"]
    assert document["paths"]["/health"]["get"]["security"] == []


def test_every_route_is_in_docs_api_md(app):
    text = API_MD.read_text()
    missing = [(m, p) for m, p in _routes(app) if f"| `{m}` | `{p}` |" not in text]
    assert not missing, f"add these routes to docs/api.md: {missing}"
