"""Import Zoom's participants report after the meeting and merge it with webhook evidence.

Which instances: every meeting UUID seen in webhooks, plus Zoom's list of past instances
(meetings only); when neither is known the meeting/webinar id itself (Zoom then reports
the latest instance). UUIDs are double-encoded by the client where Zoom requires it.
Running the import again adds nothing: each report row is stored once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.attendance import services
from panel_app.models import Event
from panel_app.models.attendance import ZoomMeetingInstance
from panel_app.zoom.errors import ZoomNotFound

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    instances: int = 0
    rows: int = 0
    added: int = 0
    walk_ins: int = 0
    missing_instances: list[str] = field(default_factory=list)


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


def _participant(row: dict) -> services.Participant:
    return services.Participant(
        name=str(row.get("name") or row.get("user_name") or ""),
        email=str(row.get("user_email") or row.get("email") or ""),
        registrant_id=str(row.get("registrant_id") or ""),
        user_id=str(row.get("participant_user_id") or row.get("id") or ""),
        participant_uuid=str(row.get("participant_uuid") or ""),
    )


def instance_uuids(session: Session, client, event: Event) -> list[tuple[str, datetime | None]]:
    """Meeting UUIDs to read reports for, with their start when Zoom says (see module docstring)."""
    known = list(session.scalars(sa.select(ZoomMeetingInstance.uuid).where(ZoomMeetingInstance.event_id == event.id)))
    found: list[tuple[str, datetime | None]] = [(uuid, None) for uuid in known]
    if event.zoom_kind == "meetings":
        try:
            for item in client.past_instances(event.zoom_id):
                uuid = item.get("uuid")
                if uuid and uuid not in known:
                    found.append((uuid, parse_zoom_time(item.get("start_time"))))
                    known.append(uuid)
        except ZoomNotFound:
            pass
    return found or [(str(event.zoom_id), None)]


def import_attendance(session: Session, client, event: Event, *, now: datetime) -> ImportReport:
    """Read every page of every instance's report and merge it; flushes (caller commits).

    All reading from Zoom happens before the first write, so no database write lock is held
    while waiting on the network (SQLite has one writer; the token cache needs it too).
    Call it with no uncommitted writes in `session`.
    """
    report = ImportReport()
    fetched: list[tuple[str, datetime | None, list[dict]]] = []
    for uuid, started in instance_uuids(session, client, event):
        try:
            fetched.append((uuid, started, list(client.iter_report_participants(event.zoom_kind, uuid))))
        except ZoomNotFound:
            report.missing_instances.append(uuid)
    for uuid, started, rows in fetched:
        if uuid != str(event.zoom_id):
            services.note_instance(session, event, uuid, started_at=started)
        report.instances += 1
        for row in rows:
            joined = parse_zoom_time(row.get("join_time"))
            if joined is None:
                continue
            report.rows += 1
            left = parse_zoom_time(row.get("leave_time"))
            if services.record_report_stay(session, event, _participant(row), meeting_uuid=uuid, joined_at=joined,
                                           left_at=left if left and left >= joined else None):
                report.added += 1
    services.rematch_walk_ins(session, event, now=now)
    services.recompute_event(session, event, now=now, final=True)
    from panel_app.models.attendance import WalkIn

    report.walk_ins = session.scalar(sa.select(sa.func.count()).select_from(WalkIn).where(WalkIn.event_id == event.id))
    return report
