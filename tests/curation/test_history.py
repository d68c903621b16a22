"""History: every change through the app is a version with field-level old and new values;
any version can be restored (itself a new version); who may restore, for every role."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from assets_hub.roles import SYSTEM
from assets_hub.db import db
from curation import listings
from assets_hub.directory.models import Service
from assets_hub.errors import Forbidden, Unauthorised
from curation import history
from curation.services import restore_version
from tests.conftest import ROLES, csrf_token


def befriending_id() -> str:
    return db.session.scalar(select(Service.id).where(Service.name == "Heatons Befriending Circle"))


def test_an_edit_records_who_when_which_fields_old_and_new(ctx, make_user):
    curator = make_user("curator")
    sid = befriending_id()
    listings.update_service(curator, sid, {"name": "Heatons Befriending", "minimum_age": 55})
    views = history.versions(sid)
    assert len(views) == 1 and views[0].version.action == "update"
    assert views[0].version.updated_by == "Test curator (curator)"  # a name and role, never an email
    fields = {c.field_name: (c.previous_value, c.replacement_value) for c in views[0].changes}
    assert fields["name"] == ("Heatons Befriending Circle", "Heatons Befriending")
    assert fields["minimum_age"][1] == "55"
    assert set(fields) == {"name", "minimum_age"}
    # nothing changed -> no new version
    listings.update_service(curator, sid, {"name": "Heatons Befriending"})
    assert len(history.versions(sid)) == 1


def test_create_is_version_one(ctx, make_user):
    curator = make_user("curator")
    org = db.session.scalar(select(Service.organization_id).where(Service.name == "Heatons Befriending Circle"))
    svc = listings.create_service(curator, {"organization_id": org, "name": "Knit and Natter", "status": "active",
                                            "description": "A friendly knitting group."})
    views = history.versions(svc.id)
    assert [v.version.number for v in views] == [1] and views[0].version.action == "create"
    assert views[0].record["name"] == "Knit and Natter"


def test_restore_brings_back_an_earlier_version_as_a_new_one(ctx, make_user):
    curator = make_user("curator")
    sid = befriending_id()
    listings.update_service(curator, sid, {"name": "Second name", "phone": "0161 496 0999"})
    listings.update_service(curator, sid, {"name": "Third name"})
    assert [v.version.number for v in history.versions(sid)] == [2, 1]
    # version 1 is the first change; restore the state before any change is not a version, so
    # restore version 1 ("Second name", new phone) from version 2 ("Third name")
    assert restore_version(curator, sid, 1) is True
    svc = db.session.get(Service, sid)
    db.session.refresh(svc)
    assert svc.name == "Second name" and [p.number for p in svc.phones] == ["0161 496 0999"]
    views = history.versions(sid)
    assert views[0].version.number == 3 and views[0].version.action == "restore"
    assert views[0].version.note == "Restored version 1"
    assert {c.field_name for c in views[0].changes} == {"name"}
    # the public page shows it
    assert "Second name" in ctx.test_client().get(f"/services/{sid}").text


@pytest.mark.parametrize("role", ROLES)
def test_who_may_restore(ctx, make_user, role):
    curator = make_user("curator")
    sid = befriending_id()
    listings.update_service(curator, sid, {"name": "Changed"})
    listings.update_service(curator, sid, {"name": "Changed again"})
    user = make_user(role)
    if role in ("admin", "curator"):
        assert restore_version(user, sid, 1)
    else:
        with pytest.raises(Forbidden):
            restore_version(user, sid, 1)
    with pytest.raises(Unauthorised):
        restore_version(None, sid, 1)


def test_history_page_and_restore_over_http(client, login_as):
    sid = befriending_id()
    listings.update_service(SYSTEM, sid, {"name": "Heatons Befrienders"})
    page = client.get(f"/services/{sid}/history")
    assert page.status_code == 200
    assert "Heatons Befriending Circle" in page.text and "Heatons Befrienders" in page.text
    assert "Restore version" not in page.text  # not signed in
    login_as("provider")
    assert client.post(f"/services/{sid}/history/1/restore", data={"csrf_token": csrf_token(client)}).status_code == 403
    link = client.get(f"/services/{sid}")
    assert f"/services/{sid}/history" in link.text


def test_curator_restores_over_http(client, login_as):
    sid = befriending_id()
    listings.update_service(SYSTEM, sid, {"name": "First change"})
    listings.update_service(SYSTEM, sid, {"name": "Second change"})
    login_as("curator")
    page = client.get(f"/services/{sid}/history")
    assert "Restore version 1" in page.text and "Restore version 2" not in page.text  # the newest is current
    response = client.post(f"/services/{sid}/history/1/restore", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert "First change" in client.get(f"/services/{sid}").text
    assert "Restored version 1" in client.get(f"/services/{sid}/history").text


def test_saving_the_edit_form_unchanged_records_nothing(client, login_as):
    """The form sends every field; only real changes may reach the history."""
    import re
    sid = befriending_id()
    login_as("curator")
    form = client.get(f"/manage/services/{sid}/edit").text
    data = dict(re.findall(r'<input id="([a-z_0-9]+)" name="[a-z_0-9]+" type="(?:text|url|email|tel|number)" value="([^"]*)"', form))
    data.update(re.findall(r'<textarea id="([a-z_0-9]+)"[^>]*>([^<]*)</textarea>', form))
    data["organization_id"] = re.search(r'<option value="([^"]+)" selected', form).group(1)
    data["status"] = "active"
    for multi in ("categories", "languages", "accessibility"):
        data[multi] = re.findall(rf'name="{multi}" value="([^"]+)"\s*checked', form)
    for flag in re.findall(r'name="([a-z_]+)" (?:value="on" )?checked', form):
        data.setdefault(flag, "on")
    data = {k: v.replace("&amp;", "&").replace("&#39;", "'") if isinstance(v, str) else v for k, v in data.items()}
    data["csrf_token"] = csrf_token(client)
    response = client.post(f"/manage/services/{sid}/edit", data=data)
    assert response.status_code == 302, response.text[:2000]
    changed = [(c.field_name, c.previous_value[:200], c.replacement_value[:200])
               for v in history.versions(sid) for c in v.changes]
    assert changed == []
    assert len(data) > 10


def test_creating_an_organisation_is_recorded(ctx, make_user):
    from curation.models import ListingChange
    org = listings.create_organization(make_user("curator"), {"name": "Heaton Moor Knitters", "description": "A group"})
    rows = db.session.scalars(select(ListingChange).where(ListingChange.resource_id == org.id)).all()
    assert {(r.resource_type, r.last_action_type, r.field_name, r.replacement_value) for r in rows} >= {
        ("organization", "create", "name", "Heaton Moor Knitters")}
    assert rows[0].updated_by == "Test curator (curator)"


def test_the_history_reads_as_labels_and_lines_with_what_changed_marked(client, login_as):
    sid = befriending_id()
    listings.update_service(SYSTEM, sid, {"phone": "0161 555 0199", "minimum_age": 55})
    page = client.get(f"/services/{sid}/history").text
    assert "<th scope=\"row\">Phone numbers</th>" in page and "<th scope=\"row\">Youngest age</th>" in page
    assert "<ins>0161 555 0199</ins> <span class=\"tag\">added</span>" in page
    assert "<span class=\"tag\">removed</span>" in page  # the number it had before
    assert "&#34;number&#34;" not in page and '"number"' not in page  # no stored JSON on show


def test_the_listing_as_first_loaded_can_be_restored_after_seeing_what_changes(client, login_as):
    sid = befriending_id()
    listings.update_service(SYSTEM, sid, {"name": "Heatons Befrienders", "minimum_age": 60})
    listings.update_service(SYSTEM, sid, {"name": "Heatons Befrienders Club"})
    login_as("curator")
    page = client.get(f"/services/{sid}/history").text
    assert "As first loaded" in page and "Restore the listing as first loaded" in page
    confirm = client.get(f"/services/{sid}/history/0/restore")
    assert confirm.status_code == 200
    text = confirm.text
    assert "Restore the listing as first loaded of Heatons Befrienders Club?" in text
    assert "Heatons Befrienders Club" in text and "Heatons Befriending Circle" in text and "Youngest age" in text
    assert db.session.get(Service, sid).name == "Heatons Befrienders Club"  # looking changes nothing
    done = client.post(f"/services/{sid}/history/0/restore", data={"csrf_token": csrf_token(client)})
    assert done.status_code == 302
    db.session.expire_all()
    restored = db.session.get(Service, sid)
    assert restored.name == "Heatons Befriending Circle" and restored.minimum_age == 50
    assert "Restored the listing as first loaded" in client.get(f"/services/{sid}/history").text


def test_a_listing_created_here_has_no_earlier_state(ctx, make_user):
    from assets_hub.errors import NotFound
    curator = make_user("curator")
    org = db.session.scalar(select(Service.organization_id).where(Service.name == "Heatons Befriending Circle"))
    svc = listings.create_service(curator, {"organization_id": org, "name": "Brand new", "description": "New.",
                                            "postcode": "SK4 4AA", "address_1": "1 Road", "city": "Stockport"})
    with pytest.raises(NotFound):
        restore_version(curator, svc.id, 0)


@pytest.mark.parametrize("role", ROLES)
def test_who_may_see_the_restore_confirmation(client, login_as, role):
    sid = befriending_id()
    listings.update_service(SYSTEM, sid, {"name": "Heatons Befrienders"})
    listings.update_service(SYSTEM, sid, {"name": "Heatons Befrienders Club"})
    login_as(role)
    response = client.get(f"/services/{sid}/history/1/restore")
    assert response.status_code == (200 if role in ("admin", "curator") else 403)
