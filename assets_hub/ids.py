"""Identifiers: every record id is a UUID (HSDS 3.0), kept as its canonical 36-character text."""
from __future__ import annotations

import uuid

from sqlalchemy import String
from sqlalchemy.orm import mapped_column

UUID_LEN = 36


def new_id() -> str:
    return str(uuid.uuid4())


def is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(str(value))) == str(value).lower()
    except (ValueError, AttributeError, TypeError):
        return False


def id_column():
    return mapped_column(String(UUID_LEN), primary_key=True, default=new_id)
