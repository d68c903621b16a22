"""Postcode and place look-ups as JSON."""
from __future__ import annotations

import flask

from assets_hub.errors import Invalid
from assets_hub.geo import resolve_place

bp = flask.Blueprint("geo_api", __name__, url_prefix="/api")


@bp.get("/places")
def place():
    """GET /api/places?q=SK4 2 -> where we would search from. 422 with a message when unknown."""
    q = flask.request.args.get("q", "")
    found = resolve_place(q, field="q")
    if found is None:
        raise Invalid("Type a postcode, a council name or 'latitude, longitude'.", {"q": ["Missing."]})
    return {"label": found.label, "kind": found.kind, "latitude": found.latitude, "longitude": found.longitude,
            "lad_code": found.lad_code, "region_code": found.region_code, "country_code": found.country_code,
            "radius_km": found.radius_km}
