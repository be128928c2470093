"""Retention, erasure from the private page, and an admin's export/erasure of one person."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from panel_app.models import (
    ErasureRecord,
    Registration,
    RegistrationStatus,
    User,
    UserRole,
    utcnow,
)
from panel_app.privacy import services
from panel_app.privacy.jobs import erase_expired_personal_data
from tests.conftest import csrf_token_from

PERSONAL = ("salutation", "first_name", "last_name", "email", "organisation", "committees", "accessibility_needs")


def _assert_anonymised(registration):
    for field in PERSONAL:
        assert getattr(registration, field) == "", field
    assert registration.email_normalized == f"erased:{registration.id}"


def _past_event(make_event, days_ago):
    end = utcnow() - timedelta(days=days_ago)
    return make_event(starts_at=end - timedelta(hours=2), ends_at=end)


def test_retention_job_anonymises_old_events_and_keeps_counts(app, db, make_event, make_registration):
    old = _past_event(make_event, 91)
    recent = _past_event(make_event, 10)
    kept, _ = make_registration(recent, email="keep@parliament.example", email_normalized="keep@parliament.example")
    for n, (language, status) in enumerate([("fr", "confirmed"), ("fr", "confirmed"), ("es", "cancelled")]):
        make_registration(old, email=f"p{n}@parliament.example", email_normalized=f"p{n}@parliament.example",
                          language=language, status=status, attended=(n == 0), attended_minutes=40 if n == 0 else None,
                          accessibility_needs="wheelchair", committees="Human rights")

    assert erase_expired_personal_data() == 3
    db.session.expire_all()
    rows = db.session.scalars(sa.select(Registration).where(Registration.event_id == old.id)).all()
    for row in rows:
        _assert_anonymised(row)
    # Anonymous counts survive: languages, statuses, attendance.
    assert sorted((r.language, r.status) for r in rows) == [
        ("es", "cancelled"),
        ("fr", "confirmed"),
        ("fr", "confirmed"),
    ]
    assert [r.attended_minutes for r in rows if r.attended] == [40]
    assert db.session.get(Registration, kept.id).email == "keep@parliament.example"
    record = db.session.scalar(sa.select(ErasureRecord).where(ErasureRecord.event_id == old.id))
    assert record.reason == "retention" and record.registrations == 3
    # Idempotent: a second run finds nothing left.
    assert erase_expired_personal_data() == 0


def test_retention_is_configurable_and_can_be_switched_off(app, db, make_event, make_registration):
    event = _past_event(make_event, 20)
    registration, _ = make_registration(event)
    report = services.erase_expired(db.session, now=utcnow(), retention_days=0)
    assert report.registrations == 0
    report = services.erase_expired(db.session, now=utcnow(), retention_days=30)
    assert report.registrations == 0
    report = services.erase_expired(db.session, now=utcnow(), retention_days=14)
    db.session.commit()
    assert report.registrations == 1
    _assert_anonymised(db.session.get(Registration, registration.id))


def test_retention_blanks_copies_in_attendance_tables(app, db, make_event, make_registration):
    from panel_app.models.base import Base

    event = _past_event(make_event, 100)
    registration, _ = make_registration(event)
    walk_ins = Base.metadata.tables.get("walk_ins")
    if walk_ins is not None:
        db.session.execute(
            sa.insert(walk_ins).values(
                event_id=event.id,
                participant_key="e:guest@x.example",
                name="Guest Person",
                email="guest@x.example",
                attended_minutes=5,
            )
        )
        db.session.commit()
    services.erase_expired(db.session, now=utcnow(), retention_days=90)
    db.session.commit()
    if walk_ins is not None:
        row = db.session.execute(sa.select(walk_ins)).one()
        assert (row.name, row.email) == ("", "")
        assert row.participant_key.startswith("erased:")


def test_registrant_erases_own_registration_from_private_page(app, db, client, make_event, make_registration):
    event = make_event(capacity=1)
    registration, token = make_registration(event)
    waiting, _ = make_registration(event, status=RegistrationStatus.WAITLISTED)
    page = client.get(f"/registrations/{token}")
    assert f"/registrations/{token}/erase" in page.get_data(as_text=True)

    confirm = client.get(f"/registrations/{token}/erase")
    assert confirm.status_code == 200
    response = client.post(
        f"/registrations/{token}/erase", data={"csrf_token": csrf_token_from(confirm.get_data(as_text=True))}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/privacy/erased")
    assert client.get(response.headers["Location"]).status_code == 200

    db.session.expire_all()
    erased = db.session.get(Registration, registration.id)
    _assert_anonymised(erased)
    assert erased.status == RegistrationStatus.CANCELLED
    assert db.session.get(Registration, waiting.id).status == RegistrationStatus.CONFIRMED  # seat passed on
    assert client.get(f"/registrations/{token}").status_code == 404  # the private link is dead
    assert client.get(f"/registrations/{token}/erase").status_code == 404
    record = db.session.scalar(sa.select(ErasureRecord))
    assert (record.reason, record.registrations, record.event_id) == ("registrant", 1, event.id)


def test_erasure_without_a_valid_form_token_changes_nothing(app, db, client, make_event, make_registration):
    registration, token = make_registration(make_event())
    response = client.post(f"/registrations/{token}/erase", data={"csrf_token": "forged"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).email.endswith("@parliament.example")


def test_erased_person_can_register_again(app, db, client, make_event, make_registration, submit_form):
    from tests.factories import registration_form_data

    event = make_event()
    registration, token = make_registration(
        event, email="amina.diallo@parliament.example", email_normalized="amina.diallo@parliament.example"
    )
    services.erase_registration(db.session, registration, now=utcnow(), reason="registrant")
    db.session.commit()
    response = submit_form(client, f"/events/{event.slug}/register", registration_form_data())
    assert response.status_code == 303
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Registration).where(Registration.event_id == event.id)
    )
    assert count == 2


def _login(client, db, role):
    user = User(email=f"{role}@ipu.example.org", role=role)
    user.set_password("correct horse battery")
    db.session.add(user)
    db.session.commit()
    db.session.refresh(user)
    from tests.admin.conftest import sign_in  # a real sign-in: a forged cookie no longer loads an account

    assert sign_in(client, user.email, "correct horse battery").status_code == 303
    return user


def _admin_form(client):
    return csrf_token_from(client.get("/admin/privacy").get_data(as_text=True))


def test_admin_exports_one_persons_data_across_events(app, db, client, make_event, make_registration):
    _login(client, db, UserRole.ADMIN)
    for event in (make_event(), make_event()):
        make_registration(event, email="Amina@Parliament.example", email_normalized="amina@parliament.example")
    make_registration(make_event(), email="other@parliament.example", email_normalized="other@parliament.example")
    response = client.post(
        "/admin/privacy/export", data={"email": " AMINA@parliament.example ", "csrf_token": _admin_form(client)}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert len(data["registrations"]) == 2
    assert {r["email"] for r in data["registrations"]} == {"Amina@Parliament.example"}
    assert all(r["consent_at"] and r["privacy_notice_version"] for r in data["registrations"])


def test_admin_erases_one_person_across_events(app, db, client, make_event, make_registration):
    admin = _login(client, db, UserRole.ADMIN)
    ids = [
        make_registration(make_event(), email="amina@parliament.example", email_normalized="amina@parliament.example")[
            0
        ].id
        for _ in range(2)
    ]
    other, _ = make_registration(
        make_event(), email="other@parliament.example", email_normalized="other@parliament.example"
    )
    token = _admin_form(client)
    refused = client.post("/admin/privacy/erase", data={"email": "amina@parliament.example", "csrf_token": token})
    assert refused.status_code == 422  # the confirmation box is required
    response = client.post(
        "/admin/privacy/erase", data={"email": "amina@parliament.example", "confirm": "y", "csrf_token": token}
    )
    assert response.status_code == 303
    db.session.expire_all()
    for registration_id in ids:
        row = db.session.get(Registration, registration_id)
        _assert_anonymised(row)
        assert row.status == RegistrationStatus.CANCELLED
    assert db.session.get(Registration, other.id).email == "other@parliament.example"
    record = db.session.scalar(sa.select(ErasureRecord).where(ErasureRecord.reason == "admin"))
    assert (record.registrations, record.user_id) == (2, admin.id)


def test_privacy_console_needs_a_login(client):
    assert client.get("/admin/privacy").status_code in (302, 401)
    assert client.post("/admin/privacy/erase", data={"email": "a@b.example"}).status_code in (302, 400, 401)


def test_privacy_console_is_for_admins_only(app, db, client):
    _login(client, db, UserRole.ORGANISER)
    assert client.get("/admin/privacy").status_code == 403
    assert client.post("/admin/privacy/export", data={"email": "a@b.example"}).status_code in (400, 403)


def test_admin_lookup_of_an_address_with_a_nul_byte_finds_nothing_instead_of_failing(
    app, db, client, make_event, make_registration
):
    # PostgreSQL refuses strings holding NUL: such an address must not reach the query (a 500).
    _login(client, db, UserRole.ADMIN)
    make_registration(make_event(), email="amina@parliament.example", email_normalized="amina@parliament.example")
    token = _admin_form(client)
    exported = client.post("/admin/privacy/export", data={"email": "amina\x00@parliament.example", "csrf_token": token})
    assert exported.status_code == 200
    assert json.loads(exported.get_data(as_text=True))["registrations"] == []
    erased = client.post(
        "/admin/privacy/erase", data={"email": "amina\x00@parliament.example", "confirm": "y", "csrf_token": token}
    )
    assert erased.status_code == 303
    assert db.session.scalar(sa.select(Registration.email)) == "amina@parliament.example"
