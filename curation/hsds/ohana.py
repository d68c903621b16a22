"""Read an Ohana API import CSV folder (based on HSDS 1.0) as HSDS 3.0 service records.

Ohana ids are small integers: each becomes a stable UUID (uuid5 of table and id), so importing the
same folder twice changes nothing. A service in Ohana belongs to one location, which belongs to an
organisation; addresses and mail_addresses become physical and postal addresses; regular
schedules become weekly schedules; comma-separated service areas become described (text) areas;
``taxonomy.csv`` becomes an "Ohana taxonomy" with its codes kept as they came.
"""
from __future__ import annotations

import csv
import uuid
from pathlib import Path

from assets_hub.directory.vocab import DAY_NAMES, WEEKDAYS
from curation.hsds.files import FileProblem
from curation.hsds.importer import Report, file_problem, import_records

NS = uuid.UUID("6f1d7f4e-2c39-4b8a-9e61-0b5c3f0a7d21")
# Ohana names a weekday in words or numbers from 1 (Monday)
DAYS = {**{name.lower(): code for code, name in DAY_NAMES.items()},
        **{str(n): code for n, code in enumerate(WEEKDAYS, start=1)}}
REQUIRED = {"organizations.csv": ("id", "name"), "locations.csv": ("id", "organization_id", "name"),
            "services.csv": ("id", "location_id", "name")}


def uid(table: str, ident) -> str | None:
    ident = (ident or "").strip()
    return str(uuid.uuid5(NS, f"ohana:{table}:{ident}")) if ident else None


def _read(folder: Path, name: str) -> list[dict]:
    path = folder / name
    if not path.exists():
        if name in REQUIRED:
            raise FileProblem(name, "-", "(file)", f"is missing from {folder}: is this an Ohana CSV folder?")
        return []
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in REQUIRED.get(name, ()) if c not in (reader.fieldnames or [])]
            if missing:
                raise FileProblem(name, 1, missing[0], "column is missing")
            rows = []
            for row in reader:
                row["_row"] = reader.line_num
                rows.append({k: (v or "").strip() if isinstance(v, str) else v for k, v in row.items() if k})
            return rows
    except UnicodeDecodeError as exc:
        raise FileProblem(name, "-", "(file)", f"is not UTF-8 text (byte {exc.start})") from None
    except csv.Error as exc:
        raise FileProblem(name, "-", "(row)", f"is not valid CSV: {exc}") from None


def _group(rows, key):
    out: dict[str, list[dict]] = {}
    for r in rows:
        if r.get(key):
            out.setdefault(r[key], []).append(r)
    return out


def _phone(p: dict, **owner) -> dict:
    return {"id": uid("phone", p["id"]), **owner, "number": p.get("number"), "extension": p.get("extension") or None,
            "type": {"voice": "voice", "fax": "fax", "tty": "textphone", "hotline": "voice"}.get(
                (p.get("number_type") or "").lower()) or p.get("number_type") or None,
            "description": p.get("department") or None}


def ohana_records(folder: Path):
    """({organizations, taxonomies, terms}, records iterator) like hsds_files.tabular_records."""
    orgs = _read(folder, "organizations.csv")
    locations = {r["id"]: r for r in _read(folder, "locations.csv")}
    services = _read(folder, "services.csv")
    addresses = _group(_read(folder, "addresses.csv"), "location_id")
    mail = _group(_read(folder, "mail_addresses.csv"), "location_id")
    phones = _read(folder, "phones.csv")
    phones_by_service, phones_by_location = _group(phones, "service_id"), _group(phones, "location_id")
    schedules = _read(folder, "regular_schedules.csv")
    sched_by_service, sched_by_location = _group(schedules, "service_id"), _group(schedules, "location_id")
    contacts = _group(_read(folder, "contacts.csv"), "service_id")
    taxonomy_rows = _read(folder, "taxonomy.csv")
    tax_id = uid("taxonomy", "ohana")
    parents = {
        "organizations": [{"id": uid("organization", o["id"]), "name": o.get("name"),
                           "alternate_name": o.get("alternate_name") or None,
                           "description": o.get("description") or "", "email": o.get("email") or None,
                           "website": o.get("website") or None, "legal_status": o.get("legal_status") or None,
                           "_row": o["_row"]} for o in orgs],
        "taxonomies": [{"id": tax_id, "name": "Ohana taxonomy (Open Eligibility)",
                        "description": "Categories as they came from an Ohana import.", "_row": 1}]
        if taxonomy_rows else [],
        "terms": [{"id": uid("term", t["taxonomy_id"]), "taxonomy_id": tax_id, "code": t["taxonomy_id"],
                   "name": t.get("name"), "parent_id": uid("term", t.get("parent_id")), "_row": t["_row"]}
                  for t in taxonomy_rows if t.get("taxonomy_id")],
    }

    def schedule_rows(rows, **owner):
        out = []
        for s in rows:
            day = DAYS.get((s.get("weekday") or "").lower())
            if not day:
                raise FileProblem("regular_schedules.csv", s["_row"], "weekday", f"“{s.get('weekday')}” is not a day")
            out.append({"id": uid("schedule", s["id"]), **owner, "freq": "WEEKLY", "byday": day,
                        "opens_at": s.get("opens_at") or None, "closes_at": s.get("closes_at") or None})
        return out

    def records():
        for s in services:
            loc = locations.get(s.get("location_id"))
            if loc is None:
                raise FileProblem("services.csv", s["_row"], "location_id", f"no location {s.get('location_id')}")
            sid, lid = uid("service", s["id"]), uid("location", loc["id"])
            sal_id = uid("service_at_location", s["id"])
            addr = [{"id": uid("address", a["id"]), "address_1": a.get("address_1"), "address_2": a.get("address_2"),
                     "city": a.get("city"), "state_province": a.get("state_province"),
                     "postal_code": a.get("postal_code"), "country": (a.get("country") or "US")[:2],
                     "address_type": "physical"} for a in addresses.get(loc["id"], [])]
            addr += [{"id": uid("mail_address", a["id"]), "attention": a.get("attention"),
                      "address_1": a.get("address_1"), "address_2": a.get("address_2"), "city": a.get("city"),
                      "state_province": a.get("state_province"), "postal_code": a.get("postal_code"),
                      "country": (a.get("country") or "US")[:2], "address_type": "postal"}
                     for a in mail.get(loc["id"], [])]
            location = {"id": lid, "location_type": "virtual" if (loc.get("virtual") or "").lower() == "true"
                        else "physical", "organization_id": uid("organization", loc.get("organization_id")),
                        "name": loc.get("name"), "alternate_name": loc.get("alternate_name") or None,
                        "description": loc.get("description") or None,
                        "transportation": loc.get("transportation") or None, "url": loc.get("website") or None,
                        "latitude": loc.get("latitude") or None, "longitude": loc.get("longitude") or None,
                        "addresses": addr,
                        "accessibility": [{"id": uid("accessibility", f"{loc['id']}:{a.strip()}"),
                                           "details": a.strip(), "description": a.strip().replace("_", " ")}
                                          for a in (loc.get("accessibility") or "").split(",") if a.strip()],
                        "phones": [_phone(p) for p in phones_by_location.get(loc["id"], []) if not p.get("service_id")],
                        "schedules": schedule_rows([x for x in sched_by_location.get(loc["id"], [])
                                                    if not x.get("service_id")])}
            record = {
                "id": sid, "organization_id": uid("organization", loc.get("organization_id")),
                "name": s.get("name"), "alternate_name": s.get("alternate_name") or None,
                "description": s.get("description") or "", "url": s.get("website") or None,
                "email": s.get("email") or None, "status": s.get("status") or "active",
                "application_process": s.get("application_process") or None,
                "fees_description": s.get("fees") or None,
                "eligibility_description": "; ".join(x for x in (s.get("eligibility"), s.get("audience")) if x) or None,
                "interpretation_services": s.get("interpretation_services") or None,
                "phones": [_phone(p) for p in phones_by_service.get(s["id"], [])],
                "schedules": schedule_rows(sched_by_service.get(s["id"], [])),
                "contacts": [{"id": uid("contact", c["id"]), "name": c.get("name") or None,
                              "title": c.get("title") or None, "department": c.get("department") or None,
                              "email": c.get("email") or None} for c in contacts.get(s["id"], [])],
                "languages": [{"id": uid("language", f"{s['id']}:{name.strip()}"), "name": name.strip()}
                              for name in (s.get("languages") or "").split(",") if name.strip()],
                "service_areas": [{"id": uid("service_area", f"{s['id']}:{name.strip()}"), "name": name.strip(),
                                   "area_type": "text"} for name in (s.get("service_areas") or "").split(",")
                                  if name.strip()],
                "attributes": [{"id": uid("attribute", f"{s['id']}:{code.strip()}"),
                                "taxonomy_term_id": uid("term", code.strip())}
                               for code in (s.get("taxonomy_ids") or "").split(",") if code.strip()],
                "service_at_locations": [{"id": sal_id, "location": location}],
            }
            yield "services.csv", s["_row"], record
    return parents, records()


def import_ohana(path, actor=None, dry_run: bool = False):
    path = Path(path)
    report = Report(str(path), dry_run)
    if not path.is_dir():
        report.problem(str(path), "-", "(file)", "is not a folder of Ohana CSV files")
        return report
    try:
        parents, records = ohana_records(path)
        return import_records(records, str(path), actor, dry_run, report=report, **parents)
    except FileProblem as exc:
        return file_problem(report, exc)
