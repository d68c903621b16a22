"""HSDS import and export: round trips, idempotency, history, dry runs and bad files, on both databases."""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from assets_hub import create_app
from assets_hub.migrate import upgrade_database
from assets_hub.db import db
from assets_hub.directory.models import Location, Service
from assets_hub.directory.services import VISIBLE_STATUSES
from curation.hsds.export import export_package
from curation.hsds.importer import import_path
from curation.models import ListingChange, ListingVersion
from search import run_search
from search.query import SearchQuery
from tests.conftest import create_database


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture(scope="module")
def demo_package(app, tmp_path_factory):
    """The demo directory exported once as an HSDS tabular package."""
    folder = tmp_path_factory.mktemp("export") / "package"
    with app.app_context():
        counts = export_package(folder)
        db.session.rollback()
    assert counts["services.csv"] > 3000
    return folder


def empty_instance(tmp_path_factory, label: str):
    """A migrated database with only the gazetteer: a new installation."""
    url = create_database(tmp_path_factory.mktemp(label), label)
    upgrade_database(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "t", "SERVER_NAME": "localhost",
                      "SEARCH_INDEX_DIR": str(tmp_path_factory.mktemp(label + "-index")),
                      "API_RATE_LIMIT": "1000000 per minute"})
    with app.app_context():
        from assets_hub.geo.postcodes import load_bundled
        load_bundled()
        db.commit()
    return app


def read_csvs(folder: Path) -> dict[str, list[list[str]]]:
    return {p.name: list(csv.reader(io.StringIO(p.read_text(encoding="utf-8")))) for p in sorted(folder.glob("*.csv"))}


def test_tabular_export_imports_into_an_empty_instance_as_the_same_data(demo_package, tmp_path_factory):
    target = empty_instance(tmp_path_factory, "roundtrip")
    again_folder = tmp_path_factory.mktemp("again") / "package"
    with target.app_context():
        report = import_path(demo_package, actor="test")
        db.commit()  # (as the command does at its end)
        assert report.ok, report.lines()[:20]
        assert report.created == count(Service) > 3000 and report.updated == report.unchanged == 0
        again = export_package(again_folder)
        assert again["services.csv"] == report.created
        # every imported service has its history entry
        assert count(ListingVersion) == report.created
        version = db.session.scalar(select(ListingVersion).limit(1))
        assert version.action == "import" and version.note == f"Imported from {demo_package}"
        # and search finds what came in (PostgreSQL: one search row per visible listing, none pending)
        # (A to Z: best first counts only up to 2,000 on PostgreSQL with RUM)
        assert run_search(SearchQuery(what="library", per_page=5, sort="az")).total > 2000
        if db.is_postgres:
            visible = db.session.scalar(select(func.count()).select_from(Service)
                                        .where(Service.status.in_(VISIBLE_STATUSES)))
            assert db.session.execute(text("SELECT count(*) FROM service_search")).scalar() == visible
            assert db.session.execute(text("SELECT count(*) FROM service_search_pending")).scalar() == 0
        db.session.rollback()
    first, second = read_csvs(demo_package), read_csvs(again_folder)
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name

    # importing the same package again changes nothing and writes no history
    with target.app_context():
        versions = count(ListingVersion)
        report = import_path(demo_package, actor="test")
        assert report.ok and report.created == report.updated == 0 and report.unchanged > 3000
        assert count(ListingVersion) == versions
        db.session.rollback()
    db.state(target).engine.dispose()


def test_api_ndjson_imports_into_an_empty_instance_as_the_same_data(client, tmp_path_factory):
    """Open Referral round trip: everything the API streams, imported elsewhere, streams back the same.
    The category tree comes first (/taxonomy_terms): a service record names its own terms, not their parents."""
    terms = client.get("/api/v3/taxonomy_terms?format=ndjson").text
    source = client.get("/api/v3/services?format=ndjson&full=true").text
    path = tmp_path_factory.mktemp("ndjson") / "directory.ndjson"
    path.write_text(terms + source, encoding="utf-8")
    target = empty_instance(tmp_path_factory, "ndjson")
    with target.app_context():
        report = import_path(path, actor="test")
        db.commit()  # (as the command does at its end)
        assert report.ok, report.lines()[:20]
        assert report.created == len(source.splitlines())
        assert not [w for w in report.warnings if "parent" in w.field]
        db.session.rollback()
        back = target.test_client().get("/api/v3/services?format=ndjson&full=true").text
        back_terms = target.test_client().get("/api/v3/taxonomy_terms?format=ndjson").text
    db.state(target).engine.dispose()
    assert back.splitlines() == source.splitlines()
    assert back_terms.splitlines() == terms.splitlines()


def edit_csv(folder: Path, name: str, change) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    fields = next(csv.reader(io.StringIO(text)))
    rows = change(rows) or rows
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def package(demo_package, tmp_path):
    folder = tmp_path / "package"
    shutil.copytree(demo_package, folder)
    return folder


def befriending_row(rows):
    return next(r for r in rows if r["name"] == "Heatons Befriending Circle")


def test_a_changed_row_updates_that_service_with_field_history(ctx, package):
    def rename(rows):
        befriending_row(rows)["name"] = "Heatons Befriending Circle and Lunch Club"
    edit_csv(package, "services.csv", rename)
    report = import_path(package, actor="import: test.csv")
    assert report.ok, report.lines()
    assert report.updated == 1 and report.created == 0 and report.unchanged > 3000
    svc = db.session.scalar(select(Service).where(Service.name == "Heatons Befriending Circle and Lunch Club"))
    assert svc is not None
    change = db.session.scalar(select(ListingChange).where(ListingChange.resource_id == svc.id,
                                                           ListingChange.field_name == "name"))
    assert change.previous_value == "Heatons Befriending Circle"
    assert change.replacement_value == "Heatons Befriending Circle and Lunch Club"
    assert change.updated_by == "import: test.csv" and change.last_action_type == "update"


@pytest.mark.pg_only
def test_an_import_refreshes_search_per_batch_and_later_writes_at_once(ctx, package, make_user):
    """The importer defers the search table's refresh to the end of each batch; after it, the
    transaction refreshes as it writes again."""
    from curation.listings import update_service

    def rename(rows):
        befriending_row(rows)["name"] = "Heatons Befriending Circle and Lunch Club"
    edit_csv(package, "services.csv", rename)
    assert import_path(package, actor="import: test.csv").ok
    found = run_search(SearchQuery(what="befriending lunch", per_page=50)).hits
    assert "Heatons Befriending Circle and Lunch Club" in [h.name for h in found]
    assert db.session.execute(text("SELECT count(*) FROM service_search_pending")).scalar() == 0
    sid = next(h.service_id for h in found if h.name == "Heatons Befriending Circle and Lunch Club")
    update_service(make_user("curator"), sid, {"description": "Volunteers visit for a chat. Zyxwvut."})
    assert [h.name for h in run_search(SearchQuery(what="zyxwvut")).hits] == ["Heatons Befriending Circle and Lunch Club"]


@pytest.mark.pg_only
def test_a_deferred_refresh_nobody_flushed_happens_at_commit(app):
    """A writer that defers the refresh and forgets to flush still leaves search right: what is
    pending is refreshed when the transaction commits."""
    engine = db.state(app).engine
    word = "SELECT count(*) FROM service_search WHERE search_vector @@ to_tsquery('english', 'qwzxv')"
    with engine.begin() as conn:
        sid = conn.execute(text("SELECT id FROM service WHERE name = 'Heatons Befriending Circle'")).scalar()
        conn.execute(text("SET LOCAL assets_hub.search_refresh = 'deferred'"))
        conn.execute(text("UPDATE service SET description = description || ' qwzxv' WHERE id = :id"), {"id": sid})
        assert conn.execute(text(word)).scalar() == 0  # not yet
    try:
        with engine.connect() as conn:
            assert conn.execute(text(word)).scalar() == 1
            assert conn.execute(text("SELECT count(*) FROM service_search_pending")).scalar() == 0
            assert conn.execute(text("SELECT count(*) FROM service_search_commit")).scalar() == 0
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE service SET description = left(description, length(description) - 6) "
                              "WHERE id = :id"), {"id": sid})
            assert conn.execute(text(word)).scalar() == 0


def test_dry_run_reports_and_changes_nothing(ctx, package):
    def rename(rows):
        befriending_row(rows)["name"] = "Renamed in a dry run"
    edit_csv(package, "services.csv", rename)
    before = count(ListingVersion)
    report = import_path(package, dry_run=True)
    assert report.ok and report.updated == 1
    assert "Nothing was changed (dry run)." in "\n".join(report.lines())
    assert db.session.scalar(select(func.count()).where(Service.name == "Renamed in a dry run")) == 0
    assert count(ListingVersion) == before


def test_postcode_without_coordinates_is_placed_by_the_gazetteer(ctx, package):
    def drop_position(rows):
        for r in rows:
            if r["name"] == "Heaton Moor Community Rooms":
                r["latitude"] = r["longitude"] = ""
    edit_csv(package, "locations.csv", drop_position)
    report = import_path(package)
    assert report.ok
    loc = db.session.scalar(select(Location).where(Location.name == "Heaton Moor Community Rooms"))
    assert loc.latitude == pytest.approx(53.42, abs=0.05) and loc.longitude == pytest.approx(-2.18, abs=0.05)


def assert_rejected_whole(report, file, field, words):
    assert not report.ok
    assert report.created == report.updated == report.unchanged == 0
    match = [p for p in report.problems if p.file == file and p.field == field]
    assert match, [str(p) for p in report.problems]
    assert words in match[0].problem, str(match[0])
    assert "Nothing was changed" in report.lines()[-1]


def test_one_bad_value_rejects_the_whole_import_naming_file_row_and_field(ctx, package):
    def breaks(rows):
        rows[5]["status"] = "open"
        befriending_row(rows)["name"] = "Should not be saved"
    edit_csv(package, "services.csv", breaks)
    services = count(Service)
    report = import_path(package)
    assert_rejected_whole(report, "services.csv", "status", "must be active, inactive")
    assert report.problems[0].row == 7  # header is row 1
    assert count(Service) == services
    assert db.session.scalar(select(func.count()).where(Service.name == "Should not be saved")) == 0


def test_an_email_that_is_not_an_address_is_refused_naming_it(ctx, package):
    """HSDS requires the email format and nobody can write to anything else: the source's own
    "chadwell.information.centre.@thurrock.gov.uk" (a dot before the @) is refused."""
    def breaks(rows):
        rows[2]["email"] = "chadwell.information.centre.@thurrock.gov.uk"
    edit_csv(package, "services.csv", breaks)
    report = import_path(package)
    assert_rejected_whole(report, "services.csv", "email", "is not an email address")
    assert report.problems[0].row == 4


def test_broken_reference(ctx, package):
    def orphan(rows):
        rows[0]["location_id"] = "00000000-0000-4000-8000-000000000001"
    edit_csv(package, "service_at_location.csv", orphan)
    report = import_path(package)
    assert_rejected_whole(report, "service_at_location.csv", "location_id", "not in locations.csv")


def test_unknown_organisation(ctx, package):
    def orphan(rows):
        rows[0]["organization_id"] = "00000000-0000-4000-8000-000000000002"
    edit_csv(package, "services.csv", orphan)
    report = import_path(package)
    assert_rejected_whole(report, "services.csv", "organization_id", "no organisation")


def test_missing_column(ctx, package):
    rows = list(csv.reader(io.StringIO((package / "addresses.csv").read_text(encoding="utf-8"))))
    col = rows[0].index("postal_code")
    with (package / "addresses.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([r[:col] + r[col + 1:] for r in rows])
    report = import_path(package)
    assert_rejected_whole(report, "addresses.csv", "postal_code", "column is missing")


def test_wrong_encoding(ctx, package):
    text = (package / "organizations.csv").read_text(encoding="utf-8")
    (package / "organizations.csv").write_bytes(text.replace("Council", "Cyngor Sir Ddinbych ŵ").encode("cp1252",
                                                                                                       "replace")
                                                 + "Caf\u00e9".encode("latin-1"))
    report = import_path(package)
    assert_rejected_whole(report, "organizations.csv", "(file)", "not UTF-8")


def test_csv_bomb_and_huge_file(ctx, package):
    """A 200 MB services.csv whose one field never ends: stopped at the first oversized field."""
    with (package / "services.csv").open("a", encoding="utf-8") as fh:
        fh.write('00000000-0000-4000-8000-000000000003,x,"')
        chunk = "A" * (1024 * 1024)
        for _ in range(200):
            fh.write(chunk)
    assert (package / "services.csv").stat().st_size > 200 * 1024 * 1024
    services = count(Service)
    report = import_path(package)
    assert_rejected_whole(report, "services.csv", "(row)", "field larger than field limit")
    assert count(Service) == services


def test_ragged_rows(ctx, package):
    with (package / "phones.csv").open("a", encoding="utf-8") as fh:
        fh.write("only,three,fields\n")
    report = import_path(package)
    assert_rejected_whole(report, "phones.csv", "(row)", "fields but the header has")


def test_json_files(ctx, tmp_path, client):
    record = client.get("/api/v3/services/" + db.session.scalar(
        select(Service.id).where(Service.name == "Heatons Befriending Circle"))).json
    # one record, a list, an API page: all read; unchanged data is unchanged
    for name, data in (("one.json", record), ("list.json", [record]), ("page.json", {"contents": [record]})):
        (tmp_path / name).write_text(json.dumps(data))
        report = import_path(tmp_path / name)
        assert report.ok and report.unchanged == 1, (name, report.lines())
    bad = dict(record, minimum_age=90, maximum_age=10)
    (tmp_path / "bad.ndjson").write_text(json.dumps(record) + "\n" + json.dumps(bad) + "\n")
    report = import_path(tmp_path / "bad.ndjson")
    assert_rejected_whole(report, "bad.ndjson", "maximum_age", "below minimum_age")
    assert report.problems[0].row == 2
    (tmp_path / "broken.ndjson").write_text(json.dumps(record) + "\n{not json\n")
    assert_rejected_whole(import_path(tmp_path / "broken.ndjson"), "broken.ndjson", "(line)", "not JSON")
    (tmp_path / "missing.json").write_text(json.dumps(dict(record, id="not-a-uuid")))
    assert_rejected_whole(import_path(tmp_path / "missing.json"), "missing.json", "id", "UUID")


def test_big_json_is_refused_with_advice(ctx, tmp_path):
    from curation.hsds import files as hsds_files
    path = tmp_path / "big.json"
    path.write_text("[" + ",".join(["{}"] * 1000) + "]")
    original = hsds_files.JSON_MAX_BYTES
    hsds_files.JSON_MAX_BYTES = 1000
    try:
        report = import_path(path)
    finally:
        hsds_files.JSON_MAX_BYTES = original
    assert_rejected_whole(report, "big.json", "(file)", "Use NDJSON")


def test_deeply_nested_json_is_a_clear_problem_not_a_traceback(ctx, tmp_path, client):
    record = client.get("/api/v3/services/" + db.session.scalar(
        select(Service.id).where(Service.name == "Heatons Befriending Circle"))).json
    deep = "[" * 50_000 + "]" * 50_000
    (tmp_path / "deep.json").write_text(deep)
    assert_rejected_whole(import_path(tmp_path / "deep.json"), "deep.json", "(file)", "nested too deeply")
    (tmp_path / "deep.ndjson").write_text(json.dumps(record) + "\n" + deep + "\n")
    report = import_path(tmp_path / "deep.ndjson")
    assert_rejected_whole(report, "deep.ndjson", "(line)", "nested too deeply")
    assert report.problems[0].row == 2
    # parsed (under the parser's limit), then every field of it read: refused, naming the field
    nested = json.loads("[" * 900 + "]" * 900)
    (tmp_path / "field.json").write_text(json.dumps(dict(record, description=nested,
                                                         service_areas=[{"extent": nested}])))
    report = import_path(tmp_path / "field.json")
    assert not report.ok and report.problems, report.lines()


def test_an_organisation_embedded_earlier_in_the_batch_is_found(ctx, tmp_path, client):
    """Two services of one new organisation, the organisation embedded in the first record only."""
    import uuid as _uuid
    record = client.get("/api/v3/services/" + db.session.scalar(
        select(Service.id).where(Service.name == "Heatons Befriending Circle"))).json
    org_id = str(_uuid.uuid4())
    organization = dict(record["organization"], id=org_id, name="Batch-embedded Friends")
    first = {"id": str(_uuid.uuid4()), "name": "Batch first service", "status": "active",
             "description": "Walks.", "organization_id": org_id, "organization": organization}
    second = dict(first, id=str(_uuid.uuid4()), name="Batch second service", organization_id=org_id)
    second.pop("organization")
    (tmp_path / "batch.ndjson").write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
    report = import_path(tmp_path / "batch.ndjson")
    assert report.ok, report.lines()
    assert report.created == 2
    names = db.session.scalars(select(Service.name).where(Service.organization_id == org_id)).all()
    assert sorted(names) == ["Batch first service", "Batch second service"]
    # an embedded organisation whose id contradicts the record's organization_id is refused, not merged
    third = dict(first, id=str(_uuid.uuid4()), organization_id=record["organization"]["id"])
    (tmp_path / "contradicts.json").write_text(json.dumps(third))
    assert_rejected_whole(import_path(tmp_path / "contradicts.json"), "contradicts.json", "organization.id",
                          "is not the record's organization_id")


@pytest.mark.parametrize("file, field, value, words", [
    ("services.csv", "url", "javascript:alert(document.cookie)", "not a web address starting with http"),
    ("services.csv", "url", "data:text/html,<script>alert(1)</script>", "not a web address"),
    ("organizations.csv", "website", "JavaScript:alert(1)", "not a web address"),
    ("phones.csv", "number", "call us maybe", "is not a phone number"),
])
def test_unsafe_web_addresses_and_bad_phones_are_refused_naming_the_row(ctx, package, file, field, value, words):
    def breaks(rows):
        rows[3][field] = value
    edit_csv(package, file, breaks)
    report = import_path(package)
    assert not report.ok and report.created == report.updated == 0
    problem = report.problems[0]
    assert problem.field.endswith(field) and words in problem.problem, str(problem)
    if file != "phones.csv":          # (a service's phones are reported at the service's row)
        assert (problem.file, problem.row) == (file, 5)


def test_an_unsafe_address_in_a_json_record_is_refused(ctx, tmp_path, client):
    record = client.get("/api/v3/services/" + db.session.scalar(
        select(Service.id).where(Service.name == "Heatons Befriending Circle"))).json
    record["service_at_locations"][0]["location"]["url"] = "javascript:alert(1)"
    (tmp_path / "one.json").write_text(json.dumps(record))
    report = import_path(tmp_path / "one.json")
    assert not report.ok
    assert report.problems[0].field.endswith("location.url"), str(report.problems[0])
    assert "not a web address" in report.problems[0].problem
