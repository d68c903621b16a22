"""Time bank pages: my banks and balances, a bank's page (my statement, exchanges waiting for me,
recording one; for coordinators every account, disputes and reversals). Plain forms: every page
works without JavaScript; each write carries an idempotency key made when the form is shown, so
pressing the button twice records once."""
from __future__ import annotations

import uuid
from datetime import date

import flask
from flask_login import current_user, login_required
from sqlalchemy import select

from assets_hub.db import db
from assets_hub.errors import Conflict, Invalid
from assets_hub.ids import is_uuid
from assets_hub import forms, periods
from assets_hub.forms import form_data, shows_errors_on
from assets_hub.timebank import ledger, linking, membership, offers, reports
from assets_hub.timebank.models import CATEGORIES, CHECKS, Application, Exchange, Listing
from assets_hub.timebank.schemas import ExchangeSchema, GroupSchema

bp = flask.Blueprint("timebank", __name__)
STATEMENT_PAGE = 50  # entries a page of the statement shows (the CSV has them all)


@bp.app_template_filter("hours")
def _hours(minutes):
    return ledger.hours(minutes or 0)


@bp.app_template_filter("month_name")
def _month_name(key: str) -> str:
    """"2026-11" -> "November 2026"."""
    try:
        return date(int(key[:4]), int(key[5:7]), 1).strftime("%B %Y")
    except (ValueError, TypeError):
        return key


@bp.app_template_filter("tb_month_hours")
def _month_hours(row) -> tuple[str, float]:
    """(month, exchanges, minutes) -> (month, hours to one decimal): a chart's bar."""
    return row[0], round(row[2] / 60, 1)


@bp.app_context_processor
def _today():
    return {"today_iso": lambda: date.today().isoformat(), "tb_checks": CHECKS, "tb_categories": CATEGORIES,
            # for the referral pages (the app puts the two domains together in its templates)
            "timebank_for_service": linking.bank_for_service,
            "timebank_hours": lambda referral: linking.hours_for(current_user, referral)}


@bp.get("/timebank")
@login_required
def home():
    banks = ledger.my_banks(current_user)
    return flask.render_template("timebank/home.html", banks=banks,
                                 pending={a.id: ledger.pending_minutes(a) for _, a, _ in banks if a},
                                 joinable=membership.joinable(current_user),
                                 applications=membership.my_applications(current_user),
                                 errors=flask.g.action_error.fields if flask.g.get("action_error") else {})


@bp.get("/timebank/banks/<bank_id>")
@login_required
def bank(bank_id):
    bank_ = ledger.get_bank(current_user, bank_id)
    mine = ledger.my_account(current_user, bank_.id)
    page = flask.request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 1_000_000 else 1
    statement = (ledger.statement(current_user, bank_.id, mine.id, limit=STATEMENT_PAGE,
                                  offset=(page - 1) * STATEMENT_PAGE) if mine else (None, [], []))
    total = ledger.entry_count(mine) if mine else 0
    coordinator = ledger.is_coordinator(current_user, bank_.id)
    names = dict(ledger.directory(current_user, bank_.id))
    members = ledger.members(current_user, bank_.id) if coordinator else []
    errors = flask.g.action_error.fields if flask.g.get("action_error") else {}
    group = "tb_group_values" in flask.g  # the group activity's form failed, not the exchange's
    waiting = []  # a coordinator's: every exchange of the bank still to settle
    if coordinator:
        waiting = db.session.scalars(select(Exchange).where(
            Exchange.bank_id == bank_.id, Exchange.status.in_(("pending", "disputed")))
            .order_by(Exchange.created_at)).all()
    return flask.render_template(
        "timebank/bank.html", bank=bank_, mine=mine, rows=statement[1], pending=statement[2], names=names,
        coordinator=coordinator, members=members,
        waiting=waiting, key=str(uuid.uuid4()), group_values=flask.g.get("tb_group_values", {}),
        applications=membership.applications(current_user, bank_.id) if coordinator else [],
        badges=membership.badges(bank_.id, [a.user_id for a, _ in members if a.user_id]) if coordinator else {},
        values=flask.g.get("tb_values", {}), page=page, total=total, per_page=STATEMENT_PAGE,
        shared=linking.sharing(current_user, bank_.id) if mine else None,
        errors={} if group else errors, group_errors=errors if group else {})


@bp.post("/timebank/banks/<bank_id>/exchanges")
@login_required
@shows_errors_on("timebank.bank")
def record(bank_id):
    values = form_data()
    flask.g.tb_values = values
    mine = ledger.my_account(current_user, bank_id)
    if values.get("direction") in ("gave", "received") and mine is not None:  # a member's form
        other = values.get("other", "")
        values["giver"], values["receiver"] = ((mine.id, other) if values["direction"] == "gave" else (other, mine.id))
    # (a bad field: shows_errors_on turns the schema's error into the form's, in place)
    data = ExchangeSchema().load({k: v for k, v in values.items() if k in ("giver", "receiver", "hours", "mins",
                                                                           "date", "description", "category")})
    done = ledger.record(current_user, bank_id, data, values.get("idempotency_key", ""))
    if done.replay:
        flask.flash("That exchange was recorded already (the form was sent twice): nothing new was added.")
    elif done.exchange.status == "confirmed":
        flask.flash(f"Recorded and confirmed: {ledger.hours(done.exchange.minutes)}.")
    else:
        flask.flash(f"Recorded: {ledger.hours(done.exchange.minutes)}. It counts once the other person confirms it.")
    return flask.redirect(flask.url_for("timebank.bank", bank_id=bank_id))


@bp.post("/timebank/banks/<bank_id>/activities")
@login_required
@shows_errors_on("timebank.bank")
def record_group(bank_id):
    """A coordinator records a group activity: one person to many (or many to one)."""
    values = flask.g.tb_group_values = form_data(("many",))
    data = GroupSchema().load({k: v for k, v in values.items() if k != "idempotency_key"})
    activity, replay = ledger.record_group(current_user, bank_id, data, values.get("idempotency_key", ""))
    flask.flash("That activity was recorded already: nothing new was added." if replay else
                f"Recorded the group activity: {activity.people} people, confirmed at once.")
    return flask.redirect(flask.url_for("timebank.bank", bank_id=bank_id))


def _bank_of(exchange_id: str) -> str:
    exchange = db.session.get(Exchange, exchange_id) if is_uuid(exchange_id or "") else None
    if exchange is None:
        raise Invalid("There is no such exchange.", {"_": ["No such exchange."]})
    return exchange.bank_id


def _page_for(exchange_id, **_):
    return bank(_bank_of(exchange_id))


@bp.post("/timebank/exchanges/<exchange_id>/<action>")
@login_required
@shows_errors_on(_page_for)
def act(exchange_id, action):
    reason = flask.request.form.get("reason", "")
    if action == "confirm":
        exchange = ledger.confirm(current_user, exchange_id)
        flask.flash(f"Confirmed: {ledger.hours(exchange.minutes)} now counts in both balances.")
    elif action == "dispute":
        exchange = ledger.dispute(current_user, exchange_id, reason)
        flask.flash("Disputed: a coordinator will settle it.")
    elif action == "reject":
        exchange = ledger.reject(current_user, exchange_id, reason)
        flask.flash("Rejected: nothing was written to the ledger.")
    elif action == "reverse":
        exchange = ledger.reverse(current_user, exchange_id, reason, flask.request.form.get("idempotency_key", ""))
        flask.flash("Reversed: the opposite entries are written, linked to the original.")
    else:
        flask.abort(404)
    return flask.redirect(flask.url_for("timebank.bank", bank_id=exchange.bank_id))


@bp.post("/timebank/banks/<bank_id>/members")
@login_required
@shows_errors_on("timebank.bank")
def add_member(bank_id):
    """A coordinator adds an approved member by their account's email."""
    ledger.add_member(current_user, bank_id, flask.request.form.get("email", ""))
    flask.flash("Added: their account starts at 0 min.")
    return flask.redirect(flask.url_for("timebank.bank", bank_id=bank_id))


@bp.post("/timebank/banks/<bank_id>/leave")
@login_required
@shows_errors_on("timebank.bank")
def leave(bank_id):
    ledger.leave(current_user, bank_id, flask.request.form.get("account") or None)
    flask.flash("Left the time bank: the history stays, and the balance moved to the bank's account.")
    return flask.redirect(flask.url_for("timebank.home"))


# ------------------------------------------------------------------ joining, checks, pausing

def _home_page(**_):
    return home()


@bp.post("/timebank/banks/<bank_id>/apply")
@login_required
@shows_errors_on(_home_page)
def apply(bank_id):
    membership.apply(current_user, bank_id, flask.request.form.get("message", ""))
    flask.flash("Asked to join: a coordinator will approve it or say why not, and you will get an email.")
    return flask.redirect(flask.url_for("timebank.home"))


@bp.post("/timebank/applications/<application_id>/withdraw")
@login_required
@shows_errors_on(_home_page)
def withdraw(application_id):
    membership.withdraw(current_user, application_id)
    flask.flash("Withdrawn.")
    return flask.redirect(flask.url_for("timebank.home"))


def _application_page(application_id, **_):
    application = db.session.get(Application, application_id) if is_uuid(application_id or "") else None
    return bank(application.bank_id) if application else home()


@bp.post("/timebank/applications/<application_id>/<decision>")
@login_required
@shows_errors_on(_application_page)
def decide(application_id, decision):
    if decision == "approve":
        account = membership.approve(current_user, application_id)
        flask.flash("Approved: their account is open at 0 min, and they have been told.")
        return flask.redirect(flask.url_for("timebank.bank", bank_id=account.bank_id, _anchor="applications"))
    if decision == "refuse":
        application = membership.refuse(current_user, application_id, flask.request.form.get("reason", ""))
        flask.flash("Refused: they have been told, with your reason.")
        return flask.redirect(flask.url_for("timebank.bank", bank_id=application.bank_id, _anchor="applications"))
    flask.abort(404)


@bp.post("/timebank/banks/<bank_id>/checks")
@login_required
@shows_errors_on("timebank.bank")
def record_check(bank_id):
    form = flask.request.form
    check = membership.record_check(current_user, bank_id, form.get("user", ""), form.get("kind", ""),
                                    form.get("note", ""))
    flask.flash(f"Recorded: {CHECKS[check.kind]}.")
    return flask.redirect(flask.url_for("timebank.bank", bank_id=bank_id, _anchor="applications"))


@bp.post("/timebank/banks/<bank_id>/pause")
@login_required
@shows_errors_on("timebank.bank")
def pause(bank_id):
    paused = flask.request.form.get("paused") == "1"
    membership.set_paused(current_user, bank_id, paused, flask.request.form.get("account") or None)
    flask.flash("Paused: nobody can record time with the account until it comes back." if paused
                else "Back: the account is active again.")
    return flask.redirect(flask.url_for("timebank.bank", bank_id=bank_id))


# ------------------------------------------------------------------ reports

@bp.get("/timebank/banks/<bank_id>/report")
@login_required
def report(bank_id):
    bank_ = ledger.get_bank(current_user, bank_id)
    try:
        start, end = periods.parse_range(flask.request.args)
        figures = reports.bank_report(current_user, bank_.id, start, end)
    except Invalid as exc:  # a bad date: the form again, the field named, the default range shown
        if exc.status != 422:
            raise
        flask.g.action_error = exc
        figures = reports.bank_report(current_user, bank_.id)
        body = flask.render_template("timebank/report.html", bank=bank_, report=figures, errors=exc.fields,
                                     values=flask.request.args)
        return body, 422
    if flask.request.args.get("format") == "csv":
        return forms.csv_response(figures.csv_rows(), f"time-bank-report-{figures.start}-{figures.end}.csv")
    return flask.render_template("timebank/report.html", bank=bank_, report=figures, errors={},
                                 values={"from": figures.start.isoformat(), "to": figures.end.isoformat()})


# ------------------------------------------------------------------ offers, requests, conversations

@bp.get("/timebank/banks/<bank_id>/listings")
@login_required
def listings(bank_id):
    bank_ = ledger.get_bank(current_user, bank_id)
    args = flask.request.args
    query = {k: (args.get(k) or "").strip() for k in ("words", "kind", "category", "near")}
    errors = flask.g.action_error.fields if flask.g.get("action_error") else {}
    try:
        found, place = offers.find(current_user, bank_.id, query["words"], query["kind"] or None,
                                   query["category"] or None, query["near"] or None)
    except Invalid as exc:  # a place we do not know: say so by the field, list without it
        found, place = offers.find(current_user, bank_.id, query["words"], query["kind"] or None,
                                   query["category"] or None)
        errors = {**exc.fields, **errors}
    mine = ledger.my_account(current_user, bank_.id)
    return flask.render_template(
        "timebank/listings.html", bank=bank_, found=found, place=place, query=query, mine=mine,
        kinds=offers.KINDS, conversations=offers.my_conversations(current_user, bank_.id),
        values=flask.g.get("tb_listing_values", {}), errors=errors)


@bp.post("/timebank/banks/<bank_id>/listings")
@login_required
@shows_errors_on("timebank.listings")
def create_listing(bank_id):
    values = flask.g.tb_listing_values = form_data()
    listing = offers.create(current_user, bank_id, values)
    flask.flash(f"Listed: {listing.title}. Members of the bank can find it and answer.")
    return flask.redirect(flask.url_for("timebank.listings", bank_id=bank_id))


def _listing_page(listing_id, **_):
    listing = db.session.get(Listing, listing_id) if is_uuid(listing_id or "") else None
    return listings(listing.bank_id) if listing else home()


@bp.post("/timebank/listings/<listing_id>/close")
@login_required
@shows_errors_on(_listing_page)
def close_listing(listing_id):
    listing = offers.close(current_user, listing_id)
    flask.flash("Closed: members no longer find it; its conversations stay.")
    return flask.redirect(flask.url_for("timebank.listings", bank_id=listing.bank_id))


@bp.post("/timebank/listings/<listing_id>/answer")
@login_required
@shows_errors_on(_listing_page)
def answer(listing_id):
    found = offers.answer(current_user, listing_id, flask.request.form.get("body", ""))
    flask.flash("Sent. Only the two of you can read this conversation.")
    return flask.redirect(flask.url_for("timebank.conversation", conversation_id=found.id))


@bp.get("/timebank/conversations/<conversation_id>")
@login_required
def conversation(conversation_id):
    found, listing, messages = offers.conversation(current_user, conversation_id)
    return flask.render_template("timebank/conversation.html", conversation=found, listing=listing,
                                 messages=messages, mine=ledger.my_account(current_user, listing.bank_id),
                                 errors=flask.g.action_error.fields if flask.g.get("action_error") else {})


@bp.post("/timebank/conversations/<conversation_id>")
@login_required
@shows_errors_on("timebank.conversation")
def reply(conversation_id):
    offers.reply(current_user, conversation_id, flask.request.form.get("body", ""))
    return flask.redirect(flask.url_for("timebank.conversation", conversation_id=conversation_id, _anchor="last"))


@bp.get("/timebank/banks/<bank_id>/members/<account_id>")
@login_required
def profile(bank_id, account_id):
    account, name, checks, open_listings = offers.profile(current_user, bank_id, account_id)
    return flask.render_template("timebank/profile.html", bank=ledger.get_bank(current_user, bank_id), account=account,
                                 name=name, checks=checks, listings=open_listings)


@bp.get("/timebank/banks/<bank_id>/accounts/<account_id>")
@login_required
def statement(bank_id, account_id):
    """One account's statement over a date range, a page at a time: a member's own, or any for the
    bank's coordinators. The CSV link downloads the same range whole."""
    account = ledger.get_account(current_user, bank_id, account_id)
    errors = {}
    try:
        start, end = periods.parse_range(flask.request.args)
    except Invalid as exc:
        start = end = None
        errors = exc.fields
    page = flask.request.args.get("page", "1")
    page = int(page) if page.isdigit() and 0 < int(page) < 1_000_000 else 1
    _, rows, pending = ledger.statement(current_user, bank_id, account.id, start, end, limit=STATEMENT_PAGE,
                                        offset=(page - 1) * STATEMENT_PAGE)
    name = ledger.account_name(account)
    values = {"from": start.isoformat() if start else "", "to": end.isoformat() if end else ""}
    body = flask.render_template(
        "timebank/statement.html", bank=account.bank, account=account, rows=rows, pending=pending, name=name,
        page=page, per_page=STATEMENT_PAGE, total=ledger.entry_count(account, start, end),
        values=values if not errors else flask.request.args, errors=errors,
        args={k: v for k, v in values.items() if v})
    return (body, 422) if errors else body


# ------------------------------------------------------------------ from a referral

@bp.post("/timebank/invitations")
@login_required
def invite():
    """Whoever answers referrals for the bank's listing invites the person of an accepted one."""
    onward_id = flask.request.form.get("onward_id", "")
    try:
        _, link, emailed = linking.invite(current_user, onward_id)
    except Invalid as exc:
        flask.flash(exc.message)
        return flask.redirect(flask.url_for("referrals.provider_referral", onward_id=onward_id))
    flask.flash("Invited: the link was emailed to them." if emailed else
                f"Invited. Their email was not shared with you, so give them this link (it works once, for "
                f"{linking.INVITATION_DAYS} days): {link}")
    return flask.redirect(flask.url_for("referrals.provider_referral", onward_id=onward_id))


@bp.route("/timebank/join/<token>", methods=["GET", "POST"])
def join(token):
    """The invited person joins: signed in, or with a new account made here."""
    invitation, bank_ = linking.open_invitation(token)
    errors, values = {}, {}
    if flask.request.method == "POST":
        values = form_data()
        try:  # a refusal answers 4xx, and the request's transaction is rolled back (db.py)
            linking.accept(current_user, token, values.get("share") == "yes", values)
        except (Invalid, Conflict) as exc:
            errors = exc.fields
        else:
            if current_user.is_authenticated:
                flask.flash(f"Welcome to {bank_.name}.")
                return flask.redirect(flask.url_for("timebank.bank", bank_id=bank_.id))
            flask.flash(f"Your account is ready and you are a member of {bank_.name}: sign in.")
            return flask.redirect(flask.url_for("accounts.login", next=flask.url_for("timebank.bank", bank_id=bank_.id)))
    body = flask.render_template("timebank/join.html", bank=bank_, invitation=invitation, errors=errors,
                                 values={k: v for k, v in values.items() if k not in ("password", "repeat")})
    return (body, 409 if "email" in errors and "sign in" in " ".join(errors["email"]) else 422) if errors else body


@bp.post("/timebank/banks/<bank_id>/sharing")
@login_required
@shows_errors_on("timebank.bank")
def sharing(bank_id):
    share = flask.request.form.get("share") == "yes"
    linking.set_sharing(current_user, bank_id, share)
    flask.flash("Your link worker can see the hours you give and receive here." if share else
                "Your link worker no longer sees your hours here.")
    return flask.redirect(flask.url_for("timebank.bank", bank_id=bank_id))
