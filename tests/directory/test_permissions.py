"""Who may add and change listings: checked in the service layer and over HTTP, for every role."""
import pytest
from sqlalchemy import select

from assets_hub.db import db
from curation import listings as services  # every change to a listing goes through curation
from assets_hub.directory.models import Organization, Service
from assets_hub.errors import Forbidden, Unauthorised
from tests.conftest import ROLES, csrf_token

ALLOWED = {"admin", "curator"}


def _org_id():
    return db.session.scalar(select(Organization.id).where(Organization.name.like("Mersey Vale%")))


@pytest.mark.parametrize("role", ROLES)
def test_service_layer_allows_only_curators_and_admins(ctx, make_user, role):
    actor = make_user(role)
    data = {"organization_id": _org_id(), "name": f"Made by {role}", "description": "A test service."}
    if role in ALLOWED:
        svc = services.create_service(actor, data)
        assert services.update_service(actor, svc.id, {"name": "Renamed"}).name == "Renamed"
        assert services.create_organization(actor, {"name": "New org"}).id
    else:
        with pytest.raises(Forbidden):
            services.create_service(actor, data)
        some = db.session.scalar(select(Service.id).limit(1))
        with pytest.raises(Forbidden):
            services.update_service(actor, some, {"name": "Renamed"})
        with pytest.raises(Forbidden):
            services.create_organization(actor, {"name": "New org"})


def test_service_layer_refuses_anonymous(ctx):
    with pytest.raises(Unauthorised):
        services.create_service(None, {"organization_id": _org_id(), "name": "x", "description": "y"})


@pytest.mark.parametrize("role", ROLES)
def test_forms_and_json_allow_only_curators_and_admins(client, login_as, role):
    login_as(role)
    form = client.post("/manage/services/new", data={
        "organization_id": _org_id(), "name": f"Form by {role}", "description": "Something useful.",
        "csrf_token": csrf_token(client)})
    api = client.post("/api/directory/services", json={
        "organization_id": _org_id(), "name": f"JSON by {role}", "description": "Something useful."},
        headers={"X-CSRF-Token": csrf_token(client)})
    made = set(db.session.scalars(select(Service.name).where(Service.name.like(f"% by {role}"))))
    if role in ALLOWED:
        assert form.status_code == 302 and api.status_code == 201
        assert made == {f"Form by {role}", f"JSON by {role}"}
    else:
        assert form.status_code == 403 and api.status_code == 403
        assert api.json["error"]["code"] == "forbidden"
        assert made == set()


def test_json_write_needs_sign_in_and_csrf(client, login_as):
    anon = client.post("/api/directory/services", json={"name": "x"}, headers={"X-CSRF-Token": csrf_token(client)})
    assert anon.status_code == 401 and anon.json["error"]["code"] == "login_required"
    login_as("curator")
    no_token = client.post("/api/directory/services", json={"name": "x"})
    assert no_token.status_code == 400 and no_token.json["error"]["code"] == "csrf_failed"
