"""Meetings and webinars: the objects, their registration settings and registration questions."""

from __future__ import annotations

import copy
import secrets
from datetime import datetime, timedelta, timezone

from werkzeug.wrappers import Request, Response

from panel_app.zoom.testing.model import APPROVAL_TYPES, EMAIL_RE, ApiError, SimMeeting, iso
from panel_app.zoom.testing.model import invalid_field as _invalid

#: "Update registration questions": `questions[].field_name` values.
QUESTION_FIELDS = ("last_name", "address", "city", "country", "zip", "state", "phone", "industry", "org",
                   "job_title", "purchasing_time_frame", "role_in_purchase_process", "no_of_employees", "comments")
#: Zoom's system interpretation languages: country ID -> language name ("Update a meeting",
#: language_interpretation; developer forum https://devforum.zoom.us/t/56395).
INTERPRETATION_LANGUAGES = {"US": "English", "CN": "Chinese", "JP": "Japanese", "DE": "German", "FR": "French",
                            "RU": "Russian", "PT": "Portuguese", "ES": "Spanish", "KR": "Korean"}



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
        #: Interpretation languages the account offers (add custom ones here as the web portal would).
        self.interpretation_languages = dict(INTERPRETATION_LANGUAGES)
        #: Whether language interpretation is enabled on the host's account (False: settings are ignored).
        self.interpretation_on_account = True

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
        # "Update a meeting": 204 No Content.
        return Response(status=204)

    def _patch_meeting(self, meeting: SimMeeting, body: dict) -> None:
        """Apply "Update a meeting" / "Update a webinar" for the fields the simulator models; validate all
        before changing anything."""
        settings = body.get("settings", {})
        if not isinstance(settings, dict):
            raise _invalid("settings")
        for key, kind in (("topic", str), ("agenda", str), ("duration", int)):
            if key in body and not isinstance(body[key], kind):
                raise _invalid(key)
        for key in ("registrants_confirmation_email", "registrants_email_notification", "close_registration",
                    "waiting_room", "meeting_authentication"):
            if key in settings and not isinstance(settings[key], bool):
                raise _invalid(f"settings.{key}")
        if "approval_type" in settings and settings["approval_type"] not in (0, 1, 2):
            raise _invalid("settings.approval_type")
        # `registration_type`: 1 register once for all occurrences, 2 for each occurrence, 3 once and choose.
        if "registration_type" in settings and settings["registration_type"] not in (1, 2, 3):
            raise _invalid("settings.registration_type")
        interpretation = settings.get("language_interpretation")
        if interpretation is not None:
            interpretation = self._interpretation(interpretation)
        for key in ("topic", "agenda", "duration"):
            if key in body:
                setattr(meeting, key, body[key])
        for key, value in settings.items():
            if key == "language_interpretation":
                # "If this feature is not enabled on the host's account, this setting will not be applied"
                # ("Update a meeting", settings.language_interpretation): no error, nothing changes.
                if self.interpretation_on_account:
                    meeting.settings[key] = interpretation
                continue
            if key == "approval_type" and value != 2 and meeting.type in (3, 6):
                # Registration is not available for recurring meetings with no fixed time (support article
                # "Customizing registration" / observed: the PATCH answers 204 and approval_type stays 2).
                continue
            meeting.settings[key] = copy.deepcopy(value)

    def _interpretation(self, value) -> dict:
        """Validate `settings.language_interpretation` {enable, interpreters: [{email, languages}]}.

        "Update a meeting": `languages` is "A comma-separated list of the interpreter's languages. The string
        must contain two country IDs ... if the interpreter will translate from English to Chinese, then this
        value will be `US,CN`". Only Zoom's system languages are accepted (developer forum
        https://devforum.zoom.us/t/56395: "GB" is refused, English is "US"). Newer references also name
        `interpreter_languages` (two language names, e.g. "English,French"); both are accepted and returned.
        """
        if not isinstance(value, dict) or set(value) - {"enable", "interpreters"}:
            raise _invalid("settings.language_interpretation")
        if "enable" in value and not isinstance(value["enable"], bool):
            raise _invalid("settings.language_interpretation.enable")
        interpreters = value.get("interpreters", [])
        if not isinstance(interpreters, list):
            raise _invalid("settings.language_interpretation.interpreters")
        names = dict(self.interpretation_languages)
        ids = {name: code for code, name in names.items()}
        cleaned = []
        for person in interpreters:
            if (not isinstance(person, dict) or set(person) - {"email", "languages", "interpreter_languages"}
                    or not isinstance(person.get("email"), str) or not EMAIL_RE.match(person["email"])):
                raise _invalid("settings.language_interpretation.interpreters")
            if "languages" in person:
                pair = str(person["languages"]).split(",")
                if len(pair) != 2 or pair[0] == pair[1] or any(code not in names for code in pair):
                    raise _invalid("settings.language_interpretation.interpreters.languages")
            elif "interpreter_languages" in person:
                pair = [ids.get(name.strip(), "?") for name in str(person["interpreter_languages"]).split(",")]
                if len(pair) != 2 or pair[0] == pair[1] or "?" in pair:
                    raise _invalid("settings.language_interpretation.interpreters.interpreter_languages")
            else:
                raise _invalid("settings.language_interpretation.interpreters.languages")
            cleaned.append({"email": person["email"], "languages": ",".join(pair),
                            "interpreter_languages": ",".join(names[code] for code in pair)})
        return {"enable": bool(value.get("enable", False)), "interpreters": cleaned}

    def _api_create_meeting(self, request: Request, kind: str, user_id: str) -> Response:
        # "Create a meeting" (POST /users/{userId}/meetings) and "Create a webinar": 201 with the new object.
        body = self._body(request)
        meeting_type = body.get("type", 5 if kind == "webinars" else 2)
        if meeting_type not in ((5, 6, 9) if kind == "webinars" else (1, 2, 3, 8, 10)):
            raise _invalid("type")
        meeting_id = str(80000000000 + secrets.randbelow(9999999999))
        start = _parse_time(body["start_time"]) if body.get("start_time") else None
        meeting = self.add_meeting(meeting_id, kind=kind, topic=str(body.get("topic", "Zoom meeting")),
                                   type=meeting_type, duration=int(body.get("duration", 60)), start_time=start,
                                   approval="none")
        try:
            with self._lock:
                self._patch_meeting(meeting, {"settings": body.get("settings", {})})
        except ApiError:
            with self._lock:
                self.meetings.pop(meeting_id, None)
            raise
        with self._lock:
            return self._json(self._meeting_json(meeting), 201)

    def _api_questions(self, request: Request, kind: str, meeting_id: str) -> Response:
        # "List registration questions" / "Update registration questions" (PATCH answers 204).
        meeting = self._meeting(kind, meeting_id)
        if request.method == "GET":
            with self._lock:
                return self._json({"questions": copy.deepcopy(meeting.questions),
                                   "custom_questions": copy.deepcopy(meeting.custom_questions)})
        body = self._body(request)
        if set(body) - {"questions", "custom_questions"}:
            raise _invalid(sorted(set(body) - {"questions", "custom_questions"})[0])
        questions = body.get("questions", meeting.questions)
        custom = body.get("custom_questions", meeting.custom_questions)
        if not isinstance(questions, list) or any(
                not isinstance(q, dict) or q.get("field_name") not in QUESTION_FIELDS
                or not isinstance(q.get("required", False), bool) or set(q) - {"field_name", "required"}
                for q in questions):
            raise _invalid("questions")
        for question in custom if isinstance(custom, list) else [None]:
            if (not isinstance(question, dict) or set(question) - {"title", "type", "required", "answers"}
                    or not isinstance(question.get("title"), str) or not question["title"].strip()
                    or question.get("type", "short") not in ("short", "single")
                    or not isinstance(question.get("required", False), bool)):
                raise _invalid("custom_questions")
            answers = question.get("answers", [])
            # `answers`: "Can not be used for `short` question type"; a `single` question needs choices.
            if not isinstance(answers, list) or any(not isinstance(a, str) for a in answers) or (
                    question.get("type", "short") == "short" and answers) or (
                    question.get("type") == "single" and not answers):
                raise _invalid("custom_questions")
        with self._lock:
            meeting.questions = copy.deepcopy(questions)
            meeting.custom_questions = copy.deepcopy(custom)
        return Response(status=204)


def _uuid_for(meeting_id: str) -> str:
    return f"sim{meeting_id}=="


def _parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, 300, "Invalid field: start_time.") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
