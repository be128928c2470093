#!/usr/bin/env bash
# Sets up everything the test suite needs on a fresh machine, then runs it.
#   bash scripts/test.sh            # whole suite
#   bash scripts/test.sh tests/zoom # any pytest arguments
# PostgreSQL is included when it answers on 127.0.0.1:5432 (or TEST_DATABASE_URL is set);
# Redis-backed tests run when Redis answers on 127.0.0.1:6379 (or TEST_REDIS_URL is set).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Exactly the locked versions, each checked against its hash (README, "Dependencies"), then
# the app itself without touching them.
.venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements-test.lock
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .

# Node test tools (ical.js, axe-core) from the npm registry, when Node is present.
if command -v npm >/dev/null 2>&1; then
  if [ ! -d node_modules/ical.js ] || [ ! -d node_modules/axe-core ] || [ package.json -nt node_modules ]; then
    npm install --no-audit --no-fund --silent >/dev/null
    touch node_modules
  fi
fi

# Debian's Chromium for browser tests (Playwright's own download cannot work offline).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; browser tests will be skipped" >&2
fi

python_can_reach() {  # host port
  .venv/bin/python - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2).close()
except OSError:
    sys.exit(1)
PY
}

if [ -z "${TEST_DATABASE_URL:-}" ] && python_can_reach 127.0.0.1 5432; then
  export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test"
fi
if [ -z "${TEST_REDIS_URL:-}" ] && python_can_reach 127.0.0.1 6379; then
  export TEST_REDIS_URL="redis://127.0.0.1:6379/0"
fi
echo "databases: SQLite${TEST_DATABASE_URL:+ + PostgreSQL}; redis: ${TEST_REDIS_URL:-not available}"

# Lint and import order first (seconds): rules in pyproject.toml, [tool.ruff].
.venv/bin/ruff check --quiet . || { echo "ruff found problems (see above); fix them or run: .venv/bin/ruff check --fix ." >&2; exit 1; }

exec .venv/bin/python -m pytest "$@"
