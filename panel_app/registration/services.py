"""Registration rules: who may register when, seats and waiting list, cancellation.

Functions take a session and plain values, flush, and leave the commit to the caller
(one commit per request or job). Side effects are announced through `signals`; approve,
decline and cancel also answer a `StatusChange` saying what happened.

Longer than our ~350-line guide on purpose: every seat decision (register, approve,
decline, cancel, promote) shares the seat lock and the capacity rule, and reads best in
one place. The private-token helpers are the part to move out if it grows further.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.directory.names import find_by_name
from panel_app.models import (
    ApprovalMode,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from panel_app.registration import signals


class WindowState(enum.StrEnum):
    """Whether an event accepts registrations right now, and if not why."""

    OPEN = "open"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"
    EVENT_OVER = "event_over"
    CANCELLED = "cancelled"
    DRAFT = "draft"


class RegistrationClosed(Exception):
    """Raised when someone tries to register outside the window; carries the reason."""

    def __init__(self, state: WindowState):
        super().__init__(state.value)
        self.state = state


@dataclass(frozen=True)
class RegistrationInput:
    """Cleaned values from the form (see `forms.RegistrationForm`)."""

    first_name: str
    last_name: str
    email: str
    email_normalized: str
    country: str
    affiliation_type: str
    role: str
    language: str
    salutation: str = ""
    organisation: str = ""
    committees: str = ""
    accessibility_needs: str = ""
    email_language: str | None = None
    #: The directory entry the organisation matched or the invitation link named (None: not in it).
    organisation_id: int | None = None
    #: The parliament's invitation link the person came through (checked for this event by the caller).
    invitation_id: int | None = None


class InvitationRequired(Exception):
    """The event is invitation-only and the registration came without a valid invitation link."""


#: Why a registration waits for an organiser although the event approves automatically.
REVIEW_REASONS = ("affiliation", "role", "organisation_unknown")


def linked_to_directory(session: Session, data: RegistrationInput) -> RegistrationInput:
    """`data` with `organisation_id` set to the directory entry whose name (in any of its
    languages) the person gave, when no invitation link named one already."""
    if data.organisation_id is not None or not data.organisation:
        return data
    organisation = find_by_name(session, data.organisation)
    return replace(data, organisation_id=organisation.id) if organisation is not None else data


def review_reasons(event: Event, data: RegistrationInput) -> list[str]:
    """What puts a registration outside the event's stated audience (empty: nothing).

    An event may limit who registers by affiliation type and role (empty lists: anyone), and
    to organisations in the directory; outside that the registration is not refused, it goes
    to an organiser, who sees these codes as the reasons.
    """
    reasons = []
    if event.eligible_affiliations and data.affiliation_type not in event.eligible_affiliations:
        reasons.append("affiliation")
    if event.eligible_roles and data.role not in event.eligible_roles:
        reasons.append("role")
    if event.directory_only and data.organisation_id is None:
        reasons.append("organisation_unknown")
    return reasons


@dataclass(frozen=True)
class RegistrationOutcome:
    registration: Registration
    #: The private token, only when a registration was created (shown once, then emailed).
    token: str | None
    created: bool


@dataclass(frozen=True)
class StatusChange:
    """What `approve`, `decline` or `cancel` did to one registration.

    Callers tell a real change from a repeat (two organisers clicking at once, a retried
    request) by `changed`, without listening to signals.
    """

    registration: Registration
    #: The status after the call, whether or not this call changed it.
    status: RegistrationStatus
    changed: bool
    #: People moved up from the waiting list into the seat this change freed, in order.
    promoted: tuple[Registration, ...] = ()
    #: Why nothing changed ("status_<current status>": a repeat, or a status that does not
    #: allow it); None when something changed.
    reason: str | None = None


def _outcome(registration: Registration, changed: bool, promoted=()) -> StatusChange:
    status = RegistrationStatus(registration.status)
    return StatusChange(registration=registration, status=status, changed=changed, promoted=tuple(promoted),
                        reason=None if changed else f"status_{status}")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def derive_token(secret_key: str, nonce: str) -> str:
    """The private token for a registration's nonce.

    Derived (HMAC with the app secret) rather than stored, so that mail jobs running later
    can put the same private link in every email while the database holds only its hash.
    Changing SECRET_KEY therefore changes future links; existing links keep working.
    """
    digest = hmac.new(secret_key.encode("utf-8"), b"registration-token:" + nonce.encode("ascii"), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


def new_token(secret_key: str) -> tuple[str, str, str]:
    """A fresh (token, token_hash, nonce) triple."""
    nonce = secrets.token_hex(16)
    token = derive_token(secret_key, nonce)
    return token, hash_token(token), nonce


def private_token(registration: Registration, secret_key: str) -> str | None:
    """The registration's private token, or None if it no longer derives from `secret_key`."""
    token = derive_token(secret_key, registration.token_nonce)
    return token if hmac.compare_digest(hash_token(token), registration.token_hash) else None


def find_by_token(session: Session, token: str) -> Registration | None:
    """The registration whose private link carries `token`, or None (also for junk input)."""
    if not token or len(token) > 128:
        return None
    return session.scalar(sa.select(Registration).where(Registration.token_hash == hash_token(token)))


def registration_window(event: Event, now: datetime) -> WindowState:
    if event.status == EventStatus.CANCELLED:
        return WindowState.CANCELLED
    if event.status != EventStatus.PUBLISHED:
        return WindowState.DRAFT
    if now >= event.ends_at:
        return WindowState.EVENT_OVER
    if event.registration_opens_at and now < event.registration_opens_at:
        return WindowState.NOT_YET_OPEN
    if event.registration_closes_at and now >= event.registration_closes_at:
        return WindowState.CLOSED
    if now >= event.starts_at:
        # Registering once the panel has begun would send an invite for the past.
        return WindowState.CLOSED
    return WindowState.OPEN


def seats_taken(session: Session, event_id: int) -> int:
    """Confirmed registrations: the ones that hold a seat."""
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(Registration.event_id == event_id, Registration.status == RegistrationStatus.CONFIRMED)
    )


def free_seats(capacity: int | None, taken: int) -> int | None:
    """Seats still free for an event with `capacity` when `taken` are held; None: no limit.

    The one rule for "the event is full" (no seat free), used by registration, approval,
    the waiting list and the public pages alike.
    """
    return None if capacity is None else max(0, capacity - taken)


def capacity_reached(capacity: int | None, taken: int) -> bool:
    """True when no seat is free (see `free_seats`)."""
    return free_seats(capacity, taken) == 0


def is_full(session: Session, event: Event) -> bool:
    return capacity_reached(event.capacity, seats_taken(session, event.id))


def lock_seats(session: Session, event_id: int) -> None:
    """Serialise seat decisions for one event across threads and processes.

    An UPDATE is the first statement, so SQLite takes its write lock before we count
    (no stale read snapshot), and PostgreSQL holds the event row until commit.
    """
    session.execute(
        sa.update(Event)
        .where(Event.id == event_id)
        .values(seats_version=Event.seats_version + 1)
        .execution_options(synchronize_session=False)
    )


def _set_status(registration: Registration, status: RegistrationStatus, now: datetime, actor: str | None) -> bool:
    """Move to `status` and announce it; False (and no signal) when it is already there."""
    previous = registration.status
    if previous == status:
        return False
    registration.status = status
    registration.status_changed_at = now
    if status == RegistrationStatus.CANCELLED:
        registration.cancelled_at = now
    signals.registration_status_changed.send(registration, previous=previous, actor=actor)
    return True


def _initial_status(session: Session, event: Event, reasons: list[str]) -> RegistrationStatus:
    if event.approval_mode == ApprovalMode.MANUAL or reasons:
        return RegistrationStatus.PENDING
    if is_full(session, event):
        return RegistrationStatus.WAITLISTED
    return RegistrationStatus.CONFIRMED


def register(
    session: Session,
    event: Event,
    data: RegistrationInput,
    *,
    now: datetime,
    privacy_notice_version: str,
    secret_key: str,
    resend_interval: timedelta = timedelta(hours=1),
) -> RegistrationOutcome:
    """Register a person, or recognise that they already are.

    Raises RegistrationClosed outside the window, InvitationRequired for an invitation-only
    event without `data.invitation_id`. A registration outside the event's audience
    (`review_reasons`) waits for an organiser (pending) even when the event approves
    automatically. A second submission for the same email
    creates nothing (`created=False`) and has the details sent again to that address, at
    most once per `resend_interval` whatever the number of submissions (the seat lock makes
    concurrent repeats wait for each other, so exactly one of them sends); a cancelled
    registration is re-opened with a new private token, as the person clearly wants to come
    after all.
    """
    state = registration_window(event, now)
    if state != WindowState.OPEN:
        raise RegistrationClosed(state)
    if data.language not in event.languages:
        raise ValueError(f"language {data.language!r} is not offered for this event")
    if event.invitation_only and data.invitation_id is None:
        raise InvitationRequired()

    lock_seats(session, event.id)
    existing = session.scalar(
        sa.select(Registration).where(
            Registration.event_id == event.id, Registration.email_normalized == data.email_normalized
        )
    )
    if existing is not None and existing.status != RegistrationStatus.CANCELLED:
        if existing.details_resent_at is None or now - existing.details_resent_at >= resend_interval:
            existing.details_resent_at = now
            signals.duplicate_registration_attempted.send(existing)
        session.flush()
        return RegistrationOutcome(registration=existing, token=None, created=False)

    token, token_hash, nonce = new_token(secret_key)
    data = linked_to_directory(session, data)
    reasons = review_reasons(event, data)
    status = _initial_status(session, event, reasons)
    registration = existing or Registration(event_id=event.id)
    for field, value in vars(data).items():
        setattr(registration, field, value)
    registration.review_reasons = reasons
    registration.token_hash = token_hash
    registration.token_nonce = nonce
    registration.consent_at = now
    registration.privacy_notice_version = privacy_notice_version
    registration.created_at = now  # a re-opened registration queues behind current ones
    registration.cancelled_at = None
    registration.status_changed_at = now
    registration.status = status  # the mail listener of `registration_created` resets the invite state
    if existing is None:
        session.add(registration)
    session.flush()
    signals.registration_created.send(registration)
    return RegistrationOutcome(registration=registration, token=token, created=True)


def change_languages(
    session: Session, registration: Registration, *, language: str, email_language: str | None, now: datetime
) -> bool:
    """The registrant moves to another interpretation channel or email language.

    Returns False when nothing changed. Confirmed registrants get their invite again (in the
    new email language, with the new channel in its description).
    """
    if not registration.is_active:
        raise ValueError("a cancelled or declined registration cannot be changed")
    if language not in registration.event.languages:
        raise ValueError(f"language {language!r} is not offered for this event")
    changed = {
        name
        for name, value in (("language", language), ("email_language", email_language or None))
        if getattr(registration, name) != value
    }
    if not changed:
        return False
    registration.language = language
    registration.email_language = email_language or None
    registration.updated_at = now
    signals.registration_languages_changed.send(registration, changed=changed)
    session.flush()
    return True


#: What the registrant may correct on their private page (email and languages have their own services).
DETAIL_FIELDS = ("salutation", "first_name", "last_name", "country", "organisation", "affiliation_type", "role",
                 "committees", "accessibility_needs")


def update_details(session: Session, registration: Registration, values: dict, *, now: datetime) -> set[str]:
    """The registrant corrects their details (values cleaned by the form); returns the fields changed.

    Announced with `registration_details_changed`. Email and languages go through
    `change_email` and `change_languages`, whose signals resend invites and update Zoom.
    """
    if not registration.is_active:
        raise ValueError("a cancelled or declined registration cannot be changed")
    changed = {name for name in DETAIL_FIELDS if name in values and values[name] != getattr(registration, name)}
    for name in changed:
        setattr(registration, name, values[name])
    if "organisation" in changed and registration.invitation_id is None:
        # A corrected organisation is matched again (a parliament's link keeps its parliament).
        entry = find_by_name(session, registration.organisation) if registration.organisation else None
        registration.organisation_id = entry.id if entry is not None else None
    if changed:
        registration.updated_at = now
        signals.registration_details_changed.send(registration, changed=changed)
    session.flush()
    return changed


class EmailTaken(ValueError):
    """Another registration for the same event already uses that email."""


def change_email(
    session: Session, registration: Registration, *, email: str, email_normalized: str, now: datetime,
    secret_key: str, actor: str = "registrant",
) -> RegistrationOutcome:
    """The registrant (or an organiser, `actor`) corrects an email address (a typo found later).

    An address identifies a registrant everywhere (invites, Zoom registrants, the
    one-registration-per-email rule), so the correction goes through the same rules and
    signals as any other change: the registration under the old address is cancelled
    (its invite is withdrawn there and its Zoom registrant cancelled) and one under the new
    address takes its place with the same answers, status and queue position (invite and
    Zoom registrant follow from `registration_created`). The seat passes from one to the
    other under the seat lock, so nobody moves up from the waiting list meanwhile. Answers
    the new registration and its private token (the old link now shows the cancellation).
    """
    if not registration.is_active:
        raise ValueError("a cancelled or declined registration cannot be changed")
    if email_normalized == registration.email_normalized:
        if email != registration.email:  # only the case differs: same person, same address
            registration.email = email
            session.flush()
        return RegistrationOutcome(registration=registration, token=None, created=False)
    lock_seats(session, registration.event_id)
    session.refresh(registration)
    other = session.scalar(sa.select(Registration).where(
        Registration.event_id == registration.event_id, Registration.email_normalized == email_normalized))
    if other is not None and other.status != RegistrationStatus.CANCELLED:
        raise EmailTaken(email_normalized)
    status, queued_at = registration.status, registration.created_at
    _set_status(registration, RegistrationStatus.CANCELLED, now, actor)
    token, token_hash, nonce = new_token(secret_key)
    replacement = other or Registration(event_id=registration.event_id)
    for name in ("salutation", "first_name", "last_name", "country", "organisation", "affiliation_type", "role",
                 "committees", "language", "email_language", "accessibility_needs", "consent_at",
                 "privacy_notice_version", "organisation_id", "invitation_id", "review_reasons"):
        setattr(replacement, name, getattr(registration, name))
    replacement.email, replacement.email_normalized = email, email_normalized
    replacement.token_hash, replacement.token_nonce = token_hash, nonce
    replacement.created_at = queued_at  # keeps its place on the waiting list
    replacement.status, replacement.status_changed_at, replacement.cancelled_at = status, now, None
    replacement.details_resent_at = None
    if other is None:
        session.add(replacement)
    session.flush()
    signals.registration_created.send(replacement)
    return RegistrationOutcome(registration=replacement, token=token, created=True)


def promote_from_waitlist(
    session: Session, event: Event, now: datetime, actor: str | None = None
) -> list[Registration]:
    """Confirm waitlisted people, first come first served, while seats are free.

    The caller must hold the seat lock (all public entry points here do).
    """
    promoted: list[Registration] = []
    free = free_seats(event.capacity, seats_taken(session, event.id))
    if free == 0:
        return promoted
    query = (
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.status == RegistrationStatus.WAITLISTED)
        .order_by(Registration.created_at, Registration.id)
    )
    if free is not None:
        query = query.limit(free)
    for registration in session.scalars(query):
        if _set_status(registration, RegistrationStatus.CONFIRMED, now, actor):
            promoted.append(registration)
    session.flush()
    return promoted


def cancel(session: Session, registration: Registration, *, now: datetime, actor: str | None = None) -> StatusChange:
    """Cancel a registration; a freed seat goes to the first person waiting.

    Nothing changes when it was already cancelled or declined (a repeated click).
    """
    if registration.status in (RegistrationStatus.CANCELLED, RegistrationStatus.DECLINED):
        return _outcome(registration, False)
    lock_seats(session, registration.event_id)
    session.refresh(registration)
    if registration.status in (RegistrationStatus.CANCELLED, RegistrationStatus.DECLINED):
        return _outcome(registration, False)
    held_seat = registration.status == RegistrationStatus.CONFIRMED
    _set_status(registration, RegistrationStatus.CANCELLED, now, actor)
    session.flush()
    promoted = promote_from_waitlist(session, registration.event, now, actor) if held_seat else []
    return _outcome(registration, True, promoted)


def approve(session: Session, registration: Registration, *, now: datetime, actor: str | None = None) -> StatusChange:
    """Approve a pending registration: confirmed if a seat is free, else waitlisted."""
    lock_seats(session, registration.event_id)
    session.refresh(registration)
    if registration.status != RegistrationStatus.PENDING:
        return _outcome(registration, False)
    full = is_full(session, registration.event)
    _set_status(registration, RegistrationStatus.WAITLISTED if full else RegistrationStatus.CONFIRMED, now, actor)
    session.flush()
    return _outcome(registration, True)


def decline(session: Session, registration: Registration, *, now: datetime, actor: str | None = None) -> StatusChange:
    """Decline a pending or waitlisted registration (a confirmed one must be cancelled)."""
    lock_seats(session, registration.event_id)
    session.refresh(registration)
    if registration.status not in (RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED):
        return _outcome(registration, False)
    _set_status(registration, RegistrationStatus.DECLINED, now, actor)
    session.flush()
    return _outcome(registration, True)


def record_external_registration(
    session: Session,
    event: Event,
    data: RegistrationInput,
    *,
    status: RegistrationStatus,
    now: datetime,
    secret_key: str,
    source: str,
) -> Registration:
    """Record a registration made elsewhere (e.g. directly on the event's Zoom meeting), so
    lists, counts and exports include the person. Flushes.

    No window or seat rule applies (the other side already accepted them) and no signal is
    is sent to push anything back; `signals.registration_recorded_externally` lets the mail feature
    note that the other side already wrote to them (no invite of ours). `source` is recorded as the
    privacy notice version they saw ("zoom").
    An existing registration for the same email is returned unchanged.
    """
    existing = session.scalar(
        sa.select(Registration).where(
            Registration.event_id == event.id, Registration.email_normalized == data.email_normalized
        )
    )
    if existing is not None:
        return existing
    _token, token_hash, nonce = new_token(secret_key)
    registration = Registration(event_id=event.id, **vars(data))
    registration.token_hash = token_hash
    registration.token_nonce = nonce
    registration.consent_at = now
    registration.privacy_notice_version = source[:32]
    registration.status = status
    registration.created_at = now
    registration.status_changed_at = now
    session.add(registration)
    session.flush()
    signals.registration_recorded_externally.send(registration, source=source)
    return registration


# -- organisers' corrections and decisions (the console) --------------------------------------


class AlreadyRegistered(ValueError):
    """The address already has an active registration for the event; `registration` is it."""

    def __init__(self, registration: Registration):
        super().__init__(f"registration {registration.id} is active")
        self.registration = registration


def confirm(
    session: Session, registration: Registration, *, now: datetime, actor: str | None = None,
    over_capacity: bool = False,
) -> StatusChange:
    """Give a pending or waitlisted person a seat now (an organiser's choice, e.g. a speaker).

    Takes a free seat; with `over_capacity` the person is confirmed even when none is free
    (the event is then over capacity, and nobody moves up until enough seats free up).
    Unchanged with reason "no_free_seat" when the event is full and `over_capacity` is False.
    """
    lock_seats(session, registration.event_id)
    session.refresh(registration)
    if registration.status not in (RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED):
        return _outcome(registration, False)
    if not over_capacity and is_full(session, registration.event):
        return StatusChange(registration=registration, status=RegistrationStatus(registration.status),
                            changed=False, reason="no_free_seat")
    _set_status(registration, RegistrationStatus.CONFIRMED, now, actor)
    session.flush()
    return _outcome(registration, True)


def reinstate(
    session: Session, registration: Registration, *, now: datetime, actor: str | None = None
) -> StatusChange:
    """Undo a decline: the person is confirmed when a seat is free, else waitlisted in turn.

    Reversing a decline is the organiser accepting the person after all, so it needs no
    second approval; the waiting list keeps its order (a reinstated person queues by the
    time they first registered).
    """
    lock_seats(session, registration.event_id)
    session.refresh(registration)
    if registration.status != RegistrationStatus.DECLINED:
        return _outcome(registration, False)
    full = is_full(session, registration.event)
    _set_status(registration, RegistrationStatus.WAITLISTED if full else RegistrationStatus.CONFIRMED, now, actor)
    session.flush()
    return _outcome(registration, True)


def add_by_organiser(
    session: Session,
    event: Event,
    data: RegistrationInput,
    *,
    now: datetime,
    secret_key: str,
    actor: str,
    notify: bool,
    over_capacity: bool = False,
) -> Registration:
    """Register someone on their behalf (an organiser adding a speaker or a late request).

    No registration window applies, the event may be full (`over_capacity` confirms anyway,
    else the person joins the waiting list), and approval is implied. With `notify` the
    person gets the usual first email (confirmation with invite, or waiting list); without
    it nothing is mailed, though the Zoom registrant is still made (the console shows the
    personal link). A cancelled or declined registration for the address is re-opened.
    Raises AlreadyRegistered when the address holds an active registration, ValueError for
    a cancelled event, a language not offered, or `notify` once the event is over.
    """
    if event.status == EventStatus.CANCELLED:
        raise ValueError("the event is cancelled")
    if data.language not in event.languages:
        raise ValueError(f"language {data.language!r} is not offered for this event")
    if notify and now >= event.ends_at:
        raise ValueError("the event is over: nothing to invite to")
    lock_seats(session, event.id)
    existing = session.scalar(
        sa.select(Registration).where(
            Registration.event_id == event.id, Registration.email_normalized == data.email_normalized
        )
    )
    if existing is not None and existing.is_active:
        raise AlreadyRegistered(existing)
    _token, token_hash, nonce = new_token(secret_key)
    data = linked_to_directory(session, data)
    full = is_full(session, event)
    registration = existing or Registration(event_id=event.id)
    for field, value in vars(data).items():
        setattr(registration, field, value)
    registration.token_hash = token_hash
    registration.token_nonce = nonce
    registration.consent_at = now
    registration.privacy_notice_version = "organiser"  # consent given to the organiser, not on our form
    registration.created_at = now
    registration.cancelled_at = None
    registration.status_changed_at = now
    registration.status = (RegistrationStatus.WAITLISTED if full and not over_capacity
                           else RegistrationStatus.CONFIRMED)
    if existing is None:
        session.add(registration)
    session.flush()
    if notify:
        signals.registration_created.send(registration)
    else:
        signals.registration_recorded_externally.send(registration, source="organiser")
    session.flush()
    return registration
