"""Web throughput: event page and registration flow vs a bare one-route Flask app.

    .venv/bin/python bench/web_throughput.py            # SQLite, plus PostgreSQL if reachable
    BENCH_SECONDS=10 BENCH_CONNECTIONS=8 .venv/bin/python bench/web_throughput.py

Every server is the same gunicorn (gunicorn.conf.py: gthread, WEB_CONCURRENCY workers x
GUNICORN_THREADS threads) on loopback, rate limits off, access log off. The load generator
is `wrk` (apt-get install wrk) with keep-alive connections, on the same machine (it takes
its share of the CPU in every measurement alike). The registration flow is a wrk Lua script
in which each connection GETs the form, reads its CSRF token and session cookie, then POSTs
a new registration (expects 303). Flows are counted from the 303 answers the script saw,
not inferred from the request count. Any non-2xx/3xx answer, socket error, or a response
the flow did not expect (a form without a token, a POST that did not register) counts as an
error, and the run exits non-zero.

Ratios are against the bare app measured in the same run. The load average is printed at
the start and the end: on a busy machine every figure drops, the ratios less so.

Goals (issue 7): event page >= 0.8 x bare req/s; registration flows/s >= 0.4 x (bare req/s / 2).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SECONDS = int(os.environ.get("BENCH_SECONDS") or 5)
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS") or 8)
THREADS = int(os.environ.get("BENCH_THREADS") or 2)
WORKERS = os.environ.get("WEB_CONCURRENCY") or "2"
PG_ADMIN = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
SLUG = "parliamentary-solidarity"

FLOW_LUA = r"""
-- One Lua state per wrk thread, shared by that thread's connections: the token and its
-- session cookie are always stored together, so any POST carries a matching pair.
local threads = {}
function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  token = nil
  cookie = nil
  run = args[1]
  counter = 0
  posts = 0
  forms = 0
  unexpected = 0
end
function request()
  if token == nil then
    return wrk.format("GET", "/events/%s/register", {["Accept-Language"] = "fr"})
  end
  counter = counter + 1
  local body = "csrf_token=" .. token .. "&first_name=Bench&last_name=Person&country=CH" ..
    "&email=b" .. run .. "-" .. tid .. "-" .. counter .. "%%40parliament.example" ..
    "&organisation=Federal+Assembly&affiliation_type=member_parliament&role=mp&language=fr&consent=y"
  local headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie}
  local req = wrk.format("POST", "/events/%s/register", headers, body)
  token = nil
  return req
end
function response(status, headers, body)
  if status == 303 then
    posts = posts + 1
    return
  end
  local found = status == 200 and string.match(body, 'name="csrf_token" type="hidden" value="([^"]+)"')
  local set = headers["Set-Cookie"]
  if found and set then
    forms = forms + 1
    token = found
    cookie = string.match(set, "^([^;]+)")
  else
    unexpected = unexpected + 1
  end
end
function done(summary, latency, requests)
  local p, f, u = 0, 0, 0
  for _, thread in ipairs(threads) do
    p = p + thread:get("posts")
    f = f + thread:get("forms")
    u = u + thread:get("unexpected")
  end
  io.write(string.format("FLOW posts=%d forms=%d unexpected=%d duration_us=%d\n", p, f, u, summary.duration))
end
"""

BARE_APP = '''
from flask import Flask

def create_bare_app():
    app = Flask("bare")

    @app.get("/")
    def index():
        return "ok"

    return app
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


def gunicorn(app_spec: str, env: dict, chdir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """Start gunicorn with the project's gunicorn.conf.py; its output goes to `log`."""
    port = free_port()
    with log.open("ab") as stream:
        proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                str(ROOT / "gunicorn.conf.py"),
                "--bind",
                f"127.0.0.1:{port}",
                "--chdir",
                str(chdir),
                app_spec,
            ],
            env=env,
            stdout=stream,
            stderr=stream,
            start_new_session=True,
        )
    return proc, f"http://127.0.0.1:{port}"


def serve(app_spec: str, env: dict, chdir: Path, log: Path, ready_path: str) -> tuple[subprocess.Popen, str]:
    """gunicorn started and answering `ready_path`; on failure its log is shown."""
    proc, base = gunicorn(app_spec, env, chdir, log)
    try:
        wait_ready(base + ready_path)
    except Exception:
        stop(proc)
        print(log.read_text(errors="replace")[-3000:])
        raise
    return proc, base


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


class WrkResult:
    """One wrk run: requests/s, flows/s (flow script only) and every kind of failure."""

    def __init__(self, output: str):
        match = re.search(r"Requests/sec:\s+([\d.]+)", output)
        if not match:
            raise RuntimeError(f"wrk printed no result:\n{output}")
        self.rps = float(match.group(1))
        self.errors = 0
        match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
        if match:
            self.errors += int(match.group(1))
        match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
        if match:
            self.errors += sum(int(x) for x in match.groups())
        self.flows = None
        match = re.search(r"FLOW posts=(\d+) forms=(\d+) unexpected=(\d+) duration_us=(\d+)", output)
        if match:
            posts, _forms, unexpected, duration_us = (int(x) for x in match.groups())
            self.flows = posts / (duration_us / 1e6)
            self.errors += unexpected


def wrk(url: str, script: Path | None = None, args: list[str] | None = None) -> WrkResult:
    """Run wrk once against `url` (optionally with a Lua script)."""
    cmd = ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{SECONDS}s", "--timeout", "10s"]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(url)
    if args:
        cmd += ["--", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=SECONDS + 30)
    return WrkResult(done.stdout + done.stderr)


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def app_env(instance: Path, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "ZOOM_", "REDIS_URL"))}
    env.update(
        {
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-secret-" + uuid.uuid4().hex,
            "RATELIMIT_ENABLED": "false",
            "ACCESS_LOG": "off",
            "WEB_CONCURRENCY": WORKERS,
            "FLASK_APP": "wsgi",
            "LOG_LEVEL": "WARNING",
            "BASE_URL": "http://127.0.0.1",
        }
    )
    return env


def prepare(env: dict) -> None:
    for args in (["db", "upgrade"], ["demo"]):
        subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)


def postgres_database():
    """(url, drop) for a throw-away database, or None when PostgreSQL is not reachable."""
    try:
        import sqlalchemy as sa

        sys.path.insert(0, str(ROOT))
        from config import normalise_database_url

        admin = sa.create_engine(normalise_database_url(PG_ADMIN), isolation_level="AUTOCOMMIT")
        name = f"panel_bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001  (any failure: skip the PostgreSQL run)
        print(f"PostgreSQL skipped: {type(exc).__name__}")
        return None
    url = sa.engine.make_url(normalise_database_url(PG_ADMIN)).set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def main() -> int:
    if not shutil.which("wrk"):
        print("wrk is required: apt-get install wrk")
        return 2
    print(f"load average at start (1/5/15 min): {load_average()} on {os.cpu_count()} CPU cores", flush=True)
    work = Path(tempfile.mkdtemp(prefix="panel-bench-"))
    (work / "bare_app.py").write_text(BARE_APP)
    flow_script = work / "flow.lua"
    flow_script.write_text(FLOW_LUA.replace("%s", SLUG).replace("%%40", "%40"))
    results: dict[str, WrkResult] = {}
    try:
        env = app_env(work / "bare-instance", "sqlite://")
        proc, base = serve("bare_app:create_bare_app()", env, work, work / "bare-gunicorn.log", "/")
        try:
            wrk(base + "/")  # warm-up
            results["bare"] = wrk(base + "/")
        finally:
            stop(proc)

        backends = [("sqlite", f"sqlite:///{work / 'sqlite-instance' / 'panel.sqlite3'}", None)]
        pg = postgres_database()
        if pg:
            backends.append(("postgresql", pg[0], pg[1]))
        for name, url, drop in backends:
            try:
                env = app_env(work / f"{name}-instance", url)
                prepare(env)
                proc, base = serve("wsgi:app", env, ROOT, work / f"{name}-gunicorn.log", "/healthz")
                try:
                    wrk(f"{base}/events/{SLUG}")  # warm-up (templates, pools, page memo)
                    results[f"event page ({name})"] = wrk(f"{base}/events/{SLUG}")
                    results[f"registration flow ({name})"] = wrk(base, flow_script, [uuid.uuid4().hex[:6]])
                finally:
                    stop(proc)
            finally:
                if drop:
                    drop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    bare = results["bare"].rps
    print(
        f"\ngunicorn gthread, {WORKERS} workers x {os.environ.get('GUNICORN_THREADS') or 4} threads; "
        f"wrk -t{THREADS} -c{CONNECTIONS} -d{SECONDS}s on loopback; {os.cpu_count()} CPU cores"
    )
    print(f"{'measure':42} {'per s':>9} {'errors':>7} {'ratio':>7}  goal")
    print(f"{'bare one-route Flask app (req/s)':42} {bare:9.0f} {results['bare'].errors:7d} {1:7.2f}")
    errors = results["bare"].errors
    for label, result in results.items():
        if label == "bare":
            continue
        errors += result.errors
        if result.flows is None:
            value, ratio, goal, unit = result.rps, result.rps / bare, 0.8, "req/s"
            goal_text = f">= {goal}"
        else:
            value, ratio, goal, unit = result.flows, result.flows / (bare / 2), 0.4, "flows/s"
            goal_text = f">= {goal} (vs bare/2)"
        verdict = "met" if ratio >= goal else "below goal"
        print(f"{label + f' ({unit})':42} {value:9.0f} {result.errors:7d} {ratio:7.2f}  {goal_text}: {verdict}")
    print(f"load average at end: {load_average()}")
    print("errors: none" if errors == 0 else f"errors: {errors} REQUESTS FAILED")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
