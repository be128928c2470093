"""Erasure and export of registrants' personal data.

Erasure anonymises in place rather than deleting: the registration row keeps its event,
status, interpretation language, country, affiliation type, role and attendance figures,
so organisers' counts and reports stay right, while names, email, organisation,
committees, accessibility needs and the private link are gone for good. The unique
(event, email_normalized) key gets `erased:<id>`, which cannot collide with a real
address (those contain "@"), so the same person may register again later.

Other features' tables that copy personal data (attendance sessions, walk-ins, message
recipients, audit details, stored webhook payloads) are cleaned by table and column name
through the shared metadata, and skipped when a deployment lacks them.

Functions take a session, flush, and leave the commit to the caller.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.models import ErasureRecord, Event, Registration, SyncState
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

def _table(session: Session, name: str, *columns: str) -> sa.Table | None:
    """The table from the shared metadata, if it exists with all `columns` (else None)."""
    from panel_app.models import Base

    table = Base.metadata.tables.get(name)
    if table is None or any(c not in table.c for c in columns):
        return None
    return table


def _erase_linked_copies(session: Session, registration_ids: list[int]) -> None:
    """Blank personal copies that point at these registrations."""
    if not registration_ids:
        return
    sessions = _table(session, "attendance_sessions", "registration_id", "name", "email")
    if sessions is not None:
        values = {"name": "", "email": ""}
        if "registrant_id" in sessions.c:
            values["registrant_id"] = None
        session.execute(sa.update(sessions).where(sessions.c.registration_id.in_(registration_ids)).values(**values))
    recipients = _table(session, "group_message_recipients", "registration_id", "email", "name")
    if recipients is not None:
        session.execute(
            sa.update(recipients).where(recipients.c.registration_id.in_(registration_ids)).values(email="", name="")
        )
    audit = _table(session, "audit_entries", "registration_id", "details")
    if audit is not None:
        session.execute(
            sa.update(audit).where(audit.c.registration_id.in_(registration_ids)).values(details={"erased": True})
        )
    notifications = _table(session, "notifications", "registration_id", "last_error")
    if notifications is not None:  # SMTP errors often quote the recipient's address
        session.execute(
            sa.update(notifications).where(notifications.c.registration_id.in_(registration_ids)).values(last_error=None)
        )


def _erase_event_copies(session: Session, event_id: int) -> None:
    """Blank per-event copies not linked to a registration (people who joined unregistered)."""
    walk_ins = _table(session, "walk_ins", "event_id", "id", "name", "email", "participant_key")
    if walk_ins is not None:
        session.execute(
            sa.update(walk_ins)
            .where(walk_ins.c.event_id == event_id, sa.not_(walk_ins.c.participant_key.startswith(ERASED_PREFIX)))
            .values(name="", email="", participant_key=ERASED_PREFIX + sa.cast(walk_ins.c.id, sa.String))
        )
    sessions = _table(session, "attendance_sessions", "event_id", "id", "name", "email", "participant_key")
    if sessions is not None:
        values = {"name": "", "email": "", "participant_key": ERASED_PREFIX + sa.cast(sessions.c.id, sa.String)}
        if "registrant_id" in sessions.c:
            values["registrant_id"] = None
        session.execute(
            sa.update(sessions)
            .where(sessions.c.event_id == event_id, sa.not_(sessions.c.participant_key.startswith(ERASED_PREFIX)))
            .values(**values)
        )


def _erase_email_copies(session: Session, email_key: str) -> None:
    """Blank unlinked copies found by address (walk-ins, unmatched attendance sessions)."""
    for name in ("walk_ins", "attendance_sessions"):
        table = _table(session, name, "id", "name", "email", "participant_key")
        if table is None:
            continue
        session.execute(
            sa.update(table)
            .where(sa.func.lower(table.c.email) == email_key)
            .values(name="", email="", participant_key=ERASED_PREFIX + sa.cast(table.c.id, sa.String))
        )


# --- Registrations ---------------------------------------------------------------------

def anonymise(session: Session, registration: Registration) -> None:
    """Remove the personal data of one registration, keeping what the counts need.

    Receivers of `signals.personal_data_erasing` run first, with the data still present.
    The Zoom registrant id is kept so a pending Zoom cancellation can still be pushed.
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
    registration.invite_last_error = None
    registration.zoom_last_error = None
    if registration.invite_state == SyncState.PENDING:
        registration.invite_state = SyncState.NONE  # no address left to write to
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
    _record(session, "admin", len(registrations), user_id=user_id, now=now)
    session.flush()
    return len(registrations)


def export_person(session: Session, email: str) -> dict:
    """All personal data held about `email`, as a JSON-ready dict (right of access)."""
    registrations = registrations_of(session, email)
    return {
        "email": normalise_lookup_email(email),
        "registrations": [_registration_record(r) for r in registrations],
    }


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
    deliveries = _table(session, "zoom_webhook_deliveries", "received_at", "processed_at")
    if deliveries is not None:
        session.execute(
            sa.delete(deliveries).where(deliveries.c.received_at < cutoff, deliveries.c.processed_at.is_not(None))
        )
    audit = _table(session, "audit_entries", "created_at", "ip")
    if audit is not None:
        session.execute(sa.update(audit).where(audit.c.created_at < cutoff, audit.c.ip.is_not(None)).values(ip=None))


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
