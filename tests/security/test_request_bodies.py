"""A chunked request body (no Content-Length) over MAX_CONTENT_LENGTH gets 413 from a real
server, as an oversized Content-Length does; a chunked body within the limit arrives whole."""

from __future__ import annotations

import http.client
from urllib.parse import urlencode, urlsplit

import requests
import sqlalchemy as sa

from panel_app.models import Registration
from tests.conftest import csrf_token_from
from tests.factories import registration_form_data

LIMIT = 20_000


def send_chunked(base_url: str, path: str, body: bytes, cookie: str, chunk: int = 4096) -> tuple[int, str]:
    """POST `body` with Transfer-Encoding: chunked (as browsers' streaming uploads and some
    proxies do); returns the status and the page."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Transfer-Encoding", "chunked")
        conn.putheader("Cookie", f"session={cookie}")
        conn.endheaders()
        try:
            for start in range(0, len(body), chunk):
                piece = body[start:start + chunk]
                conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer 413 and close before the rest is sent
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _form(base_url: str, path: str) -> tuple[str, str]:
    """(session cookie, CSRF token) of a fresh visitor on the form page."""
    page = requests.get(base_url + path, timeout=10)
    return page.cookies["session"], csrf_token_from(page.text)


def test_a_chunked_body_over_the_limit_gets_413_from_a_real_server(app, live_server, make_event, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", LIMIT)
    event = make_event(title="Solidarité parlementaire")
    path = f"/events/{event.slug}/register"
    cookie, token = _form(live_server, path)
    data = registration_form_data(first_name="María-José", last_name="Ñúñez-Öztürk", csrf_token=token,
                                  accessibility_needs="Sign language interpretation, please. " * 1000)
    body = urlencode(data).encode()
    assert len(body) > LIMIT
    status, page = send_chunked(live_server, path, body, cookie)
    assert status == 413
    assert "Too much data" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0


def test_a_chunked_body_within_the_limit_arrives_whole(app, live_server, make_event, db, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", LIMIT)
    event = make_event(title="Solidarité parlementaire")
    path = f"/events/{event.slug}/register"
    cookie, token = _form(live_server, path)
    needs = ("Sous-titrage en français, s'il vous plaît. " * 44).strip()  # ~2,000 characters
    data = registration_form_data(first_name="María-José", last_name="Ñúñez-Öztürk", csrf_token=token,
                                  accessibility_needs=needs)
    consent = data.pop("consent")
    body = urlencode({**data, "consent": consent}).encode()  # a required field in the last chunk
    assert len(body) > 2 * 1024
    status, _ = send_chunked(live_server, path, body, cookie, chunk=1024)
    assert status == 303
    stored = db.session.scalar(sa.select(Registration))
    assert (stored.last_name, stored.accessibility_needs) == ("Ñúñez-Öztürk", needs)
