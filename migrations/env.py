"""Alembic environment: the database comes from the app's configuration (DATABASE_URL)."""
from alembic import context

from assets_hub.config import load_config
from assets_hub.db import Base, make_engine
from assets_hub import models  # noqa: F401  (registers every table on Base.metadata)

config = context.config
url = config.attributes.get("database_url") or load_config()["DATABASE_URL"]


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(url)
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            _run_sqlite(conn)
        else:
            _run(conn)
    engine.dispose()


def _run_sqlite(conn) -> None:
    """SQLite's documented procedure for the table changes ALTER TABLE cannot make (Alembic's batch
    rebuild: copy, drop, rename): foreign keys off, outside any transaction, so dropping the old copy
    of a table others refer to (user_account) neither fails nor cascades deletes into them; then
    checked, before they go back on."""
    raw = conn.connection.driver_connection  # autocommit: no transaction is open yet
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        _run(conn)
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"The migration left rows pointing at nothing: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


# Spatial structures made by hand in the migrations (they differ per database): not in the models.
UNMAPPED = {"geom", "extent_geog", "search_vector", "search_word", "ix_service_search_vector", "location_geo",
            "location_rtree", "ix_location_geom", "ix_service_area_extent_geog", "service_search",
            "ix_service_at_location_geom"}


def _include(obj, name, type_, reflected, compare_to) -> bool:
    return not (reflected and compare_to is None and (name in UNMAPPED or str(name).startswith(("location_rtree",
                                                                                                "spatial_ref_sys"))))


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, include_object=_include,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (SQL script) migrations are not supported; run against a database.")
run_migrations_online()
