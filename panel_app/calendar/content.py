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


def shared_invite_text(registration, locale: str) -> dict:
    """The parts of `invite_text` every registrant of the event with this locale (and
    interpretation language) shares; computed once per batch of invites."""
    event = registration.event
    return {
        "title": event.localized("title", locale),
        "when": event_time(event.starts_at, event.ends_at, event.timezone, locale).summary,
        # Translated templates, filled in per registrant exactly as gettext(..., url=...) does.
        "join": _("Join on Zoom: %(url)s"),
        "personal": _("This link is personal: please do not share it."),
        "language": _("Interpretation language: %(language)s", language=language_label(registration.language)),
        "manage": _("See or cancel your registration: %(url)s"),
        "description": event.localized("description", locale),
    }


def invite_text(registration, *, manage: str | None, locale: str, shared: dict | None = None) -> builder.InviteText:
    """SUMMARY and plain-text DESCRIPTION of the personal invite.

    `shared` is `shared_invite_text(registration, locale)`, when the caller has it cached.
    """
    if shared is None:
        shared = shared_invite_text(registration, locale)
    title = shared["title"]
    lines = [title, "", shared["when"], ""]
    join = registration.join_url
    if join:
        lines += [shared["join"] % {"url": join}, shared["personal"], ""]
    lines.append(shared["language"])
    if manage:
        lines += ["", shared["manage"] % {"url": manage}]
    description = shared["description"]
    if description:
        lines += ["", description]
    return builder.InviteText(summary=title, description="\n".join(lines))


def registration_links(registration, *, manage: str | None, locale: str,
                       text: builder.InviteText | None = None) -> CalendarLinks:
    """Add-to-calendar links for a registrant (Google, Outlook.com, Microsoft 365, .ics)."""
    event = registration.event
    text = text or invite_text(registration, manage=manage, locale=locale)
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
                     manage: str | None, config=None, text: builder.InviteText | None = None) -> bytes:
    """The registrant's personal .ics (REQUEST or CANCEL); `text` when already computed."""
    config = config or current_app.config
    return builder.personal_invite(
        registration,
        method=method,
        sequence=sequence,
        dtstamp=dtstamp,
        text=text or invite_text(registration, manage=manage, locale=locale),
        join_url=registration.join_url,
        organiser=builder.organiser_mailbox(registration.event, config["MAIL_DEFAULT_SENDER"]),
        domain=builder.uid_domain(config["BASE_URL"]),
    )
