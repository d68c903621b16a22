"""Curation pages: the forms that add and change listings, a listing's history (public) and
restoring a version, claims, the review queue, suggestions and the curators' dashboard."""
from __future__ import annotations


import flask
from flask_login import current_user, login_required

from assets_hub.directory import services as directory
from assets_hub.directory.models import SERVICE_STATUSES
from assets_hub.directory.schemas import OrganizationCreateSchema, ServiceCreateSchema, ServiceUpdateSchema
from assets_hub.directory.services import get_service
from assets_hub.directory.vocab import ACCESSIBILITY, DAY_NAMES, LANGUAGES
from assets_hub.errors import AppError, Stale
from assets_hub.forms import errors_from, form_data, load_or_errors, shows_errors_on
from assets_hub.roles import CURATORS, require_role
from curation import (dashboard as board, duplicates, history, listings, opening_times, reviews, services,
                      readable, suggestions, workflow)
from curation.dashboard import listing_names
from curation.exports import services_csv_rows
from curation.listings import FLAGS, MULTI

bp = flask.Blueprint("curation", __name__)


@bp.app_context_processor
def _listing_claim():
    def listing_claim(service) -> str | None:
        """The signed-in person's claim on a listing, for its page: "holder", "waiting" or None."""
        if workflow.active_claim(current_user, service) is not None:
            return "holder"
        return "waiting" if workflow.claim_waiting(current_user, service) else None
    def organization_claim(org) -> str | None:
        """The same for an organisation's page."""
        return workflow.organization_claim_state(current_user, org.id)
    return {"listing_claim": listing_claim, "organization_claim": organization_claim}


# ------------------------------------------------------------------ the forms that add and change listings

@bp.route("/manage/organizations/new", methods=["GET", "POST"])
@login_required
def new_organization():
    require_role(current_user, *CURATORS, action="add organisations")
    errors, values = {}, {}
    if flask.request.method == "POST":
        values = form_data()
        data, errors = load_or_errors(OrganizationCreateSchema(), values)
        if data:
            try:
                org = listings.create_organization(current_user, data)
            except AppError as exc:
                errors = errors_from(exc)
            else:
                flask.flash(f"Added {org.name}.")
                return flask.redirect(flask.url_for("directory.organization", org_id=org.id))
    return flask.render_template("directory/organization_form.html", errors=errors, values=values), \
        (422 if errors else 200)


@bp.route("/manage/organizations/<org_id>/edit", methods=["GET", "POST"])
@login_required
def edit_organization(org_id):
    """Curators change an organisation's own details; each change goes into its change log. The
    form carries a stamp of what it showed: a save over someone else's change is refused."""
    org = directory.get_organization(org_id)
    require_role(current_user, *CURATORS, action="change organisations")
    errors: dict = {}
    stamp = listings.organization_stamp(org)
    status = None
    if flask.request.method == "POST":
        values = form_data()
        based_on = values.pop("stamp", None)
        for name in ("description", "email", "website", "legal_status", "phone"):
            values.setdefault(name, None)  # an emptied field means "clear it"
        data, errors = load_or_errors(OrganizationCreateSchema(), values)
        if data:
            try:
                listings.update_organization(current_user, org_id, data, based_on=based_on)
            except Stale as exc:
                errors = {"_form": [exc.message], "_changes": [f"It says now: {c}" for c in exc.changes]}
                stamp, status = exc.current, exc.status
            except AppError as exc:
                errors = errors_from(exc)
            else:
                flask.flash(f"Saved {org.name}.")
                return flask.redirect(flask.url_for("directory.organization", org_id=org_id))
        if status is None:
            stamp = based_on or stamp
    else:
        values = {k: v for k, v in listings.organization_state(org).items() if v is not None}
    return flask.render_template("directory/organization_form.html", errors=errors, values=values, org=org,
                                 stamp=stamp), (status or (422 if errors else 200))


@bp.get("/organizations/<org_id>/history")
def organization_history(org_id):
    """An organisation's own change log: who changed what, when, old and new side by side."""
    org = directory.get_organization(org_id)
    return flask.render_template("curation/organization_history.html", org=org,
                                 entries=history.organization_entries(org.id), changed=_reader(_curating()),
                                 label=readable.label, can_restore=_curating())


@bp.get("/organizations/<org_id>/history/<change_id>/restore")
@login_required
def confirm_organization_restore(org_id, change_id):
    """What undoing an organisation's change (and every later one) would change, before it does."""
    org = directory.get_organization(org_id)
    require_role(current_user, *CURATORS, action="restore organisations")
    target = listings.organization_before(org_id, change_id)
    now = listings.organization_state(org)
    return flask.render_template("curation/organization_restore.html", org=org, change_id=change_id,
                                 rows=_going_back(now, target, listings.ORG_EDITABLE), label=readable.label)


def _going_back(now: dict, target: dict, fields) -> list:
    """What undoing a shared record's change would change: (field, lines now, lines after)."""
    return [(field, *readable.compare(field, now[field] or "", target[field] or ""))
            for field in fields if (now[field] or None) != (target[field] or None)]


@bp.post("/organizations/<org_id>/history/<change_id>/restore")
@login_required
@shows_errors_on(lambda org_id, change_id: confirm_organization_restore(org_id, change_id))
def restore_organization(org_id, change_id):
    listings.restore_organization(current_user, org_id, change_id)
    flask.flash("Restored the organisation's details as they were before that change.")
    return flask.redirect(flask.url_for("curation.organization_history", org_id=org_id))


@bp.get("/locations/<location_id>/history")
def location_history(location_id):
    """A place's own change log (name, address, map position, accessibility): every listing held
    there shows these, so a change made through one of them is recorded here too."""
    location = directory.get_location(location_id)
    return flask.render_template("curation/location_history.html", location=location,
                                 held=directory.services_at_location(location.id),
                                 entries=history.shared_entries("location", location.id),
                                 changed=_reader(_curating()), label=readable.label, can_restore=_curating())


@bp.get("/locations/<location_id>/history/<change_id>/restore")
@login_required
def confirm_location_restore(location_id, change_id):
    """What undoing a change to a place (and every later one) would change, before it does."""
    location = directory.get_location(location_id)
    require_role(current_user, *CURATORS, action="restore places")
    target = listings.location_before(location_id, change_id)
    now = listings.location_state(location)
    return flask.render_template("curation/location_restore.html", location=location, change_id=change_id,
                                 rows=_going_back(now, target, listings.LOCATION_EDITABLE),
                                 held=directory.services_at_location(location.id), label=readable.label)


@bp.post("/locations/<location_id>/history/<change_id>/restore")
@login_required
@shows_errors_on(lambda location_id, change_id: confirm_location_restore(location_id, change_id))
def restore_location(location_id, change_id):
    listings.restore_location(current_user, location_id, change_id)
    flask.flash("Restored the place's details as they were before that change.")
    return flask.redirect(flask.url_for("curation.location_history", location_id=location_id))


def _service_form(template_values: dict, errors: dict, service=None, claim=None, organizations=None,
                  version=None, status=None, matches=(), suggestion=None):
    return flask.render_template("directory/service_form.html", errors=errors, values=template_values,
                                 matches=matches, suggestion=suggestion,
                                 service=service, claim=claim, proposing=organizations is not None,
                                 organizations=organizations if organizations is not None
                                 else directory.list_organizations(), version=version,
                                 categories=directory.all_categories(), statuses=SERVICE_STATUSES,
                                 languages=LANGUAGES, accessibility=ACCESSIBILITY), \
        (status or (422 if errors else 200))


@bp.route("/manage/services/new", methods=["GET", "POST"])
@login_required
def new_service():
    """Curators add a service; a provider who looks after an organisation proposes one for it,
    which waits for a curator."""
    proposing = current_user.role not in CURATORS
    organizations = None
    if proposing:
        organizations = workflow.claimed_organizations(current_user)
        if not organizations:
            require_role(current_user, *CURATORS, action="add services")
    errors: dict = {}
    matches: list = []
    values: dict = {"organization_id": flask.request.args.get("organization_id", ""), "status": "active"}
    suggestion = None
    if flask.request.values.get("suggestion"):  # a "suggest a service" becoming a listing in one step
        suggestion = suggestions.get_new_service_suggestion(current_user, flask.request.values["suggestion"])
        values.update(suggestions.suggested_values(suggestion))
    if flask.request.method == "POST":
        values = form_data(multi=MULTI)
        values.pop("suggestion", None)
        different = values.pop("not_duplicate", None) == "yes"
        data, errors = load_or_errors(ServiceCreateSchema(), values)
        if data:
            try:
                outcome = workflow.add_listing(current_user, values, warn_duplicates=not different)
                if suggestion is not None:
                    suggestions.listing_added(current_user, suggestion.id, outcome.service)
            except listings.LikelyDuplicate as exc:
                errors, matches = errors_from(exc), exc.matches
            except AppError as exc:
                errors = errors_from(exc)
            else:
                if not outcome.published:
                    flask.flash("Thank you. A curator will check the new listing before it appears.")
                    return flask.redirect(flask.url_for("curation.my_listings"))
                flask.flash(f"Added {outcome.service.name}.")
                return flask.redirect(flask.url_for("directory.service", service_id=outcome.service.id))
    return _service_form(values, errors, organizations=organizations, matches=matches, suggestion=suggestion)


def _version_field() -> int | None:
    try:
        return int(flask.request.form.get("version", ""))
    except ValueError:
        return None


@bp.route("/manage/services/<service_id>/edit", methods=["GET", "POST"])
@login_required
def edit_service(service_id):
    """Curators change a listing directly; a provider who looks after it proposes a change that
    waits for a curator (or is published at once if the curator trusts them). The form carries
    the version it was opened at: if someone saved a change since, saving is refused with what
    they changed, and the form keeps what this person typed."""
    svc = get_service(service_id)
    claim = workflow.editing_claim(current_user, svc)
    errors: dict = {}
    status = None
    version = listings.version_of(service_id)
    if flask.request.method == "POST":
        values = form_data(multi=MULTI)
        # A form sends every field: an emptied field means "clear it", an unticked box "no".
        for name in ("url", "email", "phone", "application_process", "fees_description",
                     "eligibility_description", "minimum_age", "maximum_age", "areas", "area_geojson"):
            values.setdefault(name, None)
        for name in MULTI:
            values.setdefault(name, [])
        for name in ("is_free", *FLAGS):
            values.setdefault(name, "off")
        based_on = _version_field()
        values.pop("version", None)
        data, errors = load_or_errors(ServiceUpdateSchema(), values)
        if data:
            try:
                outcome = workflow.edit_listing(current_user, service_id, values, based_on=based_on)
            except Stale as exc:
                errors = {"_form": [exc.message], "_changes": [f"Changed since: {c}" for c in exc.changes]}
                based_on, status = exc.current, exc.status  # saving again now means: mine, having seen theirs
            except AppError as exc:
                errors = errors_from(exc)
            else:
                if not outcome.published:
                    flask.flash("Thank you. A curator will check your changes; the listing stays as it is until then.")
                else:
                    flask.flash(f"Saved {svc.name}.")
                return flask.redirect(flask.url_for("directory.service", service_id=service_id))
        version = based_on if based_on is not None else version
    else:
        values = listings.service_form_values(svc)
    return _service_form(values, errors, service=svc, claim=claim, version=version, status=status)


@bp.route("/manage/services/<service_id>/opening-times", methods=["GET", "POST"])
@login_required
def edit_opening_times(service_id):
    """Opening times, closures and bank holidays. Curators save them; a provider who looks after
    the listing proposes them (the same queue and the same checks as the edit form)."""
    svc = get_service(service_id)
    claim = workflow.editing_claim(current_user, svc)
    version, status = listings.version_of(service_id), None
    if flask.request.method == "POST":
        form = opening_times.read_form(flask.request.form, svc)
        based_on = _version_field()
        if not form.errors:
            try:
                outcome = workflow.edit_listing(current_user, service_id, {"schedules": form.values},
                                                based_on=based_on)
            except Stale as exc:
                form.errors = {"_form": [exc.message], "_changes": [f"Changed since: {c}" for c in exc.changes]}
                based_on, status = exc.current, exc.status
            except AppError as exc:  # (the service layer's messages name the schedule: shown at the top)
                form.errors = {}
                for key, reasons in errors_from(exc).items():
                    shown = "_form" if key in ("_", "schedules") or key.startswith("schedules.") else key
                    form.errors.setdefault(shown, []).extend(reasons)
            else:
                flask.flash("Thank you. A curator will check the new opening times; the listing stays as it is "
                            "until then." if not outcome.published else f"Saved the opening times of {svc.name}.")
                return flask.redirect(flask.url_for("directory.service", service_id=service_id))
        form = opening_times.shown_again(form)
        version = based_on if based_on is not None else version
    else:
        form = opening_times.form_of(svc)
    return flask.render_template("curation/opening_times.html", service=svc, form=form, claim=claim,
                                 version=version, every=opening_times.EVERY, day_names=DAY_NAMES), \
        (status or (422 if form.errors else 200))


def _reader(curating: bool):
    """How the history shows a field's change: labelled, as lines, the public without a named
    person's contact details (curators see what is stored)."""
    def changed(field_name: str, before: str, after: str):
        if not curating:
            before, after = (history.withhold_personal(field_name, before),
                             history.withhold_personal(field_name, after))
        return readable.compare(field_name, before, after)
    return changed


def _curating() -> bool:
    return current_user.is_authenticated and current_user.role in ("admin", "curator")


@bp.get("/services/<service_id>/history")
def service_history(service_id):
    svc = get_service(service_id)
    curating = _curating()
    versions = history.versions(service_id)
    first_loaded = bool(versions) and versions[-1].version.number == 1 and versions[-1].version.action != "create"
    return flask.render_template("curation/history.html", service=svc, versions=versions, changed=_reader(curating),
                                 label=readable.label, can_restore=curating, first_loaded=first_loaded,
                                 redactions=services.redactions(service_id) if curating else [])


@bp.get("/services/<service_id>/history/<int:number>/restore")
@login_required
def confirm_restore(service_id, number):
    """What restoring a version would change, field by field, before anything is changed."""
    svc = get_service(service_id)
    require_role(current_user, *CURATORS, action="restore earlier versions")
    target = history.record_at(service_id, number)
    now = history.current_state(service_id) or {}
    rows = [(field, *readable.compare(field, old, new)) for field, old, new in history.diff(now, target)
            if field not in ("last_modified", "assured_date")]
    return flask.render_template("curation/restore.html", service=svc, number=number, rows=rows,
                                 label=readable.label)


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
@shows_errors_on(lambda service_id, number: confirm_restore(service_id, number))
def restore(service_id, number):
    changed = services.restore_version(current_user, service_id, number, flask.request.form.get("shared") or None)
    what = f"version {number}" if number else "the listing as first loaded"
    flask.flash(f"Restored {what}." if changed else f"The listing says what {what} said already.")
    return flask.redirect(flask.url_for("curation.service_history", service_id=service_id))


@bp.post("/services/<service_id>/confirm")
@login_required
@shows_errors_on("directory.service")
def confirm(service_id):
    """ "Still correct": one click counts as a review."""
    svc = reviews.confirm_still_correct(current_user, service_id)
    flask.flash(f"Thank you: {svc.name} is marked as reviewed today.")
    return flask.redirect(flask.url_for("directory.service", service_id=service_id))


# ------------------------------------------------------------------ claims and the queue

@bp.post("/services/<service_id>/claim")
@login_required
@shows_errors_on("directory.service")
def claim_service(service_id):
    return _claim(flask.url_for("directory.service", service_id=service_id), service_id=service_id)


def _claim(back: str, **listing):
    """A claim from a listing's page (a service's, or an organisation's), then back to it. The
    forms always send a message (required); an older client posting none is let through."""
    form = flask.request.form
    workflow.request_claim(current_user, message=form.get("message", ""), evidence=form.get("evidence", ""),
                           require_message="message" in form, **listing)
    flask.flash("Thank you. A curator will check your claim and email you.")
    return flask.redirect(back)


@bp.post("/organizations/<org_id>/claim")
@login_required
@shows_errors_on("directory.organization")
def claim_organization(org_id):
    return _claim(flask.url_for("directory.organization", org_id=org_id), organization_id=org_id)


@bp.get("/my/listings")
@login_required
def my_listings():
    claims, changes = workflow.my_listings(current_user)
    return flask.render_template("curation/my_listings.html", claims=claims, changes=changes,
                                 can_propose=bool(workflow.claimed_organizations(current_user)),
                                 names=_names(claims, changes),
                                 titles={c.id: workflow.proposed_name(c) for c in changes if not c.service_id})


def _names(claims, changes) -> dict[str, str]:
    services, orgs, _ = listing_names([x.service_id for x in list(claims) + list(changes)],
                                      [c.organization_id for c in claims])
    return {**services, **orgs}


@bp.post("/curation/claims/<claim_id>")
@login_required
@shows_errors_on(lambda **_: dashboard())
def decide_claim(claim_id):
    form = flask.request.form
    claim = workflow.decide_claim(current_user, claim_id, form.get("decision", ""), reason=form.get("reason", ""),
                                  lead=form.get("lead") == "on" or None, trusted=form.get("trusted") == "on")
    flask.flash(f"Claim {claim.status}.")
    return flask.redirect(flask.url_for("curation.dashboard") + "#claims")


@bp.post("/curation/changes/<change_id>/approve")
@login_required
@shows_errors_on(lambda **_: dashboard())
def approve_change(change_id):
    settle = {k[len("settle_"):]: v for k, v in flask.request.form.items() if k.startswith("settle_")}
    svc = workflow.approve(current_user, change_id, settle)
    flask.flash(f"Published the changes to {svc.name}.")
    return flask.redirect(flask.url_for("curation.dashboard") + "#queue")


@bp.post("/curation/changes/<change_id>/send-back")
@login_required
@shows_errors_on(lambda **_: dashboard())
def send_back_change(change_id):
    workflow.send_back(current_user, change_id, flask.request.form.get("reason", ""))
    flask.flash("Sent back with your reason.")
    return flask.redirect(flask.url_for("curation.dashboard") + "#queue")


# ------------------------------------------------------------------ suggestions

@bp.route("/services/<service_id>/report", methods=["GET", "POST"])
def report_problem(service_id):
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
    suggestions.resolve(current_user, suggestion_id, flask.request.form.get("resolution", ""))
    flask.flash("Resolved; the person who told us has been emailed.")
    return flask.redirect(flask.url_for("curation.dashboard") + "#suggestions")


@bp.get("/curation")
@login_required
def dashboard():
    return flask.render_template("curation/dashboard.html", d=board.data(current_user))


@bp.get("/curation/areas/<lad_code>")
@login_required
def area_listings(lad_code):
    authority, rows = board.listings_in_authority(current_user, lad_code)
    return flask.render_template("curation/area.html", authority=authority, rows=rows)


@bp.get("/curation/services.csv")
@login_required
def services_csv():
    """Every listing as one CSV row (a quick spreadsheet; the HSDS package is the full export)."""
    rows = services_csv_rows(current_user)
    response = flask.Response(flask.stream_with_context(rows), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="services.csv"'
    return response


@bp.get("/curation/duplicates/<flag_id>")
@login_required
def compare_duplicates(flag_id):
    pair = duplicates.compare(current_user, flag_id)
    return flask.render_template("curation/compare.html", pair=pair)


@bp.post("/curation/duplicates/<flag_id>")
@login_required
@shows_errors_on(lambda flag_id: compare_duplicates(flag_id))
def decide_duplicate(flag_id):
    keep = flask.request.form.get("keep", "")
    if keep == "dismiss":
        duplicates.dismiss(current_user, flag_id)
        flask.flash("Marked as not the same service.")
    else:
        svc = duplicates.merge(current_user, flag_id, keep)
        flask.flash(f"Merged into {svc.name}.")
    return flask.redirect(flask.url_for("curation.dashboard") + "#duplicates")
