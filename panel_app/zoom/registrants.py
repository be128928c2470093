"""What Zoom should hold for a registration, and the changes to that state (no I/O).

The rules follow what Zoom offers ("Meetings" API reference, https://developers.zoom.us/docs/api/meetings/,
and "Managing meeting and webinar registration",
https://support.zoom.com/hc/en/article?id=zm_kb&sysparm_article=KB0068036): a registrant is
`approved`, `pending` or `denied`. There is no "cancelled": `cancel` (for approved people) and
`deny` (for pending ones) both leave them listed as denied, a denied registrant can be approved
again, and adding a denied email again fails. Erasure deletes the registrant.

Listeners, webhooks and the `zoom sync` command change the row through these functions (they
flush, never commit); the worker (`sync.py`) makes the calls.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.mail.services import personal_link_arrived
from panel_app.models import ApprovalMode, Registration, RegistrationStatus, SyncState, UTCDateTime
from panel_app.zoom.questions import QUESTION_AFFILIATION, QUESTION_LANGUAGE, QUESTION_ROLE

log = logging.getLogger(__name__)

#: Zoom's `language` values ("Add a meeting registrant": en-US, fr-FR, es-ES...) for each of our
#: languages (panel_app/core/languages.py); Zoom's own emails follow it.
ZOOM_LANGUAGES = {"en": "en-US", "fr": "fr-FR", "es": "es-ES"}

#: Zoom's registrant statuses (the only three there are).
APPROVED, PENDING, DENIED = "approved", "pending", "denied"
ZOOM_STATUSES = (APPROVED, PENDING, DENIED)
#: A desired state only: Zoom must no longer hold the person (their data was erased).
DELETED = "deleted"


# -- what Zoom should hold -------------------------------------------------------------------

def desired_zoom_status(registration: Registration) -> str | None:
    """What this registration calls for at Zoom, or None when Zoom need not know them."""
    if registration.zoom_erase_requested_at is not None:
        return DELETED
    status = registration.status
    if status == RegistrationStatus.CONFIRMED:
        return APPROVED
    if status == RegistrationStatus.PENDING and registration.event.approval_mode == ApprovalMode.MANUAL:
        return PENDING
    if status in (RegistrationStatus.CANCELLED, RegistrationStatus.DECLINED):
        return DENIED
    return None  # waitlisted: added when promoted


def action_for(current: str | None, desired: str | None) -> str | None:
    """The registrant status action ("Update registrant's status") from `current` to `desired`."""
    if desired == APPROVED and current in (PENDING, DENIED):
        return "approve"
    if desired == DENIED and current == APPROVED:
        return "cancel"  # "Cancel previously approved registrant's registration"
    if desired == DENIED and current == PENDING:
        return "deny"
    return None  # nothing to do, or nothing Zoom offers (approved or denied back to pending)


def needs_zoom_work(registration: Registration) -> bool:
    """True when a call to Zoom is due for this registration."""
    if not registration.event.zoom_id:
        return False
    desired = desired_zoom_status(registration)
    if desired == DELETED:
        return registration.zoom_registrant_id is not None
    if registration.zoom_registrant_id is None:
        return desired in (APPROVED, PENDING)
    current = registration.zoom_synced_status
    if current is None:
        return desired is not None  # status unknown: read it
    if desired == APPROVED and current == APPROVED:
        return not registration.zoom_join_url
    return action_for(current, desired) is not None


def registrant_body(registration: Registration) -> dict:
    """POST body for Zoom's "add a registrant", within Zoom's field limits."""
    body = {
        "email": registration.email,
        "first_name": registration.first_name.strip()[:64] or "-",
        "last_name": registration.last_name.strip()[:64] or "-",
        "custom_questions": [
            {"title": QUESTION_AFFILIATION, "value": registration.affiliation_type[:128]},
            {"title": QUESTION_ROLE, "value": registration.role[:128]},
            {"title": QUESTION_LANGUAGE, "value": registration.language[:128]},
        ],
    }
    if registration.country and len(registration.country) == 2:
        body["country"] = registration.country.upper()
    if registration.organisation.strip():
        body["org"] = registration.organisation.strip()[:128]
    if registration.communication_language in ZOOM_LANGUAGES:  # the language of Zoom's own emails
        body["language"] = ZOOM_LANGUAGES[registration.communication_language]
    return body


# -- state changes asked for by listeners and webhooks (flush, no commit) --------------------

def mark_pending(session: Session, registration: Registration, now: datetime) -> None:
    """Queue the registration for a Zoom call, never breaking a lease a worker holds.

    One conditional UPDATE decides on the row as it is in the database now, not as this
    session last read it: a worker may have claimed the row since (its lease is kept, and its
    final check sees the change and goes round again).
    """
    if registration.id is None:
        session.flush()
    column = Registration.__table__.c
    leased = sa.and_(column.zoom_state == SyncState.PENDING, column.zoom_next_attempt_at > now,
                     column.zoom_attempts > 0)
    session.execute(
        sa.update(Registration).where(Registration.id == registration.id).values(
            zoom_state=SyncState.PENDING, zoom_last_error=None,
            zoom_next_attempt_at=sa.case((leased, column.zoom_next_attempt_at),
                                         else_=sa.literal(now, UTCDateTime())),
            zoom_attempts=sa.case((leased, column.zoom_attempts), else_=0),
        ).execution_options(synchronize_session=False)
    )
    session.expire(registration, ["zoom_state", "zoom_next_attempt_at", "zoom_attempts", "zoom_last_error"])


def settle(registration: Registration) -> None:
    """Mark the Zoom side effect done (or not needed) when nothing is left to do."""
    if registration.zoom_state in (SyncState.PENDING, SyncState.FAILED) and not needs_zoom_work(registration):
        has_registrant = registration.zoom_registrant_id or registration.zoom_erase_requested_at
        registration.zoom_state = SyncState.DONE if has_registrant else SyncState.NONE
        registration.zoom_next_attempt_at = None
        registration.zoom_last_error = None


def request_erasure(session: Session, registration: Registration, now: datetime) -> bool:
    """The person's data is being erased: Zoom must forget them too. True when a call is due."""
    if registration.zoom_registrant_id is None and registration.zoom_state != SyncState.PENDING:
        return False  # Zoom never heard of them
    registration.zoom_erase_requested_at = now
    if needs_zoom_work(registration):
        mark_pending(session, registration, now)
        return True
    return False


def record_join_url(session: Session, registration: Registration, join_url: str | None, now: datetime) -> None:
    """Keep the personal join link Zoom issued; an invite already sent is sent again with it."""
    if not join_url or not isinstance(join_url, str) or join_url == registration.zoom_join_url:
        return
    registration.zoom_join_url = join_url[:1000]
    # The mail feature decides whether an invite already went out and must go again with the link.
    personal_link_arrived(session, registration, now=now)


def record_zoom_status(registration: Registration, zoom_status: str | None) -> None:
    """Remember the registrant's status at Zoom (Zoom's own words; anything else is unknown)."""
    registration.zoom_synced_status = zoom_status if zoom_status in ZOOM_STATUSES else None


def forget_registrant(registration: Registration) -> None:
    """Zoom no longer holds this registrant (deleted, or unknown to Zoom): add again if wanted."""
    registration.zoom_registrant_id = None
    registration.zoom_synced_status = None
    if registration.zoom_erase_requested_at is not None:
        registration.zoom_join_url = None
