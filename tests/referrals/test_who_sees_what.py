"""Every role against every referral page and JSON endpoint, allowed and refused. A referral
someone may not see is "not found", never "forbidden", so its id reveals nothing."""
from __future__ import annotations

import pytest

from assets_hub.accounts.models import User
from assets_hub.db import db
from assets_hub.referrals.models import Referral
from tests.conftest import csrf_token
from tests.factories import TeamFactory, TeamMemberFactory, UserFactory
from tests.referrals.conftest import bearer

WHO = ["team_worker", "other_team_worker", "sender", "other_referrer", "provider", "curator",
       "timebank_coordinator", "member", "admin"]


@pytest.fixture
def people(team, worker, referrer):
    other_worker = db.session.get(User, TeamMemberFactory(team=TeamFactory()).user_id)
    made = {"team_worker": worker, "other_team_worker": other_worker, "sender": referrer,
            "other_referrer": UserFactory(role="referrer"), "provider": UserFactory(role="provider"),
            "curator": UserFactory(role="curator"), "timebank_coordinator": UserFactory(role="timebank_coordinator"),
            "member": UserFactory(role="member"), "admin": UserFactory(role="admin")}
    db.session.commit()
    return made


# (url template, {who: expected status}); anyone not named gets the default at the end.
PAGES = [
    ("/referrals", {"team_worker": 200, "other_team_worker": 200, "admin": 200}, 403),
    ("/referrals/{id}", {"team_worker": 200, "sender": 200, "admin": 200}, 404),
    ("/referrals/{id}/find", {"team_worker": 200, "admin": 200}, 404),
    ("/api/referrals/{id}", {"team_worker": 200, "sender": 200, "admin": 200}, 404),
    ("/referrals/new", {"team_worker": 200, "other_team_worker": 200, "sender": 200, "other_referrer": 200,
                        "admin": 200}, 403),
    ("/referrals/sent", {"sender": 200, "other_referrer": 200, "admin": 200}, 403),
    ("/provider/referrals", {"provider": 200, "admin": 200}, 403),
    ("/admin/teams", {"admin": 200}, 403),
    ("/admin/audit", {"admin": 200}, 403),
]


@pytest.mark.parametrize("who", WHO)
def test_every_role_against_every_page(client, people, make_referral, sign_in, who):
    referral = make_referral()
    sign_in(people[who])
    for template, allowed, default in PAGES:
        url = template.format(id=referral.id)
        response = client.get(url)
        expected = allowed.get(who, default)
        assert response.status_code == expected, (who, url, response.status_code)
        if url == f"/referrals/{referral.id}" and expected == 200:
            # the team sees the record; the referrer who sent it sees its status, not the record
            assert ("Lovelace" in response.text) == (who != "sender"), who


@pytest.mark.parametrize("who", WHO)
def test_every_role_against_every_change(client, people, make_referral, sign_in, who):
    referral = make_referral()
    sign_in(people[who])
    url = f"/referrals/{referral.id}"
    changes = [(f"{url}/take", {}), (f"{url}/status", {"status": "contacted"}),
               (f"{url}/contacts", {"on": "2026-12-01", "method": "phone", "outcome": "spoke"}),
               (f"{url}/needs", {"need": "food"}), (f"{url}/person", {"what_matters": "Music"})]
    for action, data in changes:
        response = client.post(action, data={**data, "csrf_token": csrf_token(client)})
        if who in ("team_worker", "admin"):
            assert response.status_code == 302, (who, action, response.status_code)
        elif who == "other_team_worker":
            assert response.status_code == 404, (who, action)
        else:
            assert response.status_code in (403, 404), (who, action, response.status_code)
    status = db.session.get(Referral, referral.id, populate_existing=True).status
    assert (status == "contacted") == (who in ("team_worker", "admin"))


def test_a_sensitive_record_is_for_its_link_worker_and_the_leads(client, team, worker, lead, make_referral, sign_in):
    from tests.factories import TeamMemberFactory
    colleague = db.session.get(User, TeamMemberFactory(team=team).user_id)
    db.session.commit()
    referral = make_referral()
    sign_in(worker)
    client.post(f"/referrals/{referral.id}/take", data={"csrf_token": csrf_token(client)})
    client.post(f"/referrals/{referral.id}/person", data={"csrf_token": csrf_token(client), "sensitive": "yes"})
    assert client.get(f"/referrals/{referral.id}").status_code == 200
    sign_in(lead)
    assert client.get(f"/referrals/{referral.id}").status_code == 200
    sign_in(colleague)
    assert client.get(f"/referrals/{referral.id}").status_code == 404
    listing = client.get("/referrals?scope=team").text
    assert "Sensitive record" in listing and "Lovelace" not in listing


def test_ids_reveal_nothing(client, people, sign_in):
    sign_in(people["other_team_worker"])
    assert client.get("/referrals/6f1c1a43-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/referrals/not-an-id").status_code == 404


def test_tokens_wrong_revoked_and_someone_elses(client, make_referral, referrer, token_for, sign_in, people):
    referral = make_referral()
    url = f"/api/referrals/{referral.id}"
    token = token_for(referrer)
    assert client.get(url, headers=bearer(token)).status_code == 200
    assert client.get(url, headers=bearer("ah_" + "x" * 43)).status_code == 401
    assert client.get(url, headers=bearer(token_for(people["other_referrer"]))).status_code == 404
    # the owner lists and revokes it on their account page; it stops working at once
    sign_in(referrer)
    page = client.get("/account").text
    assert token[:10] in page and token not in page  # only its start is ever shown again
    from assets_hub.accounts.tokens import tokens_of
    [record] = tokens_of(referrer)
    assert client.post(f"/account/tokens/{record.id}/revoke",
                       data={"csrf_token": csrf_token(client)}).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.get(url, headers=bearer(token)).status_code == 401
    # someone else cannot revoke your token
    sign_in(people["other_referrer"])
    fresh = token_for(referrer)
    [live] = [t for t in tokens_of(referrer) if t.revoked_at is None]
    assert client.post(f"/account/tokens/{live.id}/revoke", data={"csrf_token": csrf_token(client)}).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.get(url, headers=bearer(fresh)).status_code == 200


def test_a_person_makes_a_token_on_their_account_page(client, referrer, sign_in):
    sign_in(referrer)
    made = client.post("/account/tokens", data={"csrf_token": csrf_token(client), "token_name": "Practice system"})
    assert made.status_code == 200 and "shown only this once" in made.text
    token = made.text.split('<code id="new-token">')[1].split("</code>")[0]
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.get("/api/session", headers=bearer(token)).json["user"]["email"] == referrer.email
    assert "Practice system" in client.get("/account", headers=bearer(token)).text


def test_admins_manage_teams_on_a_page(client, sign_in, people):
    sign_in(people["admin"])
    token = csrf_token(client)
    assert client.post("/admin/teams", data={"csrf_token": token, "name": "Reddish PCN Link Workers"}).status_code == 302
    from assets_hub.referrals.models import Team, TeamMember
    from sqlalchemy import select
    team_id = db.session.scalars(select(Team.id).where(Team.name == "Reddish PCN Link Workers")).one()
    again = client.post("/admin/teams", data={"csrf_token": token, "name": "Reddish PCN Link Workers"})
    assert again.status_code == 409 and "That name is taken" in again.text
    worker = people["other_team_worker"]
    assert client.post(f"/admin/teams/{team_id}/members", data={"csrf_token": token, "email": worker.email,
                                                              "lead": "yes"}).status_code == 302
    not_worker = client.post(f"/admin/teams/{team_id}/members", data={"csrf_token": token,
                                                                    "email": people["curator"].email})
    assert not_worker.status_code == 422 and "only link workers" in not_worker.text
    assert "Remove" in client.get("/admin/teams").text
    assert client.post(f"/admin/teams/{team_id}/members/{worker.id}/remove",
                       data={"csrf_token": token}).status_code == 302
    assert not db.session.scalars(select(TeamMember).where(TeamMember.team_id == team_id)).all()
    sign_in(people["team_worker"])
    assert client.post("/admin/teams", data={"csrf_token": csrf_token(client), "name": "Mine"}).status_code == 403
