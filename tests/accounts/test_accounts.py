import pytest
from click.testing import CliRunner
from sqlalchemy import select

from assets_hub.accounts.models import User
from assets_hub.db import db
from tests.conftest import ROLES, csrf_token


def test_sign_in_and_out(client, make_user):
    make_user("curator", email="cur@example.org")
    token = csrf_token(client)
    r = client.post("/login", data={"email": " CUR@example.org ", "password": "correct horse battery",
                                    "csrf_token": token})
    assert r.status_code == 302
    assert "Test curator" in client.get("/account").text
    r = client.post("/logout", data={"csrf_token": csrf_token(client)}, follow_redirects=True)
    assert "You have signed out" in r.text
    assert client.get("/account").status_code == 302  # back to the sign-in page


def test_wrong_password_and_unknown_email_get_the_same_message(client, make_user):
    make_user("member", email="m@example.org")
    for email, password in (("m@example.org", "wrong password!"), ("nobody@example.org", "whatever it is")):
        r = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)})
        assert r.status_code == 422
        assert "The email address or password is not right." in r.text
        assert 'aria-invalid="true"' in r.text


def test_empty_login_names_both_fields(client):
    r = client.post("/login", data={"csrf_token": csrf_token(client)})
    assert r.status_code == 422
    assert "Enter your email address." in r.text and "Enter your password." in r.text


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user("member", email="x@example.org")
    r = client.post("/login", data={"email": "x@example.org", "password": "correct horse battery"})
    assert r.status_code == 400
    assert "This form has expired" in r.text
    assert client.get("/account").status_code == 302


def test_next_parameter_cannot_redirect_off_site(client, make_user):
    make_user("member", email="n@example.org")
    r = client.post("/login", data={"email": "n@example.org", "password": "correct horse battery",
                                    "next": "https://evil.example/", "csrf_token": csrf_token(client)})
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_deactivated_account_cannot_sign_in(client, make_user):
    user = make_user("member", email="gone@example.org")
    user.active = False
    db.session.flush()
    r = client.post("/login", data={"email": "gone@example.org", "password": "correct horse battery",
                                    "csrf_token": csrf_token(client)})
    assert r.status_code == 422


def test_passwords_are_hashed(ctx, make_user):
    user = make_user("member", password="a very secret phrase")
    assert "a very secret phrase" not in user.password_hash and user.password_hash.startswith(("scrypt:", "pbkdf2:"))


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_may_manage_accounts(client, login_as, role):
    login_as(role)
    page = client.get("/admin/users")
    created = client.post("/admin/users", data={"email": f"new-{role}@example.org", "display_name": "New",
                                                "role": "member", "password": "long enough password",
                                                "csrf_token": csrf_token(client)})
    exists = db.session.scalar(select(User.id).where(User.email == f"new-{role}@example.org"))
    if role == "admin":
        assert page.status_code == 200 and created.status_code == 302 and exists
    else:
        assert page.status_code == 403 and created.status_code == 403 and not exists


def test_anonymous_is_sent_to_sign_in(client):
    r = client.get("/admin/users")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_create_account_form_reports_each_bad_field(client, login_as):
    login_as("admin")
    r = client.post("/admin/users", data={"email": "not-an-email", "display_name": "", "role": "wizard",
                                          "password": "short", "csrf_token": csrf_token(client)})
    assert r.status_code == 422
    for message in ("Enter an email address like name@example.org.", "Enter a name.", "Choose one of:",
                    "Use at least 12 characters."):
        assert message in r.text
    dup = client.post("/admin/users", data={"email": "dup@example.org", "display_name": "A", "role": "member",
                                            "password": "long enough password", "csrf_token": csrf_token(client)})
    assert dup.status_code == 302
    again = client.post("/admin/users", data={"email": "DUP@example.org", "display_name": "B", "role": "member",
                                              "password": "long enough password", "csrf_token": csrf_token(client)})
    assert again.status_code == 422 and "already exists" in again.text


def test_cli_creates_a_user_and_prints_the_password_once(app, database_url):
    from assets_hub.cli import main
    result = CliRunner().invoke(main, ["users", "create", "cli-user@example.org", "--role", "link_worker"],
                                env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    assert "Created cli-user@example.org (link_worker)" in result.output and "Password (shown once):" in result.output
    bad = CliRunner().invoke(main, ["users", "create", "cli-user2@example.org", "--role", "wizard"],
                             env={"DATABASE_URL": database_url})
    assert bad.exit_code == 1 and "role" in bad.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "cli-user@example.org"))
        assert user.role == "link_worker"
        db.session.delete(user)
        db.session.commit()


def test_session_cookie_is_http_only_and_same_site(client, make_user):
    make_user("member", email="c@example.org")
    r = client.post("/login", data={"email": "c@example.org", "password": "correct horse battery",
                                    "csrf_token": csrf_token(client)})
    cookie = r.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
