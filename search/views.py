"""/search (HTML, works without JavaScript), /search/map, /search.geojson and /api/search (JSON)."""
from __future__ import annotations

from dataclasses import replace

import flask
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory.models import Location, ServiceAtLocation
from assets_hub.directory.services import category_choices
from assets_hub.errors import AppError, Invalid
from assets_hub.forms import errors_from
from assets_hub.geo import place_json
from assets_hub.roles import CURATORS, require_role
from search import TIER_LABELS, run_search
from search.details import details_for
from search.query import ACCESS, ACCESSIBILITY, DAY_LABELS, DELIVERY, LANGUAGES, SORT_LABELS, load_query
from search.services import replace_synonyms, synonyms_as_text

bp = flask.Blueprint("search", __name__)



def _run(default_radius_km: float, summaries: bool = True):
    """(outcome or None, query or None, errors)."""
    args = flask.request.args
    try:
        q = load_query(args, default_radius_km)
    except ValidationError as err:
        return None, None, Invalid.from_validation(err)
    if not (q.what or q.where or q.filters_active()):
        return None, q, None
    try:
        outcome = run_search(q, summaries=summaries)
    except AppError as exc:
        return None, q, exc
    if outcome.query.radius_km != q.radius_km:  # the named place's size chose it
        q = replace(q, radius_km=outcome.query.radius_km)
    return outcome, q, None


def _page_args(q) -> dict:
    """The query as URL parameters, for links that keep it (pagination, sorts, map)."""
    out: dict[str, list[str]] = {}
    for key, value in flask.request.args.items(multi=True):
        if key != "page" and value != "":
            out.setdefault(key, []).append(value)
    return out


@bp.route("/search")
def search():
    outcome, q, error = _run(flask.current_app.config["WEB_DEFAULT_RADIUS_KM"])
    errors = errors_from(error) if error else {}
    details = details_for([h.service_id for h in outcome.hits], outcome.place) if outcome else {}
    keep = _page_args(q)
    return flask.render_template(
        "search/search.html", outcome=outcome, q=q, errors=errors, args=flask.request.args, details=details,
        cleared={k: v for k, v in keep.items() if k in ("what", "where", "radius_km", "sort")},
        anywhere={k: v for k, v in keep.items() if k not in ("where", "radius_km")},
        wider=_wider(q) if outcome and outcome.place and not outcome.total else None,
        categories_elsewhere=_categories_elsewhere(q) if outcome and outcome.place and not outcome.total else [],
        keep=keep, categories=category_choices(), sort_labels=SORT_LABELS, day_labels=DAY_LABELS,
        access_labels=ACCESS, delivery_labels=DELIVERY, accessibility_labels=ACCESSIBILITY,
        language_labels=LANGUAGES, tier_labels=TIER_LABELS,
        radius=(q.radius_km if q else flask.current_app.config["WEB_DEFAULT_RADIUS_KM"]),
    ), (422 if errors else 200)


RADIUS_STEPS = (1, 2, 5, 10, 20, 50, 100, 200)


def _wider(q) -> int | None:
    """The next distance out, for "nothing within 3 km": one click to 5 km."""
    return next((km for km in RADIUS_STEPS if km > q.radius_km), None)


def _categories_elsewhere(q) -> list[dict]:
    """Nothing near the place: the categories these words find anywhere, to try near it instead."""
    if not q.what:
        return []
    try:
        elsewhere = run_search(replace(q, where="", page=1, per_page=1), summaries=False)
    except AppError:
        return []
    return elsewhere.facets.get("categories", [])[:5]


def _hit_json(outcome, hit) -> dict:
    return {"id": hit.service_id, "name": hit.name, "organization": hit.organization,
            "distance_m": round(hit.distance_m, 1) if hit.distance_m is not None else None,
            "tier": hit.tier, "score": hit.score, "matched_because": outcome.matched_because(hit),
            "url": flask.url_for("directory.service", service_id=hit.service_id, _external=True)}


@bp.get("/api/search")
def api_search():
    outcome, q, error = _run(flask.current_app.config["API_DEFAULT_RADIUS_KM"], summaries=False)
    if error:
        raise error
    if outcome is None:
        raise Invalid("Give words (what), a place (where) or a filter.", {"what": ["Missing."], "where": ["Missing."]})
    place = outcome.place
    return {
        "query": {"what": q.what, "where": q.where, "radius_km": q.radius_km, "sort": q.sort, "page": q.page,
                  "per_page": q.per_page},
        "place": None if place is None else place_json(place),
        # total_capped: there are more than ``total`` matches (words alone with RUM count up to 2,000)
        "total": outcome.total, "total_capped": bool(outcome.facets.get("total_capped")),
        "page": q.page, "pages": outcome.pages,
        "relaxed": outcome.relaxed, "corrected_from": outcome.corrected_from, "did_you_mean": outcome.did_you_mean,
        "results": [_hit_json(outcome, h) for h in outcome.hits],
        "facets": outcome.facets,
    }


@bp.get("/search.geojson")
def geojson():
    """The current page of results as GeoJSON points (each result's locations within the radius)."""
    outcome, q, error = _run(flask.current_app.config["WEB_DEFAULT_RADIUS_KM"], summaries=False)
    if error:
        raise error
    features = []
    if outcome is not None and outcome.hits:
        by_id = {h.service_id: h for h in outcome.hits}
        number = {h.service_id: (q.page - 1) * q.per_page + i for i, h in enumerate(outcome.hits, start=1)}
        rows = db.session.execute(
            select(ServiceAtLocation.service_id, Location.name, Location.latitude, Location.longitude)
            .join(Location, Location.id == ServiceAtLocation.location_id)
            .where(ServiceAtLocation.service_id.in_(list(by_id)), Location.latitude.is_not(None))).all()
        for service_id, location_name, lat, lon in rows:  # one query for the page, not one per service
            hit = by_id[service_id]
            features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                             "properties": {"id": service_id, "number": number[service_id],  # as in the list
                                            "name": hit.name, "location": location_name,
                                            "url": flask.url_for("directory.service", service_id=service_id),
                                            "distance_m": hit.distance_m}})
    body = {"type": "FeatureCollection", "features": features}
    if outcome is not None and outcome.place is not None:
        body["place"] = {"label": outcome.place.label, "coordinates": [outcome.place.longitude,
                                                                       outcome.place.latitude]}
    return flask.jsonify(body)


@bp.route("/search/map")
def map_view():
    outcome, q, error = _run(flask.current_app.config["WEB_DEFAULT_RADIUS_KM"])
    errors = errors_from(error) if error else {}
    return flask.render_template("search/map.html", outcome=outcome, q=q, errors=errors, keep=_page_args(q),
                                 tier_labels=TIER_LABELS), (422 if errors else 200)


@bp.route("/manage/synonyms", methods=["GET", "POST"])
@login_required
def synonyms():

    require_role(current_user, *CURATORS, action="edit search synonyms")
    errors: dict = {}
    text = None
    if flask.request.method == "POST":
        text = flask.request.form.get("synonyms", "")
        try:
            count = replace_synonyms(current_user, text)
        except AppError as exc:
            errors = errors_from(exc)
        else:
            flask.flash(f"Saved {count} synonyms. Searches use them straight away.")
            return flask.redirect(flask.url_for("search.synonyms"))
    return flask.render_template("search/synonyms.html", text=text if text is not None else synonyms_as_text(),
                                 errors=errors), (422 if errors else 200)
