"""Providers claim a service or a whole organisation saying how they are connected and how to
check; curators see both; an organisation's holder proposes new services for it, and only for it."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory.models import Organization, Service
from curation import workflow
from curation.models import Claim
from tests.conftest import ROLES, csrf_token


def befriending() -> Service:
    return db.session.scalar(select(Service).where(Service.name == "Heatons Befriending Circle"))


def test_a_claim_says_how_and_how_to_check_and_the_curator_sees_both(client, login_as, smtp):
    provider = login_as("provider")
    svc = befriending()
    page = client.get(f"/services/{svc.id}").text
    assert "How are you connected to this service?" in page and "How can we check?" in page
    empty = client.post(f"/services/{svc.id}/claim", data={"message": "", "evidence": "",
                                                            "csrf_token": csrf_token(client)})
    assert empty.status_code == 422 and "Say how you are connected to it." in empty.text
    assert db.session.scalar(select(Claim).where(Claim.user_id == provider.id)) is None
    done = client.post(f"/services/{svc.id}/claim", data={
        "message": "I coordinate the volunteers.", "evidence": "https://example.org/team lists me",
        "csrf_token": csrf_token(client)})
    assert done.status_code == 302
    claim = db.session.scalar(select(Claim).where(Claim.user_id == provider.id))
    assert claim.message == "I coordinate the volunteers." and claim.evidence == "https://example.org/team lists me"
    login_as("curator")
    board = client.get("/curation").text
    assert "They said: I coordinate the volunteers." in board and "How to check: https://example.org/team lists me" in board


def test_an_organisation_is_claimed_and_its_holder_proposes_services_only_for_it(client, login_as, make_user, smtp):
    provider = login_as("provider")
    org = befriending().organization
    other = db.session.scalar(select(Organization).where(Organization.id != org.id).limit(1))
    page = client.get(f"/organizations/{org.id}").text
    assert "Do you run this organisation?" in page and "Claim this organisation" in page
    client.post(f"/organizations/{org.id}/claim", data={"message": "I am its manager.", "evidence": "",
                                                        "csrf_token": csrf_token(client)})
    assert "waiting for a curator" in client.get(f"/organizations/{org.id}").text
    claim = db.session.scalar(select(Claim).where(Claim.user_id == provider.id, Claim.organization_id == org.id))
    workflow.decide_claim(make_user("curator"), claim.id, "confirm")
    db.session.flush()
    page = client.get(f"/organizations/{org.id}").text
    assert f"Propose a new service for {org.name}" in page
    form = client.get(f"/manage/services/new?organization_id={org.id}").text
    choices = re.findall(r'<option value="([0-9a-f-]{36})"', form)
    assert choices == [org.id]  # only the organisation they look after
    refused = client.post("/manage/services/new", data={
        "organization_id": other.id, "name": "Not theirs", "description": "x", "csrf_token": csrf_token(client)})
    assert refused.status_code == 422 and "only for organisations you look after" in refused.text  # shown on the form
    proposed = client.post("/manage/services/new", data={
        "organization_id": org.id, "name": "Heatons Walking Buddies", "description": "Walks with a volunteer.",
        "csrf_token": csrf_token(client)})
    assert proposed.status_code == 302
    assert db.session.scalar(select(Service).where(Service.name == "Heatons Walking Buddies")) is None  # waits
    assert any(c.kind == "service_create" for c in workflow.queue())


@pytest.mark.parametrize("role", ROLES)
def test_who_may_claim_an_organisation(client, login_as, role, smtp):
    login_as(role)
    org = befriending().organization
    response = client.post(f"/organizations/{org.id}/claim", data={"message": "Mine.",
                                                                    "csrf_token": csrf_token(client)})
    assert response.status_code == (302 if role in ("provider", "admin") else 403)
