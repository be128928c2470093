#!/usr/bin/env bash
# Sets up the app on the embedded default (SQLite, SQLite job queue, mail to instance/outbox/),
# loads the sample panel and serves it on http://127.0.0.1:5000 with a job worker beside it.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# Exactly the locked versions, each checked against its hash, then the app without touching them.
.venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .

export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask demo

.venv/bin/flask worker &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
echo "Serving on http://$HOST:$PORT (Ctrl+C stops web and worker)"
.venv/bin/gunicorn --bind "$HOST:$PORT" --workers 2 --threads 4 --access-logfile - wsgi:app
