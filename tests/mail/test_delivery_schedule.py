"""How delivery paces itself: how many messages one pass sends and reports, when a drain of
passes stops, how failed attempts back off and when they are given up, and how the server's
reply codes (RFC 5321: 4xx try again later, 5xx refused for good) decide it.

The SMTP server is a real aiosmtpd on loopback that answers each recipient as told; time is
passed explicitly, so back-offs are stepped through without waiting.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from panel_app.directory import letters
from panel_app.mail import services
from panel_app.models import Event, Notification, Outreach, Registration, utcnow
from tests.directory.letters import conftest as letter_fixtures
from tests.mail.conftest import RecordingHandler, SmtpServer, free_port

#: Letters to directory contacts go through the same pipeline (fixtures of tests/directory/letters).
make_directory, author = letter_fixtures.make_directory, letter_fixtures.author

PEOPLE = [("María-José", "Ñúñez-Öztürk", "es", "nunez"), ("Zoë", "Ødegård", "en", "odegard"),
          ("Aïssata", "Koné-Ouédraogo", "fr", "kone"), ("Tulia", "Ackson", "en", "ackson"),
          ("Ömer", "Çelik-Öztürk", "en", "celik")]
TITLES = ["Parliamentary solidarity: Supporting MPs under threat", "Budget oversight in times of crisis",
          "Les femmes au parlement : bilan et perspectives"]


class ReplyingHandler(RecordingHandler):
    """Answers RCPT for the addresses in `replies` with the reply given (e.g. "451 ..."),
    accepts everyone else."""

    def __init__(self):
        super().__init__()
        self.replies: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.replies.get(address.lower())
        if reply is not None:
            return reply
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


@pytest.fixture
def smtp(mail_to_smtp):
    server = SmtpServer(free_port())
    server.handler = ReplyingHandler()
    server.start()
    mail_to_smtp(server)
    try:
        yield server
    finally:
        server.stop()


TRY_LATER = "451 4.3.0 mailbox temporarily unavailable, try again later"
REFUSED = "550 5.1.1 mailbox unavailable"


@pytest.fixture
def people(db, make_event, make_registration):
    """`people(n)`: n confirmed registrants spread over three events, with accented names in
    three languages, each with their confirmation queued now (oldest first)."""

    def make(count, now):
        events = [make_event(title=title) for title in TITLES]
        registrations = []
        for n in range(count):
            first, last, language, mailbox = PEOPLE[n % len(PEOPLE)]
            registration, _ = make_registration(events[n % len(events)], first_name=f"{first} {n:03d}",
                                                last_name=last, language=language,
                                                email=f"{mailbox}.{n:03d}@parliament-{n % 7}.example")
            services.queue_message(db.session, registration, "confirmed", now=now)
            registrations.append(registration)
        db.session.commit()
        return registrations

    return make


def _notification_of(db, registration):
    return db.session.scalar(sa.select(Notification).where(Notification.registration_id == registration.id),
                             execution_options={"populate_existing": True})


def _counts(report):
    return report.sent, report.skipped, report.retrying, report.failed


def _received(server):
    return [m["To"].addresses[0].addr_spec for m in server.messages]


def test_a_pass_sends_one_batch_of_fifty_and_a_drain_reports_what_every_pass_did(db, smtp, people):
    now = utcnow()
    registrations = people(60, now)
    outcome = {}
    for n, registration in enumerate(registrations):
        if n % 10 == 3:  # cancelled before the confirmation went out: skipped
            registration.status = "cancelled"
            outcome[registration.id] = "skipped"
        elif n % 10 == 6:
            smtp.handler.replies[registration.email.lower()] = TRY_LATER
            outcome[registration.id] = "retrying"
        elif n % 10 == 9:
            smtp.handler.replies[registration.email.lower()] = REFUSED
            outcome[registration.id] = "failed"
        else:
            outcome[registration.id] = "sent"
    db.session.commit()
    ids = {r.id: _notification_of(db, r).id for r in registrations}

    def sent_ids(chunk):
        return [ids[r.id] for r in chunk if outcome[r.id] == "sent"]

    first = services.deliver_due(db.session, now=now)  # one pass: the fifty oldest
    assert _counts(first) == (35, 5, 5, 5)
    assert first.ids == sent_ids(registrations[:50])
    assert len(smtp.messages) == 35

    rest = services.deliver_until_done(db.session, now_fn=lambda: now)  # the last ten, then nothing is due
    assert _counts(rest) == (7, 1, 1, 1)
    assert rest.ids == sent_ids(registrations[50:])

    received = _received(smtp)
    assert len(received) == 42 and set(received) == {r.email for r in registrations if outcome[r.id] == "sent"}
    for registration in registrations:
        notification = _notification_of(db, registration)
        state = {"sent": "sent", "skipped": "skipped", "retrying": "pending", "failed": "failed"}[
            outcome[registration.id]]
        assert (notification.state, notification.lease_expires_at) == (state, None)


def test_the_servers_reply_code_decides_between_retrying_later_and_giving_up(db, smtp, people):
    now = utcnow()
    busy, unknown, fine = people(3, now)
    smtp.handler.replies = {busy.email.lower(): TRY_LATER, unknown.email.lower(): REFUSED}

    report = services.deliver_until_done(db.session, now_fn=lambda: now)

    assert _counts(report) == (1, 0, 1, 1)
    assert _received(smtp) == [fine.email]
    db.session.expire_all()
    waiting, refused = _notification_of(db, busy), _notification_of(db, unknown)
    assert (waiting.state, waiting.attempts, waiting.next_attempt_at) == ("pending", 1, now + timedelta(minutes=1))
    assert "451" in waiting.last_error
    assert (refused.state, refused.attempts) == ("failed", 1)
    assert "550" in refused.last_error
    busy_row, unknown_row = db.session.get(Registration, busy.id), db.session.get(Registration, unknown.id)
    assert (busy_row.invite_state, busy_row.invite_attempts, busy_row.invite_next_attempt_at) == (
        "pending", 1, now + timedelta(minutes=1))
    assert "451" in busy_row.invite_last_error
    assert (unknown_row.invite_state, unknown_row.invite_attempts, unknown_row.invite_next_attempt_at) == (
        "failed", 1, None)
    assert "550" in unknown_row.invite_last_error

    # A refusal for good is not tried again, however long one waits; the busy mailbox is.
    smtp.handler.replies = {}
    later = services.deliver_until_done(db.session, now_fn=lambda: now + timedelta(days=1))
    assert _counts(later) == (1, 0, 0, 0)
    assert _received(smtp) == [fine.email, busy.email]


def test_without_a_configured_limit_a_message_is_tried_ten_times_backing_off_to_an_hour_and_each_failure_is_logged(
    app, db, people, mail_to_smtp, monkeypatch, caplog
):
    mail_to_smtp(free_port())  # nothing listens there: every attempt fails
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", None)  # unset: the default budget
    now = utcnow().replace(microsecond=0)
    (registration,) = people(1, now)
    notification_id = _notification_of(db, registration).id
    caplog.set_level(logging.WARNING, logger="panel_app.mail.delivery")
    waits, messages = [], []
    while True:
        caplog.clear()
        report = services.deliver_until_done(db.session, now_fn=lambda at=now: at)
        notification = _notification_of(db, registration)
        messages += [r.getMessage() for r in caplog.records if r.name == "panel_app.mail.delivery"]
        if notification.state != "pending":
            assert _counts(report) == (0, 0, 0, 1)
            break
        assert _counts(report) == (0, 0, 1, 0)
        waits.append(notification.next_attempt_at - now)
        assert services.deliver_until_done(db.session, now_fn=lambda at=notification.next_attempt_at: at - timedelta(
            seconds=1)).retrying == 0  # not a second early
        now = notification.next_attempt_at

    minutes = [int(w.total_seconds() // 60) for w in waits]
    assert minutes == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert (notification.state, notification.attempts) == ("failed", 10)
    error = notification.last_error
    assert error
    assert messages == [
        f"mail {notification_id} to registration {registration.id} failed (attempt {n}): {error}"
        for n in range(1, 10)
    ] + [f"mail {notification_id} to registration {registration.id} failed (attempt 10, giving up): {error}"]
    db.session.expire_all()
    row = db.session.get(Registration, registration.id)
    assert (row.invite_state, row.invite_attempts, row.invite_next_attempt_at) == ("failed", 10, None)


def test_a_drain_goes_on_while_some_mail_is_sent_or_skipped_beside_refusals(db, smtp, people):
    now = utcnow()
    busy, maria, tulia = people(3, now)
    smtp.handler.replies[busy.email.lower()] = TRY_LATER
    services.queue_message(db.session, maria, "details", now=now)
    db.session.commit()

    # Pass 1: one refused for now, María's confirmation sent; pass 2: her details.
    report = services.deliver_until_done(db.session, now_fn=lambda: now)
    assert _counts(report) == (3, 0, 1, 0)
    assert _received(smtp) == [maria.email, tulia.email, maria.email]

    # Pass 1: still refused, Tulia's confirmation skipped (she cancelled); pass 2: her
    # cancellation notice goes out.
    services.queue_message(db.session, tulia, "confirmed", now=now)
    tulia.status = "cancelled"
    services.queue_message(db.session, tulia, "cancelled", now=now)
    db.session.commit()
    later = now + timedelta(minutes=1)
    report = services.deliver_until_done(db.session, now_fn=lambda: later)
    assert _counts(report) == (1, 1, 1, 0)
    assert _received(smtp)[3:] == [tulia.email]


def test_a_drain_stops_after_one_pass_when_the_server_refuses_everything(app, db, people, mail_to_smtp):
    mail_to_smtp(free_port())  # the server is down
    now = utcnow()
    registrations = people(3, now)
    for registration in registrations:
        services.queue_message(db.session, registration, "details", now=now)
    db.session.commit()

    report = services.deliver_until_done(db.session, now_fn=lambda: now)

    # The confirmations were tried; the details, due as well, wait instead of failing too.
    assert _counts(report) == (0, 0, 3, 0)
    rows = db.session.execute(sa.select(Notification.kind, Notification.state, Notification.attempts)).all()
    assert sorted(rows) == [("confirmed", "pending", 1)] * 3 + [("details", "pending", 0)] * 3


def test_a_drain_makes_at_most_a_hundred_passes_so_a_periodic_job_ends_in_time(db, outbox, people):
    now = utcnow()
    (registration,) = people(1, now)
    # A long backlog for one person (their confirmation and 101 notes): one message per
    # person per pass, so they need 102 passes.
    for _ in range(101):
        services.queue_message(db.session, registration, "details", now=now)
    db.session.commit()

    report = services.deliver_until_done(db.session, now_fn=lambda: now)

    assert (report.sent, len(list(outbox.glob("*.eml")))) == (100, 100)
    assert services.deliver_until_done(db.session, now_fn=lambda: now).sent == 2  # the next run


def test_a_pass_reads_four_batches_of_due_rows_so_one_persons_backlog_holds_the_next_people_back_a_pass(
    db, smtp, people
):
    now = utcnow()
    (backlog,) = people(1, now)
    for _ in range(7):  # their confirmation and seven notes: eight rows due, the oldest
        services.queue_message(db.session, backlog, "details", now=now)
    db.session.commit()
    second, third = people(2, now)

    # Batches of two: the pass reads eight due rows, all the first person's, and sends their first.
    first = services.deliver_due(db.session, now=now, limit=2)
    assert (first.sent, _received(smtp)) == (1, [backlog.email])
    following = services.deliver_due(db.session, now=now, limit=2)
    assert (following.sent, _received(smtp)[1:]) == (2, [backlog.email, second.email])


def test_a_letter_refused_for_good_is_logged_with_the_contact_it_was_for(
    app, db, make_event, make_directory, author, smtp, caplog
):
    event = make_event(title="Parliamentary solidarity: Supporting MPs under threat", languages=["en", "fr", "es"])
    refused, accepted = make_directory(2).contacts
    smtp.handler.replies[refused.email.lower()] = REFUSED
    kind = letters.K.INVITATION
    letter, _ = letters.send_letter(db.session, event, kind, letters.default_texts(kind, event.languages),
                                    letters.default_filters(kind), now=utcnow(), user=author,
                                    secret_key=app.config["SECRET_KEY"])
    db.session.commit()
    letter_id = letter.id
    caplog.set_level(logging.WARNING, logger="panel_app.mail.delivery")

    report = services.deliver_due(db.session, now=utcnow())  # one pass, as a job runs it
    db.session.rollback()  # the job ends: only what the pass committed stays

    assert _counts(report) == (1, 0, 0, 1)
    assert db.session.get(Outreach, letter_id).state != "pending"  # the letter is settled by the pass itself
    copy = db.session.scalar(sa.select(Notification).where(Notification.contact_id == refused.id))
    assert copy.state == "failed" and "550" in copy.last_error
    assert [r.getMessage() for r in caplog.records if r.name == "panel_app.mail.delivery"] == [
        f"mail {copy.id} to contact {refused.id} failed (attempt 1, giving up): {copy.last_error}"]


def test_a_message_that_cannot_be_rendered_waits_for_a_retry_without_holding_up_the_rest_of_the_pass(
    db, smtp, people, caplog
):
    now = utcnow()
    registrations = people(6, now)  # over three events
    broken = registrations[0].event
    # The event's zone vanished from the zone database (an upgrade renamed it).
    db.session.execute(sa.update(Event).where(Event.id == broken.id).values(timezone="Europe/Atlantis"))
    db.session.commit()
    stuck = [r for r in registrations if r.event_id == broken.id]
    caplog.set_level(logging.WARNING, logger="panel_app.mail.delivery")

    report = services.deliver_until_done(db.session, now_fn=lambda: now)

    assert _counts(report) == (4, 0, 2, 0)
    assert sorted(_received(smtp)) == sorted(r.email for r in registrations if r not in stuck)
    db.session.expire_all()
    for registration in stuck:
        notification = _notification_of(db, registration)
        assert (notification.state, notification.attempts, notification.next_attempt_at) == (
            "pending", 1, now + timedelta(minutes=1))
        assert notification.last_error == "render: 'No time zone found with key Europe/Atlantis'"
        row = db.session.get(Registration, registration.id)
        assert (row.invite_state, row.invite_last_error) == ("pending", notification.last_error)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [f"cannot render notification {_notification_of(db, r).id}"
                                                for r in stuck]
    assert all(r.exc_info for r in errors)

    db.session.execute(sa.update(Event).where(Event.id == broken.id).values(timezone="Europe/Zurich"))
    db.session.commit()
    later = services.deliver_until_done(db.session, now_fn=lambda: now + timedelta(minutes=1))
    assert _counts(later) == (2, 0, 0, 0)


def test_delivery_started_for_one_registration_sends_only_that_persons_mail(db, smtp, people):
    now = utcnow()
    maria, zoe, aissata = people(3, now)
    services.queue_message(db.session, maria, "details", now=now)
    db.session.commit()

    report = services.deliver_until_done(db.session, now_fn=lambda: now, registration_id=maria.id)

    assert _counts(report) == (2, 0, 0, 0)  # her confirmation, then her details
    assert _received(smtp) == [maria.email, maria.email]
    waiting = db.session.scalars(sa.select(Notification.registration_id).where(Notification.state == "pending"))
    assert sorted(waiting) == sorted([zoe.id, aissata.id])


def test_a_drain_goes_on_after_a_pass_that_only_skipped_or_only_failed(db, smtp, people):
    now = utcnow()
    tulia, omer = people(2, now)
    # Tulia cancelled after her confirmation was queued: pass 1 skips it, pass 2 sends the notice.
    tulia.status = "cancelled"
    services.queue_message(db.session, tulia, "cancelled", now=now)
    db.session.commit()
    report = services.deliver_until_done(db.session, now_fn=lambda: now, registration_id=tulia.id)
    assert _counts(report) == (1, 1, 0, 0)

    # Ömer's mailbox does not exist: pass 1 fails his confirmation for good, pass 2 his details.
    smtp.handler.replies[omer.email.lower()] = REFUSED
    services.queue_message(db.session, omer, "details", now=now)
    db.session.commit()
    report = services.deliver_until_done(db.session, now_fn=lambda: now, registration_id=omer.id)
    assert _counts(report) == (0, 0, 0, 2)


def test_a_drain_sends_through_the_sender_and_with_the_settings_it_is_given(app, db, people, mail_to_smtp, tmp_path):
    from email import message_from_bytes
    from email.policy import default as default_policy

    from panel_app.mail.sender import OutboxSender

    mail_to_smtp(free_port())  # the configured server is down; the benchmark passes its own sender
    now = utcnow()
    (registration,) = people(1, now)
    settings = dict(app.config, BASE_URL="https://events.example.org")

    report = services.deliver_until_done(db.session, now_fn=lambda: now, sender=OutboxSender(str(tmp_path / "out")),
                                         config=settings)

    assert _counts(report) == (1, 0, 0, 0)
    (path,) = (tmp_path / "out").glob("*.eml")
    message = message_from_bytes(path.read_bytes(), policy=default_policy)
    assert message["To"].addresses[0].addr_spec == registration.email
    assert message["Message-ID"].endswith("@events.example.org>")
