"""Choosing a letter's recipients: filters, the coverage reminder's interval, the follow-up
request (each parliament's report and private link) and its one reminder."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from panel_app.directory import letters, links
from panel_app.models import FollowUpReport, Notification, utcnow
from tests.conftest import utc

K = letters.K


def _send(app, db, event, author, kind, filters=None, now=None):
    letter, _ = letters.send_letter(db.session, event, kind, letters.default_texts(kind, event.languages),
                                    filters or letters.default_filters(kind), now=now or utcnow(), user=author,
                                    secret_key=app.config["SECRET_KEY"])
    db.session.commit()
    return letter


def test_filters_narrow_the_recipients_to_an_affiliation_region_and_country(app, db, make_event, make_directory):
    event = make_event()
    directory = make_directory(300)
    everyone = letters.select_recipients(db.session, event, K.INVITATION, letters.LetterFilters(), now=utcnow())
    assert everyone.count == 300
    by_region = letters.select_recipients(db.session, event, K.INVITATION, letters.LetterFilters(region="Africa"),
                                          now=utcnow())
    assert by_region.count == sum(1 for o in directory.organisations if o.region == "Africa") == 50
    narrow = letters.LetterFilters(affiliation="member_parliament", region="Africa", country="ci")
    expected = {c.id for c, o in zip(directory.contacts, directory.organisations, strict=True)
                if (o.affiliation_type, o.region, o.country) == ("member_parliament", "Africa", "CI")}
    chosen = letters.select_recipients(db.session, event, K.INVITATION, narrow, now=utcnow())
    assert set(chosen.contact_ids) == expected and 0 < len(expected) < 50


def test_an_invitation_to_parliaments_not_yet_represented_leaves_out_those_with_a_registrant(
        app, db, make_event, make_registration, make_directory):
    event = make_event()
    directory = make_directory(40)
    represented = directory.organisations[:7]
    for organisation in represented:
        make_registration(event, organisation_id=organisation.id, organisation=organisation.name)
    chosen = letters.select_recipients(db.session, event, K.INVITATION,
                                       letters.LetterFilters(scope="unrepresented"), now=utcnow())
    assert chosen.count == 33
    assert not set(chosen.organisation_ids) & {o.id for o in represented}


def test_the_coverage_reminder_leaves_out_contacts_reminded_within_the_chosen_interval_and_counts_them(
        app, db, make_event, make_registration, make_directory, author):
    event = make_event(starts_at=utc(2027, 9, 28, 13), ends_at=utc(2027, 9, 28, 14, 30))
    directory = make_directory(60)
    make_registration(event, organisation_id=directory.organisations[0].id)
    start = utcnow()
    first = _send(app, db, event, author, K.COVERAGE_REMINDER, letters.LetterFilters(interval_days=7), now=start)
    assert first.recipient_count == 59

    three_days_on = start + timedelta(days=3)
    week = letters.select_recipients(db.session, event, K.COVERAGE_REMINDER,
                                     letters.LetterFilters(interval_days=7), now=three_days_on)
    assert (week.count, week.recently_reminded) == (0, 59)
    with pytest.raises(letters.LetterError):
        _send(app, db, event, author, K.COVERAGE_REMINDER, letters.LetterFilters(interval_days=7), now=three_days_on)
    # A parliament that registers meanwhile drops out; a shorter interval lets the rest be reminded.
    make_registration(event, organisation_id=directory.organisations[1].id)
    short = letters.select_recipients(db.session, event, K.COVERAGE_REMINDER,
                                      letters.LetterFilters(interval_days=3), now=start + timedelta(days=4))
    assert (short.count, short.recently_reminded) == (58, 0)
    later = _send(app, db, event, author, K.COVERAGE_REMINDER, letters.LetterFilters(interval_days=7),
                  now=start + timedelta(days=8))
    assert later.recipient_count == 58


def test_a_follow_up_request_gives_each_parliament_its_report_and_private_link(
        app, db, make_event, make_registration, make_directory, author, smtp_server, mail_to_smtp, drain):
    mail_to_smtp(smtp_server)
    event = make_event(starts_at=utcnow() - timedelta(days=10), ends_at=utcnow() - timedelta(days=10, minutes=-90))
    directory = make_directory(25)
    for organisation in directory.organisations[:6]:
        make_registration(event, organisation_id=organisation.id, attended=True)
    letter = _send(app, db, event, author, K.FOLLOW_UP)  # default: parliaments with a registrant
    assert letter.recipient_count == 6
    drain()
    reports = {r.organisation_id: r for r in db.session.scalars(sa.select(FollowUpReport))}
    assert set(reports) == {o.id for o in directory.organisations[:6]}
    assert all(r.requested_at is not None and r.reminded_at is None for r in reports.values())
    for mail in smtp_server.messages:
        text = mail.get_body(("plain",)).get_content()
        token = re.search(r"http://panel\.test/follow-up/([A-Za-z0-9_-]+)", text).group(1)
        report = links.follow_up_report_by_token(db.session, token)
        contact = next(c for c in directory.contacts if c.email == mail["To"].addresses[0].addr_spec)
        assert report.organisation_id == contact.organisation_id and report.event_id == event.id


def test_the_follow_up_reminder_goes_once_and_only_to_parliaments_that_have_not_answered(
        app, db, make_event, make_registration, make_directory, author, smtp_server, mail_to_smtp, drain):
    mail_to_smtp(smtp_server)
    event = make_event(starts_at=utcnow() - timedelta(days=20), ends_at=utcnow() - timedelta(days=20, minutes=-90))
    directory = make_directory(12)
    _send(app, db, event, author, K.FOLLOW_UP, letters.LetterFilters(scope="all"))
    drain()
    reports = db.session.scalars(sa.select(FollowUpReport).order_by(FollowUpReport.id)).all()
    assert len(reports) == 12
    answered = reports[:4]
    for report in answered:
        report.submitted_at = utcnow()
    db.session.commit()

    reminder = _send(app, db, event, author, K.FOLLOW_UP_REMINDER)

    assert reminder.recipient_count == 8
    reminded = db.session.scalars(sa.select(FollowUpReport).where(FollowUpReport.reminded_at.is_not(None))).all()
    assert {r.id for r in reminded} == {r.id for r in reports[4:]}
    with pytest.raises(letters.LetterError):  # the one reminder has gone to everyone who had not answered
        _send(app, db, event, author, K.FOLLOW_UP_REMINDER)
    # A parliament that answers before its reminder goes out is not reminded.
    late = reports[5]
    late.submitted_at = utcnow()
    db.session.commit()
    smtp_server.handler.envelopes.clear()
    report = drain()
    assert (report.sent, report.skipped) == (7, 1)
    late_contact = next(c for c in directory.contacts if c.organisation_id == late.organisation_id)
    assert late_contact.email not in {m["To"].addresses[0].addr_spec for m in smtp_server.messages}
    copy = db.session.scalar(sa.select(Notification).where(Notification.contact_id == late_contact.id,
                                                           Notification.outreach_id == reminder.id))
    assert copy.state == "skipped"


def test_default_letters_exist_for_every_kind_in_every_language_and_use_only_their_placeholders(app):
    with app.test_request_context():
        for kind in K:
            texts = letters.default_texts(kind, ["en", "fr", "es"])
            assert set(texts) == {"en", "fr", "es"}
            for text in texts.values():
                assert text["subject"] and "{contact_name}" in text["body"]
                assert letters.unknown_placeholders(text["subject"] + text["body"], kind) == []
            link = "{follow_up_link}" if kind in (K.FOLLOW_UP, K.FOLLOW_UP_REMINDER) else "{registration_link}"
            assert all(link in t["body"] for t in texts.values())
            assert texts["fr"]["body"] != texts["en"]["body"] != texts["es"]["body"]
