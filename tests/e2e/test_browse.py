import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_search_by_postcode_and_open_a_result(live_server, page):
    page.goto(live_server + "/")
    page.get_by_label("What are you looking for?").fill("befriending")
    page.get_by_label("Where?").fill("sk4 2")
    page.get_by_role("button", name="Search").click()
    heading = page.locator("#results-heading")
    assert "within 10 km of SK4 2" in heading.inner_text()
    results = page.locator("ol.results h3 a")
    assert results.first.inner_text() == "Heatons Befriending Circle"
    results.first.click()
    assert page.locator("h1").inner_text() == "Heatons Befriending Circle"
    assert page.get_by_role("cell", name="09:30 to 16:30").first.is_visible()
    assert page.get_by_role("link", name="0161 496 0001").is_visible()


def test_unknown_postcode_shows_the_error_summary(live_server, page):
    page.goto(live_server + "/search?where=SK9+9ZZ")
    summary = page.get_by_role("alert")
    assert "We could not find the postcode SK9 9ZZ" in summary.inner_text()
    summary.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "where"


def test_keyboard_user_can_skip_to_content(live_server, page):
    page.goto(live_server + "/categories")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to main content"
    assert page.locator(".skip-link").is_visible()  # visible when focused
    page.keyboard.press("Enter")
    page.wait_for_url("**#main")  # (the hash changes after the key press returns: checking at once raced it)
    assert page.url.endswith("#main")


def test_curator_signs_in_and_adds_a_service(live_server, page):
    page.goto(live_server + "/login")
    page.get_by_label("Email address").fill("curator@e2e.test")
    page.get_by_label("Password").fill("curator password 1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Add a service").click()
    page.get_by_label("Organisation").select_option(label="Edgeley Men's Shed (example)")
    page.get_by_label("Service name").fill("Edgeley Repair Café")
    page.get_by_label("What the service does").fill("Bring broken things; volunteers help you mend them.")
    page.get_by_label("Social connection and loneliness: Men's sheds").check()
    page.get_by_label("Address line 1").fill("Rear of 4 Castle Street")
    page.get_by_label("Town or city").fill("Stockport")
    page.get_by_label("Postcode").fill("sk30ab")
    page.get_by_role("button", name="Add service").click()
    assert page.locator("h1").inner_text() == "Edgeley Repair Café"
    assert "SK3 0AB" in page.locator(".address").inner_text()
    page.goto(live_server + "/search?what=repair&where=SK3")
    assert "Edgeley Repair Café" in page.locator("ol.results h3 a").all_inner_texts()


def test_search_filter_open_a_result_and_see_the_map(live_server, browser):
    context = browser.new_context()  # JavaScript on: the map needs it
    page = context.new_page()
    page.goto(live_server + "/search")
    page.get_by_label("What are you looking for?").fill("food")
    page.get_by_label("Where?").fill("SK1 3XE")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url(re.compile(r"what=food"))  # the results page, not the form it came from
    assert "Brinnington Community Food Bank" in page.locator("ol.results h3 a").all_inner_texts()
    assert "Manor Community Pantry" in page.locator("ol.results h3 a").all_inner_texts()
    page.locator("summary", has_text="Filters").click()
    page.get_by_label("Free only").check()
    page.get_by_role("button", name="Apply filters").click()
    # Read the filtered page once it has loaded: read while it was still loading, the list was
    # empty (a full run saw [] once, though the server had answered with the results).
    page.wait_for_url(re.compile(r"free=1"))
    page.wait_for_load_state()
    names = page.locator("ol.results h3 a").all_inner_texts()
    assert "Brinnington Community Food Bank" in names and "Manor Community Pantry" not in names
    assert "free=1" in page.url
    number = names.index("Brinnington Community Food Bank") + 1
    page.route(re.compile(r"tile\.openstreetmap\.org"), lambda route: route.abort())  # as when offline
    page.get_by_role("link", name="Show these results on a map").click()
    page.wait_for_selector("#map[data-markers]")
    markers = page.locator(".leaflet-marker-icon")
    assert markers.count() == int(page.locator("#map").get_attribute("data-markers")) >= 1
    # pins are numbered as the list, and the place searched from has its own marker
    pin = page.locator(f".leaflet-marker-icon[title='{number}. Brinnington Community Food Bank']")
    assert pin.count() == 1 and pin.inner_text() == str(number)
    assert page.locator("#map").get_attribute("data-place") == "SK1 3XE"
    assert page.locator("path.leaflet-interactive").count() >= 1
    # the tiles did not load: the page says so, and the list is still there
    expect(page.get_by_role("status")).to_contain_text("The map's background could not load")
    expect(page.locator("ol.map-list li", has_text="Brinnington Community Food Bank")).to_be_visible()
    page.get_by_role("link", name="Back to the list of results").click()
    page.locator("ol.results h3 a", has_text="Brinnington Community Food Bank").click()
    assert page.locator("h1").inner_text() == "Brinnington Community Food Bank"
    context.close()
