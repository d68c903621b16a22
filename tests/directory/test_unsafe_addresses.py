"""A javascript: web address is never stored by the JSON API, never rendered as a link, and the
ones stored before imports refused them are removed by migration 0019 (kept in the change log)."""
from __future__ import annotations

from sqlalchemy import select, text

from assets_hub import create_app
from assets_hub.migrate import upgrade_database
from assets_hub.db import db
from assets_hub.directory.models import Organization, Service
from tests.conftest import create_database, csrf_token


def test_the_json_api_refuses_a_javascript_address(client, login_as):
    login_as("curator")
    org = db.session.scalar(select(Organization.id).limit(1))
    r = client.post("/api/directory/services", json={"organization_id": org, "name": "X", "description": "Y",
                                                     "url": "javascript:alert(1)"},
                    headers={"X-CSRF-Token": csrf_token(client)})
    assert r.status_code == 422 and "url" in r.json["error"]["fields"]
    r = client.post("/api/directory/organizations", json={"name": "Z org", "description": "Y",
                                                          "website": "javascript:alert(1)"},
                    headers={"X-CSRF-Token": csrf_token(client)})
    assert r.status_code == 422 and "website" in r.json["error"]["fields"]


def test_a_stored_javascript_address_is_not_a_link(client):
    svc = db.session.scalar(select(Service).where(Service.name == "Heatons Befriending Circle"))
    svc.url = "javascript:alert(1)"
    db.session.flush()
    page = client.get(f"/services/{svc.id}").text
    assert "javascript:" not in page


def test_migration_0019_removes_unsafe_addresses_and_logs_them(tmp_path):
    url = create_database(tmp_path, "unsafe")
    upgrade_database(url, "0018")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "SEARCH_INDEX_DIR": str(tmp_path / "index")})
    with app.app_context():
        org = Organization(name="Old import", description="", website="javascript:alert('org')")
        db.session.add(org)
        db.session.flush()
        bad = Service(organization_id=org.id, name="Bad link", description="", status="active",
                      url="javascript:alert('svc')")
        good = Service(organization_id=org.id, name="Good link", description="", status="active",
                       url="https://example.org/")
        db.session.add_all([bad, good])
        db.session.commit()
        ids = (org.id, bad.id, good.id)
    db.state(app).engine.dispose()
    upgrade_database(url, "head")
    with app.app_context():
        assert db.session.get(Organization, ids[0]).website is None
        assert db.session.get(Service, ids[1]).url is None
        assert db.session.get(Service, ids[2]).url == "https://example.org/"
        logged = db.session.execute(text("SELECT resource_id, field_name, previous_value FROM listing_change "
                                         "WHERE updated_by LIKE 'system (unsafe%' ORDER BY field_name")).all()
        assert [tuple(r) for r in logged] == [(ids[1], "url", "javascript:alert('svc')"),
                                              (ids[0], "website", "javascript:alert('org')")]
    db.state(app).engine.dispose()
