"""Search: what + where + filters, one pipeline over two engines.

parse (SearchQuery) -> words and synonyms -> place -> filters -> engine -> relax/correct -> results.
The engine is chosen by the database: PostgreSQL + PostGIS searches in one SQL statement
(search.engine_pg); the embedded SQLite mode uses a Whoosh index for words (search.engine_sqlite).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import column, func, literal_column, select, table

from assets_hub.db import db
from assets_hub.directory.models import Service, TaxonomyTerm, summary_of
from assets_hub.geo import Place, resolve_place
from search import engine_pg, engine_sqlite, engine_whoosh
from search.query import SearchQuery
from search.results import EngineResult, Hit
from search.text import (close_service_word, compound_alternatives, compound_candidates, expand, known_words,
                         load_synonyms, tokens, with_compounds)

TIER_LABELS = {1: "nearby and covers this area", 2: "nearby", 3: "covers this area", 4: "national service"}


@dataclass
class SearchOutcome:
    query: SearchQuery
    place: Place | None
    hits: list[Hit]
    total: int
    facets: dict
    words: list[str] = field(default_factory=list)
    synonyms_used: dict[str, list[str]] = field(default_factory=dict)
    relaxed: bool = False                    # no service matched every word: any word was enough
    corrected_from: str | None = None        # we searched for a corrected spelling instead
    did_you_mean: str | None = None          # a better spelling, offered as a link
    words_as_filters: list[str] = field(default_factory=list)  # "free", "saturday": applied as filters

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))

    def matched_because(self, hit: Hit) -> str:
        parts = []
        if hit.distance_m is not None:
            parts.append(f"{hit.distance_m / 1000:.1f} km away")
        if hit.area_name:
            parts.append(f"covers {hit.area_name}")
        if self.words:
            also = [e for expansions in self.synonyms_used.values() for e in expansions][:3]
            parts.append("matches your words" + (f" (we also looked for {', '.join(also)})" if also else ""))
        return " and ".join(parts) if parts else "listed in this directory"


SEARCH_DOC = table("service_search", column("id"), column("search_vector"))


def ids_matching_words(text: str):
    """The visible services whose words match every word of ``text``, for a query to filter by
    (the Open Referral API's ``search``): PostgreSQL's search documents, or the embedded index."""
    if db.is_postgres:
        query = func.websearch_to_tsquery(literal_column("'english'::regconfig"), text)
        return select(SEARCH_DOC.c.id).where(SEARCH_DOC.c.search_vector.op("@@")(query))
    words = re.findall(r"\w+", text.lower())[:20]
    return list(engine_whoosh.text_scores([[w] for w in words], "and", visible_only=True)) if words else []


def service_words(synonyms: dict[str, list[str]]) -> set[str]:
    """The words people search services by: the synonyms (what people type and what we call it)
    and the categories' names."""
    names = db.session.scalars(select(TaxonomyTerm.name)).all()
    phrases = [*synonyms, *(e for expansions in synonyms.values() for e in expansions), *names]
    return {w for phrase in phrases for w in tokens(phrase) if len(w) >= 3}


def _engine():
    return engine_pg if db.is_postgres else engine_sqlite


FILTER_WORDS = {"free": ("free", True), "monday": ("open_day", "MO"), "tuesday": ("open_day", "TU"),
                "wednesday": ("open_day", "WE"), "thursday": ("open_day", "TH"), "friday": ("open_day", "FR"),
                "saturday": ("open_day", "SA"), "sunday": ("open_day", "SU")}


def words_as_filters(q: SearchQuery, words: list[str]) -> tuple[SearchQuery, list[str], list[str]]:
    """"free food bank saturday" -> words [food, bank] with the free and open-on-Saturday filters,
    unless the person set those filters themselves. Returns (query, words, the words taken)."""
    taken, kept, changes = [], [], {}
    for w in words:
        rule = FILTER_WORDS.get(w)
        if rule and len(words) > 1 and rule[0] not in changes and not getattr(q, rule[0]):
            changes[rule[0]] = rule[1]
            taken.append(w)
        else:
            kept.append(w)
    return (replace(q, **changes) if changes else q), kept, taken


DID_YOU_MEAN_BELOW = 5  # offer a spelling only when a search finds little


def run_search(q: SearchQuery, summaries: bool = True, now: datetime | None = None) -> SearchOutcome:
    """Run a search. Raises Invalid (naming the field) for an unknown place or category.

    ``summaries``: each hit carries its service's summary (the HTML list shows them; the JSON
    API does not need them). ``now`` is the time "open now" means (default: the clock)."""
    place = resolve_place(q.where)
    if place is not None and place.default_radius_km and not q.radius_given:
        q = replace(q, radius_km=place.default_radius_km)  # a city reaches further than a hamlet
    q, words, taken = words_as_filters(q, tokens(q.what))
    engine = _engine()
    synonyms = load_synonyms() if words else {}
    counts = known_words(engine.word_counts, compound_candidates(words)) if words else {}
    synonyms = with_compounds(synonyms, compound_alternatives(words, counts))
    groups = expand(words, synonyms)
    used = {g[0]: g[1:] for g in groups if len(g) > 1}
    result: EngineResult = engine.search(q, place, groups, "and", now)
    outcome = SearchOutcome(q, place, result.hits, result.total, result.facets, words, used)
    outcome.words_as_filters = taken
    if words and result.total == 0:
        fixes = engine.suggest(words)
        if fixes:
            fixed_words = [fixes.get(w, w) for w in words]
            fixed = engine.search(q, place, expand(fixed_words, synonyms), "and", now)
            if fixed.total:
                outcome = SearchOutcome(q, place, fixed.hits, fixed.total, fixed.facets, fixed_words, used,
                                        corrected_from=q.what, words_as_filters=taken)
                result = fixed
        if result.total == 0 and len(groups) > 1:
            relaxed = engine.search(q, place, groups, "or", now)
            if relaxed.total:
                outcome = SearchOutcome(q, place, relaxed.hits, relaxed.total, relaxed.facets, words, used,
                                        relaxed=True, words_as_filters=taken)
    elif words and result.total < DID_YOU_MEAN_BELOW:
        fixes = engine.suggest(words)
        if fixes:
            outcome.did_you_mean = " ".join(fixes.get(w, w) for w in words)
    elif words and any(w not in counts for w in words):
        # Found plenty, but a word the directory does not know may be a misspelling that stemmed
        # into another word ("counciling" read as "council"): offer the service word it is close to.
        service = service_words(synonyms)
        fixes = {w: close_service_word(w, service) for w in words if w not in counts and w not in service}
        if any(fixes.values()):
            outcome.did_you_mean = " ".join(fixes.get(w) or w for w in words)
    missing = [h for h in outcome.hits if h.summary is None]
    if missing and summaries:  # the embedded engine does not read descriptions
        descriptions = dict(db.session.execute(select(Service.id, Service.description)
                                               .where(Service.id.in_([h.service_id for h in missing]))).all())
        for h in missing:
            h.summary = summary_of(descriptions.get(h.service_id))
    return outcome
