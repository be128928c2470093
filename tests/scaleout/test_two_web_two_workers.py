"""Scale-out on loopback: 2 gunicorn web nodes + 2 job workers, on a throw-away PostgreSQL
database and Redis (unique queue name and rate-limit prefix). Registrations go through both
web nodes at once; every one lands exactly once, every invite is sent exactly once, the
queue drains, and a rate limit counted on one node holds on the other (shared in Redis).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.mail.conftest import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(240)]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
PEOPLE = 24


@pytest.fixture
def cluster_env(tmp_path):
    admin_url = os.environ.get("TEST_DATABASE_URL")
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not admin_url or not redis_url:
        pytest.skip("needs TEST_DATABASE_URL and TEST_REDIS_URL")
    from config import normalise_database_url

    admin = sa.create_engine(normalise_database_url(admin_url), isolation_level="AUTOCOMMIT")
    name = f"panel_scale_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    db_url = (
        sa.engine.make_url(normalise_database_url(admin_url)).set(database=name).render_as_string(hide_password=False)
    )
    tag = uuid.uuid4().hex[:10]
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "REDIS_URL": redis_url,
        "HUEY_NAME": f"scale-{tag}",
        "RATELIMIT_KEY_PREFIX": f"scale-{tag}",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": f"scale-secret-{tag}",
        "FLASK_APP": "wsgi",
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_LOGIN": "4 per minute",
        "BASE_URL": "http://127.0.0.1",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "4",
        "ACCESS_LOG": "off",
        "PANEL_ENV": "production",
    }
    for key in ("MAIL_SERVER", "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"):
        env.pop(key, None)
    try:
        yield env
    finally:
        import redis

        client = redis.Redis.from_url(redis_url)
        for key in client.scan_iter(f"*scale-{tag}*"):
            client.delete(key)
        client.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _run(env, *args):
    subprocess.run([str(BIN / "flask"), *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)


def _spawn(env, args, log):
    return subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(procs):
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _register(base, slug, n):
    with requests.Session() as http:
        form = http.get(f"{base}/events/{slug}/register", timeout=20)
        token = CSRF.search(form.text).group(1)
        data = {
            "csrf_token": token,
            "first_name": f"Person{n}",
            "last_name": "Scale",
            "country": "CH",
            "email": f"person{n}@parliament.example",
            "organisation": "Federal Assembly",
            "affiliation_type": "member_parliament",
            "role": "mp",
            "language": "fr",
            "consent": "y",
        }
        response = http.post(f"{base}/events/{slug}/register", data=data, allow_redirects=False, timeout=30)
        return response.status_code, response.headers.get("Location", "")


def test_two_web_nodes_and_two_workers_share_everything(cluster_env, tmp_path):
    env = cluster_env
    _run(env, "db", "upgrade")
    _run(
        env,
        "events",
        "create",
        "--slug",
        "scale-panel",
        "--title",
        "Scale panel",
        "--start",
        "2099-03-03 15:00",
        "--end",
        "2099-03-03 16:30",
        "--timezone",
        "Europe/Zurich",
        "--languages",
        "en,fr,es",
    )
    ports = [free_port(), free_port()]
    procs = [
        _spawn(
            env,
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
            tmp_path / f"web{i}.log",
        )
        for i, port in enumerate(ports)
    ]
    procs += [
        _spawn(env, [str(BIN / "flask"), "worker", "--workers", "2"], tmp_path / "worker0.log"),
        _spawn(env, [str(BIN / "flask"), "worker", "--workers", "2", "--no-periodic"], tmp_path / "worker1.log"),
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for base in bases:
            _wait(lambda base=base: requests.get(f"{base}/readyz", timeout=2).status_code == 200, 40, f"{base} ready")

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda n: _register(bases[n % 2], "scale-panel", n), range(PEOPLE)))
        assert [code for code, _ in results] == [303] * PEOPLE
        assert all("/registrations/" in location for _, location in results)

        engine = sa.create_engine(env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            with engine.connect() as conn:
                emails = conn.execute(sa.text("SELECT email_normalized FROM registrations")).scalars().all()
                assert sorted(emails) == sorted(f"person{n}@parliament.example" for n in range(PEOPLE))

                # Every invite is sent exactly once, by whichever worker took it.
                outbox = Path(env["INSTANCE_PATH"]) / "outbox"

                def all_sent():
                    states = conn.execute(sa.text("SELECT state, count(*) FROM notifications GROUP BY state")).all()
                    conn.commit()
                    return dict(states) == {"sent": PEOPLE}

                _wait(all_sent, 90, "every invite to be sent")
        finally:
            engine.dispose()
        recipients = [message_from_bytes(p.read_bytes())["To"] for p in outbox.glob("*.eml")]
        assert len(recipients) == PEOPLE
        assert len({r.split("<")[-1].rstrip(">") for r in recipients}) == PEOPLE

        import redis

        queue = redis.Redis.from_url(env["REDIS_URL"])
        try:
            _wait(
                lambda: all(
                    queue.llen(k) == 0 for k in queue.scan_iter(f"*{env['HUEY_NAME']}*") if queue.type(k) == b"list"
                ),
                30,
                "the queue to drain",
            )
        finally:
            queue.close()

        # Sessions are signed cookies and rate-limit counters live in Redis: a login form
        # from node A posts fine to node B, and attempts on both nodes count together.
        with requests.Session() as http:
            token = CSRF.search(http.get(f"{bases[0]}/admin/login", timeout=10).text).group(1)
            data = {"email": "nobody@example.org", "password": "wrong-password", "csrf_token": token}
            codes = [http.post(f"{bases[n % 2]}/admin/login", data=data, timeout=10).status_code for n in range(5)]
        assert all(code not in (400, 429) for code in codes[:4]), codes
        assert codes[4] == 429
    finally:
        _stop(procs)
