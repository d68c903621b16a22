"""Geography: places people type, and what is near a point, on PostGIS or on SQLite.

``nearby()`` hides the two engines: PostGIS (ST_DWithin and KNN ``<->`` on a GiST-indexed
geography) and SQLite (an R*Tree for the bounding box, then exact great-circle distance). Both
measure on the same sphere, so they return the same locations in the same order.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from sqlalchemy import Float, String, func, select, text

from assets_hub.db import EARTH_RADIUS_M, db, great_circle_m
from assets_hub.errors import Invalid
from assets_hub.geo.models import LocalAuthority, Postcode
from assets_hub.geo.places import RADIUS_BY_WORD, FoundPlace, find_places, place_key, where_for
from assets_hub.geo.postcodes import lookup_postcode, parse_postcode

MAX_RADIUS_M = 200_000.0


class PlaceNotFound(Invalid):
    code = "place_not_found"

    def __init__(self, message: str, field: str = "where"):
        super().__init__(message, {field: [message]})


@dataclass(frozen=True)
class Place:
    label: str
    kind: str  # unit | sector | district | local_authority | point
    latitude: float
    longitude: float
    lad_code: str | None = None
    region_code: str | None = None
    country_code: str | None = None
    radius_km: float | None = None  # how far the place itself spreads (p90 of its postcodes)
    size: str | None = None  # a named place's size: city, town, suburb, village, hamlet, settlement
    default_radius_km: float | None = None  # how far to search when the person did not say
    alternatives: tuple["Alternative", ...] = ()  # other places with the name that was typed


@dataclass(frozen=True)
class Alternative:
    label: str  # "Newport, Isle of Wight (town)"
    where: str  # what to search with to get it: "Newport, Isle of Wight"


def place_json(place: Place) -> dict:
    """A place as every JSON API gives it (the search, the place look-up)."""
    return {"label": place.label, "kind": place.kind, "size": place.size, "latitude": place.latitude,
            "longitude": place.longitude, "lad_code": place.lad_code, "region_code": place.region_code,
            "country_code": place.country_code, "radius_km": place.radius_km,
            "default_radius_km": place.default_radius_km,
            "alternatives": [{"label": a.label, "where": a.where} for a in place.alternatives]}


@dataclass(frozen=True)
class Nearby:
    location_id: str
    distance_m: float


LATLON_RE = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


def resolve_place(text_in: str | None, field: str = "where") -> Place | None:
    """What a person typed as "where" -> a Place, or None when they typed nothing.

    Accepts a full postcode, a sector ("SK4 2"), a district ("SK4"), a place's name in English,
    Welsh or Gaelic ("Leith", "Aber-miwl"; "Newport, Isle of Wight" for one of several), a local
    authority name ("Stockport") or "latitude, longitude". Raises PlaceNotFound with a message a
    person can act on.

    A name that is both a council's and a smaller place's ("Highland") is the council; a city's
    or town's name is the place, with the council's name as the area it lies in.
    """
    if text_in is None or not str(text_in).strip():
        return None
    raw = " ".join(str(text_in).split())
    if len(raw) > 100:
        raise PlaceNotFound("That place is too long: type a postcode or a town or council name.", field)
    m = LATLON_RE.match(raw)
    if m:
        lat, lon = float(m.group(1)), float(m.group(2))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise PlaceNotFound("Latitude must be between -90 and 90 and longitude between -180 and 180.", field)
        return _place_for_point(lat, lon)
    parsed = parse_postcode(raw)
    if parsed is not None:
        row = lookup_postcode(raw)
        if row is None:
            if parsed.kind == "unit":
                hint = parsed.code.split(" ")[0]
                raise PlaceNotFound(f"We could not find the postcode {parsed.code}. Check it, or search with the "
                                    f"first part only (for example {hint}).", field)
            raise PlaceNotFound(f"We could not find the postcode area {parsed.code}. Check it and try again.", field)
        if row.latitude is None:
            # Code-Point quality 90 (no coordinates): fall back to the sector, then the district.
            fallback = db.session.get(Postcode, row.code[:-2]) or db.session.get(Postcode, row.code.split(" ")[0])
            if fallback is None or fallback.latitude is None:
                raise PlaceNotFound(f"The postcode {row.code} has no location we can search from. "
                                    "Try a nearby postcode.", field)
            row = Postcode(code=row.code, kind=row.kind, latitude=fallback.latitude, longitude=fallback.longitude,
                           lad_code=row.lad_code or fallback.lad_code, region_code=row.region_code,
                           country_code=row.country_code, radius_km=fallback.radius_km)
        return Place(label=row.code, kind=row.kind, latitude=row.latitude, longitude=row.longitude,
                     lad_code=row.lad_code, region_code=row.region_code, country_code=row.country_code,
                     radius_km=row.radius_km)
    found, named = find_places(raw)
    la = find_local_authority(raw)
    if found and (la is None or found[0].place.size_rank <= 2 or place_key(la.name) != place_key(raw)):
        return _named_place(found[0], named)
    if la is None:
        raise PlaceNotFound(f"We could not find a place called “{raw}”. Try a postcode (for example SK4 2), "
                            "or a town, village or council name.", field)
    return Place(label=la.name, kind="local_authority", latitude=la.latitude, longitude=la.longitude,
                 lad_code=la.lad_code, region_code=la.region_code, country_code=la.country_code,
                 alternatives=_alternatives(named, None))


def _named_place(chosen: FoundPlace, named: list[FoundPlace]) -> Place:
    p = chosen.place
    return Place(label=chosen.label, kind="place", latitude=p.latitude, longitude=p.longitude,
                 lad_code=p.lad_code, region_code=p.region_code, country_code=p.country_code,
                 radius_km=round(p.extent_m / 1000, 1), size=chosen.size,
                 default_radius_km=RADIUS_BY_WORD[chosen.size], alternatives=_alternatives(named, chosen))


def _alternatives(named: list[FoundPlace], chosen: FoundPlace | None, limit: int = 20) -> tuple[Alternative, ...]:
    """The other places of that name, largest first: all of that name, not only those in the
    area typed, so "Newport, Essex" still offers the city."""
    others = [f for f in named if chosen is None or f.place.id != chosen.place.id][:limit]
    return tuple(Alternative(f"{f.label} ({f.size})", where_for(f, named)) for f in others)


def find_local_authority(name: str) -> LocalAuthority | None:
    """A local authority by name, case-insensitively; a unique prefix is enough ("Edinburgh" too)."""
    wanted = name.strip().lower()
    session = db.session
    rows = session.scalars(select(LocalAuthority).where(func.lower(LocalAuthority.name) == wanted)).all()
    if len(rows) == 1:
        return rows[0]
    pattern = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = session.scalars(select(LocalAuthority).where(
        func.lower(LocalAuthority.name).like(f"%{pattern}%", escape="\\")).limit(2)).all()
    return rows[0] if len(rows) == 1 else None


def _place_for_point(lat: float, lon: float) -> Place:
    """A point gets the local authority of the nearest postcode sector (within about 25 km)."""
    box = 0.25
    rows = db.session.execute(
        select(Postcode.lad_code, Postcode.region_code, Postcode.country_code, Postcode.latitude,
               Postcode.longitude)
        .where(Postcode.kind == "sector", Postcode.latitude.between(lat - box, lat + box),
               Postcode.longitude.between(lon - 2 * box, lon + 2 * box))).all()
    best = min(rows, key=lambda r: distance_m(lat, lon, r.latitude, r.longitude), default=None)
    return Place(label=f"{lat:.5f}, {lon:.5f}", kind="point", latitude=lat, longitude=lon,
                 lad_code=best.lad_code if best else None, region_code=best.region_code if best else None,
                 country_code=best.country_code if best else None)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return great_circle_m(lat1, lon1, lat2, lon2)


def nearby(latitude: float, longitude: float, radius_m: float | None = None,
           limit: int | None = None) -> list[Nearby]:
    """Locations near a point, nearest first (ties by id).

    With ``radius_m``: every location within that many metres (up to ``limit``).
    Without it: the ``limit`` nearest locations (KNN), however far.
    """
    if radius_m is None and not limit:
        raise ValueError("nearby() needs a radius, a limit or both")
    if radius_m is not None and not (0 < radius_m <= MAX_RADIUS_M):
        raise Invalid(f"The radius must be more than 0 and at most {MAX_RADIUS_M / 1000:.0f} km.",
                      {"radius": ["out of range"]})
    if db.is_postgres:
        return _nearby_postgis(latitude, longitude, radius_m, limit)
    return _nearby_sqlite(latitude, longitude, radius_m, limit)


_PG_POINT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography"


def _nearby_postgis(lat, lon, radius_m, limit):
    params = {"lat": lat, "lon": lon, "r": radius_m, "n": limit}
    session = db.session
    if radius_m is not None:
        sql = (f"SELECT id, ST_Distance(geom, {_PG_POINT}, false) AS d FROM location "
               f"WHERE ST_DWithin(geom, {_PG_POINT}, :r, false) ORDER BY d, id"
               + (" LIMIT :n" if limit else ""))
        return [Nearby(r[0], float(r[1])) for r in session.execute(text(sql), params)]
    # KNN walks the GiST index in distance order only when ORDER BY is the bare `<->` (a second
    # sort key turns it into a full scan), so take a few more than asked and break ties by id here.
    # <-> on geography is the sphere distance, the same measure as ST_Distance(..., false).
    params["n"] = limit + _KNN_MARGIN
    rows = session.execute(text(
        f"SELECT id, ST_Distance(geom, {_PG_POINT}, false) AS d FROM location WHERE geom IS NOT NULL "
        f"ORDER BY geom <-> {_PG_POINT} LIMIT :n"), params).all()
    result = sorted((Nearby(r[0], float(r[1])) for r in rows), key=lambda n: (n.distance_m, n.location_id))
    if len(rows) == params["n"] and result[-1].distance_m <= result[limit - 1].distance_m:
        # More ties at the cut than the margin holds: take every point at that distance.
        return _nearby_postgis(lat, lon, result[limit - 1].distance_m + 0.001, limit)
    return result[:limit]


_KNN_MARGIN = 16


def within_postgis(latitude: float, longitude: float, radius_m: float):
    """PostgreSQL only: every location within ``radius_m`` as a subquery with columns ``id`` and
    ``distance_m`` (the same measure as ``nearby``), to join in one statement with what the caller
    reads about those locations, rather than sending their ids back and forth."""
    sql = (f"SELECT id, ST_Distance(geom, {_PG_POINT}, false) AS distance_m FROM location "
           f"WHERE ST_DWithin(geom, {_PG_POINT}, :r, false)")
    return (text(sql).bindparams(lat=latitude, lon=longitude, r=radius_m)
            .columns(id=String(), distance_m=Float()).subquery("within"))


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) that contains every point within radius_m of (lat, lon)."""
    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    widest = max(abs(min_lat), abs(max_lat))
    if widest >= 89.9:
        return min_lat, max_lat, -180.0, 180.0
    dlon = math.degrees(radius_m / (EARTH_RADIUS_M * math.cos(math.radians(widest))))
    eps = 1e-6
    return min_lat - eps, max_lat + eps, max(-180.0, lon - dlon - eps), min(180.0, lon + dlon + eps)


_SQLITE_NEARBY = ("SELECT location_id, great_circle_m(:lat, :lon, lat, lon) AS d FROM location_rtree "
                  "WHERE max_lat >= :a AND min_lat <= :b AND max_lon >= :c AND min_lon <= :e AND d <= :r "
                  "ORDER BY d, location_id")


def _nearby_sqlite(lat, lon, radius_m, limit):
    session = db.session
    if radius_m is not None:
        a, b, c, e = bounding_box(lat, lon, radius_m)
        sql = _SQLITE_NEARBY + (" LIMIT :n" if limit else "")
        rows = session.execute(text(sql), {"lat": lat, "lon": lon, "a": a, "b": b, "c": c, "e": e,
                                           "r": radius_m, "n": limit}).all()
        return [Nearby(r[0], float(r[1])) for r in rows]
    # Nearest-N: widen a box until it holds N points that are also inside the circle it bounds.
    r = 2_000.0
    while True:
        a, b, c, e = bounding_box(lat, lon, r)
        rows = session.execute(text(_SQLITE_NEARBY + " LIMIT :n"), {
            "lat": lat, "lon": lon, "a": a, "b": b, "c": c, "e": e, "r": r, "n": limit}).all()
        if len(rows) >= limit or r >= math.pi * EARTH_RADIUS_M:
            return [Nearby(row[0], float(row[1])) for row in rows]
        r *= 4
