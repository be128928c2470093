"""What every console concern shares: looking up the event in the URL, the list filters of
the query string, who is asking and from where, the CSRF check of action buttons, and the
template helpers of console pages."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from panel_app.admin.audit import describe
from panel_app.admin.blueprint import bp
from panel_app.admin.forms import ActionForm
from panel_app.admin.registrations.filters import RegistrationFilters, parse_filters
from panel_app.events import overview as events_overview
from panel_app.events.timefmt import zone_abbreviation
from panel_app.extensions import db
from panel_app.models import Event, User, utcnow
from panel_app.registration.forms import AFFILIATION_LABELS, ROLE_LABELS

#: Largest id a row can have (32-bit INTEGER keys on PostgreSQL): a larger one in a URL would
#: make the database driver raise (500) instead of finding nothing (404).
MAX_ROW_ID = 2**31 - 1


def locale() -> str:
    """The page language (the organiser's choice, else their browser's)."""
    return str(get_locale() or "en")


def current_account() -> User:
    """The signed-in account as a plain row (services record it as the actor)."""
    return current_user._get_current_object()


def client_ip() -> str | None:
    """The client's address as the app sees it (see PROXY_FIX_X_FOR behind a proxy)."""
    return request.remote_addr


def event_or_404(slug: str) -> Event:
    """The event whose address is `slug`, drafts included; 404 when there is none."""
    event = db.session.scalar(sa.select(Event).where(Event.slug == slug)) if len(slug) <= 100 else None
    if event is None:
        abort(404)
    return event


def request_filters(event: Event) -> tuple[RegistrationFilters, list[str]]:
    """The registration-list filters in this request's query string, with error messages
    (the list, its exports and group messages read the same ones)."""
    return parse_filters(request.args, languages=list(event.languages), locale=locale())


def checked_action_form() -> None:
    """400 unless the posted button carries a valid CSRF token."""
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.app_template_global()
def list_url(slug: str, filters: RegistrationFilters, endpoint: str = "admin.registrations", **overrides) -> str:
    """URL of the list (or an export) with the current filters and some changes."""
    return url_for(endpoint, slug=slug, **filters.query_args(**overrides))


@bp.app_template_filter("local_dt")
def local_dt(instant: datetime | None, event: Event) -> str:
    """An instant in the event's zone, with that date's abbreviation ("2026-09-26 15:00 CEST")."""
    if instant is None:
        return ""
    local = instant.astimezone(event.zone)
    return f"{local:%Y-%m-%d %H:%M} {zone_abbreviation(local)}"


@bp.app_template_global()
def affiliation_label(code: str) -> str:
    return str(AFFILIATION_LABELS.get(code, code))


@bp.app_template_global()
def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))


@bp.app_template_global()
def audit_action_label(action: str) -> str:
    return describe.action_label(action)


@bp.app_template_global()
def audit_detail_lines(entry) -> list[str]:
    return describe.detail_lines(entry)


@bp.app_template_global()
def filters_text(filters: dict | None) -> list[str]:
    return describe.filters_text(filters)


@bp.app_template_global()
def notification_label(notification) -> str:
    return describe.notification_label(notification)


@bp.app_template_global()
def notification_state(notification) -> str:
    return describe.notification_state(notification)


#: Why a registration waits for an organiser (registration.services.review_reasons).
REVIEW_REASON_LABELS = {
    "affiliation": _l("attending on behalf of an affiliation the event is not open to"),
    "role": _l("a role the event is not open to"),
    "organisation_unknown": _l("an organisation that is not in the directory"),
}


@bp.app_template_global()
def review_reason_label(code: str) -> str:
    return str(REVIEW_REASON_LABELS.get(code, code))


@bp.app_template_global()
def review_filter_label(value: str) -> str:
    return str(_l("Outside the stated audience")) if value == "yes" else value


#: How a registration came in (its `privacy_notice_version` records the source when not the form).
REGISTRATION_SOURCES = {"organiser": _l("added by an organiser"), "zoom": _l("registered on Zoom directly")}
ATTENDANCE_SOURCES = {"zoom": _l("from Zoom"), "manual": _l("marked by an organiser")}


@bp.app_template_global()
def registration_source(registration) -> str:
    return str(REGISTRATION_SOURCES.get(registration.privacy_notice_version, _l("through the registration form")))


@bp.app_template_global()
def attendance_source_label(source: str | None) -> str:
    return str(ATTENDANCE_SOURCES.get(source or "", source or ""))


PHASE_LABELS = {
    "draft": _l("Draft"),
    "upcoming": _l("Published"),
    "live": _l("Under way"),
    "ended": _l("Ended"),
    "cancelled": _l("Cancelled"),
}


@bp.app_template_global()
def phase_label(phase: str) -> str:
    return str(PHASE_LABELS.get(phase, phase))


@bp.app_template_global()
def event_phase(event) -> str:
    """Where the event stands now: draft, upcoming, live, ended or cancelled."""
    return str(events_overview.event_phase(event, utcnow()))
