import random

import pytest
from sqlalchemy import select, text

from assets_hub import create_app
from assets_hub.migrate import upgrade_database
from assets_hub.db import db, great_circle_m
from assets_hub.directory.models import Location, Organization
from assets_hub.geo import nearby

CENTRES = [(53.4084, -2.1494), (55.9533, -3.1883), (51.0648, -3.4754), (52.4801, -1.9075), (53.39, -2.6)]


def _add_points(n: int, seed: int = 7) -> list[tuple[str, float, float]]:
    rng = random.Random(seed)
    org = Organization(name="Geo test", description="")
    db.session.add(org)
    db.session.flush()
    points = []
    for i in range(n):
        lat, lon = CENTRES[i % len(CENTRES)]
        loc = Location(id=f"00000000-0000-4000-8000-{i:012d}", location_type="physical", organization_id=org.id,
                       latitude=round(lat + rng.uniform(-0.2, 0.2), 6), longitude=round(lon + rng.uniform(-0.3, 0.3), 6))
        db.session.add(loc)
        points.append((loc.id, loc.latitude, loc.longitude))
    # Two points at exactly the same place: ties are broken by id on both engines.
    for suffix in ("a", "b"):
        loc = Location(id=f"00000000-0000-4000-8000-00000000000{suffix}", location_type="physical",
                       organization_id=org.id, latitude=53.4, longitude=-2.15)
        db.session.add(loc)
    db.session.flush()
    return points


def _brute_force(lat, lon, radius_m=None, limit=None):
    rows = db.session.execute(select(Location.id, Location.latitude, Location.longitude)
                              .where(Location.latitude.is_not(None))).all()
    scored = sorted(((great_circle_m(lat, lon, a, b), i) for i, a, b in rows), key=lambda t: (t[0], t[1]))
    if radius_m is not None:
        scored = [s for s in scored if s[0] <= radius_m]
    return scored[:limit] if limit else scored


def test_radius_search_returns_exactly_the_points_inside_nearest_first(ctx):
    _add_points(600)
    for lat, lon in CENTRES:
        got = nearby(lat, lon, radius_m=5_000)
        expected = _brute_force(lat, lon, radius_m=5_000)
        assert [n.location_id for n in got] == [i for _d, i in expected]
        assert all(abs(n.distance_m - d) < 0.01 for n, (d, _i) in zip(got, expected))
        assert got, "every centre has points within 5 km"


def test_nearest_n_matches_brute_force(ctx):
    _add_points(600)
    for lat, lon in CENTRES + [(57.0, -4.0)]:  # the last is far from everything: the search widens
        got = nearby(lat, lon, limit=20)
        expected = _brute_force(lat, lon, limit=20)
        assert [n.location_id for n in got] == [i for _d, i in expected]


def test_ties_are_ordered_by_id_and_radius_limit(ctx):
    _add_points(10)
    got = nearby(53.4, -2.15, radius_m=1, limit=5)
    assert [n.location_id[-1] for n in got] == ["a", "b"]
    assert all(n.distance_m == pytest.approx(0, abs=1e-6) for n in got)


def test_moving_or_deleting_a_location_updates_the_spatial_index(ctx):
    _add_points(5)
    loc = db.session.get(Location, "00000000-0000-4000-8000-00000000000a")
    loc.latitude, loc.longitude = 50.1, -5.5
    db.session.flush()
    assert "00000000-0000-4000-8000-00000000000a" in [n.location_id for n in nearby(50.1, -5.5, radius_m=10)]
    assert "00000000-0000-4000-8000-00000000000a" not in [n.location_id for n in nearby(53.4, -2.15, radius_m=10)]
    db.session.delete(loc)
    db.session.flush()
    assert nearby(50.1, -5.5, radius_m=10) == []


def test_bad_radius_is_refused(ctx):
    from assets_hub.errors import Invalid
    with pytest.raises(Invalid):
        nearby(53.4, -2.15, radius_m=0)
    with pytest.raises(Invalid):
        nearby(53.4, -2.15, radius_m=10_000_000)


@pytest.mark.pg_only
def test_postgis_and_sqlite_agree_on_the_same_data(ctx, tmp_path):
    """The same locations in both engines: same ids, same order, same distances (to a millimetre)."""
    points = _add_points(800, seed=11)
    queries = [(lat + d, lon - d, r) for (lat, lon) in CENTRES for d, r in ((0, 5_000), (0.05, 20_000))]
    pg = {(q, "radius"): nearby(q[0], q[1], radius_m=q[2]) for q in queries}
    pg.update({(q, "knn"): nearby(q[0], q[1], limit=20) for q in queries})
    sqlite_url = f"sqlite:///{tmp_path / 'agree.db'}"
    upgrade_database(sqlite_url)
    lite_app = create_app({"DATABASE_URL": sqlite_url, "SECRET_KEY": "x"})
    with lite_app.app_context():
        org = Organization(name="Geo test", description="")
        db.session.add(org)
        db.session.flush()
        for i, lat, lon in points:
            db.session.add(Location(id=i, location_type="physical", organization_id=org.id, latitude=lat, longitude=lon))
        for suffix in ("a", "b"):
            db.session.add(Location(id=f"00000000-0000-4000-8000-00000000000{suffix}", location_type="physical",
                                    organization_id=org.id, latitude=53.4, longitude=-2.15))
        db.session.flush()
        # The PostgreSQL database also holds the demo data: compare on the test points only.
        ours = {p[0] for p in points} | {"00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"}
        for q in queries:
            lite = nearby(q[0], q[1], radius_m=q[2])
            want = [n for n in pg[(q, "radius")] if n.location_id in ours]
            assert [n.location_id for n in lite] == [n.location_id for n in want]
            assert all(abs(a.distance_m - b.distance_m) < 0.001 for a, b in zip(lite, want))
    db.state(lite_app).engine.dispose()


@pytest.mark.pg_only
def test_postgis_queries_use_the_gist_index(ctx):
    db.session.execute(text(
        "INSERT INTO location (id, location_type, latitude, longitude, created_at, updated_at) "
        "SELECT gen_random_uuid()::text, 'physical', 50 + random() * 8, -5 + random() * 6, now(), now() "
        "FROM generate_series(1, 20000)"))
    db.session.execute(text("ANALYZE location"))
    point = "ST_SetSRID(ST_MakePoint(-2.15, 53.4), 4326)::geography"
    radius_plan = "\n".join(r[0] for r in db.session.execute(text(
        f"EXPLAIN SELECT id FROM location WHERE ST_DWithin(geom, {point}, 5000, false)")))
    knn_plan = "\n".join(r[0] for r in db.session.execute(text(
        f"EXPLAIN SELECT id FROM location WHERE geom IS NOT NULL ORDER BY geom <-> {point} LIMIT 20")))
    assert "ix_location_geom" in radius_plan, radius_plan
    assert "ix_location_geom" in knn_plan, knn_plan
    assert "Seq Scan" not in radius_plan and "Seq Scan" not in knn_plan


def test_nearest_n_with_more_ties_than_the_knn_margin(ctx):
    org = Organization(name="Ties", description="")
    db.session.add(org)
    db.session.flush()
    ids = [f"00000000-0000-4000-9000-{i:012d}" for i in range(40)]
    for i in reversed(ids):
        db.session.add(Location(id=i, location_type="physical", organization_id=org.id, latitude=58.5, longitude=-6.5))
    db.session.flush()
    got = nearby(58.5, -6.5, limit=25)
    assert [n.location_id for n in got] == ids[:25]
