"""/api/v1/parliaments: the directory of parliaments and organisations offered in the form, and
/api/v1/events/<slug>/coverage: which of them an event reaches (registered, confirmed, attended).

What counts for a directory entry: see panel_app/directory/coverage.py.
"""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa

from panel_app.api import pagination
from panel_app.api.blueprint import bp
from panel_app.api.schemas import CoverageSchema, DirectoryArgs, OrganisationPageSchema
from panel_app.api.views.events import event_or_404
from panel_app.directory import coverage as directory_coverage
from panel_app.extensions import db
from panel_app.models import Organisation


@bp.route("/parliaments")
@bp.arguments(DirectoryArgs, location="query", unknown=ma.RAISE, as_kwargs=True)
@bp.response(200, OrganisationPageSchema)
def parliaments(limit: int, cursor: str | None = None, country: str | None = None,
                affiliation_type: str | None = None, active: bool | None = None):
    """Parliaments and organisations, by name."""
    scope = pagination.fingerprint("parliaments", country, affiliation_type, active)
    stmt = sa.select(Organisation).order_by(Organisation.name, Organisation.id)
    if country:
        stmt = stmt.where(Organisation.country == country.upper())
    if affiliation_type:
        stmt = stmt.where(Organisation.affiliation_type == affiliation_type)
    if active is not None:
        stmt = stmt.where(Organisation.active.is_(active))
    if cursor:
        values, row_id = pagination.read_cursor(cursor, scope, 1)
        stmt = stmt.where(pagination.after([(Organisation.name, False)], Organisation.id, values, row_id, False))
    rows = list(db.session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = pagination.make_cursor([rows[-1].name], rows[-1].id, scope) if more else None
    return {"items": rows, "next_cursor": next_cursor}


@bp.route("/events/<slug>/coverage")
@bp.response(200, CoverageSchema)
def coverage(slug: str):
    """Every active directory entry with the event's registrations from it."""
    event = event_or_404(slug)
    rows = directory_coverage.coverage(db.session, event)
    items = [{"organisation": r.organisation, "registered": r.registered, "confirmed": r.confirmed,
              "attended": r.attended} for r in rows]
    return {"event": event.slug, "organisations": len(rows),
            "represented": sum(1 for r in rows if r.registered), "items": items}
