"""Results a person can act on: where, phone, when it is open, cost and how to get in on each
result; sort beside the results; clear filters; and when nothing matched, one-click ways on."""
from datetime import date

import pytest

from assets_hub.directory.models import Schedule
from search.details import opening

MONDAY = date(2026, 12, 7)


def test_each_result_shows_what_a_person_decides_on(client):
    page = client.get("/search?what=befriending&where=Heaton+Moor").text
    card = page[page.index("Heatons Befriending Circle"):page.index("Why it is here")]
    assert "Where:</span> 12 Shaw Road, Stockport SK4 4AA" in card
    assert '<a href="tel:01614960001">0161 496 0001</a>' in card
    assert "When:</span> Open today" in card or "When:</span> Next open" in card
    assert "Cost:</span> Free" in card and "How to get in:</span> Refer yourself, or be referred" in card
    assert "140 m (0.1 miles)" in card  # one distance format


def test_a_service_without_an_address_says_how_it_is_reached(client):
    page = client.get("/search?what=loneliness+helpline").text
    card = page[page.index("Friendly Voices Loneliness Helpline"):]
    card = card[:card.index("Why it is here")]
    assert "Where:</span> By phone" in card and "Open all day today" in card


@pytest.mark.parametrize("schedule, expected", [
    (dict(byday="MO,TU", opens_at="09:30", closes_at="16:30"), "Open today, 09:30 to 16:30"),
    (dict(byday="WE", opens_at="10:00", closes_at="11:30"), "Next open Wednesday, 10:00 to 11:30"),
    (dict(byday="TU", opens_at="10:00", closes_at="11:00"), "Next open tomorrow, 10:00 to 11:00"),
    (dict(byday="MO", opens_at="00:00", closes_at="23:59"), "Open all day today"),
    # a mobile library every four weeks, last here a week ago: three weeks on
    (dict(byday="MO", opens_at="10:00", closes_at="10:30", interval=4, dtstart=date(2026, 11, 30)),
     "Next open Monday 28 December, 10:00 to 10:30"),
    (dict(byday="MO", opens_at="10:00", closes_at="12:00", valid_to=date(2026, 12, 1)), None),  # ended
    (dict(byday="", opens_at="10:00", closes_at="12:00"), None),
])
def test_opening_today_or_next(schedule, expected):
    assert opening([Schedule(freq="WEEKLY", **schedule)], MONDAY) == expected


def test_sort_is_beside_the_results_and_keeps_the_search(client):
    page = client.get("/search?what=befriending&where=Heaton+Moor").text
    assert '<strong aria-current="true">Best match</strong>' in page
    assert 'href="/search?what=befriending&amp;where=Heaton+Moor&amp;sort=nearest">Nearest</a>' in page


def test_clear_filters_keeps_words_and_place_and_drops_the_filters(client):
    page = client.get("/search?what=food&where=SK1+3XE&free=1&delivery=phone").text
    assert '<a href="/search?what=food&amp;where=SK1+3XE">Clear filters</a>' in page
    assert "Clear filters" not in client.get("/search?what=food&where=SK1+3XE").text


def test_nothing_near_offers_wider_anywhere_and_categories_near(client):
    page = client.get("/search?what=walking&where=Abermule").text
    assert "Nothing matched" in page
    assert 'href="/search?what=walking&amp;where=Abermule&amp;radius_km=10">Within 10 km of Abermule, Powys</a>' in page
    assert 'href="/search?what=walking">“walking” anywhere</a>' in page
    assert "category=physical-activity\">Physical activity near Abermule, Powys</a>" in page
    # and each offer is a search that runs
    assert client.get("/search?what=walking").status_code == 200
    assert "Nothing matched" not in client.get("/search?what=walking").text
