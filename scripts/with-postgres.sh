#!/usr/bin/env bash
# Run a command with DATABASE_URL pointing at a throwaway PostgreSQL + PostGIS cluster, which is
# stopped and deleted afterwards whatever the command's outcome.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir=$(mktemp -d /tmp/assets-hub-pg.XXXXXX)
port=${PGPORT_TEST:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')}
cleanup() { "$here/testdb.sh" stop "$dir" || true; }
trap cleanup EXIT INT TERM
url=$("$here/testdb.sh" start "$dir" "$port")
DATABASE_URL="$url" "$@"
