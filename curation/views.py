"""Curation pages: a listing's history (public) and restoring a version (curators)."""
from __future__ import annotations

import json

import flask
from flask_login import current_user, login_required

from assets_hub.directory import views as directory_views
from assets_hub.directory.services import get_service
from assets_hub.forms import shows_errors_on
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
    curating = current_user.is_authenticated and current_user.role in ("admin", "curator")

    def show(field_name: str, value: str) -> str:
        # the public history leaves out a named person's contact details; curators see what is stored
        return _pretty(value if curating else history.withhold_personal(field_name, value))
    return flask.render_template("curation/history.html", service=svc, versions=history.versions(service_id),
                                 show=show, can_restore=curating,
                                 redactions=services.redactions(service_id) if curating else [])


@bp.post("/services/<service_id>/history/redact")
@login_required
@shows_errors_on(service_history)
def redact_history(service_id):
    form = flask.request.form
    found = services.redact_history(current_user, service_id, form.get("value", ""), form.get("reason", ""))
    flask.flash(f"Removed from {found.occurrences} place{'s' if found.occurrences != 1 else ''} in the history.")
    return flask.redirect(flask.url_for("curation.service_history", service_id=service_id))


@bp.post("/services/<service_id>/history/<int:number>/restore")
@login_required
@shows_errors_on(lambda service_id, number: service_history(service_id))
def restore(service_id, number):
    changed = services.restore_version(current_user, service_id, number)
    flask.flash(f"Restored version {number}." if changed else f"Version {number} is what the listing says already.")
    return flask.redirect(flask.url_for("curation.service_history", service_id=service_id))


@bp.post("/services/<service_id>/confirm")
@login_required
@shows_errors_on(directory_views.service)
def confirm(service_id):
    """ "Still correct": one click counts as a review."""
    svc = reviews.confirm_still_correct(current_user, service_id)
    flask.flash(f"Thank you: {svc.name} is marked as reviewed today.")
    return flask.redirect(flask.url_for("directory.service", service_id=service_id))


# ------------------------------------------------------------------ claims and the queue

@bp.post("/services/<service_id>/claim")
@login_required
@shows_errors_on(directory_views.service)
def claim_service(service_id):
    from curation import workflow
    workflow.request_claim(current_user, service_id=service_id, message=flask.request.form.get("message", ""))
    flask.flash("Thank you. A curator will check your claim and email you.")
    return flask.redirect(flask.url_for("directory.service", service_id=service_id))


@bp.get("/my/listings")
@login_required
def my_listings():
    from curation import workflow
    claims, changes = workflow.my_listings(current_user)
    return flask.render_template("curation/my_listings.html", claims=claims, changes=changes,
                                 can_propose=bool(workflow.claimed_organizations(current_user)),
                                 names=_names(claims, changes),
                                 titles={c.id: workflow.proposed_name(c) for c in changes if not c.service_id})


def _names(claims, changes) -> dict[str, str]:
    from curation.dashboard import listing_names
    services, orgs, _ = listing_names([x.service_id for x in list(claims) + list(changes)],
                                      [c.organization_id for c in claims])
    return {**services, **orgs}


@bp.post("/curation/claims/<claim_id>")
@login_required
@shows_errors_on(lambda **_: dashboard())
def decide_claim(claim_id):
    from curation import workflow
    form = flask.request.form
    claim = workflow.decide_claim(current_user, claim_id, form.get("decision", ""), reason=form.get("reason", ""),
                                  lead=form.get("lead") == "on" or None, trusted=form.get("trusted") == "on")
    flask.flash(f"Claim {claim.status}.")
    return flask.redirect(flask.url_for("curation.dashboard") + "#claims")


@bp.post("/curation/changes/<change_id>/approve")
@login_required
@shows_errors_on(lambda **_: dashboard())
def approve_change(change_id):
    from curation import workflow
    svc = workflow.approve(current_user, change_id)
    flask.flash(f"Published the changes to {svc.name}.")
    return flask.redirect(flask.url_for("curation.dashboard") + "#queue")


@bp.post("/curation/changes/<change_id>/send-back")
@login_required
@shows_errors_on(lambda **_: dashboard())
def send_back_change(change_id):
    from curation import workflow
    workflow.send_back(current_user, change_id, flask.request.form.get("reason", ""))
    flask.flash("Sent back with your reason.")
    return flask.redirect(flask.url_for("curation.dashboard") + "#queue")


# ------------------------------------------------------------------ suggestions

@bp.route("/services/<service_id>/report", methods=["GET", "POST"])
def report_problem(service_id):
    from assets_hub.errors import AppError
    from assets_hub.forms import errors_from
    from curation import suggestions
    svc = get_service(service_id)
    errors, values = {}, {}
    if flask.request.method == "POST":
        values = flask.request.form.to_dict()
        try:
            suggestions.report_problem(current_user, service_id, values.get("kind", ""), values.get("details", ""),
                                       values.get("email"))
        except AppError as exc:
            errors = errors_from(exc)
        else:
            flask.flash("Thank you. A curator will look at it and tell you what they did.")
            return flask.redirect(flask.url_for("directory.service", service_id=service_id))
    return flask.render_template("curation/report.html", service=svc, kinds=suggestions.KINDS, errors=errors,
                                 values=values), (422 if errors else 200)


@bp.route("/suggest", methods=["GET", "POST"])
def suggest_service():
    from assets_hub.errors import AppError
    from assets_hub.forms import errors_from
    from curation import suggestions
    errors, values = {}, {}
    if flask.request.method == "POST":
        values = flask.request.form.to_dict()
        try:
            suggestions.suggest_service(current_user, values.get("name", ""), values.get("details", ""),
                                        values.get("email"))
        except AppError as exc:
            errors = errors_from(exc)
        else:
            flask.flash("Thank you. A curator will look at your suggestion.")
            return flask.redirect(flask.url_for("directory.home"))
    return flask.render_template("curation/suggest.html", errors=errors, values=values), (422 if errors else 200)


@bp.post("/curation/suggestions/<suggestion_id>/resolve")
@login_required
@shows_errors_on(lambda **_: dashboard())
def resolve_suggestion(suggestion_id):
    from curation import suggestions
    suggestions.resolve(current_user, suggestion_id, flask.request.form.get("resolution", ""))
    flask.flash("Resolved; the person who told us has been emailed.")
    return flask.redirect(flask.url_for("curation.dashboard") + "#suggestions")


@bp.get("/curation")
@login_required
def dashboard():
    from curation import dashboard as board
    return flask.render_template("curation/dashboard.html", d=board.data(current_user))


@bp.get("/curation/services.csv")
@login_required
def services_csv():
    """Every listing as one CSV row (a quick spreadsheet; the HSDS package is the full export)."""
    from curation.exports import services_csv_rows
    rows = services_csv_rows(current_user)
    response = flask.Response(flask.stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="services.csv"'
    return response


@bp.post("/curation/duplicates/<flag_id>")
@login_required
@shows_errors_on(lambda **_: dashboard())
def decide_duplicate(flag_id):
    from curation import duplicates
    keep = flask.request.form.get("keep", "")
    if keep == "dismiss":
        duplicates.dismiss(current_user, flag_id)
        flask.flash("Marked as not the same service.")
    else:
        svc = duplicates.merge(current_user, flag_id, keep)
        flask.flash(f"Merged into {svc.name}.")
    return flask.redirect(flask.url_for("curation.dashboard") + "#duplicates")
