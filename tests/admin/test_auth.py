"""Signing in and out, the sign-in throttle, session lifetimes, safe redirects, and what each role
may do (admin/auth.py, admin/throttle.py)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import url_for

from panel_app.admin import throttle
from panel_app.admin.auth import safe_next
from panel_app.models import AuditEntry, User, utcnow
from panel_app.models.user import LoginThrottle
from tests.admin.conftest import PASSWORD, sign_in
from tests.clients import new_browser
from tests.conftest import csrf_from, csrf_token_from
from tests.operations.conftest import Clock
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
        assert session["_user_id"] == f"{user.id}:{user.session_token}"
    assert client.get("/admin/events").status_code == 200
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.user_id == user.id)) == "login"


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


@pytest.mark.parametrize(("target", "kept"), [
    ("/admin/events/solidarite/registrations?q=Amina Diallo&status=pending", True),  # a space is a fine query
    ("///evil.example/admin", False),  # browsers read three slashes as another host
    ("/\\evil.example", False),
    ("/admin/events\t", False),
    ("/" + "a" * 1999, True),  # the longest next kept: 2000 characters
    ("/" + "a" * 2000, False),
    ("", False),
    (None, False),
])
def test_next_keeps_every_path_of_this_site_and_nothing_that_leads_elsewhere(target, kept):
    assert safe_next(target) == (target if kept else None)


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
              "walk_in_id": 1, "speaker_id": 1, "endpoint_id": 1, "letter_id": 1,
              "organisation_id": 1, "contact_id": 1}
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


# --- Sign-in throttle: slow guessing, never lock the owner out --------------------------

OWNER = "maria-jose.nunez-ozturk@ipu.example.org"


@pytest.fixture
def clock(monkeypatch):
    """The instant sign-in and console sessions believe it is; moves when the test says so."""
    clock = Clock(utcnow().replace(microsecond=0))
    monkeypatch.setattr("panel_app.admin.auth.utcnow", clock)
    return clock


def attempt(client, email: str, password: str, address: str = "192.0.2.10"):
    """One sign-in POST from `address` (the CSRF token read from the login page first)."""
    environ = {"REMOTE_ADDR": address}
    page = client.get("/admin/login", environ_base=environ).get_data(as_text=True)
    return client.post("/admin/login", data={"email": email, "password": password,
                                             "csrf_token": csrf_token_from(page)}, environ_base=environ)


def test_a_wrong_password_is_refused_and_counted_for_that_email_and_address(browser, make_user, db, clock):
    make_user("organiser", email=OWNER)
    response = attempt(browser(), OWNER, "wrong password")
    assert response.status_code == 401
    assert "not right" in response.get_data(as_text=True)
    rows = db.session.scalars(sa.select(LoginThrottle)).all()
    assert {(row.address, row.failures) for row in rows} == {("192.0.2.10", 1), ("*", 1)}
    assert OWNER not in " ".join(row.account_key for row in rows)  # only a keyed hash is kept


def test_failures_from_one_address_make_it_wait_for_that_email_only(app, browser, make_user, db, clock):
    make_user("organiser", email=OWNER)
    client = browser()
    for _ in range(throttle.FREE_FAILURES):
        assert attempt(client, OWNER, "wrong password").status_code == 401
    refused = attempt(client, OWNER, PASSWORD)  # even the right password waits its turn here
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert "Wait 1 min and try again." in refused.get_data(as_text=True)
    # The same address may still try other emails, and the owner elsewhere signs in at once.
    assert attempt(client, "someone.else@ipu.example.org", "wrong password").status_code == 401
    assert attempt(browser(), OWNER, PASSWORD, address="198.51.100.23").status_code == 303
    clock.advance(seconds=61)
    assert attempt(client, OWNER, "wrong password").status_code == 401
    assert attempt(client, OWNER, PASSWORD).status_code == 429  # the second wait is twice as long
    clock.advance(minutes=2, seconds=1)
    assert attempt(client, OWNER, PASSWORD).status_code == 303
    key = throttle.account_key(app.config["SECRET_KEY"], OWNER)
    assert db.session.scalars(sa.select(LoginThrottle.address).where(LoginThrottle.account_key == key)).all() == ["*"]
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions.count("login.throttled") == 2 and actions[-1] == "login"


def test_a_stranger_cannot_lock_the_owner_out(browser, make_user, clock):
    make_user("organiser", email=OWNER)
    for n in range(60):  # a distributed guess: 60 wrong passwords from 20 addresses
        attempt(browser(), OWNER, f"guess {n}", address=f"203.0.113.{n % 20}")
    assert attempt(browser(), OWNER, PASSWORD, address="198.51.100.23").status_code == 303


def test_an_email_under_attack_makes_every_address_wait_after_its_first_failure(browser, make_user, clock):
    make_user("organiser", email=OWNER)
    for n in range(throttle.ACCOUNT_CEILING):
        assert attempt(browser(), OWNER, f"guess {n}", address=f"203.0.113.{n}").status_code == 401
    newcomer = browser()
    assert attempt(newcomer, OWNER, "one more guess", address="203.0.113.200").status_code == 401
    assert attempt(newcomer, OWNER, "and another", address="203.0.113.200").status_code == 429
    # The owner, from an address that has not failed, still signs in; and after a typo waits
    # a minute, not an hour.
    owner = browser()
    assert attempt(owner, OWNER, "typo", address="198.51.100.23").status_code == 401
    assert attempt(owner, OWNER, PASSWORD, address="198.51.100.23").status_code == 429
    clock.advance(seconds=61)
    assert attempt(owner, OWNER, PASSWORD, address="198.51.100.23").status_code == 303


def test_cool_downs_double_up_to_an_hour():
    minutes = [throttle.cool_down(n, guarded=False).total_seconds() / 60 for n in range(4, 14)]
    assert minutes == [0, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert throttle.cool_down(1, guarded=True).total_seconds() == 60
    assert throttle.cool_down(10**6, guarded=False).total_seconds() == 3600


def _answer(response) -> tuple[int, str | None, str]:
    text = re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", response.get_data(as_text=True))
    return response.status_code, response.headers.get("Retry-After"), text


def test_known_and_unknown_emails_get_the_same_answers(browser, make_user, clock):
    make_user("organiser", email=OWNER)
    unknown = "amina.diallo@ipu.example.org"
    known_client, unknown_client = browser(), browser()
    for n in range(throttle.FREE_FAILURES + 2):
        known = _answer(attempt(known_client, OWNER, f"guess {n}"))
        strange = _answer(attempt(unknown_client, unknown, f"guess {n}"))
        assert known[:2] == strange[:2], n
        assert known[2].replace(OWNER, unknown) == strange[2], n
    assert known[0] == 429
    assert "locked" not in known[2]


def test_unknown_emails_cost_a_real_password_check():
    from panel_app.admin import auth

    user = User(email=OWNER)
    user.set_password(PASSWORD)
    # Same method and cost parameters as every account's hash, so the time taken says nothing.
    assert auth._DUMMY_HASH.split("$")[0] == user.password_hash.split("$")[0]


def test_disabled_account_gets_the_wrong_password_answer(browser, make_user, clock):
    make_user("organiser", email=OWNER, active=False)
    response = attempt(browser(), OWNER, PASSWORD)
    assert response.status_code == 401 and "not right" in response.get_data(as_text=True)


# --- Console sessions end when they should ----------------------------------------------

def _copy_session(source, app):
    """A second browser holding a copy of `source`'s session cookie (a stolen cookie)."""
    thief = new_browser(app)
    thief.set_cookie("session", source.get_cookie("session").value)
    return thief


def test_signing_out_ends_every_session_of_the_account_even_a_copied_cookie(app, browser, make_user, clock):
    make_user("organiser", email=OWNER)
    client, laptop = browser(), browser()
    assert attempt(client, OWNER, PASSWORD).status_code == 303
    assert attempt(laptop, OWNER, PASSWORD, address="198.51.100.23").status_code == 303
    thief = _copy_session(client, app)
    assert thief.get("/admin/events").status_code == 200
    assert client.post("/admin/logout", data={"csrf_token": csrf_from(client, "/admin/events")}).status_code == 303
    for other in (thief, laptop):
        response = other.get("/admin/events")
        assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")


def test_a_password_change_ends_every_session(app, browser, make_user, db, clock):
    from panel_app.admin.users.services import create_user

    make_user("organiser", email=OWNER)
    client = browser()
    assert attempt(client, OWNER, PASSWORD).status_code == 303
    create_user(db.session, email=OWNER, password="a brand new long passphrase", role="organiser",
                actor="cli", replace_existing=True)
    db.session.commit()
    assert client.get("/admin/events").status_code == 302
    assert attempt(browser(), OWNER, "a brand new long passphrase").status_code == 303


def test_deactivating_an_account_ends_its_sessions(app, browser, signed_in, make_user, db, clock):
    user = make_user("organiser", email=OWNER)
    client = browser()
    assert attempt(client, OWNER, PASSWORD).status_code == 303
    admin, _ = signed_in("admin")
    prefix = f"u{user.id}-"
    token = csrf_from(admin, "/admin/users")
    assert admin.post(f"/admin/users/{user.id}", data={prefix + "csrf_token": token,
                                                       prefix + "role": "organiser"}).status_code == 303
    assert client.get("/admin/events").status_code == 302
    assert attempt(client, OWNER, PASSWORD).status_code == 401


def test_an_idle_session_ends_after_the_configured_minutes(app, browser, make_user, monkeypatch, clock):
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 30)
    make_user("organiser", email=OWNER)
    client = browser()
    assert attempt(client, OWNER, PASSWORD).status_code == 303
    clock.advance(minutes=29)
    assert client.get("/admin/events").status_code == 200  # activity moves the idle limit on
    clock.advance(minutes=29)
    assert client.get("/admin/events").status_code == 200
    clock.advance(minutes=30, seconds=1)
    response = client.get("/admin/events")
    assert response.status_code == 302 and response.headers["Location"].startswith("/admin/login")


def test_a_session_ends_after_the_configured_hours_however_busy(app, browser, make_user, monkeypatch, clock):
    monkeypatch.setitem(app.config, "SESSION_MAX_HOURS", 12)
    make_user("organiser", email=OWNER)
    client = browser()
    assert attempt(client, OWNER, PASSWORD).status_code == 303
    for _ in range(12 * 3):
        assert client.get("/admin/events").status_code == 200
        clock.advance(minutes=20)
    assert client.get("/admin/events").status_code == 302
    assert attempt(client, OWNER, PASSWORD).status_code == 303  # signing in again starts afresh


def test_a_session_cookie_from_before_the_session_tokens_no_longer_loads_an_account(app, browser, make_user):
    user = make_user("organiser", email=OWNER)
    client = browser()
    with client.session_transaction() as session:  # the cookie this app wrote before
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    assert client.get("/admin/events").status_code == 302
