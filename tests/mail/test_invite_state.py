"""The invite state on the registration row has one writer (mail/invite_state.py) and
mirrors the invite notifications: re-opened registrations start afresh, erasure clears it,
and a personal Zoom link re-sends an invite only once one went out."""

from __future__ import annotations

import ast
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import sqlalchemy as sa

from panel_app.mail import services
from panel_app.models import Notification, Registration, utcnow
from panel_app.privacy import services as privacy
from panel_app.registration import services as registration_services
from panel_app.registration.services import RegistrationInput
from tests.factories import TEST_SECRET_KEY


def _register_again(db, registration, now):
    data = {f: getattr(registration, f) for f in RegistrationInput.__dataclass_fields__}
    outcome = registration_services.register(db.session, registration.event, RegistrationInput(**data), now=now,
                                             privacy_notice_version="test", secret_key=TEST_SECRET_KEY)
    db.session.commit()
    return outcome


def _cancelled_after_a_failed_invite(make_registration, event, email):
    registration, _ = make_registration(
        event, first_name="María-José", last_name="Ñúñez-Öztürk", email=email, status="cancelled",
        invite_state="failed", invite_attempts=10, invite_last_error="550 5.1.1 mailbox unavailable",
    )
    return registration


def test_a_reopened_registration_starts_a_fresh_invite_state(db, make_event, make_registration):
    event = make_event()
    registration = _cancelled_after_a_failed_invite(make_registration, event, "maria.jose@parlamento.example.uy")
    now = utcnow()

    outcome = _register_again(db, registration, now)

    assert outcome.created and outcome.registration.status == "confirmed"
    db.session.expire_all()
    row = db.session.get(Registration, registration.id)
    assert (row.invite_state, row.invite_attempts, row.invite_last_error) == ("pending", 0, None)
    assert abs(row.invite_next_attempt_at - now) < timedelta(seconds=5)
    assert db.session.scalar(sa.select(Notification.kind)) == "confirmed"


def test_a_registration_reopened_onto_the_waiting_list_has_no_invite_yet(db, make_event, make_registration):
    event = make_event(capacity=1)
    make_registration(event)  # the only seat is taken
    registration = _cancelled_after_a_failed_invite(make_registration, event, "amina.diallo@assemblee.example.sn")

    outcome = _register_again(db, registration, utcnow())

    assert outcome.registration.status == "waitlisted"
    db.session.expire_all()
    row = db.session.get(Registration, registration.id)
    assert (row.invite_state, row.invite_attempts, row.invite_last_error, row.invite_next_attempt_at) == (
        "none", 0, None, None)
    assert db.session.scalar(sa.select(Notification.kind)) == "waitlisted"


def test_erasure_skips_mail_still_waiting_and_clears_stored_errors_and_the_invite_state(
    app, db, client, make_event, submit_form, mail_to_smtp, drain
):
    from tests.factories import registration_form_data
    from tests.mail.conftest import SmtpServer, free_port

    port = free_port()
    mail_to_smtp(port)  # SMTP is down: the invite waits for a retry, with the server's error
    event = make_event()
    submit_form(client, f"/events/{event.slug}/register",
                registration_form_data(first_name="Zoë", last_name="Ødegård", email="zoe@storting.example.no"))
    assert drain().retrying == 1
    registration = db.session.scalar(sa.select(Registration))
    assert registration.invite_state == "pending" and registration.invite_last_error

    privacy.erase_registration(db.session, registration, now=utcnow(), reason="registrant")
    db.session.commit()

    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert (registration.invite_state, registration.invite_last_error) == ("none", None)
    rows = db.session.execute(sa.select(Notification.kind, Notification.state, Notification.last_error)).all()
    assert sorted(rows) == [("cancelled", "skipped", None), ("confirmed", "skipped", None)]
    server = SmtpServer(port)
    server.start()
    try:
        later = utcnow() + timedelta(hours=2)
        assert services.deliver_until_done(db.session, now_fn=lambda: later).sent == 0
        assert server.messages == []
    finally:
        server.stop()


def test_a_personal_link_resends_the_invite_only_once_one_went_out(db, make_event, make_registration, outbox, drain):
    event = make_event()
    sent, _ = make_registration(event, language="en")
    waiting, _ = make_registration(event, language="en")
    pending_approval, _ = make_registration(event, status="pending", invite_state="none")
    services.queue_message(db.session, sent, "confirmed", now=utcnow())
    db.session.commit()
    drain()
    services.queue_message(db.session, waiting, "confirmed", now=utcnow())
    db.session.commit()
    now = utcnow()

    for registration in (sent, waiting, pending_approval):
        registration.zoom_join_url = f"https://zoom.example/w/99?tk=personal{registration.id}"
    queued = {r.id: services.personal_link_arrived(db.session, r, now=now) for r in (sent, waiting, pending_approval)}
    db.session.commit()

    assert queued[sent.id].kind == "invite"
    assert queued[waiting.id] is None and queued[pending_approval.id] is None  # the waiting invite carries it
    drain()
    texts = [message_from_bytes(path.read_bytes(), policy=default_policy).get_body(("plain",)).get_content()
             for path in sorted(outbox.glob("*.eml"))]
    assert len(texts) == 3
    assert all("tk=personal" in text for text in texts[1:])


#: Files that still write invite columns and why (they go when the Zoom import calls
#: `mail.invite_state.no_invite` instead of setting invite_state on the rows it builds).
KNOWN_WRITERS = {"panel_app/mail/invite_state.py"}


def test_only_the_invite_state_module_writes_the_invite_columns():
    root = Path(__file__).resolve().parents[2]
    writers = set()
    for path in (root / "panel_app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.attr for t in targets if isinstance(t, ast.Attribute)]
            elif isinstance(node, ast.Call):
                names = [k.arg for k in node.keywords if k.arg]
            else:
                continue
            if any(name and name.startswith("invite_") for name in names) and "models" not in path.parts:
                writers.add(path.relative_to(root).as_posix())
    assert writers <= KNOWN_WRITERS, writers - KNOWN_WRITERS
    assert "panel_app/mail/invite_state.py" in writers
