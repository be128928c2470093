"""Erasure and export of registrants' personal data.

Erasure anonymises in place rather than deleting: the registration row keeps its event,
status, interpretation language, country, affiliation type, role and attendance figures,
so organisers' counts and reports stay right, while names, email, organisation,
committees, accessibility needs and the private link are gone for good. The unique
(event, email_normalized) key gets `erased:<id>`, which cannot collide with a real
address (those contain "@"), so the same person may register again later.

Copies of personal data in other features' tables (attendance sessions, walk-ins, message
recipients, audit details, stored webhook payloads) are blanked here through their models;
features that keep state of their own about a person (mail, Zoom) listen to
`signals.personal_data_erasing` and clean it themselves.

Erasing a person by address also forgets a directory contact with that address (see
`_erase_contacts`). This module is longer than the guide's 350 lines because erasure, export
and retention share the same look-ups of where personal data is copied; split, that list
would be scattered.

Functions take a session, flush, and leave the commit to the caller.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from panel_app.models import (
    AttendanceSession,
    AuditEntry,
    Contact,
    ErasureRecord,
    Event,
    Notification,
    Registration,
    WalkIn,
    ZoomWebhookDelivery,
)
from panel_app.privacy import signals
from panel_app.registration import services as registration_services
from panel_app.registration.services import hash_token

ERASED_PREFIX = "erased:"


def is_erased(registration: Registration) -> bool:
    return registration.email_normalized.startswith(ERASED_PREFIX)


def not_erased():
    """SQL condition: the registration still holds personal data."""
    return sa.not_(Registration.email_normalized.startswith(ERASED_PREFIX))


def normalise_lookup_email(value: str) -> str:
    """The uniqueness key registrations use for an address (case-folded, trimmed)."""
    from panel_app.registration.validation import InvalidInput, normalise_email

    try:
        return normalise_email(value)[1]
    except InvalidInput:
        # An admin may paste an address the validator dislikes; an exact match still helps.
        key = (value or "").strip().casefold()
        # No stored address holds a NUL byte, and PostgreSQL refuses one in a query.
        return "" if "\x00" in key else key


# --- Copies of personal data in other features' tables --------------------------------

def _bulk(session: Session, statement) -> None:
    """A bulk UPDATE/DELETE; loaded objects are not synchronised (none are used afterwards)."""
    session.execute(statement, execution_options={"synchronize_session": False})


def _erase_linked_copies(session: Session, registration_ids: list[int]) -> None:
    """Blank personal copies that point at these registrations."""
    if not registration_ids:
        return
    _bulk(
        session,
        sa.update(AttendanceSession).where(AttendanceSession.registration_id.in_(registration_ids))
        .values(name="", email="", registrant_id=None)
    )
    _bulk(
        session,
        sa.update(AuditEntry).where(AuditEntry.registration_id.in_(registration_ids)).values(details={"erased": True})
    )


def _anonymous_key(model):
    return ERASED_PREFIX + sa.cast(model.id, sa.String)


def _erase_event_copies(session: Session, event_id: int) -> None:
    """Blank per-event copies not linked to a registration (people who joined unregistered)."""
    _bulk(
        session,
        sa.update(WalkIn)
        .where(WalkIn.event_id == event_id, sa.not_(WalkIn.participant_key.startswith(ERASED_PREFIX)))
        .values(name="", email="", participant_key=_anonymous_key(WalkIn))
    )
    _bulk(
        session,
        sa.update(AttendanceSession)
        .where(AttendanceSession.event_id == event_id,
               sa.not_(AttendanceSession.participant_key.startswith(ERASED_PREFIX)))
        .values(name="", email="", registrant_id=None, participant_key=_anonymous_key(AttendanceSession))
    )


def _erase_email_copies(session: Session, email_key: str) -> None:
    """Blank unlinked copies found by address (walk-ins, unmatched attendance sessions)."""
    for model in (WalkIn, AttendanceSession):
        _bulk(
            session,
            sa.update(model)
            .where(sa.func.lower(model.email) == email_key)
            .values(name="", email="", participant_key=_anonymous_key(model))
        )


def _erase_contacts(session: Session, email_key: str) -> None:
    """The directory's contacts with this address (a person, not a parliament's functional
    mailbox, asked to be forgotten): name, function and address blanked, made inactive so no
    letter reaches them, letters still waiting skipped and stored SMTP errors (which quote the
    address) cleared. The parliament and what was sent to it stay."""
    ids = list(session.scalars(sa.select(Contact.id).where(Contact.email_normalized == email_key)))
    if not ids:
        return
    _bulk(session, sa.update(Contact).where(Contact.id.in_(ids)).values(
        name="", function="", email="", email_normalized=ERASED_PREFIX + sa.cast(Contact.id, sa.String),
        active=False))
    _bulk(session, sa.update(Notification).where(Notification.contact_id.in_(ids), Notification.state == "pending")
          .values(state="skipped"))
    _bulk(session, sa.update(Notification).where(Notification.contact_id.in_(ids), Notification.last_error.is_not(None))
          .values(last_error=None))


# --- Registrations ---------------------------------------------------------------------

def anonymise(session: Session, registration: Registration) -> None:
    """Remove the personal data of one registration, keeping what the counts need.

    Receivers of `signals.personal_data_erasing` run first, with the data still present
    (mail drops what was waiting to be sent and its stored errors). The Zoom registrant id
    is kept so a pending Zoom cancellation can still be pushed.
    """
    if is_erased(registration):
        return
    signals.personal_data_erasing.send(registration, session=session)
    registration.salutation = ""
    registration.first_name = ""
    registration.last_name = ""
    registration.email = ""
    registration.email_normalized = f"{ERASED_PREFIX}{registration.id}"
    registration.organisation = ""
    registration.committees = ""
    registration.accessibility_needs = ""
    # A fresh random hash: the old private link stops working, and no token derives to it.
    registration.token_hash = hash_token(secrets.token_urlsafe(32))
    registration.token_nonce = secrets.token_hex(16)
    registration.zoom_join_url = None
    registration.zoom_last_error = None
    session.flush()
    _erase_linked_copies(session, [registration.id])


def _record(session: Session, reason: str, count: int, *, event_id=None, user_id=None, now=None) -> None:
    session.add(ErasureRecord(reason=reason, registrations=count, event_id=event_id, user_id=user_id,
                              **({"created_at": now} if now else {})))


def erase_registration(session: Session, registration: Registration, *, now: datetime, reason: str,
                       user_id: int | None = None) -> bool:
    """Erase one registration; an active one for a future event is cancelled first.

    Cancelling frees the seat for the waiting list and triggers the usual Zoom
    cancellation. Returns False when it was already erased.
    """
    if is_erased(registration):
        return False
    if registration.is_active and registration.event.ends_at > now:
        registration_services.cancel(session, registration, now=now, actor=reason)
    anonymise(session, registration)
    _record(session, reason, 1, event_id=registration.event_id, user_id=user_id, now=now)
    session.flush()
    return True


def registrations_of(session: Session, email: str) -> list[Registration]:
    """Every registration, across events, made with `email` (not yet erased)."""
    key = normalise_lookup_email(email)
    if not key:
        return []
    return list(
        session.scalars(
            sa.select(Registration).where(Registration.email_normalized == key).order_by(Registration.created_at)
        )
    )


def erase_person(session: Session, email: str, *, now: datetime, user_id: int | None) -> int:
    """Erase everything held about the person with `email`; returns registrations erased."""
    registrations = registrations_of(session, email)
    for registration in registrations:
        if registration.is_active and registration.event.ends_at > now:
            registration_services.cancel(session, registration, now=now, actor="admin")
        anonymise(session, registration)
    key = normalise_lookup_email(email)
    if key:
        _erase_email_copies(session, key)
        _erase_contacts(session, key)
    _record(session, "admin", len(registrations), user_id=user_id, now=now)
    session.flush()
    return len(registrations)


def export_person(session: Session, email: str) -> dict:
    """All personal data held about `email`, as a JSON-ready dict (right of access): each
    registration with the emails sent to the person (and their state), their stays in the
    Zoom meeting and the history of changes, plus walk-ins recorded under the address."""
    registrations = registrations_of(session, email)
    ids = [r.id for r in registrations]
    key = normalise_lookup_email(email)
    emails = _grouped_by_registration(session, sa.select(Notification).where(Notification.registration_id.in_(ids))
                                      .options(selectinload(Notification.group_message))
                                      .order_by(Notification.created_at, Notification.id))
    stays = _grouped_by_registration(session, sa.select(AttendanceSession)
                                     .where(AttendanceSession.registration_id.in_(ids))
                                     .order_by(AttendanceSession.joined_at, AttendanceSession.id))
    history = _grouped_by_registration(session, sa.select(AuditEntry).where(AuditEntry.registration_id.in_(ids))
                                       .order_by(AuditEntry.created_at, AuditEntry.id))
    walk_ins = list(session.scalars(sa.select(WalkIn).where(sa.func.lower(WalkIn.email) == key))) if key else []
    return {
        "email": key,
        "registrations": [
            {**_registration_record(r),
             "emails": [_email_record(n) for n in emails.get(r.id, [])],
             "attendance_sessions": [_stay_record(a) for a in stays.get(r.id, [])],
             "history": [_history_record(e) for e in history.get(r.id, [])]}
            for r in registrations
        ],
        "walk_ins": [{"event": w.event_id, "name": w.name, "email": w.email,
                      "first_joined_at": _iso(w.first_joined_at), "attended_minutes": w.attended_minutes}
                     for w in walk_ins],
    }


def _grouped_by_registration(session: Session, statement) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for row in session.scalars(statement).unique():
        grouped.setdefault(row.registration_id, []).append(row)
    return grouped


def _email_record(n: Notification) -> dict:
    return {"kind": n.kind, "subject": n.group_message.subject if n.group_message else None,
            "state": n.state, "queued_at": _iso(n.created_at), "sent_at": _iso(n.sent_at), "attempts": n.attempts,
            "calendar_method": n.calendar_method, "last_error": n.last_error}


def _stay_record(a: AttendanceSession) -> dict:
    return {"joined_at": _iso(a.joined_at), "left_at": _iso(a.left_at), "name": a.name, "email": a.email,
            "source": a.source}


def _history_record(e: AuditEntry) -> dict:
    return {"at": _iso(e.created_at), "actor": e.actor, "action": e.action, "details": e.details}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _registration_record(r: Registration) -> dict:
    return {
        "event": {"slug": r.event.slug, "title": r.event.title, "starts_at": _iso(r.event.starts_at),
                  "ends_at": _iso(r.event.ends_at), "timezone": r.event.timezone},
        "salutation": r.salutation,
        "first_name": r.first_name,
        "last_name": r.last_name,
        "email": r.email,
        "country": r.country,
        "organisation": r.organisation,
        "affiliation_type": r.affiliation_type,
        "role": r.role,
        "committees": r.committees,
        "language": r.language,
        "email_language": r.email_language,
        "accessibility_needs": r.accessibility_needs,
        "status": r.status,
        "registered_at": _iso(r.created_at),
        "status_changed_at": _iso(r.status_changed_at),
        "cancelled_at": _iso(r.cancelled_at),
        "consent_at": _iso(r.consent_at),
        "privacy_notice_version": r.privacy_notice_version,
        "invite_state": r.invite_state,
        "zoom_state": r.zoom_state,
        "zoom_registrant_id": r.zoom_registrant_id,
        "zoom_join_url": r.zoom_join_url,
        "attended": r.attended,
        "first_joined_at": _iso(r.first_joined_at),
        "attended_minutes": r.attended_minutes,
    }


# --- Retention -------------------------------------------------------------------------

@dataclass(frozen=True)
class RetentionReport:
    events: int
    registrations: int


def erase_expired(session: Session, *, now: datetime, retention_days: int, batch_size: int = 500) -> RetentionReport:
    """Anonymise personal data of events that ended more than `retention_days` ago.

    Idempotent; handles at most `batch_size` registrations per event per call so one job
    never holds a huge transaction (the periodic job calls again until nothing is left).
    """
    if retention_days <= 0:
        return RetentionReport(0, 0)
    cutoff = now - timedelta(days=retention_days)
    events = session.scalars(sa.select(Event).where(Event.ends_at < cutoff).order_by(Event.id)).all()
    total = touched = 0
    for event in events:
        rows = session.scalars(
            sa.select(Registration).where(Registration.event_id == event.id, not_erased()).limit(batch_size)
        ).all()
        for registration in rows:
            anonymise(session, registration)
        _erase_event_copies(session, event.id)
        if rows:
            touched += 1
            total += len(rows)
            _record(session, "retention", len(rows), event_id=event.id, now=now)
    _erase_old_webhook_payloads(session, cutoff)
    session.flush()
    return RetentionReport(touched, total)


def _erase_old_webhook_payloads(session: Session, cutoff: datetime) -> None:
    """Processed Zoom notifications carry participant names and emails: drop old ones."""
    _bulk(
        session,
        sa.delete(ZoomWebhookDelivery)
        .where(ZoomWebhookDelivery.received_at < cutoff, ZoomWebhookDelivery.processed_at.is_not(None))
    )
    _bulk(session, sa.update(AuditEntry).where(AuditEntry.created_at < cutoff, AuditEntry.ip.is_not(None))
          .values(ip=None))


def erase_old_outbox_files(outbox: str | Path, *, now: datetime, retention_days: int) -> int:
    """Delete .eml files older than the retention period from the local mail outbox."""
    folder = Path(outbox)
    if retention_days <= 0 or not folder.is_dir():
        return 0
    cutoff = (now - timedelta(days=retention_days)).timestamp()
    removed = 0
    for path in folder.glob("*.eml"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another worker removed it first
            continue
    return removed
