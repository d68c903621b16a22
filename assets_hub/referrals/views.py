"""Referral pages: the staff and self-referral forms, the link worker's caseload and a person's
record, finding services from it, the provider's inbox, and the admin's teams and audit log.
Every page works without JavaScript; every action re-renders the page it was pressed on with
the error named when it is refused."""
from __future__ import annotations

from datetime import date

import flask
from flask_login import current_user, login_required
from limits import parse, storage, strategies
from marshmallow import ValidationError

from assets_hub.accounts import second_factor
from assets_hub.db import always_writes
from assets_hub.directory.services import category_choices
from assets_hub.errors import AppError, Invalid
from assets_hub import forms, periods
from assets_hub.forms import errors_from, form_data, shows_errors_on
from assets_hub.lists.services import Keeper, lists_of
from assets_hub.referrals import access, onward, outcomes, person_data, reports, services, teams
from assets_hub.referrals.schemas import ReferralInSchema, SelfReferralSchema, nested_from_form
from assets_hub.referrals.vocab import (CLOSED_REASONS, CONTACT_METHODS, CONTACT_OUTCOMES, MEASURES, NEEDS,
                                        ONS4_QUESTIONS, ONS4_SHORT, ONWARD_STATUSES, PREFERRED_CONTACT, SHAREABLE,
                                        SOURCES, STAGES, STATUSES, SWEMWBS_ITEMS, TRANSITIONS, ons4_band)
from assets_hub.roles import has_role, require_role
from search import run_search
from search.query import load_query

bp = flask.Blueprint("referrals", __name__)
always_writes(bp)  # every read of personal data writes its audit entry


@bp.before_request
def _second_factor_first():
    """No personal data for a session that signed in with a password only (accounts.second_factor)."""
    if current_user.is_authenticated and not second_factor.passed(current_user):
        return flask.redirect(flask.url_for("accounts.two_factor", next=flask.request.full_path.rstrip("?")))
    return None


VOCAB = dict(need_list=NEEDS, statuses=STATUSES, transitions=TRANSITIONS, closed_reasons=CLOSED_REASONS,
             contact_methods=CONTACT_METHODS, contact_outcomes=CONTACT_OUTCOMES, onward_statuses=ONWARD_STATUSES,
             preferred_contact=PREFERRED_CONTACT, shareable=SHAREABLE, sources=SOURCES)


@bp.app_context_processor
def _referral_vocab():
    return {"referral_vocab": dict(VOCAB, needs=NEEDS, measures=MEASURES, stages=STAGES,
                                   ons4_questions=ONS4_QUESTIONS, ons4_short=ONS4_SHORT, swemwbs_items=SWEMWBS_ITEMS),
            "ons4_band": ons4_band,
            # for the curators' dashboard (the app puts the domains together in its templates)
            "directory_gaps": reports.directory_gaps}


# ------------------------------------------------------------------ referral in: staff and self

def _referral_form(template: str, schema, source: str, **extra):
    values: dict = {}
    errors: dict = {}
    if flask.request.method == "POST":
        values = form_data(multi=("referral.needs",))
        try:
            data = schema.load(nested_from_form(values))
            referral = services.create_referral(current_user, data, source)
        except ValidationError as err:
            errors = Invalid.from_validation(err).fields
        except AppError as exc:
            if exc.status in (401, 403):
                raise
            errors = errors_from(exc)
        else:
            return referral
    return flask.render_template(template, values=values, errors=errors, teams=teams.all_teams(), **VOCAB,
                                 **extra), (422 if errors else 200)


@bp.route("/referrals/new", methods=["GET", "POST"])
@login_required
def new_referral():
    require_role(current_user, "referrer", "link_worker", action="send referrals")
    done = _referral_form("referrals/new.html", ReferralInSchema(), "staff")
    if not isinstance(done, tuple):
        flask.flash("The referral has been sent to the team. You can follow its progress here.")
        if has_role(current_user, "link_worker") and access.level(current_user, done) == "record":
            return flask.redirect(flask.url_for("referrals.record", referral_id=done.id))
        return flask.redirect(flask.url_for("referrals.sent"))
    return done


_self_limiter = None


def _self_referral_allowed() -> bool:
    """At most 5 self-referrals an hour from one address (and 200 a day from everyone), so the
    public form cannot flood a team's caseload."""
    global _self_limiter
    if _self_limiter is None:
        store = storage.storage_from_string(flask.current_app.config.get("RATELIMIT_STORAGE_URI", "memory://"))
        _self_limiter = strategies.MovingWindowRateLimiter(store)
    address = flask.request.remote_addr or "unknown"
    return (_self_limiter.hit(parse(flask.current_app.config.get("SELF_REFERRAL_LIMIT", "5 per hour")),
                              "self-referral", address)
            and _self_limiter.hit(parse("200 per day"), "self-referral", "all"))


@bp.route("/refer-yourself", methods=["GET", "POST"])
def self_referral():
    if flask.request.method == "POST" and not _self_referral_allowed():
        response = flask.make_response(flask.render_template(
            "referrals/self.html", values=form_data(multi=("referral.needs",)), teams=teams.all_teams(), **VOCAB,
            errors={"_throttle": ["Too many referrals have been sent from here in the last hour. Please try again "
                                  "later, or ask your GP practice to refer you."]}), 429)
        response.headers["Retry-After"] = "3600"
        return response
    done = _referral_form("referrals/self.html", SelfReferralSchema(), "self")
    if not isinstance(done, tuple):
        return flask.redirect(flask.url_for("referrals.self_referral_sent"))
    return done


@bp.get("/refer-yourself/sent")
def self_referral_sent():
    return flask.render_template("referrals/self_sent.html")


@bp.get("/referrals/sent")
@login_required
def sent():
    return flask.render_template("referrals/sent.html", referrals=services.sent_by(current_user), **VOCAB)


# ------------------------------------------------------------------ the caseload

@bp.get("/referrals")
@login_required
def caseload():
    args = flask.request.args
    scope = args.get("scope") if args.get("scope") in ("mine", "unassigned", "team") else "mine"
    sort = args.get("sort") if args.get("sort") in services.SORTS else "received"
    page = args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    rows, team_names, total = services.caseload(current_user, scope, args.get("status") or None, sort,
                                                args.get("team") or None, page)
    keep = {k: v for k, v in (("scope", scope), ("status", args.get("status")), ("sort", sort),
                              ("team", args.get("team"))) if v}
    return flask.render_template("referrals/caseload.html", rows=rows, team_names=team_names, scope=scope,
                                 page=page, total=total, per_page=services.CASELOAD_PAGE, keep=keep,
                                 sort=sort, status=args.get("status") or "", team=args.get("team") or "",
                                 today=date.today(), **VOCAB)


# ------------------------------------------------------------------ reports

def _report_args():
    args = flask.request.args
    start, end = periods.parse_range(args)
    return (args.get("team") or "").strip() or None, start, end


@bp.get("/reports")
@login_required
def reports_index():
    """The reports a reader may open, with the dates and team they chose."""
    errors = {}
    try:
        team_id, start, end = _report_args()
        scope = reports.scope_for(current_user, team_id, start, end)
    except Invalid as exc:
        errors = exc.fields
        scope = reports.scope_for(current_user)
    return flask.render_template("referrals/reports.html", scope=scope, titles=reports.TITLES, errors=errors,
                                 values=_range_values(scope, errors)), (422 if errors else 200)


def _range_values(scope, errors):
    if errors:
        return flask.request.args
    return {"from": scope.start.isoformat(), "to": scope.end.isoformat(), "team": scope.team_id or ""}


@bp.app_template_global()
def scope_args(scope) -> dict:
    """A report scope as query arguments for links to other reports and the CSV."""
    out = {"from": scope.start.isoformat(), "to": scope.end.isoformat()}
    if scope.team_id:
        out["team"] = scope.team_id
    return out


@bp.get("/reports/<name>")
@login_required
def report(name):
    errors = {}
    try:
        team_id, start, end = _report_args()
        result, scope = reports.report(current_user, name, team_id, start, end)
    except Invalid as exc:
        errors = exc.fields
        result, scope = reports.report(current_user, name)
    if flask.request.args.get("format") == "csv" and not errors:
        team = f"-{scope.team_id}" if scope.team_id else ""
        return forms.csv_response(result.csv_rows(), f"{name}{team}-{scope.start}-{scope.end}.csv")
    return flask.render_template("referrals/report.html", report=result, scope=scope, titles=reports.TITLES,
                                 errors=errors, values=_range_values(scope, errors)), (422 if errors else 200)


# ------------------------------------------------------------------ the person's record

@bp.get("/referrals/<referral_id>")
@login_required
def record(referral_id):
    """The whole record for the team; for the referrer who sent it, its status and history."""
    referral = access.load(referral_id) if access.signed_in(current_user) else None
    if referral is not None and access.level(current_user, referral) == "status":
        return flask.render_template("referrals/status.html", view=services.status_view(current_user, referral_id),
                                     **VOCAB)
    data = services.record(current_user, referral_id)
    return flask.render_template("referrals/record.html", **data, today=date.today(), **VOCAB,
                                 saved_lists=lists_of(Keeper(user=current_user)),
                                 series=outcomes.series_for(referral_id), measures_on=outcomes.enabled_measures(),
                                 gp_code=services.gp_code(data["referral"]))


def _back(referral_id, message: str):
    flask.flash(message)
    return flask.redirect(flask.url_for("referrals.record", referral_id=referral_id))


@bp.post("/referrals/<referral_id>/take")
@login_required
@shows_errors_on("referrals.record")
def take_on(referral_id):
    services.take_on(current_user, referral_id, flask.request.form.get("link_worker_id") or None)
    return _back(referral_id, "The referral is assigned.")


@bp.post("/referrals/<referral_id>/status")
@login_required
@shows_errors_on("referrals.record")
def move(referral_id):
    form = flask.request.form
    referral = services.move(current_user, referral_id, form.get("status", ""), form.get("reason") or None)
    return _back(referral_id, f"The case is now: {STATUSES[referral.status].lower()}.")


@bp.post("/referrals/<referral_id>/contacts")
@login_required
@shows_errors_on("referrals.record")
def log_contact(referral_id):
    services.log_contact(current_user, referral_id, form_data())
    return _back(referral_id, "The contact is logged.")


@bp.post("/referrals/<referral_id>/person")
@login_required
@shows_errors_on("referrals.record")
def update_person(referral_id):
    form = flask.request.form
    due = form.get("next_contact_due", "").strip()
    try:
        due_date = date.fromisoformat(due) if due else None
    except ValueError:
        raise Invalid("Enter the next contact date as YYYY-MM-DD.",
                      {"next_contact_due": ["Enter the date as YYYY-MM-DD."]}) from None
    services.update_person(current_user, referral_id, what_matters=form.get("what_matters", ""),
                           do_not_contact=form.get("do_not_contact") == "yes",
                           sensitive=form.get("sensitive") == "yes", next_contact_due=due_date)
    return _back(referral_id, "The record is saved.")


@bp.post("/referrals/<referral_id>/duplicates/<person_id>")
@login_required
@shows_errors_on(lambda referral_id, **_: record(referral_id))
def settle_duplicate(referral_id, person_id):
    decision = flask.request.form.get("decision", "")
    services.settle_duplicate(current_user, referral_id, person_id, decision)
    return _back(referral_id, "The records are merged." if decision == "merge" else "Kept apart: not offered again.")


@bp.post("/referrals/<referral_id>/needs")
@login_required
@shows_errors_on("referrals.record")
def add_need(referral_id):
    services.add_need(current_user, referral_id, flask.request.form.get("need", ""),
                      flask.request.form.get("need_note", ""))
    return _back(referral_id, "The need is recorded.")


@bp.post("/referrals/<referral_id>/needs/<need_id>/unmet")
@login_required
@shows_errors_on(lambda referral_id, **_: record(referral_id))
def mark_unmet(referral_id, need_id):
    unmet = flask.request.form.get("unmet") == "yes"
    outcomes.mark_unmet(current_user, referral_id, need_id, unmet)
    return _back(referral_id, "Marked: no service found for this need." if unmet else "Marked: a service was found.")


@bp.post("/referrals/<referral_id>/measures")
@login_required
@shows_errors_on("referrals.record")
def record_measure(referral_id):
    measure = outcomes.record_measure(current_user, referral_id, form_data())
    return _back(referral_id, f"{MEASURES[measure.tool]} is recorded.")


@bp.post("/referrals/<referral_id>/goals")
@login_required
@shows_errors_on("referrals.record")
def add_goal(referral_id):
    services.add_goal(current_user, referral_id, form_data())
    return _back(referral_id, "The goal is recorded.")


@bp.get("/referrals/<referral_id>/find")
@login_required
def find(referral_id):
    """Search the directory from the record: pre-filled with the person's postcode and the
    category of their first need; each result can be signposted or referred to."""
    referral = access.referral_for(current_user, referral_id, what="find services")  # not the whole record
    data = {"referral": referral, "person": referral.person, "needs": referral.needs}
    person, needs = data["person"], data["needs"]
    args = flask.request.args.to_dict()
    if not args:
        args = {"where": person.postcode}
        if needs:
            args["category"] = NEEDS[needs[0].code][1]
    args.setdefault("where", person.postcode)
    errors, outcome = {}, None
    try:
        q = load_query(args, flask.current_app.config["WEB_DEFAULT_RADIUS_KM"])
        outcome = run_search(q)
    except ValidationError as err:
        errors = Invalid.from_validation(err).fields
    except AppError as exc:
        errors = errors_from(exc)
    return flask.render_template("referrals/find.html", **data, args=args, outcome=outcome, errors=errors,
                                 categories=category_choices(), **VOCAB), (422 if errors else 200)


@bp.post("/referrals/<referral_id>/onward")
@login_required
@shows_errors_on("referrals.record")
def send_onward(referral_id):
    values = form_data(multi=("share",))
    sent_ = onward.send_onward(current_user, referral_id, values)
    return _back(referral_id, (f"Signposted to {sent_.service_name}." if sent_.kind == "signpost"
                               else f"Referred to {sent_.service_name}: its provider has been told."))


@bp.post("/referrals/<referral_id>/onward/list")
@login_required
@shows_errors_on("referrals.record")
def signpost_list(referral_id):
    made, skipped = onward.signpost_list(current_user, referral_id, flask.request.form.get("list_id", ""))
    message = f"Signposted to {made} service{'s' if made != 1 else ''} from the list."
    if skipped:
        message += f" Left out (already in the record, or no longer listed): {', '.join(skipped)}."
    return _back(referral_id, message)


@bp.get("/referrals/<referral_id>/agreed")
@login_required
def agreed(referral_id):
    """"What we agreed": a page to print and give the person (printing it is audited)."""
    return flask.render_template("referrals/agreed.html", **person_data.agreed(current_user, referral_id))


@bp.post("/referrals/<referral_id>/agreed/email")
@login_required
@shows_errors_on("referrals.agreed")
def email_agreed(referral_id):
    person_data.email_agreed(current_user, referral_id)
    flask.flash("The services have been emailed to the person.")
    return flask.redirect(flask.url_for("referrals.agreed", referral_id=referral_id))


@bp.get("/referrals/<referral_id>/export.json")
@login_required
def subject_access_json(referral_id):
    """Subject access: everything held about the person, as JSON (a download)."""
    response = flask.jsonify(person_data.everything_about(current_user, referral_id))
    response.headers["Content-Disposition"] = f'attachment; filename="subject-access-{referral_id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/referrals/<referral_id>/export")
@login_required
def subject_access(referral_id):
    """Subject access as a page a person can read."""
    return flask.render_template("referrals/export.html", data=person_data.everything_about(current_user, referral_id),
                                 referral_id=referral_id)


@bp.post("/referrals/<referral_id>/erase")
@login_required
@shows_errors_on("referrals.record")
def erase(referral_id):
    person_data.erase(current_user, referral_id, flask.request.form.get("confirm", ""))
    flask.flash("The person's record has been erased. Only anonymous counts remain.")
    return flask.redirect(flask.url_for("referrals.caseload"))


# ------------------------------------------------------------------ the provider's side

@bp.get("/provider/referrals")
@login_required
def inbox():
    status = flask.request.args.get("status") or None
    return flask.render_template("referrals/inbox.html", rows=onward.inbox(current_user, status), status=status or "",
                                 **VOCAB)


@bp.get("/provider/referrals/<onward_id>")
@login_required
def provider_referral(onward_id):
    item = onward.provider_view(current_user, onward_id)
    return flask.render_template("referrals/provider_referral.html", item=item, details=onward.shared_details(item),
                                 **VOCAB)


@bp.post("/provider/referrals/<onward_id>/answer")
@login_required
@shows_errors_on("referrals.provider_referral")
def answer(onward_id):
    form = flask.request.form
    item = onward.answer(current_user, onward_id, form.get("status", ""), form.get("reason", ""), form.get("note", ""))
    flask.flash(f"Marked {ONWARD_STATUSES[item.status].lower()}; the link worker has been told.")
    return flask.redirect(flask.url_for("referrals.provider_referral", onward_id=onward_id))


# ------------------------------------------------------------------ admins: teams and the audit log

def _teams_page(errors=None, status=200):
    require_role(current_user, "admin", action="manage teams")
    all_teams = teams.all_teams()
    return flask.render_template("referrals/teams.html", teams=all_teams, errors=errors or {},
                                 members={t.id: teams.team_members(t.id) for t in all_teams},
                                 practices={t.id: teams.team_practices(t.id) for t in all_teams}), status


@bp.route("/admin/teams", methods=["GET", "POST"])
@login_required
def teams_page():
    if flask.request.method == "POST":
        try:
            team = teams.create_team(current_user, flask.request.form.get("name", ""))
        except AppError as exc:
            if exc.status in (401, 403):
                raise
            return _teams_page(errors_from(exc), exc.status)
        flask.flash(f"Team {team.name} created.")
        return flask.redirect(flask.url_for("referrals.teams_page"))
    return _teams_page()


@bp.post("/admin/teams/<team_id>/members")
@login_required
@shows_errors_on(lambda **_: _teams_page())
def add_member(team_id):
    form = flask.request.form
    member = teams.add_member(current_user, team_id, form.get("email", ""), form.get("lead") == "yes")
    flask.flash("Added to the team" + (" as a lead." if member.lead else "."))
    return flask.redirect(flask.url_for("referrals.teams_page"))


@bp.post("/admin/teams/<team_id>/members/<user_id>/remove")
@login_required
@shows_errors_on(lambda **_: _teams_page())
def remove_member(team_id, user_id):
    teams.remove_member(current_user, team_id, user_id)
    flask.flash("Removed from the team. Their open cases stay with the team (reassign them from its caseload).")
    return flask.redirect(flask.url_for("referrals.teams_page"))


@bp.post("/admin/teams/<team_id>/practices")
@login_required
@shows_errors_on(lambda **_: _teams_page())
def add_practice(team_id):
    form = flask.request.form
    practice = teams.add_practice(current_user, team_id, form.get("ods_code", ""), form.get("practice_name", ""))
    flask.flash(f"{practice.name} ({practice.ods_code}) can now refer to the team.")
    return flask.redirect(flask.url_for("referrals.teams_page"))


@bp.post("/admin/teams/<team_id>/practices/<ods_code>/remove")
@login_required
@shows_errors_on(lambda **_: _teams_page())
def remove_practice(team_id, ods_code):
    teams.remove_practice(current_user, team_id, ods_code)
    flask.flash(f"{ods_code} is no longer on the team's list. Referrals already received from it stay.")
    return flask.redirect(flask.url_for("referrals.teams_page"))


@bp.get("/admin/audit")
@login_required
def audit_log():
    person = flask.request.args.get("person") or None
    entries = access.audit_entries(current_user, person_id=person)
    return flask.render_template("referrals/audit.html", entries=entries, person=person or "")
