"""The accounts page (admin/users/views.py): creating, unlocking, changing roles."""

from __future__ import annotations

import sqlalchemy as sa

from panel_app.models import AuditEntry, User, utcnow
from tests.conftest import csrf_from


def test_admin_creates_accounts_and_clears_failed_sign_ins(app, signed_in, post, db, make_user):
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

    # Someone guessed at an organiser's password from two addresses: the page shows it, and an
    # administrator can make the throttle forget it (the owner then signs in at once anywhere).
    locked = make_user("organiser", email="amina.diallo@ipu.example.org")
    from panel_app.admin import throttle

    key = throttle.account_key(app.config["SECRET_KEY"], locked.email)
    for address in ["203.0.113.7"] * 6 + ["198.51.100.2"]:
        throttle.record_failure(db.session, key, address, utcnow())
    db.session.commit()
    html = admin.get("/admin/users").get_data(as_text=True)
    assert "Failed sign-ins (24 h)" in html and "<td>7</td>" in html
    assert throttle.retry_after(db.session, key, "203.0.113.7", utcnow()) is not None
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
    assert throttle.retry_after(db.session, key, "203.0.113.7", utcnow()) is None
    assert "<td>7</td>" not in admin.get("/admin/users").get_data(as_text=True)
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.edit"))
    assert audit.details == {"email": locked.email, "unlocked": True}


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
