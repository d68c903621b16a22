"""Bad input on every form and JSON endpoint: a clear message naming the field, never a 500, nothing written."""
import pytest
from sqlalchemy import func, select

from assets_hub.db import db
from assets_hub.directory.models import Organization, Service
from tests.conftest import csrf_token


def _org_id():
    return db.session.scalar(select(Organization.id).where(Organization.name.like("Mersey Vale%")))


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("fields, field, message", [
    ({"name": "", "description": "x"}, "name", "Enter the service&#39;s name."),
    ({"name": "A", "description": ""}, "description", "Describe what the service does."),
    ({"organization_id": ""}, "organization_id", "Choose the organisation."),
    ({"organization_id": "00000000-0000-4000-8000-000000000000"}, "organization_id", "Unknown organisation."),
    ({"minimum_age": "ten"}, "minimum_age", "Enter an age as a whole number."),
    ({"minimum_age": "40", "maximum_age": "30"}, "maximum_age", "maximum age must be the same as or more"),
    ({"maximum_age": "200"}, "maximum_age", "Enter an age from 0 to 130."),
    ({"url": "not a url"}, "url", "Enter a full web address starting with https://."),
    ({"url": "javascript:alert(1)"}, "url", "Enter a full web address starting with https://."),
    ({"email": "nope"}, "email", "Enter an email address like name@example.org."),
    ({"phone": "call me maybe"}, "phone", "Enter a phone number"),
    ({"status": "asleep"}, "status", "Choose one of"),
    ({"postcode": "SK1 3XE"}, "address_1", "Give the first line of the address"),
    ({"address_1": "1 Road", "city": "Stockport", "postcode": "SK9 9ZZ"}, "postcode", "We could not find SK9 9ZZ"),
    ({"address_1": "1 Road", "city": "Stockport", "postcode": "SK9"}, "postcode", "Enter a full postcode"),
    ({"areas": "Stockport, Narnia"}, "areas", "“Narnia” is not a council, region or country we know."),
    ({"categories": "00000000-0000-4000-8000-000000000000"}, "categories", "Unknown category."),
    ({"name": "<script>alert(1)</script>", "minimum_age": "x"}, "minimum_age", "whole number"),
])
def test_service_form_re_renders_with_the_error(client, login_as, fields, field, message):
    login_as("curator")
    before = _count(Service)
    data = {"organization_id": _org_id(), "name": "Test", "description": "Test service.", **fields,
            "csrf_token": csrf_token(client)}
    r = client.post("/manage/services/new", data=data)
    assert r.status_code == 422
    assert message in r.text
    assert f'href="#{field}"' in r.text  # the error summary links to the field
    assert "<script>alert(1)</script>" not in r.text
    assert _count(Service) == before


def test_organisation_form_errors(client, login_as):
    login_as("curator")
    before = _count(Organization)
    r = client.post("/manage/organizations/new", data={"name": "", "website": "ftp://x", "email": "x",
                                                        "csrf_token": csrf_token(client)})
    assert r.status_code == 422
    assert "Enter the organisation&#39;s name." in r.text and "https://" in r.text and "name@example.org" in r.text
    assert _count(Organization) == before


def test_json_errors_name_the_fields(client, login_as):
    login_as("curator")
    token = {"X-CSRF-Token": csrf_token(client)}
    r = client.post("/api/directory/services", json={"name": "", "minimum_age": -3, "unknown": 1}, headers=token)
    assert r.status_code == 422
    err = r.json["error"]
    assert err["code"] == "invalid"
    assert {"organization_id", "name", "description", "minimum_age"} <= set(err["fields"])
    not_json = client.post("/api/directory/services", data="hello", headers=token)
    assert not_json.status_code == 422 and "_body" in not_json.json["error"]["fields"]
    listy = client.post("/api/directory/services", json=[1, 2], headers=token)
    assert listy.status_code == 422


def test_database_rule_broken_by_a_partial_update_is_a_422_not_a_500(client, login_as):
    login_as("curator")
    token = {"X-CSRF-Token": csrf_token(client)}
    made = client.post("/api/directory/services", json={"organization_id": _org_id(), "name": "Ages",
                                                         "description": "x", "maximum_age": 30}, headers=token)
    assert made.status_code == 201
    # Only minimum_age is sent, so the schema cannot compare it: the database CHECK does.
    r = client.patch(f"/api/directory/services/{made.json['id']}", json={"minimum_age": 50}, headers=token)
    assert r.status_code == 422
    assert r.json["error"]["code"] == "invalid" and "psycopg" not in r.text and "sqlite" not in r.text.lower()
    assert client.get(f"/api/directory/services/{made.json['id']}").json["minimum_age"] is None


def test_unknown_ids_are_404_not_500(client):
    assert client.get("/services/not-a-uuid").status_code == 404
    assert client.get("/services/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/organizations/%27%3B--").status_code == 404
    assert client.get("/categories/nope").status_code == 404
    r = client.get("/api/directory/services/nope")
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("query", [
    "what=%22%3A%28*AND&where=SK4", "where=%3Cscript%3Ealert(1)%3C/script%3E", "what=" + "a" * 10000,
    "where=SK4&radius_km=0", "where=SK4&radius_km=10000", "where=SK4&radius_km=abc", "page=-1&what=food",
    "what=%27%3B DROP TABLE service;--&where=%27 OR 1=1--",
])
def test_search_never_fails_on_odd_input(client, query):
    r = client.get(f"/search?{query}")
    assert r.status_code in (200, 422)
    assert "<script>alert(1)</script>" not in r.text
    if r.status_code == 422:
        assert "There is a problem" in r.text


def test_edit_form_errors_keep_the_published_values(client, login_as):
    login_as("curator")
    svc = db.session.scalar(select(Service).where(Service.name == "Reddish Vale Walking Group"))
    r = client.post(f"/manage/services/{svc.id}/edit", data={
        "organization_id": svc.organization_id, "name": "", "description": "Changed", "minimum_age": "-4",
        "csrf_token": csrf_token(client)})
    assert r.status_code == 422
    assert "Enter the service&#39;s name." in r.text and "Enter an age from 0 to 130." in r.text
    db.session.expire_all()
    assert db.session.get(Service, svc.id).name == "Reddish Vale Walking Group"
    assert "Gentle led walks" in db.session.get(Service, svc.id).description


DEEP = "[" * 50_000 + "]" * 50_000


@pytest.mark.parametrize("body", [
    '{"name": "Deep", "description": "x", "area_geojson": ' + DEEP + "}",   # deeper than the parser goes
    '{"name": "Deep", "description": "x", "area_geojson": ' + "[" * 900 + "]" * 900 + "}",  # parsed, then walked
])
def test_deeply_nested_json_is_refused_not_a_server_error(client, login_as, body):
    login_as("curator")
    before = _count(Service)
    r = client.post("/api/directory/services", data=body.replace('"Deep"', '"Deep", "organization_id": "%s"'
                                                                 % _org_id()),
                    headers={"Content-Type": "application/json", "X-CSRF-Token": csrf_token(client)})
    assert r.status_code == 422, r.text
    assert r.json["error"]["fields"]
    assert _count(Service) == before


def test_deeply_nested_area_in_the_form_names_the_field(client, login_as):
    login_as("curator")
    r = client.post("/manage/services/new", data={
        "organization_id": _org_id(), "name": "Deep", "description": "x", "area_geojson": DEEP,
        "csrf_token": csrf_token(client)})
    assert r.status_code == 422
    assert 'href="#area_geojson"' in r.text or "area" in r.text.lower()
