"""API fixtures: tokens per scope, a client that sends them, realistic data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from panel_app.api import tokens
from panel_app.models import User, utcnow
from tests.admin.conftest import count_queries  # noqa: F401
from tests.factories import build_registration
from tests.security.conftest import make_isolated_app  # noqa: F401  (rate limits need their own app)

#: Long, accented names as parliaments' registers spell them.
NAMES = [
    ("María-José", "Ñúñez-Öztürk"), ("Zoë", "Hernández de la Peña y Ðorđević"), ("Amina", "Diallo"),
    ("Bjørn", "Ødegård-Åsheim"), ("Nguyễn", "Thị Minh Khai"), ("Chloé", "Lefèvre-Saint-Aubin"),
    ("Oluwaseun", "Adébáyọ̀"), ("Ana Lúcia", "Gonçalves Conceição"), ("Jiří", "Dvořák"), ("Søren", "Kierkegård"),
]


@dataclass
class ApiClient:
    """A test client that sends `Authorization: Bearer <token>` with every request."""

    client: object
    token: str

    def _headers(self, headers=None):
        return {"Authorization": f"Bearer {self.token}", **(headers or {})}

    def get(self, url, **kwargs):
        return self.client.get(url, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, url, **kwargs):
        return self.client.post(url, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def patch(self, url, **kwargs):
        return self.client.patch(url, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def put(self, url, **kwargs):
        return self.client.put(url, headers=self._headers(kwargs.pop("headers", None)), **kwargs)


@pytest.fixture
def admin_user(db):
    user = User(email="secretariat@ipu.example.org", role="admin")
    user.set_password("correct horse battery staple")
    db.session.add(user)
    db.session.commit()
    return user


@pytest.fixture
def make_token(db, admin_user):
    """`make_token(scope="write", name=..., expires_in=timedelta|None)` -> (secret, token row id)."""

    def make(scope: str = "write", name: str = "Parliaments CRM — synchronisation", expires_in=timedelta(days=90)):
        now = utcnow()
        issued = tokens.issue(db.session, name=name, scope=scope, expires_at=now + expires_in if expires_in else None,
                              user=db.session.get(User, admin_user.id), now=now)
        db.session.commit()
        return issued.secret, issued.token.id

    return make


@pytest.fixture
def api(client, make_token):
    """A client with a read and write token."""
    secret, _ = make_token("write")
    return ApiClient(client, secret)


@pytest.fixture
def read_api(client, make_token):
    secret, _ = make_token("read", name="Reporting spreadsheet")
    return ApiClient(client, secret)


@pytest.fixture
def populate(db):
    """`populate(event, n, **overrides)` adds n registrations with accented names; returns them."""

    counter = {"n": 0}

    def add(event, n, **overrides):
        rows = []
        for _ in range(n):
            i = counter["n"]
            counter["n"] += 1
            first, last = NAMES[i % len(NAMES)]
            values = {"first_name": first, "last_name": f"{last} {i:03d}",
                      "email": f"delegate{i}.{event.id}@parliament.example",
                      "organisation": "Assemblée nationale du Sénégal" if i % 3 == 0 else "Cortes Generales",
                      "language": ("en", "fr", "es")[i % 3], **overrides}
            registration, _ = build_registration(event, **values)
            registration.created_at = utcnow() - timedelta(minutes=100_000 - i)  # in the order added
            rows.append(registration)
        db.session.add_all(rows)
        db.session.commit()
        return rows

    return add


def problem(response) -> dict:
    """The problem document of an error response (checks it is one)."""
    assert response.mimetype == "application/problem+json", (response.status_code, response.get_data(as_text=True))
    document = response.get_json(force=True)
    assert document["status"] == response.status_code
    assert document["type"].startswith("/api/v1/problems/")
    assert document["title"] and document["detail"] and document["instance"]
    return document
