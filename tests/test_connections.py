"""The pool lends no connection the server has closed (PostgreSQL restarted, failed over, or ended
an idle session): the request after it gets a new connection, not an error."""
import time

import pytest
from sqlalchemy import create_engine, text

from assets_hub import create_app
from assets_hub.db import db, normalise_url

pytestmark = pytest.mark.pg_only


def backend_pid(app) -> int:
    with app.app_context():
        pid = db.session.scalar(text("SELECT pg_backend_pid()"))
        db.session.commit()
    return pid


def test_a_connection_the_server_closed_is_replaced_before_a_search_uses_it(database_url, index_dir):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "SECRET_KEY": "t",
                      "SERVER_NAME": "localhost", "SEARCH_INDEX_DIR": str(index_dir)})
    client = app.test_client()
    try:
        assert client.get("/api/search?what=befriending&where=SK4+2").status_code == 200
        pid = backend_pid(app)
        assert backend_pid(app) == pid  # the pool lends its one idle connection again
        admin = create_engine(normalise_url(database_url))
        with admin.connect() as conn:
            assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            for _ in range(100):  # until the server has closed it
                if not conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
                    break
                time.sleep(0.05)
        admin.dispose()
        r = client.get("/api/search?what=befriending&where=SK4+2")
        assert r.status_code == 200 and r.json["results"][0]["name"] == "Heatons Befriending Circle"
        assert backend_pid(app) != pid
    finally:
        db.state(app).engine.dispose()
