"""Signal listeners: registration and privacy changes put the Zoom side effect back to pending.

They run inside the caller's transaction: they update the row through `sync` (flush, no I/O)
and schedule the job with `after_commit`, so a job never refers to a change that was rolled
back. Connected when imported (`panel_app.tasks` imports this module with the jobs).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session, object_session

from panel_app.core.after_commit import after_commit
from panel_app.models import Registration, SyncState, utcnow
from panel_app.privacy import signals as privacy_signals
from panel_app.registration import signals
from panel_app.zoom import registrants
from panel_app.zoom.jobs import sync_registration_job
from panel_app.zoom.settings import zoom_enabled


def _sync_enabled_for(registration: Registration) -> bool:
    try:
        config = current_app.config
    except RuntimeError:  # no app context: nothing configured
        return False
    return zoom_enabled(config) and bool(registration.event.zoom_id)


def _schedule(session: Session | None, registration: Registration) -> None:
    session = session or object_session(registration)
    if session is None:
        return
    registrants.mark_pending(session, registration, utcnow())
    after_commit(session, sync_registration_job.enqueue, registration.id)


@signals.registration_created.connect
def on_registration_created(registration: Registration, **_kwargs) -> None:
    """New or re-opened registration: add (or approve again) at Zoom once committed."""
    if not _sync_enabled_for(registration):
        return
    if registrants.needs_zoom_work(registration):
        _schedule(None, registration)
    elif registration.zoom_registrant_id is None:
        registration.zoom_state = SyncState.NONE  # waitlisted: nothing to do yet


@signals.registration_status_changed.connect
def on_registration_status_changed(registration: Registration, previous=None, actor=None, **_kwargs) -> None:
    """Approve / cancel / decline / promotion: push the change to Zoom after commit."""
    if _sync_enabled_for(registration) and registrants.needs_zoom_work(registration):
        _schedule(None, registration)


@signals.registration_recorded_externally.connect
def on_recorded_externally(registration: Registration, source: str = "", **_kwargs) -> None:
    """Added by an organiser without an email: Zoom still needs the registrant (for the personal
    link). People imported from Zoom are already there."""
    if source != "zoom" and _sync_enabled_for(registration) and registrants.needs_zoom_work(registration):
        _schedule(None, registration)


@privacy_signals.personal_data_erasing.connect
def on_personal_data_erasing(registration: Registration, session: Session | None = None, **_kwargs) -> None:
    """Erasure: the registrant is deleted at Zoom (by id; the email is about to be blanked)."""
    session = session or object_session(registration)
    if session is None:
        return
    if registrants.request_erasure(session, registration, utcnow()) and _sync_enabled_for(registration):
        after_commit(session, sync_registration_job.enqueue, registration.id)
