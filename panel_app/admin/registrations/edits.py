"""Console rules for an organiser's own changes to registrations: adding someone by hand and
correcting a registrant's details.

Both go through `panel_app.registration.services`, the rules the public form and the
registrant's private page use, so mail and Zoom follow through the same signals; this module
adds the console's checks and records what organisers do in the audit log. Functions flush;
the view commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.audit.services import record
from panel_app.models import Event, Registration, RegistrationStatus, User
from panel_app.registration import services as registration_services
from panel_app.registration import validation
from panel_app.registration.countries import country_codes


class EditError(ValueError):
    """An edit that cannot be saved; `field` names the input and `code` the reason."""

    def __init__(self, field: str, code: str):
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


def add_registration(
    session: Session, event: Event, values: dict, *, notify: bool, over_capacity: bool, now: datetime, user: User,
    secret_key: str, ip: str | None = None,
) -> Registration:
    """An organiser registers someone (values cleaned by the form); see
    `registration.services.add_by_organiser` for the rules. Raises AlreadyRegistered,
    EditError for a value the event does not accept, ValueError when the event cannot take it."""
    email, email_normalized = validation.normalise_email(values["email"])
    if values["language"] not in event.languages:
        raise EditError("language", "not_offered")
    if values["country"] not in country_codes():
        raise EditError("country", "unknown")
    data = registration_services.RegistrationInput(
        first_name=values["first_name"], last_name=values["last_name"], email=email,
        email_normalized=email_normalized, country=values["country"], affiliation_type=values["affiliation_type"],
        role=values["role"], language=values["language"], salutation=values.get("salutation") or "",
        organisation=values.get("organisation") or "", committees=values.get("committees") or "",
        accessibility_needs=values.get("accessibility_needs") or "",
    )
    registration = registration_services.add_by_organiser(
        session, event, data, now=now, secret_key=secret_key, actor=user.email, notify=notify,
        over_capacity=over_capacity,
    )
    record(session, "registration.add", actor=user, event_id=event.id, registration_id=registration.id,
           details={"status": str(registration.status), "notify": notify, "over_capacity": over_capacity},
           ip=ip, now=now)
    session.flush()
    return registration


@dataclass(frozen=True)
class EditOutcome:
    #: The registration to show afterwards: a new one when a confirmed, pending or waiting
    #: person's address changed (see `registration.services.change_email`).
    registration: Registration
    #: {field: (old, new)} for what changed.
    changes: dict


def edit_registration(
    session: Session, registration: Registration, values: dict, *, now: datetime, user: User, secret_key: str,
    ip: str | None = None,
) -> EditOutcome:
    """Change a registrant's details (already cleaned by the form).

    Everything goes through the registration services, so an organiser's correction does what
    the registrant's own would: details are announced, a new channel sends a confirmed person
    their invite again, and a new address replaces the registration (the old address gets the
    invite withdrawn, the new one gets the invite and join link, Zoom's registrant follows),
    keeping the seat and the place on the waiting list. People who left the event are only
    corrected on the record: nobody is written to.
    Raises EditError when the email belongs to another registration of the same event or
    the language is not offered.
    """
    event = registration.event
    new = dict(values)
    if "language" in new and new["language"] not in event.languages:
        raise EditError("language", "not_offered")
    if "country" in new and new["country"] not in country_codes():
        raise EditError("country", "unknown")
    email, email_normalized = (validation.normalise_email(new.pop("email")) if "email" in new
                               else (registration.email, registration.email_normalized))
    if email_normalized != registration.email_normalized and session.scalar(
            sa.select(Registration.id).where(Registration.event_id == registration.event_id,
                                             Registration.email_normalized == email_normalized,
                                             Registration.status != RegistrationStatus.CANCELLED,
                                             Registration.id != registration.id)) is not None:
        raise EditError("email", "taken")
    active = registration.is_active
    moves = email_normalized != registration.email_normalized
    changes = {name: (getattr(registration, name), new[name]) for name in registration_services.DETAIL_FIELDS
               if name in new and new[name] != getattr(registration, name)}
    if active:
        registration_services.update_details(session, registration, {k: v for k, (_, v) in changes.items()},
                                             now=now)
    else:
        for name, (_, value) in changes.items():
            setattr(registration, name, value)
    language = new.get("language", registration.language)
    if language != registration.language:
        changes["language"] = (registration.language, language)
        if active and not moves:
            registration_services.change_languages(session, registration, language=language,
                                                   email_language=registration.email_language, now=now)
        else:  # the replacement's first message carries the new channel; or nobody to write to
            registration.language = language
    target = registration
    if email != registration.email:
        changes["email"] = (registration.email, email)
        if active and moves:
            session.flush()  # change_email re-reads the row under the seat lock
            target = registration_services.change_email(
                session, registration, email=email, email_normalized=email_normalized, now=now,
                secret_key=secret_key, actor=user.email).registration
        else:  # the same address in other capitals, or a record nobody is written to any more
            registration.email, registration.email_normalized = email, email_normalized
    if changes:
        details = {name: {"from": old, "to": value} for name, (old, value) in changes.items()}
        record(session, "registration.edit", actor=user, event_id=registration.event_id,
               registration_id=target.id, details=details, ip=ip, now=now)
        if target is not registration:
            record(session, "registration.edit", actor=user, event_id=registration.event_id,
                   registration_id=registration.id, details={**details, "replaced_by": target.id}, ip=ip, now=now)
    session.flush()
    return EditOutcome(registration=target, changes=changes)
