"""An event's life: creating, changing, publishing, cancelling and duplicating it.

Functions take a session and plain values, flush, and leave the commit to the caller (the
console or the CLI). Changes made by a console user are recorded in the audit log; seat
decisions go through `panel_app.registration.services`, and registrants hear about a new
time or a cancellation through `panel_app.calendar.updates`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import gettext as _  # messages reach organisers in the console; English in the CLI
from sqlalchemy.orm import Session

from panel_app.audit.services import actor_name, record
from panel_app.core import languages
from panel_app.events import signals as event_signals
from panel_app.models import AffiliationType, ApiToken, ApprovalMode, Event, EventStatus, ParticipantRole, User
from panel_app.registration import services as registration_services

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: Interpretation channels an event may offer (the languages the app works in).
SUPPORTED_LANGUAGES = languages.CODES
#: Changes that make sent calendar invites wrong: registrants get an updated invite.
INVITE_FIELDS = ("starts_at", "ends_at", "timezone", "join_url", "zoom_meeting_id", "zoom_webinar_id")


class EventInputError(ValueError):
    """An event definition that cannot be accepted; the message says which part and why."""


class ConfirmationNeeded(ValueError):
    """A change that is allowed but has consequences the organiser must accept first.

    `code` is "capacity_below_confirmed" (with `confirmed`, the people holding a seat, and
    `capacity`, the number asked for) or "moves_into_past" (a published event would start
    before now).
    """

    def __init__(self, code: str, **info):
        super().__init__(code)
        self.code = code
        self.info = info


@dataclass
class EventInput:
    slug: str
    title: str
    starts_at: datetime
    ends_at: datetime
    timezone: str = "Europe/Zurich"
    languages: list[str] = field(default_factory=lambda: ["en"])
    description: str = ""
    audience: str = ""
    capacity: int | None = None
    approval_mode: str = ApprovalMode.AUTO
    status: str = EventStatus.PUBLISHED
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    zoom_meeting_id: str | None = None
    zoom_webinar_id: str | None = None
    join_url: str | None = None
    organiser_name: str | None = None
    organiser_email: str | None = None
    translations: dict = field(default_factory=dict)
    #: Who may register (empty: anyone); others go to approval (see registration.services.review_reasons).
    eligible_affiliations: list[str] = field(default_factory=list)
    eligible_roles: list[str] = field(default_factory=list)
    directory_only: bool = False
    invitation_only: bool = False


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a folder such as "Europe"
        raise EventInputError(
            _("unknown time zone %(name)r; use an IANA name such as Europe/Zurich", name=name)
        ) from exc
    return name


def validate(data: EventInput) -> None:
    """Raise EventInputError for the first problem found."""
    if not SLUG_RE.match(data.slug or "") or len(data.slug) > 100:
        raise EventInputError(_("slug must be lower-case letters, digits and hyphens (at most 100 characters)"))
    if not data.title.strip():
        raise EventInputError(_("title is required"))
    check_timezone(data.timezone)
    if data.ends_at <= data.starts_at:
        raise EventInputError(_("the end must be after the start"))
    unknown = [code for code in data.languages if code not in SUPPORTED_LANGUAGES]
    if not data.languages or unknown:
        raise EventInputError(_("languages must be among %(codes)s", codes=", ".join(SUPPORTED_LANGUAGES)))
    if data.capacity is not None and data.capacity < 0:
        raise EventInputError(_("capacity cannot be negative"))
    if data.approval_mode not in {m.value for m in ApprovalMode}:
        raise EventInputError(_("approval must be auto or manual"))
    if data.zoom_meeting_id and data.zoom_webinar_id:
        raise EventInputError(_("give a Zoom meeting id or a webinar id, not both"))
    if any(code not in {a.value for a in AffiliationType} for code in data.eligible_affiliations or []):
        raise EventInputError(_("eligible affiliations must be among %(codes)s",
                                codes=", ".join(a.value for a in AffiliationType)))
    if any(code not in {r.value for r in ParticipantRole} for code in data.eligible_roles or []):
        raise EventInputError(_("eligible roles must be among %(codes)s",
                                codes=", ".join(r.value for r in ParticipantRole)))
    opens, closes = data.registration_opens_at, data.registration_closes_at
    if opens and closes and closes <= opens:
        raise EventInputError(_("registration must close after it opens"))


def create_event(
    session: Session, data: EventInput, *, user: User | ApiToken | None = None, ip: str | None = None,
    now: datetime | None = None,
) -> Event:
    """Create an event after validating it; the slug must be free.

    With `user` (a console account), the creation is recorded in the audit log.
    """
    validate(data)
    if session.scalar(sa.select(Event.id).where(Event.slug == data.slug)) is not None:
        raise EventInputError(_("an event with slug %(slug)r already exists", slug=data.slug))
    event = Event(**vars(data))
    session.add(event)
    session.flush()
    if user is not None:
        record(session, "event.create", actor=user, event_id=event.id, details={"slug": event.slug}, ip=ip, now=now)
    event_signals.event_changed.send(event, change="created", fields=())
    return event


def event_input_from(event: Event) -> EventInput:
    """The current definition of `event` as an EventInput (to edit or duplicate)."""
    return EventInput(**{name: getattr(event, name) for name in EventInput.__dataclass_fields__})


def update_event(
    session: Session, event: Event, data: EventInput, *, now: datetime, user: User | ApiToken, ip: str | None = None,
    accept_over_capacity: bool = False, accept_past: bool = False,
) -> dict:
    """Change an event; returns {field: (old, new)}.

    The slug stays fixed once the event is published (links are out there). A published
    event whose time, zone or join details change gets updated invites sent to registrants
    (`calendar.updates.event_changed`); added capacity goes to the waiting list in order.
    Two changes need the organiser's say-so first (ConfirmationNeeded): a capacity below the
    people already confirmed (nobody loses a seat; nobody moves up until enough cancel), and
    moving a published event to start in the past (registrants would get an invite for it).
    Raises EventInputError.
    """
    validate(data)
    if data.slug != event.slug:
        if event.status != EventStatus.DRAFT:
            raise EventInputError(_("the address (slug) cannot change once the event is published"))
        if session.scalar(sa.select(Event.id).where(Event.slug == data.slug)) is not None:
            raise EventInputError(_("an event with slug %(slug)r already exists", slug=data.slug))
    if data.capacity is not None and data.capacity != event.capacity and not accept_over_capacity:
        confirmed = registration_services.seats_taken(session, event.id)
        if data.capacity < confirmed:
            raise ConfirmationNeeded("capacity_below_confirmed", confirmed=confirmed, capacity=data.capacity)
    if (event.status == EventStatus.PUBLISHED and data.starts_at != event.starts_at and data.starts_at < now
            and not accept_past):
        raise ConfirmationNeeded("moves_into_past")
    changes = {}
    for name in EventInput.__dataclass_fields__:
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
            registration_services.promote_from_waitlist(session, event, now, actor_name(user))
    session.flush()
    event_signals.event_changed.send(event, change="updated", fields=tuple(changes))
    return changes


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def publish_event(session: Session, event: Event, *, now: datetime, user: User | ApiToken,
                  ip: str | None = None) -> bool:
    """Draft → published (registration opens per its window). False if not a draft.

    Raises EventInputError for an event that is already over (nobody could register).
    """
    if event.status != EventStatus.DRAFT:
        return False
    if now >= event.ends_at:
        raise EventInputError(_("This event is already over: change its dates before publishing it."))
    event.status = EventStatus.PUBLISHED
    record(session, "event.publish", actor=user, event_id=event.id, ip=ip, now=now)
    session.flush()
    event_signals.event_changed.send(event, change="published", fields=())
    return True


def cancel_event(session: Session, event: Event, *, now: datetime, user: User | ApiToken,
                 ip: str | None = None) -> bool:
    """Cancel the event; registrants with invites get cancellations. False if already cancelled.

    Raises EventInputError for an event that is over (there is nothing left to call off).
    """
    if event.status == EventStatus.CANCELLED:
        return False
    if now >= event.ends_at:
        raise EventInputError(_("This event is over: it can no longer be cancelled."))
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
    event_signals.event_changed.send(event, change="cancelled", fields=())
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
    copy = create_event(session, data)
    record(session, "event.duplicate", actor=user, event_id=copy.id, details={"from": event.slug, "slug": copy.slug},
           ip=ip, now=now)
    return copy
