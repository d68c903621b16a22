"""What the person is given and may ask for: the "what we agreed" summary, subject access,
erasure on request and by the retention rule, leaving only anonymous counts."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from assets_hub.db import db, utcnow
from assets_hub.errors import Invalid
from assets_hub.referrals import onward, person_data, services
from assets_hub.referrals.models import AuditEntry, ContactLog, Person, Referral
from tests.conftest import csrf_token
from tests.factories import ServiceFactory


def test_what_we_agreed_prints_and_emails_only_the_services(client, make_referral, worker, sign_in, smtp):
    service = ServiceFactory(name="Heaton Walking Group", email="walks@example.org")
    db.session.commit()
    referral = make_referral()
    services.add_goal(worker, referral.id, {"text": "Walk twice a week", "importance": 8, "confidence": 5})
    onward.send_onward(worker, referral.id, {"service_id": service.id, "kind": "signpost"})
    db.session.commit()
    sign_in(worker)
    page = client.get(f"/referrals/{referral.id}/agreed")
    assert page.status_code == 200
    assert "Heaton Walking Group" in page.text and "walks@example.org" in page.text and "Walk twice" in page.text
    assert client.post(f"/referrals/{referral.id}/agreed/email",
                       data={"csrf_token": csrf_token(client)}).status_code == 302
    [message] = [m for m in smtp.messages if "ada@example.org" in m["X-Envelope-To"]]
    body = message.get_payload()
    assert "Heaton Walking Group" in body and "walks@example.org" in body
    assert "Lonely" not in body and "Walk twice" not in body  # nothing about the person's circumstances
    actions = {e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.referral_id == referral.id))}
    assert {"print", "export"} <= actions


def test_do_not_contact_stops_the_email(client, make_referral, worker, sign_in, smtp):
    service = ServiceFactory()
    db.session.commit()
    referral = make_referral()
    onward.send_onward(worker, referral.id, {"service_id": service.id, "kind": "signpost"})
    services.update_person(worker, referral.id, do_not_contact=True)
    db.session.commit()
    sign_in(worker)
    refused = client.post(f"/referrals/{referral.id}/agreed/email", data={"csrf_token": csrf_token(client)})
    assert refused.status_code == 422 and "not to be contacted" in refused.text
    assert not [m for m in smtp.messages if "ada@example.org" in m["X-Envelope-To"]]


def test_subject_access_gives_everything_as_json_and_a_page(client, make_referral, worker, sign_in):
    referral = make_referral()
    services.log_contact(worker, referral.id, {"on": "2026-12-01", "method": "phone", "outcome": "spoke",
                                               "note": "Talked about the garden"})
    db.session.commit()
    sign_in(worker)
    data = client.get(f"/referrals/{referral.id}/export.json").json
    assert data["person"]["nhs_number"] == "9434765919"
    [r] = data["referrals"]
    assert r["contacts"][0]["note"] == "Talked about the garden" and r["needs"][0]["code"] == "loneliness"
    assert "Talked about the garden" in client.get(f"/referrals/{referral.id}/export").text
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.referral_id == referral.id, AuditEntry.action == "export")) == 2


def test_erasure_on_request_by_a_lead_leaves_anonymous_counts(client, make_referral, worker, lead, sign_in):
    referral = make_referral()
    person_id = referral.person_id
    with pytest.raises(Invalid):
        person_data.erase(worker, referral.id, "Lovelace")  # not a lead
    sign_in(lead)
    wrong = client.post(f"/referrals/{referral.id}/erase", data={"csrf_token": csrf_token(client), "confirm": "x"})
    assert wrong.status_code == 422 and "last name" in wrong.text
    done = client.post(f"/referrals/{referral.id}/erase", data={"csrf_token": csrf_token(client),
                                                                "confirm": "lovelace"})
    assert done.status_code == 302
    assert db.session.get(Person, person_id) is None
    # the referral is left, anonymous: it counts in reports, and says nothing about who it was
    db.session.expire_all()
    left = db.session.get(Referral, referral.id)
    assert left.person_id is None and left.erased_at is not None and left.reason == ""
    assert left.status == "received" and left.received_at.day == 1 and left.age_band
    assert [n.code for n in left.needs] == ["loneliness"] and all(n.note == "" for n in left.needs)
    assert not db.session.scalars(select(ContactLog).where(ContactLog.referral_id == referral.id)).all()
    assert client.get(f"/referrals/{referral.id}").status_code == 404
    # the audit log still says it happened (and who did it), with nothing else about the person
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.person_id == person_id,
                                                       AuditEntry.action == "erase")).one().actor_id == lead.id


def test_retention_erases_only_cases_closed_long_enough_ago_and_is_safe_twice(ctx, make_referral, worker):
    ctx.config["RETENTION_DAYS"] = 30
    old, recent, still_open = make_referral(), make_referral(), make_referral()
    for r in (old, recent):
        services.move(worker, r.id, "closed", "discharged")
    old.closed_at = utcnow() - timedelta(days=31)
    db.session.commit()
    assert person_data.apply_retention() == 1
    assert person_data.apply_retention() == 0
    assert db.session.get(Referral, old.id).person_id is None
    assert db.session.get(Referral, recent.id) is not None and db.session.get(Referral, still_open.id) is not None
    assert person_data.apply_retention(utcnow() + timedelta(days=31)) == 1  # the recent one, a month on
