"""Shared fixtures: an app per database backend with migrations applied, a clean database
per test, a test client, factories, and helpers for forms with CSRF tokens.

The suite runs every app-level test on SQLite and, when TEST_DATABASE_URL is set, again
on PostgreSQL (a throw-away database is created for the run and dropped afterwards, so
parallel runs never collide).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from panel_app.extensions import db as _db
from tests import factories
from tests.apps import build_app, serving
from tests.clients import new_browser

BACKENDS = ["sqlite", "postgresql"]


def _sqlite_template() -> str | None:
    """A migrated SQLite file to copy instead of migrating (set by scripts/mutation.py, where
    each mutant starts a fresh test session and the migrations would dominate its time)."""
    return os.environ.get("TEST_SQLITE_TEMPLATE") or None


def _postgres_admin_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A fresh, empty database for the test session on each backend."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "test.sqlite3"
        if _sqlite_template():
            shutil.copyfile(_sqlite_template(), path)
        yield f"sqlite:///{path}"
        return
    admin_url = _postgres_admin_url()
    if not admin_url:
        pytest.skip("TEST_DATABASE_URL not set: PostgreSQL run skipped")
    from config import normalise_database_url

    admin_url = normalise_database_url(admin_url)
    name = f"panel_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """The app, built once per backend, with the schema created by the migrations."""
    migrated = database_url.startswith("sqlite") and _sqlite_template() is not None
    application = build_app(tmp_path_factory.mktemp("instance"), database_url, migrate=not migrated)
    yield application
    with application.app_context():
        _db.engine.dispose()


@pytest.fixture
def app_context(app):
    with app.app_context() as ctx:
        yield ctx


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Empty every table after each test that used the app (tests commit for real)."""
    yield
    if "app" not in request.fixturenames:
        return
    application = request.getfixturevalue("app")
    with application.app_context():
        _db.session.remove()
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    conn.execute(sa.text(f'DELETE FROM "{table}"'))


@pytest.fixture
def db(app_context):
    """The Flask-SQLAlchemy handle, inside an app context."""
    yield _db
    _db.session.remove()


@pytest.fixture
def client(app):
    """A browser: own cookie jar and session; each request in its own app context."""
    return new_browser(app)


@pytest.fixture
def browser(app):
    """`browser()` makes another independent browser (own cookies and session)."""
    return lambda: new_browser(app)


@pytest.fixture
def make_event(db):
    """Factory: `make_event(capacity=5, approval_mode="manual", ...)` commits and returns an Event."""

    def make(**overrides):
        event = factories.EventFactory.build(**overrides)
        db.session.add(event)
        db.session.commit()
        return event

    return make


@pytest.fixture
def make_registration(db):
    """Factory: `make_registration(event, status="waitlisted", ...)` commits and returns (registration, token)."""

    def make(event, **overrides):
        registration, token = factories.build_registration(event, **overrides)
        db.session.add(registration)
        db.session.commit()
        return registration, token

    return make


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    """The CSRF token of the (first) form in a page."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def csrf_from(client, url: str) -> str:
    """The session's CSRF token, read from the page at `url` (which must carry a form)."""
    return csrf_token_from(client.get(url).get_data(as_text=True))


@pytest.fixture
def submit_form():
    """`submit_form(client, url, data)`: GET the form for a CSRF token, then POST `data` with it."""

    def submit(client, url, data, *, follow_redirects=False, **kwargs):
        return client.post(url, data={"csrf_token": csrf_from(client, url), **data}, follow_redirects=follow_redirects,
                           **kwargs)

    return submit


@pytest.fixture
def live_server(app):
    """The app served by a real threaded HTTP server on loopback; yields its base URL."""
    with serving(app) as base_url:
        yield base_url


@pytest.fixture
def outbox(app, monkeypatch, tmp_path):
    """Mail written to a fresh outbox folder (no MAIL_SERVER); returns the folder."""
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_PATH", str(folder))
    return folder


@pytest.fixture
def empty_queue(app):
    """Start (and end) the test with an empty job queue; after-commit jobs pile up otherwise."""
    huey = app.extensions["job_queue"].huey  # this app's queue, whichever app was built last
    huey.flush()
    yield
    huey.flush()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def future():
    """Instants relative to now: `future(days=3)`."""

    def at(**delta) -> datetime:
        return (datetime.now(timezone.utc) + timedelta(**delta)).replace(microsecond=0)

    return at
