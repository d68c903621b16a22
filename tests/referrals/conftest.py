"""Fixtures for the referral domain: a team with a link worker, a referrer, and helpers to sign
in and to send a referral the way a GP system does (a personal token).

Each fixture commits what it made. In these tests the requests share the test's session (one app
context), and a request that fails rolls back what is uncommitted; the commit is only a savepoint
of the test's transaction, which is rolled back at its end."""
from __future__ import annotations


import pyotp
import pytest

from assets_hub.accounts.models import User
from assets_hub.accounts.second_factor import STAFF
from assets_hub.accounts.tokens import create_token
from assets_hub.db import db
from assets_hub.referrals import services
from assets_hub.referrals.schemas import ReferralInSchema
from assets_hub.roles import SYSTEM
from tests.conftest import csrf_token, next_code
from tests.factories import PASSWORD, TeamFactory, TeamMemberFactory, UserFactory, referral_body


@pytest.fixture
def team(ctx):
    team = TeamFactory()
    db.session.commit()
    return team


@pytest.fixture
def worker(team):
    """A link worker in ``team``."""
    return _member(team)


def _member(team, lead=False):
    member = TeamMemberFactory(team=team, lead=lead)
    db.session.commit()
    return db.session.get(User, member.user_id)


@pytest.fixture
def lead(team):
    return _member(team, lead=True)


@pytest.fixture
def referrer(ctx):
    user = UserFactory(role="referrer")
    db.session.commit()
    return user


@pytest.fixture
def make_referral(team, referrer):
    """A referral into ``team`` sent by ``referrer`` (through the service function the API uses)."""
    def _make(**changes):
        data = ReferralInSchema().load(referral_body(changes.pop("team_id", team.id), **changes))
        referral = services.create_referral(referrer, data, "api")
        db.session.commit()
        return referral
    return _make


@pytest.fixture
def sign_in(client):
    """Sign ``user`` in through the real form (a test client holds one session at a time)."""
    def _sign_in(user):
        client.post("/logout", data={"csrf_token": csrf_token(client)})
        response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                               "csrf_token": csrf_token(client)})
        assert response.status_code == 302, response.text
        if user.role in STAFF:
            pass_second_factor(client, user)
        return user
    return _sign_in


def pass_second_factor(client, user) -> None:
    """Set up the authenticator app the first time (reading the key off the page), then type codes."""
    page = client.get("/account/two-factor")
    if 'id="secret"' in page.text:
        secret = page.text.split('<code id="secret">')[1].split("</code>")[0]
        db.session.info.setdefault("totp", {})[user.id] = secret
        code = pyotp.TOTP(secret).now()
    else:
        user = db.session.get(User, user.id, populate_existing=True)
        code = next_code(user.totp_secret, user.totp_last_step)
    done = client.post("/account/two-factor", data={"csrf_token": csrf_token(client), "code": code})
    assert done.status_code in (200, 302), done.text


@pytest.fixture
def token_for(ctx):
    def _token(user):
        token = create_token(SYSTEM, user, "test")[1]
        db.session.commit()
        return token
    return _token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def _fresh_requests(fresh_request_globals):
    """Every test here: each request starts afresh (tests/conftest.py)."""
