"""A real server on loopback for tests that need several clients at once (threads, processes)."""
from __future__ import annotations

import threading
from contextlib import contextmanager

import requests
from werkzeug.serving import make_server


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
