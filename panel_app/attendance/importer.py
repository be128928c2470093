"""Import Zoom's participants report after the meeting and merge it with webhook evidence.

Which instances: every meeting UUID seen in webhooks, plus Zoom's list of past instances
("List past meeting instances" / "List past webinar instances"), keeping only those that start
inside the event's window (a reused or recurring id has other sessions); when none is known, the
meeting or webinar id itself (Zoom then reports the latest instance, and only rows inside the
window are kept). UUIDs are double-encoded by the client where Zoom requires it.

Rows: `include_fields=registrant_id` makes Zoom return the registrant id that identifies people
outside the host's account (their `id` and often their email are blank since March 2023);
rows with `status: in_waiting_room` are people the host never let in, not attendance ("Get
meeting participant reports", https://developers.zoom.us/docs/api/reports/).

The import is state (`AttendanceImport`): Zoom's report is not available at once after a meeting
ends (404), so the import is retried with backoff for about a day, and people are marked absent
only once every instance's report was actually read. Running it again adds nothing: each report
row is stored once.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.attendance import services, walk_ins
from panel_app.core.text import error_text
from panel_app.models import Event
from panel_app.models.attendance import AttendanceImport, WalkIn, ZoomMeetingInstance
from panel_app.zoom.errors import ZoomError, ZoomNotFound, ZoomRateLimited

log = logging.getLogger(__name__)

#: Zoom needs a little time after a meeting ends before its report exists.
FIRST_DELAY = timedelta(minutes=15)
#: Later attempts: doubling from FIRST_DELAY, capped here; given up after MAX_ATTEMPTS (about a day).
MAX_DELAY = timedelta(hours=2)
MAX_ATTEMPTS = 14
#: A claimed import is reserved this long for the worker reading it.
LEASE = timedelta(minutes=30)
PENDING, DONE, FAILED = "pending", "done", "failed"


@dataclass
class ImportReport:
    instances: int = 0
    rows: int = 0
    added: int = 0
    walk_ins: int = 0
    waiting_room: int = 0
    outside_window: int = 0
    missing_instances: list[str] = field(default_factory=list)
    #: True when every instance's report was read (the figures are final; absentees are marked).
    complete: bool = False


def parse_zoom_time(value) -> datetime | None:
    """Zoom's "2023-09-26T13:00:05Z" as an aware UTC datetime (None for junk)."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return None
    return parsed


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _participant(row: dict) -> services.Participant:
    return services.Participant(
        name=_text(row.get("name")) or _text(row.get("user_name")),
        email=_text(row.get("user_email")) or _text(row.get("email")),
        registrant_id=_text(row.get("registrant_id")),
        user_id=_text(row.get("participant_user_id")) or _text(row.get("id")),
        participant_uuid=_text(row.get("participant_uuid")),
    )


def instance_uuids(session: Session, client, event: Event) -> tuple[list[tuple[str, datetime | None]], bool]:
    """Meeting UUIDs to read reports for, with their start when known, and whether the list is
    the meeting id itself (no instance known: Zoom reports the latest one)."""
    found: dict[str, datetime | None] = {}
    for instance in session.scalars(sa.select(ZoomMeetingInstance).where(ZoomMeetingInstance.event_id == event.id)):
        if instance.started_at is None or services.instance_in_window(event, instance.started_at):
            found[instance.uuid] = instance.started_at
    listed_elsewhere = False
    try:
        for item in client.past_instances(event.zoom_kind, event.zoom_id):
            uuid, started = _text(item.get("uuid")), parse_zoom_time(item.get("start_time"))
            if not uuid or uuid in found:
                continue
            if started is not None and not services.instance_in_window(event, started):
                listed_elsewhere = True  # another session of a reused or recurring id
                continue
            found[uuid] = started
    except ZoomNotFound:
        pass
    if found:
        return list(found.items()), False
    if listed_elsewhere:
        return [], False  # Zoom lists only other sessions: ours has not happened, or not yet
    return [(str(event.zoom_id), None)], True


def import_attendance(session: Session, client, event: Event, *, now: datetime) -> ImportReport:
    """Read every page of every instance's report and merge it; flushes (caller commits).

    All reading from Zoom happens before the first write, so no database write lock is held
    while waiting on the network (SQLite has one writer; the token cache needs it too).
    Call it with no uncommitted writes in `session`.
    """
    report = ImportReport()
    fetched: list[tuple[str, datetime | None, list[dict]]] = []
    instances, latest_only = instance_uuids(session, client, event)
    for uuid, started in instances:
        try:
            fetched.append((uuid, started, list(client.iter_report_participants(event.zoom_kind, uuid))))
        except ZoomNotFound:
            report.missing_instances.append(uuid)
    in_window_rows = 0
    for uuid, started, rows in fetched:
        instance = None if latest_only else services.note_instance(session, event, uuid, started_at=started)
        report.instances += 1
        for row in rows:
            if not isinstance(row, dict):
                continue
            if row.get("status") == "in_waiting_room":
                report.waiting_room += 1
                continue
            joined = parse_zoom_time(row.get("join_time"))
            if joined is None:
                continue
            if latest_only and not services.point_in_window(event, joined):
                report.outside_window += 1
                continue
            in_window_rows += 1
            report.rows += 1
            left = parse_zoom_time(row.get("leave_time"))
            if services.record_report_stay(session, event, _participant(row), meeting_uuid=uuid, joined_at=joined,
                                           left_at=left if left and left >= joined else None):
                report.added += 1
        if instance is not None:
            instance.report_read_at = now
    # Final only when every report was read; the latest-instance fallback must also have shown
    # this session (else it was another session of the same id).
    report.complete = bool(fetched) and not report.missing_instances and (not latest_only or in_window_rows > 0)
    walk_ins.rematch_walk_ins(session, event, now=now)
    services.recompute_event(session, event, now=now, final=report.complete)
    report.walk_ins = session.scalar(sa.select(sa.func.count()).select_from(WalkIn).where(
        WalkIn.event_id == event.id, WalkIn.matched_registration_id.is_(None)))
    session.flush()
    return report


# -- the import as state: scheduled, claimed, retried, done ---------------------------------

def schedule_import(session: Session, event: Event, *, at: datetime) -> AttendanceImport:
    """Ask for the report import at `at` (e.g. 15 minutes after the meeting ended). Flushes."""
    job = session.get(AttendanceImport, event.id)
    if job is None:
        job = AttendanceImport(event_id=event.id, state=PENDING, attempts=0, next_attempt_at=at)
        session.add(job)
    elif job.state != PENDING:
        job.state, job.attempts, job.next_attempt_at, job.last_error = PENDING, 0, at, None
    elif job.next_attempt_at is None or at < job.next_attempt_at:
        job.next_attempt_at = at
    session.flush()
    return job


def schedule_missing_imports(session: Session, now: datetime, *, within: timedelta = timedelta(days=7)) -> int:
    """Schedule the import for Zoom events that ended (plus FIRST_DELAY) and have none yet, so
    attendance comes in even where Zoom's `meeting.ended` notification never arrived."""
    has_import = sa.select(AttendanceImport.event_id).where(AttendanceImport.event_id == Event.id)
    events = list(session.scalars(sa.select(Event).where(
        sa.or_(Event.zoom_meeting_id.isnot(None), Event.zoom_webinar_id.isnot(None)),
        Event.ends_at <= now - FIRST_DELAY, Event.ends_at > now - within, ~sa.exists(has_import))))
    for event in events:
        schedule_import(session, event, at=now)
    return len(events)


def due_imports(session: Session, now: datetime) -> list[int]:
    """Events whose report import is due (or whose worker's lease ran out)."""
    return list(session.scalars(sa.select(AttendanceImport.event_id).where(
        AttendanceImport.state == PENDING, AttendanceImport.next_attempt_at <= now)
        .order_by(AttendanceImport.next_attempt_at)))


def claim_import(session: Session, event_id: int, now: datetime) -> bool:
    """Reserve a due import for this worker (commits)."""
    result = session.execute(
        sa.update(AttendanceImport)
        .where(AttendanceImport.event_id == event_id, AttendanceImport.state == PENDING,
               sa.or_(AttendanceImport.next_attempt_at.is_(None), AttendanceImport.next_attempt_at <= now))
        .values(next_attempt_at=now + LEASE, attempts=AttendanceImport.attempts + 1)
        .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


def retry_delay(attempts: int) -> timedelta:
    """Wait before the next attempt: FIRST_DELAY doubling to MAX_DELAY, with jitter."""
    base = min(FIRST_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    return base * random.uniform(0.9, 1.1)


def run_import(session: Session, client, event: Event, *, now: datetime) -> ImportReport | None:
    """One attempt at a claimed import: read, merge, and record the outcome. Commits.

    Returns the report, or None when Zoom could not be read at all (the error is recorded).
    """
    job = session.get(AttendanceImport, event.id) or schedule_import(session, event, at=now)
    session.commit()  # nothing uncommitted while we wait on Zoom
    try:
        report = import_attendance(session, client, event, now=now)
    except Exception as exc:  # noqa: BLE001 - recorded on the import for organisers; the worker goes on
        session.rollback()
        if isinstance(exc, ZoomError):
            log.warning("attendance import for event %s: %s", event.id, exc)
        else:
            log.exception("attendance import for event %s: unexpected error", event.id)
        _retry_later(session.get(AttendanceImport, event.id), now, f"{exc}" if isinstance(exc, ZoomError)
                     else f"Unexpected error: {type(exc).__name__}: {exc}",
                     retry_at=exc.retry_at if isinstance(exc, ZoomRateLimited) else None)
        session.commit()
        return None
    job = session.get(AttendanceImport, event.id)
    if report.complete:
        job.state, job.completed_at, job.next_attempt_at, job.last_error = DONE, now, None, None
    else:
        missing = ", ".join(report.missing_instances) or "this session"
        _retry_later(job, now, f"Zoom's participants report is not available yet for {missing}")
    session.commit()
    return report


def _retry_later(job: AttendanceImport, now: datetime, error: str, *, retry_at: datetime | None = None) -> None:
    job.last_error = error_text(error)
    if job.attempts >= MAX_ATTEMPTS:
        job.state, job.next_attempt_at = FAILED, None
        job.last_error = error_text(f"gave up after {job.attempts} attempts: {error}")
    else:
        job.state = PENDING
        job.next_attempt_at = max(retry_at or now, now + retry_delay(job.attempts))
