"""Writing and reading the audit log.

`record` adds an entry to the caller's unit of work, so an action and its audit entry
commit (or roll back) together. Registration status changes are recorded from the
`registration_status_changed` signal, whoever caused them (organiser, registrant, a job),
which gives every registration a complete history without each caller remembering to log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from panel_app.models import ApiToken, AuditEntry, Event, Registration, User
from panel_app.registration import signals

#: Details are for people to read; keep one entry small whatever a caller passes.
MAX_DETAIL_CHARS = 2000


def _trim(details: dict | None) -> dict:
    clean: dict = {}
    for key, value in (details or {}).items():
        if isinstance(value, str) and len(value) > MAX_DETAIL_CHARS:
            value = value[:MAX_DETAIL_CHARS] + "…"
        clean[str(key)[:64]] = value
    return clean


def actor_name(actor: User | ApiToken | str | None) -> str:
    """How the log names an actor: a console user by email, an API token by number and name."""
    if isinstance(actor, User):
        return actor.email
    if isinstance(actor, ApiToken):
        return actor.audit_name
    return actor or "system"


def record(
    session: Session,
    action: str,
    *,
    actor: User | ApiToken | str | None,
    event_id: int | None = None,
    registration_id: int | None = None,
    details: dict | None = None,
    ip: str | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add an audit entry to `session` (committed with the caller's transaction)."""
    entry = AuditEntry(
        action=action[:64],
        event_id=event_id,
        registration_id=registration_id,
        details=_trim(details),
        ip=(ip or None) and ip[:64],
    )
    if isinstance(actor, User):
        entry.user_id = actor.id
    entry.actor = actor_name(actor)[:320]
    if now is not None:
        entry.created_at = now
    session.add(entry)
    return entry


def _on_status_changed(registration: Registration, previous: str | None = None, actor: str | None = None, **_) -> None:
    session = object_session(registration)
    if session is None:  # a detached row is not part of any unit of work we could log into
        return
    record(
        session,
        "registration.status",
        actor=actor or "system",
        event_id=registration.event_id,
        registration_id=registration.id,
        details={"from": previous, "to": str(registration.status)},
        now=registration.status_changed_at,
    )


signals.registration_status_changed.connect(_on_status_changed, weak=False)


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    page: int
    pages: int
    total: int


def history_for_registration(session: Session, registration_id: int, limit: int = 200) -> list[AuditEntry]:
    """Entries about one registration, oldest first."""
    return list(
        session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.registration_id == registration_id)
            .order_by(AuditEntry.created_at, AuditEntry.id)
            .limit(limit)
        )
    )


def audit_page(session: Session, *, page: int, per_page: int = 100, action: str | None = None) -> AuditPage:
    """Newest first, optionally only actions starting with `action` (e.g. "login")."""
    where = []
    if action:
        where.append(sa.or_(AuditEntry.action == action, AuditEntry.action.startswith(action + ".", autoescape=True)))
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    entries = list(
        session.scalars(
            sa.select(AuditEntry)
            .where(*where)
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .offset((min(page, pages) - 1) * per_page)
            .limit(per_page)
        )
    )
    return AuditPage(entries=entries, page=min(page, pages), pages=pages, total=total)


def event_slugs(session: Session, event_ids: set[int]) -> dict[int, str]:
    """{event id: slug} for the events entries refer to (one query; none for no ids)."""
    if not event_ids:
        return {}
    return {event_id: slug for event_id, slug in session.execute(
        sa.select(Event.id, Event.slug).where(Event.id.in_(event_ids)))}
