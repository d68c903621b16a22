"""Write the whole directory as an HSDS 3.0 tabular data package (CSV + datapackage.json).

Every HSDS resource gets its file (those we hold no data for have just the header), in the HSDS
column order, plus our extension columns at the end of services.csv and service_areas.csv. Rows are
streamed from the database, so memory does not grow with the directory. ``assets-hub import hsds``
reads the package back to the same data.
"""
from __future__ import annotations

import copy
import csv
import json
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from assets_hub.config import HSDS_DIR
from assets_hub.db import db
from assets_hub.directory.models import (Accessibility, Address, Attribute, Contact, CostOption, Language, Location,
                                         Organization, Phone, Schedule, Service, ServiceArea, ServiceAtLocation,
                                         Taxonomy, TaxonomyTerm)
from assets_hub.directory.records import iso_text

EXTRA = {
    "service": ["self_referral", "professional_referral", "delivered_in_person", "delivered_online",
                "delivered_by_phone"],
    "service_area": ["area_type", "area_code"],
}
SOURCES = {
    "organization": Organization, "service": Service, "location": Location, "service_at_location": ServiceAtLocation,
    "address": Address, "phone": Phone, "schedule": Schedule, "service_area": ServiceArea, "language": Language,
    "cost_option": CostOption, "contact": Contact, "accessibility": Accessibility, "taxonomy": Taxonomy,
    "taxonomy_term": TaxonomyTerm, "attribute": Attribute,
}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return iso_text(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _values(resource: str, row, columns: list[str], taxonomy_names: dict) -> list[str]:
    m = row._mapping
    if resource == "service":
        extra = {"last_modified": m["updated_at"],
                 "assured_date": m["last_reviewed_at"].date() if m["last_reviewed_at"] else None}
    elif resource == "attribute":
        extra = {"link_id": m["service_id"] or m["organization_id"] or m["location_id"],
                 "link_entity": "service" if m["service_id"] else "organization" if m["organization_id"] else "location",
                 "link_type": "taxonomy"}
    elif resource == "taxonomy_term":
        extra = {"taxonomy": taxonomy_names.get(m["taxonomy_id"])}
    else:
        extra = {}
    return [_cell(extra[c] if c in extra else (m[c] if c in m else None)) for c in columns]


def export_package(folder: Path) -> dict[str, int]:
    """Write the package into ``folder`` (created if needed); returns rows written per file."""
    folder.mkdir(parents=True, exist_ok=True)
    descriptor = json.loads((HSDS_DIR / "datapackage.json").read_text(encoding="utf-8"))
    out = copy.deepcopy(descriptor)
    out["name"] = "assets_hub_export"
    out["title"] = "Assets Hub directory export (HSDS 3.0)"
    out["created"] = datetime.now(timezone.utc).isoformat()
    taxonomy_names = dict(db.session.execute(select(Taxonomy.id, Taxonomy.name)).all())
    counts = {}
    for resource in out["resources"]:
        name = resource["name"]
        columns = [f["name"] for f in resource["schema"]["fields"]]
        for extra in EXTRA.get(name, []):
            columns.append(extra)
            resource["schema"]["fields"].append({"name": extra, "type": "boolean" if extra.startswith(("self", "prof", "deliv")) else "string",
                                                 "description": "Assets Hub extension"})
        path = folder / resource["path"]
        n = 0
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(columns)
            model = SOURCES.get(name)
            if model is not None:
                stmt = select(model.__table__).order_by(model.__table__.c.id)
                for row in db.session.execute(stmt.execution_options(yield_per=2000)):
                    writer.writerow(_values(name, row, columns, taxonomy_names))
                    n += 1
        counts[resource["path"]] = n
    (folder / "datapackage.json").write_text(json.dumps(out, indent=1, ensure_ascii=False), encoding="utf-8")
    return counts
