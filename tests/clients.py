"""Test clients that behave like separate browsers."""

from __future__ import annotations

from flask.testing import FlaskClient


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    The `db` fixture keeps an app context open for the whole test, and Flask reuses an open
    app context for requests; without this, `g` (where Flask-WTF caches the CSRF token),
    Flask-Login's user and the scoped database session would leak between requests and
    between browsers, hiding bugs.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def new_browser(app) -> IsolatedClient:
    """A fresh browser: own cookie jar, own session."""
    return IsolatedClient(app, app.response_class, use_cookies=True)
