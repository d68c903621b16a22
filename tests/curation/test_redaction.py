"""A person's contact details removed from a listing leave the public history and the API's change
log; curators can remove a value from the history altogether, and that removal is recorded."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory.models import Contact, Service
from assets_hub.errors import Conflict, Forbidden, Invalid
from curation import history, services
from curation.models import HistoryRedaction
from tests.conftest import ROLES, csrf_token

PERSON = "jo.bloggs.private@example.org"


@pytest.fixture
def listing(ctx, make_user):
    """A listing that named a person with their email, then dropped them."""
    curator = make_user("curator")
    svc = db.session.scalar(select(Service).where(Service.name == "Heatons Befriending Circle"))
    sid = svc.id
    before = history.current_state(sid)
    db.session.add(Contact(service_id=sid, name="Jo Bloggs", title="Volunteer lead", email=PERSON))
    db.session.flush()
    history.record(curator, sid, before, "update")
    before = history.current_state(sid)
    for c in db.session.scalars(select(Contact).where(Contact.service_id == sid)):
        db.session.delete(c)
    db.session.flush()
    history.record(curator, sid, before, "update")
    return sid


def test_the_public_history_and_api_leave_out_a_persons_details(client, listing):
    page = client.get(f"/services/{listing}/history")
    assert page.status_code == 200
    assert PERSON not in page.text and "Jo Bloggs" in page.text          # who, but not how to reach them
    assert "a person&#39;s contact details: not shown" in page.text
    record = client.get(f"/api/v3/services/{listing}").json
    assert PERSON not in str(record["metadata"])
    assert any(m["field_name"] == "contacts" for m in record["metadata"])
    # the organisation's own contact details stay
    svc = db.session.get(Service, listing)
    assert svc.email is None or svc.email in client.get(f"/services/{listing}").text


def test_curators_see_it_and_can_remove_it_with_a_recorded_reason(client, login_as, listing):
    curator = login_as("curator")
    assert PERSON in client.get(f"/services/{listing}/history").text
    r = client.post(f"/services/{listing}/history/redact", data={
        "value": PERSON, "reason": "Jo asked us to remove their email", "csrf_token": csrf_token(client)})
    assert r.status_code == 302
    page = client.get(f"/services/{listing}/history").text
    assert PERSON not in page and "[redacted]" in page
    assert "Jo asked us to remove their email" in page and curator.display_name in page
    stored = " ".join(v.version.snapshot + "".join(c.previous_value + c.replacement_value for c in v.changes)
                      for v in history.versions(listing))
    assert PERSON not in stored
    found = db.session.scalar(select(HistoryRedaction).where(HistoryRedaction.service_id == listing))
    assert found.occurrences >= 3 and PERSON not in found.reason


def test_a_value_still_on_the_listing_or_not_in_the_history_is_refused(client, login_as, listing, make_user):
    curator = make_user("curator")
    svc = db.session.get(Service, listing)
    with pytest.raises(Invalid):
        services.redact_history(curator, listing, "never-was-there@example.org", "typo")
    with pytest.raises(Invalid):
        services.redact_history(curator, listing, PERSON, "")
    with pytest.raises(Conflict):
        services.redact_history(curator, listing, svc.name, "still live")
    login_as("curator")
    r = client.post(f"/services/{listing}/history/redact", data={"value": PERSON, "reason": "",
                                                                   "csrf_token": csrf_token(client)})
    assert r.status_code == 422 and "Say why it is removed" in r.text and "<h1>History of" in r.text


@pytest.mark.parametrize("role", ROLES)
def test_who_may_redact(listing, make_user, role):
    user = make_user(role)
    if role in ("admin", "curator"):
        assert services.redact_history(user, listing, PERSON, "asked").occurrences
    else:
        with pytest.raises(Forbidden):
            services.redact_history(user, listing, PERSON, "asked")
