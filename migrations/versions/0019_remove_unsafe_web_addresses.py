"""data: remove stored web addresses that are not http or https

Revision ID: 0019
Revises: 0018

Imports once stored any text as a web address, so a ``javascript:`` address could be served as a
link by the Open Referral API. Imports now refuse them; this removes those already stored, from
services, organisations, locations and accessibility entries. Each removal is kept in the change
log (``listing_change``) with the value removed, so nothing is lost without trace. Downgrading
does not put them back.
"""
import uuid
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

# (table, column, HSDS resource type)
COLUMNS = (("service", "url", "service"), ("organization", "website", "organization"),
           ("location", "url", "location"), ("accessibility", "url", "accessibility"))
UNSAFE = ("{col} IS NOT NULL AND {col} <> '' AND lower(trim({col})) NOT LIKE 'http://%' "
          "AND lower(trim({col})) NOT LIKE 'https://%'")


def upgrade() -> None:
    conn = op.get_bind()
    now = datetime.now(timezone.utc)
    change = sa.table("listing_change", sa.column("id"), sa.column("version_id"), sa.column("resource_id"),
                      sa.column("resource_type"), sa.column("last_action_date"), sa.column("last_action_type"),
                      sa.column("field_name"), sa.column("previous_value"), sa.column("replacement_value"),
                      sa.column("updated_by"))
    for table, col, resource in COLUMNS:
        where = UNSAFE.format(col=col)
        rows = conn.execute(sa.text(f"SELECT id, {col} FROM {table} WHERE {where}")).all()
        if not rows:
            continue
        conn.execute(change.insert(), [
            {"id": str(uuid.uuid4()), "version_id": None, "resource_id": rid, "resource_type": resource,
             "last_action_date": now, "last_action_type": "update", "field_name": col, "previous_value": value,
             "replacement_value": "", "updated_by": "system (unsafe web address removed)"} for rid, value in rows])
        conn.execute(sa.text(f"UPDATE {table} SET {col} = NULL WHERE {where}"))


def downgrade() -> None:
    pass  # the removed addresses stay removed (they are in listing_change)
