"""Safe defaults an operator gets without setting anything: the sign-in rate limit, caches told
that pages vary by language cookie, and the language cookie kept to HTTPS on an HTTPS site."""

from __future__ import annotations

from panel_app.core.locale import LANGUAGE_COOKIE
from tests.conftest import csrf_from
from tests.factories import EventFactory
from tests.security.conftest import make_isolated_app  # noqa: F401  (a fixture)


def _vary(response) -> set[str]:
    return {part.strip() for part in response.headers.get("Vary", "").split(",") if part.strip()}


def test_sign_in_allows_ten_attempts_a_minute_per_address_by_default(make_isolated_app, monkeypatch):  # noqa: F811
    monkeypatch.delenv("RATELIMIT_LOGIN", raising=False)
    app = make_isolated_app(RATELIMIT_ENABLED=True)
    assert app.config["RATELIMIT_LOGIN"] == "10 per minute"
    client = app.test_client()
    token = csrf_from(client, "/admin/login")
    statuses = [client.post("/admin/login", data={"email": f"guess{n}@ipu.example.org", "password": "wrong",
                                                  "csrf_token": token}).status_code for n in range(11)]
    assert statuses == [401] * 10 + [429]


def test_pages_tell_caches_they_vary_by_language_cookie_and_browser_language(client, make_event):
    event = make_event(title="Parlamentos y cambio climático")
    for url in (f"/events/{event.slug}", f"/events/{event.slug}/register", "/admin/login"):
        response = client.get(url)
        assert {"Cookie", "Accept-Language"} <= _vary(response), url


def test_a_page_that_already_varies_keeps_its_reasons_and_adds_language_and_cookie(make_isolated_app):  # noqa: F811
    app = make_isolated_app()
    app.add_url_rule("/_test/varies", "varies",
                     lambda: ("<p>Solidarité</p>", 200, {"Vary": "Accept-Encoding", "Content-Type": "text/html"}))
    response = app.test_client().get("/_test/varies")
    assert _vary(response) == {"Accept-Encoding", "Accept-Language", "Cookie"}


def test_the_language_cookie_is_secure_on_an_https_site_only(make_isolated_app, client, make_event):  # noqa: F811
    secure_app = make_isolated_app(BASE_URL="https://events.ipu.example.org")
    with secure_app.app_context():
        from panel_app.extensions import db

        event = EventFactory.build()
        db.session.add(event)
        db.session.commit()
        slug = event.slug
    response = secure_app.test_client().get(f"/events/{slug}?lang=fr", base_url="https://events.ipu.example.org")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{LANGUAGE_COOKIE}="))
    assert "Secure" in cookie and "HttpOnly" in cookie
    plain = client.get(f"/events/{make_event().slug}?lang=fr")  # http: a Secure cookie would never come back
    cookie = next(h for h in plain.headers.getlist("Set-Cookie") if h.startswith(f"{LANGUAGE_COOKIE}="))
    assert "Secure" not in cookie
