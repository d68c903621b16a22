"""HSDS import benchmark: generated tabular packages of 10,000 and 100,000 services into PostGIS.

    make bench-import
    DATABASE_URL=postgresql://... .venv/bin/python bench/import.py [--sizes 10000,100000]

For each size: write an HSDS 3.0 tabular package (organisations, services spread across GB by
population with a location, address, phone, weekly schedule, category, cost and, for a fifth, a
council service area), then run `assets-hub import hsds PACKAGE` in a fresh process against a new
database, and report wall time and that process's peak resident memory. A second import of the
same package (nothing changes) is timed too.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from assets_hub.migrate import upgrade_database  # noqa: E402
from assets_hub.db import create_scratch_database, drop_database  # noqa: E402
from geo import population_points  # noqa: E402

WORDS = [("Befriending", "Volunteers visit or phone people who feel lonely for a chat."),
         ("Walking group", "Gentle led walks for all abilities every week."),
         ("Food bank", "Emergency food parcels and support."),
         ("Debt advice", "Free confidential advice on debt, bills and benefits."),
         ("Carers support group", "Support, breaks and a group for unpaid carers."),
         ("Men's shed", "A community workshop to make and mend things."),
         ("Lunch club", "A hot lunch and company for older people.")]
PLACES = ["Heaton", "Riverside", "Oakfield", "Hillside", "Parkway", "Millbrook", "Northgate", "Westfield"]


def write_package(folder: Path, n: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    points = population_points(n, seed)
    las = [r.split(",")[:2] for r in (ROOT / "assets_hub/data/postcodes/local_authorities.csv")
           .read_text(encoding="utf-8").splitlines()[1:]]
    files = {name: open(folder / name, "w", encoding="utf-8", newline="") for name in (
        "organizations.csv", "services.csv", "locations.csv", "service_at_location.csv", "addresses.csv",
        "phones.csv", "schedules.csv", "taxonomies.csv", "taxonomy_terms.csv", "attributes.csv",
        "cost_options.csv", "service_areas.csv")}
    w = {name: csv.writer(fh) for name, fh in files.items()}
    w["organizations.csv"].writerow(["id", "name", "description", "website"])
    w["services.csv"].writerow(["id", "organization_id", "name", "description", "status", "email",
                                "minimum_age", "assured_date", "self_referral"])
    w["locations.csv"].writerow(["id", "location_type", "name", "latitude", "longitude"])
    w["service_at_location.csv"].writerow(["id", "service_id", "location_id"])
    w["addresses.csv"].writerow(["id", "location_id", "address_1", "city", "state_province", "postal_code",
                                 "country", "address_type"])
    w["phones.csv"].writerow(["id", "service_id", "number"])
    w["schedules.csv"].writerow(["id", "service_at_location_id", "freq", "byday", "opens_at", "closes_at"])
    w["taxonomies.csv"].writerow(["id", "name", "description"])
    w["taxonomy_terms.csv"].writerow(["id", "taxonomy_id", "code", "name", "description"])
    w["attributes.csv"].writerow(["id", "link_id", "link_entity", "taxonomy_term_id"])
    w["cost_options.csv"].writerow(["id", "service_id", "option", "amount", "currency"])
    w["service_areas.csv"].writerow(["id", "service_id", "name", "area_type", "area_code"])
    tax = str(uuid.uuid4())
    w["taxonomies.csv"].writerow([tax, "Benchmark categories", "Generated"])
    terms = []
    for word, _ in WORDS:
        tid = str(uuid.uuid4())
        terms.append(tid)
        w["taxonomy_terms.csv"].writerow([tid, tax, word.lower().replace(" ", "-"), word, ""])
    orgs = [str(uuid.uuid4()) for _ in range(max(1, n // 10))]
    for i, oid in enumerate(orgs):
        w["organizations.csv"].writerow([oid, f"{rng.choice(PLACES)} Community Trust {i}", "A local charity.",
                                         f"https://trust{i}.example.org/"])
    for i in range(n):
        sid, lid, sal = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
        k = i % len(WORDS)
        place = rng.choice(PLACES)
        w["services.csv"].writerow([sid, orgs[i % len(orgs)], f"{place} {WORDS[k][0]} {i}", WORDS[k][1], "active",
                                    f"hello{i}@example.org", rng.choice(["", "18", "60"]), "2026-06-01",
                                    rng.choice(["true", "false"])])
        lat, lon = points[i]
        w["locations.csv"].writerow([lid, "physical", f"{place} Centre", f"{lat:.6f}", f"{lon:.6f}"])
        w["service_at_location.csv"].writerow([sal, sid, lid])
        w["addresses.csv"].writerow([str(uuid.uuid4()), lid, f"{i} High Street", place, "", "ZZ1 1ZZ", "GB",
                                     "physical"])
        w["phones.csv"].writerow([str(uuid.uuid4()), sid, f"01632 {i:06d}"])
        w["schedules.csv"].writerow([str(uuid.uuid4()), sal, "WEEKLY", rng.choice(["MO,WE", "TU,TH", "SA"]),
                                     "10:00", "15:00"])
        w["attributes.csv"].writerow([str(uuid.uuid4()), sid, "service", terms[k]])
        if rng.random() < 0.5:
            w["cost_options.csv"].writerow([str(uuid.uuid4()), sid, "Free", "0", "GBP"])
        if rng.random() < 0.2:
            code, name = rng.choice(las)
            w["service_areas.csv"].writerow([str(uuid.uuid4()), sid, name, "local_authority", code])
    for fh in files.values():
        fh.close()
    (folder / "datapackage.json").write_text(json.dumps({"name": "bench", "profile": "tabular-data-package",
                                                         "resources": [{"path": p} for p in files]}))


def run_import(url: str, package: Path) -> tuple[float, float, str]:
    """Run the import command in its own process; its wall time and peak RSS (from wait4)."""
    env = dict(os.environ, DATABASE_URL=url)
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("assets-hub")), "import", "hsds", str(package)],
                                env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - t0
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        sys.exit(text[-3000:])
    lines = text.splitlines()
    flagged = [line.strip() for line in lines if "duplicate pair" in line]
    return elapsed, usage.ru_maxrss / 1024, "; ".join([lines[1].strip()] + flagged)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (make bench-import starts one).")
    print(f"{os.cpu_count()} cores")
    for n in [int(x) for x in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            package = Path(tmp) / "package"
            t0 = time.perf_counter()
            write_package(package, n)
            size = sum(p.stat().st_size for p in package.iterdir()) / 1e6
            print(f"{n:,} services: package of {size:.0f} MB written in {time.perf_counter() - t0:.0f} s")
            url = create_scratch_database(base, "bench_import")
            try:
                upgrade_database(url)
                env = dict(os.environ, DATABASE_URL=url)
                subprocess.run([str(Path(sys.executable).with_name("assets-hub")), "postcodes", "load"], env=env,
                               check=True, capture_output=True)
                elapsed, peak, summary = run_import(url, package)
                print(f"  first import:  {elapsed:6.1f} s, peak RSS {peak:5.0f} MB  ({summary})")
                elapsed, peak, summary = run_import(url, package)
                print(f"  second import: {elapsed:6.1f} s, peak RSS {peak:5.0f} MB  ({summary})")
            finally:
                drop_database(url)


if __name__ == "__main__":
    main()
