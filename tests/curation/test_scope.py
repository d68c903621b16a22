"""Curators scoped to local authorities act only on listings there; every other curator everywhere."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from assets_hub.roles import SYSTEM
from assets_hub.db import db
from curation import listings
from assets_hub.directory.models import Service
from assets_hub.errors import Forbidden, Invalid
from curation import scope, workflow
from tests.conftest import ROLES

STOCKPORT = "E08000007"


def sid(name: str) -> str:
    return db.session.scalar(select(Service.id).where(Service.name == name))


def proposal(make_user, name, curator):
    provider = make_user("provider")
    claim = workflow.request_claim(provider, service_id=sid(name))
    workflow.decide_claim(curator, claim.id, "confirm")
    return workflow.propose_update(provider, sid(name), {"fees_description": "Free"}, ["fees_description"])


def test_listing_areas_come_from_postcodes_and_service_areas(ctx):
    assert STOCKPORT in scope.listing_areas(sid("Heatons Befriending Circle"))
    assert STOCKPORT not in scope.listing_areas(sid("Leith Lunch and Befriending Club"))


def test_a_stockport_curator_acts_on_stockport_listings_only(ctx, make_user, smtp):
    everywhere = make_user("curator")
    stockport = make_user("curator")
    assert scope.set_areas(SYSTEM, stockport, ["Stockport"]) == [STOCKPORT]
    here = proposal(make_user, "Heatons Befriending Circle", everywhere)
    there = proposal(make_user, "Leith Lunch and Befriending Club", everywhere)
    workflow.approve(stockport, here.id)
    with pytest.raises(Forbidden) as refused:
        workflow.approve(stockport, there.id)
    assert "outside the areas you look after (Stockport)" in refused.value.message
    with pytest.raises(Forbidden):
        listings.update_service(stockport, sid("Leith Lunch and Befriending Club"), {"name": "X"})
    workflow.approve(everywhere, there.id)  # an unscoped curator covers everywhere


def test_a_scoped_curators_dashboard_shows_their_listings(client, make_user, login_as, smtp):
    everywhere = make_user("curator")
    proposal(make_user, "Heatons Befriending Circle", everywhere)
    proposal(make_user, "Leith Lunch and Befriending Club", everywhere)
    me = login_as("curator")
    scope.set_areas(SYSTEM, me, ["E08000007"])
    page = client.get("/curation").text
    assert "You look after listings in Stockport" in page
    assert "Heatons Befriending Circle</a></h3>" in page
    assert "Leith Lunch and Befriending Club</a></h3>" not in page


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_set_areas(ctx, make_user, role):
    curator = make_user("curator")
    user = make_user(role)
    if role == "admin":
        scope.set_areas(user, curator, ["Stockport", "City of Edinburgh"])
        assert scope.areas_of(curator) == {STOCKPORT, "S12000036"}
        scope.set_areas(user, curator, [])
        assert scope.areas_of(curator) is None
        with pytest.raises(Invalid):
            scope.set_areas(user, curator, ["Gotham"])
    else:
        with pytest.raises(Forbidden):
            scope.set_areas(user, curator, ["Stockport"])


def test_a_scoped_curator_creates_listings_only_in_their_areas(client, make_user, login_as):
    from assets_hub.directory.models import Organization
    from tests.conftest import csrf_token
    me = login_as("curator")
    scope.set_areas(SYSTEM, me, ["Stockport"])
    org = db.session.scalar(select(Organization.id).limit(1))
    edinburgh = {"organization_id": org, "name": "Leith walking group", "description": "Walks.",
                 "address_1": "1 Shore", "city": "Edinburgh", "postcode": "EH6 6QW", "csrf_token": csrf_token(client)}
    r = client.post("/manage/services/new", data=edinburgh)
    assert r.status_code == 422 and "only in the areas you look after" in r.text
    assert db.session.scalar(select(Service.id).where(Service.name == "Leith walking group")) is None
    r = client.post("/api/directory/services", json={k: v for k, v in edinburgh.items() if k != "csrf_token"},
                    headers={"X-CSRF-Token": csrf_token(client)})
    assert r.status_code == 403
    assert db.session.scalar(select(Service.id).where(Service.name == "Leith walking group")) is None
    nowhere = dict(edinburgh, name="Nowhere group", address_1="", city="", postcode="")
    assert client.post("/manage/services/new", data=nowhere).status_code == 422    # no place at all
    here = dict(edinburgh, name="Heatons walking group", address_1="1 Road", city="Stockport", postcode="SK4 2AA")
    assert client.post("/manage/services/new", data=here).status_code == 302
    assert db.session.scalar(select(Service.id).where(Service.name == "Heatons walking group")) is not None
