"""A place has a history of its own: a change to its name, address, map position or accessibility
made through any listing held there is recorded in the place's change log (it shows on every one
of them), read on a public page, and a curator can undo it after seeing what would change."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory.models import Location, Service, ServiceAtLocation
from assets_hub.errors import AppError, NotFound
from curation import history, listings
from curation.models import ListingChange
from tests.conftest import csrf_token
from tests.factories import ServiceFactory, UserFactory

NEW_ADDRESS = {"location_name": "Scout hut", "address_1": "1 Chestergate", "city": "Stockport",
               "postcode": "SK1 3XE", "accessibility": ["step_free"]}


def shared_place():
    """Two listings that meet at one place; returns (mine id, theirs id, place id)."""
    mine, theirs = ServiceFactory(name="Knit and Natter"), ServiceFactory(name="Chair Yoga")
    place = db.session.get(Service, mine.id).service_at_locations[0].location
    db.session.add(ServiceAtLocation(service_id=theirs.id, location_id=place.id))
    db.session.flush()
    return mine.id, theirs.id, place.id


def place_log(place_id):
    return db.session.scalars(select(ListingChange).where(ListingChange.resource_type == "location",
                                                          ListingChange.resource_id == place_id)).all()


def test_a_change_made_through_one_listing_is_in_the_places_own_history(ctx):
    mine, _, place_id = shared_place()
    before = listings.location_state(db.session.get(Location, place_id))
    listings.update_service(UserFactory(role="curator"), mine, dict(NEW_ADDRESS))
    changed = {c.field_name: (c.previous_value, c.replacement_value) for c in place_log(place_id)}
    assert changed["name"] == (before["name"] or "", "Scout hut")
    assert changed["address_1"] == (before["address_1"] or "", "1 Chestergate")
    assert changed["postal_code"][1] == "SK1 3XE" and changed["accessibility"][1] == "step_free"
    assert {c.last_action_type for c in place_log(place_id)} == {"update"}
    # a change that leaves the place alone writes nothing there
    listings.update_service(UserFactory(role="curator"), mine, {"name": "Knit and Natter (Tuesdays)"})
    assert len(place_log(place_id)) == len(changed)


def test_the_history_page_names_every_listing_held_there(client, ctx):
    mine, _, place_id = shared_place()
    listings.update_service(UserFactory(role="curator"), mine, dict(NEW_ADDRESS))
    db.session.commit()
    page = client.get(f"/locations/{place_id}/history")                   # public, like a listing's
    assert page.status_code == 200
    assert "Chair Yoga" in page.text and "Knit and Natter" in page.text
    assert "1 Chestergate" in page.text and "Undo this change" not in page.text  # (signed out: no undo)
    assert f"/locations/{place_id}/history" in client.get(f"/services/{mine}").text
    assert client.get("/locations/not-a-place/history").status_code == 404


def test_a_curator_undoes_a_change_to_the_place_after_seeing_it(client, login_as):
    mine, theirs, place_id = shared_place()
    old = listings.location_state(db.session.get(Location, place_id))
    listings.update_service(UserFactory(role="curator"), mine, dict(NEW_ADDRESS))
    change_id = place_log(place_id)[0].id
    time.sleep(1.1)  # (the undo in a second of its own: a history groups one person's changes by the second)
    login_as("curator")
    asked = client.get(f"/locations/{place_id}/history/{change_id}/restore")
    assert asked.status_code == 200
    assert "Scout hut" in asked.text and "on every listing held here (Chair Yoga, Knit and Natter)" in asked.text
    done = client.post(f"/locations/{place_id}/history/{change_id}/restore", data={"csrf_token": csrf_token(client)})
    assert done.status_code == 302
    db.session.expire_all()
    place = db.session.get(Location, place_id)
    assert listings.location_state(place) == old                              # back as it was
    for sid in (mine, theirs):                                                # on both listings
        assert db.session.get(Service, sid).service_at_locations[0].location.name == old["name"]
    [undo] = [e for e in history.shared_entries("location", place_id) if e.action == "restore"]
    assert {c.field_name for c in undo.changes} >= {"name", "address_1", "accessibility"}
    assert client.get(f"/locations/{place_id}/history/unknown/restore").status_code == 404


@pytest.mark.parametrize("role", ["provider", "member", "link_worker", "referrer"])
def test_only_curators_and_admins_undo_a_change_to_a_place(client, login_as, role):
    mine, _, place_id = shared_place()
    listings.update_service(UserFactory(role="curator"), mine, dict(NEW_ADDRESS))
    change_id = place_log(place_id)[0].id
    someone = login_as(role)
    with pytest.raises(AppError) as refused:
        listings.restore_location(someone, place_id, change_id)
    assert refused.value.status == 403
    assert client.get(f"/locations/{place_id}/history/{change_id}/restore").status_code == 403
    assert client.post(f"/locations/{place_id}/history/{change_id}/restore",
                       data={"csrf_token": csrf_token(client)}).status_code == 403
    assert db.session.get(Location, place_id).name == "Scout hut"


def test_an_admin_may_and_an_unknown_change_is_not_found(ctx):
    mine, _, place_id = shared_place()
    listings.update_service(UserFactory(role="curator"), mine, dict(NEW_ADDRESS))
    admin = UserFactory(role="admin")
    with pytest.raises(NotFound):
        listings.restore_location(admin, place_id, "no-such-change")
    listings.restore_location(admin, place_id, place_log(place_id)[0].id)
    assert db.session.get(Location, place_id).name != "Scout hut"
