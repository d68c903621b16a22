"""The link-worker episode: received -> contacted -> first appointment -> supported -> closed
(discharged, declined, could not contact, moved away). Every allowed step works; every other one
is refused with a message saying what can follow."""
from __future__ import annotations

import itertools

import pytest
from marshmallow import ValidationError

from assets_hub.db import db
from assets_hub.errors import Invalid, NotFound
from assets_hub.referrals import services
from assets_hub.referrals.vocab import STATUSES, TRANSITIONS
from tests.conftest import csrf_token

PATH = ["received", "contacted", "first_appointment", "supported", "closed"]


def walk_to(worker, referral, status):
    for step in PATH[1:PATH.index(status) + 1]:
        services.move(worker, referral.id, step, "discharged" if step == "closed" else None)


ALLOWED = [(a, b) for a, nexts in TRANSITIONS.items() for b in nexts]
FORBIDDEN = [(a, b) for a, b in itertools.product(STATUSES, STATUSES) if (a, b) not in ALLOWED]


@pytest.mark.parametrize("start,to", ALLOWED)
def test_each_allowed_step(make_referral, worker, start, to):
    referral = make_referral()
    walk_to(worker, referral, start)
    moved = services.move(worker, referral.id, to, "declined" if to == "closed" else None)
    assert moved.status == to
    assert services.history(referral.id)[-1].status == to
    if to == "closed":
        assert moved.closed_reason == "declined" and moved.closed_at is not None


@pytest.mark.parametrize("start,to", FORBIDDEN)
def test_each_forbidden_step_is_refused_saying_what_can_follow(make_referral, worker, start, to):
    referral = make_referral()
    walk_to(worker, referral, start)
    events = len(services.history(referral.id))
    with pytest.raises(Invalid) as refused:
        services.move(worker, referral.id, to, "discharged")
    assert "status" in refused.value.fields
    message = refused.value.message
    assert ("closed" in message) if start == "closed" else ("it can become" in message)
    assert db.session.get(type(referral), referral.id).status == start
    assert len(services.history(referral.id)) == events


def test_closing_needs_a_known_reason(make_referral, worker):
    referral = make_referral()
    with pytest.raises(ValidationError) as refused:
        services.move(worker, referral.id, "closed")
    assert "reason" in refused.value.messages
    with pytest.raises(ValidationError):
        services.move(worker, referral.id, "closed", "bored")
    assert services.move(worker, referral.id, "closed", "could_not_contact").closed_reason == "could_not_contact"


def test_the_first_contact_that_reaches_the_person_marks_it_contacted(make_referral, worker):
    referral = make_referral()
    services.log_contact(worker, referral.id, {"on": "2026-12-01", "method": "phone", "outcome": "no_answer"})
    assert referral.status == "received" and referral.first_contact_at is None
    services.log_contact(worker, referral.id, {"on": "2026-12-02", "method": "phone", "outcome": "spoke",
                                               "minutes": "20"})
    assert referral.status == "contacted" and referral.first_contact_at.date().isoformat() == "2026-12-02"


def test_a_link_worker_outside_the_team_cannot_move_it(make_referral, ctx):
    from tests.factories import TeamFactory, TeamMemberFactory
    from assets_hub.accounts.models import User
    referral = make_referral()
    stranger = db.session.get(User, TeamMemberFactory(team=TeamFactory()).user_id)
    with pytest.raises(NotFound):
        services.move(stranger, referral.id, "contacted")


def test_the_record_page_walks_the_lifecycle_and_refuses_in_place(client, make_referral, worker, sign_in):
    referral = make_referral()
    sign_in(worker)
    url = f"/referrals/{referral.id}"
    assert client.post(f"{url}/take", data={"csrf_token": csrf_token(client)}).status_code == 302
    page = client.get(url).text
    assert "Ada Lovelace" in page and "Assigned to you" in page
    refused = client.post(f"{url}/status", data={"csrf_token": csrf_token(client), "status": "supported"})
    assert refused.status_code == 422
    assert "cannot become being supported" in refused.text and "Ada Lovelace" in refused.text
    contact = client.post(f"{url}/contacts", data={"csrf_token": csrf_token(client), "on": "2026-12-01",
                                                   "method": "phone", "outcome": "spoke", "minutes": "15"})
    assert contact.status_code == 302
    assert "Contacted" in client.get(url).text
    bad_contact = client.post(f"{url}/contacts", data={"csrf_token": csrf_token(client), "on": "2999-01-01",
                                                       "method": "pigeon", "outcome": "spoke"})
    assert bad_contact.status_code == 422 and "future" in bad_contact.text
    for step in ("first_appointment", "supported"):
        assert client.post(f"{url}/status", data={"csrf_token": csrf_token(client), "status": step}).status_code == 302
    no_reason = client.post(f"{url}/status", data={"csrf_token": csrf_token(client), "status": "closed"})
    assert no_reason.status_code == 422
    closed = client.post(f"{url}/status", data={"csrf_token": csrf_token(client), "status": "closed",
                                                "reason": "discharged"})
    assert closed.status_code == 302
    assert "Support finished (discharged)" in client.get(url).text


def test_what_matters_needs_goals_and_flags(client, make_referral, worker, sign_in):
    referral = make_referral()
    sign_in(worker)
    url = f"/referrals/{referral.id}"
    token = csrf_token(client)
    assert client.post(f"{url}/person", data={"csrf_token": token, "what_matters": "My garden and my cat.",
                                              "next_contact_due": "2026-12-20", "do_not_contact": "yes"}).status_code == 302
    assert client.post(f"{url}/needs", data={"csrf_token": token, "need": "money_debt"}).status_code == 302
    again = client.post(f"{url}/needs", data={"csrf_token": token, "need": "money_debt"})
    assert again.status_code == 422 and "recorded already" in again.text
    assert client.post(f"{url}/goals", data={"csrf_token": token, "text": "Join a gardening group",
                                             "importance": "9", "confidence": "4"}).status_code == 302
    bad_goal = client.post(f"{url}/goals", data={"csrf_token": token, "text": "x", "importance": "11",
                                                 "confidence": "0"})
    assert bad_goal.status_code == 422
    page = client.get(url).text
    for text in ("My garden and my cat.", "Money worries or debt", "Join a gardening group", "Do not contact this person"):
        assert text in page
    assert "(do not contact)" in client.get("/referrals?scope=team").text


def test_a_possible_duplicate_is_shown_and_merged_or_kept_apart_only_when_chosen(client, make_referral, worker,
                                                                                  sign_in):
    first = make_referral()
    second = make_referral(person={"given_name": "Ada", "family_name": "Lovelace", "date_of_birth": "1950-03-27",
                                   "postcode": "SK4 2AA", "phone": "0161 111 1111"})
    third = make_referral(person={"given_name": "Adam", "family_name": "Lovelace", "date_of_birth": "1950-03-27",
                                  "postcode": "SK4 2AA"})
    assert {p.id for p in services.possible_duplicates(second.person)} == {first.person_id, third.person_id}
    sign_in(worker)
    page = client.get(f"/referrals/{second.id}").text
    assert "This may be the same person as" in page and "Nothing is merged unless you choose it" in page
    token = csrf_token(client)
    assert client.post(f"/referrals/{second.id}/duplicates/{third.person_id}",
                       data={"csrf_token": token, "decision": "apart"}).status_code == 302
    assert [p.id for p in services.possible_duplicates(second.person)] == [first.person_id]
    assert client.post(f"/referrals/{second.id}/duplicates/{first.person_id}",
                       data={"csrf_token": token, "decision": "merge"}).status_code == 302
    from assets_hub.referrals.models import Person, Referral
    assert db.session.get(Person, first.person_id) is None
    moved = db.session.get(Referral, first.id, populate_existing=True)
    assert moved.person_id == second.person_id
    kept = db.session.get(Person, second.person_id, populate_existing=True)
    assert kept.nhs_number == "9434765919" and kept.phone == "0161 111 1111"  # gaps filled, nothing overwritten
    refused = client.post(f"/referrals/{second.id}/duplicates/{third.person_id}",
                          data={"csrf_token": token, "decision": "merge"})
    assert refused.status_code == 422 and "not offered" in refused.text
