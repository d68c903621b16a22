"""Schemathesis against the running app: every operation of our OpenAPI document (and of the HSDS
3.0 reference document) with generated and boundary inputs. No server errors, responses that match
the schemas, no status codes or content types the document does not list."""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from assets_hub import create_app
from assets_hub.db import db
from assets_hub.config import HSDS_DIR

ST = str(Path(sys.executable).with_name("st"))


@pytest.fixture(scope="module")
def running_app(database_url, index_dir):
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "st", "SEARCH_INDEX_DIR": str(index_dir),
                      "API_RATE_LIMIT": "1000000 per minute"})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    db.state(app).engine.dispose()


def schemathesis(tmp_path, *args) -> str:
    result = subprocess.run([ST, "run", *args, "--seed", "20261125", "--max-examples", "15", "--workers", "2",
                             "--request-timeout", "30", "--report", "junit",
                             "--report-junit-path", str(tmp_path / "junit.xml")],
                            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    assert " passed" in output and "failed" not in output.split("SUMMARY")[-1], output[-3000:]
    return output


def test_our_openapi_document_holds_against_the_app(running_app, tmp_path):
    out = schemathesis(tmp_path, f"{running_app}/api/v3/openapi.json", "--checks", "all",
                       "--phases", "examples,coverage,fuzzing,stateful")
    assert "Tested: 11" in out


def test_hsds_reference_document_holds_against_the_app(running_app, tmp_path):
    # The reference lists only 200 responses, so only "no server error" and "a 200 matches its
    # schema" apply. Its /service_at_locations/{id} points at the service schema (an upstream bug,
    # see hsds/SOURCES.md); our own document fixes that and is tested above.
    out = schemathesis(tmp_path, str(HSDS_DIR / "openapi.local.json"), "--url", f"{running_app}/api/v3",
                       "--checks", "not_a_server_error,response_schema_conformance",
                       "--phases", "examples,coverage,fuzzing", "--exclude-path", "/service_at_locations/{id}")
    assert "Tested: 10" in out
