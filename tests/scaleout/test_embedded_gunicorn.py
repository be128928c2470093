"""The embedded default (SQLite, no Redis) under gunicorn with several worker processes.

A rate limit holds for the whole server, not per process: 60 sign-in attempts against
"10 per minute" let exactly 10 through, whichever workers answer them. And a chunked
request body over MAX_CONTENT_LENGTH gets 413 from gunicorn as from any other server.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
import sqlalchemy as sa

from tests.factories import registration_form_data
from tests.mail.conftest import free_port
from tests.scaleout.test_two_web_two_workers import _run, _spawn, _stop, _wait
from tests.security.test_request_bodies import send_chunked

pytestmark = pytest.mark.timeout(180)

BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
WORKERS = 4
LIMIT = 10
ATTEMPTS = 60
BODY_LIMIT = 20_000
SLUG = "solidarite-parlementaire"


@pytest.fixture(scope="module")
def embedded_server(tmp_path_factory) -> Iterator[tuple[str, dict]]:
    """gunicorn with WORKERS processes on an SQLite instance folder; yields (base URL, environment)."""
    folder = tmp_path_factory.mktemp("embedded")
    env = {
        **os.environ,
        "INSTANCE_PATH": str(folder / "instance"),
        "SECRET_KEY": "embedded-gunicorn-test",
        "FLASK_APP": "wsgi",
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_LOGIN": f"{LIMIT} per minute",
        "MAX_CONTENT_LENGTH": str(BODY_LIMIT),
        "WEB_CONCURRENCY": str(WORKERS),
        "GUNICORN_THREADS": "4",
        "ACCESS_LOG": "off",
    }
    for key in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "ZOOM_ACCOUNT_ID", "RATELIMIT_STORAGE_URI"):
        env.pop(key, None)
    _run(env, "db", "upgrade")
    _run(env, "events", "create", "--slug", SLUG, "--title", "Solidarité parlementaire", "--start",
         "2099-09-26 15:00", "--end", "2099-09-26 16:30", "--timezone", "Europe/Zurich", "--languages", "en,fr,es")
    port = free_port()
    web = _spawn(env, [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                 folder / "web.log")
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: requests.get(f"{base}/readyz", timeout=2).status_code == 200, 60, "gunicorn to answer")
        yield base, env
    finally:
        _stop([web])
    log = (folder / "web.log").read_text()
    assert log.count("Booting worker") >= WORKERS, log[-2000:]


def _form(base: str, path: str) -> tuple[str, str]:
    with requests.Session() as http:
        page = http.get(base + path, timeout=10)
        return http.cookies["session"], CSRF.search(page.text).group(1)


def test_several_gunicorn_workers_enforce_one_login_limit_together(embedded_server):
    base, env = embedded_server
    cookie, token = _form(base, "/admin/login")

    def sign_in(n: int) -> int:
        # A new connection each time, so the attempts spread over the worker processes.
        response = requests.post(
            f"{base}/admin/login",
            data={"email": f"nobody{n}@ipu.example.org", "password": "not the password", "csrf_token": token},
            cookies={"session": cookie}, headers={"Connection": "close"}, timeout=30)
        return response.status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        codes = list(pool.map(sign_in, range(ATTEMPTS)))
    assert codes.count(401) == LIMIT, codes  # answered (wrong password), not limited
    assert codes.count(429) == ATTEMPTS - LIMIT, codes
    assert (Path(env["INSTANCE_PATH"]) / "ratelimit.sqlite3").exists()


def test_gunicorn_answers_413_to_a_chunked_body_over_the_limit(embedded_server):
    base, env = embedded_server
    path = f"/events/{SLUG}/register"
    cookie, token = _form(base, path)
    data = registration_form_data(first_name="María-José", last_name="Ñúñez-Öztürk", csrf_token=token)
    too_big = urlencode({**data, "accessibility_needs": "Sous-titrage en français. " * 1000}).encode()
    assert len(too_big) > BODY_LIMIT
    status, page = send_chunked(base, path, too_big, cookie)
    assert status == 413 and "Too much data" in page
    status, _ = send_chunked(base, path, urlencode(data).encode(), cookie, chunk=256)
    assert status == 303
    engine = sa.create_engine(f"sqlite:///{Path(env['INSTANCE_PATH']) / 'panel.sqlite3'}")
    try:
        with engine.connect() as conn:
            names = conn.execute(sa.text("SELECT first_name, last_name FROM registrations")).all()
    finally:
        engine.dispose()
    assert names == [("María-José", "Ñúñez-Öztürk")]
