"""The embedded index follows the database's change feed: committed changes only, nothing lost."""
import multiprocessing
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from whoosh import index as windex

from assets_hub import create_app
from assets_hub.migrate import upgrade_database
from assets_hub.db import db
from assets_hub.directory.models import Organization, Service
from search import engine_whoosh
from search.models import SearchChange


def _app(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'feed.db'}"
    if not (tmp_path / "feed.db").exists():
        upgrade_database(url)
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "SEARCH_INDEX_DIR": str(tmp_path / "index")})


def _indexed_ids(path: Path) -> list[str]:
    ix = windex.open_dir(str(path))
    with ix.searcher() as s:
        return sorted(d["id"] for d in s.all_stored_fields())


def _add_services(n: int, prefix: str = "Service") -> None:
    org = db.session.scalar(select(Organization).limit(1))
    if org is None:
        org = Organization(name="Feed test org", description="")
        db.session.add(org)
        db.session.flush()
    for i in range(n):
        db.session.add(Service(organization_id=org.id, name=f"{prefix} {i} gardening", description="Plants.",
                               status="active"))
    db.session.commit()


@pytest.fixture
def feed_app(tmp_path):
    app = _app(tmp_path)
    with app.app_context():
        engine_whoosh.rebuild(tmp_path / "index")
        db.session.commit()
        yield app
    db.state(app).engine.dispose()


def test_committed_changes_reach_the_index_and_rolled_back_ones_never_do(feed_app, tmp_path):
    _add_services(3)
    org = db.session.scalar(select(Organization).limit(1))
    db.session.add(Service(organization_id=org.id, name="Never committed", description="", status="active"))
    db.session.flush()
    db.session.rollback()
    assert engine_whoosh.apply_changes() == 3
    assert len(_indexed_ids(tmp_path / "index")) == 3
    names = db.session.scalars(select(Service.name).where(Service.id.in_(_indexed_ids(tmp_path / "index")))).all()
    assert "Never committed" not in names
    assert db.session.scalar(select(func.count()).select_from(SearchChange)) == 0


def test_search_applies_pending_changes_first(feed_app, tmp_path):
    _add_services(1, prefix="Allotment")
    from search import run_search
    from search.query import SearchQuery
    outcome = run_search(SearchQuery(what="allotment gardening"))
    assert [h.name for h in outcome.hits] == ["Allotment 0 gardening"]


def test_renaming_and_deleting_are_followed(feed_app, tmp_path):
    _add_services(2)
    engine_whoosh.apply_changes()
    svc = db.session.scalar(select(Service).order_by(Service.name).limit(1))
    svc.name = "Renamed orchard"
    other = db.session.scalar(select(Service).where(Service.id != svc.id))
    db.session.delete(other)
    db.session.commit()
    engine_whoosh.apply_changes()
    assert engine_whoosh.text_scores([["orchard"]], "and") .keys() == {svc.id}
    assert _indexed_ids(tmp_path / "index") == [svc.id]


def test_a_crash_after_the_index_commit_loses_nothing(feed_app, tmp_path):
    _add_services(2)

    def crash(stage):
        if stage == "after_index_commit":
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError):
        engine_whoosh.apply_changes(on_stage=crash)
    assert db.session.scalar(select(func.count()).select_from(SearchChange)) == 2  # the feed kept its rows
    assert engine_whoosh.apply_changes() == 2                                   # applied again, idempotently
    assert len(_indexed_ids(tmp_path / "index")) == 2


def _crash_before_commit(tmp_path: str) -> None:
    app = _app(Path(tmp_path))
    with app.app_context():
        def die(stage):
            if stage == "before_index_commit":
                os._exit(3)  # a real crash: no cleanup, no finally blocks
        engine_whoosh.apply_changes(on_stage=die)


def test_a_process_killed_mid_update_loses_nothing(feed_app, tmp_path):
    _add_services(5)
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_crash_before_commit, args=(str(tmp_path),))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 3
    assert _indexed_ids(tmp_path / "index") == []          # nothing half-applied
    assert engine_whoosh.apply_changes() == 5              # the lock died with the process
    assert len(_indexed_ids(tmp_path / "index")) == 5


def _follow(tmp_path: str, rounds: int) -> None:
    app = _app(Path(tmp_path))
    with app.app_context():
        for _ in range(rounds):
            engine_whoosh.apply_changes()
    db.state(app).engine.dispose()


def test_two_processes_follow_one_feed(feed_app, tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_follow, args=(str(tmp_path), 20)) for _ in range(2)]
    for p in procs:
        p.start()
    for batch in range(10):          # changes keep arriving while both follow the feed
        _add_services(20, prefix=f"Batch {batch}")
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    engine_whoosh.apply_changes()    # whatever arrived after they stopped
    ids = _indexed_ids(tmp_path / "index")
    expected = sorted(db.session.scalars(select(Service.id)))
    assert ids == expected and len(ids) == 200           # every service exactly once
    assert db.session.scalar(select(func.count()).select_from(SearchChange)) == 0


def test_reindex_rebuilds_a_lost_index(feed_app, tmp_path):
    _add_services(4)
    engine_whoosh.apply_changes()
    import shutil
    shutil.rmtree(tmp_path / "index")
    engine_whoosh._forget(tmp_path / "index")
    engine_whoosh.ensure_current()  # what a search does first
    assert len(_indexed_ids(tmp_path / "index")) == 4


def test_feed_triggers_fire_on_category_and_organisation_changes(feed_app):
    _add_services(1)
    engine_whoosh.apply_changes()
    org = db.session.scalar(select(Organization).limit(1))
    org.name = "Renamed organisation"
    db.session.commit()
    assert db.session.execute(text("SELECT count(*) FROM search_change")).scalar() == 1
    assert engine_whoosh.apply_changes() == 1
    assert engine_whoosh.text_scores([["renamed"]], "and")


def test_a_large_batch_of_changes_is_applied(feed_app, tmp_path):
    _add_services(1200, prefix="Bulk")   # more ids than one SQL statement may carry on old SQLite builds
    assert engine_whoosh.apply_changes() == 1200
    assert len(_indexed_ids(tmp_path / "index")) == 1200


def test_an_index_from_another_version_is_rebuilt(feed_app, tmp_path):
    _add_services(3)
    engine_whoosh.apply_changes()
    (tmp_path / "index" / "assets-hub-version").write_text("0")  # as if built by an older release
    engine_whoosh._forget(tmp_path / "index")
    engine_whoosh.ensure_current()
    assert (tmp_path / "index" / "assets-hub-version").read_text() == engine_whoosh.INDEX_VERSION
    assert len(_indexed_ids(tmp_path / "index")) == 3


def test_many_searches_and_edits_in_one_process(feed_app):
    """Search, edit, search, edit ...: each search sees the last edit and none fails.

    Before searchers were opened afresh, the second edit's search raised ReaderClosed and every
    word search after it did too, until the process restarted."""
    client = feed_app.test_client()

    def names(what):
        response = client.get("/api/search", query_string={"what": what})
        assert response.status_code == 200, response.text
        return [r["name"] for r in response.json["results"]]

    def rename(name):
        db.session.get(Service, sid).name = name
        db.session.commit()

    _add_services(3, prefix="Orchard")
    sid = db.session.scalar(select(Service.id).order_by(Service.name).limit(1))
    words = ["apple", "bramble", "cedar", "damson", "elder", "fig", "quince", "hazel", "iris", "juniper",
             "kale", "lilac"]
    for round_, word in enumerate(words):
        rename(f"Orchard {word} gardening")
        assert names(word) == [f"Orchard {word} gardening"]
        assert len(names("orchard gardening")) == 3
        assert client.get("/search", query_string={"what": "orchard"}).status_code == 200
        assert client.get("/search.geojson", query_string={"what": "orchard"}).status_code == 200
        assert client.get("/api/v3/services", query_string={"search": "orchard"}).status_code == 200
        if round_:
            assert names(words[round_ - 1]) == []
    # a search still holding the old generation while the index moves on finishes unharmed
    with engine_whoosh.searching() as held:
        rename("Orchard moved on")
        assert names("moved") == ["Orchard moved on"]
        assert held.doc_count() == 3


def _serve(url: str, index: str, ports) -> None:
    from werkzeug.serving import make_server
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "x", "SEARCH_INDEX_DIR": index})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    ports.put(server.server_port)
    server.serve_forever()


def test_two_server_processes_keep_answering_word_searches_across_edits(feed_app, tmp_path):
    """Two real server processes share the database and the index; edits arrive between searches
    and each process's searches go on answering 200 with the newest name."""
    import json
    import urllib.request

    _add_services(2, prefix="Pottery")
    url, index = str(db.engine.url), str(tmp_path / "index")
    mp = multiprocessing.get_context("spawn")
    ports = mp.Queue()
    procs = [mp.Process(target=_serve, args=(url, index, ports), daemon=True) for _ in range(2)]
    for p in procs:
        p.start()
    try:
        bases = [f"http://127.0.0.1:{ports.get(timeout=60)}" for _ in procs]
        svc = db.session.scalar(select(Service).order_by(Service.name).limit(1))
        for round_ in range(10):
            svc.name = f"Pottery turn{round_} class"
            db.session.commit()
            for base in (bases if round_ % 2 else bases[::-1]):
                with urllib.request.urlopen(f"{base}/api/search?what=turn{round_}", timeout=30) as r:
                    assert r.status == 200
                    names = [item["name"] for item in json.load(r)["results"]]
                assert names == [svc.name]
                with urllib.request.urlopen(f"{base}/search?what=pottery", timeout=30) as r:
                    assert r.status == 200
    finally:
        for p in procs:
            p.terminate()
            p.join(10)
