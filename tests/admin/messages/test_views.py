"""Group messages: recipients from the list filters, recorded, sent by the mail pipeline once each."""

from __future__ import annotations

import email
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa

from panel_app.extensions import db as _db
from panel_app.mail import services as mail_services
from panel_app.models import AuditEntry, GroupMessage, Notification, utcnow

pytestmark = pytest.mark.usefixtures("empty_queue")


def deliver(app) -> int:
    """What the delivery job enqueued after the commit (and the reconcile sweep) does: send what is due."""
    with app.app_context():
        return mail_services.deliver_until_done(_db.session, now_fn=utcnow).sent


def _read(folder):
    return [email.message_from_bytes(p.read_bytes(), policy=default_policy) for p in sorted(folder.glob("*.eml"))]


def test_message_to_the_spanish_channel_is_recorded_and_sent_once(
    organiser, post, db, app, make_event, make_registration, outbox
):
    event = make_event()
    make_registration(event, first_name="Zoë", last_name="Ñúñez", email="zoe@cortes.example", language="es")
    make_registration(event, email="gone@cortes.example", language="es", status="cancelled")
    make_registration(event, email="fr@parl.example", language="fr")
    url = f"/admin/events/{event.slug}/messages?language=es"
    page = organiser.get(url).get_data(as_text=True)
    assert "1 recipient(s)" in page
    response = post(organiser, url, {"subject": "Canal español", "body": "El enlace cambia."}, form_url=url)
    assert response.status_code == 303

    message = db.session.scalar(sa.select(GroupMessage))
    assert message.recipient_count == 1 and message.filters == {"language": "es"} and message.state == "pending"
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "message.create"))
    from panel_app.queue import queue

    assert queue.huey.pending_count() == 1  # enqueued after the commit

    assert deliver(app) == 1
    assert deliver(app) == 0  # a repeated job mails nobody twice
    mails = _read(outbox)
    assert len(mails) == 1
    assert "zoe@cortes.example" in mails[0]["To"] and mails[0]["Subject"] == "Canal español"
    assert mails[0]["Reply-To"].addresses[0].addr_spec == event.organiser_email
    assert "El enlace cambia." in mails[0].get_body(("plain",)).get_content()
    db.session.expire_all()
    copy = db.session.scalar(sa.select(Notification))
    assert (copy.kind, copy.group_message_id, copy.state) == ("group_message", message.id, "sent")
    assert mails[0]["Message-ID"] == f"<{copy.message_key}@panel.test>"
    assert db.session.scalar(sa.select(GroupMessage.state)) == "sent"
    assert "Canal español" in organiser.get(url).get_data(as_text=True)


def test_message_with_no_recipients_is_not_recorded(organiser, post, db, make_event):
    event = make_event()
    url = f"/admin/events/{event.slug}/messages?status=pending"
    html = post(organiser, url, {"subject": "Hi", "body": "Hello"}, form_url=url, follow_redirects=True).get_data(
        as_text=True
    )
    assert "nothing was sent" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupMessage)) == 0


def test_message_form_errors_and_bad_filters(organiser, post, make_event):
    event = make_event()
    url = f"/admin/events/{event.slug}/messages"
    response = post(organiser, url, {"subject": "", "body": ""}, form_url=url)
    assert response.status_code == 422 and "Enter a subject" in response.get_data(as_text=True)
    assert organiser.get(url + "?language=xx").status_code == 400


def test_unreachable_smtp_keeps_the_copy_pending_for_a_retry(
    organiser, post, db, app, make_event, make_registration, monkeypatch
):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 2)
    event = make_event()
    make_registration(event)
    url = f"/admin/events/{event.slug}/messages"
    post(organiser, url, {"subject": "Hi", "body": "Hello"}, form_url=url)
    assert deliver(app) == 0
    db.session.expire_all()
    copy = db.session.scalar(sa.select(Notification))
    assert copy.state == "pending" and copy.attempts == 1 and copy.last_error
    assert copy.next_attempt_at > utcnow()  # the pipeline's backoff, then the reconcile sweep
    assert db.session.scalar(sa.select(GroupMessage.state)) == "pending"


def test_a_copy_for_someone_erased_before_sending_is_skipped_and_the_others_still_go_out(
    organiser, post, db, app, make_event, make_registration, outbox
):
    from panel_app.privacy import services as privacy

    event = make_event()
    first, _ = make_registration(event, email="first@parl.example")
    make_registration(event, email="second@parl.example")
    url = f"/admin/events/{event.slug}/messages"
    post(organiser, url, {"subject": "Hi", "body": "Hello"}, form_url=url)
    message_id = db.session.scalar(sa.select(GroupMessage.id))
    # The first person erases their data before the job runs.
    privacy.erase_registration(db.session, first, now=utcnow(), reason="registrant")
    db.session.commit()
    assert deliver(app) == 1
    mails = _read(outbox)
    assert len(mails) == 1 and "second@parl.example" in mails[0]["To"]
    db.session.expire_all()
    states = dict(
        db.session.execute(
            sa.select(Notification.registration_id, Notification.state).where(
                Notification.group_message_id == message_id
            )
        ).all()
    )
    assert states[first.id] == "skipped" and sorted(states.values()) == ["sent", "skipped"]
    assert db.session.scalar(sa.select(GroupMessage.state)) == "sent"
