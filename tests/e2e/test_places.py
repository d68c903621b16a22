"""A citizen finds help by a place's name: suggestions as they type, the results around it, the
other places of that name one click away; with JavaScript and without."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_a_citizen_types_part_of_a_place_picks_the_suggestion_and_sees_services_around_it(live_server, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_label("What are you looking for?").fill("befriending")
    page.get_by_label("Where?").press_sequentially("heaton mo", delay=30)
    expect(page.locator('#where-suggestions option[value="Heaton Moor, Stockport"]')).to_have_count(1)
    page.get_by_label("Where?").fill("Heaton Moor, Stockport")  # what choosing the suggestion puts in the box
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=2, name="within 3 km of Heaton Moor, Stockport")).to_be_visible()
    expect(page.get_by_role("link", name="Heatons Befriending Circle")).to_be_visible()
    context.close()


def test_without_javascript_a_repeated_name_offers_the_others_in_one_click(live_server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_label("Where?").fill("newport")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("We searched around Newport, Casnewydd - Newport (the city)")).to_be_visible()
    page.get_by_role("link", name="Newport, Isle of Wight (town)").click()
    expect(page.get_by_role("heading", level=2, name="within 5 km of Newport, Isle of Wight")).to_be_visible()
    expect(page.get_by_label("Where?")).to_have_value("Newport, Isle of Wight")
    context.close()


def test_a_focused_header_link_is_dark_on_yellow(live_server, browser):
    context = browser.new_context()
    page = context.new_page()
    page.goto(live_server + "/")
    link = page.locator(".nav a", has_text="About")
    link.focus()
    colours = link.evaluate("a => [getComputedStyle(a).color, getComputedStyle(a).backgroundColor]")
    assert colours == ["rgb(11, 12, 12)", "rgb(255, 221, 0)"]  # 14.7:1, where white on yellow was 1.4:1
    context.close()


def test_on_a_phone_the_first_result_shows_without_scrolling(live_server, browser):
    context = browser.new_context(viewport={"width": 375, "height": 667}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/search?what=befriending&where=Heaton+Moor")
    first = page.locator("ol.results h3 a").first
    box = first.bounding_box()
    assert first.inner_text() == "Heatons Befriending Circle" and box["y"] + box["height"] <= 667
    expect(page.get_by_label("Where?")).to_be_visible()  # and the search can still be changed
    context.close()
