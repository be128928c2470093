"""Test helpers shared by the public-flow tests (registration, events, error pages)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    The shared `db` fixture keeps an app context open for the whole test; Flask reuses an
    open app context for requests, so without this `g` (where Flask-WTF caches the CSRF
    token) and the scoped database session would be shared between requests and between
    browsers, hiding bugs and leaking one browser's CSRF token into another's form.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def new_browser(app) -> IsolatedClient:
    """A fresh browser: own cookie jar, own session."""
    return IsolatedClient(app, app.response_class, use_cookies=True)


def csrf_from(client, url: str) -> str:
    """The session's CSRF token, read from a page that carries a form."""
    match = CSRF_RE.search(client.get(url).get_data(as_text=True))
    assert match, f"{url} has no CSRF token"
    return match.group(1)
