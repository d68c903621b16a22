"""The Open Referral HSDS 3.0 API: shapes (validated against the HSDS JSON Schemas), filters,
paging, conditional requests, rate limiting, CORS and bad input, on both databases."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from assets_hub import create_app
from assets_hub.db import db
from assets_hub.directory.models import Organization, Service, ServiceAtLocation, TaxonomyTerm
from assets_hub.config import HSDS_DIR

BASE = "/api/v3"


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    schema = json.loads((HSDS_DIR / "schema" / name).read_text())
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def assert_valid(record: dict, schema: str) -> None:
    errors = sorted(validator(schema).iter_errors(record), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


ENVELOPE = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page", "empty", "contents"}


def get_ok(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.text[:500])
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response


def service_id(name: str) -> str:
    return db.session.scalar(select(Service.id).where(Service.name == name))


def test_root_says_version_profile_openapi_and_licence(client):
    body = get_ok(client, BASE + "/").json
    assert body["version"] == "3.0"
    assert body["profile"].startswith("https://")
    assert body["openapi_url"].endswith("/api/v3/openapi.json")
    assert "Open Government Licence" in body["licence"]["name"]
    assert any("Contains OS data © Crown copyright" in line for line in body["licence"]["attribution"])
    doc = get_ok(client, body["openapi_url"].replace("http://localhost", "")).json
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["license"]["name"] == body["licence"]["name"]
    assert "/services/{id}" in doc["paths"] and "404" in doc["paths"]["/services/{id}"]["get"]["responses"]
    # the $refs it uses are served beside it
    assert get_ok(client, BASE + "/schema/compiled/service.json").json["required"] == ["id", "name", "status"]


def test_data_licence_is_configurable(database_url, index_dir):
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "SERVER_NAME": "localhost",
                      "SEARCH_INDEX_DIR": str(index_dir), "DATA_LICENCE_NAME": "CC BY 4.0",
                      "DATA_LICENCE_URL": "https://creativecommons.org/licenses/by/4.0/"})
    with app.app_context():
        body = app.test_client().get(BASE + "/").json
        doc = app.test_client().get(BASE + "/openapi.json").json
    db.state(app).engine.dispose()
    assert body["licence"]["name"] == "CC BY 4.0" and doc["info"]["license"]["name"] == "CC BY 4.0"
    # the postcode attribution is not configurable
    assert any("Royal Mail" in line for line in body["licence"]["attribution"])


@pytest.mark.parametrize("path,schema", [
    ("/services", "compiled/service_list.json"),
    ("/services?full=true", "compiled/service.json"),
    ("/services?minimal=true", "compiled/service_list.json"),
    ("/organizations", "compiled/organization_list.json"),
    ("/organizations?full=true", "compiled/organization.json"),
    ("/taxonomies", "taxonomy.json"),
    ("/taxonomy_terms", "taxonomy_term.json"),
    ("/service_at_locations", "compiled/service_at_location_list.json"),
    ("/service_at_locations?full=true", "compiled/service_at_location.json"),
])
def test_every_list_is_an_hsds_page_of_valid_records(client, path, schema):
    sep = "&" if "?" in path else "?"
    body = get_ok(client, f"{BASE}{path}{sep}per_page=40").json
    assert set(body) == ENVELOPE
    assert body["size"] == len(body["contents"]) > 0 and body["page_number"] == 1 and body["first_page"]
    assert body["total_pages"] == -(-body["total_items"] // 40)
    for record in body["contents"]:
        assert_valid(record, schema)


def test_example_services_validate_fully_nested(client):
    """The hand-written listings use every part of the model: phones, schedules, areas, costs, languages."""
    ids = db.session.scalars(select(Service.id).where(Service.alert.like("Example listing%"))).all()
    assert len(ids) >= 10
    for sid in ids:
        record = get_ok(client, f"{BASE}/services/{sid}").json
        assert_valid(record, "compiled/service.json")
        assert record["id"] == sid and record["organization"]["id"]
    befriending = get_ok(client, f"{BASE}/services/{service_id('Heatons Befriending Circle')}").json
    assert befriending["phones"] and befriending["service_at_locations"]
    assert befriending["schedules"] or befriending["service_at_locations"][0]["schedules"]
    assert befriending["service_at_locations"][0]["location"]["addresses"][0]["postal_code"].startswith("SK4")
    assert any(a["taxonomy_term"]["name"] for a in befriending["attributes"])
    assert all(a["link_entity"] == "service" and a["link_id"] == befriending["id"] for a in befriending["attributes"])


def test_single_records_of_every_kind_validate(client):
    org_id = db.session.scalar(select(Service.organization_id).where(Service.name == "Heatons Befriending Circle"))
    org = get_ok(client, f"{BASE}/organizations/{org_id}").json
    assert_valid(org, "compiled/organization.json")
    assert "Heatons Befriending Circle" in [s["name"] for s in org["services"]]
    full = get_ok(client, f"{BASE}/organizations/{org_id}?full_service=true").json
    assert_valid(full, "compiled/organization.json")
    assert full["services"][0]["service_at_locations"] is not None
    term = db.session.scalar(select(TaxonomyTerm).where(TaxonomyTerm.parent_id.is_not(None)))
    body = get_ok(client, f"{BASE}/taxonomy_terms/{term.id}").json
    assert_valid(body, "taxonomy_term.json")
    assert body["parent_id"] == term.parent_id and body["taxonomy_id"] == term.taxonomy_id
    assert_valid(get_ok(client, f"{BASE}/taxonomies/{term.taxonomy_id}").json, "taxonomy.json")
    sal_id = db.session.scalar(select(ServiceAtLocation.id).join(Service)
                               .where(Service.name == "Heatons Befriending Circle"))
    sal = get_ok(client, f"{BASE}/service_at_locations/{sal_id}").json
    assert_valid(sal, "compiled/service_at_location.json")
    assert sal["service"]["name"] == "Heatons Befriending Circle" and sal["location"]["latitude"]


def test_only_visible_listings_appear(client):
    defunct_id, defunct_name = db.session.execute(select(Service.id, Service.name)
                                                  .where(Service.status == "defunct")).first()
    visible = db.session.query(Service).filter(Service.status.in_(("active", "temporarily closed"))).count()
    # the demo data loads closed libraries as defunct
    assert client.get(f"{BASE}/services/{defunct_id}").status_code == 404
    found = client.get(f"{BASE}/services", query_string={"search": defunct_name, "per_page": 500}).json
    assert defunct_id not in [s["id"] for s in found["contents"]]
    assert client.get(f"{BASE}/services").json["total_items"] == visible
    lines = client.get(f"{BASE}/services?format=ndjson").text.splitlines()
    ids = {json.loads(line)["id"] for line in lines}
    assert len(lines) == len(ids) == visible and defunct_id not in ids


def test_ndjson_streams_every_record_unpaginated(client):
    response = client.get(f"{BASE}/services?format=ndjson&full=true&per_page=1")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    records = [json.loads(line) for line in response.text.splitlines()]
    assert len(records) == client.get(f"{BASE}/services").json["total_items"] > 2000
    for record in records[:50]:
        assert_valid(record, "compiled/service.json")
    orgs = client.get(f"{BASE}/organizations?format=ndjson").text.splitlines()
    assert len(orgs) == client.get(f"{BASE}/organizations").json["total_items"]
    terms = client.get(f"{BASE}/taxonomy_terms?format=ndjson&top_only=true").text.splitlines()
    assert len(terms) == client.get(f"{BASE}/taxonomy_terms?top_only=true").json["total_items"] > 5


def test_every_email_served_is_an_address(client):
    """jsonschema's "email" check only looks for an @; schemathesis (and anyone writing to it) is
    stricter. Every service, organisation and contact email in the full stream is a real address:
    the demo data's "Name <address>" forms are unwrapped and its non-addresses left out."""
    from marshmallow import ValidationError, validate
    is_email = validate.Email()
    records = [json.loads(line) for line in
               client.get(f"{BASE}/services?format=ndjson&full=true").text.splitlines()]
    emails = [r["email"] for r in records if r.get("email")]
    emails += [r["organization"]["email"] for r in records if (r.get("organization") or {}).get("email")]
    emails += [c["email"] for r in records for c in r.get("contacts") or [] if c.get("email")]
    assert len(emails) > 1000
    bad = []
    for email in emails:
        try:
            is_email(email)
        except ValidationError:
            bad.append(email)
    assert not bad, bad[:10]
    assert "bodmin.library@cornwall.gov.uk" in emails


def test_pages_walk_the_whole_list_once(client):
    first = client.get(f"{BASE}/organizations?per_page=200").json
    seen = []
    for page in range(1, first["total_pages"] + 1):
        body = client.get(f"{BASE}/organizations?per_page=200&page={page}").json
        assert body["page_number"] == page and body["last_page"] == (page == first["total_pages"])
        seen += [o["id"] for o in body["contents"]]
    assert len(seen) == len(set(seen)) == first["total_items"]
    beyond = client.get(f"{BASE}/organizations?per_page=200&page={first['total_pages'] + 5}")
    assert beyond.status_code == 200
    assert beyond.json["empty"] is True and beyond.json["contents"] == [] and beyond.json["last_page"] is True


def test_filters(client):
    svc = db.session.scalar(select(Service).where(Service.name == "Heatons Befriending Circle"))
    svc_id, org_id = svc.id, svc.organization_id
    term = svc.attributes[0].taxonomy_term
    root = term
    while root.parent is not None:
        root = root.parent
    root_id, taxonomy_id = root.id, term.taxonomy_id
    by_org = client.get(f"{BASE}/services?organization_id={org_id}").json["contents"]
    assert {s["organization_id"] for s in by_org} == {org_id}
    assert svc_id in [s["id"] for s in by_org]

    found = client.get(f"{BASE}/services?search=befriending&full=true&per_page=500").json["contents"]
    assert "Heatons Befriending Circle" in [s["name"] for s in found]
    # every result says the word (stemmed) in its name, description, categories or organisation
    assert found and all("befriend" in json.dumps(s).lower() for s in found)
    assert client.get(f"{BASE}/services?search=zzqxv").json["total_items"] == 0

    # a parent category includes the services filed under its children
    in_root = [s["id"] for s in client.get(f"{BASE}/services?taxonomy_term_id={root_id}&per_page=500").json[
        "contents"]]
    assert svc_id in in_root
    by_tax = client.get(f"{BASE}/services?taxonomy_id={taxonomy_id}").json["total_items"]
    assert by_tax >= len(in_root)
    top = client.get(f"{BASE}/taxonomy_terms?top_only=true&per_page=500").json["contents"]
    assert top and all("parent_id" not in t for t in top)
    children = client.get(f"{BASE}/taxonomy_terms?parent_id={root_id}").json["contents"]
    assert children and all(t["parent_id"] == root_id for t in children)


def test_modified_after(client):
    svc = db.session.scalar(select(Service).where(Service.name == "Heatons Befriending Circle"))
    svc.updated_at = datetime.now(timezone.utc) + timedelta(days=3)
    db.session.flush()
    after = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = client.get(f"{BASE}/services?modified_after={after}").json
    assert [s["id"] for s in body["contents"]] == [svc.id]
    everything = client.get(f"{BASE}/services").json["total_items"]
    assert client.get(f"{BASE}/services?modified_after=2001-01-01").json["total_items"] == everything


def test_postcode_and_proximity_nearest_first_within_reach(client):
    body = get_ok(client, f"{BASE}/service_at_locations?postcode=SK4%202&proximity=3000&per_page=100").json
    names = [r["service"]["name"] for r in body["contents"]]
    assert "Heatons Befriending Circle" in names
    distances = [r["distance"] for r in body["contents"]]
    assert distances == sorted(distances) and distances[-1] <= 3000
    near = get_ok(client, f"{BASE}/service_at_locations?postcode=SK4%202&proximity=500").json
    assert near["total_items"] < body["total_items"]
    # a service whose named areas do not cover the place is left out however close its location
    edinburgh = get_ok(client, f"{BASE}/service_at_locations?postcode=EH6&proximity=20000&per_page=500").json
    assert "Heatons Befriending Circle" not in [r["service"]["name"] for r in edinburgh["contents"]]
    for record in body["contents"]:
        assert_valid(record, "compiled/service_at_location_list.json")


def test_etag_and_last_modified_give_304(client):
    sid = service_id("Heatons Befriending Circle")
    first = get_ok(client, f"{BASE}/services/{sid}")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified
    again = client.get(f"{BASE}/services/{sid}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get(f"{BASE}/services/{sid}", headers={"If-Modified-Since": modified}).status_code == 304
    # a change gives a new ETag
    svc = db.session.get(Service, sid)
    svc.name = "Heatons Befriending Circle (renamed)"
    db.session.flush()
    changed = client.get(f"{BASE}/services/{sid}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_rate_limit_answers_429_with_retry_after(database_url, index_dir):
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "SERVER_NAME": "localhost",
                      "SEARCH_INDEX_DIR": str(index_dir), "API_RATE_LIMIT": "3 per minute"})
    with app.app_context():
        c = app.test_client()
        codes = [c.get(url).status_code for url in (BASE + "/", BASE + "/taxonomies", BASE + "/services")]
        limited = c.get(BASE + "/taxonomy_terms")
        other_client = c.get(BASE + "/", environ_base={"REMOTE_ADDR": "127.0.0.9"})
    db.state(app).engine.dispose()
    assert codes == [200, 200, 200]
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "Too many requests" in limited.json["error"]["message"]
    assert limited.headers["Access-Control-Allow-Origin"] == "*"
    assert other_client.status_code == 200  # the budget is per client


@pytest.mark.parametrize("url,status,field", [
    ("/services/not-a-uuid", 404, None),
    ("/services/00000000-0000-4000-8000-000000000000", 404, None),
    ("/organizations/123", 404, None),
    ("/taxonomy_terms/00000000-0000-4000-8000-000000000000", 404, None),
    ("/service_at_locations/%27%3B%20DROP%20TABLE%20service%3B--", 404, None),
    ("/services?per_page=0", 400, "per_page"),
    ("/services?page=-1", 400, "page"),
    ("/services?page=abc", 400, "page"),
    ("/services?modified_after=yesterday", 400, "modified_after"),
    ("/services?modified_after=2026-13-45", 400, "modified_after"),
    ("/services?taxonomy_term_id=money", 400, "taxonomy_term_id"),
    ("/services?full=perhaps", 400, "full"),
    ("/services?format=xml", 400, "format"),
    ("/services?colour=blue", 400, "colour"),
    ("/services?search=" + "x" * 600, 400, "search"),
    ("/service_at_locations?postcode=ZZ99%209ZZ", 404, "postcode"),   # well formed, not a place we know
    ("/services?per_page=5&per_page=6", 400, "per_page"),
    ("/services?per_page=", 400, "per_page"),
    ("/services?modified_after=", 400, "modified_after"),
    ("/service_at_locations?postcode=SK4%202&proximity=1000000", 400, "proximity"),
    ("/service_at_locations?postcode=SK4%202&proximity=-5", 400, "proximity"),
    ("/services?search=food%00bank", 400, "search"),
    ("/services?taxonomy_term_id=", 400, "taxonomy_term_id"),      # present but empty is not a UUID
    ("/taxonomy_terms?taxonomy_id=", 400, "taxonomy_id"),
    ("/taxonomy_terms?parent_id=nope", 400, "parent_id"),
    ("/taxonomies?format=", 400, "format"),
    ("/organizations/00000000-0000-4000-8000-000000000000?full_service=", 400, "full_service"),
])
def test_bad_input_gets_a_clear_json_error(client, url, status, field):
    response = client.get(BASE + url)
    assert response.status_code == status, response.text
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert error["message"]
    if field:
        assert field in error["fields"], error
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_lists_revalidate_too(client):
    first = get_ok(client, f"{BASE}/services?per_page=5")
    assert first.headers["ETag"] and first.headers["Last-Modified"]
    assert client.get(f"{BASE}/services?per_page=5", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


def test_large_per_page_is_clamped(client):
    body = get_ok(client, f"{BASE}/services?per_page=100000").json
    assert body["size"] == 500 and body["total_pages"] == -(-body["total_items"] // 500)


def test_search_syntax_and_injection_are_just_words(client):
    for q in ['"befriending', "a:b (c* AND", "'; DROP TABLE service; --", "<script>alert(1)</script>"]:
        response = client.get(f"{BASE}/services", query_string={"search": q})
        assert response.status_code == 200, (q, response.text)
        assert "<script>" not in response.text


def test_docs_page_explains_with_examples(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    text = page.text
    assert "curl" in text and "/api/v3/services" in text and "format=ndjson" in text
    assert "Open Government Licence" in text and "Royal Mail" in text
    assert "Retry-After" in text
    about = client.get("/about").text
    assert "Creative Commons Attribution Share-Alike 4.0" in about


def test_api_needs_no_key_or_session(client):
    org = db.session.scalar(select(Organization.id))
    response = client.get(f"{BASE}/organizations/{org}", headers={"Cookie": ""})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_service_record_carries_its_change_log_as_hsds_metadata(client, make_user):
    from curation import listings as services  # (every change to a listing goes through curation)
    sid = service_id("Heatons Befriending Circle")
    services.update_service(make_user("curator"), sid, {"name": "Heatons Befriending Circle (Tuesdays)"})
    record = get_ok(client, f"{BASE}/services/{sid}").json
    assert_valid(record, "compiled/service.json")
    change = next(m for m in record["metadata"] if m["field_name"] == "name")
    assert change["previous_value"] == "Heatons Befriending Circle"
    assert change["replacement_value"] == "Heatons Befriending Circle (Tuesdays)"
    assert change["last_action_type"] == "update" and change["updated_by"] == "Test curator (curator)"


def test_proximity_without_a_postcode_is_ignored_as_the_document_says(client):
    """OpenAPI cannot make proximity depend on postcode, so the document says it is ignored alone
    (it was refused with 400, which contradicted the document)."""
    alone = get_ok(client, f"{BASE}/service_at_locations?proximity=500&per_page=5").json
    plain = get_ok(client, f"{BASE}/service_at_locations?per_page=5").json
    assert alone == plain
    doc = client.get(f"{BASE}/openapi.json").json
    assert "Ignored without `postcode`" in doc["components"]["parameters"]["proximity"]["description"]


def test_a_method_not_allowed_says_which_are(client):
    for method in ("TRACE", "CONNECT"):  # (a POST or PATCH is refused earlier, for want of a CSRF token)
        response = client.open(f"{BASE}/services", method=method)
        assert response.status_code == 405, method
        assert response.headers["Allow"].replace(" ", "").split(",") and "GET" in response.headers["Allow"]


def test_the_document_says_nul_is_refused_and_parent_id_is_a_uuid(client):
    doc = client.get(f"{BASE}/openapi.json").json
    import re as _re
    pattern = doc["components"]["parameters"]["search"]["schema"]["pattern"]
    assert _re.fullmatch(pattern, "food bank") and not _re.fullmatch(pattern, "food\x00bank")
    terms = doc["paths"]["/taxonomy_terms"]["get"]["parameters"]
    assert next(p for p in terms if p.get("name") == "parent_id")["schema"]["format"] == "uuid"
