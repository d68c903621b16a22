"""A flat CSV of every listing for curators' spreadsheets."""
from __future__ import annotations

import csv
import io
from typing import Iterator

from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory.models import Organization, Service
from assets_hub.roles import CURATORS, require_role

COLUMNS = ("id", "name", "organization", "status", "email", "url", "last_reviewed_at", "updated_at",
           "deprioritised_at", "self_referral", "professional_referral")


# A cell starting with one of these is run as a formula by spreadsheets (OWASP's CSV injection
# list): = + - @, and a tab or carriage return, which some spreadsheets skip before the formula.
FORMULA_START = frozenset("=+-@\t\r")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, str) and value and value[0] in FORMULA_START:
        return "'" + value
    return value


def services_csv_rows(actor) -> Iterator[str]:
    require_role(actor, *CURATORS, action="download listings")
    stmt = (select(Service.id, Service.name, Organization.name, Service.status, Service.email, Service.url,
                   Service.last_reviewed_at, Service.updated_at, Service.deprioritised_at, Service.self_referral,
                   Service.professional_referral)
            .join(Organization, Organization.id == Service.organization_id).order_by(Service.name, Service.id))

    def generate():
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(COLUMNS)
        for row in db.session.execute(stmt.execution_options(yield_per=2000)):
            writer.writerow([_cell(v) for v in row])
            if buf.tell() > 64_000:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()
    return generate()
