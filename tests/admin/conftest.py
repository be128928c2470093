"""Console fixtures: accounts per role, signed-in browsers, a SQL query counter."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from panel_app.models import User
from tests.clients import new_browser
from tests.conftest import csrf_from

PASSWORD = "correct horse battery staple"


@pytest.fixture
def make_user(db):
    """`make_user(role="viewer", email=...)` commits and returns a console account."""
    counter = {"n": 0}

    def make(role: str = "organiser", email: str | None = None, password: str = PASSWORD, **overrides) -> User:
        counter["n"] += 1
        user = User(email=email or f"{role}{counter['n']}@ipu.example.org", role=role, **overrides)
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
        return user

    return make


def sign_in(client, email: str, password: str = PASSWORD, next_url: str | None = None):
    token = csrf_from(client, "/admin/login")
    url = "/admin/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture
def browser(app):
    """`browser()` returns a fresh, signed-out client (own cookies, own app context per request)."""
    return lambda: new_browser(app)


@pytest.fixture
def signed_in(app, make_user):
    """`signed_in("viewer")` returns (client, user) for a new account with that role."""

    def make(role: str = "organiser"):
        user = make_user(role)
        client = new_browser(app)
        response = sign_in(client, user.email)
        assert response.status_code == 303, response.get_data(as_text=True)
        return client, user

    return make


@pytest.fixture
def organiser(signed_in):
    return signed_in("organiser")[0]


@pytest.fixture
def post(app):
    """`post(client, url, data, form_url=...)`: POST with the session's CSRF token."""

    def send(client, url, data=None, *, form_url="/admin/events", **kwargs):
        token = csrf_from(client, form_url)
        return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)

    return send


@pytest.fixture
def count_queries(app):
    """`with count_queries() as queries:` collects every SQL statement the app runs."""
    from panel_app.extensions import db as _db

    @contextmanager
    def counting():
        statements: list[str] = []

        def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = _db.engine
        sa.event.listen(engine, "before_cursor_execute", before_cursor_execute)
        try:
            yield statements
        finally:
            sa.event.remove(engine, "before_cursor_execute", before_cursor_execute)

    return counting
