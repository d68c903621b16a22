"""Demo data: real open data (English public libraries, Somerset mobile library stops) and a
small hand-written set of typical social-prescribing services around Stockport and Edinburgh.

Ids are UUID v5 of the source record, so loading twice changes nothing and URLs stay stable.
"""
from __future__ import annotations

import csv
import json
import re
import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from marshmallow import ValidationError, validate
from sqlalchemy import select

from assets_hub.db import db, utcnow
from assets_hub.directory.models import (Accessibility, Address, Attribute, Contact, CostOption, Language, Location,
                                         Organization, Phone, Schedule, Service, ServiceAtLocation)
from assets_hub.directory.services import resolve_areas
from assets_hub.directory.taxonomy import term_ids_by_code
from assets_hub.directory.vocab import ACCESSIBILITY, DAY_NAMES, LANGUAGES as LANGUAGE_NAMES
from assets_hub.geo.models import Postcode

DATA = Path(__file__).resolve().parent.parent / "data"
NAMESPACE = uuid.UUID("6f1c1f5e-3b7e-4e43-9d4b-6a3f0b7c2a10")
DAYS = list(DAY_NAMES.values())
DAY_CODES = {name: code for code, name in DAY_NAMES.items()}
HOURS_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
LIBRARY_TYPES = {
    "LAL": "run by the council", "LAL-": "run by the council, unstaffed (for example a book drop)",
    "CL": "run for the council by a trust or company", "CRL": "run by the community with council support",
    "ICL": "an independent community library",
}
# A work address of a named person (firstname.lastname@...) is published by the source, but we
# show only generic library addresses in the demo.
PERSONAL_EMAIL = re.compile(r"^[a-z]+[.\-_][a-z]+@", re.I)
GENERIC_EMAIL_WORDS = ("librar", "info", "enquir", "contact", "customer", "service", "reading", "books")


def sid(*parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(parts)))


def parse_hours(value: str) -> tuple[list[tuple[str, str]], bool]:
    """'10:00-13:00,14:00-17:00' -> ([('10:00','13:00'), ('14:00','17:00')], ok). Malformed parts are dropped."""
    out, ok = [], True
    for part in [p.strip() for p in (value or "").split(",") if p.strip()]:
        m = HOURS_RE.match(part)
        if m and part[:5] < part[6:]:
            out.append((part[:5], part[6:]))
        else:
            ok = False
    return out, ok


def load_demo() -> dict[str, int]:
    """Load everything (idempotent). Returns counts."""
    session = db.session
    terms = term_ids_by_code()
    points = {p.code: (p.latitude, p.longitude) for p in session.execute(
        select(Postcode.code, Postcode.latitude, Postcode.longitude).where(Postcode.kind == "unit"))}
    existing = set(session.scalars(select(Service.id)))
    counts = defaultdict(int)
    _load_libraries(terms, points, existing, counts)
    _load_mobile_stops(terms, existing, counts)
    _load_hand_written(terms, points, existing, counts)
    session.flush()
    return dict(counts)


_IS_EMAIL = validate.Email()
_BRACKETED = re.compile(r"[<(]\s*([^<>()\s]+@[^<>()\s]+)\s*[>)]\s*$")


def _clean_email(raw: str) -> str | None:
    """The source's "Email address" as an address we may publish, or None.

    The open data has "Bodmin Library <bodmin.library@cornwall.gov.uk>" (the address is taken
    from the brackets), a mis-encoded no-break space, and addresses that are not addresses
    ("chadwell.information.centre.@thurrock.gov.uk", "...gov.uk/old-town-library"): those are
    left out rather than guessed at, since HSDS requires a valid email and nobody can write to
    them. Personal addresses are left out too (only team mailboxes are published)."""
    # (a no-break space mis-encoded as "Â\xa0", sometimes with the space lost: "...gov.ukÂ")
    email = raw.replace("Â\xa0", " ").replace("\xa0", " ").replace("Â", " ").strip()
    bracketed = _BRACKETED.search(email)
    if bracketed:
        email = bracketed.group(1)
    if not email or email.startswith("http"):
        return None
    try:
        _IS_EMAIL(email)
    except ValidationError:
        return None
    if not email.isascii():  # HSDS's "email" format is the ASCII one
        return None
    if PERSONAL_EMAIL.match(email) and not any(w in email.lower() for w in GENERIC_EMAIL_WORDS):
        return None
    return email


def _url(value: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    return value if re.match(r"^https?://", value, re.I) else "https://" + value


def _load_libraries(terms, points, existing, counts) -> None:
    session = db.session
    orgs: dict[str, Organization] = {}
    now = utcnow()
    with open(DATA / "assets" / "libraries_england.csv", newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh)):
            authority = " ".join(row["Local authority"].split())
            name = row["Library name"].strip()
            service_id = sid("library", authority, name, row["Postcode"], row["Year opened"], str(n))
            if service_id in existing:
                counts["unchanged"] += 1
                continue
            org = orgs.get(authority)
            if org is None:
                org_id = sid("library-service", authority)
                org = session.get(Organization, org_id) or Organization(
                    id=org_id, name=f"{authority} library service",
                    description=f"The public library service of {authority}.", last_reviewed_at=now)
                session.add(org)
                orgs[authority] = org
            closed = bool(row["Year closed"].strip())
            email = row["Email address"].strip()
            url = _url(row["URL"]) or (_url(email) if email.startswith("http") else None)
            kind = LIBRARY_TYPES.get(row["Type of library"].strip(), "a public library")
            extra = []
            if row["Co-located"] == "Yes" and row["Co-located with"].strip():
                extra.append(f"It shares its building with {row['Co-located with'].strip()}.")
            if row["Year opened"].strip():
                extra.append(f"Opened in {row['Year opened'].strip()}.")
            description = (f"{name} is a public library {kind}, part of {authority}'s library service. "
                           "Borrow books, use computers and free wi-fi, join reading groups and activities, "
                           "and get information about local services. " + " ".join(extra)).strip()
            service = Service(
                id=service_id, organization_id=org.id, name=name if "librar" in name.lower() else f"{name} Library",
                description=description, url=url, email=_clean_email(email),
                status="defunct" if closed else "active",
                application_process="Drop in during opening hours. Joining is free.",
                fees_description="Free to join and borrow books; some services may charge.", self_referral=True,
                last_reviewed_at=now)
            session.add(service)
            service.cost_options.append(CostOption(option="Free to join", amount=Decimal("0"), currency="GBP"))
            service.attributes.append(Attribute(taxonomy_term_id=terms["learning/libraries"]))
            postcode = row["Postcode"].strip()
            lat, lon = points.get(postcode, (None, None))
            location = Location(id=sid("library-location", service_id), location_type="physical",
                                organization_id=org.id, name=name, latitude=lat, longitude=lon,
                                external_identifier=row["Unique property reference number"].strip() or None,
                                external_identifier_type="UPRN" if row["Unique property reference number"].strip()
                                else None)
            lines = [row[k].strip() for k in ("Address 1", "Address 2", "Address 3") if row[k].strip()]
            location.addresses.append(Address(
                address_1=lines[0] if lines else name, address_2=lines[1] if len(lines) > 2 else None,
                city=lines[-1] if len(lines) > 1 else authority, postal_code=postcode, country="GB"))
            session.add(location)
            sal = ServiceAtLocation(id=sid("library-sal", service_id), service=service, location=location)
            session.add(sal)
            for day in DAYS:
                ranges, ok = parse_hours(row[f"{day} staffed hours"])
                if not ok:
                    counts["malformed_hours"] += 1
                for opens, closes in ranges:
                    sal.schedules.append(Schedule(freq="WEEKLY", byday=DAY_CODES[day], opens_at=opens,
                                                  closes_at=closes, description="Staffed hours"))
            counts["libraries"] += 1
            if lat is None:
                counts["libraries_without_coordinates"] += 1
            if counts["libraries"] % 500 == 0:
                session.flush()
    session.flush()


def _load_mobile_stops(terms, existing, counts) -> None:
    session = db.session
    now = utcnow()
    org_id = sid("somerset-mobile")
    org = session.get(Organization, org_id)
    if org is None:
        org = Organization(id=org_id, name="Somerset Council library service",
                           description="Somerset's public libraries, including the mobile library.",
                           website="https://www.somerset.gov.uk/libraries-leisure-and-communities/libraries/",
                           last_reviewed_at=now)
        session.add(org)
    services: dict[str, Service] = {}
    with open(DATA / "assets" / "mobile_library_stops_somerset.csv", newline="", encoding="utf-8") as fh:
        for n, row in enumerate(csv.DictReader(fh)):
            route = row["route"].strip()
            service_id = sid("somerset-mobile-route", route)
            if service_id in existing:
                counts["unchanged"] += 1
                continue
            service = services.get(route)
            if service is None:
                service = Service(
                    id=service_id, organization_id=org_id, name=f"Somerset mobile library, route {route}",
                    description=(f"The mobile library visits villages on route {route} every four weeks: borrow "
                                 "and return books, order items and get information, close to home."),
                    url=row["timetable"].strip() or None, status="active",
                    alert=("This timetable is from 2019 (Somerset County Council). Check the current timetable "
                           "with Somerset Council before you travel."),
                    application_process="Come to a stop at the time shown. Joining is free.", self_referral=True,
                    last_reviewed_at=now)
                service.cost_options.append(CostOption(option="Free", amount=Decimal("0"), currency="GBP"))
                service.attributes.append(Attribute(taxonomy_term_id=terms["learning/libraries"]))
                for area in resolve_areas("Somerset"):
                    service.service_areas.append(area)
                session.add(service)
                services[route] = service
                counts["mobile_routes"] += 1
            location = Location(id=sid("somerset-stop", str(n), row["stop"]), location_type="physical",
                                organization_id=org_id, name=f"{row['stop'].strip()}, {row['community'].strip()}",
                                latitude=float(row["geoy"]), longitude=float(row["geox"]))
            location.addresses.append(Address(address_1=row["address"].strip() or row["stop"].strip(),
                                              city=row["community"].strip(), postal_code=row["postcode"].strip(),
                                              country="GB"))
            session.add(location)
            sal = ServiceAtLocation(id=sid("somerset-sal", str(n)), service=service, location=location)
            session.add(sal)
            interval = int(re.search(r"INTERVAL=(\d+)", row["frequency"]).group(1)) \
                if "INTERVAL=" in row["frequency"] else 1
            sal.schedules.append(Schedule(freq="WEEKLY", interval=interval, byday=DAY_CODES[row["day"].strip()],
                                          dtstart=date.fromisoformat(row["start"]), opens_at=row["arrival"],
                                          closes_at=row["departure"], description="Mobile library stop"))
            counts["mobile_stops"] += 1
    session.flush()


def _load_hand_written(terms, points, existing, counts) -> None:
    session = db.session
    now = utcnow()
    data = json.loads((DATA / "demo" / "social_prescribing.json").read_text(encoding="utf-8"))
    for o in data["organizations"]:
        org_id = sid("demo-org", o["key"])
        if session.get(Organization, org_id) is None:
            org = Organization(id=org_id, name=o["name"], description=o["description"], website=o.get("website"),
                               last_reviewed_at=now)
            session.add(org)
            if o.get("phone"):
                org.phones.append(Phone(number=o["phone"]))
        for s in o["services"]:
            service_id = sid("demo-service", o["key"], s["name"])
            if service_id in existing:
                counts["unchanged"] += 1
                continue
            service = Service(id=service_id, organization_id=org_id, name=s["name"], description=s["description"],
                              status="active", application_process=s.get("application_process"),
                              eligibility_description=s.get("eligibility_description"),
                              fees_description=s.get("fees_description"), minimum_age=s.get("minimum_age"),
                              email=s.get("email"), alert="Example listing written for the demo: not a real service.",
                              self_referral=s.get("self_referral", False),
                              professional_referral=s.get("professional_referral", False),
                              delivered_in_person="in_person" in s["delivery"], delivered_online="online" in s["delivery"],
                              delivered_by_phone="phone" in s["delivery"],
                              # a few are due for review, so the curators' dashboard has work to show
                              last_reviewed_at=now - timedelta(days=s.get("reviewed_days_ago", 0)))
            session.add(service)
            for code in s["categories"]:
                service.attributes.append(Attribute(taxonomy_term_id=terms[code]))
            if s.get("is_free") is not None:
                service.cost_options.append(CostOption(option="Free" if s["is_free"] else "Charge",
                                                       amount=Decimal("0") if s["is_free"] else None,
                                                       currency="GBP", amount_description=s.get("fees_description")))
            if s.get("phone"):
                service.phones.append(Phone(number=s["phone"]))
            if s.get("email"):
                service.contacts.append(Contact(email=s["email"], name="Enquiries"))
            for code in s.get("languages", []):
                service.languages.append(Language(code=code, name=LANGUAGE_NAMES.get(code, code)))
            for area in resolve_areas(", ".join(s.get("areas", []))):
                service.service_areas.append(area)
            schedules = [Schedule(freq="WEEKLY", byday=sch["byday"], opens_at=sch["opens_at"],
                                  closes_at=sch["closes_at"], description=sch.get("description"))
                         for sch in s.get("schedules", [])]
            loc = s.get("location")
            if loc:
                lat, lon = points[loc["postcode"]]
                location = Location(id=sid("demo-location", service_id), location_type="physical",
                                    organization_id=org_id, name=loc["name"], latitude=lat, longitude=lon)
                location.addresses.append(Address(address_1=loc["address_1"], city=loc["city"],
                                                  postal_code=loc["postcode"], country="GB"))
                for feature in s.get("accessibility", []):
                    location.accessibility.append(Accessibility(details=feature,
                                                                description=ACCESSIBILITY.get(feature, feature)))
                session.add(location)
                sal = ServiceAtLocation(id=sid("demo-sal", service_id), service=service, location=location)
                session.add(sal)
                sal.schedules.extend(schedules)
            else:
                service.schedules.extend(schedules)
            counts["hand_written"] += 1
    session.flush()
