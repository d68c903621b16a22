"""From the record to a service: signposts (nothing sent), referrals the provider receives with
only what the person agreed to share, the provider's answers, and expiry with reminders."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from assets_hub.accounts.models import User
from assets_hub.db import db
from assets_hub.errors import Invalid, NotFound
from assets_hub.mail import OutboxMessage
from assets_hub.referrals import onward, services
from assets_hub.referrals.models import OnwardReferral
from tests.conftest import csrf_token
from tests.factories import ClaimFactory, ServiceFactory, UserFactory

PERSONAL = ("Ada", "Lovelace", "9434765919", "SK4 1AA", "1950-03-27", "ada@example.org", "0161 000 0000")


@pytest.fixture
def provided(ctx):
    """A service with a provider who answers for it (a confirmed claim), and one with nobody."""
    service = ServiceFactory(name="Heaton Knit and Natter")
    provider = db.session.get(User, ClaimFactory(service_id=service.id, status="confirmed").user_id)
    lonely = ServiceFactory(name="Unclaimed Lunch Club")
    db.session.commit()
    return service, provider, lonely


def outbox():
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)))


def test_signpost_records_and_sends_nothing(make_referral, worker, provided):
    service, _, lonely = provided
    referral = make_referral()
    before = len(outbox())
    item = onward.send_onward(worker, referral.id, {"service_id": lonely.id, "kind": "signpost"})
    assert item.status == "signposted" and item.service_name == "Unclaimed Lunch Club"
    assert len(outbox()) == before
    assert services.history(referral.id)[-1].action == "signposted"


def test_referring_needs_someone_to_answer_and_consent_to_share(make_referral, worker, provided):
    service, _, lonely = provided
    referral = make_referral()
    with pytest.raises(Invalid) as nobody:
        onward.send_onward(worker, referral.id, {"service_id": lonely.id, "kind": "referral"})
    assert "signpost" in nobody.value.message
    no_consent = make_referral(consent={"information_sharing": False, "reason": "Best-interests decision"})
    with pytest.raises(Invalid) as refused:
        onward.send_onward(worker, no_consent.id, {"service_id": service.id, "kind": "referral", "share": ["name"]})
    assert "share" in refused.value.fields
    assert onward.send_onward(worker, no_consent.id, {"service_id": service.id, "kind": "referral"}).shared == ""


def test_the_provider_sees_only_what_was_shared_and_answers(client, make_referral, worker, provided, sign_in, smtp):
    service, provider, _ = provided
    referral = make_referral()
    services.take_on(worker, referral.id)
    sign_in(worker)
    sent = client.post(f"/referrals/{referral.id}/onward", data={
        "csrf_token": csrf_token(client), "service_id": service.id, "kind": "referral",
        "share": ["name", "phone"], "message": "She would love a knitting group."})
    assert sent.status_code == 302
    item = db.session.scalars(select(OnwardReferral).where(OnwardReferral.referral_id == referral.id)).one()
    assert item.status == "sent" and item.shared_fields == ["name", "phone"]

    [notice] = [m for m in smtp.messages if provider.email in m["X-Envelope-To"]]
    body = notice.get_payload()
    assert "Heaton Knit and Natter" in notice["Subject"] and "/provider/referrals" in body
    assert not any(p in body or p in notice["Subject"] for p in PERSONAL)

    sign_in(provider)
    assert "Heaton Knit and Natter" in client.get("/provider/referrals").text
    page = client.get(f"/provider/referrals/{item.id}").text
    assert "Ada Lovelace" in page and "0161 000 0000" in page
    assert "ada@example.org" not in page and "1950" not in page and "SK4 1AA" not in page

    attended_first = client.post(f"/provider/referrals/{item.id}/answer",
                                 data={"csrf_token": csrf_token(client), "status": "attended"})
    assert attended_first.status_code == 422 and "cannot be marked attended" in attended_first.text
    no_reason = client.post(f"/provider/referrals/{item.id}/answer",
                            data={"csrf_token": csrf_token(client), "status": "declined"})
    assert no_reason.status_code == 422 and "Say why" in no_reason.text
    assert client.post(f"/provider/referrals/{item.id}/answer",
                       data={"csrf_token": csrf_token(client), "status": "accepted",
                             "note": "Tuesdays at 2"}).status_code == 302
    assert client.post(f"/provider/referrals/{item.id}/answer",
                       data={"csrf_token": csrf_token(client), "status": "attended"}).status_code == 302
    item = db.session.get(OnwardReferral, item.id, populate_existing=True)
    assert item.status == "attended" and item.note_back == "Tuesdays at 2"
    told = [m for m in smtp.messages if worker.email in m["X-Envelope-To"] and "answered" in m["Subject"]]
    assert len(told) == 2 and not any(p in m.get_payload() for m in told for p in PERSONAL)

    sign_in(worker)
    record = client.get(f"/referrals/{referral.id}").text
    assert "Attended" in record and "Tuesdays at 2" in record


def test_other_providers_see_nothing(client, make_referral, worker, provided, sign_in):
    service, _, _ = provided
    referral = make_referral()
    item = onward.send_onward(worker, referral.id, {"service_id": service.id, "kind": "referral", "share": ["name"]})
    db.session.commit()
    stranger = UserFactory(role="provider")
    db.session.commit()
    with pytest.raises(NotFound):
        onward.provider_view(stranger, item.id)
    sign_in(stranger)
    assert client.get(f"/provider/referrals/{item.id}").status_code == 404
    assert "Heaton Knit" not in client.get("/provider/referrals").text
    assert client.post(f"/provider/referrals/{item.id}/answer",
                       data={"csrf_token": csrf_token(client), "status": "accepted"}).status_code == 404


def test_reminded_then_expired_the_link_worker_is_told_and_running_twice_changes_nothing(
        ctx, make_referral, worker, provided, smtp):
    service, provider, _ = provided
    referral = make_referral()
    services.take_on(worker, referral.id)
    item = onward.send_onward(worker, referral.id, {"service_id": service.id, "kind": "referral"})
    db.session.commit()
    sent = item.sent_at
    assert onward.expire_due(sent + timedelta(days=9)) == {"reminded": 0, "expired": 0}
    assert onward.expire_due(sent + timedelta(days=10, minutes=1)) == {"reminded": 1, "expired": 0}
    assert onward.expire_due(sent + timedelta(days=11)) == {"reminded": 0, "expired": 0}
    assert item.status == "sent"
    assert onward.expire_due(sent + timedelta(days=14, minutes=1)) == {"reminded": 0, "expired": 1}
    assert onward.expire_due(sent + timedelta(days=15)) == {"reminded": 0, "expired": 0}
    assert item.status == "expired"
    reminders = [m for m in smtp.messages if provider.email in m["X-Envelope-To"] and "Reminder" in m["Subject"]]
    expired = [m for m in smtp.messages if worker.email in m["X-Envelope-To"] and "expired" in m["Subject"]]
    assert len(reminders) == 1 and len(expired) == 1
    with pytest.raises(Invalid):
        onward.answer(provider, item.id, "accepted")



def test_a_link_worker_signposts_a_person_to_a_saved_list(client, make_referral, worker, provided, sign_in):
    from assets_hub.lists.services import Keeper, create_list, save, set_note
    service, _, lonely = provided
    referral = make_referral()
    services.take_on(worker, referral.id)
    mine = create_list(Keeper(user=worker), "Heaton Moor: getting out")
    save(Keeper(user=worker), service.id, mine.id)
    save(Keeper(user=worker), lonely.id, mine.id)
    set_note(Keeper(user=worker), mine.id, lonely.id, "Ask for Jo on Tuesdays")
    onward.send_onward(worker, referral.id, {"service_id": service.id, "kind": "signpost"})  # one is there already
    db.session.commit()
    sign_in(worker)
    page = client.get(f"/referrals/{referral.id}").text
    assert "Heaton Moor: getting out (2)" in page
    done = client.post(f"/referrals/{referral.id}/onward/list", data={"csrf_token": csrf_token(client),
                                                                      "list_id": mine.id})
    assert done.status_code == 302
    rows = db.session.scalars(select(OnwardReferral).where(OnwardReferral.referral_id == referral.id)
                              .order_by(OnwardReferral.sent_at)).all()
    assert [(r.service_name, r.kind) for r in rows] == [("Heaton Knit and Natter", "signpost"),
                                                        ("Unclaimed Lunch Club", "signpost")]
    assert rows[1].message == "Ask for Jo on Tuesdays"
    assert "from the list “Heaton Moor: getting out”" in services.history(referral.id)[-1].detail
    again = client.post(f"/referrals/{referral.id}/onward/list", data={"csrf_token": csrf_token(client),
                                                                       "list_id": mine.id})
    assert again.status_code == 422 and "already in this record" in again.text


def test_another_workers_list_cannot_be_used(make_referral, worker, lead, provided):
    from assets_hub.lists.services import Keeper, create_list, save
    service, _, _ = provided
    referral = make_referral()
    theirs = create_list(Keeper(user=lead), "Lead's list")
    save(Keeper(user=lead), service.id, theirs.id)
    with pytest.raises(NotFound):
        onward.signpost_list(worker, referral.id, theirs.id)
