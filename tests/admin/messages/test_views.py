"""Group messages: recipients from the list filters, recorded, sent by the mail pipeline once each."""

from __future__ import annotations

import email
import re
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa

from panel_app.extensions import db as _db
from panel_app.mail import services as mail_services
from panel_app.models import AuditEntry, GroupMessage, Notification, utcnow
from tests.conftest import csrf_token_from

pytestmark = pytest.mark.usefixtures("empty_queue")


def deliver(app) -> int:
    """What the delivery job enqueued after the commit (and the reconcile sweep) does: send what is due."""
    with app.app_context():
        return mail_services.deliver_until_done(_db.session, now_fn=utcnow).sent


KEY_RE = re.compile(r'name="submission_key" type="hidden" value="([^"]+)"')


def send(client, url, data, **kwargs):
    """Post the message form as a browser does: with the page's CSRF token and submission key."""
    page = client.get(url).get_data(as_text=True)
    key = KEY_RE.search(page).group(1)
    return client.post(url, data={"csrf_token": csrf_token_from(page), "submission_key": key, **data}, **kwargs)


def _read(folder):
    return [email.message_from_bytes(p.read_bytes(), policy=default_policy) for p in sorted(folder.glob("*.eml"))]


def test_message_to_the_spanish_channel_is_recorded_and_sent_once(
    organiser, db, app, make_event, make_registration, outbox
):
    event = make_event()
    make_registration(event, first_name="Zoë", last_name="Ñúñez", email="zoe@cortes.example", language="es")
    make_registration(event, email="gone@cortes.example", language="es", status="cancelled")
    make_registration(event, email="fr@parl.example", language="fr")
    url = f"/admin/events/{event.slug}/messages?language=es"
    page = organiser.get(url).get_data(as_text=True)
    assert "1 recipient(s)" in page
    response = send(organiser, url, {"subject": "Canal español", "body": "El enlace cambia."})
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


def test_message_with_no_recipients_is_not_recorded(organiser, db, make_event):
    event = make_event()
    url = f"/admin/events/{event.slug}/messages?status=pending"
    html = send(organiser, url, {"subject": "Hi", "body": "Hello"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "nothing was sent" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupMessage)) == 0


def test_message_form_errors_and_bad_filters(organiser, make_event):
    event = make_event()
    url = f"/admin/events/{event.slug}/messages"
    response = send(organiser, url, {"subject": "", "body": ""})
    assert response.status_code == 422 and "Enter a subject" in response.get_data(as_text=True)
    assert organiser.get(url + "?language=xx").status_code == 400


def test_unreachable_smtp_keeps_the_copy_pending_for_a_retry(
    organiser, db, app, make_event, make_registration, monkeypatch
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
    send(organiser, url, {"subject": "Hi", "body": "Hello"})
    assert deliver(app) == 0
    db.session.expire_all()
    copy = db.session.scalar(sa.select(Notification))
    assert copy.state == "pending" and copy.attempts == 1 and copy.last_error
    assert copy.next_attempt_at > utcnow()  # the pipeline's backoff, then the reconcile sweep
    assert db.session.scalar(sa.select(GroupMessage.state)) == "pending"


def test_a_copy_for_someone_erased_before_sending_is_skipped_and_the_others_still_go_out(
    organiser, db, app, make_event, make_registration, outbox
):
    from panel_app.privacy import services as privacy

    event = make_event()
    first, _ = make_registration(event, email="first@parl.example")
    make_registration(event, email="second@parl.example")
    url = f"/admin/events/{event.slug}/messages"
    send(organiser, url, {"subject": "Hi", "body": "Hello"})
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


def test_a_message_form_posted_twice_sends_the_message_once(organiser, db, app, make_event, make_registration,
                                                            outbox):
    event = make_event()
    make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk", email="mj@cortes.example")
    url = f"/admin/events/{event.slug}/messages"
    page = organiser.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "submission_key": KEY_RE.search(page).group(1),
            "subject": "Programme", "body": "Le programme est en ligne."}
    first = organiser.post(url, data=data)
    second = organiser.post(url, data=data, follow_redirects=True)  # a double click, or back and resend
    assert first.status_code == 303
    assert "already sent" in second.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupMessage)) == 1
    assert deliver(app) == 1 and deliver(app) == 0
    assert len(list(outbox.glob("*.eml"))) == 1


def test_two_posts_of_one_form_at_the_same_moment_send_one_message(organiser, db, app, make_event,
                                                                  make_registration):
    import threading

    event = make_event()
    for n in range(3):
        make_registration(event, email=f"person{n}@parlamento.example")
    url = f"/admin/events/{event.slug}/messages"
    page = organiser.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_token_from(page), "submission_key": KEY_RE.search(page).group(1),
            "subject": "Programa", "body": "El programa está en línea."}
    barrier = threading.Barrier(3)
    statuses = []

    def send_once():
        barrier.wait()
        statuses.append(organiser.post(url, data=data).status_code)

    threads = [threading.Thread(target=send_once) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [303, 303, 303]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupMessage)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 3


def test_a_message_form_without_its_key_is_refused_clearly(organiser, db, make_event, make_registration):
    event = make_event()
    make_registration(event)
    url = f"/admin/events/{event.slug}/messages"
    page = organiser.get(url).get_data(as_text=True)
    for key in ("", "short", "x" * 65, "bad key with spaces!!"):
        response = organiser.post(url, data={"csrf_token": csrf_token_from(page), "submission_key": key,
                                             "subject": "Hi", "body": "Hello"})
        assert response.status_code == 422 and "This form expired" in response.get_data(as_text=True), key
    assert db.session.scalar(sa.select(sa.func.count()).select_from(GroupMessage)) == 0
