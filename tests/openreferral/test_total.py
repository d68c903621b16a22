"""The API's list of every service: total_items from the tally the triggers keep (migration 0025),
and pages past the middle read from the end of the index. What a harvester notices: the total is
the number of services it can page through, and the pages, end to end, are every service once,
in name order."""
from __future__ import annotations

import random
import threading
import uuid

import pytest
from sqlalchemy import delete, func, select, text, update

from assets_hub.db import create_scratch_database, db, drop_database, make_engine, utcnow
from assets_hub.directory.models import Organization, Service, ServiceAtLocation, ServiceTally
from assets_hub.directory.services import VISIBLE_STATUSES
from assets_hub.migrate import upgrade_database
from tests.factories import ServiceFactory

BASE = "/api/v3"


def visible_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Service).where(Service.status.in_(VISIBLE_STATUSES)))


def api_total(client) -> int:
    response = client.get(f"{BASE}/services", query_string={"per_page": 1})
    assert response.status_code == 200
    return response.json["total_items"]


def test_total_follows_every_kind_of_change(client):
    start = api_total(client)
    assert start == visible_count() > 0
    made = [ServiceFactory(status=s) for s in ("active", "temporarily closed", "inactive", "active")]
    db.session.flush()
    assert api_total(client) == start + 3  # the inactive one is not listed
    made[0].status = "defunct"
    made[2].status = "active"
    db.session.flush()
    assert api_total(client) == start + 3
    # one statement changing many rows at once
    db.session.execute(update(Service).where(Service.id.in_([m.id for m in made])).values(status="inactive"))
    assert api_total(client) == start
    db.session.execute(update(Service).where(Service.id.in_([m.id for m in made[:2]])).values(status="active"))
    db.session.execute(delete(Service).where(Service.id == made[3].id))  # (inactive: no change)
    db.session.execute(delete(Service).where(Service.id == made[1].id))
    assert api_total(client) == start + 1 == visible_count()
    # what a rolled-back change wrote is gone with it
    savepoint = db.session.begin_nested()
    ServiceFactory.create_batch(3)
    db.session.flush()
    assert db.session.scalar(select(func.sum(ServiceTally.n))) == start + 4
    savepoint.rollback()
    assert api_total(client) == start + 1 == visible_count()


def test_pages_end_to_end_are_every_service_once_in_name_order(client):
    expected = list(db.session.scalars(select(Service.id).where(Service.status.in_(VISIBLE_STATUSES))
                                       .order_by(Service.name, Service.id)))
    total = len(expected)
    per_page = 500
    pages = -(-total // per_page)
    seen = []
    for page in range(1, pages + 2):  # one past the end: empty
        body = client.get(f"{BASE}/services", query_string={"per_page": per_page, "page": page}).json
        assert body["total_items"] == total and body["total_pages"] == pages
        assert body["last_page"] == (page >= pages)
        seen += [s["id"] for s in body["contents"]]
    assert seen == expected  # the later pages come from the end of the index, reversed
    # small pages either side of the middle and at the very end, including a short last page
    for page in (total // 14, total // 14 + 1, total // 7, -(-total // 7)):
        body = client.get(f"{BASE}/services", query_string={"per_page": 7, "page": page}).json
        assert [s["id"] for s in body["contents"]] == expected[(page - 1) * 7: page * 7]


def test_a_filtered_list_counts_what_it_lists(client):
    body = client.get(f"{BASE}/services", query_string={"search": "library", "per_page": 1}).json
    assert 0 < body["total_items"] < visible_count()


@pytest.mark.pg_only
def test_writers_at_once_keep_the_tally_exact_and_folded(tmp_path):
    """Four writers at once on a real server, each committing or rolling back small changes:
    any moment's tally is that moment's count, no writer waits for another's fold, and the
    rows fold as they go instead of piling up.

    How many rows are left when the writers stop depends on timing: a fold rolls back with its
    writer, or is skipped when another writer holds the fold lock, and the next 64th row does it.
    So the concurrent phase checks exactness and that folds happened; one writer after it checks
    the bound, which is then certain."""
    import os

    url = create_scratch_database(os.environ["TEST_DATABASE_URL"], "ah_tally")
    engine = None
    try:
        upgrade_database(url)
        engine = make_engine(url)
        org = str(uuid.uuid4())
        with engine.begin() as conn:
            conn.execute(Organization.__table__.insert(), {"id": org, "name": "Tally Trust", "description": "",
                                                           "created_at": utcnow(), "updated_at": utcnow()})
        errors: list[BaseException] = []
        stop = threading.Event()

        def change(conn, rng) -> None:
            ids = [str(uuid.uuid4()) for _ in range(rng.randint(1, 3))]
            conn.execute(Service.__table__.insert(), [
                {"id": i, "organization_id": org, "name": f"S {i}", "description": "",
                 "status": rng.choice(("active", "active", "inactive", "temporarily closed")),
                 "created_at": utcnow(), "updated_at": utcnow()} for i in ids])
            conn.execute(update(Service).where(Service.id == ids[0])
                         .values(status=rng.choice(("defunct", "active"))))
            if rng.random() < 0.3:
                conn.execute(delete(Service).where(Service.id == ids[-1]))

        def writer(seed: int) -> None:
            rng = random.Random(seed)
            try:
                for _ in range(60):
                    with engine.connect() as conn:
                        tx = conn.begin()
                        change(conn, rng)
                        tx.rollback() if rng.random() < 0.2 else tx.commit()
            except BaseException as exc:  # noqa: BLE001 (reported by the test below)
                errors.append(exc)

        def reader() -> None:
            try:
                while not stop.is_set():
                    with engine.connect() as conn:
                        conn.execute(text("BEGIN ISOLATION LEVEL REPEATABLE READ"))
                        tally = conn.scalar(select(func.sum(ServiceTally.n)))
                        count = conn.scalar(select(func.count()).select_from(Service)
                                            .where(Service.status.in_(VISIBLE_STATUSES)))
                        conn.execute(text("COMMIT"))
                        assert tally == count, (tally, count)
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)

        def tally_rows_and_written(conn) -> tuple[int, int]:
            return (conn.scalar(select(func.count()).select_from(ServiceTally)),
                    conn.scalar(text("SELECT last_value FROM service_tally_id_seq")))

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        watcher = threading.Thread(target=reader)
        watcher.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        stop.set()
        watcher.join(timeout=30)
        assert not errors, errors[:3]
        with engine.connect() as conn:
            assert conn.scalar(select(func.sum(ServiceTally.n))) == conn.scalar(
                select(func.count()).select_from(Service).where(Service.status.in_(VISIBLE_STATUSES))) > 0
            rows, written = tally_rows_and_written(conn)
            assert written > 4 * 64  # enough rows were written to fold several times
            assert rows < written / 2  # and they were folded as the writers went

        # one writer alone, every change committed: within 64 rows of tally every row is folded
        rng = random.Random(99)
        for _ in range(70):
            with engine.begin() as conn:
                change(conn, rng)
        with engine.connect() as conn:
            rows, written = tally_rows_and_written(conn)
            assert rows <= written % 64 + 1, (rows, written)
            assert conn.scalar(select(func.sum(ServiceTally.n))) == conn.scalar(
                select(func.count()).select_from(Service).where(Service.status.in_(VISIBLE_STATUSES)))
    finally:
        if engine is not None:
            engine.dispose()  # before dropping, and even when an assertion failed: no connection left open
        drop_database(url)


def test_records_read_without_the_orm_say_what_the_orm_read_says(ctx):
    """The API reads records as plain rows (records.load_services); curation's history reads the
    same listings through the ORM. Both must give the same HSDS record, nested all the way down."""
    from assets_hub.directory import records
    from curation.history import load_for_snapshot, normalise

    from assets_hub.directory import models as m

    ids = list(db.session.scalars(select(Service.id).order_by(Service.id).limit(150)))
    rich = ServiceFactory(name="Everything Club")  # one listing with a row in every nested table
    sal = rich.service_at_locations[0]
    loc = sal.location
    db.session.add_all([
        m.Phone(service_id=rich.id, number="0161 000 0001", extension="12"),
        m.Phone(location_id=loc.id, number="0161 000 0002", description="Front desk"),
        m.Schedule(service_id=rich.id, freq="WEEKLY", byday="MO", opens_at="09:00", closes_at="12:00"),
        m.Schedule(service_at_location_id=sal.id, freq="WEEKLY", byday="TU", opens_at="10:00"),
        m.Schedule(location_id=loc.id, freq="MONTHLY", bymonthday="1", description="First of the month"),
        m.Address(location_id=loc.id, address_1="1 Church Lane", city="Stockport", postal_code="SK4 2AA",
                  country="GB", address_type="physical"),
        m.Accessibility(location_id=loc.id, description="Step-free entrance"),
        m.Language(service_id=rich.id, name="Welsh", code="cy"),
        m.CostOption(service_id=rich.id, option="Members", amount=2.5, currency="GBP"),
        m.Contact(service_id=rich.id, name="Sam", email="sam@example.org"),
    ])
    db.session.flush()
    ids.append(rich.id)
    rows = {s.id: records.service_full(s) for s in records.load_services(ids, full=True)}
    assert list(rows) == ids
    nested = dict.fromkeys(("phones", "schedules", "service_areas", "attributes", "languages", "cost_options",
                             "contacts", "addresses", "location phones", "sal schedules"), 0)
    for sid in ids:
        orm = records.service_full(load_for_snapshot(sid))
        assert normalise(rows[sid]) == normalise(orm), sid
        for key in ("phones", "schedules", "service_areas", "attributes", "languages", "cost_options", "contacts"):
            nested[key] += bool(orm[key])
        nested["sal schedules"] += any(sal["schedules"] for sal in orm["service_at_locations"])
        locations = [sal["location"] for sal in orm["service_at_locations"]]
        nested["addresses"] += any(loc["addresses"] for loc in locations)
        nested["location phones"] += any(loc["phones"] for loc in locations)
    assert all(nested.values()), nested  # the comparison covered every kind of nested row
    # and a list item with its location and service, brief and full
    sal_ids = list(db.session.scalars(select(ServiceAtLocation.id).order_by(ServiceAtLocation.id).limit(20)))
    for full in (False, True):
        loaded = records.load_service_at_locations(sal_ids, full)
        assert [s.id for s in loaded] == sal_ids
        for node in loaded:
            orm = db.session.get(ServiceAtLocation, node.id)
            assert normalise(records.service_at_location_listed(node, full)) == \
                normalise(records.service_at_location_listed(orm, full))


def test_service_at_locations_stream_says_what_the_pages_say(client):
    """format=ndjson of service_at_locations is read a batch at a time: near a place it is the
    pages' records in the pages' order (nearest first, with distances); without one, every listed
    service_at_location once."""
    def pages(query):
        out, page = [], 1
        while True:
            body = client.get(f"{BASE}/service_at_locations", query_string={**query, "per_page": 50,
                                                                           "page": page}).json
            out += body["contents"]
            if body["last_page"]:
                return out
            page += 1

    def stream(query):
        response = client.get(f"{BASE}/service_at_locations", query_string={**query, "format": "ndjson"})
        assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
        import json
        return [json.loads(line) for line in response.text.splitlines()]

    near = {"postcode": "SK4 2", "proximity": 20000}
    paged = pages(near)
    assert len(paged) > 50  # more than one page, and more than one of the stream's batches below
    assert stream(near) == paged
    everything = stream({})
    assert sorted(s["id"] for s in everything) == sorted(s["id"] for s in pages({}))
    assert [s["id"] for s in everything] == sorted(s["id"] for s in everything)  # in id order
