"""Words: splitting what people type, and synonyms."""
from __future__ import annotations

import difflib
import re
import time

from sqlalchemy import select

from assets_hub.db import db
from search.models import Synonym

STOP_WORDS = frozenset("""a an and are as at be by for from has have i in is it its me my near of on or our please
the their them there they this to us we what where which who with you your""".split())
TOKEN = re.compile(r"[a-z0-9]+")
MAX_WORDS = 12


def tokens(text: str) -> list[str]:
    """Lower-case words of 2+ characters, stop words dropped (apostrophes split: men's -> men)."""
    return [w for w in TOKEN.findall(text.lower()) if len(w) > 1 and w not in STOP_WORDS][:MAX_WORDS]


SYNONYM_CACHE_SECONDS = 30.0
_cache: dict[str, tuple[float, dict[str, list[str]]]] = {}


def load_synonyms() -> dict[str, list[str]]:
    """The synonym table, cached per process for 30 seconds (edits in this process clear it at once;
    other processes see them within 30 s)."""
    key = str(db.engine.url)
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < SYNONYM_CACHE_SECONDS and not db.session.info.get("synonyms_changed"):
        return hit[1]
    rows = db.session.execute(select(Synonym.term, Synonym.expansions)).all()
    value = {term: [e.strip().lower() for e in expansions.split(",") if e.strip()] for term, expansions in rows}
    if not db.session.info.get("synonyms_changed"):
        _cache[key] = (time.monotonic(), value)
    return value


def forget_synonyms() -> None:
    _cache.clear()


def expand(words: list[str], synonyms: dict[str, list[str]]) -> list[list[str]]:
    """Words -> groups of alternatives: every group must match (one of its alternatives).

    "low mood near SK4" with "low mood = wellbeing, talking therapies" -> [["low mood", "wellbeing",
    "talking therapies"]]: two-word synonym keys are matched before single words.
    """
    groups: list[list[str]] = []
    i = 0
    while i < len(words):
        pair = f"{words[i]} {words[i + 1]}" if i + 1 < len(words) else None
        if pair and pair in synonyms:
            groups.append([pair, *synonyms[pair]])
            i += 2
            continue
        groups.append([words[i], *synonyms.get(words[i], [])])
        i += 1
    return groups


MIN_PART = 3  # the vocabularies keep words of 3 letters or more


def compound_candidates(words: list[str]) -> set[str]:
    """The words to look up in the directory's vocabulary for "foodbank" <-> "food bank": every
    split of a long word into two parts, and every two neighbouring words joined."""
    out = set(words)
    for w in words:
        for i in range(MIN_PART, len(w) - MIN_PART + 1):
            out |= {w[:i], w[i:]}
    out |= {a + b for a, b in zip(words, words[1:])}
    return out


def compound_alternatives(words: list[str], counts: dict[str, int]) -> dict[str, list[str]]:
    """Words written together or apart match each other, when the directory's own vocabulary
    (``counts``: word -> how many listings use it) has the other form: "foodbank", which no
    listing uses, also looks for "food bank" (the split whose rarer part is commonest); "time
    bank" also looks for "timebank" when listings use it."""
    extra: dict[str, list[str]] = {}
    for w in words:
        if w in counts:  # a word the listings use already matches them: splitting "wellbeing" into
            continue     # "well" and "being" anywhere would only add noise
        splits = [(min(counts[w[:i]], counts[w[i:]]), f"{w[:i]} {w[i:]}")
                  for i in range(MIN_PART, len(w) - MIN_PART + 1)
                  if w[:i] in counts and w[i:] in counts and not {w[:i], w[i:]} & STOP_WORDS]
        if splits:
            extra[w] = [max(splits)[1]]
    for a, b in zip(words, words[1:]):
        if a + b in counts:
            extra[f"{a} {b}"] = [a + b]
    return extra


VOCABULARY_SECONDS = 300.0  # how long a word's count is trusted (new listings' words join within this)
_vocabulary: dict[tuple[str, str], tuple[float, int]] = {}


def known_words(look_up, words: set[str]) -> dict[str, int]:
    """How many listings use each word (``look_up``: the engine's ``word_counts``), remembered for
    a few minutes per process: every search with words asks for its words and their parts, and a
    word's count hardly matters until it goes from none to some."""
    key, now = str(db.engine.url), time.monotonic()
    out: dict[str, int] = {}
    missing = []
    for w in words:
        hit = _vocabulary.get((key, w))
        if hit is None or now - hit[0] > VOCABULARY_SECONDS:
            missing.append(w)
        elif hit[1]:
            out[w] = hit[1]
    if missing:
        found = look_up(missing)
        if len(_vocabulary) > 100_000:
            _vocabulary.clear()
        for w in missing:
            _vocabulary[(key, w)] = (now, found.get(w, 0))
            if found.get(w):
                out[w] = found[w]
    return out


def with_compounds(synonyms: dict[str, list[str]], extra: dict[str, list[str]]) -> dict[str, list[str]]:
    """The synonyms with the written-together-or-apart forms added (a new dict: the cache stays)."""
    if not extra:
        return synonyms
    merged = dict(synonyms)
    for key, alternatives in extra.items():
        merged[key] = [*merged.get(key, []), *[a for a in alternatives if a not in merged.get(key, [])]]
    return merged


def close_service_word(word: str, service_words: set[str]) -> str | None:
    """A word the directory does not know that is close to a word people search services by (a
    synonym or a category's name): "counciling" -> "counselling", which stemming alone would read
    as "council"."""
    found = difflib.get_close_matches(word, service_words, n=1, cutoff=0.75)
    return found[0] if found and found[0] != word else None


def parse_synonym_text(text: str) -> dict[str, str]:
    """The curators' editing format ("term = a, b" per line) -> {term: "a, b"}. Raises ValueError(line)."""
    out: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        term, sep, expansions = line.partition("=")
        term = " ".join(term.lower().split())
        parts = [p.strip() for p in expansions.split(",") if p.strip()]
        if not sep or not term or not parts:
            raise ValueError(f"Line {n}: write it as “what people type = what we call it, another name”.")
        if len(term) > 80 or any(len(p) > 80 for p in parts) or len(parts) > 20:
            raise ValueError(f"Line {n}: keep each term under 80 characters and at most 20 alternatives.")
        out[term] = ", ".join(parts)
    return out
