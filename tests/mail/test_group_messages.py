"""Organisers' group messages go through the one mail pipeline: one notification per
recipient (created once), the pipeline's claims, retries and Message-ID, and the message's
state and progress derived from its copies."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from panel_app.mail import services
from panel_app.models import GroupMessage, Notification, User, utcnow

BODY = "Estimados colegas:\n\nEl enlace de interpretación al español cambia. — La Secretaría\n"


def _message(db, event, subject="Canal español: nuevo enlace"):
    author = db.session.scalar(sa.select(User).where(User.email == "organiser@ipu.example.org"))
    if author is None:
        author = User(email="organiser@ipu.example.org", role="organiser")
        author.set_password("correct horse battery")
        db.session.add(author)
        db.session.flush()
    message = GroupMessage(event_id=event.id, created_by_id=author.id, created_by=author.email, subject=subject,
                           body=BODY, filters={"language": "es"}, created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    return message


def _people(make_registration, event, count):
    names = [("María-José", "Ñúñez-Öztürk"), ("Amina", "Diallo, Jr."), ("Zoë", "Ødegård"), ("Jean-Pierre", "Müller")]
    return [make_registration(event, first_name=first, last_name=last, language="es",
                              email=f"person{n}@parlamento.example")[0]
            for n, (first, last) in zip(range(count), names * count, strict=False)]


def test_each_recipient_gets_one_copy_even_when_the_message_is_queued_again(
    app, db, make_event, make_registration, smtp_server, mail_to_smtp, drain
):
    mail_to_smtp(smtp_server)
    event = make_event(title="Parliamentary solidarity: Supporting MPs under threat")
    people = _people(make_registration, event, 3)
    message = _message(db, event)
    now = utcnow()
    assert services.queue_group_message(db.session, message, people[:2], now=now) == 2
    # The creating call is repeated (a retried request, a second job): overlapping lists.
    assert services.queue_group_message(db.session, message, [p.id for p in people], now=now) == 3
    db.session.commit()
    assert message.recipient_count == 3 and message.state == "pending"

    report = drain()

    assert report.sent == 3
    received = {m["To"].addresses[0].addr_spec: m for m in smtp_server.messages}
    assert sorted(received) == sorted(p.email for p in people)
    copies = {c.registration_id: c for c in db.session.scalars(sa.select(Notification))}
    for person in people:
        mail = received[person.email]
        copy = copies[person.id]
        assert mail["Subject"] == "Canal español: nuevo enlace"
        assert BODY.strip() in mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
        assert "El enlace de interpretación al español cambia." in mail.get_body(("html",)).get_content()
        assert mail["To"].addresses[0].display_name == person.full_name
        assert mail["Reply-To"].addresses[0].addr_spec == event.organiser_email
        assert mail["Message-ID"] == f"<{copy.message_key}@panel.test>"
        assert (copy.kind, copy.group_message_id, copy.state) == ("group_message", message.id, "sent")
    db.session.refresh(message)
    assert message.state == "sent" and message.finished_at is not None
    figures = services.group_message_progress(db.session, [message.id])[message.id]
    assert (figures.total, figures.sent, figures.failed, figures.waiting) == (3, 3, 0, 0)
    assert drain().sent == 0


def test_copies_follow_the_pipelines_retry_rules_and_the_message_state_follows_them(
    app, db, make_event, make_registration, smtp_server, mail_to_smtp, drain
):
    mail_to_smtp(smtp_server)
    event = make_event()
    refused, accepted = _people(make_registration, event, 2)
    smtp_server.handler.refuse.add(refused.email)
    message = _message(db, event)
    services.queue_group_message(db.session, message, [refused, accepted], now=utcnow())
    db.session.commit()

    report = drain()

    assert (report.sent, report.failed) == (1, 1)  # a permanent refusal is final at once
    copy = db.session.scalar(sa.select(Notification).where(Notification.registration_id == refused.id))
    assert copy.state == "failed" and "550" in copy.last_error
    db.session.refresh(message)
    assert message.state == "failed" and message.finished_at is not None
    figures = services.group_message_progress(db.session, [message.id, message.id + 1])
    assert (figures[message.id].sent, figures[message.id].failed, figures[message.id].state) == (1, 1, "failed")
    assert figures[message.id + 1].total == 0  # unknown ids get empty figures


def test_the_message_stays_pending_while_a_copy_waits_for_its_retry(
    app, db, make_event, make_registration, mail_to_smtp, drain
):
    from tests.mail.conftest import SmtpServer, free_port

    port = free_port()
    mail_to_smtp(port)  # nobody listens yet
    event = make_event()
    [person] = _people(make_registration, event, 1)
    message = _message(db, event)
    services.queue_group_message(db.session, message, [person], now=utcnow())
    db.session.commit()

    assert drain().retrying == 1
    copy = db.session.scalar(sa.select(Notification))
    assert copy.state == "pending" and copy.attempts == 1 and copy.next_attempt_at > utcnow()
    db.session.refresh(message)
    assert message.state == "pending" and message.finished_at is None

    server = SmtpServer(port)
    server.start()
    try:
        later = utcnow() + timedelta(minutes=2)
        assert services.deliver_until_done(db.session, now_fn=lambda: later).sent == 1
        assert len(server.messages) == 1
    finally:
        server.stop()
    db.session.refresh(message)
    assert message.state == "sent" and message.finished_at == later


def test_copies_claimed_by_a_running_worker_are_not_sent_again_until_the_claim_expires(
    app, db, make_event, make_registration, outbox, drain
):
    event = make_event()
    people = _people(make_registration, event, 3)
    message = _message(db, event)
    services.queue_group_message(db.session, message, people, now=utcnow())
    db.session.commit()
    now = utcnow()
    lease = timedelta(minutes=30)
    for copy_id in db.session.scalars(sa.select(Notification.id)):  # a first worker is sending them
        assert services.claim(db.session, copy_id, now=now, lease=lease) == 1
    db.session.commit()

    assert services.deliver_until_done(db.session, now_fn=lambda: now + timedelta(minutes=1)).sent == 0
    assert not outbox.exists() or not list(outbox.glob("*.eml"))
    # The first worker died: once its claims run out, every copy goes out once.
    assert services.deliver_until_done(db.session, now_fn=lambda: now + lease + timedelta(seconds=1)).sent == 3
    assert drain(now=now + timedelta(days=1)).sent == 0
    assert len(list(outbox.glob("*.eml"))) == 3
    assert set(db.session.scalars(sa.select(Notification.attempts))) == {2}


def test_the_upgrade_moves_recorded_copies_to_notification_rows_and_pending_ones_still_go_out(
    app, db, make_event, make_registration, outbox, drain
):
    """Migration 0002_group_mail on a database written by the earlier release."""
    from flask_migrate import downgrade, upgrade

    event = make_event()
    waiting, done, refused = _people(make_registration, event, 3)
    event_id, ids, waiting_email = event.id, (waiting.id, done.id, refused.id), waiting.email
    created = utcnow() - timedelta(hours=1)
    db.session.remove()
    downgrade(revision="0001")
    try:
        with db.engine.begin() as conn:
            message_id = conn.execute(sa.text(
                "INSERT INTO group_messages (event_id, created_by, subject, body, filters, recipient_count, state,"
                " created_at) VALUES (:event, 'organiser@ipu.example.org', 'Programme', :body, '{}', 4, 'pending',"
                " :created) RETURNING id"), {"event": event_id, "body": BODY, "created": created}).scalar_one()
            rows = [  # a copy leased by a worker that died, one sent, one failed, one whose registration is gone
                {"registration": ids[0], "state": "pending", "attempts": 1, "token": "dead-worker"},
                {"registration": ids[1], "state": "sent", "attempts": 1, "token": None},
                {"registration": ids[2], "state": "failed", "attempts": 5, "token": None},
                {"registration": None, "state": "pending", "attempts": 0, "token": None},
            ]
            for row in rows:
                conn.execute(sa.text(
                    "INSERT INTO group_message_recipients (message_id, registration_id, email, name, state, attempts,"
                    " claim_token) VALUES (:message, :registration, 'x@parlamento.example', 'X', :state, :attempts,"
                    " :token)"), {"message": message_id, **row})
    finally:
        upgrade()
        db.engine.dispose()  # SQLite connections may cache the schema of before

    copies = {c.registration_id: c for c in db.session.scalars(sa.select(Notification))}
    assert {rid: (c.kind, c.group_message_id, c.state, c.attempts) for rid, c in copies.items()} == {
        ids[0]: ("group_message", message_id, "pending", 1),
        ids[1]: ("group_message", message_id, "sent", 1),
        ids[2]: ("group_message", message_id, "failed", 5),
    }
    assert "group_message_recipients" not in sa.inspect(db.engine).get_table_names()

    assert drain().sent == 1  # the copy the dead worker held goes out, the others do not
    [mail] = list(outbox.glob("*.eml"))
    assert waiting_email in mail.read_text()
    db.session.expire_all()
    assert db.session.get(GroupMessage, message_id).state == "failed"


def test_the_sweep_settles_a_message_whose_last_update_was_lost_and_leaves_unqueued_ones_pending(
    app, db, make_event, make_registration, outbox, drain
):
    from panel_app.mail.jobs import reconcile_mail

    event = make_event()
    delivered = _message(db, event, subject="Programme")
    services.queue_group_message(db.session, delivered, _people(make_registration, event, 2), now=utcnow())
    db.session.commit()
    drain()
    # The worker died after recording its last copy, before updating the message.
    db.session.execute(sa.update(GroupMessage).values(state="pending", finished_at=None))
    not_yet_queued = _message(db, event, subject="Not handed over yet")
    db.session.commit()

    assert reconcile_mail() == 0
    db.session.expire_all()
    assert db.session.get(GroupMessage, delivered.id).state == "sent"
    assert db.session.get(GroupMessage, delivered.id).finished_at is not None
    assert db.session.get(GroupMessage, not_yet_queued.id).state == "pending"
