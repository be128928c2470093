"""Calendar downloads: a registrant's personal invite and the public event.ics."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, url_for
from flask_babel import force_locale, get_locale

from panel_app.calendar import builder, content
from panel_app.events.services import SLUG_RE
from panel_app.extensions import db
from panel_app.mail.messages import invite_sequence
from panel_app.models import Event, EventStatus, RegistrationStatus, utcnow
from panel_app.registration.services import find_by_token

bp = Blueprint("calendar", __name__)


def _ics_response(data: bytes, filename: str, *, private: bool) -> Response:
    response = Response(data, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A personal invite carries the join link: never cache it in shared caches.
    response.headers["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    if private:
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/registrations/<token>/invite.ics")
def personal_invite(token: str):
    """The registrant's invite (same UID and SEQUENCE as the emailed one); 404 unless confirmed,
    or a cancellation when their registration or the event was cancelled after an invite."""
    registration = find_by_token(db.session, token)
    if registration is None:
        abort(404)
    event = registration.event
    if registration.status == RegistrationStatus.CONFIRMED and event.status != EventStatus.CANCELLED:
        method = "REQUEST"
    elif registration.invite_sequence is not None:
        method = "CANCEL"
    else:
        abort(404)
    language = registration.communication_language
    locale = language if language in current_app.config["LANGUAGES"] else "en"
    with force_locale(locale):
        return _personal_invite(registration, token, method, locale)


def _personal_invite(registration, token: str, method: str, locale: str):
    manage = f"{current_app.config['BASE_URL']}/registrations/{token}" if method == "REQUEST" else None
    sequence = invite_sequence(db.session, registration, content.fingerprint(registration, method))
    data = content.registration_ics(
        registration, method=method, sequence=sequence, dtstamp=utcnow(), locale=locale, manage=manage
    )
    return _ics_response(data, "invite.ics", private=True)


@bp.get("/events/<slug>/event.ics")
def event_ics(slug: str):
    """The event without personal data (no attendee, no join link)."""
    # Only a well-formed slug reaches the database (a NUL would make PostgreSQL refuse the query).
    well_formed = len(slug) <= 100 and SLUG_RE.match(slug) is not None
    event = db.session.scalar(sa.select(Event).where(Event.slug == slug)) if well_formed else None
    if event is None or event.status == EventStatus.DRAFT:
        abort(404)
    locale = str(get_locale() or "en")
    page_url = f"{current_app.config['BASE_URL']}/events/{event.slug}"
    description = event.localized("description", locale)
    data = builder.public_event(
        event,
        dtstamp=utcnow(),
        summary=event.localized("title", locale),
        description=f"{description}\n\n{page_url}" if description else page_url,
        page_url=page_url,
        domain=builder.uid_domain(current_app.config["BASE_URL"]),
        organiser=content.organiser(event, locale),
    )
    return _ics_response(data, f"{event.slug}.ics", private=False)


@bp.app_template_global()
def add_to_calendar_links(registration, token: str):
    """Add-to-calendar links for the registrant page (the .ics link is relative to this site)."""
    locale = str(get_locale() or "en")
    manage = f"{current_app.config['BASE_URL']}/registrations/{token}"
    links = content.registration_links(registration, manage=manage, locale=locale)
    return links.__class__(
        ics=url_for("calendar.personal_invite", token=token),
        google=links.google,
        outlook_com=links.outlook_com,
        office_365=links.office_365,
    )
