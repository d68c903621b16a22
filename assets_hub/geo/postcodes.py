"""UK postcodes: normalising what people type, and loading the gazetteer.

Full postcodes ("SK1 3XE"), sectors ("SK1 3") and districts ("SK1") all resolve. Input is
normalised: case and spacing do not matter ("sk13xe", " SK1  3XE ").
"""
from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from sqlalchemy import bindparam, case, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from assets_hub.db import db
from assets_hub.geo.models import LocalAuthority, Postcode
from assets_hub.geo.places import load_places

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "postcodes"
ASSET_POINTS = Path(__file__).resolve().parent.parent / "data" / "assets" / "asset_postcode_points.csv"

OUTWARD = r"[A-Z]{1,2}[0-9][A-Z0-9]?"
UNIT_RE = re.compile(rf"^({OUTWARD})([0-9][A-Z]{{2}})$")
SECTOR_RE = re.compile(rf"^({OUTWARD}) ?([0-9])$")
DISTRICT_RE = re.compile(rf"^{OUTWARD}$")


@dataclass(frozen=True)
class ParsedPostcode:
    kind: str  # unit | sector | district
    code: str  # canonical form, e.g. "SK1 3XE", "SK1 3", "SK1"
    alternatives: tuple[str, ...] = ()  # other readings when the spacing left it ambiguous


def parse_postcode(text: str | None) -> ParsedPostcode | None:
    """Read a full postcode, a sector or a district; None if it cannot be a postcode.

    "SK17" is ambiguous without a space (district SK17 or sector "SK1 7"): we read it as the
    district, which is what people type, and keep the sector as an alternative.
    """
    if text is None:
        return None
    raw = " ".join(str(text).upper().split())
    if not raw or len(raw) > 10:
        return None
    compact = raw.replace(" ", "")
    m = UNIT_RE.match(compact)
    if m:
        return ParsedPostcode("unit", f"{m.group(1)} {m.group(2)}")
    if " " in raw:
        outward, _, inward = raw.partition(" ")
        if DISTRICT_RE.match(outward) and re.fullmatch(r"[0-9]", inward):
            return ParsedPostcode("sector", f"{outward} {inward}")
        return None
    alternatives = ()
    m = SECTOR_RE.match(compact)
    if m:
        alternatives = (f"{m.group(1)} {m.group(2)}",)
    if DISTRICT_RE.match(compact):
        return ParsedPostcode("district", compact, alternatives)
    if alternatives:
        return ParsedPostcode("sector", alternatives[0])
    return None



def lookup_postcode(text: str):
    """The postcode row (code, kind, latitude, longitude, lad_code, region_code, country_code,
    radius_km) for what a person typed, or None. A read-only row, not an ORM object: every search
    with a place starts here, and loading an entity cost three times as long as the query."""
    parsed = parse_postcode(text)
    if parsed is None:
        return None
    return _first_of([parsed.code, *parsed.alternatives])


_BY_CODE = select(*Postcode.__table__.c).where(Postcode.__table__.c.code == bindparam("code"))


def lookup_postcode_or_area(text: str):
    """The row for a full postcode, else its sector's, else its district's (a new unit not yet in
    the data still has a place): one query, the most specific code found."""
    parsed = parse_postcode(text)
    if parsed is None:
        return None
    codes = [parsed.code, *parsed.alternatives]
    if parsed.kind == "unit":
        codes += [parsed.code[:-2], parsed.code.split(" ")[0]]
    elif parsed.kind == "sector":
        codes.append(parsed.code.split(" ")[0])
    return _first_of(codes)


def _first_of(codes: list[str]):
    """The row of the first of ``codes`` the list has, in one query (one code: the prepared one)."""
    if len(codes) == 1:
        return db.session.execute(_BY_CODE, {"code": codes[0]}).first()
    table = Postcode.__table__
    first = case({code: place for place, code in enumerate(codes)}, value=table.c.code)  # (in that order)
    return db.session.execute(select(*table.c).where(table.c.code.in_(codes)).order_by(first).limit(1)).first()


# ---------------------------------------------------------------- loading

BATCH = 5000


def _upsert(model, rows: list[dict], key: str) -> None:
    if not rows:
        return
    session = db.session
    if db.is_postgres:
        stmt = pg_insert(model)
    else:
        stmt = sqlite_insert(model)
    cols = {c: getattr(stmt.excluded, c) for c in rows[0] if c != key}
    stmt = stmt.on_conflict_do_update(index_elements=[key], set_=cols)
    session.execute(stmt, rows)


def _float(value: str | None) -> float | None:
    value = (value or "").strip()
    return float(value) if value else None


def load_local_authorities(path: Path = DATA_DIR / "local_authorities.csv") -> int:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = [{
            "lad_code": r["lad_code"], "name": r["lad_name"], "latitude": _float(r["latitude"]),
            "longitude": _float(r["longitude"]), "region_code": r["region_code"] or None,
            "region_name": r["region_name"] or None, "country_code": r["country_code"],
            "country_name": r["country_name"],
        } for r in csv.DictReader(fh)]
    _upsert(LocalAuthority, rows, "lad_code")
    return len(rows)


def _district_rows(path: Path) -> Iterator[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            yield {"code": r["district"], "kind": "district", "latitude": _float(r["latitude"]),
                   "longitude": _float(r["longitude"]), "lad_code": r["lad_code"] or None,
                   "region_code": r["region_code"] or None, "country_code": r["country_code"] or None,
                   "radius_km": _float(r["p90_radius_km"])}


def _sector_rows(path: Path) -> Iterator[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            yield {"code": r["sector"], "kind": "sector", "latitude": _float(r["latitude"]),
                   "longitude": _float(r["longitude"]), "lad_code": r["lad_code"] or None,
                   "region_code": r["region_code"] or None, "country_code": r["country_code"] or None,
                   "radius_km": _float(r["p90_radius_km"])}


class GazetteerFileError(ValueError):
    """A postcode file we cannot read: says which line and why."""


def _open_text(path: Path) -> io.TextIOBase:
    if str(path).endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, newline="", encoding="utf-8")


def unit_rows(path: Path, region_of: dict[str, str | None] | None = None) -> Iterator[dict]:
    """Stream full-postcode rows from a CSV, one at a time (never the whole file in memory).

    Two layouts are read:
    - with a header naming ``postcode``, ``latitude``, ``longitude`` (and optionally ``lad_code``,
      ``country_code``, ``region_code``): the layout of the bundled sample;
    - OS Code-Point Open as published (no header; PC, PQ, EA, NO, CY, RH, LH, CC, DC, WC with
      British National Grid eastings/northings), converted to WGS84 with pyproj
      (``pip install 'assets-hub[gazetteer]'``).
    """
    region_of = region_of or {}
    fh = _open_text(path)
    try:
        first = fh.readline()
        header = next(csv.reader([first]), [])
        lowered = [h.strip().lower() for h in header]
        if "postcode" in lowered and "latitude" in lowered and "longitude" in lowered:
            reader = csv.DictReader(fh, fieldnames=lowered)
            for lineno, r in enumerate(reader, start=2):
                parsed = parse_postcode(r.get("postcode"))
                if parsed is None or parsed.kind != "unit":
                    raise GazetteerFileError(f"{path.name} line {lineno}: postcode {r.get('postcode')!r} is not "
                                             "a full postcode")
                try:
                    lat, lon = _float(r.get("latitude")), _float(r.get("longitude"))
                except ValueError:
                    raise GazetteerFileError(f"{path.name} line {lineno}: latitude/longitude are not numbers")
                lad = (r.get("lad_code") or "").strip() or None
                yield {"code": parsed.code, "kind": "unit", "latitude": lat, "longitude": lon, "lad_code": lad,
                       "region_code": (r.get("region_code") or "").strip() or region_of.get(lad),
                       "country_code": (r.get("country_code") or "").strip() or None, "radius_km": None}
            return
        if len(header) >= 10 and parse_postcode(header[0]) is not None:
            yield from _codepoint_rows(path, fh, first, region_of)
            return
        raise GazetteerFileError(f"{path.name} line 1: expected a header with postcode, latitude and longitude, "
                                 "or OS Code-Point Open rows (PC, PQ, EA, NO, ...)")
    finally:
        fh.close()


def _codepoint_rows(path: Path, fh, first: str, region_of: dict) -> Iterator[dict]:
    try:
        from pyproj import Transformer
    except ImportError:  # pragma: no cover - depends on the install
        raise GazetteerFileError("Reading OS Code-Point Open eastings/northings needs pyproj: "
                                 "pip install 'assets-hub[gazetteer]'")
    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    lines = _chain([first], fh)
    for lineno, r in enumerate(csv.reader(lines), start=1):
        if not r:
            continue
        if len(r) < 10:
            raise GazetteerFileError(f"{path.name} line {lineno}: expected 10 Code-Point Open columns, got {len(r)}")
        parsed = parse_postcode(r[0])
        if parsed is None or parsed.kind != "unit":
            raise GazetteerFileError(f"{path.name} line {lineno}: {r[0]!r} is not a full postcode")
        lat = lon = None
        try:
            quality, east, north = int(r[1]), int(r[2]), int(r[3])
        except ValueError:
            raise GazetteerFileError(f"{path.name} line {lineno}: quality/easting/northing are not numbers")
        if quality != 90 and (east or north):
            lon, lat = to_wgs84.transform(east, north)
            lat, lon = round(lat, 6), round(lon, 6)
        lad = r[8].strip() or None
        yield {"code": parsed.code, "kind": "unit", "latitude": lat, "longitude": lon, "lad_code": lad,
               "region_code": region_of.get(lad), "country_code": r[4].strip() or None, "radius_km": None}


def _chain(first: Iterable[str], rest: Iterable[str]) -> Iterator[str]:
    yield from first
    yield from rest


def load_rows(rows: Iterable[dict]) -> int:
    """Upsert gazetteer rows in batches; returns how many were written."""
    count = 0
    batch: list[dict] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            _upsert(Postcode, batch, "code")
            count += len(batch)
            batch = []
    _upsert(Postcode, batch, "code")
    return count + len(batch)


def region_lookup() -> dict[str, str | None]:
    return {la.lad_code: la.region_code for la in db.session.query(LocalAuthority)}


def import_postcode_file(path: Path) -> int:
    """Import a full-postcode file (see :func:`unit_rows`), streaming. Raises GazetteerFileError."""
    return load_rows(unit_rows(Path(path), region_lookup()))


def load_bundled() -> dict[str, int]:
    """Load the gazetteer that ships with the app: authorities, districts, sectors, the units we
    have, and the GB place names."""
    counts = {"local_authorities": load_local_authorities()}
    counts["districts"] = load_rows(_district_rows(DATA_DIR / "postcode_districts.csv"))
    counts["sectors"] = load_rows(_sector_rows(DATA_DIR / "postcode_sectors.csv"))
    regions = region_lookup()
    counts["units"] = load_rows(unit_rows(DATA_DIR / "postcodes_sample_stockport_edinburgh.csv", regions))
    counts["units"] += load_rows(unit_rows(ASSET_POINTS, regions))
    counts["places"] = load_places()
    return counts

