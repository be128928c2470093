"""The columns of a registration export, in the reader's language.

Rows are light `Row` objects (attribute per column), e.g. from
`admin.registrations.services.export_rows`.
"""

from __future__ import annotations

from babel import Locale
from flask_babel import gettext as _

from panel_app.exports.writers import Column


def registration_columns(event, locale: str) -> list[Column]:
    """Export columns: identity, affiliation, channel, side-effect states, attendance.

    Times are local to the event's zone; the zone is named in the header.
    """
    zone = event.timezone
    names = Locale.parse(locale).territories  # looked up once, not per row
    return [
        Column(_("ID"), lambda r: r.id, "int", 8),
        Column(_("Status"), lambda r: r.status, "text", 12),
        Column(_("Title"), lambda r: r.salutation, "text", 8),
        Column(_("First name"), lambda r: r.first_name, "text", 18),
        Column(_("Last name"), lambda r: r.last_name, "text", 18),
        Column(_("Email"), lambda r: r.email, "text", 30),
        Column(_("Parliament or organisation"), lambda r: r.organisation, "text", 32),
        Column(_("Country code"), lambda r: r.country, "text", 8),
        Column(_("Country"), lambda r: names.get(r.country, r.country) if r.country else "", "text", 20),
        Column(_("Affiliation"), lambda r: r.affiliation_type, "text", 18),
        Column(_("Role"), lambda r: r.role, "text", 8),
        Column(_("Committees"), lambda r: r.committees, "text", 24),
        Column(_("Language channel"), lambda r: r.language, "text", 10),
        Column(_("Accessibility needs"), lambda r: r.accessibility_needs, "text", 24),
        Column(_("Registered (%(zone)s)", zone=zone), lambda r: r.created_at, "datetime"),
        Column(_("Status changed (%(zone)s)", zone=zone), lambda r: r.status_changed_at, "datetime"),
        Column(_("Invite"), lambda r: r.invite_state, "text", 10),
        Column(_("Invite error"), lambda r: r.invite_last_error, "text", 24),
        Column(_("Zoom"), lambda r: r.zoom_state, "text", 10),
        Column(_("Zoom error"), lambda r: r.zoom_last_error, "text", 24),
        Column(_("Attended"), lambda r: r.attended, "bool", 10),
        Column(_("First joined (%(zone)s)", zone=zone), lambda r: r.first_joined_at, "datetime"),
        Column(_("Minutes attended"), lambda r: r.attended_minutes, "int", 10),
        Column(_("Attendance source"), lambda r: r.attendance_source, "text", 12),
    ]
