"""Referrals in: the API (tokens), the staff form and the public self-referral form load one
schema and one service function; bad input is refused naming every field, with nothing written."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from assets_hub.db import db
from assets_hub.referrals.models import AuditEntry, Person, Referral
from assets_hub.referrals.schemas import nhs_number_valid
from tests.conftest import csrf_token
from tests.factories import UserFactory, referral_body
from tests.referrals.conftest import bearer


def counts():
    return (db.session.scalar(select(func.count()).select_from(Person)),
            db.session.scalar(select(func.count()).select_from(Referral)))


def test_nhs_number_check_digit():
    assert nhs_number_valid("9434765919")
    assert not nhs_number_valid("1234567890")
    assert not nhs_number_valid("943476591")
    assert not nhs_number_valid("94347659190")


def test_a_gp_system_sends_a_referral_with_a_token_and_follows_it(client, team, worker, referrer, token_for, smtp):
    token = token_for(referrer)
    response = client.post("/api/referrals", json=referral_body(team.id), headers=bearer(token))
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "received"
    assert response.headers["Location"].endswith(f"/api/referrals/{body['id']}")
    referral = db.session.get(Referral, body["id"])
    assert referral.person.nhs_number == "9434765919" and referral.person.postcode == "SK4 1AA"
    assert referral.referrer_id == referrer.id and referral.source == "api"
    assert [n.code for n in referral.needs] == ["loneliness"]

    # the team's link workers are told, with nothing personal in the email
    [message] = [m for m in smtp.messages if worker.email in m["X-Envelope-To"]]
    text = message.get_payload()
    assert "referral" in message["Subject"].lower()
    for personal in ("Ada", "Lovelace", "9434765919", "943 476 5919", "SK4 1AA", "1950"):
        assert personal not in text and personal not in message["Subject"]

    status = client.get(f"/api/referrals/{body['id']}", headers=bearer(token))
    assert status.status_code == 200
    assert status.json["status"] == "received"
    assert [e["action"] for e in status.json["history"]] == ["received"]
    assert "person" not in status.json  # the referrer sees the status, not the record


@pytest.mark.parametrize("section,value,field", [
    ("person", {"given_name": "A", "family_name": "B", "date_of_birth": "2999-01-01", "postcode": "SK4 1AA"},
     "person.date_of_birth"),
    ("person", {"given_name": "A", "family_name": "B", "date_of_birth": "1950-01-01", "postcode": "SK4 1AA",
                "nhs_number": "1234567890"}, "person.nhs_number"),
    ("person", {"given_name": "A", "family_name": "B", "date_of_birth": "1950-01-01", "postcode": "nowhere"},
     "person.postcode"),
    ("gp_practice", {"name": "A practice", "ods_code": "12345"}, "gp_practice.ods_code"),
    ("gp_practice", {"name": "A practice"}, "gp_practice.ods_code"),
    ("referral", {"reason": "x", "needs": ["world_peace"]}, "referral.needs.0"),
    ("risks", {"known_risks": True}, "risks.details"),
    ("consent", {"information_sharing": False}, "consent.reason"),
    ("team_id", "6f1c1a43-0000-4000-8000-000000000000", "team_id"),
])
def test_bad_input_names_the_field_and_writes_nothing(client, team, referrer, token_for, section, value, field):
    before = counts()
    response = client.post("/api/referrals", json=referral_body(team.id, **{section: value}),
                           headers=bearer(token_for(referrer)))
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"], response.json
    assert counts() == before


def test_every_bad_field_is_named_at_once(client, team, referrer, token_for):
    response = client.post("/api/referrals", json={"team_id": team.id, "person": {"nhs_number": "1"},
                                                   "risks": {}, "consent": {}},
                           headers=bearer(token_for(referrer)))
    assert response.status_code == 422
    fields = response.json["error"]["fields"]
    for name in ("person.given_name", "person.family_name", "person.date_of_birth", "person.postcode",
                 "person.nhs_number", "gp_practice", "referral", "risks.known_risks", "consent.information_sharing"):
        assert name in fields, (name, fields)


def test_no_known_risks_is_recordable_and_shown(client, team, worker, make_referral, sign_in):
    referral = make_referral(risks={"known_risks": False})
    assert referral.known_risks is False and referral.risk_details is None
    sign_in(worker)
    assert "No known risks" in client.get(f"/referrals/{referral.id}").text


def test_the_needs_list_is_published(client):
    needs = client.get("/api/referrals/needs").json["needs"]
    assert {"code": "loneliness", "label": "Loneliness or social isolation", "category": "social-connection"} in needs
    assert len({n["code"] for n in needs}) == len(needs) >= 15


def test_who_may_send_through_the_api(client, team, token_for):
    body = referral_body(team.id)
    assert client.post("/api/referrals", json=body).status_code == 400  # no token, no session: CSRF refuses
    assert client.post("/api/referrals", json=body, headers=bearer("ah_wrong")).status_code == 401
    for role, expected in (("member", 403), ("curator", 403), ("provider", 403), ("timebank_coordinator", 403),
                           ("referrer", 201), ("link_worker", 201), ("admin", 201)):
        response = client.post("/api/referrals", json=body, headers=bearer(token_for(UserFactory(role=role))))
        assert response.status_code == expected, (role, response.json)


def test_staff_form_uses_the_same_names_for_errors_and_sends(client, team, referrer, sign_in, smtp):
    sign_in(referrer)
    page = client.get("/referrals/new")
    assert page.status_code == 200 and team.name in page.text
    before = counts()
    bad = client.post("/referrals/new", data={"csrf_token": csrf_token(client), "team_id": team.id,
                                              "person.given_name": "Ada", "person.nhs_number": "123",
                                              "risks.known_risks": "yes", "consent.information_sharing": "no"})
    assert bad.status_code == 422
    for field in ("person.family_name", "person.nhs_number", "risks.details", "consent.reason",
                  "gp_practice.name", "referral.reason"):
        assert f'href="#{field}"' in bad.text, field
    assert 'value="Ada"' in bad.text  # what was typed is kept
    assert counts() == before
    good = client.post("/referrals/new", data={
        "csrf_token": csrf_token(client), "team_id": team.id, "person.given_name": "Ada",
        "person.family_name": "Lovelace", "person.date_of_birth": "1950-03-27", "person.postcode": "sk41aa",
        "gp_practice.name": "Heaton Moor Medical Group", "gp_practice.ods_code": "p88001",
        "referral.reason": "Lonely", "referral.needs": ["loneliness", "money_debt"],
        "risks.known_risks": "no", "consent.information_sharing": "yes"})
    assert good.status_code == 302 and good.headers["Location"].endswith("/referrals/sent")
    referral = db.session.scalars(select(Referral).where(Referral.referrer_id == referrer.id)).one()
    assert referral.source == "staff" and referral.gp_ods_code == "P88001"
    assert sorted(n.code for n in referral.needs) == ["loneliness", "money_debt"]
    assert "Ada L." in client.get("/referrals/sent").text


def test_a_person_refers_themselves_without_an_account_and_is_throttled(client, team):
    page = client.get("/refer-yourself")
    assert page.status_code == 200 and "What happens next" in page.text
    form = {"team_id": team.id, "person.given_name": "Sam", "person.family_name": "Jones",
            "person.date_of_birth": "1980-01-01", "person.postcode": "SK4 1AA",
            "gp_practice.name": "Heaton Moor Medical Group",  # a person may not know the ODS code
            "referral.reason": "I feel alone.", "risks.known_risks": "no", "consent.information_sharing": "yes"}
    statuses = []
    for _ in range(6):
        response = client.post("/refer-yourself", data={**form, "csrf_token": csrf_token(client)})
        statuses.append(response.status_code)
    assert statuses[0] == 302
    assert "/refer-yourself/sent" in client.post("/refer-yourself", data={**form, "csrf_token": csrf_token(client)},
                                                 environ_base={"REMOTE_ADDR": "10.9.9.9"}).headers["Location"]
    assert 429 in statuses, statuses
    referral = db.session.scalars(select(Referral).where(Referral.source == "self").limit(1)).first()
    assert referral.referrer_id is None and referral.gp_ods_code is None
    assert "usually within two weeks" in client.get("/refer-yourself/sent").text


def test_creating_a_referral_is_audited(make_referral, referrer):
    referral = make_referral()
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.referral_id == referral.id)).one()
    assert entry.action == "create" and entry.actor_id == referrer.id and entry.person_id == referral.person_id
