"""the synonym "mental health" (mental wellbeing, talking therapies, peer support, wellbeing): the
words link workers type most, which no listing's name or category holds as such; added where a
curator has not written their own (a new database has it from search/synonyms.txt already)

Revision ID: 0036
Revises: 0035
"""
from alembic import op
import sqlalchemy as sa

revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None

TERM = "mental health"
EXPANSIONS = "mental wellbeing, talking therapies, peer support, wellbeing"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.execute(sa.text("SELECT 1 FROM search_synonym WHERE term = :term"), {"term": TERM}).first() is None:
        bind.execute(sa.text("INSERT INTO search_synonym (term, expansions, updated_at) "
                             "VALUES (:term, :expansions, CURRENT_TIMESTAMP)"), {"term": TERM, "expansions": EXPANSIONS})


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM search_synonym WHERE term = :term AND expansions = :expansions"),
                          {"term": TERM, "expansions": EXPANSIONS})
