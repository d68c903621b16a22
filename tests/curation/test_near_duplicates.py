"""Adding a listing that looks like one already there warns before saving (nothing is saved until
the person says it is different); possible duplicates are compared side by side, the two told apart."""
from __future__ import annotations

from sqlalchemy import func, select

from assets_hub.db import db
from assets_hub.directory.models import Service
from curation import listings
from curation.models import DuplicateFlag
from tests.conftest import csrf_token

NAME = "Heatons Befriending Circle"


def existing() -> Service:
    return db.session.scalar(select(Service).where(Service.name == NAME))


def copy_of(client, svc: Service, **more) -> dict:
    loc = svc.service_at_locations[0].location
    address = loc.addresses[0]
    return {"organization_id": svc.organization_id, "name": "Heatons Befriending Circle", "description": "Again.",
            "address_1": address.address_1, "city": address.city, "postcode": address.postal_code,
            "status": "active", "csrf_token": csrf_token(client), **more}


def count(name: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Service).where(Service.name == name))


def test_a_near_duplicate_warns_and_saves_nothing_until_the_person_says_it_differs(client, login_as):
    login_as("curator")
    svc = existing()
    warned = client.post("/manage/services/new", data=copy_of(client, svc))
    assert warned.status_code == 422
    assert "Is it one of these?" in warned.text and f"/services/{svc.id}" in warned.text
    assert "similar name close by" in warned.text and "Nothing has been saved yet" in warned.text
    assert count(NAME) == 1
    assert 'value="Again."' in warned.text or ">Again.</textarea>" in warned.text  # what was typed stays
    saved = client.post("/manage/services/new", data=copy_of(client, svc, not_duplicate="yes"))
    assert saved.status_code == 302
    assert count(NAME) == 2
    # and it is flagged for the curators to compare
    assert db.session.scalar(select(func.count()).select_from(DuplicateFlag).where(
        (DuplicateFlag.service_id == svc.id) | (DuplicateFlag.other_id == svc.id))) >= 1


def test_a_different_service_is_saved_without_a_warning(client, login_as):
    login_as("curator")
    svc = existing()
    response = client.post("/manage/services/new", data=copy_of(client, svc, name="Reddish Chess Club"))
    assert response.status_code == 302


def test_duplicates_are_compared_side_by_side_with_the_two_told_apart(client, login_as, make_user):
    curator = make_user("curator")
    svc = existing()
    loc = svc.service_at_locations[0].location
    twin = listings.create_service(curator, {
        "organization_id": svc.organization_id, "name": NAME, "description": "A second copy.",
        "address_1": loc.addresses[0].address_1, "city": loc.addresses[0].city,
        "postcode": loc.addresses[0].postal_code, "phone": "0161 555 0100"})
    db.session.flush()
    flag = db.session.scalar(select(DuplicateFlag).where(
        ((DuplicateFlag.service_id == svc.id) & (DuplicateFlag.other_id == twin.id))
        | ((DuplicateFlag.service_id == twin.id) & (DuplicateFlag.other_id == svc.id))))
    login_as("curator")
    board = client.get("/curation").text
    assert f"/curation/duplicates/{flag.id}" in board
    page = client.get(f"/curation/duplicates/{flag.id}")
    assert page.status_code == 200
    text = page.text
    assert "A second copy." in text and svc.description[:40] in text  # both, side by side
    assert "0161 555 0100" in text
    # the same name twice: each is told apart by what differs
    assert f"Merge, keeping “{NAME} (" in text  # the name, and what tells this one apart
    keep_other = text.split("Merge, keeping")[1:]
    assert len(keep_other) == 2 and keep_other[0].split("”")[0] != keep_other[1].split("”")[0]
    assert "Merge, keeping" in text


def test_only_curators_compare_duplicates(client, login_as, make_user):
    curator = make_user("curator")
    svc = existing()
    loc = svc.service_at_locations[0].location
    listings.create_service(curator, {
        "organization_id": svc.organization_id, "name": NAME, "description": "x",
        "address_1": loc.addresses[0].address_1, "city": loc.addresses[0].city,
        "postcode": loc.addresses[0].postal_code})
    db.session.flush()
    flag = db.session.scalar(select(DuplicateFlag).where(DuplicateFlag.status == "open").limit(1))
    for role in ("provider", "link_worker", "member"):
        login_as(role)
        assert client.get(f"/curation/duplicates/{flag.id}").status_code == 403


def test_a_suggested_service_becomes_a_listing_in_one_step(client, login_as, smtp):
    from curation import suggestions
    from curation.models import Suggestion
    s = suggestions.suggest_service(None, "Knit and Natter Heaton Chapel", "Tuesdays 2pm at the library, free.",
                                    "knitter@example.org")
    db.session.flush()
    login_as("curator")
    board = client.get("/curation").text
    assert f"/manage/services/new?suggestion={s.id}" in board
    form = client.get(f"/manage/services/new?suggestion={s.id}").text
    assert 'value="Knit and Natter Heaton Chapel"' in form and "Tuesdays 2pm at the library, free." in form
    org = existing().organization_id
    saved = client.post("/manage/services/new", data={
        "suggestion": s.id, "organization_id": org, "name": "Knit and Natter Heaton Chapel",
        "description": "Knitting group, Tuesdays 2pm.", "address_1": "1 Wellington Road North",
        "city": "Stockport", "postcode": "SK4 4AA", "status": "active", "csrf_token": csrf_token(client)})
    assert saved.status_code == 302, saved.text
    db.session.expire_all()
    done = db.session.get(Suggestion, s.id)
    assert done.status == "resolved" and "Knit and Natter Heaton Chapel" in done.resolution
    assert count("Knit and Natter Heaton Chapel") == 1
    # the same suggestion cannot be added twice
    again = client.get(f"/manage/services/new?suggestion={s.id}")
    assert again.status_code == 409


def test_only_curators_turn_suggestions_into_listings(client, login_as):
    from curation import suggestions
    s = suggestions.suggest_service(None, "Something", "Details.", "x@example.org")
    db.session.flush()
    login_as("provider")
    assert client.get(f"/manage/services/new?suggestion={s.id}").status_code == 403


def test_the_json_api_says_which_listings_a_new_one_looks_like(client, login_as):
    login_as("curator")
    svc = existing()
    body = {k: v for k, v in copy_of(client, svc).items() if k != "csrf_token"}
    token = {"X-CSRF-Token": csrf_token(client)}
    made = client.post("/api/directory/services", json=body, headers=token)
    assert made.status_code == 201
    found = made.json["possible_duplicates"]
    assert [d["id"] for d in found] == [svc.id] and "similar name close by" in found[0]["reasons"]
    other = client.post("/api/directory/services", json={**body, "name": "Reddish Chess Club"}, headers=token)
    assert other.status_code == 201 and other.json["possible_duplicates"] == []
