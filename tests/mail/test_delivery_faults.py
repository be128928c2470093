"""Delivery under faults: SMTP down, refused recipients, crashed workers, racing workers,
the outbox fallback, reminders sent once, and the Redis queue path."""

from __future__ import annotations

import os
import threading
import uuid
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa

from panel_app.mail import services
from panel_app.mail.compose import simple_message
from panel_app.models import Notification, Registration, utcnow
from tests.factories import registration_form_data
from tests.mail.conftest import SmtpServer, free_port


def _queue_confirmations(db, make_event, make_registration, count=1, **event_fields):
    event = make_event(**event_fields)
    registrations = []
    for _ in range(count):
        registration, _ = make_registration(event, language="en")
        services.queue_message(db.session, registration, "confirmed", now=utcnow())
        registrations.append(registration)
    db.session.commit()
    return event, registrations


def test_registration_succeeds_while_smtp_is_down_and_mail_goes_out_when_it_is_back(
    app, db, client, make_event, submit_form, mail_to_smtp, drain
):
    port = free_port()
    mail_to_smtp(port)  # nothing listens there yet
    event = make_event()
    response = submit_form(client, f"/events/{event.slug}/register", registration_form_data())
    assert response.status_code == 303

    report = drain()
    assert report.retrying == 1 and report.sent == 0
    notification = db.session.scalar(sa.select(Notification))
    registration = db.session.scalar(sa.select(Registration))
    assert notification.state == "pending" and notification.attempts == 1
    assert notification.last_error and notification.next_attempt_at > utcnow()
    assert registration.invite_state == "pending" and registration.invite_last_error

    server = SmtpServer(port)
    server.start()
    try:
        assert drain().sent == 0  # still backing off
        from panel_app.mail.jobs import reconcile_mail

        later = utcnow() + timedelta(minutes=2)
        report = services.deliver_until_done(db.session, now_fn=lambda: later)
        assert report.sent == 1
        assert reconcile_mail() == 0  # nothing left to send twice
        assert len(server.messages) == 1
    finally:
        server.stop()
    db.session.expire_all()
    assert db.session.scalar(sa.select(Registration)).invite_state == "done"


def test_a_claim_left_by_a_crashed_worker_is_sent_after_its_lease_expires(
    app, db, make_event, make_registration, smtp_server, mail_to_smtp
):
    mail_to_smtp(smtp_server)
    _queue_confirmations(db, make_event, make_registration)
    notification_id = db.session.scalar(sa.select(Notification.id))
    now = utcnow()
    lease = timedelta(minutes=5)
    assert services.claim(db.session, notification_id, now=now, lease=lease) == 1
    db.session.commit()  # ...and the worker dies before sending

    assert services.deliver_until_done(db.session, now_fn=lambda: now + timedelta(minutes=1)).sent == 0
    report = services.deliver_until_done(db.session, now_fn=lambda: now + lease + timedelta(seconds=1))

    assert report.sent == 1
    assert len(smtp_server.messages) == 1
    notification = db.session.get(Notification, notification_id, populate_existing=True)
    assert notification.state == "sent" and notification.attempts == 2


def test_a_second_claim_on_the_same_row_fails(app, db, make_event, make_registration):
    _queue_confirmations(db, make_event, make_registration)
    notification_id = db.session.scalar(sa.select(Notification.id))
    now = utcnow()
    assert services.claim(db.session, notification_id, now=now, lease=timedelta(minutes=5)) == 1
    assert services.claim(db.session, notification_id, now=now, lease=timedelta(minutes=5)) is None


def test_racing_workers_never_send_a_message_twice(app, db, make_event, make_registration, smtp_server, mail_to_smtp):
    mail_to_smtp(smtp_server)
    _queue_confirmations(db, make_event, make_registration, count=12)
    errors = []

    def worker():
        from panel_app.extensions import db as _db

        with app.app_context():
            try:
                services.deliver_until_done(_db.session, now_fn=utcnow)
            except Exception as exc:  # surfaced below
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors
    recipients = [m["To"].addresses[0].addr_spec for m in smtp_server.messages]
    assert len(recipients) == 12 and len(set(recipients)) == 12


def test_refused_recipient_fails_at_once_without_blocking_the_batch(
    app, db, make_event, make_registration, smtp_server, mail_to_smtp, drain
):
    mail_to_smtp(smtp_server)
    _, (refused, accepted) = _queue_confirmations(db, make_event, make_registration, count=2)
    smtp_server.handler.refuse.add(refused.email.lower())

    report = drain()

    assert report.sent == 1 and report.failed == 1
    db.session.expire_all()
    assert db.session.get(Registration, refused.id).invite_state == "failed"
    assert "550" in db.session.get(Registration, refused.id).invite_last_error
    assert db.session.get(Registration, accepted.id).invite_state == "done"


def test_retries_back_off_and_give_up_after_the_budget(app, db, make_event, make_registration, mail_to_smtp,
                                                       monkeypatch):
    mail_to_smtp(free_port())
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    _, (registration,) = _queue_confirmations(db, make_event, make_registration)
    now = utcnow()
    waits = []
    for _ in range(3):
        services.deliver_until_done(db.session, now_fn=lambda at=now: at)
        notification = db.session.scalar(sa.select(Notification), execution_options={"populate_existing": True})
        if notification.state == "pending":
            waits.append(notification.next_attempt_at - now)
            now = notification.next_attempt_at

    assert waits == [timedelta(minutes=1), timedelta(minutes=2)]
    assert notification.state == "failed" and notification.attempts == 3
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).invite_state == "failed"


def test_without_mail_server_the_registration_invite_is_written_to_the_outbox(
    app, db, client, make_event, submit_form, outbox
):
    event = make_event()
    response = submit_form(client, f"/events/{event.slug}/register", registration_form_data())
    token = response.headers["Location"].split("/registrations/")[1].split("?")[0]
    from panel_app.queue import queue

    # Run what the worker would: the job enqueued after the commit.
    while (task := queue.huey.dequeue()) is not None:
        queue.huey.execute(task)

    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 1 and not list(outbox.glob(".tmp-*"))
    message = message_from_bytes(files[0].read_bytes(), policy=default_policy)
    calendar = [p for p in message.walk() if p.get_content_type() == "text/calendar"][0]
    text = calendar.get_content()
    assert "METHOD:REQUEST" in text
    assert token in text.replace("\r\n ", "")


def test_reminders_go_out_once_per_offset(app, db, make_event, make_registration, smtp_server, mail_to_smtp, drain,
                                          monkeypatch):
    mail_to_smtp(smtp_server)
    monkeypatch.setitem(app.config, "REMINDER_OFFSETS_HOURS", "24,1")
    now = utcnow()
    event = make_event(starts_at=now + timedelta(hours=23), ends_at=now + timedelta(hours=24))
    registration, _ = make_registration(event, language="en", status_changed_at=now - timedelta(days=3))
    make_registration(event, language="en", status="waitlisted", status_changed_at=now - timedelta(days=3))

    assert services.schedule_reminders(db.session, now=now) == 1
    db.session.commit()
    assert services.schedule_reminders(db.session, now=now + timedelta(minutes=5)) == 0
    db.session.commit()
    drain(now=now)
    later = event.starts_at - timedelta(minutes=50)
    assert services.schedule_reminders(db.session, now=later) == 1
    db.session.commit()
    assert services.schedule_reminders(db.session, now=later + timedelta(minutes=5)) == 0
    db.session.commit()
    drain(now=later)

    reminders = smtp_server.messages
    assert len(reminders) == 2
    assert all(m["Subject"].startswith("Reminder") for m in reminders)
    assert event.join_url in reminders[0].get_body(("plain",)).get_content()


def test_header_injection_through_names_is_impossible():
    message = simple_message(
        to=("Amina\r\nBcc: victim@evil.example", "amina@parl.example"),
        subject="Hello\r\nBcc: other@evil.example",
        text="Body",
        from_="Panel <noreply@panel.test>",
    )
    parsed = message_from_bytes(message.as_bytes(), policy=default_policy)
    assert parsed["Bcc"] is None
    assert [a.addr_spec for a in parsed["To"].addresses] == ["amina@parl.example"]
    with pytest.raises(ValueError):
        simple_message(to="a@b.example\r\nBcc: c@d.example", subject="x", text="y", from_="p@q.example")
    with pytest.raises(ValueError):
        simple_message(to="a@b.example, c@d.example", subject="x", text="y", from_="p@q.example")


@pytest.mark.redis
def test_redis_queue_delivers_the_invite(app, database_url, client, make_event, smtp_server, mail_to_smtp, submit_form):
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("TEST_REDIS_URL not set")
    from panel_app import create_app
    from tests import factories

    mail_to_smtp(smtp_server)
    redis_app = create_app({
        "TESTING": True, "SECRET_KEY": factories.TEST_SECRET_KEY, "DATABASE_URL": database_url,
        "INSTANCE_PATH": app.instance_path, "BASE_URL": "http://panel.test", "RATELIMIT_ENABLED": False,
        "REDIS_URL": redis_url, "HUEY_NAME": f"test-mail-{uuid.uuid4().hex[:8]}",
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_TIMEOUT": 5,
    })
    huey = redis_app.extensions["job_queue"].huey
    try:
        assert type(huey).__name__ == "RedisHuey"
        event = make_event()
        redis_client = redis_app.test_client()
        response = submit_form(redis_client, f"/events/{event.slug}/register", registration_form_data())
        assert response.status_code == 303
        assert huey.pending_count() >= 1
        while (task := huey.dequeue()) is not None:
            huey.execute(task)
        assert len(smtp_server.messages) == 1
    finally:
        huey.flush()


def test_a_claim_can_be_taken_over_only_once_its_lease_has_run_out(app, db, make_event, make_registration):
    _queue_confirmations(db, make_event, make_registration)
    notification_id = db.session.scalar(sa.select(Notification.id))
    now = utcnow()
    lease = timedelta(minutes=5)
    assert services.claim(db.session, notification_id, now=now, lease=lease) == 1
    db.session.commit()
    assert services.claim(db.session, notification_id, now=now + lease, lease=lease) is None  # still its own
    assert services.claim(db.session, notification_id, now=now + lease + timedelta(seconds=1), lease=lease) == 2
    db.session.commit()
    notification = db.session.get(Notification, notification_id, populate_existing=True)
    assert (notification.state, notification.attempts) == ("sending", 2)
    assert notification.lease_expires_at == now + lease + timedelta(seconds=1) + lease


def test_a_worker_that_read_the_row_before_another_claimed_it_does_not_claim_it_too(app, db, make_event,
                                                                                     make_registration):
    """Worker A reads the attempt count; before its UPDATE runs, worker B claims the row and its lease
    runs out (A's clock is past it). A's compare-and-set on the count it read must fail: otherwise both
    would hold attempt 1, and B's late outcome would be recorded as A's."""
    _queue_confirmations(db, make_event, make_registration)
    notification_id = db.session.scalar(sa.select(Notification.id))
    now = utcnow()
    lease = timedelta(minutes=5)
    claimed_by_b, b_started = [], []

    def worker_b_claims_first(conn, cursor, statement, parameters, context, executemany):
        if b_started or not statement.lstrip().upper().startswith("UPDATE NOTIFICATIONS"):
            return
        b_started.append(True)  # B's own UPDATE comes through here too
        with sa.orm.Session(db.engine) as other_worker:
            claimed_by_b.append(services.claim(other_worker, notification_id, now=now, lease=lease))
            other_worker.commit()

    sa.event.listen(db.engine, "before_cursor_execute", worker_b_claims_first)
    try:
        token_a = services.claim(db.session, notification_id, now=now + lease + timedelta(seconds=1), lease=lease)
        db.session.commit()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", worker_b_claims_first)
    assert claimed_by_b == [1] and token_a is None
    notification = db.session.get(Notification, notification_id, populate_existing=True)
    assert (notification.state, notification.attempts, notification.lease_expires_at) == ("sending", 1, now + lease)
