"""Place names: GB cities, towns, suburbs, villages and hamlets (OS Open Names), in English, Welsh
and Gaelic, so that "Leith", "Heaton Moor" or "Aber-miwl" work wherever a postcode does.

A name is looked up by its key (``place_key``): case, accents, apostrophes, hyphens and
"Saint"/"St" do not matter. Many names repeat (a dozen Newports): the largest place is taken
(city, then town, suburb, village, hamlet, then other settlements; then the widest), and the
others are offered as alternatives, each with a "where" text that picks it ("Newport, Isle of
Wight"): a name followed by commas and the areas it lies in.
"""
from __future__ import annotations

import csv
import gzip
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, func, insert, select

from assets_hub.db import db
from assets_hub.geo.models import LocalAuthority, PlaceName, PopulatedPlace, Postcode

PLACES_FILE = Path(__file__).resolve().parent.parent / "data" / "places" / "gb_populated_places.csv.gz"

# The largest first when a name repeats; what a person reads; how far a search reaches by default.
KINDS = {  # OS type: (rank, word, default search radius in km)
    "City": (1, "city", 10.0),
    "Town": (2, "town", 5.0),
    "Suburban Area": (3, "suburb", 3.0),
    "Village": (4, "village", 5.0),  # services for a village are in the towns around it
    "Hamlet": (5, "hamlet", 5.0),
    "Other Settlement": (6, "settlement", 3.0),
}
RADIUS_BY_WORD = {word: km for _, word, km in KINDS.values()}
WORD_BY_RANK = {rank: word for rank, word, _ in KINDS.values()}


def place_key(text: str | None) -> str:
    """How a name is looked up: "St. Mary's-on-Sea" and "saint marys on sea" have the same key."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"['’‘`]", "", text)
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    return " ".join("st" if w == "saint" else w for w in words)


def _area_label(county: str, district: str, within: str, region: str) -> str | None:
    """What a person reads after the name: the county or unitary authority ("Casnewydd - Newport";
    "Powys - Powys" reads "Powys"), else the borough, the place it lies within, the region."""
    if county:
        first, sep, second = county.partition(" - ")
        if sep and place_key(first) == place_key(second):
            return first
        return county
    return district or within or region or None


def _areas_key(row: dict) -> str:
    """Every area the place lies in, as keys between bars, for "Newport, Isle of Wight"."""
    names = [row["within_place"], row["district_borough"], row["region"], row["country"],
             row["postcode_district"]]
    county = row["county_unitary"]
    names += [county, *county.split(" - ")]
    keys = sorted({k for n in names if n for k in (place_key(n), _council_key(n)) if k})  # "Edinburgh" too
    return "|" + "|".join(keys) + "|"


def _council_key(name: str) -> str:
    """"City of Bristol", "Bristol, City of" and "Bristol" alike; "the Vale of Glamorgan" too."""
    key = place_key(name)
    key = re.sub(r"^(city of|county of|the) ", "", key)
    return re.sub(r" (city of|county of)$", "", key)


def _council(row: dict, councils: dict) -> tuple | None:
    """The council OS names for the place (its district or borough, else its county or unitary
    authority, in either language), when our list of councils has that name."""
    county = row["county_unitary"]
    for name in (row["district_borough"], county, *county.split(" - ")):
        found = councils.get(_council_key(name)) if name else None
        if found:
            return found
    return None


def load_places(path: Path = PLACES_FILE) -> int:
    """Replace the place names with the bundled file's (after the councils and postcode districts
    are loaded: a place takes the council OS names for it, or else the council of the postcode
    district at its centre)."""
    district = {code: (lad, region, country) for code, lad, region, country in db.session.execute(
        select(Postcode.code, Postcode.lad_code, Postcode.region_code, Postcode.country_code)
        .where(Postcode.kind == "district"))}
    councils = {_council_key(name): (lad, region, country) for name, lad, region, country in db.session.execute(
        select(LocalAuthority.name, LocalAuthority.lad_code, LocalAuthority.region_code,
               LocalAuthority.country_code))}
    places, names = [], []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            rank, _, _ = KINDS[row["type"]]
            lad, region, country = _council(row, councils) or district.get(row["postcode_district"],
                                                                           (None, None, None))
            places.append({
                "id": row["os_id"], "name": row["name"], "name_lang": row["name_lang"] or None,
                "name_alt": row["name_alt"] or None, "name_alt_lang": row["name_alt_lang"] or None,
                "kind": row["type"], "size_rank": rank, "latitude": float(row["latitude"]),
                "longitude": float(row["longitude"]), "extent_m": int(row["extent_m"]),
                "postcode_district": row["postcode_district"] or None,
                "area": _area_label(row["county_unitary"], row["district_borough"], row["within_place"],
                                    row["region"]),
                "areas_key": _areas_key(row), "lad_code": lad, "region_code": region, "country_code": country})
            for name in {row["name"], row["name_alt"]}:
                if name and place_key(name):
                    names.append({"key": place_key(name), "place_id": row["os_id"], "name": name})
    names = list({(n["key"], n["place_id"]): n for n in names}.values())  # "St Andras" / "Saint Andras"
    session = db.session
    session.execute(delete(PlaceName))
    session.execute(delete(PopulatedPlace))
    for start in range(0, len(places), 5000):
        session.execute(insert(PopulatedPlace), places[start:start + 5000])
    for start in range(0, len(names), 5000):
        session.execute(insert(PlaceName), names[start:start + 5000])
    return len(places)


@dataclass(frozen=True)
class FoundPlace:
    """A place a name matched: the row, and the name (of its two) the person typed."""
    place: PopulatedPlace
    name: str

    @property
    def label(self) -> str:
        area = self.place.area
        if not area or place_key(area) == place_key(self.name):
            return self.name
        return f"{self.name}, {area}"

    @property
    def size(self) -> str:
        return WORD_BY_RANK[self.place.size_rank]


def find_places(text: str) -> tuple[list[FoundPlace], list[FoundPlace]]:
    """(the places the text means, every place of that name), each the largest first.
    "Name, area[, area]" keeps those in every area named (a county, council, region, country or
    postcode district); the second list still has them all, to offer the others."""
    found = _by_key(place_key(text))
    if found or "," not in text:
        return found, found
    name, *areas = text.split(",")
    wanted = [place_key(a) for a in areas if place_key(a)]
    named = _by_key(place_key(name))
    return [f for f in named if all(f"|{a}|" in f.place.areas_key for a in wanted)], named


def _by_key(key: str) -> list[FoundPlace]:
    if not key:
        return []
    rows = db.session.execute(
        select(PopulatedPlace, PlaceName.name).join(PlaceName, PlaceName.place_id == PopulatedPlace.id)
        .where(PlaceName.key == key)
        .order_by(PopulatedPlace.size_rank, PopulatedPlace.extent_m.desc(), PopulatedPlace.id)).all()
    return [FoundPlace(place, name) for place, name in rows]


def where_for(found: FoundPlace, among: list[FoundPlace]) -> str:
    """What to type (or send) to get exactly this place back: "Newport, Isle of Wight", or with
    its postcode district as well when two of the same name lie in the same area."""
    area = found.place.area
    if not area:
        return f"{found.name}, {found.place.postcode_district}"
    twins = [f for f in among if f.place.area == area and place_key(f.name) == place_key(found.name)]
    if len(twins) > 1 and found.place.postcode_district:
        return f"{found.name}, {area}, {found.place.postcode_district}"
    return f"{found.name}, {area}"


@dataclass(frozen=True)
class Suggestion:
    label: str  # what the list shows
    value: str  # what goes in the box
    kind: str   # postcode district | local authority | city | town | suburb | ...


DISTRICT_START = re.compile(r"^[A-Z]{1,2}[0-9]{1,2}[A-Z]?$")


def suggest(text: str | None, limit: int = 8) -> list[Suggestion]:
    """What a person may mean as they type "where": postcode districts, councils and places whose
    name starts with what they typed (whole names first, then the largest)."""
    raw = " ".join((text or "").split())
    key = place_key(raw)
    if len(key) < 2 or len(raw) > 60:
        return []
    out: list[Suggestion] = []
    compact = raw.upper().replace(" ", "")
    if DISTRICT_START.match(compact):
        codes = db.session.scalars(select(Postcode.code).where(Postcode.kind == "district",
                                                               Postcode.code.like(compact + "%"))
                                   .order_by(func.length(Postcode.code), Postcode.code).limit(4)).all()
        out += [Suggestion(code, code, "postcode district") for code in codes]
    councils = db.session.scalars(select(LocalAuthority.name)
                                  .where(func.lower(LocalAuthority.name).like(raw.lower().replace("%", "") + "%"))
                                  .order_by(LocalAuthority.name).limit(3)).all()
    out += [Suggestion(name, name, "council") for name in councils]
    rows = db.session.execute(
        select(PopulatedPlace, PlaceName.name).join(PlaceName, PlaceName.place_id == PopulatedPlace.id)
        .where(PlaceName.key.like(key + "%"))
        .order_by((PlaceName.key != key), PopulatedPlace.size_rank, PopulatedPlace.extent_m.desc(),
                  PlaceName.key, PopulatedPlace.id)
        .limit(limit * 2)).all()
    found = [FoundPlace(place, name) for place, name in rows]
    for f in found:
        value = where_for(f, found)
        out.append(Suggestion(f"{f.label} ({f.size})", value, f.size))
    seen: set[str] = set()
    unique = [s for s in out if not (s.value in seen or seen.add(s.value))]
    return unique[:limit]
