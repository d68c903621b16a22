"""a running tally of visible services, kept by triggers, so the API's total_items does not count 100,000 rows

The Open Referral API's unfiltered service list sent ``total_items`` from ``count(*)`` over every
visible service: 60% of a page's time at 100,000 services (docs/PERFORMANCE.md, issue 19).
``service_tally`` holds numbers whose sum is that count, written in the listing's own transaction,
so a reader sees exactly the services its snapshot sees.

PostgreSQL: one row per statement that changed the count (a statement trigger over the
transition tables, so a COPY of 10,000 services writes one row). Rows are only ever added, never
updated, so writers never wait for each other; every 64th row folds the committed ones into one
(a DELETE ... RETURNING whose sum is inserted back, under a try-advisory lock: a writer that
cannot take it at once skips the fold, and a reader never waits). SQLite has one writer at a
time: one row, updated by row triggers.

Revision ID: 0025
Revises: 0024
"""
from alembic import op
import sqlalchemy as sa

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

VISIBLE = "('active', 'temporarily closed')"  # assets_hub.directory.services.VISIBLE_STATUSES
FOLD_LOCK = 7260025  # the advisory lock key a fold takes (this migration's number)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.create_table('service_tally',
                    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), primary_key=True,
                              autoincrement=True),
                    sa.Column('n', sa.BigInteger(), nullable=False))
    if not postgres:
        op.execute(f"INSERT INTO service_tally (id, n) SELECT 1, count(*) FROM service WHERE status IN {VISIBLE}")
        op.execute(f"""CREATE TRIGGER service_tally_ins AFTER INSERT ON service WHEN NEW.status IN {VISIBLE}
                       BEGIN UPDATE service_tally SET n = n + 1; END""")
        op.execute(f"""CREATE TRIGGER service_tally_del AFTER DELETE ON service WHEN OLD.status IN {VISIBLE}
                       BEGIN UPDATE service_tally SET n = n - 1; END""")
        op.execute(f"""CREATE TRIGGER service_tally_upd AFTER UPDATE OF status ON service
                       WHEN (OLD.status IN {VISIBLE}) <> (NEW.status IN {VISIBLE})
                       BEGIN UPDATE service_tally SET n = n + (CASE WHEN NEW.status IN {VISIBLE} THEN 1 ELSE -1 END);
                       END""")
        return
    op.execute("LOCK TABLE service IN SHARE MODE")  # no change between the count and the triggers
    op.execute(f"INSERT INTO service_tally (n) SELECT count(*) FROM service WHERE status IN {VISIBLE}")
    op.execute(f"""
        CREATE FUNCTION service_tally_add(d bigint) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE row_id bigint;
        BEGIN
          IF d = 0 THEN RETURN; END IF;
          INSERT INTO service_tally (n) VALUES (d) RETURNING id INTO row_id;
          IF row_id % 64 = 0 AND pg_try_advisory_xact_lock({FOLD_LOCK}) THEN
            -- the sum of exactly the rows this statement deleted goes back in as one row
            WITH gone AS (DELETE FROM service_tally RETURNING n)
            INSERT INTO service_tally (n) SELECT sum(n) FROM gone HAVING count(*) > 0;
          END IF;
        END $$""")
    count = f"count(*) FILTER (WHERE status IN {VISIBLE})"
    for event, body in (
            ('INSERT', f"SELECT {count} FROM new_rows"),
            ('DELETE', f"SELECT -{count} FROM old_rows"),
            ('UPDATE', f"SELECT (SELECT {count} FROM new_rows) - (SELECT {count} FROM old_rows)")):
        name = f"service_tally_{event.lower()[:3]}"
        tables = {'INSERT': 'NEW TABLE AS new_rows', 'DELETE': 'OLD TABLE AS old_rows',
                  'UPDATE': 'OLD TABLE AS old_rows NEW TABLE AS new_rows'}[event]
        op.execute(f"""
            CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              PERFORM service_tally_add(({body}));
              RETURN NULL;
            END $$""")
        op.execute(f"""CREATE TRIGGER {name} AFTER {event} ON service REFERENCING {tables}
                       FOR EACH STATEMENT EXECUTE FUNCTION {name}()""")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name in ('service_tally_ins', 'service_tally_del', 'service_tally_upd'):
            op.execute(f"DROP TRIGGER {name} ON service")
            op.execute(f"DROP FUNCTION {name}()")
        op.execute("DROP FUNCTION service_tally_add(bigint)")
    else:
        for name in ('service_tally_ins', 'service_tally_del', 'service_tally_upd'):
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table('service_tally')
