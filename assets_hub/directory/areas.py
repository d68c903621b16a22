"""Service areas: which services cover a place.

A service covers a place when one of its areas is the place's local authority, region or
country (ONS codes from the gazetteer), the whole of GB/UK, or a GeoJSON polygon that contains
the point. On PostGIS the polygon test is ``ST_Covers`` on a generated geography (geodesic
edges); on SQLite it is an even-odd ray cast in longitude/latitude (straight edges on the
map), which agrees except within metres of long edges.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select, text

from assets_hub.db import db
from assets_hub.directory.models import ServiceArea
from assets_hub.errors import Invalid

NATIONAL_CODES = ("K02000001", "K03000001")
MAX_POINTS = 20_000


def place_codes(place) -> list[str]:
    return [c for c in (place.lad_code, place.region_code, place.country_code) if c] + list(NATIONAL_CODES)


@dataclass
class Cover:
    local_name: str | None  # a council, region or drawn area that covers the place
    any_name: str           # any covering area, national ones included

    @property
    def name(self) -> str:
        return self.local_name or self.any_name

    @property
    def national_only(self) -> bool:
        return self.local_name is None


def areas_covering(place, among: list[str] | None = None) -> dict[str, Cover]:
    """{service_id: how it covers the place} for every service with an area covering the place
    (``among``: only these services, when the caller has a few candidates already)."""
    session = db.session
    codes = place_codes(place)
    out: dict[str, Cover] = {}
    if among is not None and not among:
        return out
    if db.is_postgres:
        only = " AND service_id = ANY(:among)" if among is not None else ""
        rows = session.execute(text(
            "SELECT service_id, name, area_type FROM service_area WHERE (area_code = ANY(:codes) OR "
            "(area_type = 'geojson' AND ST_Covers(extent_geog, "
            f"ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)::geography))){only} ORDER BY name"),
            {"codes": codes, "lat": place.latitude, "lon": place.longitude, "among": among}).all()
    else:
        few = [ServiceArea.service_id.in_(among)] if among is not None else []
        rows = session.execute(select(ServiceArea.service_id, ServiceArea.name, ServiceArea.area_type)
                               .where(ServiceArea.area_code.in_(codes), *few).order_by(ServiceArea.name)).all()
        for sid, name, extent in session.execute(select(ServiceArea.service_id, ServiceArea.name,
                                                        ServiceArea.extent)
                                                 .where(ServiceArea.area_type == "geojson", *few)):
            if geojson_contains(json.loads(extent), place.longitude, place.latitude):
                rows.append((sid, name, "geojson"))
    for sid, name, area_type in rows:
        cover = out.setdefault(sid, Cover(None, name))
        if area_type != "country" and cover.local_name is None:
            cover.local_name = name
    return out


def _ring_contains(ring, x, y) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i][0], ring[i][1]
        xj, yj = ring[j][0], ring[j][1]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _polygon_contains(rings, x, y) -> bool:
    return bool(rings) and _ring_contains(rings[0], x, y) and not any(_ring_contains(h, x, y) for h in rings[1:])


def geojson_contains(geometry: dict, x: float, y: float) -> bool:
    if geometry.get("type") == "Polygon":
        return _polygon_contains(geometry["coordinates"], x, y)
    if geometry.get("type") == "MultiPolygon":
        return any(_polygon_contains(p, x, y) for p in geometry["coordinates"])
    return False


def validate_geojson_area(value, field: str = "area_geojson") -> str:
    """A GeoJSON Polygon or MultiPolygon (object or JSON text) -> canonical JSON text. Raises Invalid."""
    def bad(reason: str):
        return Invalid(f"The area's shape is not valid GeoJSON: {reason}.", {field: [reason]})

    if isinstance(value, str):
        if len(value) > 2_000_000:
            raise bad("it is larger than 2 MB")
        try:
            value = json.loads(value)
        except ValueError:
            raise bad("it is not JSON")
        except RecursionError:
            raise bad("it is nested too deeply") from None
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict) or value.get("type") not in ("Polygon", "MultiPolygon"):
        raise bad("give a Polygon or MultiPolygon geometry")
    polygons = value.get("coordinates")
    if not isinstance(polygons, list) or not polygons:
        raise bad("coordinates are missing")
    if value["type"] == "Polygon":
        polygons = [polygons]
    count = 0
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise bad("each polygon needs at least one ring")
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise bad("each ring needs at least four positions")
            for pos in ring:
                if (not isinstance(pos, list) or len(pos) < 2
                        or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in pos[:2])):
                    raise bad("positions must be [longitude, latitude] numbers")
                if not (-180 <= pos[0] <= 180 and -90 <= pos[1] <= 90):
                    raise bad("a position is outside longitude -180..180 / latitude -90..90")
            if ring[0][:2] != ring[-1][:2]:
                raise bad("each ring must end where it starts")
            count += len(ring)
    if count > MAX_POINTS:
        raise bad(f"it has more than {MAX_POINTS:,} positions")
    return json.dumps({"type": value["type"], "coordinates": value["coordinates"]}, separators=(",", ":"))
