"""The embedded (SQLite) engine: words on a Whoosh index, place and filters in SQLite.

The index is derived from the database. Triggers write a change feed (``search_change``) in the
same transaction as each listing change; ``apply_changes()`` reads the feed on its own
connection (so only committed changes), updates the index, commits the index, and only then
deletes the feed rows it applied. A crash between the two re-applies the same changes (updates
are idempotent), so nothing is lost; a rolled-back write never reached the feed. Several
processes may follow one feed: Whoosh's writer lock makes them take turns.
"""
from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import delete, func, select
from whoosh import index as windex
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import ID, TEXT, Schema
from whoosh.query import And, Or, Term
from whoosh.writing import LockError

from assets_hub.db import db
from assets_hub.directory.models import Attribute, Organization, Service, TaxonomyTerm
from search.models import SearchChange

ANALYZER = StemmingAnalyzer()
SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    name=TEXT(analyzer=ANALYZER, field_boost=4.0),
    categories=TEXT(analyzer=ANALYZER, field_boost=2.0),
    description=TEXT(analyzer=ANALYZER),
    organization=TEXT(analyzer=ANALYZER, field_boost=0.5),
    spell=TEXT(analyzer=StandardAnalyzer(minsize=3, stoplist=None), spelling=True),
)
FIELDS = ("name", "categories", "description", "organization")

_lock = threading.Lock()
_searchers: dict[str, object] = {}


def index_dir() -> Path:
    from flask import current_app
    return Path(current_app.config["SEARCH_INDEX_DIR"])


def _open(path: Path, create: bool = True):
    if windex.exists_in(str(path)):
        return windex.open_dir(str(path))
    if not create:
        return None
    path.mkdir(parents=True, exist_ok=True)
    return windex.create_in(str(path), SCHEMA)


def _documents(session, ids: list[str] | None = None):
    """(id, fields) for services, read on the given session."""
    stmt = select(Service.id, Service.name, Service.description, Organization.name).join(Organization)
    if ids is not None:
        stmt = stmt.where(Service.id.in_(ids))
    parent = TaxonomyTerm.__table__.alias("parent")
    cats: dict[str, list[str]] = {}
    cat_stmt = (select(Attribute.service_id, TaxonomyTerm.name, parent.c.name)
                .join(TaxonomyTerm, TaxonomyTerm.id == Attribute.taxonomy_term_id)
                .outerjoin(parent, parent.c.id == TaxonomyTerm.parent_id).where(Attribute.service_id.is_not(None)))
    if ids is not None:
        cat_stmt = cat_stmt.where(Attribute.service_id.in_(ids))
    for sid, name, parent_name in session.execute(cat_stmt):
        cats.setdefault(sid, []).extend([name, parent_name or ""])
    for sid, name, description, org in session.execute(stmt):
        categories = " ".join(cats.get(sid, []))
        yield sid, {"id": sid, "name": name, "description": description or "", "categories": categories,
                    "organization": org or "", "spell": f"{name} {description or ''} {categories}"}


def rebuild(path: Path | None = None) -> int:
    """Build the index from the database from scratch (``assets-hub search reindex``)."""
    path = path or index_dir()
    path.mkdir(parents=True, exist_ok=True)
    ix = windex.create_in(str(path), SCHEMA)
    # Everything now in the database is in the new index: the feed so far is consumed.
    high = db.session.scalar(select(func.max(SearchChange.id))) or 0
    writer = ix.writer(limitmb=128)
    count = 0
    for _sid, doc in _documents(db.session):
        writer.add_document(**doc)
        count += 1
    writer.commit()
    db.session.execute(delete(SearchChange).where(SearchChange.id <= high))
    _forget(path)
    return count


def apply_changes(path: Path | None = None, engine=None, on_stage=None) -> int:
    """Apply committed feed rows to the index; returns how many services were re-indexed.

    Reads on its own connection, so changes not yet committed (or rolled back) are never seen.
    """
    from sqlalchemy.orm import Session

    path = path or index_dir()
    engine = engine or db.engine
    with Session(engine) as session:
        if session.scalar(select(SearchChange.id).limit(1)) is None:
            return 0
        session.rollback()
        ix = _open(path)
        try:
            # Take the index's writer lock BEFORE reading: the next holder then always reads a newer
            # snapshot than the last one, so an older snapshot can never overwrite a newer one.
            writer = ix.writer(timeout=30.0)
        except LockError:
            return 0  # another process is busy applying the feed; it or the next search takes these rows
        try:
            # One read snapshot for the feed rows and the documents they name, then end it: upgrading
            # a WAL read transaction to a write after another process committed fails at once.
            rows = session.execute(select(SearchChange.id, SearchChange.service_id)
                                   .order_by(SearchChange.id)).all()
            applied_ids = [r[0] for r in rows]
            service_ids = sorted({r[1] for r in rows})
            documents = list(_documents(session, service_ids))
            session.rollback()
            found = set()
            for sid, doc in documents:
                writer.update_document(**doc)
                found.add(sid)
            for sid in set(service_ids) - found:
                writer.delete_by_term("id", sid)
            if on_stage:  # the tests' way of crashing at the worst moments
                on_stage("before_index_commit")
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        if on_stage:
            on_stage("after_index_commit")
        for start in range(0, len(applied_ids), 500):
            session.execute(delete(SearchChange).where(SearchChange.id.in_(applied_ids[start:start + 500])))
        session.commit()
    return len(service_ids)


def _forget(path: Path) -> None:
    with _lock:
        searcher = _searchers.pop(str(path), None)
    if searcher is not None:
        searcher.close()


def searcher(path: Path | None = None):
    """One open searcher per index per process, refreshed only when the index changed."""
    path = path or index_dir()
    key = str(path)
    with _lock:
        s = _searchers.get(key)
        if s is None:
            ix = _open(path, create=False)
            if ix is None:
                return None
            s = ix.searcher()
            _searchers[key] = s
        elif not s.up_to_date():
            s = s.refresh()
            _searchers[key] = s
        return s


def ensure_current() -> None:
    """Before a search: build the index if missing, then apply any committed changes."""
    path = index_dir()
    if not windex.exists_in(str(path)):
        rebuild(path)
        return
    if db.session.scalar(select(SearchChange.id).limit(1)) is not None:
        apply_changes(path)


def _query(groups: list[list[str]], mode: str):
    clauses = []
    for group in groups:
        alternatives = []
        for alt in group:
            terms = [t.text for t in ANALYZER(alt)]
            if not terms:
                continue
            per_field = [And([Term(f, t) for t in terms]) if len(terms) > 1 else Term(f, terms[0]) for f in FIELDS]
            alternatives.append(Or(per_field))
        if alternatives:
            clauses.append(Or(alternatives))
    if not clauses:
        return None
    return And(clauses) if mode == "and" else Or(clauses)


def text_scores(groups: list[list[str]], mode: str) -> dict[str, float]:
    """{service_id: BM25F score} for every document that matches."""
    s = searcher()
    q = _query(groups, mode)
    if s is None or q is None:
        return {}
    results = s.search(q, limit=None)
    return {hit["id"]: hit.score for hit in results}


def suggest(words: list[str]) -> dict[str, str]:
    s = searcher()
    if s is None:
        return {}
    corrector = s.corrector("spell")
    out = {}
    for w in words:
        if len(w) < 3 or s.doc_frequency("spell", w):
            continue
        found = corrector.suggest(w, limit=1, maxdist=2)
        if found:
            out[w] = found[0]
    return out


def pending_changes() -> int:
    return db.session.scalar(select(func.count()).select_from(SearchChange)) or 0
