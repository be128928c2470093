"""Meeting set-up: read a linked Zoom meeting's or webinar's own settings, report what does not
fit the event (the rules and the documents they follow: `setup_rules.py`), fix what can be
fixed, create a meeting set up right, and push the event's interpreters.

Services take a session, a client and plain values, and flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.audit.services import record
from panel_app.models import Event, EventInterpreter, User, ZoomSetupCheck
from panel_app.zoom import questions as zq
from panel_app.zoom.client import ZoomClient
from panel_app.zoom.errors import ZoomError, ZoomNotFound, ZoomRequestRejected
from panel_app.zoom.setup_rules import (
    APPROVE_AUTOMATICALLY,
    APPROVE_MANUALLY,
    KINDS,
    QUESTION_CODES,
    SetupReport,
    _question_findings,
    evaluate,
    meeting_patch,
    new_meeting_body,
    usable_interpreters,
    zoom_interpreter,
)


class SetupError(ValueError):
    """A request the set-up refuses before calling Zoom; `code` words the message (setup_text)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class FixResult:
    before: SetupReport
    after: SetupReport
    #: Codes of the findings that a fix was sent for and that are gone now.
    fixed: list[str] = field(default_factory=list)
    #: Codes a fix was sent for that Zoom accepted but did not apply (plan, portal settings).
    not_applied: list[str] = field(default_factory=list)
    #: Which resources were updated: "meeting", "questions".
    updated: list[str] = field(default_factory=list)


@dataclass
class CreateResult:
    kind: str
    zoom_id: str
    report: SetupReport | None
    #: A failure after the meeting was created (its id is stored all the same).
    error: ZoomError | None = None


# -- reading and judging -------------------------------------------------------------------------


def list_interpreters(session: Session, event: Event) -> list[EventInterpreter]:
    return list(session.scalars(
        sa.select(EventInterpreter).where(EventInterpreter.event_id == event.id)
        .order_by(EventInterpreter.language_a, EventInterpreter.language_b, EventInterpreter.email_normalized)))


def _linked(event: Event) -> tuple[str, str]:
    if not event.zoom_id or not event.zoom_kind:
        raise SetupError("not_linked")
    return event.zoom_kind, str(event.zoom_id)


def _read(client: ZoomClient, kind: str, zoom_id: str) -> tuple[dict, dict | None]:
    meeting = client.get_meeting(kind, zoom_id)
    settings = meeting.get("settings") if isinstance(meeting.get("settings"), dict) else {}
    try:
        questions = client.get_registration_questions(kind, zoom_id)
    except (ZoomNotFound, ZoomRequestRejected):
        if settings.get("approval_type") in (APPROVE_AUTOMATICALLY, APPROVE_MANUALLY):
            raise
        # Zoom keeps registration questions for registration only; judged again once it is on.
        questions = None
    return meeting, questions


def _report(session: Session, event: Event, kind: str, zoom_id: str, meeting: dict, questions: dict | None,
            now: datetime) -> SetupReport:
    findings = evaluate(event, kind, meeting, questions, list_interpreters(session, event))
    report = SetupReport(kind=kind, zoom_id=zoom_id, findings=findings, checked_at=now,
                         topic=str(meeting.get("topic") or "")[:300])
    _store(session, event, report)
    return report


def _store(session: Session, event: Event, report: SetupReport) -> ZoomSetupCheck:
    check = session.get(ZoomSetupCheck, event.id)
    if check is None:
        check = ZoomSetupCheck(event_id=event.id)
        session.add(check)
    check.checked_at = report.checked_at
    check.zoom_kind, check.zoom_id = report.kind, report.zoom_id
    check.problems = len(report.problems)
    check.findings = [f.as_dict() for f in report.findings]
    session.flush()
    return check


def check_setup(session: Session, client: ZoomClient, event: Event, *, now: datetime) -> SetupReport:
    """Read the meeting and its questions (two GETs), judge them, keep the result. Flushes."""
    kind, zoom_id = _linked(event)
    meeting, questions = _read(client, kind, zoom_id)
    return _report(session, event, kind, zoom_id, meeting, questions, now)


def last_check(session: Session, event: Event) -> ZoomSetupCheck | None:
    """The stored check of the meeting the event links to now (None if never checked or re-linked)."""
    check = session.get(ZoomSetupCheck, event.id)
    if check is None or check.zoom_kind != event.zoom_kind or check.zoom_id != str(event.zoom_id or ""):
        return None
    return check


# -- fixing --------------------------------------------------------------------------------------


def fix_setup(session: Session, client: ZoomClient, event: Event, *, now: datetime, actor: User | str | None,
              ip: str | None = None) -> FixResult:
    """Check, send one PATCH for the meeting and one for its questions (only what is wrong), check again.

    Idempotent: a second run finds nothing to fix and sends nothing. Flushes.
    """
    kind, zoom_id = _linked(event)
    interpreters = list_interpreters(session, event)
    meeting, questions = _read(client, kind, zoom_id)
    before = SetupReport(kind=kind, zoom_id=zoom_id, checked_at=now, topic=str(meeting.get("topic") or "")[:300],
                         findings=evaluate(event, kind, meeting, questions, interpreters))
    updated: list[str] = []
    body = meeting_patch(event, kind, meeting, before.findings, interpreters)
    if body:
        client.update_meeting(kind, zoom_id, body)
        updated.append("meeting")
    if questions is None and body.get("settings", {}).get("approval_type") is not None:
        questions = client.get_registration_questions(kind, zoom_id)  # registration is on now
    question_findings = _question_findings(event, questions) if questions is not None else []
    if any(f.fixable and f.code in QUESTION_CODES for f in question_findings):
        client.update_registration_questions(kind, zoom_id, zq.merged_questions(kind, event.languages or [], questions))
        updated.append("questions")
    after = check_setup(session, client, event, now=now) if updated else _report(
        session, event, kind, zoom_id, meeting, questions, now)
    attempted = {f.code for f in before.findings if f.fixable} | {f.code for f in question_findings if f.fixable}
    remaining = {f.code for f in after.findings}
    result = FixResult(before=before, after=after, updated=updated,
                       fixed=sorted(attempted - remaining) if updated else [],
                       not_applied=sorted(attempted & remaining) if updated else [])
    if updated:
        record(session, "zoom.setup.fix", actor=actor, event_id=event.id, ip=ip, now=now,
               details={"zoom": f"{kind}/{zoom_id}", "updated": updated, "fixed": result.fixed,
                        "not_applied": result.not_applied})
    session.flush()
    return result


def push_interpreters(session: Session, client: ZoomClient, event: Event, *, now: datetime,
                      actor: User | str | None, ip: str | None = None) -> SetupReport:
    """Send the event's interpreters to the meeting's interpretation settings (replacing Zoom's list)."""
    kind, zoom_id = _linked(event)
    usable = usable_interpreters(event, list_interpreters(session, event))
    if not usable:
        raise SetupError("no_interpreters")
    client.update_meeting(kind, zoom_id, {"settings": {"language_interpretation": {
        "enable": True, "interpreters": [zoom_interpreter(i) for i in usable]}}})
    record(session, "zoom.interpreters.push", actor=actor, event_id=event.id, ip=ip, now=now,
           details={"zoom": f"{kind}/{zoom_id}", "interpreters": len(usable)})
    return check_setup(session, client, event, now=now)


# -- creating ------------------------------------------------------------------------------------


def create_zoom_meeting(session: Session, client: ZoomClient, event: Event, *, kind: str, now: datetime,
                        actor: User | str | None, ip: str | None = None, host: str = "me") -> CreateResult:
    """Create the meeting or webinar with the set-up right, store its id on the event, add the
    questions, and check. The id is kept even when a later call fails (`CreateResult.error`)."""
    if kind not in KINDS:
        raise SetupError("bad_kind")
    if event.zoom_id:
        raise SetupError("already_linked")
    created = client.create_meeting(kind, new_meeting_body(event, kind, list_interpreters(session, event)),
                                    user_id=host or "me")
    zoom_id = str(created["id"])[:32]
    if kind == "webinars":
        event.zoom_webinar_id = zoom_id
    else:
        event.zoom_meeting_id = zoom_id
    record(session, "zoom.meeting.create", actor=actor, event_id=event.id, ip=ip, now=now,
           details={"zoom": f"{kind}/{zoom_id}"})
    session.flush()
    try:
        current = client.get_registration_questions(kind, zoom_id)
        client.update_registration_questions(kind, zoom_id, zq.merged_questions(kind, event.languages or [], current))
        report = check_setup(session, client, event, now=now)
    except ZoomError as exc:
        return CreateResult(kind=kind, zoom_id=zoom_id, report=None, error=exc)
    return CreateResult(kind=kind, zoom_id=zoom_id, report=report)
