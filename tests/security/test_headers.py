"""Security headers on every public page, and a strict CSP that the templates can live with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from panel_app.security import CONTENT_SECURITY_POLICY
from tests.conftest import csrf_token_from

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

REQUIRED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'none'",
}


def _csp(header: str) -> dict[str, str]:
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


def _assert_hardened(response):
    headers = response.headers
    csp = _csp(headers["Content-Security-Policy"])
    for name, value in REQUIRED_CSP.items():
        assert csp.get(name) == value, (name, csp.get(name))
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in {"no-referrer", "same-origin"}
    assert "camera=()" in headers["Permissions-Policy"] and "microphone=()" in headers["Permissions-Policy"]
    assert headers.get("X-Request-ID")


def test_every_public_page_carries_the_security_headers(client, make_event, make_registration):
    event = make_event()
    _, token = make_registration(event)
    urls = [
        "/",
        f"/events/{event.slug}",
        f"/events/{event.slug}/register",
        "/privacy",
        f"/registrations/{token}",
        f"/registrations/{token}/erase",
        "/healthz",
        "/readyz",
        "/admin/login",
        "/no-such-page",
        f"/events/{event.slug}/event.ics",
        f"/registrations/{token}/invite.ics",
    ]
    seen = 0
    for url in urls:
        response = client.get(url)
        if url.endswith(".ics") and response.status_code == 404:
            continue  # calendar routes belong to another feature; checked once they exist
        assert response.status_code < 500, url
        _assert_hardened(response)
        seen += 1
    assert seen >= 10


def test_error_responses_carry_the_headers_too(client):
    response = client.post("/events/nope/register", data={})
    assert response.status_code == 404
    _assert_hardened(response)


def test_private_pages_are_never_cached(client, make_event, make_registration):
    event = make_event()
    _, token = make_registration(event)
    assert client.get(f"/registrations/{token}").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get(f"/events/{event.slug}").headers.get("Cache-Control", "")


def test_no_hsts_when_served_over_plain_http(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_https_deployment_sends_hsts_and_secure_session_cookie(make_isolated_app):
    app = make_isolated_app(BASE_URL="https://events.example.org")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    client = app.test_client()
    response = client.get("/healthz", base_url="https://events.example.org")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    with app.app_context():
        from panel_app.extensions import db
        from tests.factories import EventFactory

        event = EventFactory.build()
        db.session.add(event)
        db.session.commit()
        slug = event.slug
    form = client.get(f"/events/{slug}/register", base_url="https://events.example.org")
    cookie = form.headers.get("Set-Cookie", "")
    assert "session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_proxy_headers_are_trusted_only_when_configured(make_isolated_app):
    from flask import request

    direct = make_isolated_app()
    proxied = make_isolated_app(PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=1)
    for application in (direct, proxied):
        application.add_url_rule("/_test/origin", "origin", lambda: f"{request.remote_addr} {request.scheme}")
    headers = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert direct.test_client().get("/_test/origin", headers=headers).get_data(as_text=True) == "127.0.0.1 http"
    assert proxied.test_client().get("/_test/origin", headers=headers).get_data(as_text=True) == "203.0.113.9 https"


def test_policy_constant_has_no_inline_allowances():
    assert "unsafe" not in CONTENT_SECURITY_POLICY


# --- Templates must never need what the CSP forbids -------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


def _html_templates():
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".htm", ".xml", ".svg"})


@pytest.mark.parametrize("rule, pattern", [
    ("inline <script> without src", INLINE_SCRIPT),
    ("<style> element", STYLE_ELEMENT),
    ("style= attribute", STYLE_ATTRIBUTE),
    ("on<event>= handler", EVENT_HANDLER),
    ("javascript: URL", JS_URL),
])
def test_templates_contain_nothing_the_csp_would_block(rule, pattern):
    # Email templates are not served under the page CSP; mail clients need inline styles.
    offenders = []
    for path in _html_templates():
        if set(path.relative_to(TEMPLATES).parts[:-1]) & {"mail", "email", "emails"}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(TEMPLATES)}:{number}: {line.strip()[:100]}")
    assert not offenders, f"{rule} breaks under the Content-Security-Policy:\n" + "\n".join(offenders)


def test_the_template_scan_recognises_violations():
    assert INLINE_SCRIPT.search('<script>alert(1)</script>')
    assert not INLINE_SCRIPT.search('<script src="/static/js/app.js" defer></script>')
    assert STYLE_ATTRIBUTE.search('<p style="color:red">')
    assert EVENT_HANDLER.search('<button onclick="x()">')
    assert not EVENT_HANDLER.search('<p class="once">')
    assert JS_URL.search('<a href="javascript:void(0)">')


# --- Referrer policy: private pages tell no one where the visitor was --------------------

def test_private_pages_send_no_referrer_and_public_pages_same_origin(client, signed_in, make_event, make_registration):
    event = make_event(title="Solidarité parlementaire")
    _, token = make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk")
    organiser, _ = signed_in("organiser")
    private = [client.get(url) for url in (f"/registrations/{token}", f"/registrations/{token}/erase",
                                           f"/registrations/{token}/invite.ics", "/admin/login",
                                           "/registrations/not-a-token")]
    private += [organiser.get(url) for url in ("/admin/events", f"/admin/events/{event.slug}/registrations",
                                               f"/admin/events/{event.slug}/registrations.csv")]
    assert [r.headers["Referrer-Policy"] for r in private] == ["no-referrer"] * len(private)
    public = [client.get(url) for url in (f"/events/{event.slug}", f"/events/{event.slug}/register", "/privacy")]
    assert [r.headers["Referrer-Policy"] for r in public] == ["same-origin"] * len(public)


HTTPS = "https://events.example.org"


def _https_app(make_isolated_app):
    app = make_isolated_app(BASE_URL=HTTPS)
    with app.app_context():
        from panel_app.extensions import db
        from panel_app.models import User

        user = User(email="maria-jose@ipu.example.org", role="organiser")
        user.set_password("correct horse battery staple")
        db.session.add(user)
        db.session.commit()
    return app


def _login_post(client, **headers):
    page = client.get("/admin/login", base_url=HTTPS).get_data(as_text=True)
    data = {"email": "maria-jose@ipu.example.org", "password": "correct horse battery staple",
            "csrf_token": csrf_token_from(page)}
    return client.post("/admin/login", data=data, base_url=HTTPS, headers=headers)


def test_forms_on_no_referrer_pages_still_post_over_https(make_isolated_app):
    """A no-referrer page's form posts carry no Referer and `Origin: null` (Fetch standard):
    the CSRF token decides, so signing in over HTTPS works."""
    client = _https_app(make_isolated_app).test_client()
    response = _login_post(client, Origin="null")
    assert response.status_code == 303
    assert client.get("/admin/events", base_url=HTTPS).status_code == 200


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Referer": "https://evil.example/phish"},
    {"Origin": "http://events.example.org"},  # same host, other scheme: another origin
])
def test_a_post_from_another_site_is_refused_even_with_a_valid_token(make_isolated_app, headers):
    client = _https_app(make_isolated_app).test_client()
    response = _login_post(client, **headers)
    assert response.status_code == 400
    assert client.get("/admin/events", base_url=HTTPS).status_code == 302


def test_a_post_naming_this_site_is_accepted(make_isolated_app):
    client = _https_app(make_isolated_app).test_client()
    assert _login_post(client, Origin=HTTPS, Referer=f"{HTTPS}/admin/login").status_code == 303


def test_behind_a_proxy_posts_from_the_public_address_are_accepted(make_isolated_app):
    """The app may see http://internal-name while browsers post from BASE_URL (no PROXY_FIX_*)."""
    app = _https_app(make_isolated_app)
    client = app.test_client()
    page = client.get("/admin/login", base_url="http://panel-web-1:8000").get_data(as_text=True)
    data = {"email": "maria-jose@ipu.example.org", "password": "correct horse battery staple",
            "csrf_token": csrf_token_from(page)}
    response = client.post("/admin/login", data=data, base_url="http://panel-web-1:8000",
                           headers={"Origin": HTTPS, "Referer": f"{HTTPS}/admin/login"})
    assert response.status_code == 303
