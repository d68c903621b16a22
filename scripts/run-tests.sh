#!/usr/bin/env bash
# make test: the whole suite against a throwaway PostgreSQL + PostGIS (started here, stopped at the
# end, pass or fail), then the core suite again on the embedded SQLite mode.
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser tests drive Debian's Chromium; install it when we can (root on Debian).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Chromium for the browser tests (apt-get install chromium) ..."
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
fi

echo "== The layer contract (pyproject.toml [tool.importlinter]): imports only go down"
lint-imports --no-cache

echo "== PostgreSQL + PostGIS: full suite"
scripts/with-postgres.sh bash -c 'TEST_DATABASE_URL="$DATABASE_URL" python -m pytest -q -p no:cacheprovider -n 2'
echo "== Embedded SQLite: core suite"
env -u DATABASE_URL -u TEST_DATABASE_URL python -m pytest -q -p no:cacheprovider -n 2 -m "not pg_only and not e2e"
