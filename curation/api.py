"""JSON endpoints for adding and changing listings: the same write path, schemas and rules as the
forms (``curation.workflow``, ``curation.listings``).

A listing's ``ETag`` is its version; ``PATCH`` with ``If-Match`` is refused (412, with what changed
since) when the listing has changed after that version, so a client never overwrites a change it
has not seen. A provider who looks after a listing may ``PATCH`` it too: their change waits for a
curator (202) unless the curator trusts them."""
from __future__ import annotations

import flask
from flask_login import current_user

from assets_hub.directory import services as directory
from assets_hub.directory.schemas import (OrganizationCreateSchema, OrganizationOutSchema, ServiceCreateSchema,
                                          ServiceOutSchema, ServiceUpdateSchema)
from assets_hub.errors import Stale
from assets_hub.forms import json_body
from assets_hub.roles import CURATORS, require_role
from curation import listings, workflow

bp = flask.Blueprint("listings_api", __name__, url_prefix="/api/directory")


def _service(service_id: str, status: int = 200):
    response = flask.make_response(ServiceOutSchema().dump(directory.get_service(service_id)), status)
    response.set_etag(f"v{listings.version_of(service_id)}")
    return response


def _if_match() -> int | None:
    """The version named by If-Match (None: no If-Match, or "*"); -1 for a tag we never gave."""
    if not flask.request.headers.get("If-Match") or flask.request.if_match.star_tag:
        return None
    for tag in flask.request.if_match.as_set(include_weak=True):
        if tag.startswith("v") and tag[1:].isdigit():
            return int(tag[1:])
    return -1


@bp.post("/organizations")
def create_organization():
    require_role(current_user, *CURATORS, action="add organisations")  # before reading: 401/403 first
    data = OrganizationCreateSchema().load(json_body())
    org = listings.create_organization(current_user, data)
    return OrganizationOutSchema().dump(org), 201


@bp.post("/services")
def create_service():
    require_role(current_user, *CURATORS, action="add services")
    data = ServiceCreateSchema().load(json_body())
    svc = listings.create_service(current_user, data)
    response = _service(svc.id, 201)
    # As the form warns: the listings this one looks like (it is created, and flagged for curators).
    body = response.get_json()
    body["possible_duplicates"] = [{"id": sid, "name": name, "reasons": why}
                                   for sid, name, why in listings.likely_duplicates(svc.id)]
    response.set_data(flask.json.dumps(body))
    return response


@bp.get("/services/<service_id>")
def get_service(service_id):
    return _service(service_id).make_conditional(flask.request)


@bp.patch("/services/<service_id>")
def update_service(service_id):
    """A curator's change is published (200, the listing); a claimant's is proposed (202) unless
    their claim is trusted. Anyone else: 401 or 403."""
    directory.get_service(service_id)
    if not (current_user.is_authenticated and current_user.role == "provider"):
        require_role(current_user, *CURATORS, action="change services")  # before reading: 401/403 first
    values = json_body()
    if current_user.role in CURATORS:
        ServiceUpdateSchema().load(values, partial=True)  # field errors (422) before the version (412)
    based_on = _if_match()
    try:
        outcome = workflow.edit_listing(current_user, service_id, values, based_on=based_on)
    except Stale as exc:
        if based_on is not None:  # the client named the version it had: RFC 9110's answer
            exc.status, exc.code = 412, "precondition_failed"
        raise
    if outcome.published:
        return _service(service_id)
    change = outcome.change
    return {"status": "pending", "change_id": change.id, "fields": change.fields.split(","),
            "message": "A curator will check this change; the listing stays as it is until then."}, 202
