"""Figures for an event's dashboard: a fixed number of grouped queries, whatever the size."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.admin.registrations.services import status_counts
from panel_app.models import ACTIVE_STATUSES, Event, Registration, RegistrationStatus, WalkIn

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
    #: (channel, came, did not come, not known yet) for confirmed people, in the event's order.
    attendance_by_language: list[tuple[str, int, int, int]]
    #: People in the meeting whom no registration matched.
    walk_ins: int
    event_over: bool

    @property
    def active_total(self) -> int:
        return sum(self.status.get(s.value, 0) for s in ACTIVE_STATUSES)


def fill_rate(confirmed: int, capacity: int | None) -> int | None:
    """Seats taken as a whole percentage of capacity (may pass 100 with people confirmed over
    capacity); None without a limit, or for a capacity of 0."""
    if not capacity:
        return None
    return round(100 * confirmed / capacity)


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

    return Dashboard(
        status=status,
        affiliation=affiliation,
        role=role,
        language_confirmed=language_confirmed,
        language_possible=language_possible,
        country=country,
        over_time=_over_time(session, event),
        attendance=_attendance(session, event),
        minutes=_minutes(session, event),
        attendance_by_affiliation=_attendance_by_affiliation(session, event),
        attendance_by_language=attendance_by_language(session, event),
        walk_ins=session.scalar(sa.select(sa.func.count()).select_from(WalkIn).where(
            WalkIn.event_id == event.id, WalkIn.matched_registration_id.is_(None))) or 0,
        event_over=now >= event.ends_at,
    )


def _over_time(session: Session, event: Event) -> list[tuple[str, int, int]]:
    """Registrations per local day: fetched as instants (one column) and bucketed in the
    event's zone here, because SQLite and PostgreSQL disagree on zone arithmetic."""
    per_day: Counter[str] = Counter()
    query = sa.select(Registration.created_at).where(Registration.event_id == event.id)
    for (created,) in session.execute(query.execution_options(yield_per=5000)):
        per_day[created.astimezone(event.zone).date().isoformat()] += 1
    running = 0
    over_time = []
    for day in sorted(per_day):
        running += per_day[day]
        over_time.append((day, per_day[day], running))
    return over_time


def _attendance(session: Session, event: Event) -> dict[str, int]:
    """Confirmed people who came, did not, or are not known yet."""
    attendance = {"came": 0, "did_not": 0, "unknown": 0}
    for attended, count in session.execute(
        sa.select(Registration.attended, sa.func.count())
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.attended)
    ):
        attendance["unknown" if attended is None else ("came" if attended else "did_not")] += count
    return attendance


def _minutes(session: Session, event: Event) -> list[tuple[str, int]]:
    """People per band of minutes attended ("0", "1–14", ... "90+")."""
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
            sa.select(bucket, sa.func.count())
            .where(Registration.event_id == event.id, Registration.attended.is_not(None)).group_by(bucket)
        )
        if label is not None
    )
    return [(label, minute_counts.get(label, 0)) for _, label in cases]


def _attendance_by_affiliation(session: Session, event: Event) -> list[tuple[str, int, int]]:
    """(affiliation, came, confirmed) for each affiliation type."""
    by_affiliation = []
    rows = session.execute(
        sa.select(
            Registration.affiliation_type,
            sa.func.count(),
            sa.func.sum(sa.case((Registration.attended.is_(True), 1), else_=0)),
        ).where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.affiliation_type)
    )
    for affiliation_type, registered, came in rows:
        by_affiliation.append((affiliation_type, int(came or 0), registered))
    by_affiliation.sort()
    return by_affiliation


def attendance_by_language(session: Session, event: Event) -> list[tuple[str, int, int, int]]:
    """(channel, came, did not come, not known yet) for confirmed people: the interpreters' audience."""
    counts: dict[str, list[int]] = {code: [0, 0, 0] for code in event.languages}
    for language, attended, count in session.execute(
        sa.select(Registration.language, Registration.attended, sa.func.count())
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(Registration.language, Registration.attended)
    ):
        row = counts.setdefault(language, [0, 0, 0])
        row[2 if attended is None else (0 if attended else 1)] += count
    return [(code, *values) for code, values in counts.items()]
