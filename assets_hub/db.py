"""Engine, session and the one transaction boundary.

One request is one transaction: the session lives on ``flask.g``; ``after_request``
commits when the response is a success and rolls back otherwise. CLI commands
commit at their end through :func:`commit`. Service functions only ``flush``.
"""
from __future__ import annotations

import contextvars
import math
import select
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import flask
from sqlalchemy import MetaData, String, any_, bindparam, create_engine, event, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import NullType

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Mean Earth radius that PostGIS uses for sphere calculations (R1 of WGS84:
# (2a + b) / 3), so the SQLite branch measures exactly what PostGIS measures
# with use_spheroid = false.
EARTH_RADIUS_M = 6371008.7714


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def aware(value: datetime) -> datetime:
    """A stored time as UTC-aware (SQLite gives timezone-naive datetimes back)."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def great_circle_m(lat1, lon1, lat2, lon2):
    """Haversine distance in metres on the sphere PostGIS uses."""
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def normalise_url(url: str) -> str:
    """postgres:// and postgresql:// mean psycopg 3 here (SQLAlchemy would pick psycopg2)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            # Let SQLAlchemy, not the driver, open transactions, so SAVEPOINT and
            # transactional DDL behave (SQLAlchemy's documented pysqlite recipe).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA busy_timeout = 30000")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode = WAL")
                cur.execute("PRAGMA synchronous = NORMAL")
            cur.close()
            dbapi_conn.create_function("great_circle_m", 4, great_circle_m, deterministic=True)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # A transaction that will write takes SQLite's write lock when it begins, so a second
            # writer waits (busy_timeout) instead of failing: a deferred transaction that read
            # before another connection committed cannot upgrade to a write, and SQLite fails
            # it at once ("database is locked") without waiting.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if _will_write() else "BEGIN")

        return engine
    # JIT compilation costs PostgreSQL hundreds of milliseconds on the search statement (its cost
    # estimates cross the JIT threshold) and gains nothing for queries that return in milliseconds.
    connect_args = kwargs.pop("connect_args", {})
    # random_page_cost 1.1: the planner's default (4) assumes spinning disks and then prefers
    # scanning the whole service table to a few thousand primary-key look-ups.
    # work_mem 32MB: a search for a word that half the directory contains ranks every match in
    # memory (about 12 MB at 100,000 services) instead of spilling to temporary files.
    connect_args.setdefault("options", "-c jit=off -c random_page_cost=1.1 -c work_mem=32MB")
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    event.listen(engine, "checkout", _still_connected)
    return engine


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_writing = contextvars.ContextVar("assets_hub_writing", default=False)


def writing_by_default():
    """Outside requests (a CLI command), transactions on SQLite take the write lock when they begin.
    Returns the function that undoes it (a test runs many commands in one process)."""
    token = _writing.set(True)
    return lambda: _writing.reset(token)


# Blueprints whose every request writes, reads included (each read of personal data writes its
# audit entry): on SQLite they take the write lock when their transaction begins, as unsafe
# methods do, instead of failing at once when another connection committed since they began.
WRITING_BLUEPRINTS: set[str] = set()


def always_writes(blueprint) -> None:
    WRITING_BLUEPRINTS.add(blueprint.name)


def _will_write() -> bool:
    if flask.has_request_context():
        return flask.request.method not in SAFE_METHODS or flask.request.blueprint in WRITING_BLUEPRINTS
    return _writing.get()


def _still_connected(dbapi_conn, record, _proxy) -> None:
    """Before a pooled connection is lent out: has the server closed it while it sat idle? When
    PostgreSQL restarts, fails over or ends an idle session it sends its goodbye and closes the
    socket, so the socket of an idle connection has something to read only then. Asking the
    socket costs microseconds; SQLAlchemy's pre-ping asked the server (``SELECT 1``, a round trip
    of 0.14 ms here, before every request). Raising DisconnectionError makes the pool drop this
    connection and lend a new one (SQLAlchemy's documented checkout hook). A server that vanished
    without closing its sockets (a machine lost) still fails the first request that uses it;
    SQLAlchemy then replaces every connection of the pool."""
    if not record.info.get("lent"):  # a new connection: nothing has been idle yet
        record.info["lent"] = True
        return
    if dbapi_conn.closed or select.select([dbapi_conn.fileno()], [], [], 0)[0]:  # (closed: broken too)
        raise DisconnectionError("the server closed this connection while it was idle")


@dataclass
class DatabaseState:
    engine: Engine
    sessionmaker: sessionmaker


class Database:
    """The app's handle on the database: ``db.session`` is this app context's session."""

    def __init__(self):
        self._on_commit: list = []

    def on_commit(self, fn):
        """Register ``fn()`` to run after each successful commit of a request's or a command's
        transaction (the mail outbox sends then: never for a transaction that rolled back)."""
        self._on_commit.append(fn)
        return fn

    def _committed(self) -> None:
        for fn in self._on_commit:
            fn()

    def init_app(self, app: flask.Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["db"] = DatabaseState(engine, sessionmaker(bind=engine, expire_on_commit=False))

        @app.after_request
        def _end_transaction(response):
            session = flask.g.pop("db_session", None)
            if session is not None:
                committed = False
                try:
                    if response.status_code < 400:
                        session.commit()
                        committed = True
                    else:
                        session.rollback()
                finally:
                    session.close()
                if committed:
                    self._committed()
            return response

        @app.teardown_appcontext
        def _close(_exc):
            session = flask.g.pop("db_session", None)
            if session is not None:
                session.rollback()
                session.close()

    @staticmethod
    def state(app: flask.Flask | None = None) -> DatabaseState:
        return (app or flask.current_app).extensions["db"]

    @property
    def engine(self) -> Engine:
        return self.state().engine

    @property
    def session(self) -> Session:
        if "db_session" not in flask.g:
            flask.g.db_session = self.state().sessionmaker()
        return flask.g.db_session

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def commit(self) -> None:
        """Commit the current session: for CLI commands only, at their end."""
        self.session.commit()
        self._committed()


db = Database()


def insert_rows(table, rows: list[dict]) -> None:
    """Insert many rows that all have the same keys. On PostgreSQL one COPY: one statement for
    the whole batch (statement triggers run once), and no statement text with a placeholder per
    value for psycopg to parse; elsewhere one executemany."""
    if not rows:
        return
    if not db.is_postgres:
        db.session.execute(table.insert(), rows)
        return
    keys = list(rows[0])
    raw = db.session.connection().connection.driver_connection
    names = ", ".join(f'"{k}"' for k in keys)
    with raw.cursor().copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for r in rows:
            copy.write_row([r[k] for k in keys])


def one_of(column, values):
    """``column IN values`` for long lists (thousands of ids, as a batch of an import has). On
    PostgreSQL it is ``column = ANY(array)``, one parameter: an IN list is one placeholder per
    value, and psycopg parsed a statement with 5,000 of them in Python on every run (5 ms each,
    about a tenth of a 100,000-service import). Elsewhere it is ``IN``."""
    values = list(values)
    if db.is_postgres:  # (an expression of unknown type, such as replace(...), compares as text)
        item = String() if isinstance(column.type, NullType) else column.type
        return column == any_(bindparam(None, values, type_=ARRAY(item)))
    return column.in_(values)


def create_scratch_database(server_url: str, prefix: str) -> str:
    """A new, empty PostgreSQL database on the server of ``server_url`` (tests and benchmarks);
    returns its URL. ``drop_database`` removes it."""


    base = normalise_url(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.rpartition("/")[0] + "/" + name


def drop_database(url: str) -> None:

    server, _, name = normalise_url(url).rpartition("/")
    admin = make_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
