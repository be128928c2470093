"""Fixtures shared by the export tests."""

from __future__ import annotations

import pytest

from panel_app.models import User


@pytest.fixture
def organiser(db) -> User:
    user = User(email="maría-josé.núñez@ipu.example.org", role="organiser")
    user.set_password("correct horse battery staple")
    db.session.add(user)
    db.session.commit()
    return user
