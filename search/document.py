"""The PostgreSQL search document as the migrations leave it, in one file: ``document_pg.sql``.

``service_search`` holds one narrow row per visible service (what search reads), kept by triggers
in the listing's own transaction. Migrations build it step by step (0012, 0013, 0015, 0016,
0017), each with a frozen copy of what it ran; ``document_pg.sql`` is today's whole definition
(tables, indexes, functions, triggers) read back from a database migrated to the latest schema,
so reading it takes one file. A test checks it still matches the migrations.

A migration that changes the document carries a full frozen copy of its statements, then
``python -m search.document DATABASE_URL > search/document_pg.sql`` (on a database migrated to
it) writes the new definition here.
"""
from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import text

DEFINITION_FILE = Path(__file__).with_name("document_pg.sql")

HEADER = """-- The PostgreSQL search document: its tables, indexes, functions and triggers as the migrations
-- leave them (read back from the catalog: python -m search.document DATABASE_URL). Do not edit:
-- change it with a migration, then write this file again. tests/search/test_document.py checks it.
"""


def definition(connection) -> str:
    """Today's definition, from the catalog of a PostgreSQL database (deterministic order)."""
    q = lambda sql: connection.execute(text(sql)).all()  # noqa: E731
    out = [HEADER]
    for (table,) in q("SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                      "AND tablename LIKE 'service\\_search%' ORDER BY 1"):
        columns = q(f"""SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                               pg_get_expr(d.adbin, d.adrelid)
                          FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                         WHERE a.attrelid = 'public.{table}'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                         ORDER BY a.attnum""")
        lines = [f"  {name} {kind}" + (" NOT NULL" if notnull else "") + (f" DEFAULT {default}" if default else "")
                 for name, kind, notnull, default in columns]
        constraints = q(f"SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        f"WHERE conrelid = 'public.{table}'::regclass ORDER BY conname")
        lines += [f"  CONSTRAINT {name} {body}" for name, body in constraints]
        out.append(f"CREATE TABLE {table} (\n" + ",\n".join(lines) + "\n);\n")
        out += [f"{indexdef};\n" for (indexdef,) in q(
            f"SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = '{table}' "
            f"AND indexname NOT IN (SELECT conname FROM pg_constraint) AND indexname <> 'ix_service_search_rum' "
            f"ORDER BY indexname")]  # (the RUM index is there only where the server has the extension: 0014)
    for (body,) in q("""SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                         WHERE n.nspname = 'public' AND p.proname NOT LIKE 'audit\\_%'  -- (the audit log's: 0023)
                           AND p.proname NOT LIKE 'tb\\_%'  -- (the ledger's: 0024)
                           AND p.proname NOT LIKE 'service\\_tally%'  -- (the API's count: 0025)
                           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
                         ORDER BY p.proname, pg_get_function_identity_arguments(p.oid)"""):
        out.append(body.rstrip() + ";\n")
    out += [f"{body};\n" for (body,) in q(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal "
        "AND tgrelid NOT IN ('audit_entry'::regclass, 'tb_entry'::regclass) "  # (append-only logs: 0023, 0024)
        "AND tgname NOT LIKE 'service\\_tally%' "  # (the API's count of visible services: 0025)
        "ORDER BY tgrelid::regclass::text, tgname")]
    return "\n".join(out)


if __name__ == "__main__":  # python -m search.document DATABASE_URL > search/document_pg.sql
    from assets_hub.db import make_engine

    with make_engine(sys.argv[1]).connect() as conn:
        sys.stdout.write(definition(conn))
