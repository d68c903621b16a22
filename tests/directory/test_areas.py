import json

import pytest
from sqlalchemy import select

from assets_hub.db import db
from curation import listings as services  # every change to a listing goes through curation
from assets_hub.directory.models import Organization
from assets_hub.errors import Invalid
from assets_hub.geo import resolve_place
from assets_hub.directory.areas import areas_covering, geojson_contains, validate_geojson_area
from tests.conftest import csrf_token

# A box around the Heatons (Stockport, SK4) with a hole over Heaton Chapel.
HEATONS = {"type": "Polygon", "coordinates": [
    [[-2.21, 53.40], [-2.16, 53.40], [-2.16, 53.44], [-2.21, 53.44], [-2.21, 53.40]],
    [[-2.175, 53.430], [-2.165, 53.430], [-2.165, 53.438], [-2.175, 53.438], [-2.175, 53.430]],
]}


def _covered_service(make_user, shape=HEATONS):
    org = db.session.scalar(select(Organization.id).where(Organization.name.like("Mersey Vale%")))
    return services.create_service(make_user("curator"), {
        "organization_id": org, "name": "Heatons outreach", "description": "Home visits in the Heatons.",
        "area_geojson": json.dumps(shape), "area_name": "The Heatons"})


def test_drawn_area_covers_points_inside_it_and_not_its_hole(ctx, make_user):
    svc = _covered_service(make_user)
    assert areas_covering(resolve_place("SK4 2AA"))[svc.id].name == "The Heatons"
    assert svc.id not in areas_covering(resolve_place("EH1 2NG"))
    hole = resolve_place("53.434, -2.170")
    assert svc.id not in areas_covering(hole)


def test_named_areas_cover_by_council_region_and_country(ctx):
    covering = areas_covering(resolve_place("SK1 3XE"))
    names = {c.any_name for c in covering.values()} | {c.name for c in covering.values()}
    assert {"Stockport", "Great Britain", "United Kingdom"} <= names
    assert "City of Edinburgh" not in names


def test_search_finds_a_service_by_its_drawn_area(client, ctx, make_user):
    _covered_service(make_user)
    # By place only: on SQLite the words index follows committed changes only, and this test never commits.
    html = client.get("/search?where=SK4+2&category=social-connection").text
    assert "Heatons outreach" not in html  # it has no category
    html = client.get("/search?where=SK4+2&local_only=1&per_page=100").text
    assert "Heatons outreach" in html and "covers The Heatons" in html
    assert "Heatons outreach" not in client.get("/search?where=EH1&per_page=100").text


def test_multipolygon_and_feature_are_accepted():
    multi = {"type": "MultiPolygon", "coordinates": [HEATONS["coordinates"][:1],
                                                     [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]]}
    assert geojson_contains(json.loads(validate_geojson_area(multi)), 0.5, 0.5)
    feature = {"type": "Feature", "geometry": HEATONS, "properties": {}}
    assert json.loads(validate_geojson_area(feature))["type"] == "Polygon"


@pytest.mark.parametrize("shape, reason", [
    ("not json", "it is not JSON"),
    ({"type": "Point", "coordinates": [0, 0]}, "Polygon or MultiPolygon"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, "at least four positions"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 2]]]}, "end where it starts"),
    ({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]}, "outside longitude"),
    ({"type": "Polygon", "coordinates": [[[0, 0], ["a", 0], [1, 1], [0, 0]]]}, "numbers"),
])
def test_bad_shapes_are_refused_with_the_reason(shape, reason):
    with pytest.raises(Invalid) as err:
        validate_geojson_area(shape)
    assert reason in err.value.fields["area_geojson"][0]


def test_bad_shape_in_the_form_and_json_is_a_field_error(client, login_as, ctx):
    login_as("curator")
    org = db.session.scalar(select(Organization.id).where(Organization.name.like("Mersey Vale%")))
    r = client.post("/manage/services/new", data={"organization_id": org, "name": "Shape", "description": "x",
                                                  "area_geojson": '{"type": "Point"}', "csrf_token": csrf_token(client)})
    assert r.status_code == 422 and "give a Polygon or MultiPolygon geometry" in r.text
    r = client.post("/api/directory/services", json={"organization_id": org, "name": "Shape", "description": "x",
                                                     "area_geojson": {"type": "Polygon", "coordinates": []}},
                    headers={"X-CSRF-Token": csrf_token(client)})
    assert r.status_code == 422 and "area_geojson" in r.json["error"]["fields"]
