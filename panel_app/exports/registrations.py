"""The columns of a registration export (and of the walk-ins beside it), in the reader's language.

Rows are light `Row` objects (attribute per column), e.g. from
`admin.registrations.services.export_rows`. Statuses, affiliations, roles, languages and
countries read as words in the organiser's language; their codes follow in columns of their
own at the end, for machines and for sorting in a spreadsheet. The column names of the public
contract (DESIGN.md: `Email`, `Status`, `Language channel`, `Attended`, `First joined (<zone>)`,
`Minutes attended`) stay as they are for an English-speaking organiser.
"""

from __future__ import annotations

from babel import Locale
from flask_babel import gettext as _

from panel_app.core import languages
from panel_app.core.templating import STATE_LABELS, STATUS_LABELS
from panel_app.exports.writers import Column
from panel_app.registration.forms import AFFILIATION_LABELS, ROLE_LABELS


def _labels(mapping: dict) -> dict[str, str]:
    """Lazy labels turned into text once per export (not once per cell)."""
    return {str(key): str(value) for key, value in mapping.items()}


def registration_columns(event, locale: str) -> list[Column]:
    """Export columns: identity, affiliation, channel, side-effect states, attendance, codes.

    Times are local to the event's zone; the zone is named in the header.
    """
    zone = event.timezone
    names = Locale.parse(locale).territories  # looked up once, not per row
    status = _labels(STATUS_LABELS)
    states = _labels(STATE_LABELS)
    affiliation = _labels(AFFILIATION_LABELS)
    role = _labels(ROLE_LABELS)
    language = {code: languages.name(code) for code in languages.CODES}
    sources = {"zoom": "Zoom", "manual": _("marked by an organiser")}
    return [
        Column(_("ID"), lambda r: r.id, "int", 8),
        Column(_("Status"), lambda r: status.get(r.status, r.status), "text", 16),
        Column(_("Title"), lambda r: r.salutation, "text", 8),
        Column(_("First name"), lambda r: r.first_name, "text", 18),
        Column(_("Last name"), lambda r: r.last_name, "text", 18),
        Column(_("Email"), lambda r: r.email, "text", 30),
        Column(_("Parliament or organisation"), lambda r: r.organisation, "text", 32),
        Column(_("Country"), lambda r: names.get(r.country, r.country) if r.country else "", "text", 20),
        Column(_("Affiliation"), lambda r: affiliation.get(r.affiliation_type, r.affiliation_type), "text", 24),
        Column(_("Role"), lambda r: role.get(r.role, r.role), "text", 20),
        Column(_("Committees"), lambda r: r.committees, "text", 24),
        Column(_("Language channel"), lambda r: language.get(r.language, r.language), "text", 12),
        Column(_("Email language"), lambda r: language.get(r.email_language or r.language), "text", 12),
        Column(_("Accessibility needs"), lambda r: r.accessibility_needs, "text", 24),
        Column(_("Registered (%(zone)s)", zone=zone), lambda r: r.created_at, "datetime"),
        Column(_("Status changed (%(zone)s)", zone=zone), lambda r: r.status_changed_at, "datetime"),
        Column(_("Invite"), lambda r: states.get(r.invite_state, r.invite_state), "text", 12),
        Column(_("Invite error"), lambda r: r.invite_last_error, "text", 24),
        Column(_("Zoom"), lambda r: states.get(r.zoom_state, r.zoom_state), "text", 12),
        Column(_("Zoom error"), lambda r: r.zoom_last_error, "text", 24),
        Column(_("Attended"), lambda r: r.attended, "bool", 10),
        Column(_("First joined (%(zone)s)", zone=zone), lambda r: r.first_joined_at, "datetime"),
        Column(_("Minutes attended"), lambda r: r.attended_minutes, "int", 10),
        Column(_("Attendance source"), lambda r: sources.get(r.attendance_source, r.attendance_source), "text", 14),
        Column(_("Status code"), lambda r: r.status, "text", 12),
        Column(_("Country code"), lambda r: r.country, "text", 8),
        Column(_("Affiliation code"), lambda r: r.affiliation_type, "text", 18),
        Column(_("Role code"), lambda r: r.role, "text", 8),
        Column(_("Language code"), lambda r: r.language, "text", 8),
    ]


def walk_in_columns(event) -> list[Column]:
    """People in the meeting whom no registration matched (phone dial-ins, guests)."""
    zone = event.timezone
    return [
        Column(_("Name shown in Zoom"), lambda w: w.name, "text", 30),
        Column(_("Email"), lambda w: w.email, "text", 30),
        Column(_("First joined (%(zone)s)", zone=zone), lambda w: w.first_joined_at, "datetime"),
        Column(_("Minutes attended"), lambda w: w.attended_minutes, "int", 10),
    ]
