#!/usr/bin/env bash
# Runs dbt (dbt-core with the dbt-duckdb adapter, PyPI) from a virtualenv inside the repository, installing
# it on first use (about 20 s), with the versions pinned here and in dbt-constraints.txt.
# Usage: scripts/tools/dbt.sh <dbt arguments>...   e.g. scripts/tools/dbt.sh build --project-dir DIR --profiles-dir DIR
#        scripts/tools/dbt.sh --install-only        installs (when needed) and prints the dbt version
# ELT_DBT_PYTHON names the Python (3.10 to 3.13); the default is the first python3.13 … python3 on PATH that fits.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.venv/dbt"
core="1.11.16"
duckdb_adapter="1.11.1"
duckdb="1.5.6"
constraints="$root/scripts/tools/dbt-constraints.txt"

find_python() {
  local c
  for c in ${ELT_DBT_PYTHON:-} python3.13 python3.12 python3.11 python3.10 python3; do
    if "$c" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 13) else 1)' >/dev/null 2>&1; then
      command -v "$c"
      return
    fi
  done
}

install() {
  # Two runs starting at once share the virtualenv: one installs, the other waits.
  mkdir -p "$root/.venv"
  exec 8>"$root/.venv/dbt.lock"
  flock 8
  local py stamp
  py="$(find_python)"
  [ -n "$py" ] || { echo "dbt needs Python 3.10 to 3.13 (none found on PATH; set ELT_DBT_PYTHON to one)" >&2; exit 3; }
  # The stamp names the versions, the Python and the constraints it was installed with; a change reinstalls.
  stamp="$core $duckdb_adapter $duckdb $("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])') $(sha256sum "$constraints" | cut -c1-16)"
  if [ -x "$venv/bin/dbt" ] && [ "$(cat "$venv/.elt-stamp" 2>/dev/null)" = "$stamp" ]; then exec 8>&-; return; fi
  echo "installing dbt-core==$core and dbt-duckdb==$duckdb_adapter into $venv (first run only, about 20 s)…" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv" >&2 || { echo "could not create a virtualenv at $venv (install python3-venv)" >&2; exit 3; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check -c "$constraints" \
    "dbt-core==$core" "dbt-duckdb==$duckdb_adapter" "duckdb==$duckdb" >&2 \
    || { echo "could not install dbt-core==$core and dbt-duckdb==$duckdb_adapter from PyPI (is PyPI reachable?)" >&2; exit 3; }
  echo "$stamp" >"$venv/.elt-stamp"
  exec 8>&-
}

install
# No usage statistics, no version check against PyPI on every run.
export DBT_SEND_ANONYMOUS_USAGE_STATS=false DBT_VERSION_CHECK=false
if [ "${1:-}" = "--install-only" ]; then exec "$venv/bin/dbt" --version; fi
exec "$venv/bin/dbt" "$@"
