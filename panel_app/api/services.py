"""What the API does that is more than one call to an existing service: thin compositions of
the registration, event and attendance services (the same rules as the console and the public
form), each write recorded in the audit log under the token's name.

Functions take a session and plain values, flush, and raise `problems.Problem` when the
request cannot be honoured; the view commits.

Two of them stand in for console services being written on the console branch and should
call those once they land: `create_on_behalf` ("add by hand": no consent or rate-limit rule of
the public form, but today still the registration window) and `change_status` (today a
waiting person is confirmed only when they are first in line and a seat is free; the
console's "move from waiting list" and "confirm over capacity" will widen that).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from panel_app.api.problems import FieldError, Problem, conflict, invalid
from panel_app.attendance import services as attendance_services
from panel_app.audit.services import actor_name, record
from panel_app.models import ApiToken, Event, Registration, RegistrationStatus
from panel_app.registration import services as registration_services
from panel_app.registration.services import InvitationRequired, RegistrationClosed, RegistrationInput, StatusChange

#: What the registration records as the privacy notice its person saw: none of ours, an
#: integration registered them (it answers for their consent, as Zoom does for its own form).
ON_BEHALF_NOTICE = "api"

_WINDOW_TEXT = {
    "not_yet_open": lambda: _("Registration for this event has not opened yet."),
    "closed": lambda: _("Registration for this event is closed."),
    "event_over": lambda: _("This event is over."),
    "cancelled": lambda: _("This event was cancelled."),
    "draft": lambda: _("This event is not published yet."),
}


def _language_offered(event: Event, language: str) -> None:
    if language not in event.languages:
        raise invalid([FieldError("language", "not_offered", _("This event offers %(codes)s.",
                                                               codes=", ".join(event.languages)))])


def active_registration_for(session: Session, event: Event, email_normalized: str) -> Registration | None:
    return session.scalar(sa.select(Registration).where(
        Registration.event_id == event.id, Registration.email_normalized == email_normalized,
        Registration.status != RegistrationStatus.CANCELLED))


def create_on_behalf(session: Session, event: Event, values: dict, *, token: ApiToken, now: datetime,
                     secret_key: str) -> Registration:
    """Register someone on their behalf through `registration.services.register` (seats,
    waiting list, approval, invites and Zoom follow as for the public form).

    An address already registered for the event is a 409 naming that registration, and no
    email goes out (the public form would send the details again).
    """
    email, email_normalized = values["email"]
    _language_offered(event, values["language"])
    existing = active_registration_for(session, event, email_normalized)
    if existing is not None:
        raise conflict(_("This email address is already registered for this event."), registration_id=existing.id)
    data = RegistrationInput(
        first_name=values["first_name"], last_name=values["last_name"], email=email,
        email_normalized=email_normalized, country=values["country"], affiliation_type=values["affiliation_type"],
        role=values["role"], language=values["language"], salutation=values.get("salutation") or "",
        organisation=values.get("organisation") or "", committees=values.get("committees") or "",
        accessibility_needs=values.get("accessibility_needs") or "", email_language=values.get("email_language"))
    try:
        outcome = registration_services.register(session, event, data, now=now,
                                                 privacy_notice_version=ON_BEHALF_NOTICE, secret_key=secret_key)
    except RegistrationClosed as exc:
        raise Problem(409, "registration-closed", _WINDOW_TEXT[exc.state.value](),
                      extra={"reason": exc.state.value}) from None
    except InvitationRequired:
        raise Problem(409, "invitation-required",
                      _("This event registers only through a parliament's invitation link: an organiser can add "
                        "the person in the console.")) from None
    if not outcome.created:  # registered by someone else a moment ago
        raise conflict(_("This email address is already registered for this event."),
                       registration_id=outcome.registration.id)
    record(session, "registration.create", actor=token, event_id=event.id,
           registration_id=outcome.registration.id, details={"status": str(outcome.registration.status)}, now=now)
    return outcome.registration


def _refused(change: StatusChange, wanted: str) -> Problem:
    return conflict(_("A %(current)s registration cannot become %(wanted)s.", current=change.status.value,
                      wanted=wanted), current_status=change.status.value)


def change_status(session: Session, registration: Registration, wanted: str, *, token: ApiToken,
                  now: datetime) -> StatusChange:
    """Move a registration to `wanted` ("confirmed", "declined" or "cancelled") through the same
    seat services as the console; the status-change signal writes the audit entry. Asking for the
    status it already has changes nothing. Raises a 409 problem for a move the rules do not allow.

    "confirmed" approves a pending person (who may land on the waiting list when the event is
    full), gives a waiting person a free seat (the console's "confirm"), or undoes a decline
    (the console's "reinstate": confirmed when a seat is free, else waitlisted in turn).
    """
    actor = actor_name(token)
    current = RegistrationStatus(registration.status)
    if current == wanted:
        return StatusChange(registration=registration, status=current, changed=False, reason=f"status_{current}")
    if wanted == RegistrationStatus.CANCELLED:
        change = registration_services.cancel(session, registration, now=now, actor=actor)
    elif wanted == RegistrationStatus.DECLINED:
        change = registration_services.decline(session, registration, now=now, actor=actor)
    elif current == RegistrationStatus.PENDING:
        change = registration_services.approve(session, registration, now=now, actor=actor)
    elif current == RegistrationStatus.WAITLISTED:
        change = registration_services.confirm(session, registration, now=now, actor=actor)
        if change.reason == "no_free_seat":
            raise conflict(_("The event is full: this person stays on the waiting list."), current_status="waitlisted")
    elif current == RegistrationStatus.DECLINED:
        change = registration_services.reinstate(session, registration, now=now, actor=actor)
    else:
        change = StatusChange(registration=registration, status=current, changed=False, reason=f"status_{current}")
    if not change.changed and change.status != wanted:
        raise _refused(change, wanted)
    return change


def change_languages(session: Session, registration: Registration, values: dict, *, token: ApiToken,
                     now: datetime) -> bool:
    """A new interpretation channel or email language (the registrant's own service: confirmed
    people get their invite again)."""
    language = values.get("language", registration.language)
    email_language = values.get("email_language", registration.email_language)
    _language_offered(registration.event, language)
    before = {"language": registration.language, "email_language": registration.email_language}
    try:
        changed = registration_services.change_languages(session, registration, language=language,
                                                         email_language=email_language, now=now)
    except ValueError:
        raise conflict(_("A cancelled or declined registration cannot be changed."),
                       current_status=str(registration.status)) from None
    if changed:
        record(session, "registration.edit", actor=token, event_id=registration.event_id,
               registration_id=registration.id,
               details={name: {"from": before[name], "to": getattr(registration, name)} for name in before
                        if before[name] != getattr(registration, name)}, now=now)
    return changed


def mark_attendance(session: Session, registration: Registration, attended: bool, *, token: ApiToken,
                    now: datetime) -> bool:
    """An organiser's record of attendance (kept over later Zoom imports), as in the console."""
    if registration.attended is attended and registration.attendance_source == attendance_services.SOURCE_MANUAL:
        return False
    attendance_services.mark_attended(session, registration, attended, now=now, actor=actor_name(token))
    record(session, "registration.mark_attended" if attended else "registration.mark_absent", actor=token,
           event_id=registration.event_id, registration_id=registration.id, now=now)
    return True
