"""The embedded (SQLite) engine: words on a Whoosh index, place and filters in SQLite.

The index is derived from the database. Triggers write a change feed (``search_change``) in the
same transaction as each listing change; ``apply_changes()`` reads the feed on its own
connection (so only committed changes), updates the index, commits the index, and only then
deletes the feed rows it applied. A crash between the two re-applies the same changes (updates
are idempotent), so nothing is lost; a rolled-back write never reached the feed. Several
processes may follow one feed: Whoosh's writer lock makes them take turns.
"""
from __future__ import annotations

import atexit
import math
import threading
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from whoosh import index as windex
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.writing import LockError

from assets_hub.db import db
from assets_hub.directory.models import Attribute, Organization, Service, TaxonomyTerm
from assets_hub.directory.services import VISIBLE_STATUSES
from search.models import SearchChange

ANALYZER = StemmingAnalyzer()
# One weighted text field, so a word has one posting list to read (not one per field), which
# is what Whoosh's speed depends on. The name counts three times and the categories twice (the
# same weighting as PostgreSQL's A/B/C/D), by repetition.
SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    # Whether the service shows in search (its status): lets a search on words alone count and
    # rank its matches without asking SQLite about every one of them.
    visible=STORED(),
    content=TEXT(analyzer=ANALYZER),
    spell=TEXT(analyzer=StandardAnalyzer(minsize=3, stoplist=None), spelling=True),
)

# Bump when SCHEMA or the documents change: an index built by another version is rebuilt.
INDEX_VERSION = "3"

_lock = threading.Lock()


class _Held:
    """One searcher generation of one index, and how many searches are using it now.

    Each generation is a searcher opened afresh (never ``Searcher.refresh()``, whose new searcher
    shares segment readers with the old one, so closing the old one closed readers the new one
    still used). The process's table below owns it; a search borrows it with ``_searching()``.
    A replaced generation is closed when its last search gives it back, never under a search."""

    __slots__ = ("searcher", "users", "retired")

    def __init__(self, searcher):
        self.searcher, self.users, self.retired = searcher, 0, False


_current: dict[str, _Held] = {}


def index_dir() -> Path:
    return Path(current_app.config["SEARCH_INDEX_DIR"])


def _open(path: Path, create: bool = True):
    if windex.exists_in(str(path)):
        return windex.open_dir(str(path))
    if not create:
        return None
    path.mkdir(parents=True, exist_ok=True)
    return windex.create_in(str(path), SCHEMA)


def _documents(session, ids: list[str] | None = None):
    """(id, fields) for services, read on the given session (ids in chunks: SQLite limits parameters)."""
    if ids is not None and len(ids) > 500:
        for start in range(0, len(ids), 500):
            yield from _documents(session, ids[start:start + 500])
        return
    stmt = select(Service.id, Service.name, Service.description, Organization.name, Service.status).join(Organization)
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
    for sid, name, description, org, status in session.execute(stmt):
        categories = " ".join(cats.get(sid, []))
        content = f"{name} {name} {name} {categories} {categories} {description or ''} {org or ''}"
        yield sid, {"id": sid, "content": content, "spell": f"{name} {description or ''} {categories}",
                    "visible": status in VISIBLE_STATUSES}


def rebuild(path: Path | None = None) -> int:
    """Build the index from the database from scratch (``assets-hub search reindex``)."""
    path = path or index_dir()
    path.mkdir(parents=True, exist_ok=True)
    ix = windex.create_in(str(path), SCHEMA)
    # Everything now in the database is in the new index: the feed so far is consumed.
    high = db.session.scalar(select(func.max(SearchChange.id))) or 0
    writer = ix.writer(limitmb=128, compound=False)  # opening a compound index costs ~36 ms
    count = 0
    for _sid, doc in _documents(db.session):
        writer.add_document(**doc)
        count += 1
    writer.commit()
    (path / "assets-hub-version").write_text(INDEX_VERSION)
    db.session.execute(delete(SearchChange).where(SearchChange.id <= high))
    _forget(path)
    return count


def _version_ok(path: Path) -> bool:
    marker = path / "assets-hub-version"
    return marker.exists() and marker.read_text().strip() == INDEX_VERSION


def apply_changes(path: Path | None = None, engine=None, on_stage=None) -> int:
    """Apply committed feed rows to the index; returns how many services were re-indexed.

    Reads on its own connection, so changes not yet committed (or rolled back) are never seen.
    """

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
            writer = ix.writer(timeout=30.0, compound=False)
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


def _retire(key: str) -> None:
    """Take the generation out of use (caller holds _lock); closed now if no search is using it."""
    held = _current.pop(key, None)
    if held is not None:
        held.retired = True
        if held.users == 0:
            held.searcher.close()


def _forget(path: Path) -> None:
    with _lock:
        _retire(str(path))


def close_all() -> None:
    """Close every searcher no search is using (at exit: they hold the index's files open)."""
    with _lock:
        for key in list(_current):
            _retire(key)


atexit.register(close_all)


def _open_searcher(ix):
    # Another process may commit (and delete merged segments' files) between our reading the table
    # of contents and opening its segments; each try reads the newest table of contents again.
    for attempt in range(5):
        try:
            return ix.searcher()
        except OSError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def _acquire(path: Path) -> _Held | None:
    key = str(path)
    with _lock:
        held = _current.get(key)
        if held is not None and not held.searcher.up_to_date():
            _retire(key)
            held = None
        if held is None:
            ix = _open(path, create=False)
            if ix is None:
                return None
            held = _current[key] = _Held(_open_searcher(ix))
        held.users += 1
        return held


def _release(held: _Held) -> None:
    with _lock:
        held.users -= 1
        if held.retired and held.users == 0:
            held.searcher.close()


@contextmanager
def searching(path: Path | None = None):
    """The index's current searcher (None when there is no index), held open until the block ends.

    One searcher per index per process, replaced only when the index changed."""
    held = _acquire(path or index_dir())
    if held is None:
        yield None
        return
    try:
        yield held.searcher
    finally:
        _release(held)


def ensure_current() -> None:
    """Before a search: build the index if missing, then apply any committed changes."""
    path = index_dir()
    if not windex.exists_in(str(path)) or not _version_ok(path):
        rebuild(path)
        return
    if db.session.scalar(select(SearchChange.id).limit(1)) is not None:
        apply_changes(path)


class _Reader:
    """What scoring needs from one searcher generation, read once and kept: docnum <-> id, field
    lengths, and the postings ({docnum: term frequency}) of the words people search for.

    Whoosh's own query execution walks every posting of every word through layers of Python
    matchers before it applies a filter; with the postings cached as dicts, matching is C-speed set
    work and BM25 is computed only for the documents that can appear (a place's candidates)."""

    K1, B = 1.2, 0.75
    MAX_TERMS = 5000

    def __init__(self, s):
        self.searcher = s
        reader = s.reader()
        self.by_doc: list[str] = [""] * s.doc_count_all()
        visible = set()
        for docnum, fields in reader.iter_docs():
            self.by_doc[docnum] = fields["id"]
            if fields.get("visible"):
                visible.add(docnum)
        self.visible = frozenset(visible)
        self.by_id = {sid: n for n, sid in enumerate(self.by_doc) if sid}
        self.live = frozenset(self.by_id.values())
        self.n = max(1, len(self.live))
        self.lengths = {n: reader.doc_field_length(n, "content", 1) for n in self.live}
        self.avg = (sum(self.lengths.values()) / self.n) or 1.0
        self.postings: dict[str, dict[int, float]] = {}

    def posting(self, term: str) -> dict[int, float]:
        got = self.postings.get(term)
        if got is None:
            reader = self.searcher.reader()
            got = {}
            if ("content", term) in reader:
                m = reader.postings("content", term)
                while m.is_active():
                    if m.id() in self.live:
                        got[m.id()] = m.weight()
                    m.next()
            if len(self.postings) >= self.MAX_TERMS:
                self.postings.clear()
            self.postings[term] = got
        return got

    def match(self, groups: list[list[list[str]]], mode: str, only: set[int] | None) -> dict[int, float]:
        """{docnum: BM25 score} for documents matching the groups (AND or OR of groups; OR of a
        group's alternatives; AND of an alternative's terms)."""
        group_sets = []
        used_terms: set[str] = set()
        for group in groups:
            docs: set[int] = set()
            for terms in group:
                alt = None
                for t in terms:
                    keys = self.posting(t).keys()
                    alt = set(keys if only is None else only.intersection(keys)) if alt is None else alt & keys
                    if not alt:
                        break
                if alt:
                    docs |= alt
                    used_terms.update(terms)
            group_sets.append(docs)
        if not group_sets:
            return {}
        if mode == "and":
            matched = set.intersection(*group_sets) if all(group_sets) else set()
        else:
            matched = set().union(*group_sets)
        scores = {}
        k1, b, avg = self.K1, self.B, self.avg
        weights = {t: self.posting(t) for t in used_terms}
        idf = {t: math.log(1 + (self.n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in weights.items()}
        for d in matched:
            norm = k1 * (1 - b + b * self.lengths.get(d, avg) / avg)
            total = 0.0
            for t, p in weights.items():
                tf = p.get(d)
                if tf:
                    total += idf[t] * tf * (k1 + 1) / (tf + norm)
            scores[d] = total
        return scores


_readers: dict[int, _Reader] = {}


def _reader(s) -> _Reader:
    r = _readers.get(id(s))
    if r is None or r.searcher is not s:
        r = _Reader(s)
        _readers.clear()  # only the current searcher's cache is kept
        _readers[id(s)] = r
    return r


def _analysed(groups: list[list[str]]) -> list[list[list[str]]]:
    return [[terms for terms in ([t.text for t in ANALYZER(alt)] for alt in group) if terms] for group in groups]


def strong_matches(groups: list[list[str]], mode: str, titles: dict[str, str]) -> set[str]:
    """The services whose words are found in their name or categories (``titles``: id -> that
    text), analysed as the index analyses them; the rest matched in their description only."""
    wanted = _analysed(groups)
    out = set()
    for sid, title in titles.items():
        terms = {t.text for t in ANALYZER(title)}
        found = [any(set(alt) <= terms for alt in group) for group in wanted]
        if found and (all(found) if mode == "and" else any(found)):
            out.add(sid)
    return out


def text_scores(groups: list[list[str]], mode: str, only: set[str] | None = None,
                visible_only: bool = False) -> dict[str, float]:
    """{service_id: BM25 score} for matching services; only among ``only`` (a place's candidates)
    when given, only visible ones with ``visible_only``. An empty ``only`` means no candidates,
    never "no filter"."""
    if only is not None and not only:
        return {}
    with searching() as s:
        if s is None:
            return {}
        r = _reader(s)
        allowed = None if only is None else {r.by_id[sid] for sid in only if sid in r.by_id}
        if visible_only:
            allowed = set(r.visible) if allowed is None else allowed & r.visible
        if allowed is not None and not allowed:
            return {}
        return {r.by_doc[d]: score for d, score in r.match(_analysed(groups), mode, allowed).items()}


def word_counts(words) -> dict[str, int]:
    """How many listings use each of these words (the index's spelling field), for those it has."""
    with searching() as s:
        if s is None:
            return {}
        counts = {w: s.doc_frequency("spell", w) for w in set(words) if len(w) >= 3}
    return {w: n for w, n in counts.items() if n}


def suggest(words: list[str]) -> dict[str, str]:
    with searching() as s:
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
