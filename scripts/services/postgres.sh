#!/usr/bin/env bash
# A PostgreSQL server for the tests and for users (`elt run --warehouse postgres://…`), without Docker.
#   scripts/services/postgres.sh up     start it (installing Debian's postgresql if missing), print its URL
#   scripts/services/postgres.sh down   stop it
#   scripts/services/postgres.sh crash  stop it at once, as a crash does (immediate shutdown: no checkpoint, every
#                                        connection cut; the next `up` recovers from the WAL), for failure tests
#   scripts/services/postgres.sh status print whether the server of this folder runs (exit 1 when it does not)
#   scripts/services/postgres.sh url    print its URL
# Listens on 127.0.0.1:${ELT_PG_PORT:-55432} only; data and log under .services/postgres (git-ignored). Tuned for
# tests, not durability: fsync and synchronous commit are off. ELT_PG_SYNCHRONOUS_COMMIT=on makes a commit wait
# until its WAL is written, so a transaction another session saw committed survives `crash` (with it off, the
# last fraction of a second of commits may vanish in a crash; fsync stays off: a crash of the server is not one
# of the machine). wal_level is logical, for change data capture
# (Debezium's replication slots): `up` restarts a server of this folder that runs with another wal_level.
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# ELT_PG_HOME puts a second server (with another ELT_PG_PORT) in a folder of its own.
base="${ELT_PG_HOME:-$root/.services/postgres}"
data="$base/data"
log="$base/postgres.log"
port="${ELT_PG_PORT:-55432}"
synchronous_commit="${ELT_PG_SYNCHRONOUS_COMMIT:-off}"
case "$synchronous_commit" in
  on | off) ;;
  *) echo "ELT_PG_SYNCHRONOUS_COMMIT must be on or off, got \"$synchronous_commit\"" >&2; exit 2 ;;
esac
url="postgres://postgres@127.0.0.1:$port/elt"

find_bin() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return; fi
  if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return; fi
}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_postgres() {
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "PostgreSQL is not installed. Install Debian's package (sudo apt-get install -y postgresql) or point ELT_PG_URL at a server." >&2
    exit 3
  fi
  echo "installing PostgreSQL from Debian's packages (first run only)…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  # The package starts a cluster of its own on 5432; this script runs its own, so stop that one.
  command -v pg_ctlcluster >/dev/null && for c in $(ls /etc/postgresql 2>/dev/null); do pg_ctlcluster "$c" main stop 2>/dev/null || true; done
}

# Whether the server of this folder ($data) runs.
running() {
  [ -n "${bin:-}" ] && [ -d "$data" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

# Whether anything accepts TCP connections on the port.
port_taken() {
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$port" 2>/dev/null
}

up() {
  mkdir -p "$base"
  exec 9>"$base/.lock"
  flock 9
  bin="$(find_bin)"
  if running; then
    # Started by an earlier version of this script (without logical decoding): restart it with this one's settings.
    wal="$("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc 'SHOW wal_level' 2>/dev/null || true)"
    if [ -z "$wal" ] || [ "$wal" = logical ]; then echo "$url"; return; fi
    echo "restarting the PostgreSQL of $data: it runs with wal_level=$wal, change data capture needs logical…" >&2
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 9>&- </dev/null \
      || { echo "could not stop the PostgreSQL of $data to restart it with wal_level=logical; see $log" >&2; exit 3; }
  fi
  # Checked before anything is installed or started: a server this script did not start (another checkout's,
  # or another program) must not be taken for ours, nor make ours fail later with a bare "did not start".
  if port_taken; then
    echo "something already listens on 127.0.0.1:$port, and it is not the PostgreSQL of $data (this script did not start it: another checkout's server, or another program). Stop it, or set ELT_PG_PORT to a free port (and ELT_PG_HOME to a folder of its own for a second server)." >&2
    exit 3
  fi
  if [ -z "$bin" ]; then install_postgres; bin="$(find_bin)"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown -R postgres "$base"
    as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$base/initdb.log" 2>&1 \
      || { echo "initdb failed; see $base/initdb.log" >&2; exit 3; }
  fi
  [ "$(id -u)" = 0 ] && chown -R postgres "$base"
  as_owner "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c synchronous_commit=$synchronous_commit -c full_page_writes=off -c wal_level=logical -c max_replication_slots=20 -c max_wal_senders=20" start >/dev/null 2>&1 9>&- </dev/null \
    || { echo "PostgreSQL did not start; see $log" >&2; tail -n 20 "$log" >&2 || true; exit 3; }
  for _ in $(seq 1 60); do
    if "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q; then break; fi
    sleep 1
  done
  "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'elt'" | grep -q 1 \
    || "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres elt
  echo "$url"
}

down() {
  bin="$(find_bin)"
  [ -n "$bin" ] && [ -d "$data" ] && as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  echo "stopped"
}

crash() {
  bin="$(find_bin)"
  [ -n "$bin" ] && [ -d "$data" ] && as_owner "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  echo "stopped at once"
}

status() {
  bin="$(find_bin)"
  if running; then echo "PostgreSQL runs on 127.0.0.1:$port (data: $data)"
  else echo "the PostgreSQL of $data does not run. Start it: scripts/services/postgres.sh up"; return 1; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  crash) crash ;;
  status) status ;;
  url) echo "$url" ;;
  *) echo "usage: $0 up|down|crash|status|url" >&2; exit 2 ;;
esac
