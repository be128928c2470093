"""Rendering a letter to a directory contact: the organiser's text in the contact's language.

A letter (`Outreach`) is written once per event language with placeholders such as
`{contact_name}` or `{registration_link}`; each contact's copy is rendered at send time from
the current rows (the contact's name, their parliament's links), in the branded layout.

Substitution is deliberately simple: `{name}` for a known name is replaced by its value, and
nothing else in the text is touched (no `str.format`, which would let a letter reach
attributes like `{contact.__class__}`). In the HTML part the organiser's text and every
value are HTML-escaped; link placeholders become links.
"""

from __future__ import annotations

import re
from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from panel_app.calendar import builder, content
from panel_app.directory import links
from panel_app.directory.coverage import is_represented
from panel_app.events.timefmt import event_time
from panel_app.mail import branding
from panel_app.mail.addresses import message_id, one_line, sender_headers
from panel_app.mail.compose import invitation_message
from panel_app.models import Event, EventStatus, FollowUpReport, Notification, OutreachKind

#: Every letter may use these; follow-up letters also `{follow_up_link}`.
PLACEHOLDERS = ("contact_name", "parliament", "event_title", "event_date", "registration_link", "organisation")
FOLLOW_UP_KINDS = frozenset({OutreachKind.FOLLOW_UP, OutreachKind.FOLLOW_UP_REMINDER})
#: Placeholders whose value is an address: a link in the HTML part.
LINK_PLACEHOLDERS = frozenset({"registration_link", "follow_up_link"})
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholders_for(kind: str) -> tuple[str, ...]:
    """The placeholders a letter of `kind` may use."""
    return PLACEHOLDERS + (("follow_up_link",) if kind in FOLLOW_UP_KINDS else ())


def unknown_placeholders(text: str, kind: str) -> list[str]:
    """`{names}` in `text` that a letter of `kind` cannot fill, in order of appearance."""
    allowed = set(placeholders_for(kind))
    found: list[str] = []
    for match in _PLACEHOLDER.finditer(text or ""):
        if match.group(1) not in allowed and match.group(0) not in found:
            found.append(match.group(0))
    return found


def substitute(text: str, values: dict[str, str]) -> str:
    """`text` with each `{name}` of `values` replaced (one pass: values are never rescanned)."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def html_paragraphs(text: str, values: dict[str, str], *, link_colour: str) -> list[Markup]:
    """`text` as escaped HTML paragraphs (at blank lines; line breaks kept), values filled in
    escaped, link values as links."""
    paragraphs = [p.strip("\n") for p in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")) if p.strip()]
    result = []
    for paragraph in paragraphs:
        pieces: list[Markup] = []
        position = 0
        for match in _PLACEHOLDER.finditer(paragraph):
            pieces.append(escape(paragraph[position:match.start()]))
            name = match.group(1)
            if name not in values:
                pieces.append(escape(match.group(0)))
            elif name in LINK_PLACEHOLDERS and values[name]:
                pieces.append(Markup('<a href="{0}" class="d-link" style="color:{1};">{0}</a>').format(
                    values[name], link_colour))
            else:
                pieces.append(escape(values[name]))
            position = match.end()
        pieces.append(escape(paragraph[position:]))
        result.append(Markup("").join(pieces).replace("\n", Markup("<br>\n")))
    return result


def letter_language(contact_language: str | None, event_languages: list[str], texts: dict) -> str:
    """The contact's language when the letter is written in it, else the event's first language
    the letter has (else any it has)."""
    if contact_language and contact_language in texts:
        return contact_language
    for code in event_languages or []:
        if code in texts:
            return code
    return next(iter(texts), "en")


def parliament_name(organisation, locale: str) -> str:
    return ((organisation.translations or {}).get(locale) or organisation.name) if organisation else ""


def registration_link(event, token: str, config) -> str:
    return f"{config['BASE_URL']}/events/{event.slug}/register?invitation={token}"


def follow_up_link(token: str, config) -> str:
    return f"{config['BASE_URL']}/follow-up/{token}"


def letter_event(session: Session, letter) -> Event:
    return session.get(Event, letter.event_id)


def _report(session: Session, event, organisation) -> FollowUpReport | None:
    return session.scalar(sa.select(FollowUpReport).where(FollowUpReport.event_id == event.id,
                                                          FollowUpReport.organisation_id == organisation.id))


def still_relevant(session: Session, notification: Notification) -> bool:
    """Whether a contact's copy should still go out when its turn comes (else it is skipped):
    the contact is still active with an address, their parliament is still in the directory;
    an invitation or reminder is pointless once the event is cancelled, a coverage reminder once
    someone from the parliament has registered, a follow-up reminder once it has answered."""
    contact = notification.contact
    letter = notification.outreach
    if contact is None or letter is None or not contact.active or not contact.email:
        return False
    organisation = contact.organisation
    if organisation is None or not organisation.active:
        return False
    event = letter_event(session, letter)
    if letter.kind in (OutreachKind.INVITATION, OutreachKind.COVERAGE_REMINDER) and (
            event.status == EventStatus.CANCELLED):
        return False
    if letter.kind == OutreachKind.COVERAGE_REMINDER and is_represented(session, event, organisation):
        return False
    if letter.kind == OutreachKind.FOLLOW_UP_REMINDER:
        report = _report(session, event, organisation)
        return report is None or report.submitted_at is None
    return True


def values_for(session: Session, letter, contact, locale: str, *, config, organiser_name: str,
               create_links: bool = True) -> dict[str, str]:
    """The placeholders' values for one contact's copy, in `locale` (call inside force_locale).

    `create_links=False` (previews) shows sample links instead of making a parliament's links.
    """
    event = letter_event(session, letter)
    organisation = contact.organisation
    times = event_time(event.starts_at, event.ends_at, event.timezone, locale)
    values = {
        "contact_name": one_line(contact.name) or _("Madam, Sir"),
        "parliament": one_line(parliament_name(organisation, locale)),
        "event_title": one_line(event.localized("title", locale)),
        "event_date": times.summary,
        "organisation": one_line(organiser_name),
    }
    if create_links:
        invitation = links.invitation_for(session, event, organisation)
        values["registration_link"] = registration_link(event, invitation.token, config)
    else:
        values["registration_link"] = registration_link(event, "…", config)
    if letter.kind in FOLLOW_UP_KINDS:
        if create_links:
            report = links.follow_up_report_for(session, event, organisation, config["SECRET_KEY"])
            token = links.follow_up_token(report, config["SECRET_KEY"])
            if token is None:
                raise ValueError("the follow-up link no longer derives from SECRET_KEY (was it changed?)")
            values["follow_up_link"] = follow_up_link(token, config)
        else:
            values["follow_up_link"] = follow_up_link("…", config)
    return values


def bodies(session: Session, letter, contact, *, config, cache=None, create_links: bool = True,
           language: str | None = None) -> tuple[str, str, str, str]:
    """(language, subject, text body, HTML body) of `contact`'s copy of `letter` (in
    `language` when given: previews show each language with one sample contact)."""
    event = letter_event(session, letter)
    locale = letter_language(language or contact.language, list(event.languages or []), letter.texts or {})
    cache = cache if cache is not None else _NoCache()
    text = (letter.texts or {})[locale]
    with force_locale(locale):
        organiser = cache.get(("organiser", event.id, event.organiser_name, event.organiser_email,
                               repr(event.translations), locale),
                              lambda: content.organiser(event, locale, config, session))
        brand = cache.get(("brand", locale), lambda: branding.brand(session, locale, config))
        values = values_for(session, letter, contact, locale, config=config, organiser_name=organiser[0],
                            create_links=create_links)
        subject = one_line(substitute(text.get("subject", ""), values))
        body = substitute(text.get("body", ""), values).replace("\r\n", "\n").strip("\n")
        paragraphs = html_paragraphs(text.get("body", ""), values, link_colour=brand.primary)
        context = {
            "subject": subject, "body": body, "paragraphs": paragraphs,
            "preheader_text": one_line(substitute(text.get("body", ""), values))[:140],
            "title": values["event_title"], "event_url": content.event_page_url(event, config),
            "parliament": values["parliament"], "brand": brand, "lang": locale,
        }
        return (locale, subject, render_template("emails/letter.txt", **context),
                render_template("emails/letter.html", **context))


class _NoCache:
    def get(self, key, make):
        return make()


def render_letter(session: Session, notification: Notification, *, now: datetime, config, cache):
    """The email for one contact's copy: From/Reply-To as every other mail about the event,
    the row's stable Message-ID."""
    letter = notification.outreach
    contact = notification.contact
    locale, subject, text, html = bodies(session, letter, contact, config=config, cache=cache)
    event = letter_event(session, letter)
    with force_locale(locale):
        organiser = content.organiser(event, locale, config, session)
    return invitation_message(
        to=(contact.name, contact.email), subject=subject, text=text, html=html, ics=None, method=None,
        message_id=message_id(notification, builder.uid_domain(config["BASE_URL"])), language=locale,
        **sender_headers(event, config, organiser),
    )
