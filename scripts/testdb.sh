#!/usr/bin/env bash
# A throwaway PostgreSQL + PostGIS cluster for the test suite.
#   scripts/testdb.sh start DIR PORT   -> installs PostGIS and RUM if missing (Debian, as root), initdb, start
#   scripts/testdb.sh stop DIR
# As root the cluster runs as the unprivileged `postgres` user (PostgreSQL refuses to run as root).
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?directory}; port=${3:-55432}

pg_bin() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
  done
  command -v pg_ctl >/dev/null && dirname "$(command -v pg_ctl)" && return
  return 1
}

have_postgis() {
  local bin=$1 share
  share=$("$bin/pg_config" --sharedir 2>/dev/null || true)
  [ -n "$share" ] || share=$(ls -d /usr/share/postgresql/*/ 2>/dev/null | head -n1)
  ls "$share"/extension/postgis.control >/dev/null 2>&1
}

install_postgis() {
  if [ "$(id -u)" != "0" ]; then
    echo "PostgreSQL with PostGIS is missing. Install it (Debian: apt-get install postgresql postgresql-15-postgis-3)" >&2
    echo "or run make test as root so it can install them." >&2
    exit 1
  fi
  echo "Installing PostgreSQL + PostGIS with apt-get ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  local ver=15
  if apt-cache show postgresql-15-postgis-3 >/dev/null 2>&1; then ver=15; else
    ver=$(apt-cache search --names-only '^postgresql-[0-9]+-postgis-3$' | sed -E 's/^postgresql-([0-9]+).*/\1/' | sort -n | tail -n1)
  fi
  apt-get install -y -q "postgresql-$ver" "postgresql-$ver-postgis-3" >/dev/null
}

have_rum() {
  local share
  share=$("$1/pg_config" --sharedir 2>/dev/null || true)
  [ -n "$share" ] || share=$(ls -d /usr/share/postgresql/*/ 2>/dev/null | head -n1)
  ls "$share"/extension/rum.control >/dev/null 2>&1
}

# RUM (optional: search ranks words alone from it; migration 0014 skips it where it is missing).
# Best effort, before the cluster starts (the package may bring a newer minor PostgreSQL with it).
install_rum() {
  local ver
  ver=$(basename "$(dirname "$1")")
  [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null || { echo "(no RUM extension: search ranks words from GIN)" >&2; return 0; }
  echo "Installing the RUM extension (postgresql-$ver-rum) with apt-get ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "postgresql-$ver-rum" >/dev/null 2>&1 || {
    apt-get update -q >/dev/null 2>&1 && apt-get install -y -q "postgresql-$ver-rum" >/dev/null 2>&1; } ||
    echo "(could not install postgresql-$ver-rum: search ranks words from GIN)" >&2
}

as_pg() {
  if [ "$(id -u)" = "0" ]; then
    su postgres -s /bin/bash -c "cd / && $*"
  else
    bash -c "$*"
  fi
}

case "$cmd" in
  start)
    bin=$(pg_bin || true)
    if [ -z "$bin" ] || ! have_postgis "$bin"; then
      install_postgis
      bin=$(pg_bin)
    fi
    have_rum "$bin" || install_rum "$bin"
    mkdir -p "$dir"
    if [ "$(id -u)" = "0" ]; then chown postgres "$dir"; chmod 700 "$dir"; fi
    as_pg "'$bin/initdb' -D '$dir/data' -U postgres -A trust --no-sync -E UTF8 >'$dir/initdb.log' 2>&1"
    as_pg "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50 -c shared_buffers=256MB\" start >/dev/null"
    echo "postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    bin=$(pg_bin || true)
    if [ -n "$bin" ] && [ -d "$dir/data" ]; then
      as_pg "'$bin/pg_ctl' -D '$dir/data' -m immediate -w stop >/dev/null 2>&1" || true
    fi
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
