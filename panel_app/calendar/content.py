"""What a registrant's calendar entry and links say, in the current (forced) locale.

Shared by the emails, the `invite.ics` download and the registrant page, so all three
always agree. Call inside `flask_babel.force_locale(registration.language)` for emails.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.utils import parseaddr

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from panel_app.calendar import builder
from panel_app.calendar.links import CalendarLinks, calendar_links
from panel_app.core.templating import LANGUAGE_NAMES
from panel_app.events.timefmt import event_time
from panel_app.extensions import db
from panel_app.organisation.services import identity
from panel_app.registration.services import private_token


def organiser(event, locale: str, config=None, session: Session | None = None) -> tuple[str, str]:
    """(name, address) of the event's organiser for a reader in `locale`: the invite's
    ORGANIZER, the signature of emails and their Reply-To.

    The address is the event's organiser address, else the organisation's contact address,
    else the mail system's own (MAIL_DEFAULT_SENDER).
    """
    config = config or current_app.config
    session = session or db.session
    name = organiser_name(event, locale, session, config)
    if event.organiser_email:
        return name, event.organiser_email.strip()
    organisation = identity(session, locale)
    if organisation.contact_email:
        return name, organisation.contact_email
    default_name, address = parseaddr(config["MAIL_DEFAULT_SENDER"])
    return name or builder.one_line(default_name), address


def organiser_name(event, locale: str, session: Session | None = None, config=None) -> str:
    """The organiser's name in `locale`.

    The event's own translation of it when it has one ("organiser_name" in its
    translations); else, when the event is organised by the organisation itself (no name
    given, or one of the names the organisation goes by in any language), the
    organisation's name in `locale`; else the name as the event gives it (a department or a
    partner, which has no translation here).
    """
    config = config or current_app.config
    session = session or db.session
    own = ((event.translations or {}).get(locale) or {}).get("organiser_name")
    if own:
        return builder.one_line(own)
    given = builder.one_line(event.organiser_name)
    organisation = identity(session, locale)
    if organisation.unnamed:
        return given
    if not given:
        return organisation.name
    names = {identity(session, code).name.casefold() for code in config["LANGUAGES"]}
    names |= {organisation.name.casefold(), (organisation.short_name or "").casefold()}
    return organisation.name if given.casefold() in names else given


def manage_url(registration, config=None) -> str | None:
    """The registrant's private page (absolute), or None if SECRET_KEY changed since."""
    config = config or current_app.config
    token = private_token(registration, config["SECRET_KEY"])
    return f"{config['BASE_URL']}/registrations/{token}" if token else None


def language_label(code: str) -> str:
    return str(LANGUAGE_NAMES.get(code, code))


def is_personal_link(registration) -> bool:
    """Whether the registrant's join link is their own (a Zoom registrant link), as opposed to
    the event's general link that everybody gets: only the former is "personal"."""
    link = registration.join_url
    return bool(link) and link == registration.zoom_join_url and link != registration.event.join_url


def event_page_url(event, config=None) -> str:
    config = config or current_app.config
    return f"{config['BASE_URL']}/events/{event.slug}"


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
        "page": _("Event page: %(url)s"),
        "description": event.localized("description", locale),
    }


def invite_text(registration, *, manage: str | None, locale: str, shared: dict | None = None) -> builder.InviteText:
    """SUMMARY and plain-text DESCRIPTION of the personal invite.

    `manage` is the private page's address, or None where it must not appear (a
    cancellation). `shared` is `shared_invite_text(registration, locale)`, when the caller
    has it cached.
    """
    if shared is None:
        shared = shared_invite_text(registration, locale)
    title = shared["title"]
    lines = [title, "", shared["when"], ""]
    lines += _join_lines(registration, shared)
    lines.append(shared["language"])
    if manage:
        lines += ["", shared["manage"] % {"url": manage}]
    description = shared["description"]
    if description:
        lines += ["", description]
    return builder.InviteText(summary=title, description="\n".join(lines))


def _join_lines(registration, shared: dict) -> list[str]:
    join = registration.join_url
    if not join:
        return []
    lines = [shared["join"] % {"url": join}]
    if is_personal_link(registration):
        lines.append(shared["personal"])
    return lines + [""]


def link_details(registration, *, locale: str, shared: dict | None = None, config=None) -> str:
    """The text given to Google's and Microsoft's add-to-calendar pages: the join link first
    (the links cut the end of this text to stay short), then the channel, the public event
    page and the description. Never the private page's address: these links hand their
    content to another company, and a link to the private page would let it cancel or erase
    the registration."""
    if shared is None:
        shared = shared_invite_text(registration, locale)
    lines = _join_lines(registration, shared)
    lines += [shared["language"], "", shared["page"] % {"url": event_page_url(registration.event, config)}]
    if shared["description"]:
        lines += ["", shared["description"]]
    return "\n".join(lines)


def registration_links(registration, *, manage: str | None, locale: str, shared: dict | None = None,
                       config=None) -> CalendarLinks:
    """Add-to-calendar links for a registrant (Google, Outlook.com, Microsoft 365, .ics)."""
    event = registration.event
    if shared is None:
        shared = shared_invite_text(registration, locale)
    return calendar_links(
        title=shared["title"],
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        details=link_details(registration, locale=locale, shared=shared, config=config),
        location=registration.join_url,
        ics_url=f"{manage}/invite.ics" if manage else "",
    )


def fingerprint(registration, method: str) -> str:
    """What a calendar client cares about; a change here means SEQUENCE must go up.

    The interpretation channel and the email language are part of it: they change the
    invite's title and text, and Outlook applies an update only when its SEQUENCE is higher.
    """
    event = registration.event
    parts = [method, event.starts_at.isoformat(), event.ends_at.isoformat(), event.timezone,
             registration.join_url or "", event.status, registration.language or "",
             registration.communication_language or ""]
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def registration_ics(registration, *, method: str, sequence: int, dtstamp: datetime, locale: str,
                     manage: str | None, config=None, text: builder.InviteText | None = None,
                     organiser_mailbox: tuple[str, str] | None = None, session: Session | None = None) -> bytes:
    """The registrant's personal .ics (REQUEST or CANCEL); `text` when already computed.

    A cancellation never offers the private page (there is nothing left to see or cancel):
    callers that pass `text` build it with `manage=None` for one.
    """
    config = config or current_app.config
    if method == "CANCEL":
        manage = None
    return builder.personal_invite(
        registration,
        method=method,
        sequence=sequence,
        dtstamp=dtstamp,
        text=text or invite_text(registration, manage=manage, locale=locale),
        join_url=registration.join_url,
        organiser=organiser_mailbox or organiser(registration.event, locale, config, session),
        domain=builder.uid_domain(config["BASE_URL"]),
    )
