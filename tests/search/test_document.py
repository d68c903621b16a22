"""search/document_pg.sql is today's definition of the PostgreSQL search document: the database
the migrations build has exactly those tables, indexes, functions and triggers."""
from __future__ import annotations

import pytest

from assets_hub.db import make_engine
from search.document import DEFINITION_FILE, definition

pytestmark = pytest.mark.pg_only


def test_the_search_document_file_is_what_the_migrations_build(database_url):
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            built = definition(conn)
    finally:
        engine.dispose()
    assert built == DEFINITION_FILE.read_text(encoding="utf-8"), (
        "search/document_pg.sql differs from the migrated database: write it again with "
        "python -m search.document DATABASE_URL > search/document_pg.sql")

