"""Organiser console rules: listing and acting on registrations, changing events,
dashboard figures and group messages.

Functions take a session and plain values, flush, and leave the commit to the view.
Seat decisions go through `panel_app.registration.services` (which lock the event and
announce changes), attendance through `panel_app.attendance.services`; this module adds
the console's own rules on top and records what organisers do in the audit log.
"""

from __future__ import annotations

import logging
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session, scoped_session

from panel_app.admin.filters import RegistrationFilters
from panel_app.attendance import services as attendance_services
from panel_app.audit.services import record
from panel_app.events import services as event_services
from panel_app.models import (
    ACTIVE_STATUSES,
    Event,
    EventStatus,
    GroupMessage,
    MessageRecipient,
    Registration,
    RegistrationStatus,
    User,
)
from panel_app.registration import services as registration_services
from panel_app.registration import signals, validation
from panel_app.registration.countries import country_codes

log = logging.getLogger(__name__)

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
    total = session.scalar(filtered(sa.select(sa.func.count()).select_from(Registration), event.id, filters)) or 0
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
    flat however many rows there are.
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


# --------------------------------------------------------------------------- actions


ACTIONS = ("approve", "decline", "promote", "cancel", "resend_invite", "mark_attended", "mark_absent")


@dataclass
class ActionResult:
    """What an action did: ids changed, ids left alone (with the reason code)."""

    action: str
    changed: list[int] = field(default_factory=list)
    unchanged: list[tuple[int, str]] = field(default_factory=list)
    #: For "promote": everyone the freed seats went to (may include people not selected).
    promoted: list[int] = field(default_factory=list)


@contextmanager
def _status_changes(session: Session):
    """Collect ids whose status really changed in `session` while the block runs.

    Services answer idempotently (approving an approved person changes nothing), and only
    the signal tells a real change from a repeat; filtering by session keeps a concurrent
    request in another thread from being counted here.
    """
    changed: list[int] = []
    # Flask-SQLAlchemy hands out a scoped_session proxy; rows belong to the real session.
    actual = session.registry() if isinstance(session, scoped_session) else session

    def receiver(registration, **_):
        if object_session(registration) is actual:
            changed.append(registration.id)

    signals.registration_status_changed.connect(receiver, weak=False)
    try:
        yield changed
    finally:
        signals.registration_status_changed.disconnect(receiver)


def apply_action(
    session: Session, event: Event, registrations: list[Registration], action: str, *, now: datetime, user: User, ip: str | None = None
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
        with _status_changes(session) as changed:
            registration_services.lock_seats(session, event.id)  # promote_from_waitlist needs the lock held
            promoted = registration_services.promote_from_waitlist(session, event, now, actor)
        result.promoted = [r.id for r in promoted if r.id in changed]
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
            record(session, f"registration.{action}", actor=user, event_id=event.id, registration_id=registration_id, ip=ip, now=now)
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
    if action in ("approve", "decline", "cancel"):
        with _status_changes(session) as changed:
            if action == "approve":
                registration_services.approve(session, registration, now=now, actor=actor)
            elif action == "decline":
                registration_services.decline(session, registration, now=now, actor=actor)
            else:
                registration_services.cancel(session, registration, now=now, actor=actor)
        return None if registration.id in changed else "status_" + str(registration.status)
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


# --------------------------------------------------------------------------- events


#: Changes that make sent calendar invites wrong: registrants get an updated invite.
INVITE_FIELDS = ("starts_at", "ends_at", "timezone", "join_url", "zoom_meeting_id", "zoom_webinar_id")


def event_input_from(event: Event) -> event_services.EventInput:
    """The current definition of `event` as an EventInput (to edit or duplicate)."""
    names = event_services.EventInput.__dataclass_fields__
    return event_services.EventInput(**{name: getattr(event, name) for name in names})


def update_event(session: Session, event: Event, data: event_services.EventInput, *, now: datetime, user: User, ip: str | None = None) -> dict:
    """Change an event; returns {field: (old, new)}.

    The slug stays fixed once the event is published (links are out there). A published
    event whose time, zone or join details change gets updated invites sent to registrants
    (`calendar.updates.event_changed`); added capacity goes to the waiting list in order.
    Raises EventInputError.
    """
    event_services.validate(data)
    if data.slug != event.slug:
        if event.status != EventStatus.DRAFT:
            raise event_services.EventInputError("the address (slug) cannot change once the event is published")
        if session.scalar(sa.select(Event.id).where(Event.slug == data.slug)) is not None:
            raise event_services.EventInputError(f"an event with slug {data.slug!r} already exists")
    changes = {}
    for name in event_services.EventInput.__dataclass_fields__:
        if name == "status":  # publishing and cancelling have their own actions
            continue
        old, new = getattr(event, name), getattr(data, name)
        if old != new:
            changes[name] = (old, new)
            setattr(event, name, new)
    if not changes:
        return changes
    session.flush()
    record(
        session,
        "event.edit",
        actor=user,
        event_id=event.id,
        details={name: {"from": _jsonable(old), "to": _jsonable(new)} for name, (old, new) in changes.items()},
        ip=ip,
        now=now,
    )
    if event.status == EventStatus.PUBLISHED and any(name in changes for name in INVITE_FIELDS):
        from panel_app.calendar.updates import event_changed

        event_changed(session, event, now=now)
    if "capacity" in changes:
        old, new = changes["capacity"]
        if new is None or (old is not None and new > old):
            registration_services.lock_seats(session, event.id)  # promote_from_waitlist needs the lock held
            registration_services.promote_from_waitlist(session, event, now, user.email)
    session.flush()
    return changes


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def create_event(session: Session, data: event_services.EventInput, *, now: datetime, user: User, ip: str | None = None) -> Event:
    """Create an event (validated by the events service) and log it."""
    event = event_services.create_event(session, data)
    record(session, "event.create", actor=user, event_id=event.id, details={"slug": event.slug}, ip=ip, now=now)
    return event


def publish_event(session: Session, event: Event, *, now: datetime, user: User, ip: str | None = None) -> bool:
    """Draft → published (registration opens per its window). False if not a draft."""
    if event.status != EventStatus.DRAFT:
        return False
    event.status = EventStatus.PUBLISHED
    record(session, "event.publish", actor=user, event_id=event.id, ip=ip, now=now)
    session.flush()
    return True


def cancel_event(session: Session, event: Event, *, now: datetime, user: User, ip: str | None = None) -> bool:
    """Cancel the event; registrants with invites get cancellations. False if already cancelled."""
    if event.status == EventStatus.CANCELLED:
        return False
    was_published = event.status == EventStatus.PUBLISHED
    # Compare-and-set: of two organisers cancelling at once, only one sends the cancellations.
    won = session.execute(
        sa.update(Event).where(Event.id == event.id, Event.status != EventStatus.CANCELLED)
        .values(status=EventStatus.CANCELLED).execution_options(synchronize_session=False)
    ).rowcount == 1
    event.status = EventStatus.CANCELLED
    if not won:
        return False
    record(session, "event.cancel", actor=user, event_id=event.id, ip=ip, now=now)
    session.flush()
    if was_published:
        from panel_app.calendar.updates import event_cancelled

        event_cancelled(session, event, now=now)
    session.flush()
    return True


def duplicate_event(session: Session, event: Event, *, now: datetime, user: User, ip: str | None = None) -> Event:
    """A draft copy of `event` (same settings, no registrations, fresh Zoom link fields)."""
    data = event_input_from(event)
    base = f"{event.slug[:90]}-copy"
    slug, n = base, 1
    existing = set(session.scalars(sa.select(Event.slug).where(Event.slug.startswith(base, autoescape=True))))
    while slug in existing:
        n += 1
        slug = f"{base}-{n}"
    data.slug = slug
    data.status = EventStatus.DRAFT
    data.zoom_meeting_id = None
    data.zoom_webinar_id = None
    data.translations = dict(event.translations or {})
    data.languages = list(event.languages)
    copy = event_services.create_event(session, data)
    record(session, "event.duplicate", actor=user, event_id=copy.id, details={"from": event.slug, "slug": copy.slug}, ip=ip, now=now)
    return copy


@dataclass(frozen=True)
class EventSummary:
    event: Event
    counts: dict[str, int]


def event_summaries(session: Session) -> list[EventSummary]:
    """Every event, newest first, with registrations per status (two queries)."""
    events = list(session.scalars(sa.select(Event).order_by(Event.starts_at.desc(), Event.id.desc())))
    counts: dict[int, dict[str, int]] = {e.id: {s.value: 0 for s in RegistrationStatus} for e in events}
    rows = session.execute(
        sa.select(Registration.event_id, Registration.status, sa.func.count()).group_by(Registration.event_id, Registration.status)
    )
    for event_id, status, count in rows:
        if event_id in counts:
            counts[event_id][status] = count
    return [EventSummary(event=e, counts=counts[e.id]) for e in events]


# --------------------------------------------------------------------------- dashboard


MINUTE_BUCKETS = ((0, 0), (1, 14), (15, 29), (30, 59), (60, 89), (90, None))


@dataclass(frozen=True)
class Dashboard:
    status: dict[str, int]
    affiliation: dict[str, int]
    role: dict[str, int]
    #: Interpretation channel → people expected (confirmed) and possibly coming (pending, waitlisted).
    language_confirmed: dict[str, int]
    language_possible: dict[str, int]
    country: list[tuple[str, int]]
    over_time: list[tuple[str, int, int]]  # (local date, new that day, running total)
    attendance: dict[str, int]  # came / did_not / unknown (confirmed people)
    minutes: list[tuple[str, int]]
    attendance_by_affiliation: list[tuple[str, int, int]]  # (affiliation, came, registered)
    event_over: bool

    @property
    def active_total(self) -> int:
        return sum(self.status.get(s.value, 0) for s in ACTIVE_STATUSES)


def _grouped(session: Session, column, *where) -> dict[str, int]:
    rows = session.execute(sa.select(column, sa.func.count()).where(*where).group_by(column))
    return {key: count for key, count in rows if key is not None}


def dashboard(session: Session, event: Event, *, now: datetime) -> Dashboard:
    """Figures for the event's dashboard; a fixed number of grouped queries."""
    mine = Registration.event_id == event.id
    active = Registration.status.in_([s.value for s in ACTIVE_STATUSES])
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    status = status_counts(session, event.id)
    affiliation = _grouped(session, Registration.affiliation_type, mine, active)
    role = _grouped(session, Registration.role, mine, active)
    language_confirmed = _grouped(session, Registration.language, mine, confirmed)
    language_possible = _grouped(
        session, Registration.language, mine,
        Registration.status.in_([RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED]),
    )
    for code in event.languages:
        language_confirmed.setdefault(code, 0)
        language_possible.setdefault(code, 0)
    country = sorted(_grouped(session, Registration.country, mine, active).items(), key=lambda kv: (-kv[1], kv[0]))

    # Registrations per local day: fetched as instants (one column) and bucketed in the
    # event's zone here, because SQLite and PostgreSQL disagree on zone arithmetic.
    per_day: Counter[str] = Counter()
    for (created,) in session.execute(sa.select(Registration.created_at).where(mine).execution_options(yield_per=5000)):
        per_day[created.astimezone(event.zone).date().isoformat()] += 1
    running = 0
    over_time = []
    for day in sorted(per_day):
        running += per_day[day]
        over_time.append((day, per_day[day], running))

    attendance = {"came": 0, "did_not": 0, "unknown": 0}
    for attended, count in session.execute(
        sa.select(Registration.attended, sa.func.count()).where(mine, confirmed).group_by(Registration.attended)
    ):
        attendance["unknown" if attended is None else ("came" if attended else "did_not")] += count

    cases = []
    for low, high in MINUTE_BUCKETS:
        label = f"{low}" if high == low else (f"{low}+" if high is None else f"{low}–{high}")
        cond = Registration.attended_minutes >= low
        if high is not None:
            cond = sa.and_(cond, Registration.attended_minutes <= high)
        cases.append((cond, label))
    bucket = sa.case(*cases, else_=None).label("bucket")
    minute_counts = dict(
        (label, count)
        for label, count in session.execute(
            sa.select(bucket, sa.func.count()).where(mine, Registration.attended.is_not(None)).group_by(bucket)
        )
        if label is not None
    )
    minutes = [(label, minute_counts.get(label, 0)) for _, label in cases]

    by_affiliation = []
    rows = session.execute(
        sa.select(
            Registration.affiliation_type,
            sa.func.count(),
            sa.func.sum(sa.case((Registration.attended.is_(True), 1), else_=0)),
        ).where(mine, confirmed).group_by(Registration.affiliation_type)
    )
    for affiliation_type, registered, came in rows:
        by_affiliation.append((affiliation_type, int(came or 0), registered))
    by_affiliation.sort()

    return Dashboard(
        status=status,
        affiliation=affiliation,
        role=role,
        language_confirmed=language_confirmed,
        language_possible=language_possible,
        country=country,
        over_time=over_time,
        attendance=attendance,
        minutes=minutes,
        attendance_by_affiliation=by_affiliation,
        event_over=now >= event.ends_at,
    )


# --------------------------------------------------------------------------- messages


def recipients_statement(event: Event, filters: RegistrationFilters) -> sa.Select:
    """Who a group message goes to: the filtered list, minus people who left the event
    unless the organiser filtered on such a status on purpose."""
    stmt = filtered(
        sa.select(Registration.id, Registration.email, Registration.first_name, Registration.last_name),
        event.id,
        filters,
    )
    if not filters.status:
        stmt = stmt.where(Registration.status.in_([s.value for s in ACTIVE_STATUSES]))
    return stmt.order_by(Registration.id)


def count_recipients(session: Session, event: Event, filters: RegistrationFilters) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(recipients_statement(event, filters).subquery())) or 0


def create_group_message(
    session: Session, event: Event, filters: RegistrationFilters, *, subject: str, body: str,
    now: datetime, user: User, ip: str | None = None,
) -> GroupMessage:
    """Record a message and one row per recipient; the caller commits, then the job sends.

    Recipients are fixed now, so people who register later do not get an old message, and a
    retried job sends only to the rows still pending (nobody gets it twice).
    """
    message = GroupMessage(
        event_id=event.id, created_by_id=user.id, created_by=user.email, subject=subject, body=body,
        filters=filters.selection(), created_at=now,
    )
    session.add(message)
    session.flush()
    rows = session.execute(recipients_statement(event, filters)).all()
    if rows:
        session.execute(
            sa.insert(MessageRecipient),
            [{"message_id": message.id, "registration_id": r.id, "email": r.email,
              "name": f"{r.first_name} {r.last_name}".strip()} for r in rows],
        )
    message.recipient_count = len(rows)
    record(
        session, "message.create", actor=user, event_id=event.id,
        details={"message_id": message.id, "subject": subject, "recipients": len(rows), "filters": filters.selection()},
        ip=ip, now=now,
    )
    session.flush()
    return message


def messages_for(session: Session, event: Event) -> list[GroupMessage]:
    return list(session.scalars(
        sa.select(GroupMessage).where(GroupMessage.event_id == event.id).order_by(GroupMessage.created_at.desc()).limit(100)
    ))


# --------------------------------------------------------------------------- users


def create_user(session: Session, *, email: str, password: str, role: str, actor: User, ip: str | None = None, now: datetime) -> User:
    """Create a console account (email unique, case-insensitive). Raises ValueError("taken")."""
    email = email.strip().lower()
    if session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise ValueError("taken")
    user = User(email=email, role=role)
    user.set_password(password)
    session.add(user)
    session.flush()
    record(session, "user.create", actor=actor, details={"email": email, "role": role}, ip=ip, now=now)
    return user


def update_user(session: Session, user: User, *, role: str, active: bool, unlock: bool, actor: User, ip: str | None = None, now: datetime) -> dict:
    """Change an account's role or access; an admin cannot demote or disable themselves."""
    if user.id == actor.id and (role != user.role or not active):
        raise ValueError("self")
    changes = {}
    if role != user.role:
        changes["role"] = {"from": user.role, "to": role}
        user.role = role
    if active != user.active:
        changes["active"] = {"from": user.active, "to": active}
        user.active = active
    if unlock and (user.locked_until is not None or user.failed_logins):
        changes["unlocked"] = True
        user.locked_until = None
        user.failed_logins = 0
    if changes:
        record(session, "user.edit", actor=actor, details={"email": user.email, **changes}, ip=ip, now=now)
    session.flush()
    return changes

