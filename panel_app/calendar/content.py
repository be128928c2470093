"""What a registrant's calendar entry and links say, in the current (forced) locale.

Shared by the emails, the `invite.ics` download and the registrant page, so all three
always agree. Call inside `flask_babel.force_locale(registration.language)` for emails.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _

from panel_app.calendar import builder
from panel_app.calendar.links import CalendarLinks, calendar_links
from panel_app.core.templating import LANGUAGE_NAMES
from panel_app.events.timefmt import event_time
from panel_app.registration.services import private_token


def manage_url(registration, config=None) -> str | None:
    """The registrant's private page (absolute), or None if SECRET_KEY changed since."""
    config = config or current_app.config
    token = private_token(registration, config["SECRET_KEY"])
    return f"{config['BASE_URL']}/registrations/{token}" if token else None


def language_label(code: str) -> str:
    return str(LANGUAGE_NAMES.get(code, code))


def invite_text(registration, *, manage: str | None, locale: str) -> builder.InviteText:
    """SUMMARY and plain-text DESCRIPTION of the personal invite."""
    event = registration.event
    title = event.localized("title", locale)
    when = event_time(event.starts_at, event.ends_at, event.timezone, locale).summary
    lines = [title, "", when, ""]
    join = registration.join_url
    if join:
        lines += [_("Join on Zoom: %(url)s", url=join), _("This link is personal: please do not share it."), ""]
    lines.append(_("Interpretation language: %(language)s", language=language_label(registration.language)))
    if manage:
        lines += ["", _("See or cancel your registration: %(url)s", url=manage)]
    description = event.localized("description", locale)
    if description:
        lines += ["", description]
    return builder.InviteText(summary=title, description="\n".join(lines))


def registration_links(registration, *, manage: str | None, locale: str) -> CalendarLinks:
    """Add-to-calendar links for a registrant (Google, Outlook.com, Microsoft 365, .ics)."""
    event = registration.event
    text = invite_text(registration, manage=manage, locale=locale)
    return calendar_links(
        title=text.summary,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        details=text.description,
        location=registration.join_url,
        ics_url=f"{manage}/invite.ics" if manage else "",
    )


def fingerprint(registration, method: str) -> str:
    """What a calendar client cares about; a change here means SEQUENCE must go up."""
    event = registration.event
    parts = [method, event.starts_at.isoformat(), event.ends_at.isoformat(), event.timezone,
             registration.join_url or "", event.status]
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def registration_ics(registration, *, method: str, sequence: int, dtstamp: datetime, locale: str,
                     manage: str | None, config=None) -> bytes:
    """The registrant's personal .ics (REQUEST or CANCEL)."""
    config = config or current_app.config
    return builder.personal_invite(
        registration,
        method=method,
        sequence=sequence,
        dtstamp=dtstamp,
        text=invite_text(registration, manage=manage, locale=locale),
        join_url=registration.join_url,
        organiser=builder.organiser_mailbox(registration.event, config["MAIL_DEFAULT_SENDER"]),
        domain=builder.uid_domain(config["BASE_URL"]),
    )
