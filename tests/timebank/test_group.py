"""Group activities: one giver to many receivers or many to one, with the split rule, written as
one atomic set of entries; and the category an exchange carries. On both engines."""
from __future__ import annotations

import uuid
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from assets_hub.db import db
from assets_hub.errors import Conflict, Forbidden, Invalid
from assets_hub.timebank import ledger
from assets_hub.timebank.models import Account, Activity, Exchange
from assets_hub.timebank.schemas import GroupSchema
from tests.conftest import csrf_token
from tests.timebank.test_api import bearer
from tests.timebank.test_membership import sign_in


def group(one, many, minutes, rule="each", direction="gives", **extra):
    return GroupSchema().load({"one": one.id, "many": [a.id for a in many], "minutes": minutes, "rule": rule,
                               "direction": direction, "date": date.today().isoformat(), **extra})


def balances(tb):
    return [db.session.get(Account, a.id, populate_existing=True).balance_minutes for a in tb.accounts + [tb.pot]]


@given(st.integers(1, 5000), st.integers(1, 200))
def test_shared_out_the_shares_add_up_to_the_total_and_differ_by_at_most_a_minute(total, people):
    if total < people:
        return
    parts = ledger.shares(total, people, "split")
    assert sum(parts) == total and len(parts) == people and max(parts) - min(parts) <= 1 and min(parts) >= 1


def test_one_gives_to_each_of_the_group(tb):
    a, b, c = tb.accounts
    activity, replay = ledger.record_group(tb.coordinator, tb.id, group(a, [b, c], 90, category="learning",
                                                                        description="Phone class"), "k1")
    db.session.commit()
    assert not replay and balances(tb) == [180, -90, -90, 0]
    made = ledger.activity_exchanges(activity)
    assert [(x.giver_id, x.receiver_id, x.minutes, x.status, x.category) for x in made] == [
        (a.id, b.id, 90, "confirmed", "learning"), (a.id, c.id, 90, "confirmed", "learning")]
    assert ledger.reconcile() == []


def test_shared_out_many_give_to_one_and_the_minutes_add_up(tb):
    a, b, c = tb.accounts
    ledger.record_group(tb.coordinator, tb.id, group(tb.pot, [a, b, c], 100, rule="split", direction="receives",
                                                     description="Litter pick for the bank"), "k2")
    db.session.commit()
    assert balances(tb) == [34, 33, 33, -100]
    assert ledger.reconcile() == []


def test_one_limit_passed_records_nothing_of_the_activity_and_names_the_person(tb):
    a, b, c = tb.accounts
    ledger.record(tb.coordinator, tb.id, {"giver": c.id, "receiver": b.id, "minutes": 9 * 60, "date": date.today(),
                                          "description": ""}, "before")  # b is at -9 h; the limit is -10 h
    db.session.commit()
    before = balances(tb)
    with pytest.raises(Conflict) as refused:
        ledger.record_group(tb.coordinator, tb.id, group(a, [c, b], 90), "k3")
    name = tb.members[1].display_name
    assert f"For {name}" in refused.value.message and "at most 1 h more" in refused.value.message
    db.session.commit()
    assert balances(tb) == before
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0
    assert db.session.scalar(select(func.count()).select_from(Exchange).where(Exchange.activity_id.is_not(None))) == 0
    assert ledger.reconcile() == []


def test_the_same_key_records_once_and_another_body_is_refused(tb):
    a, b, c = tb.accounts
    first, _ = ledger.record_group(tb.coordinator, tb.id, group(a, [b, c], 30), "k4")
    again, replay = ledger.record_group(tb.coordinator, tb.id, group(a, [b, c], 30), "k4")
    assert replay and again.id == first.id and balances(tb)[:3] == [60, -30, -30]
    with pytest.raises(Conflict):
        ledger.record_group(tb.coordinator, tb.id, group(a, [b, c], 45), "k4")


def test_who_may_and_what_is_refused(tb):
    a, b, c = tb.accounts
    with pytest.raises(Forbidden):
        ledger.record_group(tb.members[0], tb.id, group(a, [b, c], 30), "k5")
    with pytest.raises(Invalid) as few:
        ledger.record_group(tb.coordinator, tb.id, group(a, [b, c], 1, rule="split"), "k6")
    assert few.value.fields == {"minutes": ["At least 2 minutes."]}
    with pytest.raises(Invalid) as itself:
        ledger.record_group(tb.coordinator, tb.id, group(a, [a, b], 30), "k7")
    assert "many" in itself.value.fields
    with pytest.raises(Invalid):
        ledger.record_group(tb.coordinator, tb.id, group(a, [b], 30), "")


def test_an_exchange_carries_its_category_and_refuses_an_unknown_one(client, tb):
    a, b = tb.accounts[:2]
    coord = bearer(tb.coordinator)
    made = client.post(f"/api/timebank/banks/{tb.id}/exchanges", headers={**coord, "Idempotency-Key": "c1"},
                       json={"giver": a.id, "receiver": b.id, "minutes": 30, "date": date.today().isoformat(),
                             "category": "garden"})
    assert made.status_code == 201 and made.json["category"] == "garden"
    bad = client.post(f"/api/timebank/banks/{tb.id}/exchanges", headers={**coord, "Idempotency-Key": "c2"},
                      json={"giver": a.id, "receiver": b.id, "minutes": 30, "date": date.today().isoformat(),
                            "category": "juggling"})
    assert bad.status_code == 422 and "category" in bad.json["error"]["fields"]


def test_the_api_records_an_activity_once_and_names_a_bad_field(client, tb):
    a, b, c = tb.accounts
    coord = {**bearer(tb.coordinator), "Idempotency-Key": str(uuid.uuid4())}
    body = {"one": a.id, "many": [b.id, c.id], "direction": "gives", "rule": "split", "minutes": 61,
            "date": date.today().isoformat(), "description": "Cooking together"}
    made = client.post(f"/api/timebank/banks/{tb.id}/activities", headers=coord, json=body)
    assert made.status_code == 201, made.json
    assert [x["minutes"] for x in made.json["exchanges"]] == [31, 30]
    assert client.post(f"/api/timebank/banks/{tb.id}/activities", headers=coord, json=body).status_code == 200
    bad = client.post(f"/api/timebank/banks/{tb.id}/activities", json={**body, "rule": "halves"},
                      headers={**coord, "Idempotency-Key": "other"})
    assert bad.status_code == 422 and "rule" in bad.json["error"]["fields"]
    member = {**bearer(tb.members[0]), "Idempotency-Key": "m"}
    assert client.post(f"/api/timebank/banks/{tb.id}/activities", headers=member, json=body).status_code == 403


def test_the_coordinators_page_records_a_group_and_shows_a_refusal_in_place(client, tb):
    a, b, c = tb.accounts
    sign_in(client, tb.emails["coordinator"])
    page = client.get(f"/timebank/banks/{tb.id}").text
    assert "Record a group activity" in page
    form = {"csrf_token": csrf_token(client), "idempotency_key": "g1", "one": a.id, "direction": "gives",
            "many": [b.id, c.id], "rule": "each", "hours": "1", "mins": "0", "date": date.today().isoformat(),
            "description": "Walk", "category": "wellbeing"}
    assert client.post(f"/timebank/banks/{tb.id}/activities", data=form).status_code == 302
    assert balances(tb)[:3] == [120, -60, -60]
    too_much = client.post(f"/timebank/banks/{tb.id}/activities",
                           data={**form, "idempotency_key": "g2", "hours": "20"})
    assert too_much.status_code == 409 and "Nothing was recorded" in too_much.text
    assert 'id="many-error"' in too_much.text and "they can receive at most 9 h more" in too_much.text
    short = client.post(f"/timebank/banks/{tb.id}/activities", data={**form, "idempotency_key": "g3", "many": []})
    assert short.status_code == 422 and 'id="many-error"' in short.text
    assert balances(tb)[:3] == [120, -60, -60]
