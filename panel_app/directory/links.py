"""A parliament's own links: its registration link for an event and its follow-up report link.

The registration link (`/events/<slug>/register?invitation=<token>`) carries a random token
stored as is: it only opens the form pre-filled with the parliament, and an organiser may hand
it out freely. The follow-up link opens a parliament's answers, so, like a registrant's private
link, only its hash is stored and the token is re-derived from a nonce and SECRET_KEY whenever a
letter must carry it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel_app.models import Event, EventInvitation, FollowUpReport, Organisation

_MAX_TOKEN = 128


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _derive(secret_key: str, nonce: str) -> str:
    digest = hmac.new(secret_key.encode("utf-8"), b"follow-up-token:" + nonce.encode("ascii"), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


def invitation_for(session: Session, event: Event, organisation: Organisation) -> EventInvitation:
    """The parliament's registration link for the event, made on first use (flushes)."""
    invitation = session.scalar(sa.select(EventInvitation).where(
        EventInvitation.event_id == event.id, EventInvitation.organisation_id == organisation.id))
    if invitation is None:
        invitation = EventInvitation(event_id=event.id, organisation_id=organisation.id,
                                     token=secrets.token_urlsafe(24))
        session.add(invitation)
        session.flush()
    return invitation


def invitation_by_token(session: Session, event: Event, token: str | None) -> EventInvitation | None:
    """The invitation of `event` that `token` opens, or None (also for junk or another event's token)."""
    if not token or len(token) > _MAX_TOKEN:
        return None
    return session.scalar(sa.select(EventInvitation).where(
        EventInvitation.token == token, EventInvitation.event_id == event.id))


def follow_up_report_for(session: Session, event: Event, organisation: Organisation,
                         secret_key: str) -> FollowUpReport:
    """The parliament's (still empty) follow-up report for the event, made on first use (flushes)."""
    report = session.scalar(sa.select(FollowUpReport).where(
        FollowUpReport.event_id == event.id, FollowUpReport.organisation_id == organisation.id))
    if report is None:
        nonce = secrets.token_urlsafe(24)
        report = FollowUpReport(event_id=event.id, organisation_id=organisation.id, token_nonce=nonce,
                                token_hash=_hash(_derive(secret_key, nonce)), answers={})
        session.add(report)
        session.flush()
    return report


def follow_up_token(report: FollowUpReport, secret_key: str) -> str | None:
    """The token of the report's private link, or None if it no longer derives from `secret_key`."""
    token = _derive(secret_key, report.token_nonce)
    return token if secrets.compare_digest(_hash(token), report.token_hash) else None


def follow_up_report_by_token(session: Session, token: str | None) -> FollowUpReport | None:
    """The report whose private link carries `token`, or None (also for junk input)."""
    if not token or len(token) > _MAX_TOKEN:
        return None
    return session.scalar(sa.select(FollowUpReport).where(FollowUpReport.token_hash == _hash(token)))
