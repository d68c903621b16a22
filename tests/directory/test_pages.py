"""The public pages, checked for what a person reads on them."""
import re

from sqlalchemy import select

from assets_hub.db import db
from assets_hub.directory.models import Organization, Service


def _service(name):
    return db.session.scalar(select(Service).where(Service.name == name))


def test_every_page_has_a_skip_link_a_main_landmark_and_one_h1(client):
    for url in ("/", "/categories", "/categories/food", "/about", "/login", "/search?where=SK4"):
        html = client.get(url).text
        assert '<a class="skip-link" href="#main">Skip to main content</a>' in html, url
        assert '<main id="main"' in html and len(re.findall(r"<h1[ >]", html)) == 1, url
        assert '<html lang="en-GB">' in html


def test_home_has_the_search_box_and_categories_with_counts(client):
    html = client.get("/").text
    assert '<label for="what">' in html and '<label for="where">' in html
    assert "Social connection and loneliness" in html
    assert re.search(r"Learning and skills</a> <span class=\"count\">\(2\d{3}\)", html)  # the libraries


def test_category_page_lists_services_in_it_and_below_it(client):
    html = client.get("/categories/social-connection").text
    for name in ("Heatons Befriending Circle", "Edgeley Men&#39;s Shed", "Stockport Time Bank"):
        assert name in html
    assert "Brinnington Community Food Bank" not in html


def test_category_pages_are_paginated(client):
    page1 = client.get("/categories/learning/libraries").text
    page2 = client.get("/categories/learning/libraries?page=2").text
    assert "Page 1 of" in page1 and 'rel="next"' in page1 and "Page 2 of" in page2
    first = set(re.findall(r'href="/services/([^"]+)"', page1))
    assert first and first.isdisjoint(re.findall(r'href="/services/([^"]+)"', page2))


def test_service_page_tells_a_person_everything_they_need(client, ctx):
    svc = _service("Heatons Befriending Circle")
    html = client.get(f"/services/{svc.id}").text
    assert "<h1>Heatons Befriending Circle</h1>" in html
    assert "Trained volunteers visit or phone people" in html                      # what it is
    assert "Adults 50 and over" in html and "Aged 50 and over." in html           # who it is for
    assert "Covers: Stockport." in html
    assert "Heaton Moor Community Rooms" in html and "SK4 4AA" in html            # where
    assert "<th scope=\"row\">Monday</th><td>09:30 to 16:30</td>" in html          # when
    assert "Free." in html                                                         # cost
    assert 'href="tel:01614960001"' in html and "Refer yourself by phone" in html  # how to get in touch
    assert "Last reviewed:" in html and "not yet reviewed" not in html
    assert "Example listing written for the demo" in html


def test_library_page_shows_split_opening_hours_and_map_link(client, ctx):
    svc = _service("Stockport Central Library")
    html = client.get(f"/services/{svc.id}").text
    assert "Monday</th><td>10:00 to 19:00</td>" in html
    assert "openstreetmap.org/?mlat=53.40816" in html


def test_mobile_library_stop_explains_its_four_weekly_visits(client, ctx):
    svc = _service("Somerset mobile library, route A")
    html = client.get(f"/services/{svc.id}").text
    assert "Every 4 weeks on Tuesday, 10:05 to 10:20, from 12 November 2019" in html
    assert "This timetable is from 2019" in html


def test_closed_library_is_marked_and_not_listed(client, ctx):
    closed = db.session.scalar(select(Service).where(Service.status == "defunct").limit(1))
    html = client.get(f"/services/{closed.id}").text
    assert "This service is defunct." in html
    org_html = client.get(f"/organizations/{closed.organization_id}").text
    assert f'href="/services/{closed.id}"' not in org_html


def test_library_without_a_known_postcode_says_it_has_no_map_position(client, ctx):
    svc = _service("Kidsgrove Library") or _service("Kidsgrove")
    html = client.get(f"/services/{svc.id}").text
    assert "ST7 1BS" in html and "We do not have a map position" in html


def test_organisation_page_lists_its_services(client, ctx):
    org = db.session.scalar(select(Organization).where(Organization.name.like("Mersey Vale%")))
    html = client.get(f"/organizations/{org.id}").text
    assert "Services (3)" in html and "Reddish Vale Walking Group" in html and "0161 496 0000" in html


def test_about_page_carries_every_attribution(client):
    html = client.get("/about").text
    for line in ("Contains OS data © Crown copyright and database right 2025",
                 "Contains Royal Mail data © Royal Mail copyright and database right 2025",
                 "Contains National Statistics data © Crown copyright and database right 2025",
                 "Library data: Libraries Hacked (https://www.librarydata.uk)",
                 "Mobile library timetable © Somerset Council; compiled by Libraries Hacked.",
                 "Open Government Licence v3.0", "Permission is hereby granted, free of charge"):
        assert line in html, line


def test_search_by_postcode_lists_nearby_and_covering_services(client):
    html = client.get("/search?what=befriending&where=sk4+2").text
    names = re.findall(r'<h3><a href="/services/[^"]+">([^<]+)</a>', html)
    assert names[:2] == ["Heatons Befriending Circle", "Friendly Voices Loneliness Helpline"]
    assert "covers Great Britain" in html and "Leith Lunch" not in html


def test_unknown_postcode_is_a_clear_message(client):
    r = client.get("/search?where=SK9+9ZZ")
    assert r.status_code == 422
    assert "We could not find the postcode SK9 9ZZ" in r.text and 'href="#where"' in r.text


def test_security_headers(client):
    r = client.get("/")
    assert r.headers["X-Content-Type-Options"] == "nosniff" and "frame-ancestors 'none'" in r.headers[
        "Content-Security-Policy"]


def test_curator_sees_edit_link_and_edits_a_service(client, login_as, ctx):
    from tests.conftest import csrf_token
    login_as("curator")
    svc = _service("Reddish Vale Walking Group")
    page = client.get(f"/services/{svc.id}").text
    assert "Edit this service" in page
    form = client.get(f"/manage/services/{svc.id}/edit").text
    assert 'value="SK5 7AA"' in form and "checked" in form
    r = client.post(f"/manage/services/{svc.id}/edit", data={
        "organization_id": svc.organization_id, "name": "Reddish Vale Walking Group", "description": "New words.",
        "status": "active", "address_1": "Mill Lane", "city": "Stockport", "postcode": "SK1 3XE",
        "is_free": "on", "csrf_token": csrf_token(client)})
    assert r.status_code == 302
    html = client.get(f"/services/{svc.id}").text
    assert "New words." in html and "SK1 3XE" in html
    assert "Walking groups" not in html  # categories were unticked, so they were removed


def test_service_page_says_how_to_get_in_and_what_is_accessible(client, ctx):
    html = client.get(f"/services/{_service('Heatons Befriending Circle').id}").text
    assert "You can refer yourself, or a professional such as your GP or link worker can refer you." in html
    assert "Languages: English, Urdu." in html and "Delivered in person, by phone." in html
    assert "Accessibility: Wheelchair accessible, Accessible toilet, Hearing loop." in html


def test_curator_sets_access_delivery_languages_and_accessibility(client, login_as, ctx):
    from tests.conftest import csrf_token
    from search import run_search
    from search.query import SearchQuery
    login_as("curator")
    svc = _service("Edgeley Men's Shed")
    form = client.get(f"/manage/services/{svc.id}/edit").text
    assert 'id="self_referral" name="self_referral" value="on" checked' in form
    r = client.post(f"/manage/services/{svc.id}/edit", data={
        "organization_id": svc.organization_id, "name": svc.name, "description": "Make and mend.", "status": "active",
        "address_1": "Rear of 4 Castle Street", "city": "Stockport", "postcode": "SK3 0AB",
        "professional_referral": "on", "delivered_online": "on", "languages": ["pl", "cy"],
        "accessibility": ["hearing_loop"], "csrf_token": csrf_token(client)})
    assert r.status_code == 302, r.text
    html = client.get(f"/services/{svc.id}").text
    assert "You need a referral from a professional" in html
    assert "Languages: Welsh, Polish." in html or "Languages: Polish, Welsh." in html
    assert "Delivered online." in html and "Accessibility: Hearing loop." in html
    found = run_search(SearchQuery(where="SK3", radius_km=5, languages=["cy"], accessibility=["hearing_loop"]))
    assert [h.name for h in found.hits] == ["Edgeley Men's Shed"]


def test_accessibility_without_an_address_is_refused(client, login_as, ctx):
    from tests.conftest import csrf_token
    login_as("curator")
    svc = _service("Stockport Time Bank")
    r = client.post(f"/manage/services/{svc.id}/edit", data={
        "organization_id": svc.organization_id, "name": svc.name, "description": "x", "status": "active",
        "accessibility": "wheelchair", "languages": "xx", "csrf_token": csrf_token(client)})
    assert r.status_code == 422
    assert "Unknown language." in r.text


def test_a_branch_counts_each_service_once(client, ctx):
    # "Debt and Money Advice Service" sits in three money categories; the branch holds 2 services.
    from assets_hub.directory.services import category_services, category_tree, get_category
    money = next(node for node in category_tree() if node.term.code == "money")
    _rows, total = category_services(get_category("money"))
    assert money.count == total == 2
    assert 'Money and debt</a> <span class="count">(2)</span>' in client.get("/").text
