"""Attendance rules shared by the organiser console, the Zoom webhooks and the report import.

Evidence is kept in `attendance_sessions` rows, per registrant or walk-in ("owner"):
- a webhook *join* is stored as a row with only `joined_at`, a webhook *leave* as a row with
  only `left_at`; pairs are formed when the summary is computed, by sorting, so webhooks
  delivered out of order or twice give the same answer;
- a row from Zoom's participants report holds both ends (`source="report"`).

The summary on the registration (attended, first join, minutes) is recomputed from that
evidence: stays are merged so overlapping ones (two devices, a report row and the webhook
pair for the same stay) are never counted twice. Once Zoom's report is in for an owner it
is taken as authoritative and their webhook points are only used when it has nothing.
A manual mark by an organiser (`attendance_source="manual"`) is never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.attendance.signals import attendance_recorded
from panel_app.models import Event, Registration, RegistrationStatus
from panel_app.models.attendance import AttendanceSession, WalkIn, ZoomMeetingInstance

SOURCE_MANUAL = "manual"
SOURCE_ZOOM = "zoom"

# A meeting id can be reused or recurring: each session is an instance with its own UUID and
# start ("List past meeting instances"). Only instances starting inside the event's window count.
#: Hosts open the room early (sound checks, interpreters).
INSTANCE_EARLY = timedelta(hours=3)
#: A late start, or a restart after the connection dropped.
INSTANCE_LATE = timedelta(hours=1)
#: People stay on after the scheduled end (also the cap on stays still open).
STAY_LATE = timedelta(hours=4)


def instance_in_window(event: Event, started_at: datetime) -> bool:
    """Whether a Zoom instance starting at `started_at` is this event's session."""
    return event.starts_at - INSTANCE_EARLY <= started_at <= event.ends_at + INSTANCE_LATE


def point_in_window(event: Event, at: datetime) -> bool:
    """Whether a join or leave at `at` can belong to this event (when the instance start is unknown)."""
    return event.starts_at - INSTANCE_EARLY <= at <= event.ends_at + STAY_LATE


def mark_attended(session: Session, registration: Registration, attended: bool, *, now: datetime,
                  actor: str | None = None) -> None:
    """An organiser's own record of attendance; later Zoom imports leave it alone."""
    before = _summary(registration)
    registration.attended = attended
    registration.attendance_source = "manual"
    if not attended:
        registration.attended_minutes = 0
        registration.first_joined_at = None
    session.flush()
    if _summary(registration) != before:
        attendance_recorded.send(registration)


def _summary(owner) -> tuple:
    """What `attendance_recorded` announces a change of."""
    return (getattr(owner, "attended", None), owner.first_joined_at, owner.attended_minutes,
            getattr(owner, "attendance_source", None))


@dataclass(frozen=True)
class Participant:
    """Who Zoom says joined: any of these may be empty."""

    name: str = ""
    email: str = ""
    registrant_id: str = ""
    #: Zoom's stable user id for signed-in users (`participant_user_id` / report `id`).
    user_id: str = ""
    participant_uuid: str = ""

    @property
    def key(self) -> str:
        """Identity used to group a walk-in's stays (most specific field first)."""
        if self.registrant_id:
            return f"r:{self.registrant_id}"
        if self.email:
            return f"e:{self.email.strip().casefold()}"
        if self.user_id:
            return f"u:{self.user_id}"
        if self.participant_uuid:
            return f"p:{self.participant_uuid}"
        return f"n:{' '.join(self.name.casefold().split())}"


def match_registration(session: Session, event: Event, participant: Participant) -> Registration | None:
    """The registration a participant belongs to: by Zoom registrant id, then email (case-insensitive)."""
    if participant.registrant_id:
        found = session.scalar(sa.select(Registration).where(
            Registration.event_id == event.id, Registration.zoom_registrant_id == participant.registrant_id))
        if found is not None:
            return found
    if participant.email:
        return session.scalar(sa.select(Registration).where(
            Registration.event_id == event.id,
            Registration.email_normalized == participant.email.strip().casefold()))
    return None


def _walk_in(session: Session, event: Event, participant: Participant) -> WalkIn:
    key = participant.key[:400]
    walk_in = session.scalar(sa.select(WalkIn).where(WalkIn.event_id == event.id, WalkIn.participant_key == key))
    if walk_in is None:
        walk_in = WalkIn(event_id=event.id, participant_key=key, name=participant.name[:300],
                         email=participant.email[:320], attended_minutes=0)
        session.add(walk_in)
        session.flush()
    return walk_in


def _owner(session: Session, event: Event, participant: Participant) -> tuple[Registration | None, WalkIn | None]:
    registration = match_registration(session, event, participant)
    if registration is not None:
        return registration, None
    walk_in = _walk_in(session, event, participant)
    if walk_in.matched_registration_id is not None:  # an organiser said who this is
        matched = session.get(Registration, walk_in.matched_registration_id)
        if matched is not None:
            return matched, None
    return None, walk_in


def _owner_filter(registration: Registration | None, walk_in: WalkIn | None):
    if registration is not None:
        return AttendanceSession.registration_id == registration.id
    return AttendanceSession.walk_in_id == walk_in.id


def note_instance(session: Session, event: Event, uuid: str, *, started_at: datetime | None = None,
                  ended_at: datetime | None = None) -> ZoomMeetingInstance | None:
    """Remember a Zoom meeting instance (its start and end close open stays)."""
    if not uuid:
        return None
    instance = session.scalar(sa.select(ZoomMeetingInstance).where(
        ZoomMeetingInstance.event_id == event.id, ZoomMeetingInstance.uuid == uuid[:128]))
    if instance is None:
        instance = ZoomMeetingInstance(event_id=event.id, uuid=uuid[:128])
        session.add(instance)
    if started_at and (instance.started_at is None or started_at < instance.started_at):
        instance.started_at = started_at
    if ended_at:
        instance.ended_at = ended_at
    session.flush()
    return instance


def record_point(session: Session, event: Event, participant: Participant, *, meeting_uuid: str,
                 joined_at: datetime | None = None, left_at: datetime | None = None, now: datetime) -> bool:
    """Store one webhook join or leave (exactly one of the two instants). Idempotent.

    Returns False when the same point was already recorded.
    """
    if (joined_at is None) == (left_at is None):
        raise ValueError("give exactly one of joined_at / left_at")
    registration, walk_in = _owner(session, event, participant)
    column = AttendanceSession.joined_at if joined_at else AttendanceSession.left_at
    other = AttendanceSession.left_at if joined_at else AttendanceSession.joined_at
    exists = session.scalar(sa.select(sa.func.count()).select_from(AttendanceSession).where(
        AttendanceSession.event_id == event.id, _owner_filter(registration, walk_in),
        AttendanceSession.source == "webhook", column == (joined_at or left_at), other.is_(None)))
    if exists:
        return False
    session.add(_stay(event, registration, walk_in, participant, meeting_uuid, joined_at, left_at, "webhook"))
    session.flush()
    recompute_owner(session, event, registration, walk_in, now=now)
    return True


def _stay(event: Event, registration, walk_in, participant: Participant, meeting_uuid: str | None,
          joined_at: datetime | None, left_at: datetime | None, source: str) -> AttendanceSession:
    """A new attendance row, with text cut to the column sizes (Zoom's values are not bounded)."""
    return AttendanceSession(
        event_id=event.id, registration_id=registration.id if registration else None,
        walk_in_id=walk_in.id if walk_in else None, meeting_uuid=(meeting_uuid or "")[:128],
        participant_key=participant.key[:400], registrant_id=participant.registrant_id or None,
        name=participant.name[:300], email=participant.email[:320], joined_at=joined_at, left_at=left_at,
        source=source)


def record_report_stay(session: Session, event: Event, participant: Participant, *, meeting_uuid: str,
                       joined_at: datetime, left_at: datetime | None) -> bool:
    """Store one row of Zoom's participants report; False when already imported."""
    registration, walk_in = _owner(session, event, participant)
    exists = session.scalar(sa.select(sa.func.count()).select_from(AttendanceSession).where(
        AttendanceSession.event_id == event.id, _owner_filter(registration, walk_in),
        AttendanceSession.source == "report", AttendanceSession.joined_at == joined_at,
        AttendanceSession.left_at == left_at if left_at else AttendanceSession.left_at.is_(None)))
    if exists:
        return False
    session.add(_stay(event, registration, walk_in, participant, meeting_uuid, joined_at, left_at, "report"))
    session.flush()
    return True


# -- computation ------------------------------------------------------------------------------

Interval = tuple[datetime, datetime]


def merge_intervals(intervals: list[Interval]) -> list[Interval]:
    """Union of time intervals (overlapping or touching ones merged), sorted."""
    merged: list[list[datetime]] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def pair_points(joins: list[datetime], leaves: list[datetime], *, open_end: datetime | None,
                start_fallback: datetime | None) -> list[Interval]:
    """Pair webhook joins and leaves into stays, whatever order they arrived in.

    Walk the points in time order: a leave closes the earliest still-open join; a leave
    with no open join (its join was lost) starts at `start_fallback`; joins never closed
    end at `open_end` (the meeting's end, or now while it runs).
    """
    points = sorted([(t, 0) for t in joins] + [(t, 1) for t in leaves])
    open_joins: list[datetime] = []
    stays: list[Interval] = []
    for at, kind in points:
        if kind == 0:
            open_joins.append(at)
        elif open_joins:
            stays.append((open_joins.pop(0), at))
        elif start_fallback is not None and start_fallback < at:
            stays.append((start_fallback, at))
    if open_end is not None:
        stays.extend((start, open_end) for start in open_joins if open_end > start)
    return stays


def _bounds(session: Session, event: Event, now: datetime) -> tuple[datetime | None, datetime]:
    instances = [i for i in session.scalars(sa.select(ZoomMeetingInstance).where(
        ZoomMeetingInstance.event_id == event.id)) if i.started_at is None or instance_in_window(event, i.started_at)]
    starts = [i.started_at for i in instances if i.started_at]
    ends = [i.ended_at for i in instances if i.ended_at]
    start = min(starts) if starts else event.starts_at
    # Stays still open: until the meeting's recorded end, else until now (the meeting runs),
    # but never past the scheduled end plus the time Zoom lets a meeting overrun.
    end = max(ends) if ends else min(now, event.ends_at + STAY_LATE)
    return start, end


def stays_for(session: Session, event: Event, owner_filter, *, now: datetime) -> list[Interval]:
    """The merged stays of one owner (registration or walk-in)."""
    rows = list(session.scalars(sa.select(AttendanceSession).where(
        AttendanceSession.event_id == event.id, owner_filter)))
    report = [(r.joined_at, r.left_at) for r in rows if r.source == "report" and r.joined_at]
    start, end = _bounds(session, event, now)
    if report:
        return merge_intervals([(s, e or end) for s, e in report])
    joins = [r.joined_at for r in rows if r.joined_at and r.left_at is None]
    leaves = [r.left_at for r in rows if r.left_at and r.joined_at is None]
    return merge_intervals(pair_points(joins, leaves, open_end=end, start_fallback=start))


def _minutes(stays: list[Interval]) -> int:
    return int(sum((e - s).total_seconds() for s, e in stays) / 60 + 0.5)


def recompute_owner(session: Session, event: Event, registration: Registration | None, walk_in: WalkIn | None,
                    *, now: datetime) -> None:
    """Refresh the attendance summary of one registration or walk-in from its evidence."""
    stays = stays_for(session, event, _owner_filter(registration, walk_in), now=now)
    minutes = _minutes(stays)
    first = stays[0][0] if stays else None
    before = _summary(registration or walk_in)
    if registration is not None:
        if registration.attendance_source == SOURCE_MANUAL:
            return
        rows_exist = session.scalar(sa.select(sa.func.count()).select_from(AttendanceSession).where(
            AttendanceSession.registration_id == registration.id))
        if not rows_exist:
            return
        registration.attended = bool(stays)
        registration.first_joined_at = first
        registration.attended_minutes = minutes
        registration.attendance_source = SOURCE_ZOOM
    else:
        walk_in.first_joined_at = first
        walk_in.attended_minutes = minutes
    session.flush()
    if _summary(registration or walk_in) != before:
        attendance_recorded.send(registration or walk_in)


def attendance_share(registration: Registration) -> float | None:
    """Share (0..1) of the scheduled duration the person attended, or None when unknown."""
    if registration.attended_minutes is None:
        return None
    duration = registration.event.duration_minutes
    if duration <= 0:
        return None
    return min(registration.attended_minutes / duration, 1.0)


def recompute_event(session: Session, event: Event, *, now: datetime, final: bool = False) -> None:
    """Recompute every registrant and walk-in of an event.

    `final` (after Zoom's report is in): confirmed registrants with no evidence at all are
    recorded as absent (attended False, 0 minutes) rather than unknown.
    """
    registrations = list(session.scalars(sa.select(Registration).where(Registration.event_id == event.id)))
    for registration in registrations:
        recompute_owner(session, event, registration, None, now=now)
        if final and registration.attendance_source != SOURCE_MANUAL and registration.attended is None \
                and registration.status == RegistrationStatus.CONFIRMED:
            registration.attended = False
            registration.attended_minutes = 0
            registration.first_joined_at = None
            registration.attendance_source = SOURCE_ZOOM
            attendance_recorded.send(registration)
    for walk_in in session.scalars(sa.select(WalkIn).where(WalkIn.event_id == event.id,
                                                           WalkIn.matched_registration_id.is_(None))):
        recompute_owner(session, event, None, walk_in, now=now)
    session.flush()


def sessions_of(session: Session, registration: Registration, *, now: datetime) -> list[Interval]:
    """The registrant's stays (join, leave), merged, for display."""
    return stays_for(session, registration.event, AttendanceSession.registration_id == registration.id, now=now)
