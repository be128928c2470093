"""Console rules for an event's registrations: listing, actions and edits by organisers.

Functions take a session and plain values, flush, and leave the commit to the view. Seat
decisions go through `panel_app.registration.services` (which lock the event and announce
changes), attendance through `panel_app.attendance.services`; this module adds the
console's own rules on top and records what organisers do in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.admin.registrations.filters import RegistrationFilters
from panel_app.attendance import services as attendance_services
from panel_app.audit.services import record
from panel_app.models import Event, Registration, RegistrationStatus, User
from panel_app.registration import services as registration_services
from panel_app.registration import validation
from panel_app.registration.countries import country_codes

#: Most registrations one bulk action may touch (a page holds at most 200).
BULK_MAX = 500


# --------------------------------------------------------------------------- listing


SORT_COLUMNS = {
    "created": (Registration.created_at,),
    "name": (Registration.last_name, Registration.first_name),
    "email": (Registration.email_normalized,),
    "organisation": (Registration.organisation,),
    "country": (Registration.country,),
    "status": (Registration.status,),
    "language": (Registration.language,),
    "minutes": (Registration.attended_minutes,),
}


def filtered(stmt: sa.Select, event_id: int, filters: RegistrationFilters) -> sa.Select:
    """Add the event and the row-selecting filters to a statement over `registrations`."""
    stmt = stmt.where(Registration.event_id == event_id)
    if filters.q:
        words = filters.q.split()[:8]  # each word must match somewhere: "diallo senegal"
        for word in words:
            # SQLite's LIKE folds ASCII case only: also try the usual capitalisations so
            # "ñúñez" finds "Ñúñez" there (PostgreSQL's ILIKE folds every script anyway).
            variants = dict.fromkeys((word, word.lower(), word.capitalize(), word.upper()))
            conditions = [Registration.email_normalized.icontains(word.casefold(), autoescape=True)]
            for variant in variants:
                for column in (Registration.first_name, Registration.last_name, Registration.organisation):
                    conditions.append(column.icontains(variant, autoescape=True))
            stmt = stmt.where(sa.or_(*conditions))
    for name in ("status", "affiliation_type", "role", "language", "country", "zoom_state", "invite_state"):
        value = getattr(filters, name)
        if value:
            stmt = stmt.where(getattr(Registration, name) == value)
    if filters.attended == "yes":
        stmt = stmt.where(Registration.attended.is_(True))
    elif filters.attended == "no":
        stmt = stmt.where(Registration.attended.is_(False))
    elif filters.attended == "unknown":
        stmt = stmt.where(Registration.attended.is_(None))
    return stmt


def ordered(stmt: sa.Select, filters: RegistrationFilters) -> sa.Select:
    columns = SORT_COLUMNS.get(filters.sort, SORT_COLUMNS["created"])
    order = []
    for column in columns:
        order.append(column.desc().nulls_last() if filters.dir == "desc" else column.asc().nulls_last())
    # The id breaks ties so paging is stable (no row shown twice or skipped).
    order.append(Registration.id.desc() if filters.dir == "desc" else Registration.id.asc())
    return stmt.order_by(*order)


@dataclass(frozen=True)
class ListPage:
    registrations: list[Registration]
    total: int
    page: int
    pages: int
    per_page: int
    status_counts: dict[str, int]

    @property
    def first_index(self) -> int:
        return 0 if not self.total else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self) -> int:
        return min(self.total, self.page * self.per_page)


class PageOutOfRange(LookupError):
    """The page asked for is past the last one; `pages` says how many there are."""

    def __init__(self, pages: int):
        super().__init__(pages)
        self.pages = pages


def status_counts(session: Session, event_id: int) -> dict[str, int]:
    """Registrations per status for one event (one grouped query)."""
    rows = session.execute(
        sa.select(Registration.status, sa.func.count())
        .where(Registration.event_id == event_id)
        .group_by(Registration.status)
    )
    counts = {status.value: 0 for status in RegistrationStatus}
    counts.update({status: count for status, count in rows})
    return counts


def list_registrations(session: Session, event: Event, filters: RegistrationFilters) -> ListPage:
    """One page of the filtered list: three queries whatever the number of rows.

    Raises PageOutOfRange when `filters.page` is past the end.
    """
    count = filtered(sa.select(sa.func.count()).select_from(Registration), event.id, filters)
    total = session.scalar(count) or 0
    pages = max(1, -(-total // filters.per_page))
    if filters.page > pages:
        raise PageOutOfRange(pages)
    stmt = ordered(filtered(sa.select(Registration), event.id, filters), filters)
    stmt = stmt.offset((filters.page - 1) * filters.per_page).limit(filters.per_page)
    registrations = list(session.scalars(stmt).unique())
    return ListPage(
        registrations=registrations,
        total=total,
        page=filters.page,
        pages=pages,
        per_page=filters.per_page,
        status_counts=status_counts(session, event.id),
    )


def export_rows(session: Session, event: Event, filters: RegistrationFilters, *, batch: int = 2000):
    """Iterate the filtered registrations as light rows (no ORM objects), in list order.

    Uses `yield_per`, so PostgreSQL streams through a server-side cursor and memory stays
    flat however many rows there are. Nothing is queried before the first row is asked for.
    """
    columns = [c for c in Registration.__table__.columns if c.key not in ("token_hash", "token_nonce")]
    stmt = ordered(filtered(sa.select(*columns), event.id, filters), filters)
    result = session.execute(stmt.execution_options(yield_per=batch))
    try:
        yield from result
    finally:
        result.close()


def get_registration(session: Session, event: Event, registration_id: int) -> Registration | None:
    registration = session.get(Registration, registration_id)
    if registration is None or registration.event_id != event.id:
        return None
    return registration


def registrations_by_id(session: Session, event: Event, ids: list[int]) -> list[Registration]:
    """The event's registrations among `ids`, by id (ids of other events are ignored)."""
    if not ids:
        return []
    return list(session.scalars(
        sa.select(Registration).where(Registration.event_id == event.id, Registration.id.in_(ids))
        .order_by(Registration.id)
    ).unique())


# --------------------------------------------------------------------------- actions


ACTIONS = ("approve", "decline", "promote", "cancel", "resend_invite", "mark_attended", "mark_absent")
#: Actions that are seat decisions, each answered with a `registration.services.StatusChange`.
STATUS_ACTIONS = {
    "approve": registration_services.approve,
    "decline": registration_services.decline,
    "cancel": registration_services.cancel,
}


@dataclass
class ActionResult:
    """What an action did: ids changed, ids left alone (with the reason code)."""

    action: str
    changed: list[int] = field(default_factory=list)
    unchanged: list[tuple[int, str]] = field(default_factory=list)
    #: For "promote": everyone the freed seats went to (may include people not selected).
    promoted: list[int] = field(default_factory=list)


def apply_action(
    session: Session, event: Event, registrations: list[Registration], action: str, *, now: datetime, user: User,
    ip: str | None = None,
) -> ActionResult:
    """Apply one console action to each registration (one by one or in bulk).

    Every change goes through the registration, attendance and mail services, which lock
    seats and skip repeats, so two organisers clicking at once send one email, not two.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    result = ActionResult(action=action)
    actor = user.email
    if action == "promote":
        registration_services.lock_seats(session, event.id)  # promote_from_waitlist needs the lock held
        promoted = registration_services.promote_from_waitlist(session, event, now, actor)
        result.promoted = [r.id for r in promoted]
        chosen = {r.id for r in registrations}
        result.changed = [i for i in result.promoted if i in chosen]
        result.unchanged = [(r.id, "no_free_seat" if r.status == RegistrationStatus.WAITLISTED else "not_waitlisted")
                            for r in registrations if r.id not in result.promoted]
    else:
        for registration in registrations:
            outcome = _apply_one(session, registration, action, now=now, actor=actor)
            if outcome is None:
                result.changed.append(registration.id)
            else:
                result.unchanged.append((registration.id, outcome))
    if action in ("resend_invite", "mark_attended", "mark_absent"):
        # Status changes are logged by the signal receiver; these are not status changes.
        for registration_id in result.changed:
            record(session, f"registration.{action}", actor=user, event_id=event.id, registration_id=registration_id,
                   ip=ip, now=now)
    if len(registrations) > 1 or action == "promote":
        record(
            session,
            "registration.bulk",
            actor=user,
            event_id=event.id,
            details={"action": action, "selected": len(registrations), "changed": len(result.changed),
                     "promoted": len(result.promoted)},
            ip=ip,
            now=now,
        )
    session.flush()
    return result


def _apply_one(session: Session, registration: Registration, action: str, *, now: datetime, actor: str) -> str | None:
    """Apply `action`; None when it changed something, else a reason code."""
    if action in STATUS_ACTIONS:
        return STATUS_ACTIONS[action](session, registration, now=now, actor=actor).reason
    if action == "resend_invite":
        if registration.status != RegistrationStatus.CONFIRMED:
            return "not_confirmed"
        from panel_app.mail.services import request_invite

        try:
            request_invite(session, registration, now=now)
        except ValueError:  # e.g. the event is cancelled: no invite to send
            return "invite_not_allowed"
        return None
    if action in ("mark_attended", "mark_absent"):
        attended = action == "mark_attended"
        if registration.attended is attended and registration.attendance_source == "manual":
            return "already_marked"
        attendance_services.mark_attended(session, registration, attended, now=now, actor=actor)
        return None
    raise ValueError(action)


# --------------------------------------------------------------------------- edits


EDITABLE_FIELDS = (
    "salutation", "first_name", "last_name", "email", "country", "organisation",
    "affiliation_type", "role", "committees", "language", "accessibility_needs",
)


class EditError(ValueError):
    """An edit that cannot be saved; `field` names the input and `code` the reason."""

    def __init__(self, field: str, code: str):
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


def edit_registration(
    session: Session, registration: Registration, values: dict, *, now: datetime, user: User, ip: str | None = None
) -> dict:
    """Change a registrant's details (already cleaned by the form); returns {field: (old, new)}.

    Raises EditError when the email belongs to another registration of the same event or
    the language is not offered.
    """
    event = registration.event
    changes: dict = {}
    new = dict(values)
    if "email" in new:
        email, email_normalized = validation.normalise_email(new["email"])
        new["email"] = email
        if email_normalized != registration.email_normalized:
            taken = session.scalar(
                sa.select(Registration.id).where(
                    Registration.event_id == registration.event_id,
                    Registration.email_normalized == email_normalized,
                    Registration.id != registration.id,
                )
            )
            if taken is not None:
                raise EditError("email", "taken")
            registration.email_normalized = email_normalized
    if "language" in new and new["language"] not in event.languages:
        raise EditError("language", "not_offered")
    if "country" in new and new["country"] not in country_codes():
        raise EditError("country", "unknown")
    for name in EDITABLE_FIELDS:
        if name in new and new[name] != getattr(registration, name):
            changes[name] = (getattr(registration, name), new[name])
            setattr(registration, name, new[name])
    if changes:
        record(
            session,
            "registration.edit",
            actor=user,
            event_id=registration.event_id,
            registration_id=registration.id,
            details={name: {"from": old, "to": value} for name, (old, value) in changes.items()},
            ip=ip,
            now=now,
        )
    session.flush()
    return changes
