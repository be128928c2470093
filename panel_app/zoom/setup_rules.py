"""Meeting set-up rules: what an event needs from its Zoom meeting or webinar, judged from the
settings Zoom returns (no I/O here; `setup.py` reads from Zoom, stores and fixes).

What the event needs from Zoom, each rule with the document it follows:

- Registration required, approval matching the event: `settings.approval_type` 0 automatically
  approve, 1 manually approve, 2 no registration ("Update a meeting",
  https://developers.zoom.us/docs/api/meetings/#tag/meetings/patch/meetings/{meetingId}; the same
  values in "Update a webinar"). Our sync adds pending registrants of manual events and approves
  them later, so a manual event needs 1 and an automatic one 0.
- Zoom's own registrant emails off, so people get ours only (it carries the calendar invite):
  `registrants_confirmation_email` ("Send confirmation email to registrants") and
  `registrants_email_notification` (emails "about their registration approval, cancellation, or
  rejection"; it must be on for the confirmation email to be used at all), same pages. Webinars
  also send reminder emails (`attendees_and_panelists_reminder_email_notification`, "Update a
  webinar"); we send our own reminders, so those go off too.
- Registration questions our sync answers: panel_app/zoom/questions.py.
- Language interpretation on, with the interpreters entered for the event:
  `settings.language_interpretation` {enable, interpreters: [{email, languages}]}, where
  `languages` is "a comma-separated list of the interpreter's languages", two country IDs such as
  "US,FR" ("Update a meeting"; @zoom/rivet MeetingsUpdateMeetingRequestBody; Zoom's developer forum
  confirms English must be written "US": https://devforum.zoom.us/t/56395). Since March 2025 Zoom
  also returns `interpreter_languages` with language names such as "English,French" (changelog,
  https://developers.zoom.us/changelog/meetings/march-17-2025); both are read, `languages` is sent.
  Zoom applies the setting only when the host's plan has the feature and the languages are added in
  the web portal, and says so nowhere but in the result: a fix that Zoom accepted but did not apply
  is reported as "not applied".
- Recurring meetings: registration is impossible for a recurring meeting with no fixed time
  ("Scheduling and customizing a meeting with registration", Limitations,
  https://support.zoom.com/hc/en/article?id=zm_kb&sysparm_article=KB0065026). With a fixed time,
  `registration_type` 1 ("register once and attend any occurrence") is the one our sync can use: it
  sends no `occurrence_ids`, which types 2 and 3 need.
- "Update a meeting" and "Update a webinar" allow 100 updates a day per meeting/host, so a fix sends
  one PATCH per resource (the meeting, then its questions) and nothing when nothing is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from panel_app.models import ApprovalMode, Event, EventInterpreter
from panel_app.zoom import questions as zq

ERROR, WARNING, NOTICE = "error", "warning", "notice"
#: Severities that count as problems (the CLI's exit code, the dashboard's number).
PROBLEM_SEVERITIES = frozenset({ERROR, WARNING})
APPROVE_AUTOMATICALLY, APPROVE_MANUALLY, NO_REGISTRATION = 0, 1, 2
REGISTER_ONCE_ATTEND_ANY = 1
#: Meeting types 3 and 8, webinar types 6 and 9 ("Create a meeting", "Create a webinar").
RECURRING_NO_FIXED_TIME = frozenset({3, 6})
RECURRING_FIXED_TIME = frozenset({8, 9})
#: Our language codes as Zoom's interpreter `languages` (country IDs) and `interpreter_languages` (names).
INTERPRETER_COUNTRY = {"en": "US", "fr": "FR", "es": "ES"}
INTERPRETER_LANGUAGE_NAME = {"en": "English", "fr": "French", "es": "Spanish"}
_FROM_ZOOM_LANGUAGE = {
    **{country.casefold(): code for code, country in INTERPRETER_COUNTRY.items()},
    **{name.casefold(): code for code, name in INTERPRETER_LANGUAGE_NAME.items()},
}
#: Zoom limits ("Create a meeting"): topic length is not stated for meetings; 200 is the web portal's.
TOPIC_MAX, AGENDA_MAX = 200, 2000
KINDS = ("meetings", "webinars")
@dataclass(frozen=True)
class Finding:
    """One thing that does not fit. `have` and `want` are plain JSON values (what Zoom has, what
    the event needs); setup_text turns them into words in the reader's language."""

    code: str
    severity: str
    fixable: bool = False
    have: Any = None
    want: Any = None

    @property
    def is_problem(self) -> bool:
        return self.severity in PROBLEM_SEVERITIES

    def as_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "fixable": self.fixable, "have": self.have,
                "want": self.want}

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(code=str(data.get("code")), severity=str(data.get("severity")), fixable=bool(data.get("fixable")),
                   have=data.get("have"), want=data.get("want"))


@dataclass
class SetupReport:
    kind: str
    zoom_id: str
    findings: list[Finding]
    checked_at: datetime
    #: Zoom's meeting topic, to show which meeting was read.
    topic: str = ""

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.is_problem]

    @property
    def fixable(self) -> list[Finding]:
        return [f for f in self.findings if f.fixable]


def wanted_approval(event: Event) -> int:
    return APPROVE_MANUALLY if event.approval_mode == ApprovalMode.MANUAL else APPROVE_AUTOMATICALLY


def usable_interpreters(event: Event, interpreters: Iterable[EventInterpreter]) -> list[EventInterpreter]:
    """Interpreters whose two languages are both languages of the event (the others are reported)."""
    offered = set(event.languages or [])
    return [i for i in interpreters if {i.language_a, i.language_b} <= offered]


def zoom_interpreter(interpreter: EventInterpreter) -> dict:
    """An interpreter as "Update a meeting" takes it: {"email", "languages": "US,FR"}."""
    return {"email": interpreter.email,
            "languages": f"{INTERPRETER_COUNTRY[interpreter.language_a]},{INTERPRETER_COUNTRY[interpreter.language_b]}"}


def _zoom_languages(entry: dict) -> list[str]:
    """An interpreter entry's two languages as our codes (a Zoom value we do not offer stays as Zoom wrote it)."""
    raw = entry.get("interpreter_languages") or entry.get("languages") or ""
    parts = [part.strip() for part in str(raw).split(",") if part.strip()]
    return sorted(_FROM_ZOOM_LANGUAGE.get(part.casefold(), part) for part in parts)


def _pairs_from_zoom(entries: Any) -> list[dict]:
    pairs = []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("email"):
            pairs.append({"email": str(entry["email"]), "languages": _zoom_languages(entry)})
    return sorted(pairs, key=lambda p: (str(p["email"]).casefold(), p["languages"]))


def _pairs_from_ours(interpreters: Iterable[EventInterpreter]) -> list[dict]:
    return sorted(({"email": i.email, "languages": sorted(i.languages)} for i in interpreters),
                  key=lambda p: (p["email"].casefold(), p["languages"]))


def _same_interpreters(a: list[dict], b: list[dict]) -> bool:
    def key(pairs):
        return sorted((p["email"].casefold(), tuple(p["languages"])) for p in pairs)

    return key(a) == key(b)


def _parse_zoom_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _zoom_time(instant: datetime) -> str:
    # "Create a meeting": GMT start times are written yyyy-MM-ddTHH:mm:ssZ.
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def evaluate(event: Event, kind: str, meeting: dict, questions: dict | None,
             interpreters: list[EventInterpreter]) -> list[Finding]:
    """Every finding for the event against Zoom's meeting object and registration questions.

    `questions` is None when Zoom would not list them (registration off): they are judged
    again once registration is on.
    """
    settings = meeting.get("settings") if isinstance(meeting.get("settings"), dict) else {}
    meeting_type = meeting.get("type")
    findings: list[Finding] = []
    no_fixed_time = meeting_type in RECURRING_NO_FIXED_TIME

    # Registration and approval.
    want_approval = wanted_approval(event)
    approval = settings.get("approval_type")
    if no_fixed_time:
        findings.append(Finding("recurring_no_fixed_time", ERROR, have=meeting_type))
    if approval not in (APPROVE_AUTOMATICALLY, APPROVE_MANUALLY):
        findings.append(Finding("registration_off", ERROR, fixable=not no_fixed_time, have=approval,
                                want=want_approval))
    elif approval != want_approval:
        findings.append(Finding("approval_mismatch", ERROR, fixable=True, have=approval, want=want_approval))
    if meeting_type in RECURRING_FIXED_TIME:
        registration_type = settings.get("registration_type")
        if registration_type != REGISTER_ONCE_ATTEND_ANY:
            findings.append(Finding("recurring_registration_type", ERROR, fixable=True, have=registration_type,
                                    want=REGISTER_ONCE_ATTEND_ANY))
        findings.append(Finding("recurring", NOTICE, have=len(meeting.get("occurrences") or [])))

    # Zoom's own emails to registrants (absent means Zoom's default, which sends them).
    notifications = settings.get("registrants_email_notification", True) is not False
    if notifications:
        findings.append(Finding("zoom_notification_emails", WARNING, fixable=True, have=True, want=False))
        if settings.get("registrants_confirmation_email", True) is not False:
            findings.append(Finding("zoom_confirmation_email", WARNING, fixable=True, have=True, want=False))
    if kind == "webinars":
        reminder = settings.get("attendees_and_panelists_reminder_email_notification")
        if isinstance(reminder, dict) and reminder.get("enable"):
            findings.append(Finding("zoom_reminder_emails", WARNING, fixable=True, have=reminder.get("type"),
                                    want=False))

    # Date and length (a recurring series has several dates: not compared).
    if meeting_type not in RECURRING_FIXED_TIME and not no_fixed_time:
        start = _parse_zoom_time(meeting.get("start_time"))
        duration = meeting.get("duration")
        moved = start is not None and start.replace(second=0) != event.starts_at.replace(second=0, microsecond=0)
        if start is not None and (moved or (isinstance(duration, int) and duration != event.duration_minutes)):
            findings.append(Finding("schedule_differs", WARNING, fixable=True,
                                    have={"start": _zoom_time(start), "duration": duration},
                                    want={"start": _zoom_time(event.starts_at), "duration": event.duration_minutes}))

    # Registration questions.
    if questions is None:
        findings.append(Finding("questions_unread", NOTICE))
    else:
        findings.extend(_question_findings(event, questions))

    findings.extend(_interpretation_findings(event, settings, interpreters))
    return findings


def _question_findings(event: Event, questions: dict) -> list[Finding]:
    findings = []
    custom = {q.get("title"): q for q in questions.get("custom_questions") or [] if isinstance(q, dict)}
    for question in zq.custom_questions(event.languages or []):
        existing = custom.get(question.title)
        if existing is None:
            findings.append(Finding("question_missing", ERROR, fixable=True,
                                    want={"title": question.title, "answers": list(question.answers)}))
            continue
        missing = zq.missing_answers(question, existing)
        if missing:
            findings.append(Finding("question_answers", ERROR, fixable=True,
                                    have={"title": question.title, "answers": list(existing.get("answers") or [])},
                                    want={"title": question.title, "answers": missing}))
    standard = {q.get("field_name"): q for q in questions.get("questions") or [] if isinstance(q, dict)}
    for field_name, always_sent in zq.STANDARD_FIELDS.items():
        if field_name not in standard:
            findings.append(Finding("field_missing", WARNING, fixable=True, want=field_name))
        elif not always_sent and standard[field_name].get("required"):
            findings.append(Finding("field_required", WARNING, fixable=True, have=field_name))
    return findings


def _interpretation_findings(event: Event, settings: dict, interpreters: list[EventInterpreter]) -> list[Finding]:
    findings = []
    languages = list(event.languages or [])
    needed = len(languages) > 1
    interpretation = settings.get("language_interpretation")
    interpretation = interpretation if isinstance(interpretation, dict) else {}
    at_zoom = _pairs_from_zoom(interpretation.get("interpreters"))
    usable = usable_interpreters(event, interpreters)
    for interpreter in interpreters:
        if interpreter not in usable:
            findings.append(Finding("interpreter_outside_languages", WARNING,
                                    have={"email": interpreter.email, "languages": sorted(interpreter.languages)},
                                    want=languages))
    if needed and not interpretation.get("enable"):
        findings.append(Finding("interpretation_off", ERROR, fixable=True, have=False, want=languages))
    ours = _pairs_from_ours(usable)
    if ours and not _same_interpreters(ours, at_zoom):
        findings.append(Finding("interpreters_differ", WARNING, fixable=True, have=at_zoom, want=ours))
    if needed:
        # What Zoom will have: ours once pushed, else what is there now.
        expected = ours or at_zoom
        covered = {code for pair in expected for code in pair["languages"]}
        if not expected:
            findings.append(Finding("no_interpreters", WARNING, want=languages))
        elif uncovered := [code for code in languages if code not in covered]:
            findings.append(Finding("language_without_interpreter", WARNING, have=sorted(covered & set(languages)),
                                    want=uncovered))
    return findings


SETTINGS_CODES = frozenset({"registration_off", "approval_mismatch", "recurring_registration_type",
                            "zoom_notification_emails", "zoom_confirmation_email", "zoom_reminder_emails",
                            "interpretation_off", "interpreters_differ", "schedule_differs"})
QUESTION_CODES = frozenset({"question_missing", "question_answers", "field_missing", "field_required"})
def meeting_patch(event: Event, kind: str, meeting: dict, findings: list[Finding],
                  interpreters: list[EventInterpreter]) -> dict:
    """The one "Update a meeting/webinar" body that fixes every fixable meeting finding ({} if none)."""
    codes = {f.code for f in findings if f.fixable and f.code in SETTINGS_CODES}
    settings: dict[str, Any] = {}
    if codes & {"registration_off", "approval_mismatch"}:
        settings["approval_type"] = wanted_approval(event)
    if "recurring_registration_type" in codes:
        settings["registration_type"] = REGISTER_ONCE_ATTEND_ANY
    if codes & {"zoom_notification_emails", "zoom_confirmation_email"}:
        settings["registrants_email_notification"] = False
        settings["registrants_confirmation_email"] = False
    if "zoom_reminder_emails" in codes and kind == "webinars":
        settings["attendees_and_panelists_reminder_email_notification"] = {"enable": False}
    if codes & {"interpretation_off", "interpreters_differ"}:
        usable = usable_interpreters(event, interpreters)
        if usable:
            listed = [zoom_interpreter(i) for i in usable]
        else:
            # None entered here: keep Zoom's list. It is sent back as it is, because the documents do
            # not say whether a nested settings object is merged or replaced.
            current = (meeting.get("settings") or {}).get("language_interpretation") or {}
            listed = [dict(entry) for entry in current.get("interpreters") or [] if isinstance(entry, dict)]
        settings["language_interpretation"] = {"enable": True, "interpreters": listed}
    body: dict[str, Any] = {"settings": settings} if settings else {}
    if "schedule_differs" in codes:
        body.update(start_time=_zoom_time(event.starts_at), duration=event.duration_minutes, timezone=event.timezone)
    return body


def new_meeting_body(event: Event, kind: str, interpreters: list[EventInterpreter]) -> dict:
    """"Create a meeting" (type 2, scheduled) or "Create a webinar" (type 5) with the set-up right."""
    settings: dict[str, Any] = {
        "approval_type": wanted_approval(event),
        "registrants_email_notification": False,
        "registrants_confirmation_email": False,
    }
    if kind == "webinars":
        settings["attendees_and_panelists_reminder_email_notification"] = {"enable": False}
    usable = usable_interpreters(event, interpreters)
    if len(event.languages or []) > 1 or usable:
        settings["language_interpretation"] = {"enable": True, "interpreters": [zoom_interpreter(i) for i in usable]}
    return {
        "topic": event.title[:TOPIC_MAX],
        "type": 5 if kind == "webinars" else 2,
        "start_time": _zoom_time(event.starts_at),
        "duration": event.duration_minutes,
        "timezone": event.timezone,
        "agenda": (event.description or "")[:AGENDA_MAX],
        "settings": settings,
    }
