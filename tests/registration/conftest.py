"""Helpers for the public registration tests: counting rows and reading pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panel_app.models import Registration
from tests.registration.helpers import new_browser


@pytest.fixture
def client(app):
    """A browser whose requests each get their own app context (see IsolatedClient)."""
    return new_browser(app)


@pytest.fixture
def browser(app):
    """`browser()` makes another independent browser (own cookies and session)."""
    return lambda: new_browser(app)


@pytest.fixture
def registrations(db):
    """`registrations()` returns every registration row, freshly read from the database."""

    def read(**filters) -> list[Registration]:
        db.session.expire_all()
        query = sa.select(Registration).order_by(Registration.id)
        for name, value in filters.items():
            query = query.where(getattr(Registration, name) == value)
        return list(db.session.scalars(query))

    return read


@pytest.fixture
def register_url():
    def url(event) -> str:
        return f"/events/{event.slug}/register"

    return url
