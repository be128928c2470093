"""The embedded default (SQLite, no Redis) under gunicorn with several worker processes:
a rate limit holds for the whole server, not per process. 60 sign-in attempts against
"10 per minute" let exactly 10 through, whichever workers answer them."""

from __future__ import annotations

import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.mail.conftest import free_port
from tests.scaleout.test_two_web_two_workers import _run, _spawn, _stop, _wait

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
WORKERS = 4
LIMIT = 10
ATTEMPTS = 60


@pytest.fixture
def embedded_env(tmp_path):
    env = {
        **os.environ,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "embedded-rate-limit-test",
        "FLASK_APP": "wsgi",
        "RATELIMIT_ENABLED": "true",
        "RATELIMIT_LOGIN": f"{LIMIT} per minute",
        "WEB_CONCURRENCY": str(WORKERS),
        "GUNICORN_THREADS": "4",
        "ACCESS_LOG": "off",
    }
    for key in ("DATABASE_URL", "REDIS_URL", "MAIL_SERVER", "ZOOM_ACCOUNT_ID", "RATELIMIT_STORAGE_URI"):
        env.pop(key, None)
    return env




def test_several_gunicorn_workers_enforce_one_login_limit_together(embedded_env, tmp_path):
    _run(embedded_env, "db", "upgrade")
    port = free_port()
    web = _spawn(embedded_env, [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
                                "wsgi:app"], tmp_path / "web.log")
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: requests.get(f"{base}/readyz", timeout=2).status_code == 200, 60, "gunicorn to answer")
        with requests.Session() as http:
            form = http.get(f"{base}/admin/login", timeout=10)
            token = CSRF.search(form.text).group(1)
            cookie = http.cookies.get("session")

        def sign_in(n: int) -> int:
            # A new connection each time, so the attempts spread over the worker processes.
            response = requests.post(
                f"{base}/admin/login",
                data={"email": f"nobody{n}@ipu.example.org", "password": "not the password", "csrf_token": token},
                cookies={"session": cookie}, headers={"Connection": "close"}, timeout=30)
            return response.status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            codes = list(pool.map(sign_in, range(ATTEMPTS)))
        assert codes.count(429) == ATTEMPTS - LIMIT, codes
        assert codes.count(401) == LIMIT, codes  # wrong password: answered, not limited
        assert (Path(embedded_env["INSTANCE_PATH"]) / "ratelimit.sqlite3").exists()
    finally:
        _stop([web])
    log = (tmp_path / "web.log").read_text()
    assert log.count("Booting worker") >= WORKERS, log[-2000:]
