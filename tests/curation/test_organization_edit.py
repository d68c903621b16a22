"""Curators edit an organisation's own details; each change is in its own history, old and new side
by side; a save over someone else's change is refused; bad input names the field; every role."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory.models import Organization, Service
from curation import listings
from tests.conftest import ROLES, csrf_token


def org() -> Organization:
    return db.session.scalar(select(Service).where(Service.name == "Heatons Befriending Circle")).organization


def form(client, o: Organization) -> dict:
    html = client.get(f"/manage/organizations/{o.id}/edit").text
    data = {"csrf_token": csrf_token(client)}
    for name, value in re.findall(r'<input id="[^"]*" name="([^"]+)" type="[^"]+" value="([^"]*)"', html):
        data[name] = value
    data["stamp"] = re.search(r'name="stamp" value="([^"]+)"', html).group(1)
    data["description"] = re.search(r'<textarea id="description" name="description"[^>]*>([^<]*)</textarea>',
                                    html).group(1)
    return data


def test_a_curator_renames_an_organisation_and_its_history_shows_old_and_new(client, login_as):
    login_as("curator")
    o = org()
    old_name = o.name
    data = form(client, o)
    assert data["name"] == old_name
    data.update(name="Heatons Befriending Trust", phone="0161 555 0123")
    response = client.post(f"/manage/organizations/{o.id}/edit", data=data)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, o.id).name == "Heatons Befriending Trust"
    page = client.get(f"/organizations/{o.id}/history").text
    assert "<th scope=\"row\">Name</th>" in page
    assert f"<del>{old_name}</del>" in page.replace("&#39;", "'") and "<ins>Heatons Befriending Trust</ins>" in page
    assert "0161 555 0123" in page
    # the services show the new name
    service_page = client.get("/search?what=befriending&where=SK4+2").text
    assert "Heatons Befriending Trust" in service_page


def test_bad_input_names_the_field_and_changes_nothing(client, login_as):
    login_as("curator")
    o = org()
    name_before, org_id = o.name, o.id
    data = form(client, o)
    data.update(name="", website="not a web address")
    response = client.post(f"/manage/organizations/{o.id}/edit", data=data)
    assert response.status_code == 422
    assert "Enter the organisation&#39;s name." in response.text or "Enter the organisation's name." in response.text
    assert "starting with https://" in response.text
    db.session.expire_all()
    assert db.session.get(Organization, org_id).name == name_before


def test_a_save_over_someone_elses_change_is_refused(client, login_as, make_user):
    login_as("curator")
    o = org()
    opened = form(client, o)
    listings.update_organization(make_user("curator"), o.id, {"description": "Changed by someone else."})
    db.session.flush()
    opened.update(name="Mine")
    response = client.post(f"/manage/organizations/{o.id}/edit", data=opened)
    assert response.status_code == 409 and "Someone changed this organisation" in response.text
    assert "Changed by someone else." in response.text
    db.session.expire_all()
    assert db.session.get(Organization, o.id).name != "Mine"
    # the form now carries the stamp of what it showed, so saving again (having seen theirs) is allowed
    shown = re.search(r'name="stamp" value="([^"]+)"', response.text).group(1)
    assert shown != opened["stamp"]


@pytest.mark.parametrize("role", ROLES)
def test_who_may_edit_organisations(client, login_as, role):
    login_as(role)
    org_id = org().id
    page = client.get(f"/manage/organizations/{org_id}/edit")
    assert page.status_code == (200 if role in ("admin", "curator") else 403)
    assert client.get(f"/organizations/{org_id}/history").status_code == 200  # the history is public


def test_an_organisations_change_can_be_undone_after_seeing_what_changes(client, login_as, make_user):
    curator = make_user("curator")
    o = org()
    first_name, org_id = o.name, o.id
    listings.update_organization(curator, org_id, {"name": "Renamed once", "email": "hello@example.org"})
    db.session.flush()
    import time
    time.sleep(1.1)  # (the history groups one person's changes within the same second as one)
    listings.update_organization(curator, org_id, {"name": "Renamed twice"})
    db.session.flush()
    login_as("curator")
    page = client.get(f"/organizations/{org_id}/history").text
    links = re.findall(rf'/organizations/{org_id}/history/([0-9a-f-]+)/restore', page)
    assert len(links) == 2  # newest first: "Renamed twice", then "Renamed once"
    confirm = client.get(f"/organizations/{org_id}/history/{links[1]}/restore")
    assert confirm.status_code == 200
    assert "Renamed twice" in confirm.text and first_name.replace("'", "&#39;") in confirm.text
    assert db.session.get(Organization, org_id).name == "Renamed twice"  # looking changes nothing
    done = client.post(f"/organizations/{org_id}/history/{links[1]}/restore", data={"csrf_token": csrf_token(client)})
    assert done.status_code == 302
    db.session.expire_all()
    back = db.session.get(Organization, org_id)
    assert back.name == first_name and back.email != "hello@example.org"
    assert "restore" in client.get(f"/organizations/{org_id}/history").text


@pytest.mark.parametrize("role", ["provider", "link_worker", "member"])
def test_only_curators_undo_an_organisations_change(client, login_as, make_user, role):
    listings.update_organization(make_user("curator"), org().id, {"name": "Renamed"})
    db.session.flush()
    org_id = org().id
    from curation import history
    change_id = history.organization_entries(org_id)[0].changes[0].id
    login_as(role)
    assert client.get(f"/organizations/{org_id}/history/{change_id}/restore").status_code == 403
    assert client.post(f"/organizations/{org_id}/history/{change_id}/restore",
                       data={"csrf_token": csrf_token(client)}).status_code == 403
