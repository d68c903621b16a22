"""The database itself refuses bad rows, whichever code writes them."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from assets_hub.db import db
from assets_hub.directory.models import Attribute, Location, Organization, Service, ServiceArea
from assets_hub.ids import new_id


def _org():
    org = Organization(name="Constraint test", description="")
    db.session.add(org)
    db.session.flush()
    return org


def _refused(obj):
    with db.session.begin_nested():
        db.session.add(obj)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


@pytest.mark.parametrize("lat, lon", [(91, 0), (-90.5, 0), (0, 181), (0, -180.01), (53.4, None)])
def test_location_coordinates_must_be_on_earth_and_together(ctx, lat, lon):
    _refused(Location(location_type="physical", latitude=lat, longitude=lon))


def test_location_type_and_service_status_are_known_values(ctx):
    org = _org()
    _refused(Location(location_type="imaginary"))
    _refused(Service(organization_id=org.id, name="X", description="", status="sleeping"))


def test_service_needs_an_existing_organisation_and_a_name(ctx):
    _refused(Service(organization_id=new_id(), name="Orphan", description="", status="active"))
    _refused(Service(organization_id=_org().id, name=None, description="", status="active"))


@pytest.mark.parametrize("lo, hi", [(-1, None), (None, 131), (40, 30)])
def test_ages_are_in_range_and_in_order(ctx, lo, hi):
    _refused(Service(organization_id=_org().id, name="Ages", description="", status="active",
                     minimum_age=lo, maximum_age=hi))


def test_named_service_area_needs_a_code_and_geojson_needs_an_extent(ctx):
    org = _org()
    svc = Service(organization_id=org.id, name="Area", description="", status="active")
    db.session.add(svc)
    db.session.flush()
    _refused(ServiceArea(service_id=svc.id, name="Somewhere", area_type="local_authority"))
    _refused(ServiceArea(service_id=svc.id, name="Shape", area_type="geojson"))
    _refused(ServiceArea(service_id=svc.id, name="Moon", area_type="planet", area_code="X"))


def test_attribute_links_exactly_one_record(ctx):
    term_id = db.session.execute(text("SELECT id FROM taxonomy_term LIMIT 1")).scalar()
    _refused(Attribute(taxonomy_term_id=term_id))


def test_organisation_in_use_cannot_be_deleted(ctx):
    org = _org()
    db.session.add(Service(organization_id=org.id, name="Keeps org", description="", status="active"))
    db.session.flush()
    with db.session.begin_nested():
        with pytest.raises(IntegrityError):
            db.session.execute(text("DELETE FROM organization WHERE id = :id"), {"id": org.id})
        db.session.rollback()
