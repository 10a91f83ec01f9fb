#!/usr/bin/env bash
# Runs cfn-lint (PyPI) from a virtualenv inside the repository, installing it on first use.
# Usage: scripts/tools/cfn-lint.sh <template.json>...
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/.venv/cfn-lint"
version="1.58.0"
if [ ! -x "$venv/bin/cfn-lint" ] || ! "$venv/bin/cfn-lint" --version 2>/dev/null | grep -q "$version"; then
  command -v python3 >/dev/null || { echo "cfn-lint needs python3 (3.9 or later) on PATH" >&2; exit 3; }
  echo "installing cfn-lint $version into $venv (first run only)" >&2
  python3 -m venv "$venv" >&2 || { echo "could not create a virtualenv at $venv (install python3-venv)" >&2; exit 3; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "cfn-lint==$version" >&2 \
    || { echo "could not install cfn-lint $version from PyPI" >&2; exit 3; }
fi
exec "$venv/bin/cfn-lint" "$@"
