"""The OpenAPI document we serve at /api/v3/openapi.json.

It starts from the HSDS 3.0 document (hsds/openapi.local.json, CC BY-SA 4.0) and says what we
actually do on top: the error, 304 and 429 responses, the ndjson format, the parameter ranges we
enforce, and our extension fields. Its ``$ref``s stay relative (``./schema/...``) and we serve those
files beside it, so a client that loads the document by URL resolves them.
"""
from __future__ import annotations

import copy
import json
from functools import lru_cache

from assets_hub.config import HSDS_DIR

HSDS_VERSION = "3.0"
MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50
DEFAULT_PROXIMITY_M = 5000
MAX_PROXIMITY_M = 200_000

POSTCODE_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right 2025; "
    "Contains Royal Mail data © Royal Mail copyright and database right 2025; "
    "Contains National Statistics data © Crown copyright and database right 2025; "
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0")
HSDS_ATTRIBUTION = ("Response shapes: Open Referral Human Services Data Specification 3.0, "
                    "© Open Referral, CC BY-SA 4.0")

EXTENSIONS = {
    "service.self_referral": "boolean: people can refer themselves",
    "service.professional_referral": "boolean: a professional (link worker, GP) can refer",
    "service.delivered_in_person / delivered_online / delivered_by_phone": "booleans: how it is delivered",
    "service_area.area_type": "local_authority | region | country | geojson | text",
    "service_area.area_code": "ONS code of a named area (E08000007 = Stockport)",
    "service_at_location.distance": "metres from the postcode (only with `postcode`)",
}

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}},
}


def _error(description: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


@lru_cache(maxsize=1)
def _reference() -> dict:
    return json.loads((HSDS_DIR / "openapi.local.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=64)
def schema_file(name: str) -> bytes | None:
    """One of the HSDS schema files, or None: only names that are in the folder, never a path out of it."""
    known = {p.relative_to(HSDS_DIR / "schema").as_posix() for p in (HSDS_DIR / "schema").rglob("*.json")}
    return (HSDS_DIR / "schema" / name).read_bytes() if name in known else None


NO_NUL = "^[^\\u0000]*$"


def document(server_url: str, licence_name: str, licence_url: str) -> dict:
    doc = copy.deepcopy(_reference())
    doc["info"] = {
        "title": "Assets Hub Open Referral API",
        "version": "1.0.0",
        "summary": "Community services in the Open Referral HSDS 3.0 shape.",
        "description": ("Read-only, public, no key needed. Only published, visible listings (status active or "
                        "temporarily closed) appear. Lists are paginated (`per_page` 1-%d, larger values are "
                        "clamped to %d; default %d). `format=ndjson` streams every matching record, one JSON "
                        "object a line, unpaginated. Data licence: %s. %s. %s. Human guide: /api/docs."
                        % (MAX_PER_PAGE, MAX_PER_PAGE, DEFAULT_PER_PAGE, licence_name, POSTCODE_ATTRIBUTION,
                           HSDS_ATTRIBUTION)),
        "license": {"name": licence_name, "url": licence_url},
    }
    doc["servers"] = [{"url": server_url}]
    doc["x-assets-hub-extensions"] = EXTENSIONS
    comps = doc.setdefault("components", {})
    comps.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    params = comps["parameters"]
    params["page"]["schema"] = {"type": "integer", "minimum": 1, "default": 1}
    params["per_page"]["schema"] = {"type": "integer", "minimum": 1, "default": DEFAULT_PER_PAGE}
    params["per_page"]["description"] += f" 1 or more; above {MAX_PER_PAGE} is clamped to {MAX_PER_PAGE}."
    params["format"]["schema"] = {"type": "string", "enum": ["json", "ndjson"], "default": "json"}
    for name in ("minimal", "full", "full_service"):
        params[name]["schema"] = {"type": "boolean"}
    for name in ("taxonomy_term_id", "taxonomy_id", "organization_id"):
        params[name]["schema"] = {"type": "string", "format": "uuid"}
    params["modified_after"]["schema"] = {"type": "string", "format": "date-time"}
    # NUL is refused in every parameter (PostgreSQL text cannot hold it): the pattern says so.
    params["search"]["schema"] = {"type": "string", "maxLength": 500, "pattern": NO_NUL}
    params["proximity"]["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_PROXIMITY_M,
                                     "default": DEFAULT_PROXIMITY_M}
    params["proximity"]["description"] += (f" Default {DEFAULT_PROXIMITY_M} m, at most {MAX_PROXIMITY_M} m. "
                                           "Services that name service areas are kept only if one covers the "
                                           "postcode. Results are nearest first.")
    params["postcode"]["description"] += (" A full postcode, a sector (SK4 2), a district (SK4), or a place or"
                                          " council name (Heaton Moor, Aber-miwl, Stockport).")
    params["postcode"]["schema"] = {**params["postcode"].get("schema", {"type": "string"}), "maxLength": 100,
                                    "pattern": NO_NUL}
    params["proximity"]["description"] += " Ignored without `postcode`."

    ndjson = {"application/x-ndjson": {"schema": {"type": "string"}}}
    for path, item in doc["paths"].items():
        op = item["get"]
        responses = op["responses"]
        if path == "/service_at_locations/{id}":  # upstream points this at the service schema
            responses["200"]["content"]["application/json"]["schema"] = {
                "$ref": "./schema/compiled/service_at_location.json"}
        if path != "/":
            responses["400"] = _error("A query parameter is not valid or not known; `fields` names it.")
        responses["429"] = {**_error("Too many requests from this client; wait for `Retry-After` seconds."),
                            "headers": {"Retry-After": {"schema": {"type": "integer"}}}}
        if path not in ("/", "/openapi.json"):
            responses["304"] = {"description": "Not modified since the `ETag`/`Last-Modified` you sent."}
        for p in op.get("parameters", []):
            if p.get("name") == "parent_id":  # we answer 400 to anything but a UUID
                p["schema"] = {"type": "string", "format": "uuid"}
        if path == "/service_at_locations":
            responses["404"] = _error("No place with that `postcode` is known; `fields.postcode` says so.")
        if "{id}" in path:
            responses["404"] = _error("No published record has that id (ids are UUIDs).")
            for p in item.get("parameters", []):
                if p.get("name") == "id":
                    p["description"] = "The record's id (a UUID)."
        elif any(p.get("$ref", "").endswith("/format") for p in op.get("parameters", [])):
            responses["200"]["content"].update(ndjson)
    return doc
