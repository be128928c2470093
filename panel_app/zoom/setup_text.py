"""Words for the Zoom set-up: findings, values and errors, in the reader's language.

Shared by the console page and the `flask zoom setup` command (which reads in the default
language). The service (setup.py) keeps plain values; only this module phrases them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from panel_app.core.templating import LANGUAGE_NAMES
from panel_app.zoom.errors import (
    ZoomAuthError,
    ZoomError,
    ZoomNotConfigured,
    ZoomNotFound,
    ZoomRateLimited,
    ZoomRequestRejected,
    ZoomUnavailable,
)

FINDING_TITLES = {
    "registration_off": _l("Registration is not required at Zoom, so registrants cannot be added to the meeting."),
    "approval_mismatch": _l("Zoom approves registrants differently from this event."),
    "recurring_no_fixed_time": _l("This is a recurring meeting with no fixed time: Zoom does not allow registration "
                                  "for it. Link a scheduled meeting, or one recurring at a fixed time."),
    "recurring_registration_type": _l("This recurring meeting makes people register for each occurrence; this app "
                                      "registers people once for the whole series."),
    "recurring": _l("This meeting recurs: registrants can join any occurrence, and attendance counts only the "
                    "session within the event's time."),
    "zoom_notification_emails": _l("Zoom emails registrants about approval, cancellation and refusal, on top of "
                                   "this app's emails."),
    "zoom_confirmation_email": _l("Zoom sends its own confirmation email: registrants would get two, and only "
                                  "ours carries the calendar invitation."),
    "zoom_reminder_emails": _l("Zoom sends its own reminder emails on top of this app's reminders."),
    "schedule_differs": _l("The date or length at Zoom is not the event's."),
    "questions_unread": _l("The registration questions will be checked once registration is on."),
    "question_missing": _l("A registration question this app answers is missing at Zoom: the answer would be lost."),
    "question_answers": _l("A registration question at Zoom lacks answers this app sends."),
    "field_missing": _l("A registration field this app fills is not on Zoom's form: the value would be lost."),
    "field_required": _l("Zoom requires a field that registrants may leave empty here."),
    "interpretation_off": _l("Language interpretation is off at Zoom."),
    "interpreters_differ": _l("The interpreters at Zoom are not the ones entered here."),
    "interpreter_outside_languages": _l("An interpreter works in a language this event does not offer: edit or "
                                        "remove them."),
    "no_interpreters": _l("No interpreters are entered for this event."),
    "language_without_interpreter": _l("Some languages of the event have no interpreter."),
}

SEVERITY_LABELS = {"error": _l("Problem"), "warning": _l("Warning"), "notice": _l("Note")}

APPROVAL_LABELS = {
    0: _l("register, approved automatically"),
    1: _l("register, approved by an organiser"),
    2: _l("no registration"),
}
REGISTRATION_TYPE_LABELS = {
    1: _l("register once, attend any occurrence"),
    2: _l("register for each occurrence"),
    3: _l("register once, choose occurrences"),
}
FIELD_LABELS = {"last_name": _l("Last name"), "country": _l("Country"), "org": _l("Organisation")}

INPUT_ERRORS = {
    "not_linked": _l("This event is not linked to a Zoom meeting or webinar."),
    "no_interpreters": _l("Enter the interpreters first: there is nobody to send to Zoom."),
    "already_linked": _l("This event is already linked to a Zoom meeting or webinar."),
    "bad_kind": _l("Choose a meeting or a webinar."),
}


def finding_title(code: str) -> str:
    return str(FINDING_TITLES.get(code, code))


def _languages(codes) -> str:
    return ", ".join(str(LANGUAGE_NAMES.get(code, code)) for code in codes or [])


def _interpreters(pairs) -> str:
    if not pairs:
        return _("none")
    return "; ".join(f"{p.get('email')} ({' ↔ '.join(str(LANGUAGE_NAMES.get(c, c)) for c in p.get('languages') or [])})"
                     for p in pairs if isinstance(p, dict))


def _schedule(value, zone) -> str:
    if not isinstance(value, dict):
        return ""
    try:
        start = datetime.fromisoformat(str(value.get("start")).replace("Z", "+00:00"))
    except ValueError:
        return str(value.get("start"))
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    local = start.astimezone(zone) if zone else start
    return _("%(start)s, %(minutes)s min", start=local.strftime("%Y-%m-%d %H:%M %Z"), minutes=value.get("duration"))


def _question(value: dict) -> str:
    answers = ", ".join(map(str, value.get("answers") or [])) or _("no answers")
    return f"{value.get('title')}: {answers}"


def describe(finding, zone=None) -> tuple[str, str]:
    """(what Zoom has, what the event needs) as short text; "" where there is nothing to say."""
    code, have, want = finding.code, finding.have, finding.want
    if code in ("registration_off", "approval_mismatch"):
        return str(APPROVAL_LABELS.get(have, APPROVAL_LABELS[2])), str(APPROVAL_LABELS.get(want, want))
    if code == "recurring_registration_type":
        return str(REGISTRATION_TYPE_LABELS.get(have, have or "")), str(REGISTRATION_TYPE_LABELS[1])
    if code == "recurring":
        return _("%(n)s occurrence(s)", n=have or 0), ""
    if code in ("zoom_notification_emails", "zoom_confirmation_email", "zoom_reminder_emails"):
        return _("on"), _("off")
    if code == "schedule_differs":
        return _schedule(have, zone), _schedule(want, zone)
    if code in ("question_missing", "question_answers"):
        return _question(have) if isinstance(have, dict) else "", _question(want) if isinstance(want, dict) else ""
    if code == "field_missing":
        return _("not asked"), str(FIELD_LABELS.get(want, want))
    if code == "field_required":
        return _("%(field)s required", field=FIELD_LABELS.get(have, have)), _("%(field)s optional",
                                                                                 field=FIELD_LABELS.get(have, have))
    if code == "interpretation_off":
        return _("off"), _("on, for %(languages)s", languages=_languages(want))
    if code == "interpreters_differ":
        return _interpreters(have), _interpreters(want)
    if code == "interpreter_outside_languages":
        return _interpreters([have]), _languages(want)
    if code == "no_interpreters":
        return _("none"), _languages(want)
    if code == "language_without_interpreter":
        return _languages(have) or _("none"), _languages(want)
    return "", ""


def error_message(exc: Exception, *, zoom_id: str | None = None) -> str:
    """A Zoom failure in words an organiser can act on (never a stack trace)."""
    if isinstance(exc, ZoomNotConfigured):
        return _("Zoom is not configured on this server: an administrator must set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID "
                 "and ZOOM_CLIENT_SECRET.")
    if isinstance(exc, ZoomAuthError):
        return _("Zoom refused this server's credentials. An administrator should check the Zoom app's account ID, "
                 "client ID, secret and scopes.")
    if isinstance(exc, ZoomNotFound):
        return _("Zoom does not know the meeting or webinar %(id)s: check the ID on the event, and that it belongs "
                 "to the Zoom account this server uses.", id=zoom_id or "")
    if isinstance(exc, ZoomRateLimited):
        if exc.daily and exc.retry_at:
            return _("Zoom's daily limit for these requests is reached; try again after %(time)s UTC.",
                     time=exc.retry_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"))
        return _("Zoom is receiving too many requests right now; try again in a minute.")
    if isinstance(exc, ZoomUnavailable):
        return _("Zoom did not answer in time, or answered with an error page. Try again in a few minutes.")
    if isinstance(exc, ZoomRequestRejected):
        return _("Zoom refused the request: %(reason)s", reason=str(exc.message)[:300])
    if isinstance(exc, ZoomError):
        return _("Zoom could not be reached: %(reason)s", reason=str(exc.message)[:300])
    return _("Something went wrong while talking to Zoom.")


def input_error_message(code: str) -> str:
    return str(INPUT_ERRORS.get(code, code))
