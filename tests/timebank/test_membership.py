"""Joining a time bank (apply, approve or refuse, with the notices sent through the outbox),
the checks a coordinator records and shows as badges, and pausing: as services and as pages, for
every role that may and may not; on both engines."""
from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from assets_hub.db import db
from assets_hub.errors import Forbidden, Invalid, NotFound, Unauthorised
from assets_hub.mail import OutboxMessage
from assets_hub.roles import ROLES
from assets_hub.timebank import ledger, membership
from assets_hub.timebank.models import Account, Application
from tests.conftest import csrf_token
from tests.factories import PASSWORD, UserFactory
from tests.timebank.conftest import make_bank


def mails_to(email: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipients.contains(email))))


def test_apply_then_approve_opens_an_account_and_tells_both_sides_without_the_message(tb):
    newcomer = UserFactory(role="member")
    db.session.commit()
    assert tb.id in [b.id for b, _ in membership.joinable(newcomer)]
    assert tb.id not in [b.id for b, _ in membership.joinable(tb.members[0])]  # a member already
    application = membership.apply(newcomer, tb.id, "I can fix bikes; I need help with forms")
    assert membership.apply(newcomer, tb.id, "again") .id == application.id  # pressed twice: one application
    told = mails_to(tb.emails["coordinator"])
    assert len(told) == 1 and "fix bikes" not in told[0].body and newcomer.email not in told[0].body
    [(listed, person, checks)] = membership.applications(tb.coordinator, tb.id)
    assert (listed.id, person.id, checks) == (application.id, newcomer.id, set())

    with pytest.raises(Forbidden):
        membership.approve(tb.members[0], application.id)  # a member does not approve
    account = membership.approve(tb.coordinator, application.id)
    db.session.commit()
    assert (account.status, account.balance_minutes, application.status) == ("active", 0, "approved")
    assert [m.subject for m in mails_to(newcomer.email)] == [f"Welcome to {tb.bank.name}"]
    assert (newcomer.id and ledger.my_account(newcomer, tb.id).id) == account.id
    with pytest.raises(Invalid):
        membership.approve(tb.coordinator, application.id)  # decided already
    with pytest.raises(Invalid) as already:
        membership.apply(newcomer, tb.id, "")
    assert "member" in str(already.value)


def test_a_refusal_needs_a_reason_which_the_person_reads_and_they_may_ask_again(tb):
    newcomer = UserFactory(role="member")
    db.session.commit()
    application = membership.apply(newcomer, tb.id, "")
    with pytest.raises(Invalid) as no_reason:
        membership.refuse(tb.coordinator, application.id, "  ")
    assert no_reason.value.fields == {"reason": ["Give a reason."]}
    membership.refuse(tb.coordinator, application.id, "We only cover Heaton: try Levenshulme's bank")
    db.session.commit()
    [(mine, bank)] = membership.my_applications(newcomer)
    assert (mine.status, mine.reason, bank.id) == ("refused", "We only cover Heaton: try Levenshulme's bank", tb.id)
    assert "Levenshulme" not in mails_to(newcomer.email)[0].body  # the reason is read after signing in
    assert ledger.my_account(newcomer, tb.id) is None
    assert membership.apply(newcomer, tb.id, "I moved to Heaton").id != application.id


def test_a_bank_that_requires_dbs_approves_only_after_the_check_is_recorded_and_checks_are_badges(ctx):
    tb = make_bank("Stockport Time Bank")
    tb.bank.requires_dbs = True
    newcomer, stranger = UserFactory(role="member"), UserFactory(role="member")
    db.session.commit()
    application = membership.apply(newcomer, tb.id, "")
    with pytest.raises(Invalid) as refused:
        membership.approve(tb.coordinator, application.id)
    assert refused.value.fields == {"dbs": ["Record the DBS check first."]}
    with pytest.raises(Invalid):
        membership.record_check(tb.coordinator, tb.id, stranger.id, "dbs")  # not an applicant or member
    with pytest.raises(Invalid):
        membership.record_check(tb.coordinator, tb.id, newcomer.id, "tea")
    with pytest.raises(Forbidden):
        membership.record_check(tb.members[0], tb.id, newcomer.id, "dbs")
    first = membership.record_check(tb.coordinator, tb.id, newcomer.id, "dbs", "Enhanced, 2026")
    assert membership.record_check(tb.coordinator, tb.id, newcomer.id, "dbs").id == first.id  # once a kind
    membership.record_check(tb.coordinator, tb.id, newcomer.id, "references")
    account = membership.approve(tb.coordinator, application.id)
    assert membership.badges(tb.id, [newcomer.id]) == {newcomer.id: {"dbs", "references"}}
    assert account.status == "active"


def test_a_coordinator_of_another_bank_and_other_roles_cannot_decide(tb):
    other = make_bank("Reddish Time Bank")
    newcomer = UserFactory(role="member")
    db.session.commit()
    application = membership.apply(newcomer, tb.id, "")
    with pytest.raises(Forbidden):
        membership.approve(other.coordinator, application.id)
    with pytest.raises(Forbidden):
        membership.applications(other.coordinator, tb.id)
    for role in ROLES:
        if role in ("admin", "timebank_coordinator", "member"):
            continue
        with pytest.raises(Forbidden):
            membership.approve(UserFactory(role=role), application.id)
        with pytest.raises(Forbidden):
            membership.apply(UserFactory(role=role), tb.id, "")
    with pytest.raises(NotFound):
        membership.withdraw(UserFactory(role="member"), application.id)  # not theirs
    assert membership.approve(UserFactory(role="admin"), application.id).status == "active"


def test_a_paused_account_cannot_give_or_receive_and_is_not_offered_until_it_comes_back(tb):
    a, b, c = tb.accounts
    membership.set_paused(tb.members[1], tb.id, True)
    db.session.commit()
    assert b.id not in dict(ledger.directory(tb.members[0], tb.id))
    for giver, receiver, field in ((a, b, "receiver"), (b, a, "giver")):
        with pytest.raises(Invalid) as paused:
            ledger.record(tb.coordinator, tb.id, {"giver": giver.id, "receiver": receiver.id, "minutes": 30,
                                                  "date": date.today(), "description": ""}, str(uuid.uuid4()))
        assert field in paused.value.fields
    with pytest.raises(NotFound):
        membership.set_paused(tb.members[0], tb.id, False, b.id)  # not another member's to change
    membership.set_paused(tb.coordinator, tb.id, False, b.id)
    assert db.session.get(Account, b.id).status == "active"
    assert ledger.record(tb.coordinator, tb.id, {"giver": a.id, "receiver": b.id, "minutes": 30, "date": date.today(),
                                                 "description": ""}, str(uuid.uuid4())).exchange.status == "confirmed"
    ledger.leave(tb.members[2], tb.id)
    with pytest.raises(Invalid):
        membership.set_paused(tb.coordinator, tb.id, True, c.id)  # left: nothing to pause


def test_anonymous_people_are_asked_to_sign_in(tb):
    from flask_login import AnonymousUserMixin
    with pytest.raises(Unauthorised):
        membership.apply(AnonymousUserMixin(), tb.id, "")


def sign_in(client, email):
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.post("/login", data={"email": email, "password": PASSWORD,
                                       "csrf_token": csrf_token(client)}).status_code == 302


def test_the_pages_apply_check_approve_pause_and_show_errors_in_place(client, tb):
    tb.bank.requires_dbs = True
    newcomer = UserFactory(role="member", display_name="Nia Newcomer")
    db.session.commit()
    sign_in(client, newcomer.email)
    home = client.get("/timebank").text
    assert "Time banks you can join" in home and tb.bank.name in home and "DBS check" in home
    assert client.post(f"/timebank/banks/{tb.id}/apply", data={"csrf_token": csrf_token(client),
                                                               "message": "Gardening"}).status_code == 302
    assert "waiting for a coordinator" in client.get("/timebank").text

    sign_in(client, tb.emails["coordinator"])
    page = client.get(f"/timebank/banks/{tb.id}").text
    assert "Nia Newcomer" in page and "Gardening" in page and "requires a DBS check" in page
    application_id = db.session.scalar(select(Application.id).where(Application.user_id == newcomer.id))
    early = client.post(f"/timebank/applications/{application_id}/approve", data={"csrf_token": csrf_token(client)})
    assert early.status_code == 422 and "record it before approving" in early.text
    assert client.post(f"/timebank/banks/{tb.id}/checks", data={"csrf_token": csrf_token(client), "user": newcomer.id,
                                                                "kind": "dbs"}).status_code == 302
    assert client.post(f"/timebank/applications/{application_id}/approve",
                       data={"csrf_token": csrf_token(client)}).status_code == 302
    page = client.get(f"/timebank/banks/{tb.id}").text
    assert "Nobody is waiting." in page and '<span class="badge">DBS checked</span>' in page

    sign_in(client, newcomer.email)
    assert client.post(f"/timebank/banks/{tb.id}/pause", data={"csrf_token": csrf_token(client),
                                                               "paused": "1"}).status_code == 302
    page = client.get(f"/timebank/banks/{tb.id}").text
    assert "<dd>Paused</dd>" in page and "Come back to" in page
    assert client.post(f"/timebank/banks/{tb.id}/pause", data={"csrf_token": csrf_token(client),
                                                               "paused": "0"}).status_code == 302
    assert "<dd>Active</dd>" in client.get(f"/timebank/banks/{tb.id}").text
