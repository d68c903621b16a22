"""Place names wherever a postcode is accepted: each kind of place, Welsh and Gaelic names, names
typed loosely, names that repeat (the largest, and the others offered), in the pages and the APIs."""
import pytest

from assets_hub.geo import PlaceNotFound, resolve_place
from assets_hub.geo.places import place_key


@pytest.mark.parametrize("typed, key", [
    ("Heaton Moor", "heaton moor"),
    ("  HEATON-MOOR ", "heaton moor"),
    ("St. Mary's", "st marys"),
    ("Saint Marys", "st marys"),
    ("A' Chrìon Làraich", "a chrion laraich"),
    ("Llansanffraid Gwynllŵg", "llansanffraid gwynllwg"),
    ("Newcastle-under-Lyme", "newcastle under lyme"),
    ("King’s Lynn", "kings lynn"),
    ("", ""),
])
def test_a_name_is_looked_up_without_case_accents_punctuation_or_saint(typed, key):
    assert place_key(typed) == key


@pytest.mark.parametrize("typed, label, size, lad_code, radius_km, lat", [
    ("Edinburgh", "Edinburgh, City of Edinburgh", "city", "S12000036", 10, 55.95),
    ("Macclesfield", "Macclesfield, Cheshire East", "town", "E06000049", 5, 53.26),
    ("Heaton Moor", "Heaton Moor, Stockport", "suburb", "E08000007", 3, 53.42),
    ("Splott", "Splott, Caerdydd - Cardiff", "suburb", "W06000015", 3, 51.48),
    ("Abermule", "Abermule, Powys", "village", "W06000023", 5, 52.54),
    ("Began", "Began, Casnewydd - Newport", "hamlet", "W06000022", 5, 51.55),
    ("Leith", "Leith, City of Edinburgh", "settlement", "S12000036", 3, 55.98),
])
def test_each_kind_of_place_resolves_with_its_council_and_a_radius_by_its_size(ctx, typed, label, size, lad_code,
                                                                              radius_km, lat):
    place = resolve_place(typed)
    assert (place.kind, place.label, place.size, place.lad_code) == ("place", label, size, lad_code)
    assert place.default_radius_km == radius_km and abs(place.latitude - lat) < 0.02


def test_a_city_reaches_further_than_a_hamlet_by_default(ctx):
    assert resolve_place("Edinburgh").default_radius_km > resolve_place("Heaton Moor").default_radius_km


@pytest.mark.parametrize("english, other", [
    ("Abermule", "Aber-miwl"),  # Welsh
    ("Crianlarich", "A' Chrìon Làraich"),  # Gaelic
    ("Crianlarich", "a chrion laraich"),  # typed without the accents
    ("Newport", "Casnewydd"),
    ("St Brides Wentlooge", "Llansanffraid Gwynllwg"),
])
def test_other_language_names_find_the_same_place_and_the_label_uses_the_name_typed(ctx, english, other):
    a, b = resolve_place(english), resolve_place(other)
    assert (a.latitude, a.longitude) == (b.latitude, b.longitude)
    assert a.label.startswith(english) and place_key(b.label).startswith(place_key(other))


@pytest.mark.parametrize("typed", ["heaton moor", "HEATON MOOR", "Heaton-Moor", " heaton   moor "])
def test_case_hyphens_and_spaces_are_forgiven(ctx, typed):
    assert resolve_place(typed).label == "Heaton Moor, Stockport"


def test_saint_and_st_are_the_same(ctx):
    assert resolve_place("Saint Ives").label == resolve_place("St. Ives").label == "St Ives, Cambridgeshire"


def test_a_repeated_name_takes_the_largest_and_offers_the_others(ctx):
    newport = resolve_place("Newport")
    assert newport.label == "Newport, Casnewydd - Newport" and newport.size == "city"
    wheres = [a.where for a in newport.alternatives]
    assert len(wheres) >= 10 and len(set(wheres)) == len(wheres)
    assert "Newport, Isle of Wight" in wheres and "Newport, Essex" in wheres
    assert newport.alternatives[0].label.endswith("(town)")  # larger places first
    for alternative in newport.alternatives:  # one click: each alternative gives back that place
        chosen = resolve_place(alternative.where)
        assert f"{chosen.label} ({chosen.size})" == alternative.label
        assert any(a.where == "Newport, Casnewydd - Newport" for a in chosen.alternatives)


def test_an_area_after_a_comma_picks_one_of_several(ctx):
    wight = resolve_place("newport, isle of wight")
    assert wight.label == "Newport, Isle of Wight" and wight.size == "town" and 50.6 < wight.latitude < 50.8
    assert resolve_place("Newport, PO30").label == "Newport, Isle of Wight"  # a postcode district works too
    assert resolve_place("Newport, Wales").label == "Newport, Casnewydd - Newport"
    with pytest.raises(PlaceNotFound):
        resolve_place("Newport, Atlantis")


def test_a_council_named_like_a_hamlet_is_the_council(ctx):
    highland = resolve_place("Highland")
    assert highland.kind == "local_authority" and highland.lad_code == "S12000017"


def test_an_unknown_name_says_what_to_type(ctx):
    with pytest.raises(PlaceNotFound) as err:
        resolve_place("Atlantis")
    assert "town, village or council" in err.value.message


def test_the_search_api_uses_the_place_its_size_and_lists_the_alternatives(client):
    body = client.get("/api/search?where=Newport").json
    assert body["place"]["label"] == "Newport, Casnewydd - Newport" and body["place"]["size"] == "city"
    assert body["query"]["radius_km"] == 10
    assert {"label": "Newport, Isle of Wight (town)", "where": "Newport, Isle of Wight"} in body["place"]["alternatives"]
    assert client.get("/api/search?where=Heaton+Moor").json["query"]["radius_km"] == 3
    assert client.get("/api/search?where=Heaton+Moor&radius_km=1").json["query"]["radius_km"] == 1  # the person's
    assert client.get("/api/search?where=SK4+2").json["query"]["radius_km"] == 5  # a postcode: as before


def test_the_search_page_finds_services_by_a_place_name_and_links_the_other_places(client):
    page = client.get("/search?what=befriending&where=heaton+moor")
    assert page.status_code == 200
    assert "within 3 km of Heaton Moor, Stockport" in page.text and "Heatons Befriending Circle" in page.text
    newport = client.get("/search?what=&where=Newport").text
    assert "We searched around Newport, Casnewydd - Newport (the city)" in newport
    assert 'href="/search?where=Newport,+Isle+of+Wight"' in newport and "Newport, Isle of Wight (town)</a>" in newport
    assert '<option value="" selected>By place size</option>' in newport


def test_the_search_page_keeps_a_radius_the_person_chose(client):
    page = client.get("/search?what=befriending&where=heaton+moor&radius_km=20")
    assert "within 20 km of Heaton Moor" in page.text and '<option value="20" selected>' in page.text


def test_the_open_referral_api_takes_a_place_name_where_it_takes_a_postcode(client):
    body = client.get("/api/v3/service_at_locations?postcode=Heaton%20Moor&proximity=3000&per_page=100").json
    assert "Heatons Befriending Circle" in [r["service"]["name"] for r in body["contents"]]
    bad = client.get("/api/v3/service_at_locations?postcode=Atlantis")
    assert bad.status_code == 404 and "postcode" in bad.json["error"]["fields"]  # as for an unknown postcode


def test_the_place_api_gives_the_place(client):
    body = client.get("/api/places?q=Aber-miwl").json
    assert body["label"] == "Aber-miwl, Powys" and body["size"] == "village" and body["lad_code"] == "W06000023"


@pytest.mark.parametrize("typed, first_value", [
    ("heaton mo", "Heaton Moor, Stockport"),
    ("Aber-mi", "Aber-miwl, Powys"),
    ("SK4", "SK4"),
    ("casnew", "Casnewydd, Casnewydd - Newport"),
])
def test_suggestions_as_a_person_types(client, typed, first_value):
    suggestions = client.get("/api/places/suggest", query_string={"q": typed}).json["suggestions"]
    assert suggestions[0]["value"] == first_value and len(suggestions) <= 8
    assert resolve_place(first_value) is not None  # what is suggested is searchable


def test_suggestions_for_a_town_put_the_whole_name_first(client):
    values = [s["value"] for s in client.get("/api/places/suggest?q=Leith").json["suggestions"]]
    assert values[0] == "Leith, City of Edinburgh"


@pytest.mark.parametrize("typed", ["", "a", "x" * 61, "zzzzzz"])
def test_no_suggestions_for_too_little_too_much_or_nothing_known(client, typed):
    response = client.get("/api/places/suggest", query_string={"q": typed})
    assert response.status_code == 200 and response.json["suggestions"] == []
