"""Turning a notification row into the email to send, in the registrant's (or contact's) language.

Rendering happens at send time, from the current rows: a message queued before a change
(new time, personal Zoom link, cancellation) carries the newest facts, and a message that
no longer makes sense (an invite for a registration cancelled meanwhile) is skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Session

from panel_app.calendar import builder, content
from panel_app.events.timefmt import event_time
from panel_app.mail import bodies, branding, letters
from panel_app.mail.addresses import message_id, sender_headers
from panel_app.mail.compose import invitation_message
from panel_app.mail.texts import subject_and_intro
from panel_app.models import (
    CANCEL_KINDS,
    REQUEST_KINDS,
    EventStatus,
    Notification,
    NotificationKind,
    NotificationState,
    RegistrationStatus,
)

K = NotificationKind


@dataclass
class Rendered:
    message: object  # email.message.EmailMessage or compose.PreparedMessage
    method: str | None
    sequence: int | None
    fingerprint: str | None


def still_relevant(notification: Notification, now: datetime) -> bool:
    """Whether the message still makes sense now (else it is skipped, not sent)."""
    registration = notification.registration
    if not registration.email:
        return False  # erased: no address left to write to
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
    return True  # group messages go to whoever the organiser chose


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
    """SEQUENCE for the next calendar message to this registrant (see `_sequence_for`)."""
    return _sequence_for(registration, fingerprint, last_sent_calendar(session, registration.id))


def _sequence_for(registration, fingerprint: str, previous: Notification | None) -> int:
    """max(event.calendar_sequence, previous SEQUENCE sent + 1 when what the calendar shows
    changes: time, zone, join link, status).

    A resend of identical content repeats the previous SEQUENCE with a new DTSTAMP, which
    RFC 5546 §2.1.5 treats as the newer copy. A personal Zoom link arriving after the
    invite therefore goes out as SEQUENCE + 1, so Outlook, which ignores same-SEQUENCE
    updates, replaces the general link too.
    """
    base = int(registration.event.calendar_sequence or 0)
    if previous is None:
        if registration.invite_sequence is None:
            return base
        return max(base, registration.invite_sequence + 1)
    if previous.fingerprint == fingerprint:
        return max(base, previous.sequence_sent)
    return max(base, previous.sequence_sent + 1)


class BatchCache:
    """What the messages of one batch share, computed once per batch.

    Keys hold every input of a value (event id *and* its time, zone, title, status...,
    locale, kind), so an event edited between two batches, or even between two messages of
    one batch, never gets a stale value. A new cache is made per batch; nothing outlives it.
    """

    def __init__(self, session: Session, notifications: list[Notification]):
        self.values: dict[tuple, object] = {}
        self._last_sent = _last_sent_by_registration(
            session, {n.registration_id for n in notifications if n.registration_id is not None})

    def get(self, key: tuple, make):
        try:
            return self.values[key]
        except KeyError:
            value = self.values[key] = make()
            return value

    def last_sent(self, registration_id: int) -> Notification | None:
        return self._last_sent.get(registration_id)


def _last_sent_by_registration(session: Session, registration_ids: set[int]) -> dict[int, Notification]:
    """`last_sent_calendar` for many registrations in one query."""
    if not registration_ids:
        return {}
    rows = session.scalars(
        sa.select(Notification).where(
            Notification.registration_id.in_(registration_ids),
            Notification.state == NotificationState.SENT,
            Notification.sequence_sent.is_not(None),
        )
    ).all()
    latest: dict[int, Notification] = {}
    for row in rows:
        current = latest.get(row.registration_id)
        if current is None or (row.sent_at, row.id) > (current.sent_at, current.id):
            latest[row.registration_id] = row
    return latest


def render(session: Session, notification: Notification, *, now: datetime, config) -> Rendered | None:
    """The email for `notification`, or None when it is no longer relevant."""
    return render_batch(session, [notification], now=now, config=config)[0]


def render_batch(session: Session, notifications: list[Notification], *, now: datetime, config,
                 on_error=None) -> list[Rendered | None]:
    """`render` for a batch: one query for the previous invites, shared parts built once.

    `on_error(notification, exc)`, when given, is called for a message that cannot be
    rendered (its result is None then) so one bad row never blocks the batch; without it
    the exception propagates.
    """
    cache = BatchCache(session, notifications)
    results: list[Rendered | None] = []
    for notification in notifications:
        try:
            if notification.contact_id is not None:  # a letter to a directory contact
                results.append(_render_letter(session, notification, now=now, config=config, cache=cache))
            elif not still_relevant(notification, now):
                results.append(None)
            elif notification.kind == K.GROUP_MESSAGE:
                results.append(_render_group(session, notification, config=config, cache=cache))
            else:
                results.append(_render_one(session, notification, now=now, config=config, cache=cache))
        except Exception as exc:
            if on_error is None:
                raise
            on_error(notification, exc)
            results.append(None)
    return results


def _render_letter(session: Session, notification: Notification, *, now: datetime, config,
                   cache: BatchCache) -> Rendered | None:
    """A contact's copy of a letter (see `letters`), or None when it no longer applies."""
    if not letters.still_relevant(session, notification):
        return None
    message = letters.render_letter(session, notification, now=now, config=config, cache=cache)
    return Rendered(message=message, method=None, sequence=None, fingerprint=None)


def _locale(registration, config) -> str:
    language = registration.communication_language
    return language if language in config["LANGUAGES"] else "en"


def _organiser(session: Session, event, locale: str, config, cache: BatchCache) -> tuple[str, str]:
    return cache.get(("organiser", _event_key(event), locale),
                     lambda: content.organiser(event, locale, config, session))


def _render_group(session: Session, notification: Notification, *, config, cache: BatchCache) -> Rendered:
    """An organiser's message: their subject and text as written, in the shared layout, in
    the recipient's language; replies go to the organiser."""
    message = notification.group_message
    registration = notification.registration
    event = registration.event
    locale = _locale(registration, config)
    with force_locale(locale):
        organiser = _organiser(session, event, locale, config, cache)
        body_text, body_html = cache.get(
            ("group", message.id, message.subject, message.body, _event_key(event), locale),
            lambda: bodies.group_bodies(event=event, subject=message.subject, body=message.body, locale=locale,
                                        brand=cache.get(("brand", locale),
                                                        lambda: branding.brand(session, locale, config)),
                                        organiser_name=organiser[0]),
        )
    email = invitation_message(
        to=(registration.full_name, registration.email), subject=message.subject, text=body_text, html=body_html,
        ics=None, method=None, message_id=message_id(notification, builder.uid_domain(config["BASE_URL"])),
        language=locale, **sender_headers(event, config, organiser),
    )
    return Rendered(message=email, method=None, sequence=None, fingerprint=None)


def _event_key(event) -> tuple:
    # Every event field a message shows; part of each shared value's cache key.
    return (event.id, event.slug, event.starts_at, event.ends_at, event.timezone, event.title, event.description,
            repr(event.translations), event.status, event.join_url, event.organiser_name, event.organiser_email,
            event.calendar_sequence)


def _details_key(notification: Notification) -> str:
    return json.dumps(notification.details or {}, sort_keys=True)


def _render_one(session: Session, notification: Notification, *, now: datetime, config,
                cache: BatchCache) -> Rendered:
    registration = notification.registration
    event = registration.event
    locale = _locale(registration, config)
    kind = notification.kind
    previous = cache.last_sent(registration.id)
    method = None
    if kind in REQUEST_KINDS:
        method = "REQUEST"
    elif kind in CANCEL_KINDS and (registration.invite_sequence is not None or previous is not None):
        method = "CANCEL"
    event_key = _event_key(event)
    details_key = _details_key(notification)
    event_live = event.status != EventStatus.CANCELLED

    with force_locale(locale):
        organiser = _organiser(session, event, locale, config, cache)
        shared = cache.get(("shared", event_key, locale, kind, registration.language, details_key),
                           lambda: _shared(event, locale, kind, registration.language, notification.details,
                                           organiser, config))
        brand = cache.get(("brand", locale), lambda: branding.brand(session, locale, config))
        invite_shared = cache.get(("invite_text", event_key, locale, registration.language),
                                  lambda: content.shared_invite_text(registration, locale))
        manage = content.manage_url(registration, config)
        ics = sequence = fingerprint = None
        confirmed = registration.status == RegistrationStatus.CONFIRMED and event_live
        if method:
            text = content.invite_text(registration, manage=manage if method == "REQUEST" else None, locale=locale,
                                       shared=invite_shared)
            fingerprint = content.fingerprint(registration, method)
            sequence = _sequence_for(registration, fingerprint, previous)
            ics = content.registration_ics(registration, method=method, sequence=sequence, dtstamp=now,
                                           locale=locale, manage=manage, config=config, text=text,
                                           organiser_mailbox=organiser, session=session)
        links = (content.registration_links(registration, manage=manage, locale=locale, shared=invite_shared,
                                            config=config) if confirmed else None)
        join_url = registration.join_url if confirmed else None
        personal_link = bool(join_url) and content.is_personal_link(registration)
        # The private page lets people see, change or cancel their seat: not offered once
        # the registration or the whole event is cancelled.
        manage_shown = manage if registration.is_active and event_live else None
        skeleton = cache.get(
            ("bodies", event_key, locale, kind, registration.language, details_key, bool(join_url), personal_link,
             bool(manage_shown), links is not None, method),
            lambda: bodies.skeletons(shared, locale, brand=brand, join_url=bool(join_url),
                                     personal_link=personal_link, manage_url=bool(manage_shown),
                                     links=links is not None, has_invite=method == "REQUEST"),
        )
        personal = {"name": registration.full_name, "join_url": join_url or "", "manage_url": manage_shown or ""}
        if links is not None:
            personal.update(google=links.google, outlook_com=links.outlook_com, office_365=links.office_365,
                            ics=links.ics)
        body_text, body_html = bodies.fill(skeleton, personal)
    message = invitation_message(
        to=(registration.full_name, registration.email),
        subject=shared["subject"],
        text=body_text,
        html=body_html,
        ics=ics,
        method=method,
        message_id=message_id(notification, builder.uid_domain(config["BASE_URL"])),
        language=locale,
        **shared["sender_headers"],
    )
    return Rendered(message=message, method=method, sequence=sequence, fingerprint=fingerprint)


def _changes(details: dict | None, language: str, locale: str) -> list[tuple[str, str, str]]:
    """(field, new label, previous label) for a "changed" message (see `texts`): the channel
    is now `language`, the emails are now in `locale`."""
    details = details or {}
    previous = details.get("previous", {})
    result = []
    for field in ("language", "email_language"):
        new = language if field == "language" else locale
        # Changed and changed back before the notice went out: nothing to tell.
        if field in details.get("changed", []) and previous.get(field) != new:
            result.append((field, _in_sentence(content.language_label(new), locale),
                           _in_sentence(content.language_label(previous.get(field, "")), locale)))
    return result


def _in_sentence(label: str, locale: str) -> str:
    """A language's name inside a sentence: French and Spanish write it in lower case."""
    return label.lower() if locale in ("fr", "es") else label


def _shared(event, locale: str, kind: str, language: str, details: dict | None, organiser: tuple[str, str],
            config) -> dict:
    """The parts of a message every registrant of `event` with this locale and kind shares."""
    title = event.localized("title", locale)
    times = event_time(event.starts_at, event.ends_at, event.timezone, locale)
    subject, paragraphs = subject_and_intro(kind, title, times.summary, _changes(details, language, locale))
    return {
        "event": event,
        "kind": kind,
        "title": title,
        "times": times,
        "subject": subject,
        "paragraphs": paragraphs,
        "language": content.language_label(language),
        "organiser_name": organiser[0],
        "event_url": content.event_page_url(event, config),
        "sender_headers": sender_headers(event, config, organiser),
    }
