"""The accounts page (admin/users/views.py): creating, unlocking, changing roles."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from panel_app.models import User, utcnow
from tests.conftest import csrf_from


def test_admin_creates_and_unlocks_accounts(signed_in, post, db, make_user):
    admin, _ = signed_in("admin")
    response = post(
        admin,
        "/admin/users",
        {"email": "new@ipu.example.org", "password": "a long enough password", "role": "viewer"},
        form_url="/admin/users",
    )
    assert response.status_code == 303
    created = db.session.scalar(sa.select(User).where(User.email == "new@ipu.example.org"))
    assert created.role == "viewer" and created.check_password("a long enough password")
    duplicate = post(
        admin,
        "/admin/users",
        {"email": "new@ipu.example.org", "password": "a long enough password", "role": "viewer"},
        form_url="/admin/users",
    )
    assert duplicate.status_code == 422 and "already exists" in duplicate.get_data(as_text=True)

    locked = make_user("organiser", locked_until=utcnow() + timedelta(minutes=10))
    html = admin.get("/admin/users").get_data(as_text=True)
    token = csrf_from(admin, "/admin/users")
    prefix = f"u{locked.id}-"
    response = admin.post(
        f"/admin/users/{locked.id}",
        data={
            prefix + "csrf_token": token,
            prefix + "role": "organiser",
            prefix + "active": "y",
            prefix + "unlock": "y",
        },
    )
    assert response.status_code == 303, html
    db.session.expire_all()
    assert db.session.get(User, locked.id).locked_until is None


def test_admin_cannot_demote_themselves(signed_in, db):
    admin, user = signed_in("admin")
    token = csrf_from(admin, "/admin/users")
    prefix = f"u{user.id}-"
    admin.post(
        f"/admin/users/{user.id}",
        data={prefix + "csrf_token": token, prefix + "role": "viewer", prefix + "active": "y"},
    )
    db.session.expire_all()
    assert db.session.get(User, user.id).role == "admin"
