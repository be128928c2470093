"""Meetings and webinars: the objects, their registration settings and registration questions."""

from __future__ import annotations

import copy
import secrets
from datetime import datetime, timedelta, timezone

from werkzeug.wrappers import Request, Response

from panel_app.zoom.testing.model import APPROVAL_TYPES, ApiError, SimMeeting, iso

MEETING_TYPES = {2: "scheduled", 3: "recurring, no fixed time", 8: "recurring, fixed time"}
WEBINAR_TYPES = {5: "webinar", 6: "recurring, no fixed time", 9: "recurring, fixed time"}


def default_settings(approval: str) -> dict:
    """A new meeting's settings as "Get a meeting" returns them (Zoom's defaults for the fields we model)."""
    return {
        "approval_type": APPROVAL_TYPES[approval],
        "registration_type": 1,
        "registrants_confirmation_email": True,
        "registrants_email_notification": True,
        "close_registration": False,
        "waiting_room": False,
        "meeting_authentication": False,
        "language_interpretation": {"enable": False, "interpreters": []},
    }


class MeetingsMixin:
    """`add_meeting`, `meeting_object`; GET/PATCH meetings and webinars and their registration questions."""

    def _init_meetings(self) -> None:
        self.meetings: dict[str, SimMeeting] = {}
        self._page_tokens: dict[str, tuple] = {}

    def add_meeting(self, meeting_id: str, *, kind: str = "meetings", approval: str = "auto", topic: str = "Panel",
                    start_time: datetime | None = None, duration: int = 90, type: int | None = None,
                    settings: dict | None = None) -> SimMeeting:
        """A meeting or webinar Zoom knows. `approval`: auto (approval_type 0), manual (1) or none (2: no
        registration). `type`: Zoom's meeting type (default 2 scheduled meeting, 5 webinar)."""
        if kind not in ("meetings", "webinars"):
            raise ValueError("kind is 'meetings' or 'webinars'")
        with self._lock:
            meeting = SimMeeting(
                id=str(meeting_id), kind=kind, topic=topic,
                start_time=start_time or (self.clock.now() + timedelta(days=7)).replace(microsecond=0),
                duration=duration, type=type or (5 if kind == "webinars" else 2),
                settings={**default_settings(approval), **(settings or {})})
            self.meetings[meeting.id] = meeting
            return meeting

    def meeting_object(self, meeting_id: str, uuid: str | None = None) -> dict:
        """The meeting's `object` as webhook payloads carry it (id, uuid, host_id, topic, type, ...)."""
        meeting = self.meetings[str(meeting_id)]
        return {"id": meeting.numeric_id, "uuid": uuid or "", "host_id": meeting.host_id, "topic": meeting.topic,
                "type": meeting.type, "start_time": iso(meeting.start_time), "timezone": meeting.timezone,
                "duration": meeting.duration}

    def _meeting(self, kind: str, meeting_id: str) -> SimMeeting:
        with self._lock:
            meeting = self.meetings.get(meeting_id)
            if meeting is None and self.auto_create_meetings and meeting_id.isdigit():
                meeting = self.add_meeting(meeting_id, kind=kind)
        if meeting is None or meeting.kind != kind:
            noun = "Webinar" if kind == "webinars" else "Meeting"
            # "Get a meeting": 404 code 3001 "Meeting does not exist: {meetingId}." (webinars likewise).
            raise ApiError(404, 3001, f"{noun} does not exist: {meeting_id}.")
        return meeting

    def _meeting_json(self, meeting: SimMeeting) -> dict:
        base = self.root_url
        data = {
            "id": meeting.numeric_id, "uuid": _uuid_for(meeting.id), "host_id": meeting.host_id,
            "host_email": "host@sim.example", "topic": meeting.topic, "type": meeting.type,
            "status": "waiting", "start_time": iso(meeting.start_time), "duration": meeting.duration,
            "timezone": meeting.timezone, "agenda": meeting.agenda, "created_at": iso(meeting.start_time),
            "join_url": f"{base}/{'w' if meeting.kind == 'webinars' else 'j'}/{meeting.id}",
            "settings": copy.deepcopy(meeting.settings),
        }
        return data

    def _api_meeting(self, request: Request, kind: str, meeting_id: str) -> Response:
        meeting = self._meeting(kind, meeting_id)
        if request.method == "GET":
            with self._lock:
                return self._json(self._meeting_json(meeting))
        body = self._body(request)
        with self._lock:
            self._patch_meeting(meeting, body)
        return Response(status=204)

    def _patch_meeting(self, meeting: SimMeeting, body: dict) -> None:
        for key in ("topic", "agenda"):
            if key in body:
                meeting.__setattr__(key, str(body[key]))
        if "duration" in body:
            meeting.duration = int(body["duration"])
        settings = body.get("settings") or {}
        for key, value in settings.items():
            if key == "approval_type":
                if value not in (0, 1, 2):
                    raise ApiError(400, 300, "Invalid field: settings.approval_type.")
            meeting.settings[key] = copy.deepcopy(value)

    def _api_create_meeting(self, request: Request, kind: str, user_id: str) -> Response:
        body = self._body(request)
        meeting_id = str(80000000000 + secrets.randbelow(9999999999))
        settings = body.get("settings") or {}
        meeting = self.add_meeting(meeting_id, kind=kind, topic=str(body.get("topic", "Zoom meeting")),
                                   type=body.get("type"), duration=int(body.get("duration", 60)),
                                   start_time=_parse_time(body.get("start_time")) if body.get("start_time") else None)
        with self._lock:
            self._patch_meeting(meeting, {"settings": settings})
            return self._json(self._meeting_json(meeting), 201)

    def _api_questions(self, request: Request, kind: str, meeting_id: str) -> Response:
        meeting = self._meeting(kind, meeting_id)
        if request.method == "GET":
            with self._lock:
                return self._json({"questions": copy.deepcopy(meeting.questions),
                                   "custom_questions": copy.deepcopy(meeting.custom_questions)})
        body = self._body(request)
        with self._lock:
            if "questions" in body:
                meeting.questions = copy.deepcopy(body["questions"])
            if "custom_questions" in body:
                meeting.custom_questions = copy.deepcopy(body["custom_questions"])
        return Response(status=204)


def _uuid_for(meeting_id: str) -> str:
    return f"sim{meeting_id}=="


def _parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, 300, "Invalid field: start_time.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
