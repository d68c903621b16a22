"""The referral JSON API: ``POST /api/referrals`` (GP systems and other software, with a personal
token or a session), ``GET /api/referrals/{id}`` (its status and history, for whoever sent it and
the receiving team; anyone else: 404), ``GET /api/referrals/needs`` (the needs list) and
``GET /api/reports/{name}`` (the report pages' figures)."""
from __future__ import annotations

import flask
from flask_login import current_user

from assets_hub.accounts import second_factor
from assets_hub.db import always_writes
from assets_hub.errors import Unauthorised
from assets_hub.forms import json_body
from assets_hub import periods
from assets_hub.referrals import reports, services
from assets_hub.referrals.access import require_signed_in
from assets_hub.referrals.schemas import ReferralInSchema
from assets_hub.referrals.vocab import NEEDS
from assets_hub.roles import require_role

bp = flask.Blueprint("referrals_api", __name__)
REFERRAL_IN = ReferralInSchema()  # (keeps no state between loads: built once, not per referral)
always_writes(bp)  # every read of personal data writes its audit entry


@bp.before_request
def _second_factor_first():
    """No personal data for a session that signed in with a password only (accounts.second_factor)."""
    if flask.request.endpoint == "referrals_api.needs":  # a public list: nothing personal
        return None
    if current_user.is_authenticated and not second_factor.passed(current_user):
        raise Unauthorised("Pass your second factor first (sign in on the website), or use a personal API token.")
    return None


@bp.get("/api/referrals/needs")
def needs():
    return {"needs": [{"code": code, "label": label, "category": category}
                      for code, (label, category) in NEEDS.items()]}


@bp.post("/api/referrals")
def create():
    require_signed_in(current_user, "send referrals")
    require_role(current_user, "referrer", "link_worker", action="send referrals")  # before reading the body
    data = REFERRAL_IN.load(json_body())
    referral = services.create_referral(current_user, data, "api")
    response = flask.jsonify({"id": referral.id, "status": referral.status})
    response.status_code = 201
    response.headers["Location"] = flask.url_for("referrals_api.show", referral_id=referral.id)
    return response


@bp.get("/api/referrals/<referral_id>")
def show(referral_id):
    return services.status_view(current_user, referral_id)


@bp.get("/api/reports/<name>")
def report(name):
    """A report's figures, as its page and CSV show them (token or session; suppressed for
    commissioners): ``from``, ``to`` (YYYY-MM-DD) and ``team`` (an id) in the query."""
    require_signed_in(current_user, "see reports")
    start, end = periods.parse_range(flask.request.args)
    result, scope = reports.report(current_user, name, (flask.request.args.get("team") or "").strip() or None,
                                   start, end)
    return {"report": result.name, "title": result.title, "from": scope.start.isoformat(),
            "to": scope.end.isoformat(), "team_id": scope.team_id, "suppressed": scope.suppressed,
            "note": result.note, "columns": [{"key": c.key, "label": c.label} for c in result.columns],
            "rows": result.as_dicts(),
            "total": dict(zip((c.key for c in result.columns), result.total)) if result.total else None}
