"""Ohana CSV import (real San Mateo County records), on both databases."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory.models import Location, Service
from curation.hsds.ohana import import_ohana, uid

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "ohana-san-mateo-csv"


def test_ohana_folder_imports_once(ctx):
    report = import_ohana(SAMPLE, actor="test")
    assert report.ok, report.lines()
    assert report.created == 23 and report.rejected == 0
    svc = db.session.get(Service, uid("service", "1"))
    assert svc.name == "Fair Oaks Adult Activity Center"
    assert svc.fees_description.startswith("$2.50 suggested donation")
    loc = db.session.get(Location, uid("location", "1"))
    assert loc.latitude and loc.addresses[0].postal_code == "94063" and loc.addresses[0].country == "US"
    assert {a.details for a in loc.accessibility} >= {"ramp", "wheelchair"}
    statuses = set(db.session.scalars(select(Service.status).where(Service.id.in_(
        [uid("service", str(i)) for i in range(1, 24)]))))
    assert statuses == {"active", "inactive", "defunct"}
    again = import_ohana(SAMPLE, actor="test")
    assert again.ok and again.created == 0 and again.unchanged == 23


def test_missing_ohana_file_is_reported(ctx, tmp_path):
    (tmp_path / "organizations.csv").write_text("id,name\n1,Org\n")
    report = import_ohana(tmp_path)
    assert not report.ok and report.problems[0].file == "locations.csv"
    assert "is missing" in report.problems[0].problem
