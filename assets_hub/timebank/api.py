"""The time bank JSON API (mobile and kiosk clients): the same ledger functions and schema as the
pages, with a personal token or the signed-in session and its CSRF token. Writes take an
``Idempotency-Key`` header: the same key again returns the first answer and records nothing."""
from __future__ import annotations


import flask
from flask_login import current_user

from assets_hub import forms, periods
from assets_hub.forms import json_body
from assets_hub.timebank import ledger, reports
from assets_hub.timebank.schemas import ExchangeSchema, GroupSchema

bp = flask.Blueprint("timebank_api", __name__)


def exchange_json(e) -> dict:
    return {"id": e.id, "bank_id": e.bank_id, "giver": e.giver_id, "receiver": e.receiver_id, "minutes": e.minutes,
            "date": e.on.isoformat(), "description": e.description, "status": e.status,
            "by_coordinator": e.by_coordinator, "reverses": e.reverses_id, "reason": e.reason,
            "category": e.category, "activity": e.activity_id}


@bp.get("/api/timebank/banks")
def banks():
    return {"banks": [{"id": b.id, "name": b.name, "coordinator": coord,
                       "account": a.id if a else None, "balance_minutes": a.balance_minutes if a else None}
                      for b, a, coord in ledger.my_banks(current_user)]}


@bp.get("/api/timebank/banks/<bank_id>/accounts/<account_id>")
def account(bank_id, account_id):
    a = ledger.get_account(current_user, bank_id, account_id)
    return {"id": a.id, "bank_id": a.bank_id, "kind": a.kind, "status": a.status,
            "balance_minutes": a.balance_minutes, "pending_minutes": ledger.pending_minutes(a),
            "min_minutes": a.bank.min_minutes, "max_minutes": a.bank.max_minutes}


@bp.post("/api/timebank/banks/<bank_id>/exchanges")
def record(bank_id):
    ledger.get_bank(current_user, bank_id)  # who may, before reading the body
    data = ExchangeSchema().load(json_body())
    done = ledger.record(current_user, bank_id, data, flask.request.headers.get("Idempotency-Key", ""))
    response = flask.jsonify(exchange_json(done.exchange))
    response.status_code = 200 if done.replay else 201
    return response


@bp.post("/api/timebank/banks/<bank_id>/activities")
def record_group(bank_id):
    """A group activity (a coordinator's): one to many or many to one, with its split rule."""
    ledger.get_bank(current_user, bank_id)
    data = GroupSchema().load(json_body())
    activity, replay = ledger.record_group(current_user, bank_id, data, flask.request.headers.get("Idempotency-Key", ""))
    response = flask.jsonify({
        "id": activity.id, "one": activity.one_id, "direction": activity.direction, "rule": activity.rule,
        "minutes": activity.minutes, "people": activity.people, "date": activity.on.isoformat(),
        "exchanges": [exchange_json(e) for e in ledger.activity_exchanges(activity)]})
    response.status_code = 200 if replay else 201
    return response


def _reason() -> str:
    body = flask.request.get_json(silent=True) or {}
    return str(body.get("reason") or flask.request.form.get("reason") or "")


@bp.post("/api/timebank/exchanges/<exchange_id>/confirm")
def confirm(exchange_id):
    return exchange_json(ledger.confirm(current_user, exchange_id))


@bp.post("/api/timebank/exchanges/<exchange_id>/dispute")
def dispute(exchange_id):
    return exchange_json(ledger.dispute(current_user, exchange_id, _reason()))


@bp.post("/api/timebank/exchanges/<exchange_id>/reverse")
def reverse(exchange_id):
    return exchange_json(ledger.reverse(current_user, exchange_id, _reason(),
                                        flask.request.headers.get("Idempotency-Key", "")))


@bp.get("/api/timebank/banks/<bank_id>/statement")
def statement(bank_id):
    start, end = periods.parse_range(flask.request.args)
    account_, rows, pending = ledger.statement(current_user, bank_id, flask.request.args.get("account", ""),
                                               start, end)
    lines = [{"date": x.on.isoformat(), "minutes": e.minutes, "exchange": x.id, "description": x.description,
              "reverses": x.reverses_id} for e, x in rows]
    if flask.request.args.get("format") == "csv":
        return forms.csv_response(
            [["date", "minutes", "exchange", "description", "reverses"]] +
            [[x["date"], x["minutes"], x["exchange"], x["description"], x["reverses"] or ""] for x in lines],
            f"statement-{account_.id}.csv")
    return {"account": account_.id, "balance_minutes": account_.balance_minutes, "entries": lines,
            "pending": [exchange_json(x) for x in pending]}


@bp.get("/api/timebank/banks/<bank_id>/report")
def report(bank_id):
    """A coordinator's figures for the bank (the page's and the CSV's): ``from``, ``to``."""
    start, end = periods.parse_range(flask.request.args)
    return reports.bank_report(current_user, bank_id, start, end).as_dict()
