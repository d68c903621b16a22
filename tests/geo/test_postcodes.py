import pytest

from assets_hub.geo import PlaceNotFound, resolve_place
from assets_hub.geo.postcodes import parse_postcode


@pytest.mark.parametrize("typed, kind, code", [
    ("SK1 3XE", "unit", "SK1 3XE"),
    ("sk13xe", "unit", "SK1 3XE"),
    ("  SK1   3XE ", "unit", "SK1 3XE"),
    ("eh1 2ng", "unit", "EH1 2NG"),
    ("SW1A 1AA", "unit", "SW1A 1AA"),
    ("SK4 2", "sector", "SK4 2"),
    ("sk4  2", "sector", "SK4 2"),
    ("SK4", "district", "SK4"),
    ("eh10", "district", "EH10"),
])
def test_parse_normalises_what_people_type(typed, kind, code):
    parsed = parse_postcode(typed)
    assert (parsed.kind, parsed.code) == (kind, code)


@pytest.mark.parametrize("typed", ["", "   ", "hello world", "12345", "SK1 3XEE", "S", "'; DROP TABLE x;--", "SK4 22"])
def test_parse_rejects_what_cannot_be_a_postcode(typed):
    assert parse_postcode(typed) is None


def test_full_postcode_resolves_to_its_point_and_council(ctx):
    place = resolve_place("sk13xe")
    assert place.kind == "unit" and place.label == "SK1 3XE"
    assert place.latitude == pytest.approx(53.405974) and place.longitude == pytest.approx(-2.158487)
    assert place.lad_code == "E08000007" and place.region_code == "E12000002"


def test_sector_and_district_resolve(ctx):
    sector = resolve_place("SK4 2")
    district = resolve_place("SK4")
    assert sector.kind == "sector" and district.kind == "district"
    assert 53.3 < sector.latitude < 53.5 and 53.3 < district.latitude < 53.5
    assert sector.lad_code == district.lad_code == "E08000007"


def test_postcode_outside_the_bundled_units_still_resolves_by_district(ctx):
    place = resolve_place("M1")
    assert place.kind == "district" and 53.4 < place.latitude < 53.5


def test_unknown_full_postcode_says_so_and_suggests_the_district(ctx):
    with pytest.raises(PlaceNotFound) as err:
        resolve_place("SK9 9ZZ")
    assert "We could not find the postcode SK9 9ZZ" in err.value.message
    assert "SK9" in err.value.message
    assert "where" in err.value.fields


def test_unknown_district_and_unknown_words(ctx):
    with pytest.raises(PlaceNotFound):
        resolve_place("ZZ99")
    with pytest.raises(PlaceNotFound) as err:
        resolve_place("Atlantis")
    assert "Atlantis" in err.value.message


def test_postcode_without_coordinates_falls_back_to_its_sector(ctx):
    # SK2 9DA is Code-Point quality 90: no coordinates of its own.
    place = resolve_place("SK2 9DA")
    sector = resolve_place("SK2 9")
    assert (place.latitude, place.longitude) == (sector.latitude, sector.longitude)


def test_council_name_and_coordinates_resolve(ctx):
    assert resolve_place("stockport").lad_code == "E08000007"
    assert resolve_place("Edinburgh").lad_code == "S12000036"  # "City of Edinburgh"
    point = resolve_place("53.4106, -2.1575")
    assert point.kind == "point" and point.lad_code == "E08000007"
    with pytest.raises(PlaceNotFound):
        resolve_place("95, 10")


def test_blank_place_is_no_place(ctx):
    assert resolve_place("") is None and resolve_place(None) is None


def test_places_api_answers_json(client):
    ok = client.get("/api/places?q=eh1 2ng")
    assert ok.status_code == 200 and ok.json["label"] == "EH1 2NG" and ok.json["lad_code"] == "S12000036"
    bad = client.get("/api/places?q=SK9 9ZZ")
    assert bad.status_code == 422
    assert bad.json["error"]["code"] == "place_not_found"
    assert "SK9 9ZZ" in bad.json["error"]["fields"]["q"][0]


def test_a_new_unit_not_yet_in_the_data_falls_back_to_its_sector_then_its_district(ctx):
    """(A referral's council comes from the person's postcode, in one query: a unit too new for
    the bundled list still counts in the right area.)"""
    from assets_hub.geo.postcodes import lookup_postcode, lookup_postcode_or_area
    assert lookup_postcode("SK4 2ZZ") is None                      # no such unit in the data
    assert lookup_postcode_or_area("SK4 2ZZ").code == "SK4 2"      # its sector
    missing = next(f"SK4 {n}ZZ" for n in range(10) if lookup_postcode(f"SK4 {n}") is None)
    assert lookup_postcode_or_area(missing).code == "SK4"         # no such sector either: the district
    assert lookup_postcode_or_area("SK1 3XE").code == "SK1 3XE"    # the unit itself, when it is there
    assert lookup_postcode_or_area("SK4 2ZZ").lad_code == "E08000007"
    assert lookup_postcode_or_area("not a postcode") is None
