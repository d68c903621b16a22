"""Operations on search settings."""
from __future__ import annotations

from sqlalchemy import delete, select

from assets_hub.db import db
from assets_hub.errors import Invalid
from assets_hub.roles import CURATORS, require_role
from search.models import Synonym
from search.text import forget_synonyms, parse_synonym_text


def synonyms_as_text() -> str:
    rows = db.session.scalars(select(Synonym).order_by(Synonym.term)).all()
    return "\n".join(f"{r.term} = {r.expansions}" for r in rows)


def replace_synonyms(actor, text: str) -> int:
    """Replace the synonym list with the curators' text ("term = a, b" per line).

    Curators and admins only. Raises Forbidden, Invalid (field "synonyms", naming the line).
    """
    require_role(actor, *CURATORS, action="edit search synonyms")
    if len(text) > 100_000:
        raise Invalid("The list is too long (at most 100,000 characters).", {"synonyms": ["Too long."]})
    try:
        parsed = parse_synonym_text(text)
    except ValueError as exc:
        raise Invalid(str(exc), {"synonyms": [str(exc)]})
    session = db.session
    session.execute(delete(Synonym))
    session.add_all(Synonym(term=t, expansions=e) for t, e in parsed.items())
    session.flush()
    # Not cached until this transaction ends: a rolled-back edit must not linger in the cache.
    session.info["synonyms_changed"] = True
    forget_synonyms()
    return len(parsed)
