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

from panel_app.directory import letters
from panel_app.extensions import db as _db
from panel_app.mail import services
from panel_app.mail.sender import SmtpSender
from panel_app.models import Notification, Registration, utcnow
from tests.directory.letters import conftest as letter_fixtures
from tests.mail.conftest import StallingSmtp

#: Letters to directory contacts go through the same pipeline (fixtures of tests/directory/letters).
make_directory, author = letter_fixtures.make_directory, letter_fixtures.author


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


def test_a_claim_lasts_one_smtp_timeout_per_message_plus_two_at_least_five_minutes_then_another_worker_takes_over(
    app, db, make_event, make_registration, smtp_server, mail_to_smtp, monkeypatch
):
    mail_to_smtp(smtp_server)
    now = utcnow().replace(microsecond=0)
    events = [make_event(title="Parliamentary solidarity: Supporting MPs under threat"),
              make_event(title="Les femmes au parlement : bilan et perspectives")]
    people = []
    for n, (first, last, language) in enumerate([("María-José", "Ñúñez", "es"), ("Zoë", "Ødegård", "en"),
                                                 ("Aïssata", "Koné-Ouédraogo", "fr"), ("Ömer", "Çelik", "en"),
                                                 ("Tulia", "Ackson", "en")] * 2):
        registration, _ = make_registration(events[n % 2], first_name=first, last_name=f"{last} {n}",
                                            email=f"person{n}@parliament-{n}.example", language=language)
        services.queue_message(db.session, registration, "confirmed", now=now)
        people.append(registration)
    services.queue_message(db.session, people[0], "details", now=now)  # waits behind her confirmation
    db.session.commit()

    def leases_while_stuck(now, timeout):
        """A worker claims the ten confirmations and hangs on the server: their leases."""
        monkeypatch.setitem(app.config, "MAIL_TIMEOUT", timeout)
        worker = StuckWorker(app, now)
        leases = set(db.session.scalars(sa.select(Notification.lease_expires_at)
                                        .where(Notification.state == "sending")))
        return worker, leases

    worker, leases = leases_while_stuck(now, 40)
    try:
        assert leases == {now + timedelta(seconds=40 * (10 + 2))}  # one timeout per message, and two more
        expiry = now + timedelta(minutes=8)
        # Until the lease ends nobody else sends them, nor María-José's next message.
        assert services.deliver_until_done(db.session, now_fn=lambda: expiry).sent == 0
        report = services.deliver_until_done(db.session, now_fn=lambda: expiry + timedelta(seconds=1))
        assert report.sent == 11
    finally:
        worker.release()
    assert len(smtp_server.messages) == 11

    # Without a configured timeout, 30 s a message; and never under five minutes.
    for person in people:
        services.queue_message(db.session, person, "confirmed", now=now)
    db.session.commit()
    later = now + timedelta(hours=1)
    for timeout, lease in ((None, timedelta(seconds=30 * 12)), (5, timedelta(minutes=5))):
        worker, leases = leases_while_stuck(later, timeout)
        worker.release()
        assert leases == {later + lease}
        later += timedelta(hours=1)  # their failed attempt is due again


def test_a_contacts_next_letter_waits_while_their_previous_one_is_in_flight(
    app, db, make_event, make_registration, make_directory, author, smtp_server, mail_to_smtp
):
    mail_to_smtp(smtp_server)
    event = make_event(title="Parliamentary solidarity: Supporting MPs under threat", languages=["en", "fr", "es"])
    busy, other = make_directory(2).contacts
    registration, _ = make_registration(event, first_name="Zoë", last_name="Ødegård", language="en",
                                        email="zoe.odegard@storting.example.no")
    services.queue_message(db.session, registration, "confirmed", now=utcnow())
    for kind in (letters.K.INVITATION, letters.K.COVERAGE_REMINDER):
        letters.send_letter(db.session, event, kind, letters.default_texts(kind, event.languages),
                            letters.default_filters(kind), now=utcnow(), user=author,
                            secret_key=app.config["SECRET_KEY"])
    db.session.commit()
    copies = db.session.scalars(sa.select(Notification).where(Notification.contact_id == busy.id)
                                .order_by(Notification.id)).all()
    now = utcnow()
    # A worker has claimed the first letter to one contact and is sending it.
    assert services.claim(db.session, copies[0].id, now=now, lease=timedelta(minutes=5)) == 1
    db.session.commit()

    report = services.deliver_until_done(db.session, now_fn=lambda: now)

    assert report.sent == 3  # the other contact's two letters and Zoë's confirmation
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == sorted(
        [other.email, other.email, registration.email])
    # The claim ran out (that worker died): both letters go, in order.
    later = now + timedelta(minutes=6)
    assert services.deliver_until_done(db.session, now_fn=lambda: later).sent == 2
    assert [m["Message-ID"] for m in smtp_server.messages[3:]] == [f"<{c.message_key}@panel.test>" for c in copies]
