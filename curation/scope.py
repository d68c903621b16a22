"""Curators may be scoped to local authorities: such a curator acts only on listings in them.

A listing is in a local authority if one of its addresses' postcodes is there or one of its
service areas is that authority. A curator with no areas, and every admin, covers everywhere.
"""
from __future__ import annotations

from sqlalchemy import delete, select

from assets_hub.db import db
from assets_hub.directory.models import Address, Location, Service, ServiceArea, ServiceAtLocation
from assets_hub.errors import Forbidden, Invalid
from assets_hub.geo.models import LocalAuthority
from assets_hub.geo.postcodes import lookup_postcode
from assets_hub.roles import SYSTEM, require_role
from curation.models import CuratorArea


def areas_of(actor) -> set[str] | None:
    """The local authority codes a curator is limited to, or None for everywhere."""
    if actor is None or actor is SYSTEM or getattr(actor, "role", None) != "curator" or not getattr(actor, "id", None):
        return None
    codes = set(db.session.scalars(select(CuratorArea.lad_code).where(CuratorArea.user_id == actor.id)))
    return codes or None


def listing_areas(service_id: str) -> set[str]:
    session = db.session
    codes = set(session.scalars(select(ServiceArea.area_code).where(ServiceArea.service_id == service_id,
                                                                    ServiceArea.area_type == "local_authority")))
    postcodes = session.scalars(select(Address.postal_code).join(Location, Location.id == Address.location_id)
                                .join(ServiceAtLocation, ServiceAtLocation.location_id == Location.id)
                                .where(ServiceAtLocation.service_id == service_id))
    for postcode in postcodes:
        row = lookup_postcode(postcode)
        if row is not None and row.lad_code:
            codes.add(row.lad_code)
    return codes


def covers(actor, service_id: str) -> bool:
    areas = areas_of(actor)
    return areas is None or bool(areas & listing_areas(service_id))


def require_covers(actor, service_id: str | None) -> None:
    """Forbidden unless the actor may curate this listing (checked after the role check)."""
    if service_id is None or covers(actor, service_id):
        return
    names = ", ".join(sorted(db.session.scalars(select(LocalAuthority.name).where(
        LocalAuthority.lad_code.in_(areas_of(actor) or ())))))
    raise Forbidden(f"This listing is outside the areas you look after ({names}).")


def require_covers_organization(actor, organization_id: str) -> None:
    if areas_of(actor) is None:
        return
    ids = db.session.scalars(select(Service.id).where(Service.organization_id == organization_id))
    if not any(covers(actor, sid) for sid in ids):
        raise Forbidden("None of this organisation's listings is in the areas you look after.")


def require_covers_location(actor, location_id: str) -> None:
    if areas_of(actor) is None:
        return
    ids = db.session.scalars(select(ServiceAtLocation.service_id).where(ServiceAtLocation.location_id == location_id))
    if not any(covers(actor, sid) for sid in ids):
        raise Forbidden("None of the listings at this place is in the areas you look after.")


def set_areas(actor, user, names_or_codes: list[str]) -> list[str]:
    """Limit a curator to these local authorities (names or ONS codes); an empty list means everywhere.
    Admins only."""
    require_role(actor, "admin", action="set curators' areas")
    if user.role != "curator":
        raise Invalid("Only curators have areas.", {"areas": ["Not a curator."]})
    codes = []
    for raw in [x.strip() for x in names_or_codes if x.strip()]:
        found = db.session.scalar(select(LocalAuthority.lad_code).where(
            (LocalAuthority.lad_code == raw.upper()) | (LocalAuthority.name.ilike(raw))))
        if found is None:
            raise Invalid(f"No local authority called “{raw}”.", {"areas": [f"Unknown: {raw}"]})
        codes.append(found)
    db.session.execute(delete(CuratorArea).where(CuratorArea.user_id == user.id))
    db.session.add_all(CuratorArea(user_id=user.id, lad_code=c) for c in dict.fromkeys(codes))
    db.session.flush()
    return codes
