#!/usr/bin/env bash
# Regenerates migrations/versions/0001_initial.py from the models.
# Only valid while nothing has been released (no deployed database depends on revision 0001).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f migrations/versions/0001_initial.py
INSTANCE_PATH="$tmp" DATABASE_URL="sqlite:///$tmp/regen.sqlite3" .venv/bin/flask --app wsgi db revision --autogenerate --rev-id 0001 -m "initial schema" >/dev/null 2>&1
mv migrations/versions/0001_initial_schema.py migrations/versions/0001_initial.py
echo "migrations/versions/0001_initial.py regenerated"
