"""A time bank and social prescribing: a referral to the bank's listing, accepted, becomes an
invitation to join; the person joins with an account of their own and chooses whether their link
worker sees the hours they give and receive; nobody else sees them. Both engines."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_login import AnonymousUserMixin
from sqlalchemy import select

from assets_hub.accounts.models import User
from assets_hub.db import db, utcnow
from assets_hub.errors import Conflict, Forbidden, Invalid, NotFound
from assets_hub.mail import OutboxMessage
from assets_hub.referrals import onward, services
from assets_hub.referrals.models import AuditEntry
from assets_hub.timebank import ledger, linking
from tests.conftest import csrf_token
from tests.factories import ClaimFactory, ServiceFactory, TeamFactory, TeamMemberFactory
from tests.referrals.conftest import make_referral, referrer, sign_in, team, worker  # noqa: F401 (fixtures)
from tests.timebank.conftest import make_bank

NEW = {"email": "ada.new@example.org", "name": "Ada L", "password": "a long password 1", "repeat": "a long password 1"}


@pytest.fixture
def accepted(make_referral, worker):
    """An accepted referral (name and email shared) to a time bank's listing, and who answers it."""
    listing = ServiceFactory(name="Heatons Time Bank")
    provider = db.session.get(User, ClaimFactory(service_id=listing.id, status="confirmed").user_id)
    tb = make_bank("Heatons Time Bank")
    tb.bank.service_id = listing.id
    referral = make_referral()
    services.take_on(worker, referral.id)
    item = onward.send_onward(worker, referral.id, {"service_id": listing.id, "kind": "referral",
                                                     "share": ["name", "email"]})
    db.session.commit()
    return tb, provider, referral, item


def _token(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_an_accepted_referral_becomes_an_invitation_and_the_person_joins_sharing_their_hours(accepted, worker):
    tb, provider, referral, item = accepted
    with pytest.raises(Invalid):
        linking.invite(provider, item.id)  # not accepted yet
    onward.answer(provider, item.id, "accepted")
    invitation, link, emailed = linking.invite(provider, item.id)
    db.session.commit()
    assert emailed
    [mail] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.contains("invitation"))).all()
    assert mail.recipients == "ada@example.org" and link in mail.body and "Lovelace" not in mail.body
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.what.contains("time bank invitation"),
                                                         AuditEntry.referral_id == referral.id))

    account, user = linking.accept(AnonymousUserMixin(), _token(link), True, NEW)
    db.session.commit()
    assert (user.role, user.email, account.status, account.bank_id) == ("member", NEW["email"], "active", tb.id)
    with pytest.raises(NotFound):
        linking.accept(AnonymousUserMixin(), _token(link), True, NEW)  # once

    a = tb.accounts[0]
    for giver, receiver, minutes in ((account, a, 90), (a, account, 30)):
        ledger.record(tb.coordinator, tb.id, {"giver": giver.id, "receiver": receiver.id, "minutes": minutes,
                                              "date": date.today(), "description": ""}, f"k{minutes}")
    db.session.commit()
    assert linking.hours_for(worker, referral) == [("Heatons Time Bank", 90, 30)]
    assert linking.hours_for(provider, referral) == []  # the provider answers referrals; the record is not theirs
    other_worker = db.session.get(User, TeamMemberFactory(team=TeamFactory()).user_id)
    assert linking.hours_for(other_worker, referral) == []

    linking.set_sharing(user, tb.id, False)  # the person changes their mind
    assert linking.hours_for(worker, referral) == []
    linking.set_sharing(user, tb.id, True)
    assert linking.hours_for(worker, referral) == [("Heatons Time Bank", 90, 30)]


def test_who_may_invite_and_what_is_refused(accepted, worker):
    tb, provider, referral, item = accepted
    onward.answer(provider, item.id, "accepted")
    db.session.commit()
    with pytest.raises(Forbidden):
        linking.invite(worker, item.id)  # a link worker refers; the listing's provider invites
    with pytest.raises(Forbidden):
        linking.invite(tb.coordinator, item.id)  # no second factor, no referral data: not a provider
    stranger = db.session.get(User, ClaimFactory(service_id=ServiceFactory().id, status="confirmed").user_id)
    with pytest.raises(NotFound):
        linking.invite(stranger, item.id)
    tb.bank.service_id = None
    with pytest.raises(Invalid) as not_a_bank:
        linking.invite(provider, item.id)
    assert "not a time bank" in not_a_bank.value.message


def test_a_new_account_names_each_bad_field_and_an_existing_address_must_sign_in(accepted):
    tb, provider, referral, item = accepted
    onward.answer(provider, item.id, "accepted")
    _, link, _ = linking.invite(provider, item.id)
    db.session.commit()
    with pytest.raises(Invalid) as bad:
        linking.accept(AnonymousUserMixin(), _token(link), False, {"email": "nope", "name": "", "password": "short",
                                                                     "repeat": "other"})
    assert set(bad.value.fields) == {"email", "name", "password", "repeat"}
    with pytest.raises(Conflict):
        linking.accept(AnonymousUserMixin(), _token(link), False, {**NEW, "email": tb.emails["member0"]})
    account, user = linking.accept(tb.members[0], _token(link), False)  # signed in: their existing account
    assert account.id == tb.accounts[0].id and linking.hours_for(user, referral) == []
    late, link, _ = linking.invite(provider, item.id)
    late.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(NotFound) as expired:
        linking.open_invitation(_token(link))
    assert "expired" in expired.value.message


def test_the_pages_invite_join_and_show_the_hours_on_the_record(client, accepted, worker, sign_in):  # noqa: F811
    tb, provider, referral, item = accepted
    onward.answer(provider, item.id, "accepted")
    db.session.commit()
    sign_in(provider)
    page = client.get(f"/provider/referrals/{item.id}").text
    assert "Invite to join Heatons Time Bank" in page
    done = client.post("/timebank/invitations", data={"csrf_token": csrf_token(client), "onward_id": item.id},
                       follow_redirects=True)
    assert "the link was emailed to them" in done.text
    link = db.session.scalars(select(OutboxMessage.body).where(OutboxMessage.subject.contains("invitation"))).one()
    path = "/timebank/join/" + link.split("/timebank/join/")[1].split()[0]
    client.post("/logout", data={"csrf_token": csrf_token(client)})

    form = client.get(path)
    assert form.status_code == 200 and "Let my link worker see" in form.text
    bad = client.post(path, data={"csrf_token": csrf_token(client), **NEW, "repeat": "not the same one"})
    assert bad.status_code == 422 and 'id="repeat-error"' in bad.text
    joined = client.post(path, data={"csrf_token": csrf_token(client), **NEW, "share": "yes"})
    assert joined.status_code == 302 and "/login" in joined.headers["Location"]
    assert client.get(path).status_code == 404  # used

    sign_in(worker)
    record = client.get(f"/referrals/{referral.id}").text
    assert "Hours in time banks Ada joined through a referral" in record and "Heatons Time Bank" in record
