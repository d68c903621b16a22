# Assets Hub. Two commands: `make demo` (run it) and `make test` (check it).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: demo test install install-test serve bench-geo bench-search bench-load bench-api bench-import bench-ab bench-referrals bench-ledger clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Assets Hub needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	@touch $@ $(VENV)/.installed

# Leaflet for the map view, from the npm registry. Without npm the map page says so and the
# list view (which needs no JavaScript) still works.
LEAFLET := assets_hub/static/vendor/leaflet/leaflet.js
$(LEAFLET): package.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --silent && \
	  mkdir -p assets_hub/static/vendor/leaflet && \
	  cp -r node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/dist/images \
	     node_modules/leaflet/LICENSE assets_hub/static/vendor/leaflet/; \
	else echo "npm not found: the map view will be unavailable (the list view works without it)"; fi

install: $(VENV)/.installed $(LEAFLET)
install-test: $(VENV)/.installed-test $(LEAFLET)

## make demo: embedded SQLite database in instance/, demo data, one account per role, served on http://HOST:PORT
demo: install
	$(BIN)/assets-hub db upgrade
	$(BIN)/assets-hub demo load
	$(BIN)/assets-hub demo users
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl+C to stop)"
	SECOND_FACTOR=$${SECOND_FACTOR:-off} $(BIN)/assets-hub run --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/assets-hub run --host $(HOST) --port $(PORT)

## make test: the whole suite on a throwaway PostgreSQL + PostGIS, then the core suite on embedded SQLite
test: install-test
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/run-tests.sh

bench-geo: install-test
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/with-postgres.sh $(BIN)/python bench/geo.py

## make bench-search: 100,000 services on PostGIS (ours vs the naive statement), 10,000 on SQLite + Whoosh
bench-search: install-test
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/with-postgres.sh $(BIN)/python bench/search.py

## make bench-api: the Open Referral API with 100,000 services on PostGIS (pages, records, ndjson)
bench-api: install-test
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/with-postgres.sh $(BIN)/python bench/api.py

## make bench-import: HSDS tabular packages of 10,000 and 100,000 services into PostGIS (time, peak RSS)
bench-import: install-test
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/with-postgres.sh $(BIN)/python bench/import.py

## make bench-referrals: 50,000 people and 200,000 referrals on PostGIS (caseload, record, API intake)
bench-referrals: install-test
	$(BIN)/pip install -q -e '.[serve]'
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/with-postgres.sh $(BIN)/python bench/referrals.py

## make bench-ledger: a time bank member with 10,000 entries (statement) and exchanges a second over HTTP
bench-ledger: install-test
	$(BIN)/pip install -q -e '.[serve]'
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/with-postgres.sh $(BIN)/python bench/ledger.py

## make bench-ab BASE=<commit> BENCH="api search" [ARGS="--reuse URL"]: the benchmarks from BASE and from
## this tree on the same throwaway PostGIS, runs interleaved, each figure's ratio printed
bench-ab: install-test
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/with-postgres.sh $(BIN)/python bench/ab.py $(BASE) $(BENCH) -- $(ARGS)

## make bench-load: requests per second through gunicorn (2 workers) with wrk on loopback
bench-load: install-test
	$(BIN)/pip install -q -e '.[serve]'
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -q wrk >/dev/null; }
	PATH="$(CURDIR)/$(BIN):$$PATH" scripts/with-postgres.sh $(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) instance .pytest_cache
