"""Curation pages: a listing's history (public) and restoring a version (curators)."""
from __future__ import annotations

import json

import flask
from flask_login import current_user, login_required

from assets_hub.directory.services import get_service
from curation import history, reviews, services

bp = flask.Blueprint("curation", __name__)


def _pretty(value: str) -> str:
    """A stored field value for people: text as it is, lists and objects as indented JSON."""
    if not value:
        return "(empty)"
    if value[:1] in "[{":
        try:
            return json.dumps(json.loads(value), indent=1, ensure_ascii=False)
        except ValueError:
            pass
    return value


@bp.get("/services/<service_id>/history")
def service_history(service_id):
    svc = get_service(service_id)
    return flask.render_template("curation/history.html", service=svc, versions=history.versions(service_id),
                                 pretty=_pretty,
                                 can_restore=current_user.is_authenticated and current_user.role in ("admin", "curator"))


@bp.post("/services/<service_id>/history/<int:number>/restore")
@login_required
def restore(service_id, number):
    changed = services.restore_version(current_user, service_id, number)
    flask.flash(f"Restored version {number}." if changed else f"Version {number} is what the listing says already.")
    return flask.redirect(flask.url_for("curation.service_history", service_id=service_id))


@bp.post("/services/<service_id>/confirm")
@login_required
def confirm(service_id):
    """ "Still correct": one click counts as a review."""
    svc = reviews.confirm_still_correct(current_user, service_id)
    flask.flash(f"Thank you: {svc.name} is marked as reviewed today.")
    return flask.redirect(flask.url_for("directory.service", service_id=service_id))
