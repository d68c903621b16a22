"""Reading HSDS files into service records, and writing the tabular package.

- JSON: one service record, a list of them, or an API page (``{"contents": [...]}``); up to
  ``JSON_MAX_BYTES`` (a JSON document has to be read whole). NDJSON (one record a line, what
  ``/api/v3/services?format=ndjson&full=true`` streams) is read a line at a time, any size.
- Tabular data package (a folder with datapackage.json and CSVs): each CSV is streamed into a
  temporary SQLite file on disk with its row numbers, references are checked there, and records
  are assembled a service at a time, so memory stays flat however big the package.
"""
from __future__ import annotations

import csv
import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Iterator

from curation.hsds.report import Report

JSON_MAX_BYTES = 100 * 1024 * 1024
FIELD_MAX = 1024 * 1024  # one CSV field: 1 MB is far beyond any real description
csv.field_size_limit(FIELD_MAX)


TOO_DEEP = "is nested too deeply (lists or objects inside each other hundreds of levels down)"


class FileProblem(Exception):
    def __init__(self, file: str, row, field: str, problem: str):
        super().__init__(problem)
        self.file, self.row, self.field, self.problem = file, row, field, problem


# ------------------------------------------------------------------ JSON and NDJSON

def json_records(path: Path, max_bytes: int | None = None) -> Iterator[tuple[str, int, object]]:
    name = path.name
    max_bytes = max_bytes or JSON_MAX_BYTES
    if path.suffix.lower() in (".ndjson", ".jsonl"):
        with path.open("rb") as fh:
            for number, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    yield name, number, json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    raise FileProblem(name, number, "(line)", f"is not UTF-8 text (byte {exc.start})") from None
                except json.JSONDecodeError as exc:
                    raise FileProblem(name, number, "(line)", f"is not JSON: {exc.msg} at column {exc.colno}") from None
                except RecursionError:
                    raise FileProblem(name, number, "(line)", TOO_DEEP) from None
        return
    size = path.stat().st_size
    if size > max_bytes:
        raise FileProblem(name, "-", "(file)", f"is {size / 1e6:.0f} MB; a JSON file can be at most "
                                               f"{max_bytes / 1e6:.0f} MB. Use NDJSON (one record a line) for more.")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise FileProblem(name, "-", "(file)", f"is not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise FileProblem(name, exc.lineno, "(file)", f"is not JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise FileProblem(name, "-", "(file)", TOO_DEEP) from None
    if isinstance(data, dict) and isinstance(data.get("contents"), list):
        data = data["contents"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise FileProblem(name, "-", "(file)", "must hold a service record or a list of them")
    for number, rec in enumerate(data, start=1):
        yield name, number, rec


# ------------------------------------------------------------------ tabular data package

# file -> columns that must be there (beyond these, unknown columns are ignored, missing optional ones are empty)
TABLES = {
    "organizations.csv": ("id", "name"),
    "services.csv": ("id", "organization_id", "name", "status"),
    "locations.csv": ("id",),
    "service_at_location.csv": ("id", "service_id", "location_id"),
    "addresses.csv": ("id", "location_id", "address_1", "city", "postal_code"),
    "phones.csv": ("id", "number"),
    "schedules.csv": ("id",),
    "service_areas.csv": ("id", "service_id"),
    "languages.csv": ("id",),
    "cost_options.csv": ("id", "service_id"),
    "contacts.csv": ("id",),
    "accessibility.csv": ("id", "location_id"),
    "taxonomies.csv": ("id", "name"),
    "taxonomy_terms.csv": ("id", "name"),
    "attributes.csv": ("id", "link_id", "taxonomy_term_id"),
}
INDEXED = ("service_id", "location_id", "service_at_location_id", "link_id", "organization_id")


def _stage(folder: Path, db: sqlite3.Connection) -> dict[str, list[str]]:
    """Stream every known CSV into a table of the staging database; returns each table's columns."""
    columns: dict[str, list[str]] = {}
    if not (folder / "services.csv").exists():
        raise FileProblem("services.csv", "-", "(file)", f"is missing from {folder}: is this an HSDS tabular package?")
    for file, required in TABLES.items():
        path = folder / file
        table = file[:-4]
        if not path.exists():
            columns[table] = ["id", "_row"]
            db.execute(f'CREATE TABLE "{table}" (id TEXT, _row INTEGER)')
            continue
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            try:
                header = [h.strip() for h in next(reader, [])]
                missing = [c for c in required if c not in header]
                if missing:
                    raise FileProblem(file, 1, missing[0], f"column is missing (the header has: {', '.join(header[:20])})")
                if len(set(header)) != len(header):
                    raise FileProblem(file, 1, "(header)", "has the same column twice")
                cols = header + ["_row"]
                columns[table] = cols
                quoted = ", ".join('"' + c.replace('"', "") + '" TEXT' for c in header)
                db.execute(f'CREATE TABLE "{table}" ({quoted}, _row INTEGER)')
                marks = ",".join("?" * len(cols))
                batch = []
                for row in reader:
                    if not row or row == [""]:
                        continue
                    if len(row) != len(header):
                        raise FileProblem(file, reader.line_num, "(row)",
                                          f"has {len(row)} fields but the header has {len(header)}")
                    batch.append(row + [reader.line_num])
                    if len(batch) >= 5000:
                        db.executemany(f'INSERT INTO "{table}" VALUES ({marks})', batch)
                        batch = []
                if batch:
                    db.executemany(f'INSERT INTO "{table}" VALUES ({marks})', batch)
            except UnicodeDecodeError as exc:
                raise FileProblem(file, "-", "(file)", f"is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
            except csv.Error as exc:
                raise FileProblem(file, reader.line_num, "(row)", f"is not valid CSV: {exc}") from None
        db.execute(f'CREATE INDEX "ix_{table}_id" ON "{table}" (id)')
        for col in INDEXED:
            if col in cols:
                db.execute(f'CREATE INDEX "ix_{table}_{col}" ON "{table}" ("{col}")')
    return columns


def _rows(db, columns: dict[str, list[str]], table: str, where: str, value) -> list[dict]:
    column = where.split()[0]
    if column != "1" and column not in columns.get(table, ()):
        return []  # the package has no such column (or file): nothing refers this way
    cur = db.execute(f'SELECT * FROM "{table}" WHERE {where}', (value,))
    names = [d[0] for d in cur.description]
    return [{k: v for k, v in zip(names, r) if v not in (None, "")} for r in cur.fetchall()]


def _orphans(db, report: Report) -> None:
    """Rows that point at a service or location the package does not have."""
    checks = [("phones", "service_id", "services"), ("schedules", "service_id", "services"),
              ("service_areas", "service_id", "services"), ("cost_options", "service_id", "services"),
              ("languages", "service_id", "services"), ("contacts", "service_id", "services"),
              ("service_at_location", "service_id", "services"), ("service_at_location", "location_id", "locations"),
              ("addresses", "location_id", "locations"), ("accessibility", "location_id", "locations")]
    for table, col, target in checks:
        cols = [r[1] for r in db.execute(f'PRAGMA table_info("{table}")')]
        if col not in cols:
            continue
        for value, row in db.execute(
                f'SELECT t."{col}", t._row FROM "{table}" t WHERE t."{col}" IS NOT NULL AND t."{col}" <> \'\' '
                f'AND NOT EXISTS (SELECT 1 FROM "{target}" x WHERE x.id = t."{col}") LIMIT 50'):
            report.problem(f"{table}.csv" if table != "service_at_location" else "service_at_location.csv",
                           row, col, f"refers to {value}, which is not in {target}.csv")


def tabular_records(folder: Path, report: Report, workdir: Path | None = None):
    """({organizations, taxonomies, terms}, records iterator) for a tabular package.
    Raises FileProblem for a bad file."""
    tmp = tempfile.NamedTemporaryFile(suffix=".db", dir=workdir, delete=False)
    tmp.close()
    db = sqlite3.connect(tmp.name)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    try:
        columns = _stage(folder, db)  # each staged table's columns
        db.commit()
        _orphans(db, report)
    except BaseException:
        db.close()
        Path(tmp.name).unlink(missing_ok=True)
        raise
    parents = {"organizations": _rows(db, columns, "organizations", "1 = ?", 1),
               "taxonomies": _rows(db, columns, "taxonomies", "1 = ?", 1),
               "terms": _rows(db, columns, "taxonomy_terms", "1 = ?", 1),
               "org_phones": [p for p in _rows(db, columns, "phones", "1 = ?", 1)
                              if p.get("organization_id") and not p.get("service_id") and not p.get("location_id")]}
    taxonomy_names = {t["id"]: t.get("name") for t in parents["taxonomies"]}

    def grouped(table: str, column: str, keys) -> dict[str, list[dict]]:
        """Rows of ``table`` whose ``column`` is one of ``keys``, grouped by it (one query a chunk)."""
        out: dict[str, list[dict]] = {}
        keys = [k for k in keys if k]
        if not keys or column not in columns.get(table, ()):
            return out
        for i in range(0, len(keys), 900):  # SQLite's bound-parameter limit
            part = keys[i:i + 900]
            cur = db.execute(f'SELECT * FROM "{table}" WHERE "{column}" IN ({",".join("?" * len(part))})', part)
            names = [d[0] for d in cur.description]
            for r in cur.fetchall():
                row = {k: v for k, v in zip(names, r) if v not in (None, "")}
                out.setdefault(row[column], []).append(row)
        return out

    def records():
        try:
            cur = db.cursor()
            cur.execute('SELECT * FROM services ORDER BY _row')
            names = [d[0] for d in cur.description]
            while True:
                chunk = [{k: v for k, v in zip(names, r) if v not in (None, "")} for r in cur.fetchmany(500)]
                if not chunk:
                    break
                sids = [s.get("id") for s in chunk]
                by = {t: grouped(t, "service_id", sids) for t in
                      ("phones", "schedules", "service_areas", "languages", "cost_options", "contacts",
                       "service_at_location")}
                attrs = grouped("attributes", "link_id", sids)
                term_rows = grouped("taxonomy_terms", "id", list({a.get("taxonomy_term_id") for rows in attrs.values()
                                                                  for a in rows}))
                sal_rows = [sal for rows in by["service_at_location"].values() for sal in rows]
                lids = list({sal.get("location_id") for sal in sal_rows})
                locations = grouped("locations", "id", lids)
                loc_children = {t: grouped(t, "location_id", lids) for t in ("addresses", "accessibility", "phones",
                                                                                "schedules")}
                sal_schedules = grouped("schedules", "service_at_location_id", [sal.get("id") for sal in sal_rows])
                for svc in chunk:
                    sid, row = svc.get("id"), svc.pop("_row")
                    for table, key in (("phones", "phones"), ("service_areas", "service_areas"),
                                       ("languages", "languages"), ("cost_options", "cost_options"),
                                       ("contacts", "contacts")):
                        svc[key] = by[table].get(sid, [])
                    svc["schedules"] = by["schedules"].get(sid, [])
                    attributes = []
                    for a in attrs.get(sid, []):
                        if (a.get("link_entity") or "service") != "service":
                            continue
                        term = term_rows.get(a.get("taxonomy_term_id"))
                        if term:
                            t = dict(term[0])
                            t["taxonomy"] = taxonomy_names.get(t.get("taxonomy_id")) or t.get("taxonomy")
                            a["taxonomy_term"] = t
                        attributes.append(a)
                    svc["attributes"] = attributes
                    sals = []
                    for sal in by["service_at_location"].get(sid, []):
                        lid = sal.get("location_id")
                        if lid not in locations:
                            continue  # reported by _orphans
                        loc = dict(locations[lid][0])
                        loc["addresses"] = loc_children["addresses"].get(lid, [])
                        loc["accessibility"] = loc_children["accessibility"].get(lid, [])
                        loc["phones"] = [p for p in loc_children["phones"].get(lid, []) if not p.get("service_id")]
                        loc["schedules"] = [x for x in loc_children["schedules"].get(lid, [])
                                            if not x.get("service_id") and not x.get("service_at_location_id")]
                        sal = dict(sal, location=loc, schedules=sal_schedules.get(sal.get("id"), []))
                        sals.append(sal)
                    svc["service_at_locations"] = sals
                    yield "services.csv", row, svc
        finally:
            db.close()
            Path(tmp.name).unlink(missing_ok=True)
    return parents, records()
