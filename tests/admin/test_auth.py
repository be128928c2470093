"""Signing in and out, lockout, safe redirects, and what each role may do (admin/auth.py)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from panel_app.admin.auth import MAX_FAILED_LOGINS, safe_next
from panel_app.models import AuditEntry, User
from tests.admin.conftest import PASSWORD, sign_in
from tests.conftest import csrf_from
from tests.security.conftest import make_isolated_app  # noqa: F401  (a fixture)


def test_login_page_has_contract_fields_with_visible_labels(browser):
    html = browser().get("/admin/login").get_data(as_text=True)
    for name in ("email", "password", "csrf_token"):
        assert f'name="{name}"' in html
    assert '<label for="email">' in html and '<label for="password">' in html


def test_console_pages_redirect_to_login_with_next(browser, make_event):
    event = make_event()
    response = browser().get(f"/admin/events/{event.slug}/registrations")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=")


def test_login_succeeds_starts_a_new_session_and_is_audited(browser, make_user, db):
    user = make_user("organiser")
    client = browser()
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    response = sign_in(client, user.email)
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/events"
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == str(user.id)
    assert client.get("/admin/events").status_code == 200
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.user_id == user.id)) == "login"


def test_wrong_password_is_refused_and_counted(browser, make_user, db):
    user = make_user("organiser")
    response = sign_in(browser(), user.email, "wrong password")
    assert response.status_code == 401
    assert "not right" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).failed_logins == 1


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(browser, db):
    response = sign_in(browser(), "nobody@example.org", "whatever")
    assert response.status_code == 401
    assert "not right" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(AuditEntry.action)) == "login.failed"


def test_repeated_failures_lock_the_account_even_for_the_right_password(browser, make_user, db):
    user = make_user("organiser")
    client = browser()
    for _ in range(MAX_FAILED_LOGINS):
        assert sign_in(client, user.email, "wrong password").status_code == 401
    db.session.expire_all()
    assert db.session.get(User, user.id).locked_until is not None
    response = sign_in(client, user.email, PASSWORD)
    assert response.status_code == 401
    assert "locked" in response.get_data(as_text=True)
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-1] == "login.locked"


def test_disabled_account_cannot_sign_in(browser, make_user):
    user = make_user("organiser", active=False)
    assert sign_in(browser(), user.email).status_code == 401


def test_safe_next_is_followed(browser, make_user, make_event):
    user = make_user("viewer")
    event = make_event()
    response = sign_in(browser(), user.email, next_url=f"/admin/events/{event.slug}")
    assert response.headers["Location"] == f"/admin/events/{event.slug}"


def test_offsite_next_is_ignored(browser, make_user):
    user = make_user("viewer")
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = sign_in(browser(), user.email, next_url=target)
        assert response.headers["Location"] == "/admin/events", target


def test_safe_next_rules():
    assert safe_next("/admin/events?page=2") == "/admin/events?page=2"
    assert safe_next("//evil.example") is None
    assert safe_next("https://evil.example") is None
    assert safe_next("/ok\r\nSet-Cookie: x") is None
    assert safe_next("x" * 3000) is None


def test_forged_csrf_on_login_is_refused(browser, make_user):
    user = make_user("organiser")
    client = browser()
    client.get("/admin/login")
    response = client.post("/admin/login", data={"email": user.email, "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/admin/events").status_code == 302


def test_logout_ends_the_session(signed_in):
    client, _ = signed_in("viewer")
    token = csrf_from(client, "/admin/events")
    response = client.post("/admin/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert client.get("/admin/events").status_code == 302


def test_viewer_reads_and_exports_but_every_post_is_forbidden(signed_in, make_event, make_registration):
    client, _ = signed_in("viewer")
    event = make_event()
    registration, _ = make_registration(event, status="pending")
    for url in (f"/admin/events/{event.slug}", f"/admin/events/{event.slug}/registrations",
                f"/admin/events/{event.slug}/registrations/{registration.id}",
                f"/admin/events/{event.slug}/registrations.csv", f"/admin/events/{event.slug}/registrations.xlsx",
                f"/admin/events/{event.slug}/participants", f"/admin/events/{event.slug}/messages"):
        assert client.get(url).status_code == 200, url
    token = csrf_from(client, "/admin/events")
    for url in (
        f"/admin/events/{event.slug}/registrations/bulk",
        f"/admin/events/{event.slug}/registrations/{registration.id}/action",
        f"/admin/events/{event.slug}/publish",
        f"/admin/events/{event.slug}/cancel",
        "/admin/events/new",
        f"/admin/events/{event.slug}/messages",
        f"/admin/events/{event.slug}/edit",
    ):
        response = client.post(url, data={"csrf_token": token, "action": "approve", "ids": [registration.id]})
        assert response.status_code == 403, url
    assert client.get("/admin/events/new").status_code == 403


def test_only_admins_see_accounts_and_audit_log(signed_in):
    organiser, _ = signed_in("organiser")
    admin, _ = signed_in("admin")
    for url in ("/admin/users", "/admin/audit"):
        assert organiser.get(url).status_code == 403
        assert admin.get(url).status_code == 200


def test_login_posts_follow_the_configured_limit_only(make_isolated_app):  # noqa: F811
    app = make_isolated_app(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="25 per minute")
    client = app.test_client()
    token = csrf_from(client, "/admin/login")
    statuses = [
        client.post(
            "/admin/login", data={"email": f"nobody{n}@ipu.example.org", "password": "wrong", "csrf_token": token}
        ).status_code
        for n in range(26)
    ]
    assert statuses[:25] == [401] * 25
    assert statuses[25] == 429


def test_personal_data_pages_follow_the_console_access_rule(signed_in, browser):
    anonymous = browser().get("/admin/privacy")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/admin/login?next=")
    for role in ("viewer", "organiser"):
        client, _ = signed_in(role)
        assert client.get("/admin/privacy").status_code == 403, role
        token = csrf_from(client, "/admin/events")
        refused = client.post("/admin/privacy/export", data={"csrf_token": token, "email": "amina@parliament.example"})
        assert refused.status_code == 403, role
    admin, _ = signed_in("admin")
    page = admin.get("/admin/privacy")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'href="/admin/privacy"' in admin.get("/admin/events").get_data(as_text=True)  # the console's menu


def test_every_console_page_sends_anonymous_visitors_to_sign_in(app, browser, make_event, make_registration):
    event = make_event(title="Solidarité parlementaire")
    registration, _ = make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk")
    values = {"slug": event.slug, "registration_id": registration.id, "user_id": 1, "interpreter_id": 1,
              "speaker_id": 1, "endpoint_id": 1}
    pages = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("admin.") and rule.endpoint != "admin.login" and "GET" in rule.methods:
                pages.append(url_for(rule.endpoint, **{k: values[k] for k in rule.arguments}))
    assert len(pages) >= 12
    client = browser()
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login?next="), url
