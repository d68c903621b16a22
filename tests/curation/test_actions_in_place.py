"""Buttons outside a form page: a refused action shows its error on the page the person came from,
in words, and buttons that cannot succeed are not offered."""
from __future__ import annotations

from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory.models import Service
from curation import suggestions, workflow
from tests.conftest import csrf_token


def _service() -> Service:
    return db.session.scalar(select(Service).where(Service.name == "Heatons Befriending Circle"))


def test_resolving_with_an_empty_box_shows_the_error_on_the_dashboard(client, login_as, smtp):
    svc = _service()
    report = suggestions.report_problem(None, svc.id, next(iter(suggestions.KINDS)), "The phone is wrong.",
                                        "someone@example.org")
    login_as("curator")
    r = client.post(f"/curation/suggestions/{report.id}/resolve",
                    data={"resolution": "  ", "csrf_token": csrf_token(client)})
    assert r.status_code == 422
    assert "<h1>Curation</h1>" in r.text                     # the page the curator was on
    assert "There is a problem" in r.text and "Say what you did, for the person who told us." in r.text
    assert f'id="resolution-{report.id}-error"' in r.text    # beside the box that was empty
    assert "resolution:" not in r.text                        # no raw field names
    assert db.session.get(type(report), report.id).status != "resolved"
    assert smtp.messages == []


def test_claiming_twice_shows_the_error_on_the_listing_and_the_button_goes(client, login_as):
    svc = _service()
    login_as("provider")
    page = client.get(f"/services/{svc.id}").text
    assert "Claim this listing" in page
    assert client.post(f"/services/{svc.id}/claim", data={"csrf_token": csrf_token(client)}).status_code == 302
    page = client.get(f"/services/{svc.id}").text
    assert "Claim this listing" not in page
    assert "Your claim to look after this listing is waiting for a curator" in page
    # the same button, pressed again from a page loaded before the first claim
    r = client.post(f"/services/{svc.id}/claim", data={"csrf_token": csrf_token(client)})
    assert r.status_code == 409
    assert f"<h1>{svc.name}</h1>" in r.text
    assert "There is a problem" in r.text and "Your claim is waiting for a curator." in r.text


def test_a_json_client_still_gets_json(client, login_as):
    svc = _service()
    login_as("provider")
    token = csrf_token(client)
    client.post(f"/services/{svc.id}/claim", data={"csrf_token": token})
    r = client.post(f"/services/{svc.id}/claim", data={"csrf_token": token}, headers={"Accept": "application/json"})
    assert r.status_code == 409 and r.json["error"]["code"] == "conflict"


def test_providers_are_not_offered_what_they_cannot_do(client, login_as):
    login_as("provider")
    form = client.get("/manage/services/new")
    assert form.status_code == 403                         # no organisation to propose for
    listings = client.get("/my/listings").text
    assert "Propose a new service" not in listings


def test_a_provider_who_looks_after_an_organisation_may_propose_but_not_add_organisations(
        client, login_as, make_user):
    svc = _service()
    provider = login_as("provider")
    claim = workflow.request_claim(provider, organization_id=svc.organization_id)
    workflow.decide_claim(make_user("curator"), claim.id, "confirm")
    db.session.flush()
    assert "Propose a new service" in client.get("/my/listings").text
    form = client.get("/manage/services/new").text
    assert "Add an organisation" not in form


def test_curators_are_offered_adding_an_organisation(client, login_as):
    login_as("curator")
    assert "Add an organisation" in client.get("/manage/services/new").text


def test_an_unknown_postcode_gives_advice_the_form_can_follow(client, login_as):
    login_as("curator")
    org = db.session.scalar(select(Service.organization_id).limit(1))
    r = client.post("/manage/services/new", data={
        "organization_id": org, "name": "Somewhere", "description": "x", "address_1": "1 Road", "city": "Stockport",
        "postcode": "SK9 9ZZ", "csrf_token": csrf_token(client)})
    assert r.status_code == 422
    assert "We could not find SK9 9ZZ" in r.text
    assert "give the latitude" not in r.text.lower()
