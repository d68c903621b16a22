"""Import Open Referral HSDS 3.0 service records: all or nothing, idempotent by id, with history.

Every source (a JSON file of full service records, NDJSON as ``/api/v3/services?format=ndjson&full=true``
streams it, an HSDS tabular data package, an Ohana CSV folder) is turned into a stream of full
service records; ``import_records`` checks each one, writes them in batches with bulk statements,
compares each service with what was there (so a second import of the same data changes nothing),
and writes a version and field changes for every service it creates or changes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Iterable

from marshmallow import ValidationError, validate
from sqlalchemy import delete, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from assets_hub.db import db, insert_rows, one_of, utcnow
from assets_hub.directory import schedules
from assets_hub.directory.areas import validate_geojson_area
from assets_hub.directory.models import (Accessibility, Address, Attribute, Contact, CostOption, Language, Location,
                                         Organization, Phone, Schedule, Service, ServiceArea, ServiceAtLocation,
                                         Taxonomy, TaxonomyTerm)
from assets_hub.directory.records import Node, full_service_options
from assets_hub.directory.schemas import PHONE_RE
from assets_hub.errors import Invalid
from assets_hub.geo.postcodes import lookup_postcode
from assets_hub.ids import is_uuid
from curation import duplicates, history
from curation.hsds import files as hsds_files
from curation.hsds.report import Report

BATCH = 1000
class RecordError(Exception):
    def __init__(self, field_name: str, problem: str):
        super().__init__(problem)
        self.field = field_name
        self.problem = problem


# ------------------------------------------------------------------ checking one record

def _str(obj: dict, key: str, path: str, max_len: int, required: bool = False, default=None):
    value = obj.get(key)
    if value is None or value == "":
        if required:
            raise RecordError(f"{path}{key}", "is required")
        return default
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RecordError(f"{path}{key}", "must be text")
    if "\x00" in value:
        raise RecordError(f"{path}{key}", "contains a NUL character")
    if len(value) > max_len:
        raise RecordError(f"{path}{key}", f"is longer than {max_len} characters")
    return value


_IS_EMAIL = validate.Email()


def _email(obj: dict, key: str, path: str) -> str | None:
    """An email address, checked: HSDS requires the format, and nobody can write to anything else."""
    value = _str(obj, key, path, 254)
    if value is not None:
        try:
            _IS_EMAIL(value)
            if not value.isascii():  # HSDS's "email" format is the ASCII one (not "idn-email")
                raise ValidationError("not ASCII")
        except ValidationError:
            raise RecordError(f"{path}{key}", "is not an email address") from None
    return value


_IS_WEB = validate.URL(schemes={"http", "https"})


def _url(obj: dict, key: str, path: str) -> str | None:
    """A web address people can open: http or https only (a javascript: or data: address would be
    a link that runs code on our pages, and on the pages of every system reading our API)."""
    value = _str(obj, key, path, 500)
    if value is not None:
        try:
            _IS_WEB(value)
        except ValidationError:
            raise RecordError(f"{path}{key}", "is not a web address starting with http:// or https://") from None
    return value


def _phone_number(obj: dict, key: str, path: str) -> str:
    value = _str(obj, key, path, 40, required=True)
    if not PHONE_RE.match(value):
        raise RecordError(f"{path}{key}", "is not a phone number (digits, spaces and + ( ) - only)")
    return value


def _id(obj: dict, key: str, path: str, required: bool = True) -> str | None:
    value = obj.get(key)
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not is_uuid(value.lower()):
        raise RecordError(f"{path}{key}", "must be a UUID" if value not in (None, "") else "is required")
    return value.lower()


def _num(obj: dict, key: str, path: str, lo=None, hi=None, integer=False):
    value = obj.get(key)
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"{path}{key}", "must be a number") from None
    if not number.is_finite() or (lo is not None and number < lo) or (hi is not None and number > hi):
        raise RecordError(f"{path}{key}", f"must be between {lo} and {hi}" if hi is not None else f"must be {lo} or more")
    if integer:
        if number != number.to_integral_value():
            raise RecordError(f"{path}{key}", "must be a whole number")
        return int(number)
    return number


def _date(obj: dict, key: str, path: str):
    value = obj.get(key)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise RecordError(f"{path}{key}", "must be a date like 2026-01-31") from None


def _list(obj: dict, key: str, path: str) -> list[dict]:
    value = obj.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise RecordError(f"{path}{key}", "must be a list of objects")
    return value


def _bool(obj: dict, key: str, default: bool) -> bool:
    value = obj.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes")


@dataclass
class Rows:
    """The table rows one service record becomes."""
    service: dict
    organization: dict | None
    locations: list[dict] = field(default_factory=list)
    children: dict = field(default_factory=dict)  # model -> list of row dicts
    taxonomies: list[dict] = field(default_factory=list)
    terms: list[dict] = field(default_factory=list)


CHILD_MODELS = (ServiceAtLocation, Phone, Schedule, ServiceArea, Language, CostOption, Contact, Attribute,
                Address, Accessibility)


def _schedule(s: dict, path: str, **owner) -> dict:
    # the same checks as the opening-times form (assets_hub.directory.schedules)
    try:
        cleaned = schedules.check(s)
    except schedules.ScheduleProblem as problem:
        raise RecordError(f"{path}{problem.field}", problem.message) from None
    return {"id": _id(s, "id", path), **owner, **cleaned}


def _phone(p: dict, path: str, **owner) -> dict:
    ext = p.get("extension")
    return {"id": _id(p, "id", path), **owner, "number": _phone_number(p, "number", path),
            "extension": None if ext in (None, "") else _str({"extension": ext}, "extension", path, 20),
            "type": _str(p, "type", path, 20), "description": _str(p, "description", path, 10_000)}


def _location(loc: dict, path: str, rows: Rows, report: Report, file: str, line) -> dict:
    location_type = _str(loc, "location_type", path, 10, default="physical")
    if location_type not in ("physical", "postal", "virtual"):
        raise RecordError(f"{path}location_type", "must be physical, postal or virtual")
    lat = _num(loc, "latitude", path, -90, 90)
    lon = _num(loc, "longitude", path, -180, 180)
    if (lat is None) != (lon is None):
        raise RecordError(f"{path}latitude", "latitude and longitude go together")
    lid = _id(loc, "id", path)
    addresses = []
    for i, a in enumerate(_list(loc, "addresses", path)):
        ap = f"{path}addresses[{i}]."
        address_type = _str(a, "address_type", ap, 10, default="physical")
        if address_type not in ("physical", "postal", "virtual"):
            raise RecordError(f"{ap}address_type", "must be physical, postal or virtual")
        addresses.append({"id": _id(a, "id", ap), "location_id": lid, "attention": _str(a, "attention", ap, 255),
                          "address_1": _str(a, "address_1", ap, 255, required=True),
                          "address_2": _str(a, "address_2", ap, 255), "city": _str(a, "city", ap, 120, required=True),
                          "region": _str(a, "region", ap, 120),
                          "state_province": _str(a, "state_province", ap, 120, default=""),
                          "postal_code": _str(a, "postal_code", ap, 10, required=True),
                          "country": _str(a, "country", ap, 2, default="GB").upper(), "address_type": address_type})
    if lat is None and addresses:
        found = lookup_postcode(addresses[0]["postal_code"])
        if found is not None and found.latitude is not None:
            lat, lon = Decimal(str(found.latitude)), Decimal(str(found.longitude))
        else:
            report.warn(file, line, f"{path}addresses[0].postal_code",
                        f"{addresses[0]['postal_code']} is not in the postcode list: the location has no map position")
    org_id = _id(loc, "organization_id", path, required=False)
    rows.children.setdefault(Address, []).extend(addresses)
    rows.children.setdefault(Accessibility, []).extend(
        {"id": _id(a, "id", f"{path}accessibility[{i}]."), "location_id": lid,
         "description": _str(a, "description", path, 10_000), "details": _str(a, "details", path, 10_000),
         "url": _url(a, "url", path)} for i, a in enumerate(_list(loc, "accessibility", path)))
    rows.children.setdefault(Phone, []).extend(
        _phone(p, f"{path}phones[{i}].", location_id=lid) for i, p in enumerate(_list(loc, "phones", path)))
    rows.children.setdefault(Schedule, []).extend(
        _schedule(s, f"{path}schedules[{i}].", location_id=lid) for i, s in enumerate(_list(loc, "schedules", path)))
    return {"id": lid, "location_type": location_type, "organization_id": org_id,
            "name": _str(loc, "name", path, 255), "alternate_name": _str(loc, "alternate_name", path, 255),
            "description": _str(loc, "description", path, 10_000),
            "transportation": _str(loc, "transportation", path, 10_000), "url": _url(loc, "url", path),
            "latitude": float(lat) if lat is not None else None, "longitude": float(lon) if lon is not None else None,
            "external_identifier": _str(loc, "external_identifier", path, 120),
            "external_identifier_type": _str(loc, "external_identifier_type", path, 60)}


AREA_TYPES = ("local_authority", "region", "country", "geojson", "text")


def to_rows(rec: dict, report: Report, file: str, line) -> Rows:
    """One HSDS service record -> table rows. Raises RecordError naming the field."""
    if not isinstance(rec, dict):
        raise RecordError("(record)", "must be a JSON object")
    sid = _id(rec, "id", "")
    org = rec.get("organization") if isinstance(rec.get("organization"), dict) else None
    org_id = _id(rec, "organization_id", "", required=org is None) or _id(org, "id", "organization.")
    if org is not None and org.get("id") not in (None, "", org_id):
        raise RecordError("organization.id", f"is not the record's organization_id ({org_id})")
    status = _str(rec, "status", "", 20, required=True)
    if status not in ("active", "inactive", "defunct", "temporarily closed"):
        raise RecordError("status", "must be active, inactive, defunct or temporarily closed")
    lo, hi = _num(rec, "minimum_age", "", 0, 130, integer=True), _num(rec, "maximum_age", "", 0, 130, integer=True)
    if lo is not None and hi is not None and lo > hi:
        raise RecordError("maximum_age", "is below minimum_age")
    assured = _date(rec, "assured_date", "")
    service = {"id": sid, "organization_id": org_id, "name": _str(rec, "name", "", 255, required=True),
               "alternate_name": _str(rec, "alternate_name", "", 255),
               "description": _str(rec, "description", "", 100_000, default=""), "url": _url(rec, "url", ""),
               "email": _email(rec, "email", ""), "status": status,
               "interpretation_services": _str(rec, "interpretation_services", "", 10_000),
               "application_process": _str(rec, "application_process", "", 10_000),
               "fees_description": _str(rec, "fees_description", "", 10_000),
               "eligibility_description": _str(rec, "eligibility_description", "", 10_000),
               "minimum_age": lo, "maximum_age": hi, "alert": _str(rec, "alert", "", 10_000),
               "self_referral": _bool(rec, "self_referral", False),
               "professional_referral": _bool(rec, "professional_referral", False),
               "delivered_in_person": _bool(rec, "delivered_in_person", True),
               "delivered_online": _bool(rec, "delivered_online", False),
               "delivered_by_phone": _bool(rec, "delivered_by_phone", False)}
    if assured is not None:
        service["last_reviewed_at"] = assured
    modified = rec.get("last_modified")
    if isinstance(modified, str) and modified:
        try:
            stamp = datetime.fromisoformat(modified.replace("Z", "+00:00"))
            service["_last_modified"] = stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
        except ValueError:
            raise RecordError("last_modified", "must be an ISO 8601 date-time") from None
    organization = None
    if org is not None:
        organization = {"id": org_id, "name": _str(org, "name", "organization.", 255, required=True),
                        "alternate_name": _str(org, "alternate_name", "organization.", 255),
                        "description": _str(org, "description", "organization.", 100_000, default=""),
                        "email": _email(org, "email", "organization."),
                        "website": _url(org, "website", "organization."),
                        "legal_status": _str(org, "legal_status", "organization.", 120)}
    rows = Rows(service, organization)
    ch = rows.children
    ch[Phone] = [_phone(p, f"phones[{i}].", service_id=sid) for i, p in enumerate(_list(rec, "phones", ""))]
    ch[Schedule] = [_schedule(s, f"schedules[{i}].", service_id=sid)
                    for i, s in enumerate(_list(rec, "schedules", ""))]
    areas = []
    for i, a in enumerate(_list(rec, "service_areas", "")):
        path = f"service_areas[{i}]."
        extent = a.get("extent")
        if extent is not None and not isinstance(extent, str):
            extent = json.dumps(extent)
        area_type = _str(a, "area_type", path, 20) or (
            "geojson" if extent and (a.get("extent_type") or "").lower() == "geojson" else "text")
        if area_type not in AREA_TYPES:
            raise RecordError(f"{path}area_type", "must be one of " + ", ".join(AREA_TYPES))
        code = _str(a, "area_code", path, 9)
        if area_type in ("local_authority", "region", "country") and not code:
            raise RecordError(f"{path}area_code", f"is required for a {area_type} area")
        if area_type == "geojson":
            try:
                extent = validate_geojson_area(extent, field=f"{path}extent")
            except Invalid as exc:
                if a.get("area_type"):  # we said it was GeoJSON ourselves: that is an error
                    raise RecordError(f"{path}extent", exc.message) from None
                report.warn(file, line, f"{path}extent", f"{exc.message} Kept as a described area, not used "
                            "to match places.")
                area_type = "text"
        areas.append({"id": _id(a, "id", path), "service_id": sid,
                      "name": _str(a, "name", path, 255) or _str(a, "description", path, 255) or "Area served",
                      "description": _str(a, "description", path, 10_000), "area_type": area_type,
                      "area_code": code, "extent": extent, "extent_type": _str(a, "extent_type", path, 20),
                      "uri": _str(a, "uri", path, 500)})
    ch[ServiceArea] = areas
    ch[Language] = [{"id": _id(x, "id", f"languages[{i}]."), "service_id": sid,
                     "name": _str(x, "name", f"languages[{i}].", 100), "code": _str(x, "code", f"languages[{i}].", 10),
                     "note": _str(x, "note", f"languages[{i}].", 10_000)} for i, x in enumerate(_list(rec, "languages", ""))]
    ch[CostOption] = [{"id": _id(c, "id", f"cost_options[{i}]."), "service_id": sid,
                       "option": _str(c, "option", f"cost_options[{i}].", 255),
                       "amount": _num(c, "amount", f"cost_options[{i}].", 0, 10**7),
                       "currency": _str(c, "currency", f"cost_options[{i}].", 3),
                       "amount_description": _str(c, "amount_description", f"cost_options[{i}].", 10_000),
                       "valid_from": _date(c, "valid_from", f"cost_options[{i}]."),
                       "valid_to": _date(c, "valid_to", f"cost_options[{i}].")}
                      for i, c in enumerate(_list(rec, "cost_options", ""))]
    ch[Contact] = [{"id": _id(c, "id", f"contacts[{i}]."), "service_id": sid,
                    "name": _str(c, "name", f"contacts[{i}].", 255), "title": _str(c, "title", f"contacts[{i}].", 255),
                    "department": _str(c, "department", f"contacts[{i}].", 255),
                    "email": _email(c, "email", f"contacts[{i}].")} for i, c in enumerate(_list(rec, "contacts", ""))]
    ch[Attribute] = []
    for i, a in enumerate(_list(rec, "attributes", "")):
        path = f"attributes[{i}]."
        if (a.get("link_entity") or "service") != "service":
            continue  # attributes of other entities ride along with those entities, not here
        term = a.get("taxonomy_term") if isinstance(a.get("taxonomy_term"), dict) else {}
        term_id = _id(a, "taxonomy_term_id", path, required=not term) or _id(term, "id", f"{path}taxonomy_term.")
        if term:
            tp = f"{path}taxonomy_term."
            tax_id = _id(term, "taxonomy_id", tp, required=False)
            if tax_id:
                rows.taxonomies.append({"id": tax_id, "name": _str(term, "taxonomy", tp, 255) or f"Taxonomy {tax_id[:8]}",
                                        "description": ""})
                rows.terms.append({"id": term_id, "taxonomy_id": tax_id,
                                   "parent_id": _id(term, "parent_id", tp, required=False),
                                   "code": _str(term, "code", tp, 120) or term_id,
                                   "name": _str(term, "name", tp, 255, required=True),
                                   "description": _str(term, "description", tp, 10_000, default=""),
                                   "term_uri": _str(term, "term_uri", tp, 500)})
        if term_id in {x["taxonomy_term_id"] for x in ch[Attribute]}:
            continue  # the same category twice says nothing more
        ch[Attribute].append({"id": _id(a, "id", path), "service_id": sid, "taxonomy_term_id": term_id,
                              "value": _str(a, "value", path, 10_000)})
    ch[ServiceAtLocation] = []
    for i, sal in enumerate(_list(rec, "service_at_locations", "")):
        path = f"service_at_locations[{i}]."
        loc = sal.get("location")
        if not isinstance(loc, dict):
            raise RecordError(f"{path}location", "is required (the full location record)")
        location = _location(loc, f"{path}location.", rows, report, file, line)
        if sal.get("location_id") not in (None, "", location["id"]):
            raise RecordError(f"{path}location_id", "does not match location.id")
        rows.locations.append(location)
        sal_id = _id(sal, "id", path)
        ch[ServiceAtLocation].append({"id": sal_id, "service_id": sid, "location_id": location["id"],
                                      "description": _str(sal, "description", path, 10_000)})
        ch[Schedule].extend(_schedule(s, f"{path}schedules[{j}].", service_at_location_id=sal_id)
                            for j, s in enumerate(_list(sal, "schedules", path)))
    return rows


# ------------------------------------------------------------------ writing a batch

def _insert(model, rows: list[dict]) -> None:
    """Insert many rows with one Core executemany (the ORM's bulk path costs more per row)."""
    if not rows:
        return
    table = model.__table__
    keys = list(dict.fromkeys(k for r in rows for k in r))
    for col in ("created_at", "updated_at"):
        if col in table.c and col not in keys:
            keys.append(col)
    now = utcnow()
    insert_rows(table, [{k: r.get(k, now if k in ("created_at", "updated_at") else None) for k in keys}
                        for r in rows])


def _upsert(model, rows: list[dict]) -> None:
    if not rows:
        return
    session = db.session
    unique = list({r["id"]: r for r in rows}.values())
    existing = set(session.scalars(select(model.id).where(one_of(model.id, [r["id"] for r in unique]))))
    new = [r for r in unique if r["id"] not in existing]
    old = [r for r in unique if r["id"] in existing]
    _insert(model, new)
    if old:
        session.execute(update(model), old)


def _rows_snapshot(rows: Rows, org_brief: dict, terms: dict, now: datetime) -> dict:
    """The snapshot the service will have once these rows are stored: the same function
    (records.service_full) over the rows instead of ORM objects, so no reload is needed."""
    ch = rows.children
    by = lambda model, key, value: [r for r in ch.get(model, []) if r.get(key) == value]  # noqa: E731
    locations = {}
    for loc in rows.locations:
        lid = loc["id"]
        at = lambda model: [Node.of(model, x) for x in by(model, "location_id", lid)]  # noqa: E731
        locations[lid] = Node.of(Location, loc, addresses=at(Address), accessibility=at(Accessibility),
                                 phones=at(Phone), schedules=at(Schedule))
    sals = [Node.of(ServiceAtLocation, sal, location=locations[sal["location_id"]],
                    schedules=[Node.of(Schedule, x) for x in by(Schedule, "service_at_location_id", sal["id"])])
            for sal in ch.get(ServiceAtLocation, [])]
    attributes = []
    for a in ch.get(Attribute, []):
        term = terms[a["taxonomy_term_id"]]
        attributes.append(Node.of(Attribute, a, taxonomy_term=Node.of(TaxonomyTerm, term["row"],
                                                                      taxonomy=Node({"name": term["taxonomy"]}))))
    svc = {k: v for k, v in rows.service.items() if not k.startswith("_")}
    reviewed = svc.get("last_reviewed_at")
    if isinstance(reviewed, date) and not isinstance(reviewed, datetime):
        svc["last_reviewed_at"] = datetime(reviewed.year, reviewed.month, reviewed.day, 12, tzinfo=timezone.utc)
    everything = lambda model: [Node.of(model, x) for x in ch.get(model, [])]  # noqa: E731
    service = Node.of(Service, svc, updated_at=now, organization=Node.of(Organization, org_brief),
                      phones=[Node.of(Phone, p) for p in by(Phone, "service_id", svc["id"])],
                      schedules=[Node.of(Schedule, x) for x in by(Schedule, "service_id", svc["id"])],
                      service_areas=everything(ServiceArea), service_at_locations=sals,
                      languages=everything(Language), cost_options=everything(CostOption),
                      contacts=everything(Contact), attributes=attributes)
    return history.snapshot(service)


ORG_BRIEF = ("id", "name", "alternate_name", "description", "email", "website", "legal_status",
             "parent_organization_id")


def _context(batch) -> tuple[dict, dict]:
    """Organisation briefs and term details the batch's snapshots need, from the rows or the database."""
    session = db.session
    orgs = {r.organization["id"]: {k: r.organization.get(k) for k in ORG_BRIEF} for r, _ in batch if r.organization}
    need = {r.service["organization_id"] for r, _ in batch} - set(orgs)
    if need:
        cols = [getattr(Organization, k) for k in ORG_BRIEF]
        for row in session.execute(select(*cols).where(one_of(Organization.id, need))):
            orgs[row.id] = dict(row._mapping)
    term_fields = ("id", "code", "name", "description", "parent_id", "taxonomy_id", "term_uri")
    terms = {}
    ids = {a["taxonomy_term_id"] for r, _ in batch for a in r.children.get(Attribute, [])}
    if ids:
        for term, tax_name in session.execute(select(TaxonomyTerm, Taxonomy.name).join(Taxonomy)
                                              .where(one_of(TaxonomyTerm.id, ids))):
            terms[term.id] = {"row": {k: getattr(term, k) for k in term_fields}, "taxonomy": tax_name}
    return orgs, terms


def _write_batch(batch: list[tuple[Rows, int]], report: Report, actor, source: str, action: str = "import",
                 note: str | None = None) -> None:
    session = db.session
    now = utcnow()
    # parents first: organisations, taxonomies, terms
    orgs = list({r.organization["id"]: r.organization for r, _ in batch if r.organization}.values())
    _upsert(Organization, [{**o, "updated_at": now} for o in orgs])
    # a record names its terms' taxonomy only by name: add unknown ones, never overwrite known ones
    nested = list({t["id"]: t for r, _ in batch for t in r.taxonomies}.values())
    if nested:
        known = set(session.scalars(select(Taxonomy.id).where(one_of(Taxonomy.id, [t["id"] for t in nested]))))
        if [t for t in nested if t["id"] not in known]:
            session.execute(insert(Taxonomy), [t for t in nested if t["id"] not in known])
    terms = [t for r, _ in batch for t in r.terms]
    # a term's parent may come later (or never: a record carries its own terms, not their
    # parents): link those at the end of the import
    if terms:
        unique = list({t["id"]: t for t in terms}.values())
        wanted = {t["parent_id"] for t in unique if t["parent_id"]}
        present = (set(session.scalars(select(TaxonomyTerm.id).where(one_of(TaxonomyTerm.id, wanted))))
                   if wanted else set())
        _upsert(TaxonomyTerm, [t if not t["parent_id"] or t["parent_id"] in present else {**t, "parent_id": None}
                               for t in unique])
        report.pending_parents.update({t["id"]: t["parent_id"] for t in unique
                                 if t["parent_id"] and t["parent_id"] not in present})
        session.flush()

    # what each service looks like now (its latest version, or built from the tables if it has none)
    sids = [r.service["id"] for r, _ in batch]
    existing = set(session.scalars(select(Service.id).where(one_of(Service.id, sids))))
    before: dict[str, dict] = {}
    if existing:
        latest = history.latest_snapshots(list(existing))
        before.update(latest)
        missing = existing - set(latest)
        if missing:
            for svc in session.scalars(select(Service).where(one_of(Service.id, missing))
                                       .options(*full_service_options())):
                before[svc.id] = history.snapshot(svc)
            session.expunge_all()
    org_briefs, term_details = _context(batch)
    after = {r.service["id"]: _rows_snapshot(r, org_briefs[r.service["organization_id"]], term_details, now)
             for r, _ in batch}
    todo = []
    for rows, line in batch:
        sid = rows.service["id"]
        if sid in existing and before.get(sid) == after[sid]:
            report.unchanged += 1
        else:
            todo.append(rows)
    if not todo:
        return
    sids = [r.service["id"] for r in todo]
    services = []
    for r in todo:
        row = {k: v for k, v in r.service.items() if k != "_last_modified"}
        reviewed = row.get("last_reviewed_at")
        if isinstance(reviewed, date) and not isinstance(reviewed, datetime):  # HSDS assured_date: noon UTC that day
            row["last_reviewed_at"] = datetime(reviewed.year, reviewed.month, reviewed.day, 12, tzinfo=timezone.utc)
        if row["id"] in existing:
            row["updated_at"] = now
        else:
            row["created_at"] = now
            row["updated_at"] = r.service.get("_last_modified") or now  # keep the source's modification time
        services.append(row)
    new_services = [s for s in services if s["id"] not in existing]
    old_services = [s for s in services if s["id"] in existing]
    _insert(Service, new_services)
    if old_services:
        session.execute(update(Service), old_services)
    locations = [loc for r in todo for loc in r.locations]
    _upsert(Location, [{**loc, "updated_at": now} for loc in locations])
    # children: replace what the services (and their locations) had with what the records say
    lids = list({loc["id"] for loc in locations})
    if existing:
        sal_ids = list(session.scalars(select(ServiceAtLocation.id)
                                       .where(one_of(ServiceAtLocation.service_id, sids))))
        session.execute(delete(Schedule).where(or_(one_of(Schedule.service_id, sids), one_of(Schedule.location_id, lids),
                                                   one_of(Schedule.service_at_location_id, sal_ids))))
        session.execute(delete(Phone).where(or_(one_of(Phone.service_id, sids), one_of(Phone.location_id, lids),
                                                one_of(Phone.service_at_location_id, sal_ids))))
        for model in (ServiceAtLocation, ServiceArea, Language, CostOption, Contact, Attribute):
            session.execute(delete(model).where(one_of(model.service_id, sids)))
    session.execute(delete(Schedule).where(one_of(Schedule.location_id, lids)))
    session.execute(delete(Phone).where(one_of(Phone.location_id, lids)))
    for model in (Address, Accessibility):
        session.execute(delete(model).where(one_of(model.location_id, lids)))
    for model in CHILD_MODELS:
        _insert(model, list({row["id"]: row for r in todo for row in r.children.get(model, [])}.values()))
    items = []
    for r in todo:
        sid = r.service["id"]
        if sid in existing:
            report.updated += 1
        else:
            report.created += 1
        items.append((sid, before.get(sid), after[sid]))
    history.write_many(actor, items, action, note or f"Imported from {source}", now)
    created = [r.service["id"] for r in todo if r.service["id"] not in existing]
    if created and action == "import":
        session.flush()
        report.duplicates += duplicates.flag(created)


def _check_references(batch: list[tuple[Rows, int]], report: Report, file: str) -> list[tuple[Rows, int]]:
    session = db.session
    org_ids = {r.service["organization_id"] for r, _ in batch if not r.organization}
    known = set(session.scalars(select(Organization.id).where(one_of(Organization.id, org_ids)))) if org_ids else set()
    term_ids = {a["taxonomy_term_id"] for r, _ in batch for a in r.children.get(Attribute, [])}
    term_ids -= {t["id"] for r, _ in batch for t in r.terms}
    known_terms = (set(session.scalars(select(TaxonomyTerm.id).where(one_of(TaxonomyTerm.id, term_ids))))
                   if term_ids else set())
    ok = []
    for rows, line in batch:
        # seen_orgs grows in this loop: an organisation embedded by an earlier record of this same
        # batch counts, as one from an earlier batch does
        org_id = rows.service["organization_id"]
        if not rows.organization and org_id not in known and org_id not in report.seen_orgs:
            report.problem(file, line, "organization_id",
                           f"no organisation {rows.service['organization_id']} (not in the file or the directory)")
            report.rejected += 1
            continue
        missing = [a["taxonomy_term_id"] for a in rows.children.get(Attribute, [])
                   if a["taxonomy_term_id"] in term_ids and a["taxonomy_term_id"] not in known_terms]
        if missing:
            report.problem(file, line, "attributes.taxonomy_term_id", f"no taxonomy term {missing[0]}")
            report.rejected += 1
            continue
        if rows.organization:
            report.seen_orgs.add(rows.organization["id"])
        ok.append((rows, line))
    return ok




def _link_parents(report: Report, file: str) -> None:
    pending = report.pending_parents
    if not pending:
        return
    session = db.session
    known = set(session.scalars(select(TaxonomyTerm.id).where(one_of(TaxonomyTerm.id, set(pending.values())))))
    links = [{"id": child, "parent_id": parent} for child, parent in pending.items() if parent in known]
    for child, parent in pending.items():
        if parent not in known:
            report.warn(file, "-", "taxonomy_term.parent_id",
                        f"term {child}: its parent {parent} is not in the data; imported as a top-level term")
    if links:
        session.execute(update(TaxonomyTerm), links)
    pending.clear()


def _parents(organizations, taxonomies, terms, report: Report, org_phones=(), terms_file="taxonomy_terms.csv") -> None:
    """Organisations, taxonomies and terms given as tables (a tabular package): checked, then written first."""
    good_orgs, good_tax, good_terms = [], [], []
    for o in organizations:
        line = o.pop("_row", "-")
        try:
            good_orgs.append({"id": _id(o, "id", ""), "name": _str(o, "name", "", 255, required=True),
                              "alternate_name": _str(o, "alternate_name", "", 255),
                              "description": _str(o, "description", "", 100_000, default=""),
                              "email": _email(o, "email", ""), "website": _url(o, "website", ""),
                              "legal_status": _str(o, "legal_status", "", 120), "updated_at": utcnow()})
        except RecordError as exc:
            report.problem("organizations.csv", line, exc.field, exc.problem)
    for t in taxonomies:
        line = t.pop("_row", "-")
        try:
            good_tax.append({"id": _id(t, "id", ""), "name": _str(t, "name", "", 255, required=True),
                             "description": _str(t, "description", "", 10_000, default=""),
                             "uri": _str(t, "uri", "", 500), "version": _str(t, "version", "", 40)})
        except RecordError as exc:
            report.problem("taxonomies.csv", line, exc.field, exc.problem)
    for t in terms:
        line = t.pop("_row", "-")
        try:
            tid = _id(t, "id", "")
            tax = _id(t, "taxonomy_id", "", required=False)
            if tax is None:
                continue  # a term outside any taxonomy table: only kept if a service uses it (then checked there)
            if tax not in {x["id"] for x in good_tax} and db.session.get(Taxonomy, tax) is None:
                name = _str(t, "taxonomy", "", 200) or "Imported"
                if db.session.scalar(select(Taxonomy.id).where(Taxonomy.name == name)) or \
                        name in {x["name"] for x in good_tax}:
                    name += f" ({tax[:8]})"
                good_tax.append({"id": tax, "name": name, "description": f"Named by {terms_file} only."})
                report.warn(terms_file, line, "taxonomy_id", f"{tax} is not a known taxonomy: added as “{name}”")
            good_terms.append({"id": tid, "taxonomy_id": tax, "parent_id": _id(t, "parent_id", "", required=False),
                               "code": _str(t, "code", "", 120) or tid, "name": _str(t, "name", "", 255, required=True),
                               "description": _str(t, "description", "", 10_000, default=""),
                               "term_uri": _str(t, "term_uri", "", 500)})
        except RecordError as exc:
            report.problem(terms_file, line, exc.field, exc.problem)
    phones = []
    for p in org_phones:
        line = p.pop("_row", "-")
        try:
            phones.append(_phone(p, "", organization_id=_id(p, "organization_id", "")))
        except RecordError as exc:
            report.problem("phones.csv", line, exc.field, exc.problem)
    if not report.ok:
        return
    _upsert(Organization, good_orgs)
    if phones:
        _upsert(Phone, phones)
    report.seen_orgs.update(o["id"] for o in good_orgs)
    _upsert(Taxonomy, good_tax)
    _upsert(TaxonomyTerm, [{**t, "parent_id": None} for t in good_terms])
    term_ids = {t["id"] for t in good_terms}
    for t in good_terms:
        if t["parent_id"] and t["parent_id"] not in term_ids and db.session.get(TaxonomyTerm, t["parent_id"]) is None:
            report.warn(terms_file, "-", "parent_id", f"term {t['id']}: parent {t['parent_id']} is unknown; "
                        "imported as a top-level term")
            t["parent_id"] = None
    with_parent = [{"id": t["id"], "parent_id": t["parent_id"]} for t in good_terms if t["parent_id"]]
    if with_parent:
        db.session.execute(update(TaxonomyTerm), with_parent)


def _refresh_statistics(report: Report) -> None:
    """PostgreSQL plans from table statistics, which know nothing of rows this (still open)
    transaction wrote: a big import into a small directory would be planned as if the tables were
    empty (the duplicate check's spatial join scanned every location for each new one). ANALYZE
    inside the transaction counts our own rows; do it each time the import has doubled."""
    written = report.created + report.updated
    if db.is_postgres and written >= max(2 * report.analyzed_at, 2 * BATCH):
        db.session.execute(text("ANALYZE service, service_at_location, location, phone, attribute"))
        report.analyzed_at = written


def _defer_search_refresh() -> None:
    """PostgreSQL: within this import's transaction, the search table (migration 0012) is refreshed
    once per batch instead of once per statement (a service, then its categories, then its costs)."""
    if db.is_postgres:
        db.session.execute(text("SET LOCAL assets_hub.search_refresh = 'deferred'"))


def _flush_search_refresh(last: bool = False) -> None:
    if db.is_postgres:
        db.session.execute(text("SELECT service_search_flush()"))
        if last:  # the rest of the transaction (a test's, a caller's) refreshes as it writes
            db.session.execute(text("SET LOCAL assets_hub.search_refresh = 'immediate'"))


def import_records(records: Iterable[tuple[str, int | str, object]], source: str, actor=None,
                   dry_run: bool = False, organizations: Iterable[dict] = (), taxonomies: Iterable[dict] = (),
                   terms: Iterable[dict] = (), org_phones: Iterable[dict] = (),
                   report: Report | None = None) -> Report:
    """Import (file, row, record) triples, all or nothing: on any problem, or a dry run, everything
    written is rolled back; otherwise it stays in the session for the caller to commit (the
    command does, at its end). Parents given as tables (tabular packages) go first."""
    report = report or Report(source)
    report.dry_run = dry_run
    session = db.session
    seen_ids: dict[str, str] = {}
    file_of = source
    try:
        _defer_search_refresh()
        _parents(list(organizations), list(taxonomies), list(terms), report, list(org_phones))
        batch: list[tuple[Rows, int]] = []
        term_records: list[dict] = []
        for file, line, rec in records:
            file_of = file
            if isinstance(rec, dict) and "status" not in rec and "taxonomy_id" in rec:
                term_records.append({**rec, "_row": line})  # a taxonomy term record (/api/v3/taxonomy_terms)
                continue
            if term_records:
                _parents((), (), term_records, report, terms_file=file)
                term_records = []
            try:
                rows = to_rows(rec, report, file, line)
            except RecordError as exc:
                report.problem(file, line, exc.field, exc.problem)
                report.rejected += 1
                continue
            sid = rows.service["id"]
            if sid in seen_ids:
                report.problem(file, line, "id", f"service {sid} appears twice (first at row {seen_ids[sid]})")
                report.rejected += 1
                continue
            seen_ids[sid] = str(line)
            batch.append((rows, line))
            if len(batch) >= BATCH:
                batch = _check_references(batch, report, file)
                if report.ok:
                    _write_batch(batch, report, actor, source)
                    _flush_search_refresh()
                    _refresh_statistics(report)
                batch = []
        if term_records:
            _parents((), (), term_records, report, terms_file=file_of)
        if batch:
            batch = _check_references(batch, report, file_of)
            if report.ok:
                _write_batch(batch, report, actor, source)
        if report.ok:
            _link_parents(report, file_of)
            _flush_search_refresh(last=True)
        if not report.ok or dry_run:  # all or nothing: undo every batch written
            session.rollback()
        # else the caller commits (the command, at its end: curation.cli)
    except IntegrityError as exc:
        session.rollback()
        detail = str(exc.orig).splitlines()[0][:300] if exc.orig else "a record conflicts with another"
        report.problem(file_of, "-", "(database)", f"the data conflicts with what is stored: {detail}")
    except Exception:
        session.rollback()
        raise
    if not report.ok:  # all or nothing: nothing was written, so nothing was created or updated
        report.created = report.updated = report.unchanged = 0
    return report


def import_path(path, actor=None, dry_run: bool = False) -> Report:
    """An HSDS tabular package (a folder, or its datapackage.json), a JSON file or an NDJSON file."""

    path = Path(path)
    report = Report(str(path), dry_run)
    if not path.exists():
        report.problem(str(path), "-", "(file)", "does not exist")
        return report
    try:
        if path.is_dir() or path.name == "datapackage.json":
            folder = path if path.is_dir() else path.parent
            parents, records = hsds_files.tabular_records(folder, report)
            if not report.ok:
                records.close()
                return report
            return import_records(records, str(path), actor, dry_run, report=report, **parents)
        return import_records(hsds_files.json_records(path), str(path), actor, dry_run, report=report)
    except hsds_files.FileProblem as exc:
        return file_problem(report, exc)


def file_problem(report: Report, exc) -> Report:
    """A file that cannot be read at all: roll back whatever was written and report where."""
    db.session.rollback()
    report.problem(exc.file, exc.row, exc.field, exc.problem)
    report.created = report.updated = report.unchanged = 0
    return report


def apply_record(record: dict, actor, action: str, note: str) -> Report:
    """Write one full service record as the service's new state, inside the caller's transaction
    (restoring a version uses this). Raises Invalid naming the first problem."""
    report = Report("record")
    try:
        rows = to_rows(record, report, "record", 1)
    except RecordError as exc:
        raise Invalid(f"{exc.field} {exc.problem}.", {exc.field: [exc.problem]}) from None
    batch = _check_references([(rows, 1)], report, "record")
    if not report.ok:
        first = report.problems[0]
        raise Invalid(f"{first.field}: {first.problem}.", {first.field: [first.problem]})
    _write_batch(batch, report, actor, "record", action, note)
    _link_parents(report, "record")
    db.session.flush()
    db.session.expire_all()
    return report
