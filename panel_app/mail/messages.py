"""Turning a notification row into the email to send, in the registrant's language.

Rendering happens at send time, from the current rows: a message queued before a change
(new time, personal Zoom link, cancellation) carries the newest facts, and a message that
no longer makes sense (an invite for a registration cancelled meanwhile) is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from panel_app.calendar import builder, content
from panel_app.events.timefmt import event_time
from panel_app.mail.compose import invitation_message
from panel_app.models import EventStatus, Notification, NotificationKind, NotificationState, RegistrationStatus

K = NotificationKind
#: Kinds whose email carries the personal invite (METHOD:REQUEST).
REQUEST_KINDS = frozenset({K.CONFIRMED, K.APPROVED, K.PROMOTED, K.EVENT_UPDATED, K.INVITE})
#: Kinds that withdraw the invite (METHOD:CANCEL) when one was sent before.
CANCEL_KINDS = frozenset({K.CANCELLED, K.EVENT_CANCELLED})
CALENDAR_KINDS = REQUEST_KINDS | CANCEL_KINDS


@dataclass
class Rendered:
    message: object  # email.message.EmailMessage
    method: str | None
    sequence: int | None
    fingerprint: str | None


def _still_relevant(notification: Notification, now: datetime) -> bool:
    registration = notification.registration
    event = registration.event
    kind = notification.kind
    status = registration.status
    event_cancelled = event.status == EventStatus.CANCELLED
    if kind in REQUEST_KINDS or kind == K.REMINDER:
        if status != RegistrationStatus.CONFIRMED or event_cancelled:
            return False
        return kind != K.REMINDER or now < event.starts_at
    if kind == K.CANCELLED:
        return status == RegistrationStatus.CANCELLED and not event_cancelled
    if kind == K.EVENT_CANCELLED:
        return event_cancelled
    if kind in (K.PENDING, K.WAITLISTED, K.DECLINED):
        return status == kind and not event_cancelled
    if kind == K.DETAILS:
        return registration.is_active
    return True


def last_sent_calendar(session: Session, registration_id: int) -> Notification | None:
    """The last message whose calendar part reached the registrant."""
    return session.scalar(
        sa.select(Notification)
        .where(
            Notification.registration_id == registration_id,
            Notification.state == NotificationState.SENT,
            Notification.sequence_sent.is_not(None),
        )
        .order_by(Notification.sent_at.desc(), Notification.id.desc())
        .limit(1)
    )


def invite_sequence(session: Session, registration, fingerprint: str) -> int:
    """SEQUENCE for the next calendar message to this registrant.

    max(event.calendar_sequence, previous SEQUENCE sent + 1 when what the calendar shows
    changes: time, zone, join link, status). A resend of identical content repeats the
    previous SEQUENCE with a new DTSTAMP, which RFC 5546 §2.1.5 treats as the newer copy.
    A personal Zoom link arriving after the invite therefore goes out as SEQUENCE + 1, so
    Outlook, which ignores same-SEQUENCE updates, replaces the general link too.
    """
    base = int(registration.event.calendar_sequence or 0)
    previous = last_sent_calendar(session, registration.id)
    if previous is None:
        if registration.invite_sequence is None:
            return base
        return max(base, registration.invite_sequence + 1)
    if previous.fingerprint == fingerprint:
        return max(base, previous.sequence_sent)
    return max(base, previous.sequence_sent + 1)


def _texts(kind: str, title: str, when: str) -> tuple[str, list[str]]:
    """(subject, introduction paragraphs) for a kind, in the current locale."""
    if kind == K.CONFIRMED:
        return _("Registration confirmed: %(title)s", title=title), [
            _("Your registration is confirmed."),
            _("The calendar invitation is attached: accept it to add the panel to your calendar."),
        ]
    if kind == K.APPROVED:
        return _("Registration approved: %(title)s", title=title), [
            _("The organisers have approved your registration. Your seat is confirmed."),
            _("The calendar invitation is attached: accept it to add the panel to your calendar."),
        ]
    if kind == K.PROMOTED:
        return _("A seat is now available: %(title)s", title=title), [
            _("A seat has become free and you have moved up from the waiting list. Your seat is confirmed."),
            _("The calendar invitation is attached: accept it to add the panel to your calendar."),
        ]
    if kind == K.PENDING:
        return _("Registration received: %(title)s", title=title), [
            _("We have received your registration. The organisers will review it."),
            _("Once it is approved, you will receive another email with your join link and calendar invitation."),
        ]
    if kind == K.WAITLISTED:
        return _("You are on the waiting list: %(title)s", title=title), [
            _("The panel is full, so you are on the waiting list."),
            _("If a seat becomes free, you will move up automatically and receive an email with your join link."),
        ]
    if kind == K.DECLINED:
        return _("Registration not accepted: %(title)s", title=title), [
            _("We are sorry: the organisers could not accept your registration for this panel."),
        ]
    if kind == K.CANCELLED:
        return _("Registration cancelled: %(title)s", title=title), [
            _("Your registration is cancelled. If your calendar shows the panel, this message removes it."),
        ]
    if kind == K.EVENT_UPDATED:
        return _("Updated: %(title)s", title=title), [
            _("The details of the panel have changed. Please see the new details below; the updated calendar invitation is attached."),
        ]
    if kind == K.EVENT_CANCELLED:
        return _("Cancelled: %(title)s", title=title), [
            _("The organisers have cancelled this panel. We apologise for the inconvenience."),
        ]
    if kind == K.INVITE:
        return _("Your invitation: %(title)s", title=title), [
            _("Here is your calendar invitation with your personal join link."),
        ]
    if kind == K.DETAILS:
        return _("Your registration details: %(title)s", title=title), [
            _("Someone, probably you, tried to register again with this email address. You are already registered: here are your details."),
        ]
    if kind == K.REMINDER:
        return _("Reminder: %(title)s, %(when)s", title=title, when=when), [
            _("This is a reminder: the panel starts on %(when)s.", when=when),
        ]
    raise ValueError(f"unknown notification kind {kind!r}")


def message_id(notification: Notification, domain: str) -> str:
    """The same Message-ID on every attempt, so a duplicate after a crash is recognisable."""
    return f"<notification-{notification.id}.registration-{notification.registration_id}@{domain}>"


def sender_headers(event, config) -> dict:
    """From/Sender/Reply-To for mail about `event` (see MAIL_FROM_ORGANISER in config.py)."""
    organiser_name, organiser_address = builder.organiser_mailbox(event, config["MAIL_DEFAULT_SENDER"])
    default = config["MAIL_DEFAULT_SENDER"]
    if event.organiser_email and config.get("MAIL_FROM_ORGANISER", True):
        return {"from_": (organiser_name, organiser_address), "sender": default, "reply_to": None}
    reply_to = (organiser_name, organiser_address) if event.organiser_email else None
    return {"from_": default, "sender": None, "reply_to": reply_to}


def render(session: Session, notification: Notification, *, now: datetime, config) -> Rendered | None:
    """The email for `notification`, or None when it is no longer relevant."""
    if not _still_relevant(notification, now):
        return None
    registration = notification.registration
    event = registration.event
    locale = registration.language if registration.language in config["LANGUAGES"] else "en"
    kind = notification.kind
    method = None
    if kind in REQUEST_KINDS:
        method = "REQUEST"
    elif kind in CANCEL_KINDS and (registration.invite_sequence is not None or last_sent_calendar(session, registration.id)):
        method = "CANCEL"

    with force_locale(locale):
        manage = content.manage_url(registration, config)
        title = event.localized("title", locale)
        times = event_time(event.starts_at, event.ends_at, event.timezone, locale)
        subject, paragraphs = _texts(kind, title, times.summary)
        ics = sequence = fingerprint = None
        if method:
            fingerprint = content.fingerprint(registration, method)
            sequence = invite_sequence(session, registration, fingerprint)
            ics = content.registration_ics(
                registration, method=method, sequence=sequence, dtstamp=now, locale=locale, manage=manage, config=config
            )
        show_links = registration.status == RegistrationStatus.CONFIRMED and event.status != EventStatus.CANCELLED
        links = content.registration_links(registration, manage=manage, locale=locale) if show_links else None
        context = {
            "registration": registration,
            "event": event,
            "title": title,
            "times": times,
            "paragraphs": paragraphs,
            "language": content.language_label(registration.language),
            "join_url": registration.join_url if show_links else None,
            "manage_url": manage if registration.is_active else None,
            "links": links,
            "organiser_name": builder.organiser_mailbox(event, config["MAIL_DEFAULT_SENDER"])[0],
            "has_invite": method == "REQUEST",
            "lang": locale,
        }
        text = render_template("emails/registration.txt", **context)
        html = render_template("emails/registration.html", **context)
    message = invitation_message(
        to=(registration.full_name, registration.email),
        subject=subject,
        text=text,
        html=html,
        ics=ics,
        method=method,
        message_id=message_id(notification, builder.uid_domain(config["BASE_URL"])),
        language=locale,
        **sender_headers(event, config),
    )
    return Rendered(message=message, method=method, sequence=sequence, fingerprint=fingerprint)
