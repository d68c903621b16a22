"""The time bank JSON API and pages: who may do what (every role, allowed and refused), the
Idempotency-Key, limits answered 409 with how much is possible, statements and their CSV."""
from __future__ import annotations

import uuid
from datetime import date

import pytest

from assets_hub.accounts.tokens import create_token
from assets_hub.db import db
from assets_hub.roles import ROLES, SYSTEM
from tests.conftest import csrf_token
from tests.factories import PASSWORD, UserFactory


def bearer(user) -> dict:
    token = create_token(SYSTEM, user, "test")[1]
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def body(giver, receiver, minutes=60, **extra):
    return {"giver": giver.id, "receiver": receiver.id, "minutes": minutes, "date": date.today().isoformat(),
            "description": "Shopping", **extra}


def test_record_then_confirm_through_the_api(client, tb):
    a, b = tb.accounts[:2]
    ada, bo = bearer(tb.members[0]), bearer(tb.members[1])
    made = client.post(f"/api/timebank/banks/{tb.id}/exchanges", json=body(a, b, 90),
                       headers={**ada, "Idempotency-Key": "k1"})
    assert made.status_code == 201 and made.json["status"] == "pending"
    again = client.post(f"/api/timebank/banks/{tb.id}/exchanges", json=body(a, b, 90),
                        headers={**ada, "Idempotency-Key": "k1"})
    assert again.status_code == 200 and again.json["id"] == made.json["id"]
    other = client.post(f"/api/timebank/banks/{tb.id}/exchanges", json=body(a, b, 30),
                        headers={**ada, "Idempotency-Key": "k1"})
    assert other.status_code == 409 and "idempotency_key" in other.json["error"]["fields"]
    mine = client.get(f"/api/timebank/banks/{tb.id}/accounts/{a.id}", headers=ada).json
    assert mine["balance_minutes"] == 0 and mine["pending_minutes"] == 90
    assert client.post(f"/api/timebank/exchanges/{made.json['id']}/confirm", headers=ada).status_code == 403
    assert client.post(f"/api/timebank/exchanges/{made.json['id']}/confirm", headers=bo).json["status"] == "confirmed"
    assert client.get(f"/api/timebank/banks/{tb.id}/accounts/{a.id}", headers=ada).json["balance_minutes"] == 90
    # members see their own account, not others'
    assert client.get(f"/api/timebank/banks/{tb.id}/accounts/{b.id}", headers=ada).status_code == 404
    statement = client.get(f"/api/timebank/banks/{tb.id}/statement?account={a.id}", headers=ada).json
    assert [e["minutes"] for e in statement["entries"]] == [90]
    csv = client.get(f"/api/timebank/banks/{tb.id}/statement?account={a.id}&format=csv", headers=ada)
    assert csv.mimetype == "text/csv" and ",90," in csv.text


def test_bad_input_names_the_field_and_a_limit_says_how_much(client, tb):
    a, b = tb.accounts[:2]
    coord = bearer(tb.coordinator)
    for bad, field in ((body(a, b, 0), "minutes"), (body(a, b, "an hour"), "minutes"),
                       ({**body(a, b), "date": "someday"}, "date"), ({**body(a, b), "receiver": a.id}, "receiver"),
                       ({k: v for k, v in body(a, b).items() if k != "giver"}, "giver")):
        response = client.post(f"/api/timebank/banks/{tb.id}/exchanges", json=bad,
                               headers={**coord, "Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code == 422 and field in response.json["error"]["fields"], (bad, response.json)
    missing = client.post(f"/api/timebank/banks/{tb.id}/exchanges", json=body(a, b), headers=coord)
    assert missing.status_code == 422 and "idempotency_key" in missing.json["error"]["fields"]
    c = tb.accounts[2]
    big = client.post(f"/api/timebank/banks/{tb.id}/exchanges", json=body(a, b, 10 * 60),
                      headers={**coord, "Idempotency-Key": "big1"})
    assert big.status_code == 201 and big.json["status"] == "confirmed"  # b is now at the bank's -10 h
    under = client.post(f"/api/timebank/banks/{tb.id}/exchanges", json=body(c, b, 15),
                        headers={**coord, "Idempotency-Key": "big2"})
    assert under.status_code == 409 and "can receive at most 0 min more" in under.json["error"]["message"]
    pot = tb.pot  # the bank's own account has no limits
    assert client.post(f"/api/timebank/banks/{tb.id}/exchanges", json=body(a, pot, 20 * 60),
                       headers={**coord, "Idempotency-Key": "big3"}).status_code == 201  # a at 30 h of 40 h
    over = client.post(f"/api/timebank/banks/{tb.id}/exchanges", json=body(a, c, 11 * 60),
                       headers={**coord, "Idempotency-Key": "big4"})
    assert over.status_code == 409 and "can give at most 10 h more" in over.json["error"]["message"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_the_bank(client, tb, role):
    """Members of this bank and its coordinator: allowed; everyone else: not found (or refused by role)."""
    outsider = UserFactory(role=role)
    db.session.commit()
    headers = bearer(outsider)
    banks = client.get("/api/timebank/banks", headers=headers)
    assert banks.status_code == (200 if role in ("member", "timebank_coordinator", "admin") else 403)
    if banks.status_code == 200:
        assert tb.id not in [b["id"] for b in banks.json["banks"]] or role == "admin"
    statement = client.get(f"/api/timebank/banks/{tb.id}/statement?account={tb.accounts[0].id}", headers=headers)
    assert statement.status_code == (200 if role == "admin" else 404 if role in ("member", "timebank_coordinator")
                                     else 403)
    made = client.post(f"/api/timebank/banks/{tb.id}/exchanges", json=body(*tb.accounts[:2]),
                       headers={**headers, "Idempotency-Key": "x"})
    assert made.status_code == (201 if role == "admin" else 404 if role in ("member", "timebank_coordinator")
                                else 403)


def test_the_pages_record_confirm_and_show_both_balances(client, tb):
    ada, bo, coordinator = tb.emails["member0"], tb.emails["member1"], tb.emails["coordinator"]
    a, b = tb.accounts[:2]

    def sign_in(email):
        client.post("/logout", data={"csrf_token": csrf_token(client)})
        assert client.post("/login", data={"email": email, "password": PASSWORD,
                                           "csrf_token": csrf_token(client)}).status_code == 302

    sign_in(ada)
    page = client.get(f"/timebank/banks/{tb.id}")
    assert page.status_code == 200
    key = page.text.split('name="idempotency_key" value="')[1].split('"')[0]
    form = {"csrf_token": csrf_token(client), "idempotency_key": key, "direction": "gave", "other": b.id,
            "hours": "1", "mins": "30", "date": date.today().isoformat(), "description": "Fixed a shelf"}
    assert client.post(f"/timebank/banks/{tb.id}/exchanges", data=form).status_code == 302
    twice = client.post(f"/timebank/banks/{tb.id}/exchanges", data=form, follow_redirects=True)
    assert "recorded already" in twice.text
    bad = client.post(f"/timebank/banks/{tb.id}/exchanges", data={**form, "idempotency_key": "n2", "hours": "",
                                                                 "mins": ""})
    assert bad.status_code == 422 and "How long" in bad.text
    sign_in(bo)
    page = client.get(f"/timebank/banks/{tb.id}").text
    assert "Waiting for you" in page and "Fixed a shelf" in page
    exchange_id = page.split("/timebank/exchanges/")[1].split("/")[0]
    assert client.post(f"/timebank/exchanges/{exchange_id}/confirm",
                       data={"csrf_token": csrf_token(client)}).status_code == 302
    assert '<dd id="my-balance">-1 h 30 min</dd>' in client.get(f"/timebank/banks/{tb.id}").text
    sign_in(ada)
    assert '<dd id="my-balance">1 h 30 min</dd>' in client.get(f"/timebank/banks/{tb.id}").text
    assert "1 h 30 min" in client.get("/timebank").text
    sign_in(coordinator)
    coordinator_page = client.get(f"/timebank/banks/{tb.id}").text
    assert "Accounts" in coordinator_page and "-1 h 30 min" in coordinator_page


def test_a_long_statement_is_paged_on_screen_and_whole_in_the_csv(client, tb):
    from assets_hub.timebank import ledger
    a, b = tb.accounts[:2]
    for i in range(60):
        ledger.record(tb.coordinator, tb.id, {"giver": a.id if i % 2 else b.id, "receiver": b.id if i % 2 else a.id,
                                              "minutes": 15, "date": date.today(), "description": f"help {i}"},
                      f"long-{i}")
    db.session.commit()
    ada = bearer(tb.members[0])
    csv = client.get(f"/api/timebank/banks/{tb.id}/statement?account={a.id}&format=csv", headers=ada)
    assert len(csv.text.strip().splitlines()) == 61  # a header and every entry
    page = client.get(f"/timebank/banks/{tb.id}", headers=ada).text
    assert "1 to 50 of 60" in page and "Next page" in page
    assert "51 to 60 of 60" in client.get(f"/timebank/banks/{tb.id}?page=2", headers=ada).text


def test_a_coordinator_adds_members_on_the_bank_page_and_no_one_else_can(client, tb):
    newcomer = UserFactory(role="member")
    db.session.commit()
    email = newcomer.email
    token = csrf_token(client)
    member = client.post(f"/timebank/banks/{tb.id}/members", data={"csrf_token": token, "email": email},
                         headers=bearer(tb.members[0]))
    assert member.status_code == 404  # a member may not (and learns nothing)
    coordinator = bearer(tb.coordinator)
    added = client.post(f"/timebank/banks/{tb.id}/members", data={"csrf_token": token, "email": email},
                        headers=coordinator)
    assert added.status_code == 302
    again = client.post(f"/timebank/banks/{tb.id}/members", data={"csrf_token": token, "email": email},
                        headers=coordinator)
    assert again.status_code == 409 and "member already" in again.text
    assert newcomer.display_name in client.get(f"/timebank/banks/{tb.id}", headers=coordinator).text
