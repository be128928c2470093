"""Helpers for the public registration tests: counting rows and reading pages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panel_app.models import Registration


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
