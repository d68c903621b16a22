"""Accounts run safely: sign-in throttled, sessions that end when they should, least privilege by
default, admins running accounts, passwords changed and reset by email; every step recorded."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from assets_hub.accounts import services
from assets_hub.accounts.models import AccountEvent, PasswordReset, User
from assets_hub.db import db
from assets_hub.errors import Forbidden, Invalid, Unauthorised
from tests.conftest import ROLES, csrf_token

PASSWORD = "correct horse battery"


@pytest.fixture
def throttle(ctx):
    guard = services.throttle()
    guard.reset()
    yield guard
    guard.reset()


def _sign_in(client, email, password=PASSWORD, address="127.0.0.1"):
    with client.application.app_context():  # (see _replay)
            return client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)},
                           environ_base={"REMOTE_ADDR": address})


def test_forty_wrong_passwords_then_the_right_one_does_not_sign_in(client, make_user, throttle):
    make_user("curator", email="guessed@example.org")
    statuses = [_sign_in(client, "guessed@example.org", f"guess {i:04d} wrong", "192.0.2.7").status_code
                for i in range(40)]
    assert statuses[:10] == [422] * 10 and set(statuses[10:]) == {429}
    r = _sign_in(client, "guessed@example.org", PASSWORD, "192.0.2.7")
    assert r.status_code == 429
    assert 0 < int(r.headers["Retry-After"]) <= 15 * 60          # not locked out for long
    assert "Too many attempts to sign in. Wait" in r.text and "minutes" in r.text
    assert client.get("/curation").status_code == 302             # not signed in
    throttle.reset()                                              # (the window has passed)
    assert _sign_in(client, "guessed@example.org", PASSWORD, "192.0.2.7").status_code == 302


def test_one_address_guessing_many_accounts_is_stopped(client, make_user, throttle):
    for i in range(50):
        _sign_in(client, f"nobody{i}@example.org", "not it at all", "198.51.100.9")
    make_user("member", email="someone-else@example.org")
    assert _sign_in(client, "someone-else@example.org", PASSWORD, "198.51.100.9").status_code == 429
    assert _sign_in(client, "someone-else@example.org", PASSWORD, "198.51.100.10").status_code == 302


def test_a_person_who_mistypes_and_then_signs_in_starts_afresh(client, make_user, throttle):
    make_user("member", email="typo@example.org")
    for _ in range(2):
        for i in range(9):
            assert _sign_in(client, "typo@example.org", f"typo {i} typo", "203.0.113.5").status_code == 422
        assert _sign_in(client, "typo@example.org", PASSWORD, "203.0.113.5").status_code == 302


def _signed_in_cookie(client, email):
    assert _sign_in(client, email).status_code == 302
    return client.get_cookie("session").value


def _replay(app, cookie):
    """Another browser presents the copied cookie. In an app context of its own: the test's
    context keeps Flask-Login's user of the last request in ``g``, which would answer instead."""
    other = app.test_client()
    other.set_cookie("session", cookie, domain="localhost")
    with app.app_context():
        return other.get("/curation")


def test_a_cookie_copied_before_sign_out_opens_nothing_after(ctx, client, make_user, throttle):
    make_user("curator", email="out@example.org")
    cookie = _signed_in_cookie(client, "out@example.org")
    assert _replay(ctx, cookie).status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert _replay(ctx, cookie).status_code == 302              # to the sign-in page


def test_changing_the_password_ends_other_sessions_and_keeps_this_one(ctx, client, make_user, throttle):
    user = make_user("curator", email="change@example.org")
    elsewhere = _signed_in_cookie(ctx.test_client(), "change@example.org")
    _signed_in_cookie(client, "change@example.org")
    wrong = client.post("/account/password", data={"current_password": "not my password", "new_password": "x" * 12,
                                                    "repeat_password": "x" * 12, "csrf_token": csrf_token(client)})
    assert wrong.status_code == 422 and "Your current password is not right." in wrong.text
    short = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "short",
                                                    "repeat_password": "short", "csrf_token": csrf_token(client)})
    assert short.status_code == 422 and "Use at least 12 characters." in short.text
    r = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "a new long password",
                                                "repeat_password": "a new long password",
                                                "csrf_token": csrf_token(client)})
    assert r.status_code == 302
    assert client.get("/curation").status_code == 200           # this session carries on
    assert _replay(ctx, elsewhere).status_code == 302           # the other one ended
    assert _sign_in(ctx.test_client(), "change@example.org", "a new long password").status_code == 302
    assert [e.action for e in services.events([user.id])][0] == "password_changed"


def test_new_accounts_start_with_the_least_privilege(client, login_as):
    login_as("admin")
    page = client.get("/admin/users").text
    assert re.search(r'<option value="member" selected>', page)
    assert '<option value="admin" selected>' not in page
    r = client.post("/admin/users", data={"display_name": "New person", "email": "new@example.org",
                                          "password": "a long password", "csrf_token": csrf_token(client)})
    assert r.status_code == 302
    assert db.session.scalar(select(User.role).where(User.email == "new@example.org")) == "member"


def test_an_admin_changes_a_role_disables_and_enables_and_it_is_recorded(ctx, client, login_as, make_user, throttle):
    target = make_user("member", email="target@example.org")
    cookie = _signed_in_cookie(ctx.test_client(), "target@example.org")
    admin = login_as("admin")
    token = csrf_token(client)
    assert client.post(f"/admin/users/{target.id}/role", data={"role": "curator", "csrf_token": token}).status_code == 302
    assert db.session.get(User, target.id).role == "curator"
    assert _replay(ctx, cookie).status_code == 302               # sign in again to use the new role
    cookie = _signed_in_cookie(ctx.test_client(), "target@example.org")
    assert _replay(ctx, cookie).status_code == 200
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "no", "csrf_token": token}).status_code == 302
    assert _replay(ctx, cookie).status_code == 302               # a disabled account's sessions end
    assert _sign_in(ctx.test_client(), "target@example.org").status_code == 422
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "yes", "csrf_token": token}).status_code == 302
    assert _sign_in(ctx.test_client(), "target@example.org").status_code == 302
    recorded = [(e.action, e.actor) for e in reversed(services.events([target.id]))]
    label = f"{admin.display_name} (Administrator)"
    assert recorded == [("created", "system"), ("role_changed", label), ("disabled", label), ("enabled", label)]
    page = client.get("/admin/users").text
    assert "role changed from Time bank member to Curator" in page and label in page
    # an admin cannot lock themselves out: the error is shown on the accounts page
    r = client.post(f"/admin/users/{admin.id}/active", data={"active": "no", "csrf_token": token})
    assert r.status_code == 403 and "<h1>Accounts</h1>" in r.text and "ask another administrator" in r.text


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_run_accounts(ctx, make_user, role):
    actor, target = make_user(role), make_user("member")
    calls = (lambda who: services.change_role(who, target.id, "curator"),
             lambda who: services.send_password_reset(who, target.id, lambda t: f"http://localhost/{t}"),
             lambda who: services.set_active(who, target.id, False))
    for call in calls:
        with pytest.raises(Unauthorised):
            call(None)
        if role == "admin":
            call(actor)
        else:
            with pytest.raises(Forbidden):
                call(actor)
    assert db.session.get(User, target.id).active is (role != "admin")


def _link(message) -> str:
    return re.search(r"http://localhost/password/reset/\S+", message.get_payload(decode=True).decode()).group(0)


def test_a_forgotten_password_is_reset_by_a_single_use_link(ctx, client, make_user, smtp, throttle):
    user = make_user("provider", email="forgot@example.org")
    elsewhere = _signed_in_cookie(ctx.test_client(), "forgot@example.org")
    for address in ("nobody-here@example.org", "forgot@example.org"):
        r = client.post("/password/forgot", data={"email": address, "csrf_token": csrf_token(client)},
                        follow_redirects=True)
        assert "If there is an account with that address, we have emailed it" in r.text   # the same either way
    assert [m["X-Envelope-To"] for m in smtp.messages] == ["forgot@example.org"]      # nothing to a stranger
    body = smtp.messages[0].get_payload(decode=True).decode()
    assert "within 60 minutes" in body and "your password has not changed" in body
    link = _link(smtp.messages[0]).removeprefix("http://localhost")
    assert client.get(link).status_code == 200
    mismatch = client.post(link, data={"new_password": "brand new password", "repeat_password": "brand new passwort",
                                       "csrf_token": csrf_token(client)})
    assert mismatch.status_code == 422 and "The two new passwords are not the same." in mismatch.text
    r = client.post(link, data={"new_password": "brand new password", "repeat_password": "brand new password",
                                "csrf_token": csrf_token(client)})
    assert r.status_code == 302
    assert _sign_in(ctx.test_client(), "forgot@example.org", "brand new password").status_code == 302
    assert _replay(ctx, elsewhere).status_code == 302            # sessions from before the reset ended
    again = client.get(link)
    assert again.status_code == 410 and "expired or was used already" in again.text   # single use
    assert [e.action for e in reversed(services.events([user.id]))][-2:] == ["password_reset_sent",
                                                                            "password_reset_used"]


def test_a_reset_link_expires(ctx, client, make_user, smtp):
    make_user("member", email="late@example.org")
    client.post("/password/forgot", data={"email": "late@example.org", "csrf_token": csrf_token(client)})
    link = _link(smtp.messages[0]).removeprefix("http://localhost")
    reset = db.session.scalar(select(PasswordReset).order_by(PasswordReset.created_at.desc()).limit(1))
    reset.expires_at = reset.created_at - timedelta(seconds=1)
    db.session.flush()
    r = client.post(link, data={"new_password": "too late password", "repeat_password": "too late password",
                                "csrf_token": csrf_token(client)})
    assert r.status_code == 410
    with pytest.raises(Invalid):
        services.reset_password(link.rsplit("/", 1)[1], "too late password", "too late password")


def test_an_admin_sends_a_reset_and_never_sees_the_password(client, login_as, make_user, smtp):
    target = make_user("link_worker", email="lw@example.org")
    login_as("admin")
    r = client.post(f"/admin/users/{target.id}/reset", data={"csrf_token": csrf_token(client)})
    assert r.status_code == 302
    assert [m["X-Envelope-To"] for m in smtp.messages] == ["lw@example.org"]
    assert db.session.scalar(select(AccountEvent.action).where(AccountEvent.user_id == target.id)
                             .order_by(AccountEvent.created_at.desc()).limit(1)) == "password_reset_sent"
