"""A citizen finds help by a place's name: suggestions as they type, the results around it, the
other places of that name one click away; with JavaScript and without."""
import re

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


def test_a_citizen_finds_by_place_saves_two_shares_the_list_and_prints_it(live_server, browser):
    """Place name -> results with a phone and when it is open -> save two -> the share link opens
    in another browser -> the print page has the contact details."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    page.get_by_label("What are you looking for?").fill("lonely")
    page.get_by_label("Where?").fill("Heaton Chapel")
    page.get_by_role("button", name="Search").click()
    first = page.locator("ol.results li.card").first
    expect(first).to_contain_text("Phone:")
    expect(first.locator(".facts")).to_contain_text(re.compile(r"Open today|Open all day today|Next open"))
    chosen = []
    for n in (1, 2):
        card = page.locator(f"#result-{n}")
        chosen.append(card.locator("h3 a").inner_text())
        card.get_by_role("button", name=re.compile("Save to my list")).click()
        expect(page.locator(f"#result-{n}")).to_contain_text("Saved in your list")
    page.get_by_role("link", name="Saved (2)").click()
    page.get_by_role("link", name="My list").click()
    expect(page.locator("ol.saved-items h3")).to_have_text(chosen)
    share = page.get_by_label("Anyone with this link can read the list (not change it):").input_value()
    context.close()

    elsewhere = browser.new_context(java_script_enabled=False)  # someone the link was sent to
    page = elsewhere.new_page()
    page.goto(share)
    expect(page.locator("ol.saved-items h2")).to_have_text(chosen)
    expect(page.get_by_role("button")).to_have_count(0)  # read-only
    page.get_by_role("link", name="Print it").click()
    body = page.locator("main")
    expect(body).to_contain_text("Phone:")
    expect(body).to_contain_text("Address:")
    expect(body.locator("table.times").first).to_be_visible()
    elsewhere.close()
