"""search: a RUM index on the search vector, where the server has the extension; demoted rows indexed

Revision ID: 0014
Revises: 0013

Words alone, best first, must find the most relevant of every match. GIN can only say which rows
match, so a word found in most listings ("support": 50,000 of 100,000; "community": all of them)
was ranked by reading every matching row: 50-80 ms. RUM (https://github.com/postgrespro/rum;
Debian/Ubuntu package postgresql-NN-rum; offered by some managed services, not by all) keeps each
word's positions in the index and returns matches in order of relevance, so the best 2,000 come
from the index: 32 ms for "community", 18 ms for "support".

Optional: where the extension is not installed, or this role may not create it, nothing is
created and search ranks from GIN as before (search.engine_pg checks for the index). To add it
later, install the package and run ``assets-hub search optimise``. PostgreSQL only.
"""
from alembic import op
from sqlalchemy import text

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # Listings overdue for review rank after all others, so they are looked for apart: few rows.
    op.execute("CREATE INDEX ix_service_search_demoted ON service_search (id) WHERE deprioritised_at IS NOT NULL")
    if not bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")).scalar():
        print("search: the rum extension is not available here; words alone are ranked from GIN.")
        return
    try:
        with bind.begin_nested():  # a savepoint: a role that may not create extensions carries on
            bind.execute(text("CREATE EXTENSION IF NOT EXISTS rum"))
    except Exception as exc:  # noqa: BLE001 - any refusal means "go on without it"
        print(f"search: could not create the rum extension ({exc.__class__.__name__}); "
              "words alone are ranked from GIN.")
        return
    op.execute("CREATE INDEX ix_service_search_rum ON service_search USING rum (search_vector rum_tsvector_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_service_search_rum")
    op.execute("DROP INDEX ix_service_search_demoted")
