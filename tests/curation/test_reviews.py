"""Review cadence with a controllable clock and a real SMTP server on loopback (aiosmtpd)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update

from assets_hub.db import db
from assets_hub.directory.models import Service
from assets_hub.errors import Forbidden, Unauthorised
from curation import reviews
from curation.models import ReviewReminder
from tests.conftest import ROLES, csrf_token
from tests.conftest import free_port


T0 = datetime(2027, 1, 10, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def listing(ctx, make_user):
    """Heatons Befriending Circle last reviewed 1 July 2026: due 30 December 2026 (182 days later).
    Every other listing is freshly reviewed, so only this one is due."""
    curator = make_user("curator", "cadence-curator@example.org")
    db.session.execute(update(Service).values(last_reviewed_at=T0))
    sid = db.session.scalar(select(Service.id).where(Service.name == "Heatons Befriending Circle"))
    db.session.get(Service, sid).last_reviewed_at = datetime(2026, 7, 1, 12, tzinfo=timezone.utc)
    db.session.flush()
    return sid, curator


def body(msg) -> str:
    return msg.get_payload(decode=True).decode()


def test_reminders_escalate_then_the_listing_is_deprioritised(smtp, listing):
    sid, curator = listing
    due = datetime(2026, 12, 30, 12, tzinfo=timezone.utc)
    # two weeks before: nothing yet a day early, the first reminder on the day
    assert reviews.send_due(due - timedelta(days=15)).count == 0 and not smtp.messages
    run = reviews.send_due(due - timedelta(days=14))
    assert run.sent == {"first": [(sid, "Heatons Befriending Circle")]}
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert "cadence-curator@example.org" in msg["X-Envelope-To"]
    assert msg["Subject"] == "Review reminders: 1 listing(s)"
    assert "Heatons Befriending Circle" in body(msg) and "due for review soon" in body(msg).lower()
    # safe to run twice: nothing more the same day or the next
    assert reviews.send_due(due - timedelta(days=14)).count == 0
    assert reviews.send_due(due - timedelta(days=13)).count == 0
    assert len(smtp.messages) == 1
    # on the due date: the reminder; two weeks later: urgent
    assert reviews.send_due(due).sent == {"reminder": [(sid, "Heatons Befriending Circle")]}
    run = reviews.send_due(due + timedelta(days=14))
    assert run.sent == {"urgent": [(sid, "Heatons Befriending Circle")]}
    assert "1 urgent" in smtp.messages[-1]["Subject"]
    assert db.session.get(Service, sid).deprioritised_at is None
    # nobody confirmed it: after the grace period it goes last in search
    run = reviews.send_due(due + timedelta(days=28))
    assert run.deprioritised == [(sid, "Heatons Befriending Circle")]
    assert db.session.get(Service, sid).deprioritised_at is not None
    assert "Moved down in search" in body(smtp.messages[-1])
    assert reviews.send_due(due + timedelta(days=29)).deprioritised == []
    stages = db.session.scalars(select(ReviewReminder.stage).where(ReviewReminder.service_id == sid)
                                .order_by(ReviewReminder.sent_at)).all()
    assert stages == ["first", "reminder", "urgent"]
    # "still correct" lifts it and starts a new cycle
    reviews.confirm_still_correct(curator, sid)
    svc = db.session.get(Service, sid)
    assert svc.deprioritised_at is None and svc.last_reviewed_at.year >= 2026


def test_a_long_overdue_listing_gets_one_email_at_its_current_stage(smtp, listing):
    sid, _ = listing
    run = reviews.send_due(datetime(2027, 3, 1, tzinfo=timezone.utc))  # two months past due
    assert run.sent == {"urgent": [(sid, "Heatons Befriending Circle")]} and len(smtp.messages) == 1


def test_reminders_wait_in_the_outbox_while_the_mail_server_is_down(ctx, listing, smtp):
    """(Before the outbox, a mail server that was down failed the run and recorded nothing.) The
    reminder is recorded with its email, which is sent once when the server is back."""
    from assets_hub.mail import OutboxMessage, deliver_due
    up = ctx.config["MAIL_PORT"]
    ctx.config.update(MAIL_PORT=free_port())  # nobody listening
    try:
        reviews.send_due(datetime(2027, 1, 5, tzinfo=timezone.utc))
        assert deliver_due(session=db.session) == {"sent": 0, "retrying": 1, "failed": 0}
    finally:
        ctx.config.update(MAIL_PORT=up)
    assert db.session.scalar(select(ReviewReminder.id).where(ReviewReminder.service_id == listing[0]))
    waiting = db.session.scalar(select(OutboxMessage).where(OutboxMessage.status == "pending"))
    assert waiting.attempts == 1 and "Could not send email" in waiting.last_error
    assert smtp.received == []                                         # not due again yet
    later = datetime.now(timezone.utc) + timedelta(minutes=2)
    assert deliver_due(session=db.session, now=later)["sent"] == 1
    assert deliver_due(session=db.session, now=later + timedelta(hours=1))["sent"] == 0
    assert len(smtp.received) == 1 and smtp.received[0]["Subject"].startswith("Review reminders")


def test_deprioritised_listings_go_last_in_search(ctx, listing):
    from search import run_search
    from search.query import SearchQuery
    sid, _ = listing
    first = run_search(SearchQuery(what="befriending", where="SK4 2")).hits[0].service_id
    assert first == sid
    db.session.get(Service, sid).deprioritised_at = datetime(2027, 2, 1, tzinfo=timezone.utc)
    db.session.flush()
    ids = [r.service_id for r in run_search(SearchQuery(what="befriending", where="SK4 2")).hits]
    assert ids[0] != sid


@pytest.mark.parametrize("role", ROLES)
def test_who_may_confirm(listing, make_user, role):
    sid, _ = listing
    user = make_user(role)
    if role in ("admin", "curator"):
        reviews.confirm_still_correct(user, sid)
    else:
        with pytest.raises(Forbidden):
            reviews.confirm_still_correct(user, sid)
    with pytest.raises(Unauthorised):
        reviews.confirm_still_correct(None, sid)


def test_still_correct_is_one_click(client, listing, login_as):
    sid, _ = listing
    login_as("curator")
    page = client.get(f"/services/{sid}")
    assert "Still correct" in page.text
    response = client.post(f"/services/{sid}/confirm", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert "Confirmed still correct" in client.get(f"/services/{sid}/history").text


def test_claimants_hear_about_their_own_listing(smtp, listing, make_user):
    from curation import workflow
    sid, curator = listing
    provider = make_user("provider", "runs-it@example.org")
    claim = workflow.request_claim(provider, service_id=sid)
    workflow.decide_claim(curator, claim.id, "confirm")
    smtp.messages.clear()
    reviews.send_due(datetime(2027, 1, 1, tzinfo=timezone.utc))
    to_claimant = [m for m in smtp.messages if "runs-it@example.org" in m["X-Envelope-To"]]
    assert len(to_claimant) == 1 and to_claimant[0]["Subject"] == "Please check your listing: Heatons Befriending Circle"
    assert "runs-it@example.org" not in next(m for m in smtp.messages if m["Subject"].startswith("Review"))["X-Envelope-To"]


def test_a_scoped_curator_hears_only_about_their_areas(smtp, listing, make_user):
    from assets_hub.roles import SYSTEM
    from curation import scope
    edinburgh = make_user("curator", "edinburgh-curator@example.org")
    scope.set_areas(SYSTEM, edinburgh, ["City of Edinburgh"])
    reviews.send_due(datetime(2027, 1, 1, tzinfo=timezone.utc))  # Heatons (Stockport) is due
    to = [m["X-Envelope-To"] for m in smtp.messages]
    assert any("cadence-curator@example.org" in t for t in to)
    assert not any("edinburgh-curator@example.org" in t for t in to)
