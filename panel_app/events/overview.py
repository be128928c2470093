"""Where each event stands for organisers: its phase, seats taken, fill rate and next step.

The console's events overview (upcoming, drafts, past) in a fixed number of grouped queries,
whatever the number of events and registrations.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.models import Event, EventStatus, Registration, RegistrationStatus, SyncState, WalkIn, utcnow
from panel_app.registration import services as registration_services


class Phase(enum.StrEnum):
    """Where an event stands for organisers, from its status and the clock."""

    DRAFT = "draft"
    UPCOMING = "upcoming"
    LIVE = "live"
    ENDED = "ended"
    CANCELLED = "cancelled"


def event_phase(event: Event, now: datetime) -> Phase:
    if event.status == EventStatus.CANCELLED:
        return Phase.CANCELLED
    if event.status == EventStatus.DRAFT:
        return Phase.DRAFT
    if now >= event.ends_at:
        return Phase.ENDED
    return Phase.LIVE if now >= event.starts_at else Phase.UPCOMING


@dataclass(frozen=True)
class EventSummary:
    event: Event
    counts: dict[str, int]
    phase: Phase = Phase.UPCOMING
    #: Invites or Zoom registrations given up on, and people in the meeting no registration matched.
    failed: int = 0
    walk_ins: int = 0
    #: The instant the summary was made for (phase and next action depend on it).
    now: datetime | None = None

    @property
    def confirmed(self) -> int:
        return self.counts.get(RegistrationStatus.CONFIRMED, 0)

    @property
    def free_seats(self) -> int | None:
        return registration_services.free_seats(self.event.capacity, self.confirmed)

    @property
    def fill_rate(self) -> int | None:
        """Seats taken as a whole percentage of capacity (over 100 with people confirmed over
        capacity); None without a limit."""
        capacity = self.event.capacity
        return round(100 * self.confirmed / capacity) if capacity else None

    @property
    def next_action(self) -> str | None:
        """What the organiser should look at next (a code the console words and links)."""
        counts, phase, event = self.counts, self.phase, self.event
        if phase == Phase.DRAFT:
            return "change_dates" if self.now is not None and event.ends_at <= self.now else "publish"
        if phase == Phase.CANCELLED:
            return None
        if phase == Phase.ENDED:
            return "match_walk_ins" if self.walk_ins else "review_attendance"
        if phase == Phase.LIVE:
            return "follow_attendance"
        if counts.get(RegistrationStatus.PENDING):
            return "approve"
        if counts.get(RegistrationStatus.WAITLISTED) and self.free_seats != 0:
            return "fill_seats"
        if self.failed:
            return "fix_failures"
        if not event.zoom_id and not event.join_url:
            return "link_zoom"
        return "watch"


def event_summaries(session: Session, now: datetime | None = None) -> list[EventSummary]:
    """Every event, latest first, with registrations per status, failed side effects and
    unmatched walk-ins (four queries whatever the number of events)."""
    now = now or utcnow()
    events = list(session.scalars(sa.select(Event).order_by(Event.starts_at.desc(), Event.id.desc())))
    counts: dict[int, dict[str, int]] = {e.id: {s.value: 0 for s in RegistrationStatus} for e in events}
    rows = session.execute(
        sa.select(Registration.event_id, Registration.status, sa.func.count())
        .group_by(Registration.event_id, Registration.status)
    )
    for event_id, status, count in rows:
        if event_id in counts:
            counts[event_id][status] = count
    failed = {event_id: count for event_id, count in session.execute(
        sa.select(Registration.event_id, sa.func.count())
        .where(Registration.status.in_([RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING]),
               sa.or_(Registration.invite_state == SyncState.FAILED, Registration.zoom_state == SyncState.FAILED))
        .group_by(Registration.event_id)
    )}
    walk_ins = {event_id: count for event_id, count in session.execute(
        sa.select(WalkIn.event_id, sa.func.count()).where(WalkIn.matched_registration_id.is_(None))
        .group_by(WalkIn.event_id)
    )}
    return [EventSummary(event=e, counts=counts[e.id], phase=event_phase(e, now), failed=failed.get(e.id, 0),
                         walk_ins=walk_ins.get(e.id, 0), now=now) for e in events]


@dataclass(frozen=True)
class EventsOverview:
    """The console's events page: what is coming, what is being prepared, what is over."""

    upcoming: list[EventSummary]
    drafts: list[EventSummary]
    past: list[EventSummary]


def events_overview(session: Session, now: datetime) -> EventsOverview:
    """Upcoming events soonest first (running ones included), drafts, then past events latest
    first; a cancelled event sits by its date."""
    summaries = event_summaries(session, now)
    drafts = [s for s in summaries if s.phase == Phase.DRAFT]
    dated = [s for s in summaries if s.phase != Phase.DRAFT]
    upcoming = sorted((s for s in dated if s.event.ends_at > now), key=lambda s: (s.event.starts_at, s.event.id))
    past = [s for s in dated if s.event.ends_at <= now]
    return EventsOverview(upcoming=upcoming, drafts=drafts, past=past)
