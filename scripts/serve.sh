#!/usr/bin/env bash
# Sets up the app on the embedded default (SQLite, SQLite job queue, mail to instance/outbox/),
# loads the sample panel and serves it on http://$HOST:$PORT (default 127.0.0.1:5000) with a
# job worker beside it. Ctrl+C or SIGTERM stops both.
#   HOST=0.0.0.0 PORT=5101 bash scripts/serve.sh
# BASE_URL (the address written into emails and invites) follows HOST and PORT unless set.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
if [ -z "${BASE_URL:-}" ]; then
  case "$HOST" in
    0.0.0.0 | "::" | "[::]") link_host=127.0.0.1 ;;  # all interfaces: links work from this machine
    *:*) link_host="[${HOST#[}"; link_host="${link_host%]}]" ;;  # IPv6 literal
    *) link_host=$HOST ;;
  esac
  export BASE_URL="http://$link_host:$PORT"
fi

# Installing: skipped when what it installs from has not changed since the last run (a stamp
# in .venv holds their hash), so a warm start takes seconds.
install() {
  # Exactly the locked versions, each checked against its hash, then the app without touching them.
  .venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
}
install_inputs() { cat pyproject.toml requirements*.lock 2>/dev/null || true; }

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.serve-installed
wanted=$(install_inputs | "$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ] || ! .venv/bin/python -c 'import panel_app' 2>/dev/null; then
  echo "Installing the app and its dependencies into .venv"
  install
  echo "$wanted" >"$stamp"
else
  echo "Dependencies unchanged since the last start: not reinstalling"
fi

export FLASK_APP=wsgi
.venv/bin/flask db upgrade
.venv/bin/flask demo

# Web server and worker in the background; a signal (Ctrl+C, SIGTERM from systemd, docker
# or a CI runner) is passed on to both, and the script waits until they have stopped.
pids=()
stop() {
  trap - INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

.venv/bin/flask worker &
pids+=($!)
echo "Serving on http://$HOST:$PORT (links in emails: $BASE_URL; Ctrl+C stops web and worker)"
.venv/bin/gunicorn --bind "$HOST:$PORT" --workers 2 --threads 4 --access-logfile - wsgi:app &
pids+=($!)
# Returns when either process ends (or a signal arrives); the EXIT trap stops the other.
wait -n "${pids[@]}"
