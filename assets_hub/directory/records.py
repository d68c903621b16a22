"""Our listings as Open Referral HSDS 3.0 records (the shapes of schema/compiled/*.json).

Fields with no value are left out rather than sent as null: the HSDS schemas type them as plain
strings/numbers, so ``null`` would not validate. Assets Hub's own fields that HSDS has no place
for are sent as extra properties (the schemas allow them) and are listed in the OpenAPI document
under ``x-assets-hub-extensions``.
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy.orm import selectinload

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


def location(loc: Location) -> dict:
    out = _clean(_fields(loc, ("id", "location_type", "url", "organization_id", "name", "alternate_name",
                               "description", "transportation", "latitude", "longitude", "external_identifier",
                               "external_identifier_type")))
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
