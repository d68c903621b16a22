"""Postcode and place look-ups as JSON."""
from __future__ import annotations

import flask

from assets_hub.errors import Invalid
from assets_hub.geo import place_json, resolve_place
from assets_hub.geo.places import suggest as suggest_places

bp = flask.Blueprint("geo_api", __name__, url_prefix="/api")


@bp.get("/places")
def place():
    """GET /api/places?q=SK4 2 -> where we would search from. 422 with a message when unknown."""
    q = flask.request.args.get("q", "")
    found = resolve_place(q, field="q")
    if found is None:
        raise Invalid("Type a postcode, a place or council name, or 'latitude, longitude'.", {"q": ["Missing."]})
    return place_json(found)


@bp.get("/places/suggest")
def suggest():
    """GET /api/places/suggest?q=heat -> up to 8 places, councils and postcode districts that start
    so: {"suggestions": [{"label", "value", "kind"}]}; "value" is what to search with."""
    q = flask.request.args.get("q", "")
    response = flask.jsonify({"suggestions": [{"label": s.label, "value": s.value, "kind": s.kind}
                                              for s in suggest_places(q)]})
    response.cache_control.public = True
    response.cache_control.max_age = 3600  # the gazetteer changes when it is reloaded, not by the hour
    return response
