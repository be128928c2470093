"""Console rules for an event's registrations: listing and actions by organisers (their own
additions and corrections are in `edits.py`).

Functions take a session and plain values, flush, and leave the commit to the view. Seat
decisions go through `panel_app.registration.services` (which lock the event and announce
changes), attendance through `panel_app.attendance.services`; this module adds the
console's own rules on top and records what organisers do in the audit log.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.admin.registrations.filters import RegistrationFilters
from panel_app.attendance import services as attendance_services
from panel_app.audit.services import record
from panel_app.models import Event, Registration, RegistrationStatus, User
from panel_app.models.folding import fold
from panel_app.registration import services as registration_services

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
        # Each word must match somewhere ("diallo senegal"), accents and case aside on both
        # sides: the model keeps a folded copy of the searched fields (see models.folding).
        for word in filters.q.split()[:8]:
            folded = fold(word)
            if folded:
                stmt = stmt.where(Registration.search_text.contains(folded, autoescape=True))
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
    if filters.review == "yes":
        # Same SQL on both databases: the JSON list as stored is the text "[]" when empty.
        reasons = sa.func.coalesce(sa.cast(Registration.review_reasons, sa.Text), "[]")
        stmt = stmt.where(Registration.status == RegistrationStatus.PENDING, reasons.not_in(["[]", "null"]))
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


ACTIONS = ("approve", "decline", "promote", "confirm", "confirm_over_capacity", "reinstate", "cancel",
           "resend_invite", "mark_attended", "mark_absent")
#: Actions that are seat decisions, each answered with a `registration.services.StatusChange`.
STATUS_ACTIONS = {
    "approve": registration_services.approve,
    "decline": registration_services.decline,
    "cancel": registration_services.cancel,
    "confirm": registration_services.confirm,
    "confirm_over_capacity": partial(registration_services.confirm, over_capacity=True),
    "reinstate": registration_services.reinstate,
}
ATTENDANCE_ACTIONS = ("mark_attended", "mark_absent")


@dataclass
class ActionResult:
    """What an action did: ids changed, ids left alone (with the reason code), and what the
    changes came to ("approve:confirmed" 3, "approve:waitlisted" 3), for an honest report."""

    action: str
    changed: list[int] = field(default_factory=list)
    unchanged: list[tuple[int, str]] = field(default_factory=list)
    #: For "promote": everyone the freed seats went to (may include people not selected).
    #: For cancel and decline: people moved up from the waiting list into the seats freed.
    promoted: list[int] = field(default_factory=list)
    #: Outcome of each change: "<action>:<status now>" for seat decisions, else the action.
    outcomes: Counter = field(default_factory=Counter)

    @property
    def reasons(self) -> Counter:
        """Why registrations were left unchanged, counted by reason code."""
        return Counter(reason for _, reason in self.unchanged)


def attendance_markable(registration: Registration, now: datetime) -> str | None:
    """None when an organiser may mark this person's attendance now, else the reason code:
    only confirmed people, and only once the event has started."""
    if registration.status != RegistrationStatus.CONFIRMED:
        return "not_confirmed"
    if now < registration.event.starts_at:
        return "event_not_started"
    return None


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
        result.outcomes["promote"] = len(promoted)
        chosen = {r.id for r in registrations}
        result.changed = [i for i in result.promoted if i in chosen]
        result.unchanged = [(r.id, "no_free_seat" if r.status == RegistrationStatus.WAITLISTED else "not_waitlisted")
                            for r in registrations if r.id not in result.promoted]
    else:
        for registration in registrations:
            outcome, promoted = _apply_one(session, registration, action, now=now, actor=actor)
            result.promoted.extend(promoted)
            if outcome.startswith("="):
                result.changed.append(registration.id)
                result.outcomes[outcome[1:]] += 1
            else:
                result.unchanged.append((registration.id, outcome))
    if action in ("resend_invite", *ATTENDANCE_ACTIONS):
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
                     "promoted": len(result.promoted), "outcomes": dict(result.outcomes),
                     "unchanged": dict(result.reasons)},
            ip=ip,
            now=now,
        )
    session.flush()
    return result


def _apply_one(session: Session, registration: Registration, action: str, *, now: datetime,
               actor: str) -> tuple[str, list[int]]:
    """Apply `action`: ("=<outcome>", people moved up) when it changed something, else
    (reason code, [])."""
    if action in STATUS_ACTIONS:
        change = STATUS_ACTIONS[action](session, registration, now=now, actor=actor)
        if not change.changed:
            return change.reason or "unchanged", []
        return f"={action}:{change.status}", [r.id for r in change.promoted]
    if action == "resend_invite":
        if registration.status != RegistrationStatus.CONFIRMED:
            return "not_confirmed", []
        from panel_app.mail.services import request_invite

        try:
            request_invite(session, registration, now=now)
        except ValueError:  # e.g. the event is cancelled: no invite to send
            return "invite_not_allowed", []
        return "=resend_invite", []
    if action in ATTENDANCE_ACTIONS:
        refused = attendance_markable(registration, now)
        if refused:
            return refused, []
        attended = action == "mark_attended"
        if registration.attended is attended and registration.attendance_source == "manual":
            return "already_marked", []
        attendance_services.mark_attended(session, registration, attended, now=now, actor=actor)
        return f"={action}", []
    raise ValueError(action)
