"""A real server on loopback for tests that need several clients at once (threads, processes)."""
from __future__ import annotations

import threading
from contextlib import contextmanager

import requests
from werkzeug.serving import make_server

from assets_hub import create_app
from assets_hub.db import db


def demo_app(tmp_path_factory, label: str, users=(), **config):
    """An app on a database of its own (PostgreSQL or SQLite, as the run is), loaded with the demo
    data, with these (email, password, role, name) accounts created and committed."""
    from tests.conftest import create_database, load_demo_database

    url = create_database(tmp_path_factory.mktemp(label), label)
    index = tmp_path_factory.mktemp(label + "-index")
    load_demo_database(url, index)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": label, "SEARCH_INDEX_DIR": str(index), **config})
    with app.app_context():
        from assets_hub.roles import SYSTEM
        from assets_hub.accounts.services import create_user
        for email, password, role, name in users:
            create_user(SYSTEM, email, password, role, name)
        db.commit()
    return app


@contextmanager
def serve(app):
    """Serve ``app`` on a free loopback port in a thread; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


class Visitor:
    """One person's browser without the browser: cookies, the CSRF token, forms posted."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def token(self) -> str:
        return self.http.get(f"{self.base}/api/session", timeout=30).json()["csrf_token"]

    def sign_in(self, email: str, password: str) -> requests.Response:
        return self.post("/login", {"email": email, "password": password})

    def post(self, path: str, data: dict | None = None, **kwargs) -> requests.Response:
        data = {**(data or {}), "csrf_token": self.token()}
        return self.http.post(f"{self.base}{path}", data=data, allow_redirects=False, timeout=60, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(f"{self.base}{path}", timeout=60, **kwargs)


def at_once(calls) -> list:
    """Run the callables in threads released together; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except BaseException as exc:  # surfaced to the test, not lost in a thread
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return results
