"""Every view and change of a person's record writes an audit entry (who, when, what, from where)
that nobody can edit or delete: the database itself refuses."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from assets_hub.db import db
from assets_hub.referrals.models import AuditEntry
from tests.conftest import csrf_token
from tests.factories import UserFactory


def entries(person_id):
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.person_id == person_id)
                                   .order_by(AuditEntry.at)))


def test_views_and_changes_are_logged_with_who_and_where(client, make_referral, worker, sign_in):
    referral = make_referral()
    sign_in(worker)
    assert client.get(f"/referrals/{referral.id}").status_code == 200
    assert client.post(f"/referrals/{referral.id}/needs",
                       data={"csrf_token": csrf_token(client), "need": "food"}).status_code == 302
    mine = [e for e in entries(referral.person_id) if e.actor_id == worker.id]
    # (the test client's address; a session signed in from one address is not honoured from another)
    assert [(e.action, e.address) for e in mine] == [("view", "127.0.0.1"), ("change", "127.0.0.1")]
    assert worker.display_name in mine[0].actor and "@" not in mine[0].actor


def test_an_admin_reading_a_record_is_logged_like_anyone_else(client, make_referral, sign_in):
    referral = make_referral()
    admin = UserFactory(role="admin")
    db.session.commit()
    sign_in(admin)
    assert client.get(f"/referrals/{referral.id}").status_code == 200
    assert any(e.actor_id == admin.id and e.action == "view" for e in entries(referral.person_id))
    page = client.get(f"/admin/audit?person={referral.person_id}").text
    assert admin.display_name in page and "referral record" in page


def test_a_refused_read_leaves_no_record_shown_and_no_entry_claiming_it(client, make_referral, sign_in):
    referral = make_referral()
    curator = UserFactory(role="curator")
    db.session.commit()
    sign_in(curator)
    assert client.get(f"/referrals/{referral.id}").status_code == 404
    assert not any(e.actor_id == curator.id for e in entries(referral.person_id))


@pytest.mark.parametrize("change", ["update", "delete"])
def test_the_database_refuses_to_change_the_audit_log(make_referral, change):
    referral = make_referral()
    [entry] = entries(referral.person_id)
    stmt = (update(AuditEntry).where(AuditEntry.id == entry.id).values(actor="someone else") if change == "update"
            else delete(AuditEntry).where(AuditEntry.id == entry.id))
    with pytest.raises(DatabaseError) as refused:
        with db.session.begin_nested():
            db.session.execute(stmt)
    assert "never changed or deleted" in str(refused.value)
    assert db.session.get(AuditEntry, entry.id, populate_existing=True).actor == entry.actor


@pytest.mark.pg_only
def test_postgres_refuses_truncate_too(make_referral):
    make_referral()
    with pytest.raises(DatabaseError):
        with db.session.begin_nested():
            db.session.execute(text("TRUNCATE audit_entry"))


def test_a_record_shown_again_after_a_refused_action_is_logged_as_a_view(client, make_referral, worker, sign_in):
    referral = make_referral()
    sign_in(worker)
    refused = client.post(f"/referrals/{referral.id}/status", data={"csrf_token": csrf_token(client),
                                                                     "status": "supported"})
    assert refused.status_code == 422 and "Ada Lovelace" in refused.text
    mine = [(e.action, e.what) for e in entries(referral.person_id) if e.actor_id == worker.id]
    assert mine == [("view", "referral record")]  # the refused change left nothing; the page shown did
