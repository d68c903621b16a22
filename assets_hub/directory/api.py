"""JSON endpoints for changing listings. They call the same services with the same schemas as the forms."""
from __future__ import annotations

import flask
from flask_login import current_user
from marshmallow import Schema, fields

from assets_hub import csrf
from assets_hub.accounts.permissions import CURATORS, require_role
from assets_hub.directory import services
from assets_hub.directory.schemas import OrganizationCreateSchema, ServiceCreateSchema, ServiceUpdateSchema
from assets_hub.forms import json_body

bp = flask.Blueprint("directory_api", __name__, url_prefix="/api")


class ServiceOutSchema(Schema):
    id = fields.String()
    organization_id = fields.String()
    name = fields.String()
    description = fields.String()
    status = fields.String()
    url = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    minimum_age = fields.Integer(allow_none=True)
    maximum_age = fields.Integer(allow_none=True)
    application_process = fields.String(allow_none=True)
    last_reviewed_at = fields.DateTime(allow_none=True)
    categories = fields.Method("_categories")
    service_areas = fields.Method("_areas")
    locations = fields.Method("_locations")

    def _categories(self, s):
        return [{"id": t.id, "code": t.code, "name": t.name} for t in s.taxonomy_terms]

    def _areas(self, s):
        return [{"name": a.name, "area_type": a.area_type, "area_code": a.area_code} for a in s.service_areas]

    def _locations(self, s):
        out = []
        for sal in s.service_at_locations:
            loc = sal.location
            out.append({"id": loc.id, "name": loc.name, "latitude": loc.latitude, "longitude": loc.longitude,
                        "postal_code": loc.postal_code})
        return out


class OrganizationOutSchema(Schema):
    id = fields.String()
    name = fields.String()
    description = fields.String()
    email = fields.String(allow_none=True)
    website = fields.String(allow_none=True)


@bp.get("/session")
def session_info():
    """The CSRF token a JSON client sends back in X-CSRF-Token, and who is signed in."""
    user = None
    if current_user.is_authenticated:
        user = {"id": current_user.id, "email": current_user.email, "role": current_user.role}
    return {"csrf_token": csrf.token(), "user": user}


@bp.post("/directory/organizations")
def create_organization():
    require_role(current_user, *CURATORS, action="add organisations")  # before reading: 401/403 first
    data = OrganizationCreateSchema().load(json_body())
    org = services.create_organization(current_user, data)
    return OrganizationOutSchema().dump(org), 201


@bp.post("/directory/services")
def create_service():
    require_role(current_user, *CURATORS, action="add services")
    data = ServiceCreateSchema().load(json_body())
    svc = services.create_service(current_user, data)
    return ServiceOutSchema().dump(services.get_service(svc.id)), 201


@bp.get("/directory/services/<service_id>")
def get_service(service_id):
    return ServiceOutSchema().dump(services.get_service(service_id))


@bp.patch("/directory/services/<service_id>")
def update_service(service_id):
    require_role(current_user, *CURATORS, action="change services")
    data = ServiceUpdateSchema().load(json_body(), partial=True)
    svc = services.update_service(current_user, service_id, data)
    return ServiceOutSchema().dump(services.get_service(svc.id))
