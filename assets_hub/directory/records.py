"""Our listings as Open Referral HSDS 3.0 records (the shapes of schema/compiled/*.json).

Fields with no value are left out rather than sent as null: the HSDS schemas type them as plain
strings/numbers, so ``null`` would not validate. Assets Hub's own fields that HSDS has no place
for are sent as extra properties (the schemas allow them) and are listed in the OpenAPI document
under ``x-assets-hub-extensions``.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from assets_hub.db import db, one_of
from assets_hub.directory.models import (Accessibility, Address, Attribute, Contact, CostOption, Language, Location,
                                         Organization, Phone, Schedule, Service, ServiceArea, ServiceAtLocation,
                                         Taxonomy, TaxonomyTerm)


def iso_text(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _clean(record: dict) -> dict:
    return {k: iso_text(v) for k, v in record.items() if v is not None}


def _fields(obj, names) -> dict:
    return {name: getattr(obj, name) for name in names}


def phone(p: Phone) -> dict:
    out = _clean(_fields(p, ("id", "organization_id", "service_id", "location_id", "service_at_location_id",
                             "contact_id", "number", "type", "description")))
    if p.extension and p.extension.isdigit():
        out["extension"] = int(p.extension)  # HSDS types it as a number
    elif p.extension:
        out["description"] = " ".join(filter(None, [p.description, f"extension {p.extension}"]))
    return out


def schedule(s: Schedule) -> dict:
    return _clean(_fields(s, ("id", "service_id", "location_id", "service_at_location_id", "valid_from", "valid_to",
                              "dtstart", "until", "count", "freq", "interval", "byday", "bymonthday", "opens_at",
                              "closes_at", "description", "notes", "attending_type")))


def contact(c: Contact) -> dict:
    return _clean(_fields(c, ("id", "organization_id", "service_id", "location_id", "service_at_location_id",
                              "name", "title", "department", "email")))


def language(lang: Language) -> dict:
    return _clean(_fields(lang, ("id", "service_id", "location_id", "phone_id", "name", "code", "note")))


def cost_option(c: CostOption) -> dict:
    out = _clean(_fields(c, ("id", "service_id", "option", "currency", "amount_description", "valid_from",
                             "valid_to")))
    if c.amount is not None:
        out["amount"] = float(c.amount)
    return out


def service_area(a: ServiceArea) -> dict:
    # area_type and area_code (an ONS code) are our extension: how a named area is matched.
    return _clean(_fields(a, ("id", "service_id", "name", "description", "extent", "extent_type", "uri",
                              "area_type", "area_code")))


def taxonomy(t: Taxonomy) -> dict:
    return _clean(_fields(t, ("id", "name", "description", "uri", "version")))


def taxonomy_term(t: TaxonomyTerm, taxonomy_name: str | None = None) -> dict:
    out = _clean(_fields(t, ("id", "code", "name", "description", "parent_id", "taxonomy_id", "term_uri")))
    if taxonomy_name:
        out["taxonomy"] = taxonomy_name
    return out


def attribute(a: Attribute, link_entity: str, link_id: str) -> dict:
    out = _clean({"id": a.id, "link_id": link_id, "link_type": "taxonomy", "link_entity": link_entity,
                  "taxonomy_term_id": a.taxonomy_term_id, "value": a.value})
    out["taxonomy_term"] = taxonomy_term(a.taxonomy_term, a.taxonomy_term.taxonomy.name)
    return out


def address(a: Address) -> dict:
    return _clean(_fields(a, ("id", "location_id", "attention", "address_1", "address_2", "city", "region",
                              "state_province", "postal_code", "country", "address_type")))


def accessibility(a: Accessibility) -> dict:
    return _clean(_fields(a, ("id", "location_id", "description", "details", "url")))


LOCATION_FIELDS = ("id", "location_type", "url", "organization_id", "name", "alternate_name", "description",
                   "transportation", "latitude", "longitude", "external_identifier", "external_identifier_type")


def location(loc: Location) -> dict:
    out = _clean(_fields(loc, LOCATION_FIELDS))
    out["addresses"] = [address(a) for a in loc.addresses]
    out["accessibility"] = [accessibility(a) for a in loc.accessibility]
    out["phones"] = [phone(p) for p in loc.phones]
    out["schedules"] = [schedule(s) for s in loc.schedules]
    return out


ORG_FIELDS = ("id", "name", "alternate_name", "description", "email", "website", "legal_status",
              "parent_organization_id")
SERVICE_FIELDS = ("id", "organization_id", "name", "alternate_name", "description", "url", "email", "status",
                  "interpretation_services", "application_process", "fees_description", "eligibility_description",
                  "minimum_age", "maximum_age", "alert")
# Our extension: how people get to a service and how it is delivered (search filters).
SERVICE_EXTENSIONS = ("self_referral", "professional_referral", "delivered_in_person", "delivered_online",
                      "delivered_by_phone")


def organization_brief(o: Organization) -> dict:
    return _clean(_fields(o, ORG_FIELDS))


def service_brief(s: Service) -> dict:
    """The one-to-one fields (schema/compiled/service_list.json)."""
    out = _clean(_fields(s, SERVICE_FIELDS + SERVICE_EXTENSIONS))
    out["last_modified"] = iso_text(s.updated_at)
    if s.last_reviewed_at is not None:
        out["assured_date"] = s.last_reviewed_at.date().isoformat()
    return out


def service_minimal(s: Service) -> dict:
    # HSDS asks for id and modification time; name and status are kept because the list schema
    # requires them.
    return {"id": s.id, "name": s.name, "status": s.status, "last_modified": iso_text(s.updated_at)}


def service_at_location_brief(sal: ServiceAtLocation) -> dict:
    return _clean(_fields(sal, ("id", "service_id", "location_id", "description")))


def service_full(s: Service, with_organization: bool = True) -> dict:
    """A fully nested service (schema/compiled/service.json)."""
    out = service_brief(s)
    out["phones"] = [phone(p) for p in s.phones]
    out["schedules"] = [schedule(x) for x in s.schedules]
    out["service_areas"] = [service_area(a) for a in s.service_areas]
    out["service_at_locations"] = [
        {**service_at_location_brief(sal), "schedules": [schedule(x) for x in sal.schedules],
         "location": location(sal.location)} for sal in s.service_at_locations]
    out["languages"] = [language(x) for x in s.languages]
    out["cost_options"] = [cost_option(c) for c in s.cost_options]
    out["contacts"] = [contact(c) for c in s.contacts]
    out["attributes"] = [attribute(a, "service", s.id) for a in s.attributes]
    if with_organization:
        out["organization"] = organization_brief(s.organization)
    return out


def organization_full(o: Organization, services: list[Service], full_service: bool) -> dict:
    out = organization_brief(o)
    out["phones"] = [phone(p) for p in o.phones]
    out["locations"] = [location(loc) for loc in o.locations]
    out["services"] = [service_full(s, with_organization=False) if full_service else service_brief(s)
                       for s in services]
    return out


def service_at_location_full(sal: ServiceAtLocation) -> dict:
    out = service_at_location_brief(sal)
    out["schedules"] = [schedule(x) for x in sal.schedules]
    out["location"] = location(sal.location)
    out["service"] = service_full(sal.service)
    return out


def service_at_location_listed(sal: ServiceAtLocation, full: bool) -> dict:
    """A list item (schema/compiled/service_at_location_list.json): brief location and service."""
    if full:
        return service_at_location_full(sal)
    out = service_at_location_brief(sal)
    out["location"] = _clean(_fields(sal.location, ("id", "location_type", "name", "latitude", "longitude")))
    out["service"] = service_brief(sal.service)
    return out


# ------------------------------------------------------------------ loading a record's rows

def location_options(path):
    return [path.selectinload(Location.addresses), path.selectinload(Location.accessibility),
            path.selectinload(Location.phones), path.selectinload(Location.schedules)]


def full_service_options(prefix=None):
    """Eager loads for a fully nested service (one query per relation, not per row)."""
    def p(rel):
        return prefix.selectinload(rel) if prefix is not None else selectinload(rel)
    sal = p(Service.service_at_locations)
    return [p(Service.organization), p(Service.phones), p(Service.schedules), p(Service.service_areas),
            p(Service.languages), p(Service.cost_options), p(Service.contacts),
            p(Service.attributes).selectinload(Attribute.taxonomy_term).selectinload(TaxonomyTerm.taxonomy),
            sal.selectinload(ServiceAtLocation.schedules),
            *location_options(sal.selectinload(ServiceAtLocation.location))]


# ------------------------------------------------------------------ reading records without the ORM

class Node:
    """A stored row as a record reads it: its columns as attributes, and the related rows the
    record nests (set by ``load_services``). The functions above take these as they take ORM
    objects; a read-only API request builds no ORM objects, so it pays neither for the identity
    map nor for the loader options' cache keys (18 statements and a third of the time of one
    record before: docs/PERFORMANCE.md, issue 19)."""

    def __init__(self, mapping, **related):
        self.__dict__.update(mapping)
        self.__dict__.update(related)

    @classmethod
    def of(cls, model, mapping: dict, **related) -> "Node":
        """A row given as a dict that may leave columns out: those read as None, as stored."""
        blank = _BLANK.get(model)
        if blank is None:
            blank = _BLANK[model] = dict.fromkeys(model.__table__.c.keys())
        node = cls(blank)
        node.__dict__.update(mapping)
        node.__dict__.update(related)
        return node


_BLANK: dict = {}  # {model: {column: None}}


def _rows(stmt):
    """Core rows on the session's connection (its transaction), past the ORM's execute path."""
    return db.session.connection().execute(stmt)


def _nodes(stmt) -> list[Node]:
    return [Node(row._mapping) for row in _rows(stmt)]


def _by(nodes, key: str) -> dict[str, list[Node]]:
    out = defaultdict(list)
    for node in nodes:
        value = getattr(node, key)
        if value is not None:
            out[value].append(node)
    return out


def load_services(ids, full: bool = False) -> list[Node]:
    """The services with these ids, in that order (an id with no row is left out), as Nodes that
    ``service_brief`` and ``service_minimal`` read; with ``full``, everything ``service_full``
    nests too, read with one statement per table for all of them."""
    ids = list(ids)
    if not ids:
        return []
    found = {n.id: n for n in _nodes(select(Service.__table__).where(one_of(Service.id, ids)))}
    services = [found[i] for i in ids if i in found]
    if full and services:
        nest(services)
    return services


def nest(services: list[Node]) -> None:
    """Read and attach what ``service_full`` nests to services read by ``load_services``."""
    sids = [s.id for s in services]
    orgs = {o.id: o for o in _nodes(select(Organization.__table__).where(
        one_of(Organization.id, {s.organization_id for s in services})))}
    sals = _nodes(select(ServiceAtLocation.__table__).where(one_of(ServiceAtLocation.service_id, sids)))
    lids = {sal.location_id for sal in sals}
    sal_ids = [sal.id for sal in sals]
    locations = _read_locations(lids)
    at_location = [one_of(Schedule.location_id, lids)] if lids else []
    schedules = _nodes(select(Schedule.__table__).where(or_(
        one_of(Schedule.service_id, sids), *at_location,
        *([one_of(Schedule.service_at_location_id, sal_ids)] if sal_ids else []))))
    phones = _nodes(select(Phone.__table__).where(or_(one_of(Phone.service_id, sids),
                                                      *([one_of(Phone.location_id, lids)] if lids else []))))
    _nest_locations(locations, phones, schedules)
    sal_schedules = _by(schedules, "service_at_location_id")
    for sal in sals:
        sal.location, sal.schedules = locations[sal.location_id], sal_schedules.get(sal.id, [])
    attributes = []
    term_columns = (TaxonomyTerm.code, TaxonomyTerm.name, TaxonomyTerm.description, TaxonomyTerm.parent_id,
                    TaxonomyTerm.taxonomy_id, TaxonomyTerm.term_uri)
    for row in _rows(select(Attribute.__table__, *(c.label(f"t_{c.key}") for c in term_columns),
                            Taxonomy.name.label("taxonomy_name"))
                     .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
                     .join(Taxonomy, Taxonomy.id == TaxonomyTerm.taxonomy_id)
                     .where(one_of(Attribute.service_id, sids))):
        m = row._mapping
        term = Node({"id": m["taxonomy_term_id"], **{k[2:]: v for k, v in m.items() if k.startswith("t_")}},
                    taxonomy=Node({"name": m["taxonomy_name"]}))
        attributes.append(Node({k: m[k] for k in Attribute.__table__.c.keys()}, taxonomy_term=term))
    per_service = {
        "phones": _by(phones, "service_id"), "schedules": _by(schedules, "service_id"),
        "service_at_locations": _by(sals, "service_id"),
        "service_areas": _by(_nodes(select(ServiceArea.__table__).where(one_of(ServiceArea.service_id, sids))
                                    .order_by(ServiceArea.name)), "service_id"),
        "languages": _by(_nodes(select(Language.__table__).where(one_of(Language.service_id, sids))), "service_id"),
        "cost_options": _by(_nodes(select(CostOption.__table__).where(one_of(CostOption.service_id, sids))),
                            "service_id"),
        "contacts": _by(_nodes(select(Contact.__table__).where(one_of(Contact.service_id, sids))), "service_id"),
        "attributes": _by(attributes, "service_id"),
    }
    for s in services:
        s.organization = orgs[s.organization_id]
        for name, groups in per_service.items():
            setattr(s, name, groups.get(s.id, []))


def _read_locations(lids) -> dict[str, Node]:
    if not lids:
        return {}
    columns = [Location.__table__.c[f] for f in (*LOCATION_FIELDS, "updated_at")]
    return {loc.id: loc for loc in _nodes(select(*columns).where(one_of(Location.id, lids)))}


def _nest_locations(locations: dict[str, Node], phones: list[Node], schedules: list[Node]) -> None:
    """Attach what ``location`` nests; the phones and schedules are read by the caller (with its own)."""
    if not locations:
        return
    lids = list(locations)
    addresses = _by(_nodes(select(Address.__table__).where(one_of(Address.location_id, lids))), "location_id")
    access = _by(_nodes(select(Accessibility.__table__).where(one_of(Accessibility.location_id, lids))),
                 "location_id")
    phones, schedules = _by(phones, "location_id"), _by(schedules, "location_id")
    for lid, loc in locations.items():
        loc.addresses, loc.accessibility = addresses.get(lid, []), access.get(lid, [])
        loc.phones, loc.schedules = phones.get(lid, []), schedules.get(lid, [])


def load_service_at_locations(ids, full: bool = False) -> list[Node]:
    """Service-at-locations by id, in that order, as Nodes that ``service_at_location_listed``
    reads: with their location and service, brief or (``full``) fully nested."""
    ids = list(ids)
    if not ids:
        return []
    found = {n.id: n for n in _nodes(select(ServiceAtLocation.__table__).where(one_of(ServiceAtLocation.id, ids)))}
    services = {s.id: s for s in load_services({sal.service_id for sal in found.values()}, full)}
    if full:  # each service's record already nests these, with their locations and schedules
        found = {sal.id: sal for s in services.values() for sal in s.service_at_locations if sal.id in found}
    else:
        locations = _read_locations({sal.location_id for sal in found.values()})
        for sal in found.values():
            sal.location = locations[sal.location_id]
    sals = [found[i] for i in ids if i in found]
    for sal in sals:
        sal.service = services[sal.service_id]
    return sals
