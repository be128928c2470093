"""Two workers on the same mail: the claim's attempt number decides whose outcome counts,
one registrant's messages go out in order, and reminders skip people just confirmed.

Worker A is a real delivery run whose SMTP server accepts the connection and never answers
(it hangs, as a worker does on a stuck server); worker B runs meanwhile against a real
aiosmtpd server. Time is passed explicitly, so a lease "runs out" without waiting, and the
servers are released by events, not sleeps.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from panel_app.extensions import db as _db
from panel_app.mail import services
from panel_app.mail.sender import SmtpSender
from panel_app.models import Notification, Registration, utcnow
from tests.mail.conftest import StallingSmtp


class Worker:
    """A delivery run (`deliver_due`) in its own thread, session and app context."""

    def __init__(self, app, now, sender=None):
        self.report = None

        def run():
            with app.app_context():
                try:
                    self.report = services.deliver_due(_db.session, now=now, sender=sender)
                finally:
                    _db.session.remove()

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def join(self):
        self.thread.join(60)
        assert not self.thread.is_alive()


class StuckWorker(Worker):
    """A worker hanging on an SMTP server that never greets, until `release()` drops the
    connection: its sends then fail."""

    def __init__(self, app, now):
        self.stall = StallingSmtp()
        super().__init__(app, now, SmtpSender(host="127.0.0.1", port=self.stall.port,
                                              envelope_from="noreply@panel.test", timeout=60))
        assert self.stall.connected.wait(30), "the worker never reached the SMTP server"

    def release(self):
        self.stall.close()
        self.join()


@pytest.fixture
def confirmed(db, make_event, make_registration):
    """A confirmed registrant with their confirmation queued."""
    event = make_event(title="Parliamentary solidarity: Supporting MPs under threat")
    registration, _ = make_registration(event, first_name="María-José", last_name="Ñúñez-Öztürk",
                                        email="maria.jose@parlamento.example.uy", language="es")
    services.queue_message(db.session, registration, "confirmed", now=utcnow())
    db.session.commit()
    return registration


def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_newer_attempt(
    app, db, confirmed, smtp_server, mail_to_smtp
):
    mail_to_smtp(smtp_server)
    now = utcnow()
    worker_a = StuckWorker(app, now)  # holds attempt 1 and hangs
    try:
        # Hours later A's lease has run out: B takes attempt 2; the server is slow to accept it.
        smtp_server.handler.hold()
        worker_b = Worker(app, now + timedelta(hours=2))
        assert smtp_server.handler.receiving.wait(30)
    finally:
        worker_a.release()  # A's send fails now, while B's attempt is in flight
    assert worker_a.report.retrying == 1
    smtp_server.handler.release()
    worker_b.join()
    assert worker_b.report.sent == 1

    db.session.expire_all()
    notification = db.session.scalar(sa.select(Notification))
    # A's outcome belonged to attempt 1 and changed nothing: B's delivery stands.
    assert (notification.state, notification.attempts, notification.last_error) == ("sent", 2, None)
    registration = db.session.get(Registration, confirmed.id)
    assert (registration.invite_state, registration.invite_attempts, registration.invite_last_error) == (
        "done", 2, None)
    assert services.deliver_until_done(db.session, now_fn=lambda: now + timedelta(days=1)).sent == 0
    assert len(smtp_server.messages) == 1


def test_a_registrants_next_message_waits_while_their_previous_one_is_in_flight(
    app, db, confirmed, smtp_server, mail_to_smtp
):
    mail_to_smtp(smtp_server)
    services.queue_message(db.session, confirmed, "details", now=utcnow())
    db.session.commit()
    now = utcnow()
    worker_a = StuckWorker(app, now)
    try:
        # A is sending the confirmation; B, at the same moment, must not overtake it.
        report = services.deliver_until_done(db.session, now_fn=lambda: now)
        assert (report.sent, smtp_server.messages) == (0, [])
    finally:
        worker_a.release()

    later = now + timedelta(minutes=5)  # A's failed attempt has backed off and is due again
    assert services.deliver_until_done(db.session, now_fn=lambda: later).sent == 2
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects[0].startswith("Inscripción confirmada"), subjects
    assert subjects[1].startswith("Datos de su inscripción"), subjects


def test_reminders_skip_people_confirmed_after_the_reminder_window_opened(
    app, db, make_event, make_registration, monkeypatch
):
    monkeypatch.setitem(app.config, "REMINDER_OFFSETS_HOURS", "24,1")
    now = utcnow().replace(microsecond=0)
    starts = now + timedelta(hours=23)
    event = make_event(starts_at=starts, ends_at=starts + timedelta(minutes=90))

    def person(name, confirmed_at, **fields):
        registration, _ = make_registration(event, first_name=name, last_name="Ñúñez-Öztürk", language="en",
                                            status_changed_at=confirmed_at, **fields)
        return registration.id

    early = person("Early", now - timedelta(days=3))
    on_the_dot = person("OnTheDot", starts - timedelta(hours=24))  # confirmed as the 24 h window opened
    late = person("Late", now - timedelta(minutes=30))  # its confirmation told them already
    very_late = person("VeryLate", starts - timedelta(minutes=55))  # after the 1 h window opened
    person("Waiting", now - timedelta(days=3), status="waitlisted")

    def reminded(key):
        return set(db.session.scalars(sa.select(Notification.registration_id).where(Notification.dedupe_key == key)))

    stamp = starts.strftime("%Y%m%dT%H%M%SZ")
    assert services.schedule_reminders(db.session, now=now) == 2
    db.session.commit()
    assert reminded(f"reminder:24h:{stamp}") == {early, on_the_dot}

    one_hour_window = starts - timedelta(minutes=50)
    assert services.schedule_reminders(db.session, now=one_hour_window) == 3
    db.session.commit()
    assert reminded(f"reminder:1h:{stamp}") == {early, on_the_dot, late}
    assert very_late not in reminded(f"reminder:1h:{stamp}")
