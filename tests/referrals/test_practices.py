"""The GP practices a team takes referrals from: admins keep the list (page and command line);
once a team has one, staff and GP systems refer only from practices on it, and the referral
carries the practice's name as listed (reports group by it). A person referring themselves is
never turned away for it."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from assets_hub.db import db
from assets_hub.errors import AppError, Invalid, NotFound
from assets_hub.referrals import teams
from assets_hub.referrals.models import Person, Referral, TeamPractice
from assets_hub.roles import SYSTEM
from tests.conftest import csrf_token
from tests.factories import UserFactory, referral_body
from tests.referrals.conftest import bearer

ROLES = ["link_worker", "referrer", "provider", "curator", "timebank_coordinator", "member"]


def counts():
    return (db.session.scalar(select(func.count()).select_from(Person)),
            db.session.scalar(select(func.count()).select_from(Referral)))


@pytest.fixture
def listed(team):
    teams.add_practice(SYSTEM, team.id, "p88001", "  Heaton Moor   Medical Group ")
    teams.add_practice(SYSTEM, team.id, "P88002", "Bracondale Medical Centre")
    db.session.commit()
    return team


def test_a_team_with_a_list_takes_referrals_only_from_its_practices(client, listed, referrer, token_for):
    token = token_for(referrer)
    body = referral_body(listed.id, gp_practice={"ods_code": "P88002", "name": "bracondale"})
    made = client.post("/api/referrals", json=body, headers=bearer(token))
    assert made.status_code == 201, made.json
    referral = db.session.get(Referral, made.json["id"])
    assert (referral.gp_ods_code, referral.gp_name) == ("P88002", "Bracondale Medical Centre")  # as listed

    before = counts()
    refused = client.post("/api/referrals", headers=bearer(token),
                          json=referral_body(listed.id, gp_practice={"ods_code": "Y02001", "name": "Elsewhere"}))
    assert refused.status_code == 422
    [reason] = refused.json["error"]["fields"]["gp_practice.ods_code"]
    assert "does not take referrals from practice Y02001" in reason
    assert counts() == before                                            # nothing written


def test_the_staff_form_says_which_practice_is_not_on_the_list(client, listed, referrer, sign_in):
    sign_in(referrer)
    form = {"team_id": listed.id, "person.given_name": "Sam", "person.family_name": "Jones",
            "person.date_of_birth": "1980-01-01", "person.postcode": "SK4 1AA",
            "gp_practice.ods_code": "Y02001", "gp_practice.name": "Elsewhere Surgery",
            "referral.reason": "Alone a lot.", "risks.known_risks": "no", "consent.information_sharing": "yes",
            "csrf_token": csrf_token(client)}
    before = counts()
    page = client.post("/referrals/new", data=form)
    assert page.status_code == 422 and "does not take referrals from practice Y02001" in page.text
    assert counts() == before


def test_a_person_referring_themselves_is_not_turned_away_by_the_list(client, listed):
    form = {"team_id": listed.id, "person.given_name": "Sam", "person.family_name": "Jones",
            "person.date_of_birth": "1980-01-01", "person.postcode": "SK4 1AA",
            "gp_practice.ods_code": "Y02001", "gp_practice.name": "My doctor in Leeds",
            "referral.reason": "I feel alone.", "risks.known_risks": "no", "consent.information_sharing": "yes",
            "csrf_token": csrf_token(client)}
    # (an address of its own: the throttle counts per address, and other tests refer themselves too)
    assert client.post("/refer-yourself", data=form, environ_base={"REMOTE_ADDR": "10.8.8.1"}).status_code == 302
    referral = db.session.scalars(select(Referral).where(Referral.source == "self",
                                                        Referral.team_id == listed.id)).one()
    assert (referral.gp_ods_code, referral.gp_name) == ("Y02001", "My doctor in Leeds")


def test_a_team_without_a_list_takes_any_practice(client, team, referrer, token_for):
    body = referral_body(team.id, gp_practice={"ods_code": "Y02001", "name": "Elsewhere Surgery"})
    made = client.post("/api/referrals", json=body, headers=bearer(token_for(referrer)))
    assert made.status_code == 201
    assert db.session.get(Referral, made.json["id"]).gp_name == "Elsewhere Surgery"


def test_the_list_refuses_bad_details_naming_the_field(team):
    with pytest.raises(Invalid) as bad:
        teams.add_practice(SYSTEM, team.id, "88001", "")
    assert set(bad.value.fields) == {"ods_code", "practice_name"}
    assert teams.team_practices(team.id) == []
    with pytest.raises(NotFound):
        teams.remove_practice(SYSTEM, team.id, "P88001")
    teams.add_practice(SYSTEM, team.id, "P88001", "Heaton Moor Medical Group")
    teams.add_practice(SYSTEM, team.id, "P88001", "Heaton Moor Medical Group (renamed)")  # again: renames
    assert [(p.ods_code, p.name) for p in teams.team_practices(team.id)] == [
        ("P88001", "Heaton Moor Medical Group (renamed)")]


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_keep_the_list(client, sign_in, team, role):
    someone = UserFactory(role=role)
    db.session.commit()
    with pytest.raises(AppError) as refused:
        teams.add_practice(someone, team.id, "P88001", "Heaton Moor Medical Group")
    assert refused.value.status == 403
    sign_in(someone)
    page = client.post(f"/admin/teams/{team.id}/practices",
                       data={"csrf_token": csrf_token(client), "ods_code": "P88001", "practice_name": "Heaton"})
    assert page.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(TeamPractice)) == 0


def test_an_admin_keeps_the_list_on_the_teams_page(client, sign_in, team):
    admin = UserFactory(role="admin")
    db.session.commit()
    sign_in(admin)
    team_id, team_name = team.id, team.name
    page = client.get("/admin/teams")
    assert "No list yet: the team takes referrals from any practice" in page.text
    added = client.post(f"/admin/teams/{team_id}/practices", data={
        "csrf_token": csrf_token(client), "ods_code": "p88001", "practice_name": "Heaton Moor Medical Group"})
    assert added.status_code == 302
    page = client.get("/admin/teams")
    assert "Heaton Moor Medical Group (P88001)" in page.text
    bad = client.post(f"/admin/teams/{team_id}/practices", data={
        "csrf_token": csrf_token(client), "ods_code": "HEATON", "practice_name": "Heaton"})
    assert bad.status_code == 422 and "a letter and five digits" in bad.text
    removed = client.post(f"/admin/teams/{team_id}/practices/P88001/remove", data={"csrf_token": csrf_token(client)})
    assert removed.status_code == 302
    assert f"Remove Heaton Moor Medical Group from {team_name}" not in client.get("/admin/teams").text
    assert teams.team_practices(team_id) == []
