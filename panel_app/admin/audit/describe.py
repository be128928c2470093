"""Audit entries and sent mail as organisers read them: "Email: old → new", not raw JSON.

Used by the audit log page and by each registration's history. Action names, field names
and coded values (statuses, languages, countries, affiliations, roles) come out in the
reader's language; anything not known here is shown as it was recorded.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from panel_app.core import languages
from panel_app.core.templating import STATE_LABELS, STATUS_LABELS
from panel_app.models import AuditEntry, Notification
from panel_app.registration.countries import country_name
from panel_app.registration.forms import AFFILIATION_LABELS, ROLE_LABELS

ACTION_LABELS = {
    "login": _l("Signed in"),
    "login.failed": _l("Sign-in failed"),
    "login.locked": _l("Sign-in refused: account locked"),
    "logout": _l("Signed out"),
    "event.create": _l("Event created"),
    "event.edit": _l("Event changed"),
    "event.publish": _l("Event published"),
    "event.cancel": _l("Event cancelled"),
    "event.duplicate": _l("Event duplicated"),
    "registration.status": _l("Status changed"),
    "registration.edit": _l("Details changed"),
    "registration.add": _l("Registered by an organiser"),
    "registration.bulk": _l("Action on several registrations"),
    "registration.resend_invite": _l("Invite sent again"),
    "registration.mark_attended": _l("Marked as attended"),
    "registration.mark_absent": _l("Marked as absent"),
    "attendance.match": _l("Walk-in matched to a registration"),
    "export.csv": _l("Registrations exported (CSV)"),
    "export.xlsx": _l("Registrations exported (Excel)"),
    "export.walk_ins": _l("Walk-ins exported (CSV)"),
    "export.coverage.csv": _l("Coverage exported (CSV)"),
    "export.coverage.xlsx": _l("Coverage exported (Excel)"),
    "export.follow_up.csv": _l("Follow-up answers exported (CSV)"),
    "export.follow_up.xlsx": _l("Follow-up answers exported (Excel)"),
    "coverage.links": _l("Registration links made for parliaments"),
    "message.create": _l("Message sent to a group"),
    "letter.send": _l("Letter sent to the directory's contacts"),
    "user.create": _l("Account created"),
    "user.edit": _l("Account changed"),
    "user.reset": _l("Password reset"),
    "zoom.meeting.create": _l("Zoom meeting created"),
    "zoom.setup.fix": _l("Zoom settings fixed"),
    "zoom.interpreter.add": _l("Interpreter added"),
    "zoom.interpreter.update": _l("Interpreter changed"),
    "zoom.interpreter.remove": _l("Interpreter removed"),
    "zoom.interpreters.push": _l("Interpreters sent to Zoom"),
    "directory.import": _l("Directory imported"),
    "directory.create": _l("Directory entry added"),
    "directory.edit": _l("Directory entry changed"),
    "directory.contact.add": _l("Contact added to the directory"),
    "directory.contact.edit": _l("Directory contact changed"),
}

FIELD_LABELS = {
    # registrations
    "salutation": _l("Title"), "first_name": _l("First name"), "last_name": _l("Last name"),
    "email": _l("Email"), "country": _l("Country"), "organisation": _l("Parliament or organisation"),
    "affiliation_type": _l("Attending on behalf of"), "role": _l("Role"), "committees": _l("Committees"),
    "language": _l("Interpretation language"), "accessibility_needs": _l("Accessibility needs"),
    "status": _l("Status"), "notify": _l("Email sent"), "over_capacity": _l("Over capacity"),
    # events
    "slug": _l("Address (slug)"), "title": _l("Title"), "description": _l("Description"),
    "audience": _l("Who may attend"), "starts_at": _l("Starts"), "ends_at": _l("Ends"), "timezone": _l("Time zone"),
    "languages": _l("Interpretation languages"), "capacity": _l("Capacity"), "approval_mode": _l("Approval"),
    "registration_opens_at": _l("Registration opens"), "registration_closes_at": _l("Registration closes"),
    "zoom_meeting_id": _l("Zoom meeting ID"), "zoom_webinar_id": _l("Zoom webinar ID"),
    "join_url": _l("General join link"), "organiser_name": _l("Organiser name"),
    "organiser_email": _l("Organiser mailbox"), "translations": _l("Texts in other languages"),
    # other entries
    "filters": _l("Filters"), "reason": _l("Reason"), "subject": _l("Subject"), "recipients": _l("Recipients"),
    "action": _l("Action"), "selected": _l("Selected"), "changed": _l("Changed"), "promoted": _l("Moved up"),
    "walk_in": _l("Walk-in"), "sessions": _l("Stays in the meeting"), "from": _l("From"),
    "replaced_by": _l("Continued as registration"), "message_id": _l("Message"), "outcomes": _l("Outcome"),
    "unchanged": _l("Left as they were"),
    "made": _l("Links made"),
    # list filters
    "q": _l("Search text"), "zoom_state": _l("Zoom sync"), "invite_state": _l("Invite"), "attended": _l("Attended"),
}
ATTENDED_FILTER = {"yes": _l("yes"), "no": _l("no"), "unknown": _l("not known yet")}

NOTIFICATION_LABELS = {
    "confirmed": _l("Registration confirmed, with the invite"),
    "pending": _l("Awaiting approval"),
    "waitlisted": _l("On the waiting list"),
    "approved": _l("Approved, with the invite"),
    "promoted": _l("Moved from the waiting list, with the invite"),
    "declined": _l("Registration declined"),
    "cancelled": _l("Registration cancelled (withdraws the invite)"),
    "event_updated": _l("Updated invite (the event changed)"),
    "event_cancelled": _l("Event cancelled"),
    "invite": _l("Invite sent again"),
    "details": _l("Registration details sent again"),
    "reminder": _l("Reminder"),
    "group_message": _l("Message from the organisers"),
}
NOTIFICATION_STATES = {
    "pending": _l("waiting to be sent"),
    "sending": _l("being sent"),
    "sent": _l("sent"),
    "failed": _l("failed"),
    "skipped": _l("not sent: no longer relevant"),
}


def _locale() -> str:
    return str(get_locale() or "en")


def value_text(field: str, value) -> str:
    """A recorded value as the reader understands it."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field in ("status", "from", "to") and value in STATUS_LABELS:
        return str(STATUS_LABELS[value])
    if field == "language" and isinstance(value, str):
        return languages.name(value)
    if field == "languages" and isinstance(value, list):
        return ", ".join(languages.name(str(code)) for code in value)
    if field == "country" and isinstance(value, str) and len(value) == 2:
        return f"{country_name(value, _locale())} ({value})"
    if field == "affiliation_type":
        return str(AFFILIATION_LABELS.get(value, value))
    if field == "role":
        return str(ROLE_LABELS.get(value, value))
    if field in ("zoom_state", "invite_state"):
        return str(STATE_LABELS.get(value, value))
    if field == "attended" and value in ATTENDED_FILTER:
        return str(ATTENDED_FILTER[value])
    if isinstance(value, dict):
        return "; ".join(f"{FIELD_LABELS.get(k, k)} = {value_text(k, v)}" for k, v in value.items()) or "–"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    text = str(value)
    if field.endswith("_at") and len(text) >= 16 and text[10] == "T":
        return text[:16].replace("T", " ") + " UTC" if text.endswith(("+00:00", "Z")) else text
    return text[:300] + ("…" if len(text) > 300 else "")


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def detail_lines(entry: AuditEntry) -> list[str]:
    """The entry's details, one readable line each ("Email: old → new")."""
    details = entry.details or {}
    if details.get("erased") is True and len(details) == 1:
        return [_("Details erased with the person's data.")]
    if entry.action == "registration.status":
        return [f"{value_text('status', details.get('from'))} → {value_text('status', details.get('to'))}"]
    lines = []
    for key, value in details.items():
        label = FIELD_LABELS.get(key, key)
        if isinstance(value, dict) and set(value) == {"from", "to"}:
            lines.append(f"{label}: {value_text(key, value['from'])} → {value_text(key, value['to'])}")
        else:
            lines.append(f"{label}: {value_text(key, value)}")
    return lines


def notification_label(notification: Notification) -> str:
    label = str(NOTIFICATION_LABELS.get(notification.kind, notification.kind))
    if notification.group_message is not None:
        return f"{label}: {notification.group_message.subject}"
    return label


def notification_state(notification: Notification) -> str:
    return str(NOTIFICATION_STATES.get(notification.state, STATE_LABELS.get(notification.state, notification.state)))


def when_text(instant: datetime | None) -> str:
    return instant.strftime("%Y-%m-%d %H:%M") if instant else ""


def filters_text(filters: dict | None) -> list[str]:
    """A list's filters as "Status: Confirmed" lines (an empty list: everyone)."""
    return [f"{FIELD_LABELS.get(name, name)}: {value_text(name, value)}" for name, value in (filters or {}).items()]
