"""Jinja helpers: event times, country, language and status names in the page's language."""

from __future__ import annotations

import logging

from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from panel_app.core import languages
from panel_app.events.timefmt import babel_locale, event_time, format_instant
from panel_app.organisation.services import Identity, fallback_identity, identity
from panel_app.registration.countries import country_name

log = logging.getLogger(__name__)

#: Languages named in the reader's language (defined once in `core.languages`).
LANGUAGE_NAMES = languages.NAMES
STATUS_LABELS = {
    "pending": _l("Awaiting approval"),
    "confirmed": _l("Confirmed"),
    "waitlisted": _l("On the waiting list"),
    "declined": _l("Declined"),
    "cancelled": _l("Cancelled"),
}
STATUS_EXPLANATIONS = {
    "pending": _l("The organisers will review your registration. You will receive an email once it is approved."),
    "confirmed": _l("Your seat is confirmed. Your join link and calendar invite are on this page and in your email."),
    "waitlisted": _l("The panel is full. If a seat becomes free, you will move up automatically and receive an email."),
    "declined": _l("The organisers could not accept this registration."),
    "cancelled": _l("This registration is cancelled."),
}


#: Event statuses, side-effect states and console roles, as organisers read them. Context
#: keeps them apart from registration statuses ("Cancelled" is feminine for an
#: inscription in French, masculine for an événement).
STATE_LABELS = {
    "draft": _lp("event status", "Draft"),
    "published": _lp("event status", "Published"),
    "cancelled": _lp("event status", "Cancelled"),
    "none": _lp("sync state", "not needed"),
    "pending": _lp("sync state", "pending"),
    "done": _lp("sync state", "done"),
    "sent": _lp("sync state", "sent"),
    "failed": _lp("sync state", "failed"),
    "viewer": _lp("role", "viewer"),
    "organiser": _lp("role", "organiser"),
    "admin": _lp("role", "administrator"),
}


def _locale() -> str:
    return str(get_locale() or "en")


def register(app: Flask) -> None:
    @app.template_global()
    def organisation() -> Identity:
        """The organisation's identity in the page's language (header, footer, notices)."""
        from sqlalchemy.exc import SQLAlchemyError

        from panel_app.extensions import db

        locale = _locale()
        try:
            return identity(db.session, locale)
        except SQLAlchemyError:  # an error page while the database is down must still render
            log.warning("organisation settings unavailable; showing the environment's identity", exc_info=True)
            return fallback_identity(locale)

    @app.template_global()
    def event_time_for(event, locale: str | None = None):
        """Schedule pieces of `event` in its own zone, for the page's language."""
        return event_time(event.starts_at, event.ends_at, event.timezone, locale or _locale())

    @app.template_global()
    def event_text(event, field: str) -> str:
        """Title/description/audience in the page's language, falling back to the default."""
        return event.localized(field, _locale())

    @app.template_global()
    def language_name(code: str) -> str:
        return languages.name(code)

    @app.template_global()
    def native_language_name(code: str) -> str:
        """The language in its own words, for language switchers."""
        return languages.NATIVE_NAMES.get(code, code)

    @app.template_global()
    def status_label(status: str) -> str:
        return str(STATUS_LABELS.get(status, status))

    @app.template_global()
    def state_label(state: str) -> str:
        """An event status, invite/Zoom/message state or console role in the page's language."""
        return str(STATE_LABELS.get(state, state))

    @app.template_global()
    def status_explanation(status: str) -> str:
        return str(STATUS_EXPLANATIONS.get(status, ""))

    @app.template_filter("format_in_zone")
    def format_in_zone(instant, event) -> str:
        """An instant as a date and time in the event's zone, with that date's abbreviation."""
        if instant is None:
            return ""
        return format_instant(instant.astimezone(event.zone), _locale())

    @app.template_global()
    def online_line(event) -> str:
        """'Online on Zoom with interpretation in English, French and Spanish', in the page's language."""
        from babel import Locale
        from babel.lists import format_list
        from flask_babel import gettext

        locale = babel_locale(_locale())  # international English: no serial comma
        names = Locale.parse(locale).languages
        spoken = [names.get(code, code) for code in event.languages]
        if len(spoken) == 1:
            return gettext("Online on Zoom, in %(language)s", language=spoken[0])
        return gettext("Online on Zoom with interpretation in %(languages)s",
                       languages=format_list(spoken, locale=locale))

    @app.template_global()
    def affiliation_name(code: str) -> str:
        from panel_app.registration.forms import AFFILIATION_LABELS  # the forms import this module

        return str(AFFILIATION_LABELS.get(code, code))

    @app.template_global()
    def role_name(code: str) -> str:
        from panel_app.registration.forms import ROLE_LABELS

        return str(ROLE_LABELS.get(code, code))

    @app.template_global()
    def registration_deadline(event):
        """When registration closes: the organisers' deadline, else the start of the panel."""
        return event.registration_closes_at or event.starts_at

    @app.template_filter("url_host")
    def url_host(url: str) -> str:
        """'https://www.ipu.org/events' -> 'www.ipu.org' (a link's readable text)."""
        from urllib.parse import urlsplit

        return urlsplit(url).netloc or url

    @app.template_filter("country_name")
    def country_name_filter(code: str) -> str:
        return country_name(code, _locale()) if code else ""

    @app.context_processor
    def page_language():
        return {"page_lang": _locale(), "languages": app.config["LANGUAGES"]}
