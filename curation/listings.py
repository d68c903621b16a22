"""Writing a listing: the one way every change reaches a service or an organisation.

The forms, the JSON API, approvals of queued changes and trusted claimants all call these, so
each change is checked (role, the curator's areas, the version it was made against), written
through the directory's builders, recorded as a version in the history and checked for
duplicates, in the caller's transaction. Who may propose rather than publish is decided one
level up, in ``curation.workflow``.
"""
from __future__ import annotations

import hashlib
import json

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from assets_hub.db import db
from assets_hub.directory import records, schedules, services as directory
from assets_hub.directory.models import Location, Organization, Service, ServiceAtLocation
from assets_hub.errors import Conflict, Forbidden, Invalid, NotFound, Stale
from assets_hub.roles import CURATORS, require_role
from curation import duplicates, history, scope
from curation.models import ListingChange, ListingVersion

# The edit form's fields that are lists, and its tick boxes.
MULTI = ("categories", "languages", "accessibility")
FLAGS = ("self_referral", "professional_referral", "delivered_in_person", "delivered_online", "delivered_by_phone")
# Fields that only make sense together: a proposal changing one carries the others as they are in
# the form (a new postcode with its street; a drawn area with its name).
TOGETHER = (("postcode", "address_1", "address_2", "city", "location_name", "latitude", "longitude"),
            ("area_geojson", "area_name"))


# ------------------------------------------------------------------ versions

def version_of(service_id: str) -> int:
    """The number of the listing's latest version (0 before its first)."""
    return db.session.scalar(select(func.coalesce(func.max(ListingVersion.number), 0))
                             .where(ListingVersion.service_id == service_id))


def changes_since(service_id: str, number: int) -> list[str]:
    """What changed after version ``number``, one line per version: "name, phones (Sam (curator), 7 Dec 2026)"."""
    rows = db.session.execute(
        select(ListingVersion.number, ListingVersion.updated_by, ListingVersion.created_at, ListingChange.field_name)
        .outerjoin(ListingChange, ListingChange.version_id == ListingVersion.id)
        .where(ListingVersion.service_id == service_id, ListingVersion.number > number)
        .order_by(ListingVersion.number, ListingChange.field_name)).all()
    lines: dict[int, tuple[str, str, list[str]]] = {}
    for n, who, when, field in rows:
        entry = lines.setdefault(n, (who, when.strftime("%-d %b %Y %H:%M"), []))
        if field:
            entry[2].append(field.replace("_", " "))
    return [f"{', '.join(fields) or 'the listing'} ({who}, {when})" for who, when, fields in lines.values()]


def require_current(service_id: str, based_on: int | None) -> None:
    """Refuse a change made to an older version than the latest (None: the caller did not say)."""
    if based_on is None:
        return
    now = version_of(service_id)
    if now != based_on:
        raise Stale("Someone changed this listing after you opened it, so your changes were not saved. "
                    "Check what they changed, then save again.", now, changes_since(service_id, based_on))


# ------------------------------------------------------------------ writing

def create_organization(actor, data: dict) -> Organization:
    """Add an organisation. Curators and admins only. Raises Unauthorised, Forbidden."""
    require_role(actor, *CURATORS, action="add organisations")
    org = directory.new_organization(data)
    history.record_organization(actor, org, "create")
    return org


class LikelyDuplicate(Conflict):
    """A new listing looks like one already there: ``matches`` are (id, name, reasons)."""

    def __init__(self, matches: list[tuple[str, str, str]]):
        super().__init__("This looks like a listing we already have. Check it, and save again only if this is a "
                         "different service.", {"not_duplicate": ["Check the listings below first."]})
        self.matches = matches


ORG_EDITABLE = ("name", "description", "email", "website", "legal_status", "phone")


def organization_state(org: Organization) -> dict:
    """An organisation as its edit form and its change log compare it."""
    brief = {k: v for k, v in records.organization_brief(org).items() if k in ORG_EDITABLE}
    brief["phone"] = org.phones[0].number if org.phones else None
    return {k: brief.get(k) for k in ORG_EDITABLE}


def organization_stamp(org: Organization) -> str:
    """What the edit form carries to know whether someone saved a change since it was opened."""
    return hashlib.sha256(json.dumps(organization_state(org), sort_keys=True, default=str).encode()).hexdigest()[:16]


def update_organization(actor, org_id: str, data: dict, based_on: str | None = None,
                        action: str = "update") -> Organization:
    """Change an organisation's own details (name, description, contact details, legal status).
    Curators and admins, where one of its listings is in their areas. ``based_on``: the stamp
    the form was opened at (someone saved since: Stale, naming what they changed). Every changed
    field goes into the organisation's change log with its old and new value.
    Raises Unauthorised, Forbidden, NotFound, Stale."""
    require_role(actor, *CURATORS, action="change organisations")
    org = directory.get_organization(org_id)
    scope.require_covers_organization(actor, org.id)
    before = organization_state(org)
    if based_on is not None and based_on != organization_stamp(org):
        raise Stale("Someone changed this organisation after you opened it, so your changes were not saved. "
                    "Check what it says now, then save again.", organization_stamp(org),
                    [f"{field.replace('_', ' ')}: now “{value or ''}”" for field, value in before.items()
                     if data.get(field) != value and field in data])
    directory.change_organization(org, data)
    history.record_shared(actor, "organization", org.id, history.normalise(before),
                          history.normalise(organization_state(org)), action)
    return org


def organization_before(org_id: str, change_id: str) -> dict:
    """The organisation's own details as they were just before the change holding change row
    ``change_id`` (an entry of its history): what it says now, with that change and every later
    one undone from their old values. Raises NotFound (no such change), Invalid (its creation)."""
    org = directory.get_organization(org_id)
    return _before_change("organization", org.id, organization_state(org), change_id, "This organisation")


def _before_change(resource_type: str, resource_id: str, state: dict, change_id: str, what: str) -> dict:
    """``state`` (a shared record's details now) with the change holding row ``change_id`` and every
    later one undone from their old values. Raises NotFound (no such change), Invalid (its creation)."""
    entries = history.shared_entries(resource_type, resource_id)  # newest first
    target = next((e for e in entries if any(c.id == change_id for c in e.changes)), None)
    if target is None:
        raise NotFound(f"{what} has no such change.")
    if target.action == "create":
        raise Invalid(f"That is when {what.lower()} was added: there is nothing before it to go back to.",
                      {"_form": ["Choose a later change."]})
    for entry in entries:
        for change in entry.changes:
            if change.field_name in state:
                state[change.field_name] = change.previous_value or None
        if entry is target:
            break
    return state


def restore_organization(actor, org_id: str, change_id: str) -> Organization:
    """Undo an organisation's change and every later one, through the same write as the edit form
    (so the restore is itself a change in its history). Curators and admins, in their areas."""
    require_role(actor, *CURATORS, action="restore organisations")
    return update_organization(actor, org_id, organization_before(org_id, change_id), action="restore")


# ------------------------------------------------------------------ places (locations)

LOCATION_EDITABLE = ("name", "address_1", "address_2", "city", "postal_code", "latitude", "longitude",
                     "accessibility")


def location_state(location: Location) -> dict[str, str | None]:
    """A place's own details as its change log keeps them (text): what every listing held there
    shows, so a change made through one listing is seen in the place's history too."""
    address = location.addresses[0] if location.addresses else None

    def text(value):
        return None if value in (None, "") else str(value)
    return {"name": text(location.name), "address_1": text(address and address.address_1),
            "address_2": text(address and address.address_2), "city": text(address and address.city),
            "postal_code": text(address and address.postal_code), "latitude": text(location.latitude),
            "longitude": text(location.longitude),
            "accessibility": ", ".join(sorted(a.details for a in location.accessibility)) or None}


def _location_states(service_id: str) -> dict[str, dict]:
    locations = db.session.scalars(select(Location).join(ServiceAtLocation, ServiceAtLocation.location_id == Location.id)
                                   .where(ServiceAtLocation.service_id == service_id)
                                   .options(selectinload(Location.addresses), selectinload(Location.accessibility)))
    return {loc.id: location_state(loc) for loc in locations}


def record_locations(actor, before: dict[str, dict], service_id: str, action: str) -> None:
    """Write into each place's own change log what a change to one of its listings did to it.
    Called after ``history.record``, which has flushed the change and reloaded the rows."""
    for location_id, after in _location_states(service_id).items():
        if before.get(location_id, after) != after:
            history.record_shared(actor, "location", location_id, before[location_id], after, action)


def location_before(location_id: str, change_id: str) -> dict:
    """A place's own details just before the change holding change row ``change_id``: what it says
    now, with that change and every later one undone. Raises NotFound (no such change)."""
    location = directory.get_location(location_id)
    return _before_change("location", location.id, location_state(location), change_id, "This place")


def restore_location(actor, location_id: str, change_id: str) -> Location:
    """Undo a change to a place (and every later one): its name, address, map position and
    accessibility, as every listing held there shows them. Recorded in the place's history like
    any change. Curators and admins, where a listing held there is in their areas."""
    require_role(actor, *CURATORS, action="restore places")
    location = directory.get_location(location_id)
    scope.require_covers_location(actor, location.id)
    target = location_before(location.id, change_id)
    before = location_state(location)
    directory.change_location(location, target)
    db.session.expire_all()
    location = directory.get_location(location_id)
    history.record_shared(actor, "location", location.id, before, location_state(location), "restore")
    return location


def likely_duplicates(service_id: str) -> list[tuple[str, str, str]]:
    """The listings this one looks like (the duplicate checks): (id, name, why), by id."""
    pairs = duplicates.find_for([service_id])
    others = {(b if a == service_id else a): ", ".join(sorted(r)) for (a, b), r in pairs.items()}
    if not others:
        return []
    names = dict(db.session.execute(select(Service.id, Service.name).where(Service.id.in_(others))).all())
    return sorted((sid, names.get(sid, ""), why) for sid, why in others.items())


def create_service(actor, data: dict, note: str | None = None, warn_duplicates: bool = False) -> Service:
    """Add a service with its location, categories and areas. Curators and admins only, in their
    areas. ``warn_duplicates``: refuse (LikelyDuplicate, naming the listings it resembles) if it
    looks like one already there, so the person can check before saving again.
    Raises Unauthorised, Forbidden, Invalid (naming the field), LikelyDuplicate."""
    require_role(actor, *CURATORS, action="add services")
    service = directory.new_service(data)
    # Like every other action, creating is limited to the curator's areas: judged on the listing
    # as written (its address and areas); refused, the request rolls the whole of it back.
    if not scope.covers(actor, service.id):
        message = ("You can add listings only in the areas you look after. Give an address or an area "
                   "there, or ask a curator who looks after that area.")
        raise Forbidden(message, {"_form": [message]})
    if warn_duplicates:
        matches = likely_duplicates(service.id)
        if matches:
            raise LikelyDuplicate(matches)
    history.record(actor, service.id, None, "create", note)
    duplicates.flag([service.id])
    return service


def update_service(actor, service_id: str, data: dict, note: str | None = None,
                   based_on: int | None = None) -> Service:
    """Change the fields present in ``data``. Curators and admins only (within their areas).
    ``based_on``: the version the change was made against; a later one refuses it (Stale).
    ``note`` goes into the history entry (e.g. who proposed an approved change).

    Raises Unauthorised, Forbidden, NotFound, Invalid, Stale.
    """
    require_role(actor, *CURATORS, action="change services")
    scope.require_covers(actor, service_id)
    return publish(actor, service_id, data, note, based_on)


def publish(author, service_id: str, data: dict, note: str | None = None, based_on: int | None = None) -> Service:
    """Write a change whose permission the caller has checked (``update_service`` for curators,
    the workflow for a trusted claimant) and record it as ``author`` in the history."""
    require_current(service_id, based_on)
    before = history.current_state(service_id)
    places = _location_states(service_id)
    service = directory.get_service(service_id)
    directory.change_service(service, data)
    history.record(author, service.id, before, "update", note)
    record_locations(author, places, service_id, "update")
    return directory.get_service(service.id)


# ------------------------------------------------------------------ the edit form's values

def service_form_values(svc: Service) -> dict:
    """A listing as the edit form shows it (and as proposals are compared with)."""
    values = {f: getattr(svc, f) for f in directory.SERVICE_FIELDS}
    for flag in FLAGS:
        values[flag] = "on" if values[flag] else None
    values["languages"] = [lang.code for lang in svc.languages]
    values["accessibility"] = sorted({a.details for sal in svc.service_at_locations
                                      for a in sal.location.accessibility})
    values.update(organization_id=svc.organization_id,
                  phone=svc.phones[0].number if svc.phones else None,
                  is_free="on" if any(c.amount == 0 for c in svc.cost_options) else None,
                  categories=[a.taxonomy_term_id for a in svc.attributes],
                  areas=", ".join(a.name for a in svc.service_areas if a.area_code),
                  schedules=schedules.values_of(svc))
    drawn = [a for a in svc.service_areas if a.area_type == "geojson"]
    if drawn:
        values.update(area_name=drawn[0].name, area_geojson=drawn[0].extent)
    if svc.service_at_locations:
        loc = svc.service_at_locations[0].location
        values["location_name"] = loc.name
        if not loc.addresses:  # coordinates only when there is no postcode to place it from
            values.update(latitude=loc.latitude, longitude=loc.longitude)
        else:
            a = loc.addresses[0]
            values.update(address_1=a.address_1, address_2=a.address_2, city=a.city, postcode=a.postal_code)
    return {k: v for k, v in values.items() if v is not None}


def same(value) -> object:
    """A form value compared as a person reads it: empty is empty, lists in any order, text trimmed."""
    if value in (None, "", [], "off", False):
        return None
    if value is True:
        return "on"
    if isinstance(value, list):
        return sorted(str(v) for v in value)
    return str(value).strip()


def changed_fields(current: dict, proposed: dict) -> list[str]:
    """The fields of ``proposed`` whose value differs from ``current``."""
    return [k for k in proposed if same(proposed[k]) != same(current.get(k))]


def with_companions(fields: list[str], values: dict) -> list[str]:
    """``fields`` and, for each, the fields that go with it (``TOGETHER``) that ``values`` has."""
    out = list(dict.fromkeys(fields))
    for group in TOGETHER:
        if any(f in out for f in group):
            out += [f for f in group if f in values and f not in out]
    return out
