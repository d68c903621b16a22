"""Several people writing at once against a real server: each waits its turn, nobody sees a 500.

On SQLite a transaction that read before another connection committed could not upgrade to a write
and failed at once with "database is locked" (and the error page then failed to render too)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from assets_hub.db import db
from tests.live import Visitor, at_once, demo_app, serve

PASSWORD = "concurrent password 1"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app = demo_app(tmp_path_factory, "busy", users=[
        *((f"provider{i}@busy.test", PASSWORD, "provider", f"Provider {i}") for i in range(4)),
        *((f"curator{i}@busy.test", PASSWORD, "curator", f"Curator {i}") for i in range(2)),
        ("keeper@busy.test", PASSWORD, "provider", "Keeper")],
        MAIL_SERVER="", MAIL_OUTBOX=str(tmp_path_factory.mktemp("outbox")))
    with app.app_context():
        from assets_hub.accounts.models import User
        from assets_hub.roles import SYSTEM
        from assets_hub.directory.models import Service
        from curation import workflow

        keeper = db.session.scalar(select(User).where(User.email == "keeper@busy.test"))
        first, second = db.session.scalars(select(Service).order_by(Service.name).limit(2))
        claim = workflow.request_claim(keeper, service_id=second.id)
        workflow.decide_claim(SYSTEM, claim.id, "confirm")
        change = workflow.propose_update(keeper, second.id, {"description": "Now open on Saturdays too."},
                                         ["description"])
        ids = {"claimed": first.id, "edited": second.id, "change": change.id}
        db.commit()
    with serve(app) as base:
        yield base, app, ids
    db.state(app).engine.dispose()


def _signed_in(base, email) -> Visitor:
    visitor = Visitor(base)
    assert visitor.sign_in(email, PASSWORD).status_code == 302
    return visitor


def test_four_providers_claim_one_listing_at_once(site):
    base, app, ids = site
    providers = [_signed_in(base, f"provider{i}@busy.test") for i in range(4)]
    responses = at_once([lambda v=v: v.post(f"/services/{ids['claimed']}/claim", {"message": "Ours"})
                         for v in providers])
    assert [getattr(r, "status_code", r) for r in responses] == [302] * 4
    with app.app_context():
        from curation.models import Claim
        assert db.session.scalar(select(func.count()).select_from(Claim)
                                 .where(Claim.service_id == ids["claimed"], Claim.status == "requested")) == 4


def test_two_curators_approve_one_change_at_once(site):
    base, app, ids = site
    curators = [_signed_in(base, f"curator{i}@busy.test") for i in range(2)]
    responses = at_once([lambda v=v: v.post(f"/curation/changes/{ids['change']}/approve") for v in curators])
    statuses = sorted(getattr(r, "status_code", r) for r in responses)
    assert statuses == [302, 409], [getattr(r, "text", r)[:300] for r in responses]
    refused = next(r for r in responses if r.status_code == 409)
    assert "approved already" in refused.text
    with app.app_context():
        from curation.models import ListingVersion
        published = db.session.scalars(select(ListingVersion.snapshot).where(
            ListingVersion.service_id == ids["edited"])).all()
        assert sum("Saturdays" in snapshot for snapshot in published) == 1  # published once, not twice
