"""Creating and changing events."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import gettext as _  # messages reach organisers in the console; English in the CLI
from sqlalchemy.orm import Session

from panel_app.models import ApprovalMode, Event, EventStatus

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SUPPORTED_LANGUAGES = ("en", "fr", "es")


class EventInputError(ValueError):
    """An event definition that cannot be accepted; the message says which part and why."""


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


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a folder such as "Europe"
        raise EventInputError(_("unknown time zone %(name)r; use an IANA name such as Europe/Zurich", name=name)) from exc
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
    if data.registration_opens_at and data.registration_closes_at and data.registration_closes_at <= data.registration_opens_at:
        raise EventInputError(_("registration must close after it opens"))


def create_event(session: Session, data: EventInput) -> Event:
    """Create an event after validating it; the slug must be free."""
    validate(data)
    if session.scalar(sa.select(Event.id).where(Event.slug == data.slug)) is not None:
        raise EventInputError(_("an event with slug %(slug)r already exists", slug=data.slug))
    event = Event(**vars(data))
    session.add(event)
    session.flush()
    return event
