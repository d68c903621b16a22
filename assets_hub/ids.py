"""Identifiers: every record id is a UUID (HSDS 3.0), kept as its canonical 36-character text."""
from __future__ import annotations

import re
import uuid

from sqlalchemy import String
from sqlalchemy.orm import mapped_column

UUID_LEN = 36


def new_id() -> str:
    return str(uuid.uuid4())


# The canonical text (any case): what str(uuid.UUID(value)) gives back, lower-cased. A pattern,
# not a parse: an import checks a quarter of a million ids per 100,000 services.
CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def is_uuid(value: str) -> bool:
    return CANONICAL.fullmatch(str(value)) is not None


def id_column():
    return mapped_column(String(UUID_LEN), primary_key=True, default=new_id)
