"""/api/v1/parliaments: the directory of parliaments and organisations offered in the form, and
/api/v1/events/<slug>/coverage: which of them an event reaches (registered, confirmed, attended).

A registration counts for a directory entry when its organisation is written exactly as the
entry's name (the form offers the directory's names).
"""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa

from panel_app.api import pagination
from panel_app.api.blueprint import bp
from panel_app.api.schemas import CoverageSchema, DirectoryArgs, OrganisationPageSchema
from panel_app.api.views.events import event_or_404
from panel_app.extensions import db
from panel_app.models import ACTIVE_STATUSES, Organisation, Registration, RegistrationStatus


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
    """Every active directory entry with the event's registrations from it (two queries)."""
    event = event_or_404(slug)
    organisations = list(db.session.scalars(
        sa.select(Organisation).where(Organisation.active.is_(True)).order_by(Organisation.name)))
    active = Registration.status.in_([s.value for s in ACTIVE_STATUSES])
    rows = db.session.execute(
        sa.select(Registration.organisation,
                  sa.func.sum(sa.case((active, 1), else_=0)),
                  sa.func.sum(sa.case((Registration.status == RegistrationStatus.CONFIRMED, 1), else_=0)),
                  sa.func.sum(sa.case((Registration.attended.is_(True), 1), else_=0)))
        .where(Registration.event_id == event.id, Registration.organisation.in_([o.name for o in organisations]))
        .group_by(Registration.organisation))
    counts = {name: (int(r or 0), int(c or 0), int(a or 0)) for name, r, c, a in rows}
    items = [{"organisation": o, "registered": counts.get(o.name, (0, 0, 0))[0],
              "confirmed": counts.get(o.name, (0, 0, 0))[1], "attended": counts.get(o.name, (0, 0, 0))[2]}
             for o in organisations]
    return {"event": event.slug, "organisations": len(organisations),
            "represented": sum(1 for item in items if item["registered"]), "items": items}
